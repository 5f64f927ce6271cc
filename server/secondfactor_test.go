package server_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"bilag/connectors"
	"bilag/db"
	"bilag/server"
	"bilag/server/connections"
)

// withAdminSecondFactor is e served by a second portal on the same
// database that requires admins to have a second factor, as production
// does (newEnv's portal, like demo mode, does not).
func (e *env) withAdminSecondFactor() *env {
	e.t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, _ := newPortal(e.t,
		server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, FormOrigins: []string{e.sbURL}, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{e.conn.Name(): e.conn}, Now: e.clock.Now})
	ts.Config.Handler = srv
	ts.Start()
	e.t.Cleanup(ts.Close)
	e2 := *e
	e2.url, e2.srv = base.String(), srv
	return &e2
}

var (
	totpSecretRe   = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	totpQRRe       = regexp.MustCompile(`<img id="totp-qr" src="data:image/png;base64,[^"]+"`)
	recoveryCodeRe = regexp.MustCompile(`<code class="recovery-code">([a-z0-9-]+)</code>`)
)

// enrol sets up b's second factor on the Settings page and returns its
// secret and recovery codes.
func (b *browser) enrol(t *testing.T) (string, []string) {
	t.Helper()
	r := b.post("/settings/second-factor", nil)
	wantStatus(t, "start enrolment", r, http.StatusOK)
	if !totpQRRe.MatchString(r.Body) {
		t.Fatal("the enrolment page shows no QR code")
	}
	m := totpSecretRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("the enrolment page shows no secret to type in")
	}
	secret := m[1]
	r = b.post("/settings/second-factor/confirm", url.Values{"code": {"000000"}})
	wantStatus(t, "confirm with a wrong code", r, http.StatusUnprocessableEntity)
	code, _ := totp.GenerateCode(secret, b.e.clock.Now())
	r = b.post("/settings/second-factor/confirm", url.Values{"code": {code}})
	wantStatus(t, "confirm", r, http.StatusOK)
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("the page with the recovery codes: Cache-Control = %q, want no-store", cc)
	}
	var codes []string
	for _, m := range recoveryCodeRe.FindAllStringSubmatch(r.Body, -1) {
		codes = append(codes, html.UnescapeString(m[1]))
	}
	if len(codes) < 8 {
		t.Fatalf("the confirmation shows %d recovery codes, want at least 8", len(codes))
	}
	return secret, codes
}

// passwordStep logs in with p's password only and returns the answer.
func (b *browser) passwordStep(p person) *response {
	b.e.t.Helper()
	b.get("/login")
	return b.post("/login", url.Values{"email": {p.Email}, "password": {p.Password}})
}

// TestSecondFactor: a person enrols a TOTP second factor on the Settings
// page; then a login asks for a code after the password, and a code or a
// recovery code works once.
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)
	token := b.createToken("before enrolment")
	secret, codes := b.enrol(t)
	u, err := e.db.User(t.Context(), e.viewer.ID)
	if err != nil || !u.HasSecondFactor() || strings.Contains(string(u.TOTPSealed), secret) {
		t.Fatalf("stored user: enrolled %v, key in clear %v, %v", u.HasSecondFactor(), strings.Contains(string(u.TOTPSealed), secret), err)
	}
	wantLoggedIn(t, "the browser that enrolled", b, true)

	e.clock.Advance(30 * time.Second)
	b2 := e.browser()
	r := b2.passwordStep(e.viewer)
	wantStatus(t, "password step", r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/login/code" {
		t.Fatalf("after the password Location = %q, want /login/code", loc)
	}
	wantLoggedIn(t, "after the password alone", b2, false)
	wantStatus(t, "code form", b2.get("/login/code"), http.StatusOK)
	wantStatus(t, "wrong code", b2.post("/login/code", url.Values{"code": {"123456"}}), http.StatusUnauthorized)
	code, _ := totp.GenerateCode(secret, e.clock.Now())
	r = b2.post("/login/code", url.Values{"code": {code}})
	wantStatus(t, "right code", r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/" {
		t.Errorf("after the code Location = %q, want /", loc)
	}
	wantLoggedIn(t, "after password and code", b2, true)

	// The same code again, from another browser: refused (RFC 6238 §5.2).
	b3 := e.browser()
	b3.passwordStep(e.viewer)
	wantStatus(t, "replayed code", b3.post("/login/code", url.Values{"code": {code}}), http.StatusUnauthorized)
	// A recovery code works once.
	wantStatus(t, "recovery code", b3.post("/login/code", url.Values{"code": {strings.ToUpper(codes[0])}}), http.StatusSeeOther)
	wantLoggedIn(t, "after a recovery code", b3, true)
	b4 := e.browser()
	b4.passwordStep(e.viewer)
	wantStatus(t, "recovery code again", b4.post("/login/code", url.Values{"code": {codes[0]}}), http.StatusUnauthorized)
	// The code step does not outlive a few minutes.
	b5 := e.browser()
	b5.passwordStep(e.viewer)
	e.clock.Advance(10 * time.Minute)
	code, _ = totp.GenerateCode(secret, e.clock.Now())
	if r := b5.post("/login/code", url.Values{"code": {code}}); r.Status == http.StatusSeeOther && r.Header.Get("Location") == "/" {
		t.Error("a code 10 minutes after the password still logs in")
	}
	// Personal API tokens are unaffected.
	wantStatus(t, "API token of an enrolled user", e.api(t, token, "/api/v1/companies"), http.StatusOK)
}

// TestAdminsMustEnrol: where admins must have a second factor, an admin
// without one can do nothing but enrol; after enrolling, everything.
func TestAdminsMustEnrol(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withAdminSecondFactor()
	admin := e.browser()
	r := admin.passwordStep(e.admin)
	wantStatus(t, "password step", r, http.StatusSeeOther)
	for _, path := range []string{"/", "/admin/users", "/companies/" + itoa(e.fj.ID)} {
		r := admin.get(path)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/settings" {
			t.Errorf("GET %s before enrolling = %d (Location %q), want 303 to /settings", path, r.Status, r.Header.Get("Location"))
		}
	}
	page := admin.get("/settings")
	wantStatus(t, "settings before enrolling", page, http.StatusOK)
	wantText(t, "settings before enrolling", page, words().Translate("en", "settings.2fa.required"))
	if r := admin.post("/admin/users/"+itoa(e.viewer.ID)+"/reset-password", nil); r.Status != http.StatusForbidden {
		t.Errorf("POST reset-password before enrolling = %d, want 403", r.Status)
	}
	// Nor an API token, which would get past the second factor for good.
	if r := admin.post("/settings/tokens", url.Values{"name": {"before enrolling"}}); r.Status != http.StatusForbidden {
		t.Errorf("POST /settings/tokens before enrolling = %d, want 403", r.Status)
	}
	admin.enrol(t)
	wantStatus(t, "admin users after enrolling", admin.get("/admin/users"), http.StatusOK)
	// Others need none.
	wantStatus(t, "viewer", e.loggedIn(e.viewer).get("/"), http.StatusOK)
}

// TestAdminResetsSecondFactor: an admin can take away a person's second
// factor (a lost phone); it is audited and ends that person's sessions,
// and the next login asks for the password only.
func TestAdminResetsSecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.analyst)
	b.enrol(t)
	stolen := b.copyCookies()
	admin := e.loggedIn(e.admin)
	page := admin.get("/admin/users/" + itoa(e.analyst.ID))
	if !strings.Contains(page.Body, `action="/admin/users/`+itoa(e.analyst.ID)+`/second-factor/reset"`) {
		t.Fatal("the user page has no second-factor reset")
	}
	r := admin.post("/admin/users/"+itoa(e.analyst.ID)+"/second-factor/reset", nil)
	wantStatus(t, "reset second factor", r, http.StatusSeeOther)
	wantText(t, "after the reset", admin.follow(r), words().Translate("en", "admin.user.sessions.ended"))
	wantLoggedIn(t, "the user's browser", b, false)
	wantLoggedIn(t, "a copy of its cookie", stolen, false)
	all, err := e.db.AuditEvents(t.Context(), 0, 1000)
	var events []db.AuditEvent
	for _, ev := range all {
		if ev.Action == db.AuditSecondFactorReset {
			events = append(events, ev)
		}
	}
	if err != nil || len(events) != 1 || events[0].Target != e.analyst.Email || events[0].Actor != e.admin.Email {
		t.Errorf("audit events = %+v, %v; want one second-factor reset of %s by %s", events, err, e.analyst.Email, e.admin.Email)
	}
	e.loggedIn(e.analyst)
	// Nobody else may.
	if r := e.loggedIn(e.viewer).post("/admin/users/"+itoa(e.analyst.ID)+"/second-factor/reset", nil); r.Status != http.StatusNotFound {
		t.Errorf("a viewer's reset = %d, want 404", r.Status)
	}
}

// TestManageOwnSecondFactor: with the current password a person makes new
// recovery codes (the old ones stop working) or, where it is optional for
// them, turns the second factor off; an admin who must have one cannot.
func TestManageOwnSecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)
	_, old := b.enrol(t)
	page := b.get("/settings")
	for _, action := range []string{"/settings/second-factor/codes", "/settings/second-factor/off"} {
		if !strings.Contains(page.Body, `action="`+action+`"`) {
			t.Errorf("the settings page has no form for %s", action)
		}
		r := b.post(action, url.Values{"current_password": {"not my password at all"}})
		wantStatus(t, action+" with a wrong password", r, http.StatusUnprocessableEntity)
	}
	r := b.post("/settings/second-factor/codes", url.Values{"current_password": {e.viewer.Password}})
	wantStatus(t, "new recovery codes", r, http.StatusOK)
	fresh := recoveryCodeRe.FindAllStringSubmatch(r.Body, -1)
	if len(fresh) < 8 {
		t.Fatalf("new recovery codes shown: %d, want at least 8", len(fresh))
	}
	login := e.browser()
	login.passwordStep(e.viewer)
	wantStatus(t, "an old recovery code", login.post("/login/code", url.Values{"code": {old[1]}}), http.StatusUnauthorized)
	wantStatus(t, "a new recovery code", login.post("/login/code", url.Values{"code": {fresh[0][1]}}), http.StatusSeeOther)

	r = b.post("/settings/second-factor/off", url.Values{"current_password": {e.viewer.Password}})
	wantStatus(t, "turn off", r, http.StatusSeeOther)
	if r := e.browser().passwordStep(e.viewer); r.Header.Get("Location") != "/" {
		t.Errorf("after turning it off the password step goes to %q, want /", r.Header.Get("Location"))
	}

	e2 := e.withAdminSecondFactor()
	admin := e2.browser()
	admin.passwordStep(e2.admin)
	secret, _ := admin.enrol(t)
	e.clock.Advance(30 * time.Second)
	admin = e2.browser()
	admin.passwordStep(e2.admin)
	code, _ := totp.GenerateCode(secret, e.clock.Now())
	wantStatus(t, "admin code", admin.post("/login/code", url.Values{"code": {code}}), http.StatusSeeOther)
	if r := admin.post("/settings/second-factor/off", url.Values{"current_password": {e2.admin.Password}}); r.Status != http.StatusForbidden {
		t.Errorf("an admin who must have one turns it off: %d, want 403", r.Status)
	}
}
