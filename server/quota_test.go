package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/economic"
	economicsandbox "bilag/connectors/economic/sandbox"
	"bilag/db"
	"bilag/server"
	"bilag/server/connections"
	"bilag/views"
)

// economicEnv is a portal whose one connector is e-conomic, on its
// sandbox, with Nordlys connected by its accountant and synced.
type economicEnv struct {
	*env
	nordlys *db.Company
}

func newEconomicEnv(t *testing.T) *economicEnv {
	t.Helper()
	ctx := t.Context()
	base := newEnv(t)
	portal := httptest.NewUnstartedServer(nil)
	u, _ := url.Parse("http://" + portal.Listener.Addr().String())
	app := economicsandbox.App{Name: "Bilag", PublicToken: "bilag-public", SecretToken: "bilag-secret-token-0123", Role: economicsandbox.RoleSuperUser}
	sbTS := httptest.NewServer(economicsandbox.New(economicsandbox.WithApp(app)))
	t.Cleanup(sbTS.Close)
	conn, err := economic.Config{AppPublicToken: app.PublicToken, AppSecretToken: app.SecretToken,
		GrantURL: sbTS.URL + "/secure/api1/requestaccess.aspx", APIURL: sbTS.URL, DocumentsAPIURL: sbTS.URL + economicsandbox.DocumentsPrefix,
		Calls: base.db, Now: base.clock.Now}.Open(base.logger, sbTS.Client())
	if err != nil {
		t.Fatal(err)
	}
	// The portal of newEnv's database, clock and people, with e-conomic as
	// its one connector.
	e := *base
	e.url = u.String()
	e.srv, e.svc = newPortal(t,
		server.Options{DB: e.db, Logger: e.logger, BaseURL: u, SecretKey: e.secret, FirmName: firmName, FormOrigins: []string{sbTS.URL}, Now: e.clock.Now,
			AdminSecondFactorOptional: true},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{conn.Name(): conn},
			Countries: map[string][]string{"economic": {"DK"}}, Now: e.clock.Now})
	portal.Config.Handler = e.srv
	portal.Start()
	t.Cleanup(portal.Close)
	x := &economicEnv{env: &e, nordlys: &db.Company{Name: "Nordlys Bogføring ApS", Country: "DK", OrgNumber: "35121005", Active: true}}
	if err := e.db.CreateCompany(ctx, x.nordlys); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMembers(ctx, x.nordlys.ID, []int64{e.analyst.ID}); err != nil {
		t.Fatal(err)
	}

	// The accountant approves at e-conomic's grant page.
	link := e.loggedIn(e.analyst).createLink(x.nordlys, "")
	acc := e.browser()
	r := acc.post(link, nil)
	wantStatus(t, "give permission", r, http.StatusSeeOther)
	grant := r.Location()
	wantStatus(t, "grant login", acc.do(http.MethodPost, grant, url.Values{"action": {"login"}, "email": {"revisor@demo.dk"}, "password": {"revisor-demo"}}, nil), http.StatusSeeOther)
	r = acc.do(http.MethodPost, grant, url.Values{"action": {"approve"}, "agreement": {itoa(economicsandbox.AgreementNordlys)}}, nil)
	wantStatus(t, "add app", r, http.StatusSeeOther)
	wantText(t, "connected", acc.finish(r.Location()), "Nordlys Bogføring ApS")
	c, err := e.db.Connection(ctx, x.nordlys.ID, "economic")
	if err != nil || c.Status != db.ConnActive {
		t.Fatalf("connection %+v, %v", c, err)
	}
	e.waitSync(c)
	return x
}

// Issue 25 item 4: once e-conomic's daily quota is spent, a person is told
// when it resets, as a time in the portal's zone with the zone's name, not
// a wait of hours in seconds: on the voucher page, in the document frame
// and on the document route; the API keeps Retry-After in seconds and
// adds the time in its JSON error.
func TestDailyQuotaSaysWhenItResets(t *testing.T) {
	t.Parallel()
	x := newEconomicEnv(t)
	ctx := t.Context()
	analyst := x.loggedIn(x.analyst)
	l, err := x.db.Vouchers(ctx, x.nordlys.ID, db.VoucherFilter{HasDocuments: true, PageSize: 1})
	if err != nil || len(l.Vouchers) == 0 {
		t.Fatalf("Vouchers(nordlys) = %+v, %v; want a voucher with documents", l, err)
	}
	v := l.Vouchers[0]
	wantStatus(t, "voucher page before", analyst.get(voucherPath(x.nordlys, v)), http.StatusOK)
	docs, err := x.db.VoucherDocuments(ctx, x.nordlys.ID, v.ID)
	if err != nil || len(docs) == 0 {
		t.Fatalf("VoucherDocuments = %v, %v; want the voucher's documents", docs, err)
	}
	token := x.tokenFor(x.analyst)

	// The rest of the day's calls are spent: e-conomic's quota is per
	// agreement and UTC day.
	now := x.clock.Now()
	if _, err := x.db.AddCalls(ctx, "economic:"+itoa(economicsandbox.AgreementNordlys), now, economic.DefaultDailyBudget); err != nil {
		t.Fatal(err)
	}
	y, m, d := now.UTC().Date()
	reset := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	when := views.FormatTime(reset, portalZone(t), "en")
	says := func(what, text string) {
		t.Helper()
		text = strings.Join(strings.Fields(text), " ")
		if !strings.Contains(text, when) || strings.Contains(text, "seconds") {
			t.Errorf("%s says %.400q; want when the quota resets (%s), not a wait in seconds", what, text, when)
		}
	}
	vp := analyst.get(voucherPath(x.nordlys, v))
	wantStatus(t, "voucher page", vp, http.StatusOK)
	says("voucher page", vp.Text())
	wantRetry := func(what string, r *response) {
		t.Helper()
		if got, want := r.Header.Get("Retry-After"), strconv.Itoa(int(reset.Sub(now)/time.Second)); got != want {
			t.Errorf("%s: Retry-After %q, want %q (seconds until the reset)", what, got, want)
		}
	}
	frame := analyst.get(docPath(x.nordlys, v, docs[0]) + "/view")
	wantStatus(t, "frame", frame, http.StatusTooManyRequests)
	says("frame", frame.Text())
	wantRetry("frame", frame)
	doc := analyst.get(docPath(x.nordlys, v, docs[0]))
	wantStatus(t, "document route", doc, http.StatusTooManyRequests)
	says("document route", doc.Text())
	path := "/api/v1" + docPath(x.nordlys, v, docs[0])
	r := x.api(t, token, path)
	says("api", apiMessage(t, "api", r, http.StatusTooManyRequests, "rate_limited"))
	wantRetry("api", r)
	var body struct {
		ResetsAt string `json:"resets_at"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.ResetsAt != reset.Format(time.RFC3339) {
		t.Errorf("api error %s; want resets_at %s", r.Body, reset.Format(time.RFC3339))
	}
}
