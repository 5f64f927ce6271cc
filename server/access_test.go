package server_test

import (
	"cmp"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

// companyRoute is one company-scoped route, and what a member of each role
// gets from it on an active company. Non-members, anonymous users and
// members of an inactive company get the same everywhere, so they are
// derived rather than listed.
type companyRoute struct {
	method, pattern string
	form            url.Values
	admin, analyst  int
	viewer          int
	// adminInactive is what an admin gets on an inactive company (admins
	// see inactive companies; nobody else does).
	adminInactive int
	// adminOnly routes answer 404 to everyone but admins, members or not.
	adminOnly bool
	// api routes take a bearer token, never a session: every browser here
	// is anonymous to them.
	api bool
	// client is what a client user of the company gets; 0 is 404, as for
	// every route not meant for them (clientFence).
	client int
}

var companyRoutes = []companyRoute{
	{method: "GET", pattern: "/companies/:companyID", admin: 200, analyst: 200, viewer: 200, adminInactive: 200, client: 303},
	{method: "GET", pattern: "/companies/:companyID/links/status", admin: 200, analyst: 200, viewer: 200, adminInactive: 200},
	// A link can be made for an active company only.
	{method: "POST", pattern: "/companies/:companyID/links", form: url.Values{"expected_org": {"ORG"}}, admin: 303, analyst: 303, viewer: 403, adminInactive: 403},
	{method: "POST", pattern: "/companies/:companyID/links/:linkID/revoke", admin: 303, analyst: 303, viewer: 403, adminInactive: 303},
	// Without an address it only explains; nothing is sent.
	{method: "POST", pattern: "/companies/:companyID/links/:linkID/send", admin: 303, analyst: 303, viewer: 403, adminInactive: 303},
	// The firm's copy of an approver's receipt: this link is not approved.
	{method: "GET", pattern: "/companies/:companyID/links/:linkID/receipt", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	// Without confirm=yes it only explains, and there is no connection anyway.
	{method: "POST", pattern: "/companies/:companyID/connection/disconnect", admin: 303, analyst: 303, viewer: 403, adminInactive: 303},
	// No connection to test: none found.
	{method: "POST", pattern: "/companies/:companyID/connection/test", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "GET", pattern: "/admin/companies/:companyID", admin: 200, analyst: 404, viewer: 404, adminInactive: 200, adminOnly: true},
	// An empty form is refused with field errors, and changes nothing.
	{method: "POST", pattern: "/admin/companies/:companyID", admin: 422, analyst: 404, viewer: 404, adminInactive: 422, adminOnly: true},
	// Without the confirming tick it only says so; nothing is deleted.
	{method: "POST", pattern: "/admin/companies/:companyID/offboard", admin: 303, analyst: 404, viewer: 404, adminInactive: 303, adminOnly: true},
	{method: "GET", pattern: "/companies/:companyID/vouchers", admin: 200, analyst: 200, viewer: 200, adminInactive: 200, client: 200},
	// Without a number the lookup is its form, not a dead end.
	{method: "GET", pattern: "/companies/:companyID/vouchers/lookup", admin: 200, analyst: 200, viewer: 200, adminInactive: 200, client: 200},
	// No company here has vouchers yet: members get the voucher's 404.
	{method: "GET", pattern: "/companies/:companyID/vouchers/:voucherID", admin: 404, analyst: 404, viewer: 404, adminInactive: 404, client: 404},
	{method: "GET", pattern: "/companies/:companyID/vouchers/:voucherID/documents/:docID", admin: 404, analyst: 404, viewer: 404, adminInactive: 404, client: 404},
	{method: "GET", pattern: "/companies/:companyID/vouchers/:voucherID/documents/:docID/view", admin: 404, analyst: 404, viewer: 404, adminInactive: 404, client: 404},
	{method: "GET", pattern: "/companies/:companyID/sync/status", admin: 200, analyst: 200, viewer: 200, adminInactive: 200, client: 200},
	// Any member may ask for a sync; without a connection there is none.
	{method: "POST", pattern: "/companies/:companyID/sync", admin: 404, analyst: 404, viewer: 404, adminInactive: 404},
	// The audit trail is for those who manage the company, not for viewers.
	{method: "GET", pattern: "/companies/:companyID/audit", admin: 200, analyst: 200, viewer: 403, adminInactive: 200},
	{method: "GET", pattern: "/companies/:companyID/audit.csv", admin: 200, analyst: 200, viewer: 403, adminInactive: 200},
	// Missing documents: members read the list and its CSV; those who
	// manage the company set the rules.
	{method: "GET", pattern: "/companies/:companyID/missing", admin: 200, analyst: 200, viewer: 200, adminInactive: 200},
	{method: "GET", pattern: "/companies/:companyID/missing.csv", admin: 200, analyst: 200, viewer: 200, adminInactive: 200},
	// Evidence packs: those who manage the company (evidence.go says why
	// viewers do not). A period that cannot be read changes nothing; no
	// pack exists here, so the pack's routes find none.
	{method: "GET", pattern: "/companies/:companyID/evidence", admin: 200, analyst: 200, viewer: 403, adminInactive: 200},
	{method: "POST", pattern: "/companies/:companyID/evidence", form: url.Values{"kind": {"month"}, "month": {"not a month"}}, admin: 422, analyst: 422, viewer: 403, adminInactive: 422},
	{method: "GET", pattern: "/companies/:companyID/evidence/:packID", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "POST", pattern: "/companies/:companyID/evidence/:packID/retry", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "GET", pattern: "/companies/:companyID/evidence/:packID/download", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "POST", pattern: "/companies/:companyID/missing/rules", form: url.Values{"accounts": {"4000-6999"}}, admin: 303, analyst: 303, viewer: 403, adminInactive: 303},
	// Nothing is missing here: it only says so, and sends nothing.
	{method: "POST", pattern: "/companies/:companyID/missing/message", form: url.Values{"text": {"Hej"}}, admin: 303, analyst: 303, viewer: 403, adminInactive: 303},
	// A malformed address is refused with a word and changes nothing.
	{method: "POST", pattern: "/companies/:companyID/contact", form: url.Values{"contact_email": {"not an address"}}, admin: 303, analyst: 303, viewer: 403, adminInactive: 303},
	// Invoice orders: members see the history; nobody has an upload yet
	// (404); those who manage the company upload and send, and without a
	// connection that sends orders an upload is refused (422).
	{method: "GET", pattern: "/companies/:companyID/imports", admin: 200, analyst: 200, viewer: 200, adminInactive: 200},
	{method: "GET", pattern: "/companies/:companyID/imports/:batchID", admin: 404, analyst: 404, viewer: 404, adminInactive: 404},
	{method: "GET", pattern: "/companies/:companyID/imports/template.csv", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "GET", pattern: "/companies/:companyID/imports/invoices.csv", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "GET", pattern: "/companies/:companyID/imports/invoices.json", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "GET", pattern: "/companies/:companyID/imports/demo.json", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "POST", pattern: "/companies/:companyID/imports", admin: 422, analyst: 422, viewer: 403, adminInactive: 422},
	{method: "POST", pattern: "/companies/:companyID/imports/:batchID/send", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "POST", pattern: "/companies/:companyID/imports/:batchID/orders/:orderID/act", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	// No company here has vouchers: no record to act on.
	{method: "POST", pattern: "/companies/:companyID/vouchers/:voucherID/documents/:docID/act", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	// Without confirm=yes it only explains.
	{method: "POST", pattern: "/companies/:companyID/imports/disconnect", admin: 303, analyst: 303, viewer: 403, adminInactive: 303},
	// A receiving system's pairing: there is none here (no connection pairs).
	{method: "GET", pattern: "/companies/:companyID/pairing/:connector", admin: 404, analyst: 404, viewer: 404, adminInactive: 404},
	{method: "POST", pattern: "/companies/:companyID/pairing/:connector", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "POST", pattern: "/companies/:companyID/pairing/:connector/import", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	// The private hosts a company's connections may reach: admins only.
	{method: "GET", pattern: "/companies/:companyID/hosts", admin: 200, analyst: 404, viewer: 404, adminInactive: 200, adminOnly: true},
	{method: "POST", pattern: "/companies/:companyID/hosts", form: url.Values{"hosts": {"10.0.0.8"}}, admin: 303, analyst: 404, viewer: 404, adminInactive: 303, adminOnly: true},
	// The API for front systems' part of the company page: admins only. An
	// empty token form is refused with field errors; no token 1 exists;
	// an empty choice keeps "held".
	{method: "POST", pattern: "/companies/:companyID/integrations/tokens", admin: 422, analyst: 404, viewer: 404, adminInactive: 422, adminOnly: true},
	{method: "POST", pattern: "/companies/:companyID/integrations/tokens/:tokenID/revoke", admin: 404, analyst: 404, viewer: 404, adminInactive: 404, adminOnly: true},
	{method: "POST", pattern: "/companies/:companyID/integrations/sending", admin: 303, analyst: 404, viewer: 404, adminInactive: 303, adminOnly: true},
	// Client users (clients.go): their own page and withdrawal, for them
	// only (without confirm=yes it only explains); the firm's invitations
	// (an empty form is refused with a word; no invitation 1 exists, and
	// user 1 is no client user).
	{method: "GET", pattern: "/companies/:companyID/client", admin: 404, analyst: 404, viewer: 404, adminInactive: 404, client: 200},
	{method: "POST", pattern: "/companies/:companyID/client/withdraw", admin: 404, analyst: 404, viewer: 404, adminInactive: 404, client: 303},
	{method: "POST", pattern: "/companies/:companyID/clients/invite", admin: 303, analyst: 303, viewer: 403, adminInactive: 303},
	{method: "POST", pattern: "/companies/:companyID/clients/invitations/:invitationID/end", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "POST", pattern: "/companies/:companyID/clients/:userID/end", admin: 404, analyst: 404, viewer: 403, adminInactive: 404},
	{method: "POST", pattern: "/api/v1/companies/:companyID/invoices", api: true},
	{method: "GET", pattern: "/api/v1/companies/:companyID/invoices/batches/:batchID", api: true},
	{method: "GET", pattern: "/api/v1/companies/:companyID/vouchers", api: true},
	{method: "GET", pattern: "/api/v1/companies/:companyID/vouchers/lookup", api: true},
	{method: "GET", pattern: "/api/v1/companies/:companyID/vouchers/:voucherID", api: true},
	{method: "GET", pattern: "/api/v1/companies/:companyID/vouchers/:voucherID/documents/:docID", api: true},
}

// TestCompanyRoutesAreAllWalked makes the access walk fail when a route
// taking a company id is added without a row in companyRoutes.
func TestCompanyRoutesAreAllWalked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	known := map[string]bool{}
	for _, r := range companyRoutes {
		known[r.method+" "+r.pattern] = true
	}
	n := 0
	for _, r := range e.srv.Routes() {
		if !strings.Contains(r, ":companyID") {
			continue
		}
		n++
		if !known[r] {
			t.Errorf("route %s takes a company id but is not in companyRoutes; add it with what each role gets", r)
		}
	}
	if n < len(companyRoutes) {
		t.Errorf("server has %d company routes, want at least the %d in the table", n, len(companyRoutes))
	}
}

// TestAccessControl walks every company-scoped route as each role, on a
// company they are a member of, one they are not, an inactive one, and as
// an anonymous visitor.
func TestAccessControl(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	links := map[int64]int64{}
	for _, co := range []*db.Company{e.fj, e.hidden, e.inactive, e.norrsken} {
		l := &db.ConsentLink{CompanyID: co.ID, Connector: "eaccounting", ExpectedOrgNumber: co.OrgNumber, CreatedByID: e.admin.ID, ExpiresAt: e.clock.Now().Add(24 * time.Hour)}
		if err := e.db.CreateLink(ctx, l, "secret-"+co.Name); err != nil {
			t.Fatal(err)
		}
		links[co.ID] = l.ID
	}
	browsers := map[string]*browser{
		"anonymous": e.browser(),
		"admin":     e.loggedIn(e.admin),
		"analyst":   e.loggedIn(e.analyst),
		"viewer":    e.loggedIn(e.viewer),
		"client":    e.loggedIn(e.addClient("klient@fjallvagen.test", "Karin Klient", e.fj)),
	}
	type subject struct {
		who     string
		company *db.Company
		member  bool
	}
	subjects := []subject{
		{"admin", e.fj, false}, {"admin", e.hidden, false}, {"admin", e.inactive, false},
		{"analyst", e.fj, true}, {"analyst", e.hidden, false}, {"analyst", e.inactive, true},
		{"viewer", e.fj, true}, {"viewer", e.norrsken, false}, {"viewer", e.hidden, false}, {"viewer", e.inactive, true},
		{"anonymous", e.fj, false}, {"anonymous", e.inactive, false},
		{"client", e.fj, true}, {"client", e.norrsken, false}, {"client", e.hidden, false}, {"client", e.inactive, false},
	}
	for _, rt := range companyRoutes {
		for _, s := range subjects {
			name := rt.method + " " + rt.pattern + " as " + s.who + " on " + s.company.Name
			t.Run(name, func(t *testing.T) {
				want := expectedStatus(rt, s.who, s.company, s.member)
				path := strings.NewReplacer(":companyID", itoa(s.company.ID), ":linkID", itoa(links[s.company.ID]), ":voucherID", "1", ":docID", "1", ":batchID", "1", ":orderID", "1", ":tokenID", "1", ":connector", "fake", ":invitationID", "1", ":userID", "1", ":packID", "1").Replace(rt.pattern)
				b := browsers[s.who]
				var r *response
				if rt.method == http.MethodGet {
					r = b.get(path)
				} else {
					form := url.Values{}
					for k, v := range rt.form {
						form[k] = []string{strings.ReplaceAll(v[0], "ORG", s.company.OrgNumber)}
					}
					r = b.post(path, form)
				}
				if r.Status != want {
					t.Fatalf("%s %s = %d, want %d", rt.method, path, r.Status, want)
				}
				switch {
				case want == http.StatusSeeOther && s.who == "anonymous":
					if loc := r.Header.Get("Location"); loc != "/login?next="+url.QueryEscape(path) {
						t.Errorf("Location = %q, want /login?next=%s", loc, url.QueryEscape(path))
					}
				case want == http.StatusNotFound:
					// A hidden company looks exactly like no company.
					if strings.Contains(r.Body, s.company.Name) || strings.Contains(r.Body, s.company.OrgNumber) {
						t.Errorf("404 page names the company")
					}
				}
			})
		}
	}
	t.Run("link of another company", func(t *testing.T) {
		other := &db.ConsentLink{CompanyID: e.hidden.ID, Connector: "eaccounting", ExpectedOrgNumber: e.hidden.OrgNumber, CreatedByID: e.admin.ID, ExpiresAt: e.clock.Now().Add(24 * time.Hour)}
		if err := e.db.CreateLink(ctx, other, "another company's secret"); err != nil {
			t.Fatal(err)
		}
		path := "/companies/" + itoa(e.fj.ID) + "/links/" + itoa(other.ID) + "/revoke"
		if r := browsers["analyst"].post(path, nil); r.Status != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", path, r.Status)
		}
		l, err := e.db.Link(ctx, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Status == db.LinkRevoked {
			t.Errorf("another company's link was revoked through a member company's URL")
		}
	})
	t.Run("unknown company", func(t *testing.T) {
		for _, p := range []string{"/companies/999999", "/companies/abc", "/companies/0", "/admin/companies/999999"} {
			if r := browsers["admin"].get(p); r.Status != http.StatusNotFound {
				t.Errorf("GET %s as admin = %d, want 404", p, r.Status)
			}
		}
	})
}

func expectedStatus(rt companyRoute, who string, co *db.Company, member bool) int {
	isStatus := strings.HasSuffix(rt.pattern, "/status")
	if rt.api {
		return http.StatusUnauthorized
	}
	switch who {
	case "anonymous":
		if rt.method == http.MethodGet && !isStatus {
			return http.StatusSeeOther
		}
		return http.StatusUnauthorized
	case "admin":
		if !co.Active {
			return rt.adminInactive
		}
		return rt.admin
	}
	if !member || !co.Active || rt.adminOnly {
		return http.StatusNotFound
	}
	switch who {
	case "viewer":
		return rt.viewer
	case "client":
		return cmp.Or(rt.client, http.StatusNotFound)
	}
	return rt.analyst
}

// siteRoute is a route that takes no company, and what each role gets
// from it.
type siteRoute struct {
	path                              string
	anonymous, admin, analyst, viewer int
}

var siteRoutes = []siteRoute{
	// Caught mail holds consent links: for admins only.
	{path: "/admin/mail", anonymous: 303, admin: 200, analyst: 404, viewer: 404},
	// The header's "Go to voucher": its form without a number; with one,
	// nothing is indexed here, so "none in your companies".
	{path: "/vouchers/go", anonymous: 303, admin: 200, analyst: 200, viewer: 200},
	{path: "/vouchers/go?number=A1", anonymous: 303, admin: 404, analyst: 404, viewer: 404},
	// The firm's statistics: an analyst's over their companies, an admin's
	// over every company; none for viewers.
	{path: "/statistics", anonymous: 303, admin: 200, analyst: 200, viewer: 403},
	{path: "/statistics/links.csv", anonymous: 303, admin: 200, analyst: 200, viewer: 403},
	{path: "/admin/statistics", anonymous: 303, admin: 200, analyst: 404, viewer: 404},
	{path: "/admin/statistics/sync.csv", anonymous: 303, admin: 200, analyst: 404, viewer: 404},
}

// TestSiteRoutes walks siteRoutes as each role.
func TestSiteRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	browsers := map[string]*browser{"anonymous": e.browser(), "admin": e.loggedIn(e.admin), "analyst": e.loggedIn(e.analyst), "viewer": e.loggedIn(e.viewer)}
	for _, rt := range siteRoutes {
		for who, want := range map[string]int{"anonymous": rt.anonymous, "admin": rt.admin, "analyst": rt.analyst, "viewer": rt.viewer} {
			if r := browsers[who].get(rt.path); r.Status != want {
				t.Errorf("GET %s as %s = %d, want %d", rt.path, who, r.Status, want)
			}
		}
	}
}

// TestDeactivatedUser: an inactive account cannot log in, and a session of
// an account deactivated meanwhile stops working.
func TestDeactivatedUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	b.get("/login")
	r := b.post("/login", url.Values{"email": {e.inactiveUser.Email}, "password": {e.inactiveUser.Password}})
	wantStatus(t, "login as deactivated user", r, http.StatusUnauthorized)
	wantText(t, "login as deactivated user", r, tr("login.failed"))
	if r := b.get("/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("GET / after refused login = %d %q, want 303 to /login", r.Status, r.Header.Get("Location"))
	}

	analyst := e.loggedIn(e.analyst)
	wantStatus(t, "dashboard", analyst.get("/"), http.StatusOK)
	u := *e.analyst.User
	u.Active = false
	if err := e.db.UpdateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	r = analyst.get("/companies/" + itoa(e.fj.ID))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("GET company after deactivation = %d %q, want 303 to /login", r.Status, r.Header.Get("Location"))
	}
}

// TestLoginThrottle: five failures for one account lock it for a while,
// even with the right password; other accounts are not affected.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	b.get("/login")
	for i := range 5 {
		r := b.post("/login", url.Values{"email": {e.analyst.Email}, "password": {"wrong password " + itoa(int64(i))}})
		wantStatus(t, "failed login", r, http.StatusUnauthorized)
	}
	for _, lang := range []string{"en", "sv"} {
		r := b.do(http.MethodPost, "/login", url.Values{"_csrf": {b.csrf}, "email": {e.analyst.Email}, "password": {e.analyst.Password}}, http.Header{"Accept-Language": {lang}})
		wantStatus(t, "login after 5 failures", r, http.StatusTooManyRequests)
		// The message up to the number of minutes.
		if want := strings.SplitN(words().Translate(lang, "login.throttled"), "%d", 2)[0]; !strings.Contains(r.Text(), want) {
			t.Errorf("throttled page (%s) does not say %q", lang, want)
		}
	}
	if b.cookie("bilag_session") != "" {
		if r := b.get("/"); r.Status == http.StatusOK {
			t.Errorf("a throttled login got a session")
		}
	}
	// Another account from the same address still logs in.
	e.loggedIn(e.viewer)
	// After the window the account may try again.
	e.clock.Advance(16 * time.Minute)
	b.login(e.analyst)
}

// Static files and health checks carry no cookie, so they can be cached and
// shared; pages do get the CSRF cookie.
func TestNoCookiesOnStaticFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	page := b.get("/login")
	if page.Header.Get("Set-Cookie") == "" {
		t.Fatal("the login page set no CSRF cookie")
	}
	css := regexp.MustCompile(`/static/[0-9a-f]+/css/app\.css`).FindString(page.Body)
	for _, p := range []string{css, "/healthz", "/readyz"} {
		r := b.get(p)
		if r.Status != http.StatusOK || r.Header.Get("Set-Cookie") != "" {
			t.Errorf("GET %s = %d with Set-Cookie %q, want 200 and none", p, r.Status, r.Header.Get("Set-Cookie"))
		}
	}
	if r := b.get(css); !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("static Cache-Control = %q, want immutable", r.Header.Get("Cache-Control"))
	}
}
