package server_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/server"
	"bilag/server/connections"
	"bilag/server/password"
)

// browserTarget is where a browser goes on a Location header: it drops
// ASCII tab and newlines and reads a backslash as a slash (WHATWG URL),
// then resolves the rest against the page it asked for.
func browserTarget(t *testing.T, requested, loc string) *url.URL {
	t.Helper()
	loc = strings.NewReplacer("\t", "", "\r", "", "\n", "", `\`, "/").Replace(loc)
	base, err := url.Parse(requested)
	if err != nil {
		t.Fatal(err)
	}
	u, err := base.Parse(loc)
	if err != nil {
		// What Go cannot parse a browser might still follow: treat it as leaving.
		return &url.URL{Scheme: "https", Host: "unparseable.invalid"}
	}
	return u
}

// raw sends one request with b's cookies through the bare transport: Go's
// client refuses to read a Location with a control character in it, a
// browser does not.
func (b *browser) raw(t *testing.T, method, target string, form url.Values) *response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, b.e.abs(target), body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range b.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), URL: req.URL.String()}
}

// TestRedirectsStayOnSite: every redirect target a visitor can choose (the
// language switch's next, the login's next) lands on this site, whatever
// trick the target tries.
func TestRedirectsStayOnSite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	home, _ := url.Parse(e.url)
	bypasses := []string{
		"/\t/evil.example/x",
		"/\tevil.example",
		"/\r/evil.example",
		"/\n/evil.example",
		"\t//evil.example",
		`\evil.example`,
		`/\evil.example`,
		`/\t\evil.example`,
		"/\t\\evil.example",
		"//evil.example",
		"///evil.example",
		"/%2f%2fevil.example",
		"/%2F/evil.example",
		"/%09/evil.example/x",
		"/%09%5Cevil.example",
		"%2f%2fevil.example",
		"https://evil.example/",
		"https:evil.example",
		"javascript:alert(1)",
		"evil.example",
		"/\u2215evil.example",
		"/\uff0fevil.example",
		"\u2215\u2215evil.example",
		"\uff0f\uff0fevil.example",
		"/ /evil.example",
		"/\x00/evil.example",
		"/\x7f/evil.example",
	}
	check := func(t *testing.T, r *response, next string) {
		t.Helper()
		if r.Status != http.StatusSeeOther {
			t.Fatalf("status = %d, want 303", r.Status)
		}
		loc := r.Header.Get("Location")
		got := browserTarget(t, r.URL, loc)
		if got.Host != home.Host || got.Scheme != home.Scheme {
			t.Errorf("next=%q: Location %q takes a browser to %s", next, loc, got)
		}
		if strings.ContainsAny(loc, "\t\r\n\\") || strings.ContainsRune(loc, 0) {
			t.Errorf("next=%q: Location %q carries a control character or backslash", next, loc)
		}
	}
	for _, next := range bypasses {
		t.Run("lang "+url.QueryEscape(next), func(t *testing.T) {
			check(t, e.browser().raw(t, http.MethodGet, "/lang?l=en&next="+url.QueryEscape(next), nil), next)
		})
		t.Run("login "+url.QueryEscape(next), func(t *testing.T) {
			b := e.browser()
			b.get("/login")
			form := url.Values{"email": {e.viewer.Email}, "password": {e.viewer.Password}, "next": {next}, "_csrf": {b.csrf}}
			check(t, b.raw(t, http.MethodPost, "/login", form), next)
		})
	}
	// A genuine target survives, query and all.
	for _, next := range []string{"/companies/1/vouchers?q=a%2Fb&page=2", "/settings"} {
		if loc := e.browser().get("/lang?l=sv&next=" + url.QueryEscape(next)).Header.Get("Location"); loc != next {
			t.Errorf("lang next=%q: Location = %q, want it kept", next, loc)
		}
	}
}

// TestLoginMessages: a failed login says so in words, with no formatting
// debris, in every language.
func TestLoginMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, lang := range []string{"en", "sv"} {
		b := e.browser()
		b.get("/lang?l=" + lang + "&next=/login")
		r := b.post("/login", url.Values{"email": {e.viewer.Email}, "password": {"wrong password here"}})
		wantStatus(t, "POST /login "+lang, r, http.StatusUnauthorized)
		if strings.Contains(r.Text(), "%!") {
			t.Errorf("%s: failed login page has formatting debris: %q", lang, r.Text())
		}
	}
}

// TestLoginCostsTheSameForEveryAddress: an unknown address is checked
// against a hash of the same Argon2 parameters as a real account's, and a
// real account's hash made with other parameters is remade with the
// current ones at its next login, so the two never differ for long.
func TestLoginCostsTheSameForEveryAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	dummy, err := e.srv.DummyHash()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := password.Params(dummy); err != nil || got != fastHasher {
		t.Errorf("dummy hash parameters = %+v, %v; want the server's %+v", got, err, fastHasher)
	}
	// An account whose hash is older and cheaper than the server's.
	old := password.Hasher{Time: 1, Memory: 1024, Threads: 1}
	u := e.viewer.User
	if u.PasswordHash, err = old.Hash(e.viewer.Password); err != nil {
		t.Fatal(err)
	}
	if err := e.db.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.get("/login")
	wantStatus(t, "wrong password", b.post("/login", url.Values{"email": {u.Email}, "password": {"not the password at all"}}), http.StatusUnauthorized)
	if got := hashParams(t, e, u.ID); got != old {
		t.Errorf("after a failed login the hash parameters = %+v, want them unchanged %+v", got, old)
	}
	e.browser().login(e.viewer)
	if got := hashParams(t, e, u.ID); got != fastHasher {
		t.Errorf("after a login the hash parameters = %+v, want the server's %+v", got, fastHasher)
	}
	e.browser().login(e.viewer)
}

func hashParams(t *testing.T, e *env, id int64) password.Hasher {
	t.Helper()
	u, err := e.db.User(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := password.Params(u.PasswordHash)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// copyCookies gives a fresh browser b's cookies: a stolen or copied login.
func (b *browser) copyCookies() *browser {
	b.e.t.Helper()
	c := b.e.browser()
	u, _ := url.Parse(b.e.url)
	c.c.Jar.SetCookies(u, b.c.Jar.Cookies(u))
	return c
}

// wantLoggedIn says whether b is logged in: the dashboard answers, or
// sends it to the login page.
func wantLoggedIn(t *testing.T, what string, b *browser, want bool) {
	t.Helper()
	r := b.get("/")
	switch {
	case want && r.Status != http.StatusOK:
		t.Errorf("%s: GET / = %d (Location %q), want 200: the session should be alive", what, r.Status, r.Header.Get("Location"))
	case !want && (r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login")):
		t.Errorf("%s: GET / = %d (Location %q), want 303 to /login: the session should have ended", what, r.Status, r.Header.Get("Location"))
	}
}

// TestLogoutEndsTheSession: a copy of the session cookie is worthless
// once its owner logs out.
func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)
	other := e.loggedIn(e.viewer)
	stolen := b.copyCookies()
	wantLoggedIn(t, "copied cookie before logout", stolen, true)
	wantStatus(t, "POST /logout", b.post("/logout", nil), http.StatusSeeOther)
	wantLoggedIn(t, "after logout", b, false)
	wantLoggedIn(t, "copied cookie after logout", stolen, false)
	wantLoggedIn(t, "the user's other browser", other, true)
}

// TestAdminChangesEndSessions: a password the admin sets or resets, and a
// role the admin changes, end every session of that user, and the admin
// is told so.
func TestAdminChangesEndSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.loggedIn(e.admin)
	id := itoa(e.analyst.ID)
	form := func(role, pass string) url.Values {
		return url.Values{"name": {e.analyst.Name}, "role": {role}, "active": {"1"}, "password": {pass}}
	}
	tests := []struct {
		name, path string
		form       url.Values
		ends       bool
	}{
		{"name only", "/admin/users/" + id, form(db.RoleAnalyst, ""), false},
		{"reset", "/admin/users/" + id + "/reset-password", url.Values{}, true},
		{"new password", "/admin/users/" + id, form(db.RoleAnalyst, "a brand new passphrase 42"), true},
		{"role", "/admin/users/" + id, form(db.RoleViewer, ""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := e.db.User(t.Context(), e.analyst.ID)
			if err != nil {
				t.Fatal(err)
			}
			// Log in with whatever the password is now.
			pass := "known password for the test"
			if u.PasswordHash, err = fastHasher.Hash(pass); err != nil {
				t.Fatal(err)
			}
			if err := e.db.UpdateUser(t.Context(), u); err != nil {
				t.Fatal(err)
			}
			victim := e.loggedIn(person{User: u, Password: pass})
			stolen := victim.copyCookies()
			r := admin.post(tt.path, tt.form)
			wantStatus(t, "POST "+tt.path, r, http.StatusSeeOther)
			page := admin.follow(r)
			wantLoggedIn(t, "the user's browser", victim, !tt.ends)
			wantLoggedIn(t, "a copy of its cookie", stolen, !tt.ends)
			said := strings.Contains(page.Text(), words().Translate("en", "admin.user.sessions.ended"))
			if said != tt.ends {
				t.Errorf("the admin's page says the sessions ended: %v, want %v\n%s", said, tt.ends, page.Text())
			}
		})
	}
	wantLoggedIn(t, "the admin", admin, true)
}

// TestIdleSessionsEnd: a session unused for 2 hours ends, a used one lives
// to its absolute 12 hours, and a copy of the cookie ends with it.
func TestIdleSessionsEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)
	stolen := b.copyCookies()
	for range 5 {
		e.clock.Advance(time.Hour + 59*time.Minute)
		wantLoggedIn(t, "used within 2 hours", b, true)
	}
	e.clock.Advance(2*time.Hour + time.Second)
	wantLoggedIn(t, "unused for 2 hours", b, false)
	wantLoggedIn(t, "copy of an idle session", stolen, false)

	b = e.loggedIn(e.viewer)
	for range 11 {
		e.clock.Advance(time.Hour)
		wantLoggedIn(t, "used every hour", b, true)
	}
	e.clock.Advance(time.Hour + time.Second)
	wantLoggedIn(t, "after 12 hours", b, false)
}

// TestLastSeenIsWrittenOnceAMinute: a request within a minute of the last
// write of a session's last use writes nothing, so the idle clock runs
// from that write.
func TestLastSeenIsWrittenOnceAMinute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)
	e.clock.Advance(30 * time.Second)
	wantLoggedIn(t, "30 s after login", b, true)
	e.clock.Advance(2*time.Hour - 29*time.Second)
	wantLoggedIn(t, "2 h after the login, less than 2 h after the last request", b, false)

	b = e.loggedIn(e.viewer)
	e.clock.Advance(61 * time.Second)
	wantLoggedIn(t, "61 s after login", b, true)
	e.clock.Advance(2*time.Hour - 30*time.Second)
	wantLoggedIn(t, "less than 2 h after a recorded request", b, true)
}

// TestLoggedInAnswersAreNotStored: no cache keeps a page or API answer
// meant for one logged-in person, and the page policy allows no plugins.
func TestLoggedInAnswersAreNotStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, analyst := e.loggedIn(e.admin), e.loggedIn(e.analyst)
	co := "/companies/" + itoa(e.fj.ID)
	for _, tt := range []struct {
		b    *browser
		path string
	}{
		{admin, "/"}, {admin, "/settings"}, {admin, "/admin/users"}, {admin, "/admin/users/" + itoa(e.viewer.ID)},
		{admin, "/admin/companies"}, {analyst, co}, {analyst, co + "/vouchers"}, {analyst, co + "/sync/status"},
		{analyst, "/companies/" + itoa(e.hidden.ID)}, {analyst, "/admin/users"},
	} {
		r := tt.b.get(tt.path)
		if got := r.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
			t.Errorf("GET %s (status %d): Cache-Control = %q, want no-store", tt.path, r.Status, got)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "object-src 'none'") {
			t.Errorf("GET %s: Content-Security-Policy = %q, want object-src 'none'", tt.path, csp)
		}
	}
	token := e.tokenFor(e.analyst)
	for _, path := range []string{"/api/v1/companies", "/api/v1/companies/" + itoa(e.fj.ID) + "/vouchers", "/api/v1/companies/" + itoa(e.hidden.ID) + "/vouchers"} {
		if got := e.api(t, token, path).Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
			t.Errorf("GET %s: Cache-Control = %q, want no-store", path, got)
		}
	}
}

// TestHostCookiesOnHTTPS: behind an https base URL every cookie Bilag sets
// is a __Host- cookie (Secure, Path=/, no Domain), so no sibling host can
// plant or overwrite one, and the login still works with them.
func TestHostCookiesOnHTTPS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base, _ := url.Parse("https://bilag.example")
	srv, _ := newPortal(t,
		server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{e.conn.Name(): e.conn}, Now: e.clock.Now})
	jar := map[string]string{}
	do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, "https://bilag.example"+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range jar {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		for _, c := range w.Result().Cookies() {
			if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || c.Path != "/" || c.Domain != "" {
				t.Errorf("%s %s sets cookie %s (Secure %v, Path %q, Domain %q), want a __Host- cookie", method, path, c.Name, c.Secure, c.Path, c.Domain)
			}
			jar[c.Name] = c.Value
		}
		return w
	}
	do(http.MethodGet, "/lang?l=sv&next=/login", nil)
	page := do(http.MethodGet, "/login", nil)
	m := csrfRe.FindStringSubmatch(page.Body.String())
	if m == nil {
		t.Fatal("login page has no _csrf field")
	}
	r := do(http.MethodPost, "/login", url.Values{"email": {e.viewer.Email}, "password": {e.viewer.Password}, "_csrf": {html.UnescapeString(m[1])}})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/" {
		t.Fatalf("POST /login = %d (Location %q), want 303 to /", r.Code, r.Header().Get("Location"))
	}
	if r := do(http.MethodGet, "/", nil); r.Code != http.StatusOK {
		t.Errorf("GET / after login = %d, want 200", r.Code)
	}
	if len(jar) < 2 {
		t.Errorf("cookies set: %v, want the session and CSRF cookies", jar)
	}
}

// TestAdminFormRefusesWeakPasswords: the admin's user form applies the
// password policy, with a message at the field.
func TestAdminFormRefusesWeakPasswords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.loggedIn(e.admin)
	for _, tt := range []struct{ pass, key string }{
		{"password1234", "err.password.common"},
		{"Sunshine2024!", "err.password.common"},
		{"vera viewer is me", "err.password.personal"},
		{"tiny", "err.password.short"},
	} {
		r := admin.post("/admin/users/"+itoa(e.viewer.ID), url.Values{"name": {e.viewer.Name}, "role": {db.RoleViewer}, "active": {"1"}, "password": {tt.pass}})
		wantStatus(t, "POST user "+tt.pass, r, http.StatusUnprocessableEntity)
		if got, want := fieldErrors(r.Body)["password"], words().Translate("en", tt.key); got != want {
			t.Errorf("password %q: field error %q, want %q", tt.pass, got, want)
		}
		r = admin.post("/admin/users", url.Values{"name": {"Vera Ny"}, "email": {"nina@firm.test"}, "role": {db.RoleViewer}, "password": {tt.pass}})
		wantStatus(t, "POST new user "+tt.pass, r, http.StatusUnprocessableEntity)
	}
}

// TestChangeOwnPassword: on the Settings page a person changes their own
// password, proving the current one; their other sessions end, this one
// stays, and only the new password logs in. The form has a CSRF token
// like every other.
func TestChangeOwnPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)
	other := e.loggedIn(e.viewer)
	stolen := other.copyCookies()
	page := b.get("/settings")
	wantStatus(t, "GET /settings", page, http.StatusOK)
	if !strings.Contains(page.Body, `action="/settings/password"`) {
		t.Fatal("the settings page has no password form")
	}
	const fresh = "marble tundra lantern 93"
	for _, tt := range []struct {
		name, current, next, confirm, field, key string
	}{
		{"wrong current", "not my password at all", fresh, fresh, "current_password", "settings.password.wrong"},
		{"common", e.viewer.Password, "password1234", "password1234", "new_password", "err.password.common"},
		{"own name", e.viewer.Password, "vera is my name ok", "vera is my name ok", "new_password", "err.password.personal"},
		{"short", e.viewer.Password, "tiny", "tiny", "new_password", "err.password.short"},
		{"mismatch", e.viewer.Password, fresh, fresh + "x", "new_password_confirm", "settings.password.mismatch"},
	} {
		r := b.post("/settings/password", url.Values{"current_password": {tt.current}, "new_password": {tt.next}, "new_password_confirm": {tt.confirm}})
		wantStatus(t, tt.name, r, http.StatusUnprocessableEntity)
		if got, want := fieldErrors(r.Body)[tt.field], words().Translate("en", tt.key); got != want {
			t.Errorf("%s: message at %s = %q, want %q (all %v)", tt.name, tt.field, got, want, fieldErrors(r.Body))
		}
	}
	wantLoggedIn(t, "after refused changes, the other browser", other, true)

	// Without the form's CSRF token the change is refused.
	r := b.do(http.MethodPost, "/settings/password", url.Values{"current_password": {e.viewer.Password}, "new_password": {fresh}, "new_password_confirm": {fresh}}, nil)
	if r.Status != http.StatusForbidden {
		t.Errorf("POST without a CSRF token = %d, want 403", r.Status)
	}

	r = b.post("/settings/password", url.Values{"current_password": {e.viewer.Password}, "new_password": {fresh}, "new_password_confirm": {fresh}})
	wantStatus(t, "change password", r, http.StatusSeeOther)
	wantText(t, "after the change", b.follow(r), words().Translate("en", "settings.password.changed"))
	wantLoggedIn(t, "the browser that changed it", b, true)
	wantLoggedIn(t, "the user's other browser", other, false)
	wantLoggedIn(t, "a copy of the other browser's cookie", stolen, false)

	old := e.browser()
	old.get("/login")
	wantStatus(t, "login with the old password", old.post("/login", url.Values{"email": {e.viewer.Email}, "password": {e.viewer.Password}}), http.StatusUnauthorized)
	e.loggedIn(person{User: e.viewer.User, Password: fresh})
}
