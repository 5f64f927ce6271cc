package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, WithBaseURL("https://identity.sandbox.example"))
	resp, err := e.hc.Get(e.srv.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                 "https://identity.sandbox.example",
		"authorization_endpoint": "https://identity.sandbox.example/connect/authorize",
		"token_endpoint":         "https://identity.sandbox.example/connect/token",
		"revocation_endpoint":    "https://identity.sandbox.example/connect/revocation",
		"authorization_response_iss_parameter_supported": true,
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("discovery %s = %v, want %v", k, doc[k], v)
		}
	}
}

func TestAuthorizeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		params     url.Values
		wantStatus int
		wantError  string // error in the redirect; "" when no redirect is allowed
	}{
		{"unknown client", url.Values{"client_id": {"nope"}}, http.StatusBadRequest, ""},
		{"wrong redirect uri", url.Values{"redirect_uri": {testRedirect + "/x"}}, http.StatusBadRequest, ""},
		{"redirect uri prefix only", url.Values{"redirect_uri": {"https://portal.example/connect"}}, http.StatusBadRequest, ""},
		{"implicit flow", url.Values{"response_type": {"token"}}, http.StatusFound, "unsupported_response_type"},
		{"unknown scope", url.Values{"scope": {"ea:api ea:everything"}}, http.StatusFound, "invalid_scope"},
		{"bad pkce method", url.Values{"code_challenge": {pkce(testVerifier)}, "code_challenge_method": {"S512"}}, http.StatusFound, "invalid_request"},
		{"prompt none", url.Values{"prompt": {"none"}}, http.StatusFound, "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.authorize(tt.params)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d", r.status, tt.wantStatus)
			}
			if tt.wantError == "" {
				if r.redirect != nil {
					t.Fatalf("redirected to %s; an invalid client or redirect URI must not redirect", r.redirect)
				}
				return
			}
			q := r.redirect.Query()
			if q.Get("error") != tt.wantError || q.Get("state") != "st-123" || q.Get("iss") != e.srv.URL {
				t.Errorf("redirect = %s, want error=%s with state and iss", r.redirect, tt.wantError)
			}
		})
	}
}

func companySettings(t *testing.T, e *env, token string) (name, org string) {
	t.Helper()
	var cs struct{ Name, CorporateIdentityNumber string }
	if st, ae := e.get(token, "/v2/companysettings", &cs); st != http.StatusOK {
		t.Fatalf("companysettings = %d %+v", st, ae)
	}
	return cs.Name, cs.CorporateIdentityNumber
}

// TestDefaultCompanyTrap shows seed 002's trap: without prompt=select_account
// Anna's default company is chosen silently.
func TestDefaultCompanyTrap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.authorize(nil)
	r = e.post("/connect/authorize/login", url.Values{"flow": {flowID(t, r.page)}, "email": {"anna.lindqvist@example.se"}, "password": {"anna123"}})
	if !strings.Contains(r.page, "Allow access?") || !strings.Contains(r.page, "Fjällbacka Snickeri AB") {
		t.Fatalf("without select_account the default company should go straight to consent, got:\n%s", r.page)
	}

	r = e.authorize(url.Values{"prompt": {"select_account"}})
	r = e.post("/connect/authorize/login", url.Values{"flow": {flowID(t, r.page)}, "email": {"anna.lindqvist@example.se"}, "password": {"anna123"}})
	if !strings.Contains(r.page, "Choose company") || !strings.Contains(r.page, "Norrsken Design AB") {
		t.Fatalf("prompt=select_account must show the picker, got:\n%s", r.page)
	}

	tok := e.connect("anna.lindqvist@example.se", "559104-3210", allScopes)
	if name, org := companySettings(t, e, tok.AccessToken); org != "559104-3210" {
		t.Errorf("token company = %s %s, want Norrsken Design AB", name, org)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.authorize(nil)
	r = e.post("/connect/authorize/login", url.Values{"flow": {flowID(t, r.page)}, "email": {"anna.lindqvist@example.se"}, "password": {"wrong"}})
	if !strings.Contains(r.page, "Wrong e-mail or password") {
		t.Errorf("wrong password page:\n%s", r.page)
	}
	if !strings.Contains(r.page, "erik.berg@example.se") {
		t.Error("the login page should list the demo users")
	}
}

func TestConsentDenied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.login(nil, "ingrid.nilsen@example.no", "915238475", "deny")
	if r.redirect == nil {
		t.Fatalf("deny did not redirect: %d", r.status)
	}
	q := r.redirect.Query()
	if q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("iss") != e.srv.URL || q.Get("code") != "" {
		t.Errorf("deny redirect = %s", r.redirect)
	}
}

func TestCodeExchangeRules(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, WithClock(clk.Now))
	code := func(params url.Values) string {
		t.Helper()
		r := e.login(params, "ingrid.nilsen@example.no", "915238475", "allow")
		q := r.redirect.Query()
		if q.Get("state") != "st-123" || q.Get("iss") != e.srv.URL {
			t.Fatalf("callback lacks state or iss: %s", r.redirect)
		}
		return q.Get("code")
	}
	withPKCE := url.Values{"code_challenge": {pkce(testVerifier)}, "code_challenge_method": {"S256"}}
	exchange := func(c, redirect, verifier string) tokenResp {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}}
		if verifier != "" {
			f.Set("code_verifier", verifier)
		}
		return e.tokenRequest(f)
	}

	t.Run("happy path", func(t *testing.T) {
		tr := exchange(code(withPKCE), testRedirect, testVerifier)
		if tr.status != 200 || tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || tr.RefreshToken == "" || tr.AccessToken == "" {
			t.Errorf("token response = %+v", tr)
		}
	})
	t.Run("reused code is refused and revokes the first tokens", func(t *testing.T) {
		c := code(withPKCE)
		first := exchange(c, testRedirect, testVerifier)
		if first.status != 200 {
			t.Fatalf("first exchange = %+v", first)
		}
		if again := exchange(c, testRedirect, testVerifier); again.status != 400 || again.Error != "invalid_grant" {
			t.Errorf("reused code = %d %s, want 400 invalid_grant", again.status, again.Error)
		}
		if st, ae := e.get(first.AccessToken, "/v2/companysettings", nil); st != 401 || ae.ErrorCode != 4005 {
			t.Errorf("token from a replayed code still works: %d %d", st, ae.ErrorCode)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		if tr := exchange(code(withPKCE), testRedirect, strings.Repeat("x", 50)); tr.Error != "invalid_grant" {
			t.Errorf("wrong verifier = %+v", tr)
		}
	})
	t.Run("missing verifier", func(t *testing.T) {
		if tr := exchange(code(withPKCE), testRedirect, ""); tr.Error != "invalid_grant" {
			t.Errorf("missing verifier = %+v", tr)
		}
	})
	t.Run("wrong redirect uri at the token endpoint", func(t *testing.T) {
		if tr := exchange(code(nil), "https://evil.example/cb", ""); tr.Error != "invalid_grant" {
			t.Errorf("wrong redirect = %+v", tr)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		c := code(nil)
		clk.Advance(6 * time.Minute)
		if tr := exchange(c, testRedirect, ""); tr.Error != "invalid_grant" {
			t.Errorf("expired code = %+v", tr)
		}
	})
	t.Run("client_secret_post", func(t *testing.T) {
		c := code(nil)
		f := url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect},
			"client_id": {e.owner.ID}, "client_secret": {e.owner.Secret}}
		resp, err := e.hc.PostForm(e.srv.URL+"/connect/token", f)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("client_secret_post = %d", resp.StatusCode)
		}
	})
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name        string
		contentType string
		body        string
		user, pass  string
		wantStatus  int
		wantError   string
	}{
		{"wrong secret", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=x", e.owner.ID, "nope", 401, "invalid_client"},
		{"no client", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=x", "", "", 401, "invalid_client"},
		{"json body", "application/json", `{"grant_type":"authorization_code"}`, e.owner.ID, e.owner.Secret, 400, "invalid_request"},
		{"unsupported grant", "application/x-www-form-urlencoded", "grant_type=password", e.owner.ID, e.owner.Secret, 400, "unsupported_grant_type"},
		{"unknown code", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=abc&redirect_uri=" + url.QueryEscape(testRedirect), e.owner.ID, e.owner.Secret, 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.srv.URL+"/connect/token", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			if tt.user != "" {
				req.SetBasicAuth(url.QueryEscape(tt.user), url.QueryEscape(tt.pass))
			}
			resp, err := e.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Error string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.wantStatus || body.Error != tt.wantError {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body.Error, tt.wantStatus, tt.wantError)
			}
		})
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.connect("ingrid.nilsen@example.no", "915238475", allScopes)
	refresh := func(rt string) tokenResp {
		return e.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	next := refresh(tok.RefreshToken)
	if next.status != 200 || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh = %+v, want a new refresh token", next)
	}
	if again := refresh(tok.RefreshToken); again.status != 400 || again.Error != "invalid_grant" {
		t.Errorf("reused refresh token = %d %s, want 400 invalid_grant", again.status, again.Error)
	}
	if st, _ := e.get(next.AccessToken, "/v2/companysettings", nil); st != 200 {
		t.Errorf("new access token = %d", st)
	}
	third := refresh(next.RefreshToken)
	if third.status != 200 {
		t.Fatalf("second refresh = %+v", third)
	}
	e.sb.RefuseNextRefresh()
	if r := refresh(third.RefreshToken); r.Error != "invalid_grant" {
		t.Errorf("refused refresh = %+v", r)
	}
	st := e.sb.Stats()
	if st.Refreshes != 2 || st.CodeExchanges != 1 || st.TokenRequests["refresh_token"] != 4 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.connect("ingrid.nilsen@example.no", "915238475", allScopes)
	resp, err := e.hc.Do(func() *http.Request {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.srv.URL+"/connect/revocation",
			strings.NewReader(url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(e.owner.ID), url.QueryEscape(e.owner.Secret))
		return req
	}())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revocation = %d", resp.StatusCode)
	}
	if st, ae := e.get(tok.AccessToken, "/v2/companysettings", nil); st != 401 || ae.ErrorCode != 4005 {
		t.Errorf("access token after revocation = %d %d, want 401 4005", st, ae.ErrorCode)
	}
	if r := e.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}); r.Error != "invalid_grant" {
		t.Errorf("refresh after revocation = %+v", r)
	}
	if e.sb.Stats().Revocations != 1 {
		t.Errorf("revocations = %d", e.sb.Stats().Revocations)
	}
}

func TestAccessTokenExpires(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, WithClock(clk.Now), WithTokenLifetime(2*time.Minute))
	tok := e.connect("ingrid.nilsen@example.no", "915238475", allScopes)
	if tok.ExpiresIn != 120 {
		t.Errorf("expires_in = %d, want 120", tok.ExpiresIn)
	}
	if st, _ := e.get(tok.AccessToken, "/v2/companysettings", nil); st != 200 {
		t.Fatalf("fresh token = %d", st)
	}
	clk.Advance(2 * time.Minute)
	if st, ae := e.get(tok.AccessToken, "/v2/companysettings", nil); st != 401 || ae.ErrorCode != 4005 {
		t.Errorf("expired token = %d %d, want 401 4005", st, ae.ErrorCode)
	}
	if st, ae := e.get("", "/v2/companysettings", nil); st != 401 || ae.ErrorCode != 4005 {
		t.Errorf("no token = %d %d, want 401 4005", st, ae.ErrorCode)
	}
}
