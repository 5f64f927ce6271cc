package server_test

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/economic"
	economicsandbox "bilag/connectors/economic/sandbox"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
	"bilag/server"
	"bilag/server/connections"
)

// TestEconomicStoryThroughThePortal walks e-conomic through the portal:
// the analyst's link, the accountant's grant at e-conomic's page, the
// check, the sync, the withdrawal that makes the connection need
// re-approval, and the reconnect. The core never names e-conomic: this
// test brings the connector, as main does.
var economicDocTab = regexp.MustCompile(`href="\?doc=(\d+)`)

func TestEconomicStoryThroughThePortal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := &env{t: t, clock: dbtest.NewClock(time.Now().UTC().Truncate(time.Second)), logs: &syncBuffer{}, faults: &faults{}}
	e.logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.secret = make([]byte, 32)
	rand.Read(e.secret)
	var err error
	if e.keys, err = seal.NewKeyring(e.secret); err != nil {
		t.Fatal(err)
	}
	e.db, err = db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "bilag.db"), db.Options{Keys: e.keys, Now: e.clock.Now, Logger: e.logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	portal := httptest.NewUnstartedServer(nil)
	e.url = "http://" + portal.Listener.Addr().String()
	base, _ := url.Parse(e.url)

	app := economicsandbox.App{Name: "Bilag", PublicToken: "bilag-public", SecretToken: "bilag-secret-token-0123", Role: economicsandbox.RoleSuperUser}
	sb := economicsandbox.New(economicsandbox.WithApp(app))
	sbTS := httptest.NewServer(sb)
	t.Cleanup(sbTS.Close)
	conn, err := economic.Config{AppPublicToken: app.PublicToken, AppSecretToken: app.SecretToken,
		GrantURL: sbTS.URL + "/secure/api1/requestaccess.aspx", APIURL: sbTS.URL, DocumentsAPIURL: sbTS.URL + economicsandbox.DocumentsPrefix,
		Calls: e.db, Now: e.clock.Now}.Open(e.logger, sbTS.Client())
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.svc = newPortal(t,
		server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, FormOrigins: []string{sbTS.URL}, Now: e.clock.Now,
			AdminSecondFactorOptional: true, FirmContact: firmContact, FirmPrivacyURL: firmPrivacyURL},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{conn.Name(): conn},
			Countries: map[string][]string{"economic": {"DK", "NO", "SE"}}, Now: e.clock.Now})
	portal.Config.Handler = e.srv
	portal.Start()
	t.Cleanup(portal.Close)
	t.Cleanup(func() {
		if t.Failed() {
			logs := e.logs.String()
			t.Logf("logs:\n%s", logs[max(0, len(logs)-4000):])
		}
	})
	e.analyst = e.addUser("analyst@firm.test", "Anders Analytiker", db.RoleAnalyst, true)
	nordlys := &db.Company{Name: "Nordlys Bogføring ApS", Country: "DK", OrgNumber: "35121005", Active: true}
	if err := e.db.CreateCompany(ctx, nordlys); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMembers(ctx, nordlys.ID, []int64{e.analyst.ID}); err != nil {
		t.Fatal(err)
	}
	analyst := e.loggedIn(e.analyst)

	// approve: the accountant opens the link, gives permission, logs in at
	// e-conomic's grant page, administers agreement and adds the app.
	approve := func(link, email, password string, agreement int64) *response {
		t.Helper()
		acc := e.browser()
		wantStatus(t, "consent page", acc.get(link), http.StatusOK)
		r := acc.post(link, nil)
		wantStatus(t, "give permission", r, http.StatusSeeOther)
		grant := r.Location()
		// The grant page speaks the consent page's language (the browser
		// reads English).
		if !strings.HasPrefix(grant, sbTS.URL+"/secure/api1/requestaccess.aspx?") || !strings.Contains(grant, "appPublicToken=bilag-public") ||
			!strings.Contains(grant, "locale=en-US") {
			t.Fatalf("give permission sends the browser to %q", grant)
		}
		wantStatus(t, "grant page", acc.get(grant), http.StatusOK)
		r = acc.do(http.MethodPost, grant, url.Values{"action": {"login"}, "email": {email}, "password": {password}}, nil)
		wantStatus(t, "grant login", r, http.StatusSeeOther)
		r = acc.do(http.MethodPost, grant, url.Values{"action": {"approve"}, "agreement": {itoa(agreement)}}, nil)
		wantStatus(t, "add app", r, http.StatusSeeOther)
		if !strings.HasPrefix(r.Location(), e.url+"/oauth/economic/callback?") || !strings.Contains(r.Location(), "token=") {
			t.Fatalf("e-conomic sends the browser to %q", r.Location())
		}
		return acc.finish(r.Location())
	}

	// The wrong agreement first, then the right one. The message that
	// carries the link says what e-conomic asks of the approver.
	first := analyst.createLink(nordlys, "")
	wantText(t, "the link's message", analyst.get("/companies/"+itoa(nordlys.ID)), "first open its agreement with Administer in e-conomic", "Bookkeeping role")
	res := approve(first, "revisor@demo.dk", "revisor-demo", economicsandbox.AgreementFjordkaffe)
	wantText(t, "wrong company", res, "Fjordkaffe ApS", "29871000")
	// A user lacking the role.
	res = approve(analyst.createLink(nordlys, ""), "salg@demo.dk", "salg-demo", economicsandbox.AgreementNordlys)
	wantText(t, "missing role", res, "Bookkeeping")
	// The analyst's page says why, and what next, in words of its own.
	wantText(t, "the analyst's page after a missing role", analyst.get("/companies/"+itoa(nordlys.ID)),
		"the approver's grant lacks the app's role", "Bookkeeping role (or SuperUser)")
	res = approve(analyst.createLink(nordlys, ""), "revisor@demo.dk", "revisor-demo", economicsandbox.AgreementNordlys)
	wantText(t, "connected", res, "Nordlys Bogføring ApS", "35121005")
	c, err := e.db.Connection(ctx, nordlys.ID, "economic")
	if err != nil || c.Status != db.ConnActive || c.ExternalID != "7001011" {
		t.Fatalf("connection %+v, %v", c, err)
	}

	// The sync: two years with the same voucher numbers, all kept.
	e.svc.Close() // waits for the first sync, started at approval
	svc, err := connections.New(connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{conn.Name(): conn}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	if _, err := svc.Sync(ctx, c); err != nil && err != connections.ErrSyncRunning {
		t.Fatalf("sync: %v", err)
	}
	list, err := e.db.Vouchers(ctx, nordlys.ID, db.VoucherFilter{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	if list.Total != 80 {
		t.Errorf("indexed %d vouchers, want 80 (40 in each of two years)", list.Total)
	}

	// Documents through the portal: voucher 4 of 2025 has a receipt and a
	// hostile file; voucher 4 of 2024 is another voucher with the same number.
	var v2025, v2024 *db.Voucher
	for i := range list.Vouchers {
		v := &list.Vouchers[i]
		if v.Number == "4" && v.FiscalYearID == "2025" {
			v2025 = v
		}
		if v.Number == "4" && v.FiscalYearID == "2024" {
			v2024 = v
		}
	}
	if v2025 == nil || v2024 == nil || v2025.ID == v2024.ID {
		t.Fatalf("voucher 4 of each year: %v, %v", v2025, v2024)
	}
	vpage := analyst.get("/companies/" + itoa(nordlys.ID) + "/vouchers/" + itoa(v2025.ID))
	wantStatus(t, "voucher page", vpage, http.StatusOK)
	var docs []string
	for _, m := range economicDocTab.FindAllStringSubmatch(vpage.Body, -1) {
		docs = append(docs, "/companies/"+itoa(nordlys.ID)+"/vouchers/"+itoa(v2025.ID)+"/documents/"+m[1])
	}
	if len(docs) < 2 {
		t.Fatalf("voucher 4 of 2025 lists %d documents, want the receipt and the hostile file", len(docs))
	}
	var pdfs, refused int
	seen := map[string]bool{}
	for _, href := range docs {
		if seen[href] {
			continue
		}
		seen[href] = true
		r := analyst.get(href)
		switch {
		case r.Status == http.StatusOK && strings.HasPrefix(r.Body, "%PDF-"):
			pdfs++
		case r.Status >= 400:
			if strings.Contains(r.Body, "<script>alert") {
				t.Errorf("the hostile file reached the browser")
			}
			refused++
		}
	}
	if pdfs != 1 || refused != 1 {
		t.Errorf("opened %d PDFs and refused %d files, want one of each", pdfs, refused)
	}

	// The customer removes the app: the next sync ends the grant, and the
	// connection needs re-approval.
	sb.RemoveApp(economicsandbox.AgreementNordlys, app.PublicToken)
	if _, err := svc.Sync(ctx, c); err == nil {
		t.Fatal("a sync after the app was removed succeeded")
	}
	if c, _ = e.db.Connection(ctx, nordlys.ID, "economic"); c.Status != db.ConnNeedsReapproval {
		t.Fatalf("after withdrawal the connection is %q, want needs re-approval", c.Status)
	}

	// Reconnect with a new link.
	res = approve(analyst.createLink(nordlys, ""), "revisor@demo.dk", "revisor-demo", economicsandbox.AgreementNordlys)
	wantText(t, "reconnected", res, "Nordlys Bogføring ApS")
	if c, _ = e.db.Connection(ctx, nordlys.ID, "economic"); c.Status != db.ConnActive {
		t.Fatalf("after reconnecting the connection is %q", c.Status)
	}

	// A Danish accountant reads e-conomic's words in Danish, and e-conomic's
	// grant page is asked for in Danish too.
	da := e.browser()
	da.header.Set("Accept-Language", "da-DK,da;q=0.9")
	link := analyst.createLink(nordlys, "")
	wantText(t, "the Danish consent page", da.get(link), "Bilags app har rollen Bogføring", "Administrer")
	r := da.post(link, nil)
	wantStatus(t, "give permission in Danish", r, http.StatusSeeOther)
	if !strings.Contains(r.Location(), "locale=da-DK") {
		t.Errorf("the grant page is not asked for in Danish: %s", r.Location())
	}

	// Disconnect: the token is deleted here, and the analyst is told to have
	// the app removed in e-conomic, which has no revocation call.
	r = analyst.post("/companies/"+itoa(nordlys.ID)+"/connection/disconnect", url.Values{"confirm": {"yes"}})
	wantStatus(t, "disconnect", r, http.StatusSeeOther)
	wantText(t, "after disconnect", analyst.follow(r), "remove the app Bilag in e-conomic")
	if c, _ = e.db.Connection(ctx, nordlys.ID, "economic"); c.Status == db.ConnActive || len(c.TokenSealed) != 0 {
		t.Errorf("after disconnecting: status %q, %d sealed bytes", c.Status, len(c.TokenSealed))
	}
}

// TestEconomicWrongSecretEndsNoConnection: e-conomic answers 401 both to a
// withdrawn grant and to a wrong X-AppSecretToken of Bilag's own. The
// second reads alike on every connection, so the core's breaker keeps the
// connections instead of making every customer approve again.
func TestEconomicWrongSecretEndsNoConnection(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := dbtest.NewClock(time.Now().UTC().Truncate(time.Second))
	secret := make([]byte, 32)
	rand.Read(secret)
	keys, err := seal.NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "bilag.db"), db.Options{Keys: keys, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	app := economicsandbox.App{Name: "Bilag", PublicToken: "bilag-public", SecretToken: "bilag-secret-token-0123", Role: economicsandbox.RoleBookkeeping}
	sb := economicsandbox.New(economicsandbox.WithApp(app))
	sbTS := httptest.NewServer(sb)
	t.Cleanup(sbTS.Close)
	// The secret token rotated at e-conomic, and Bilag still has the old one.
	conn, err := economic.Config{AppPublicToken: app.PublicToken, AppSecretToken: "an-old-secret",
		GrantURL: sbTS.URL + "/secure/api1/requestaccess.aspx", APIURL: sbTS.URL, DocumentsAPIURL: sbTS.URL + economicsandbox.DocumentsPrefix,
		Now: clock.Now}.Open(nil, sbTS.Client())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := connections.New(connections.Options{DB: d, Connectors: map[string]connectors.Connector{"economic": conn}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	u := &db.User{Email: "a@firm.test", Name: "A", Role: db.RoleAnalyst, PasswordHash: "x", Active: true}
	if err := d.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var conns []*db.Connection
	for _, cvr := range []string{"35121005", "29871000", "41901004"} {
		co := &db.Company{Name: "Selskab " + cvr, Country: "DK", OrgNumber: cvr, Active: true}
		if err := d.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		tok, _ := sb.GrantFor(app.PublicToken, "revisor@demo.dk", economicsandbox.AgreementNordlys)
		l := &db.ConsentLink{CompanyID: co.ID, Connector: "economic", ExpectedOrgNumber: cvr, CreatedByID: u.ID, ExpiresAt: clock.Now().Add(time.Hour)}
		if err := d.CreateLink(ctx, l, "secret-"+cvr); err != nil {
			t.Fatal(err)
		}
		if err := d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
			t.Fatal(err)
		}
		c := &db.Connection{CompanyID: co.ID, Connector: "economic", ExternalID: "7001011", ExternalName: co.Name, OrgNumber: cvr}
		g := connectors.Grant{Data: []byte(`{"t":"` + tok + `","a":` + itoa(economicsandbox.AgreementNordlys) + `}`)}
		if err := d.Connect(ctx, l.ID, c, g); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		if _, err := svc.Sync(ctx, c); !errors.Is(err, connectors.ErrGrantRevoked) {
			t.Fatalf("sync with the wrong secret: %v", err)
		}
	}
	for _, c := range conns {
		got, err := d.Connection(ctx, c.CompanyID, "economic")
		if err != nil || got.Status != db.ConnActive {
			t.Errorf("connection of company %d is %q after Bilag's own fault, want active", c.CompanyID, got.Status)
		}
	}
	if m := svc.Misconfigured(); len(m) != 1 || m[0] != "economic" {
		t.Errorf("misconfigured connectors %v, want economic", m)
	}
}
