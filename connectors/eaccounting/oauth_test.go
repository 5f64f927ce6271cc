package eaccounting

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"

	"golang.org/x/oauth2"
)

const testCallback = "https://bilag.example/connect/eaccounting/callback"

func TestOpen(t *testing.T) {
	c, err := Config{ClientID: "id", ClientSecret: "secret"}.Open(nil, nil)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if c.cfg.AuthURL != DefaultAuthURL || c.cfg.TokenURL != DefaultTokenURL || c.cfg.RevokeURL != DefaultRevokeURL ||
		c.cfg.Issuer != DefaultIssuer || c.cfg.APIURL != DefaultAPIURL || c.cfg.RateLimit != DefaultRateLimit {
		t.Errorf("Open() defaults = %v", c.cfg)
	}
	if !slices.Equal(c.cfg.Scopes, DefaultScopes()) {
		t.Errorf("Open() scopes = %v, want %v", c.cfg.Scopes, DefaultScopes())
	}
	if c.Name() != "eaccounting" {
		t.Errorf("Name() = %q", c.Name())
	}

	tests := []struct {
		name string
		cfg  Config
	}{
		{"no client id", Config{ClientSecret: "s"}},
		{"no client secret", Config{ClientID: "i"}},
		{"relative api url", Config{ClientID: "i", ClientSecret: "s", APIURL: "/v2"}},
		{"odd scheme", Config{ClientID: "i", ClientSecret: "s", TokenURL: "ftp://x/token"}},
		{"negative rate", Config{ClientID: "i", ClientSecret: "s", RateLimit: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.cfg.Open(nil, nil); err == nil {
				t.Errorf("Open() = nil error, want one")
			}
		})
	}
}

func TestLoginURL(t *testing.T) {
	c, _ := newTestConnector(t, http.NewServeMux())
	verifier := oauth2.GenerateVerifier()
	raw, err := c.LoginURL(testCallback, "state-123", verifier)
	if err != nil {
		t.Fatalf("LoginURL() = %v", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != c.cfg.AuthURL {
		t.Errorf("LoginURL() endpoint = %q, want %q", got, c.cfg.AuthURL)
	}
	sum := sha256.Sum256([]byte(verifier))
	want := map[string]string{
		"client_id":             testClientID,
		"redirect_uri":          testCallback,
		"response_type":         "code",
		"scope":                 "ea:api offline_access ea:accounting_readonly ea:purchase_readonly ea:sales_readonly",
		"state":                 "state-123",
		"code_challenge":        base64.RawURLEncoding.EncodeToString(sum[:]),
		"code_challenge_method": "S256",
		"prompt":                "select_account",
		"acr_values":            "service:44643EB1-3F76-4C1C-A672-402AE8085934",
	}
	q := u.Query()
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("LoginURL() %s = %q, want %q", k, got, v)
		}
	}
	if q.Has("client_secret") || strings.Contains(raw, testClientSecret) || strings.Contains(raw, verifier) {
		t.Errorf("LoginURL() = %q leaks a secret", raw)
	}

	bad := []struct{ name, callback, state, verifier string }{
		{"relative callback", "/callback", "s", verifier},
		{"no state", testCallback, "", verifier},
		{"short verifier", testCallback, "s", "abc"},
		{"verifier with bad characters", testCallback, "s", strings.Repeat("a", 42) + "+"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.LoginURL(tt.callback, tt.state, tt.verifier); err == nil {
				t.Errorf("LoginURL() = nil error, want one")
			}
		})
	}
}

// tokenServer is a fake identity server: it checks client authentication and
// PKCE, issues codes' tokens and rotates refresh tokens, each usable once.
type tokenServer struct {
	t         *testing.T
	challenge string
	omitScope bool
	rotate    bool

	mu    sync.Mutex
	live  map[string]bool // refresh tokens still usable
	seq   int
	calls atomic.Int32
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	id, secret, ok := r.BasicAuth()
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if !ok || id != testClientID || secret != testClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		s.t.Errorf("token request Content-Type = %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		s.t.Fatal(err)
	}
	if r.PostForm.Has("client_secret") {
		s.t.Errorf("token request has client_secret in the body; want Basic only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "good-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != s.challenge ||
			r.PostForm.Get("redirect_uri") != testCallback {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "code or verifier wrong"})
			return
		}
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if !s.live[rt] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		if s.rotate {
			delete(s.live, rt)
		}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	s.seq++
	resp := map[string]any{
		"access_token": fmt.Sprintf("access-%d", s.seq),
		"token_type":   "Bearer",
		"expires_in":   3600,
	}
	if !s.omitScope {
		resp["scope"] = "ea:api offline_access ea:accounting_readonly"
	}
	if s.rotate || r.PostForm.Get("grant_type") == "authorization_code" {
		rt := fmt.Sprintf("refresh-%d", s.seq)
		s.live[rt] = true
		resp["refresh_token"] = rt
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestHandleCallbackRefusals(t *testing.T) {
	ts := &tokenServer{t: t, live: map[string]bool{}}
	mux := http.NewServeMux()
	mux.Handle("POST /connect/token", ts)
	c, srv := newTestConnector(t, mux)

	tests := []struct {
		name  string
		query url.Values
		want  error
	}{
		{"declined", url.Values{"error": {"access_denied"}, "state": {"s"}}, connectors.ErrAccessDenied},
		{"declined from another issuer still reads as declined", url.Values{"error": {"access_denied"}, "iss": {"https://evil.example"}}, connectors.ErrAccessDenied},
		{"other error", url.Values{"error": {"server_error"}, "error_description": {"<script>secret detail</script>"}}, connectors.ErrBadCallback},
		{"wrong issuer", url.Values{"code": {"good-code"}, "iss": {"https://evil.example"}}, connectors.ErrIssuerMismatch},
		{"empty issuer", url.Values{"code": {"good-code"}, "iss": {""}}, connectors.ErrIssuerMismatch},
		// Visma always sends iss (RFC 9207 §2.4): a response without is refused.
		{"no issuer", url.Values{"code": {"good-code"}, "state": {"s"}}, connectors.ErrIssuerMismatch},
		{"no code", url.Values{"iss": {srv.URL}, "state": {"s"}}, connectors.ErrBadCallback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.HandleCallback(t.Context(), testCallback, tt.query, oauth2.GenerateVerifier())
			if !errors.Is(err, tt.want) {
				t.Errorf("HandleCallback() = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret detail") {
				t.Errorf("HandleCallback() = %q repeats error_description", err)
			}
		})
	}
	if n := ts.calls.Load(); n != 0 {
		t.Errorf("token endpoint called %d times on refused callbacks, want 0", n)
	}
}

func TestHandleCallbackExchange(t *testing.T) {
	for _, omitScope := range []bool{false, true} {
		t.Run(fmt.Sprintf("omit scope %v", omitScope), func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			ts := &tokenServer{t: t, challenge: challengeOf(verifier), omitScope: omitScope, live: map[string]bool{}}
			mux := http.NewServeMux()
			mux.Handle("POST /connect/token", ts)
			c, srv := newTestConnector(t, mux)

			g, err := c.HandleCallback(t.Context(), testCallback, url.Values{"code": {"good-code"}, "state": {"s"}, "iss": {srv.URL}}, verifier)
			if err != nil {
				t.Fatalf("HandleCallback() = %v", err)
			}
			if want := testNow.Add(time.Hour); !g.Expiry.Equal(want) {
				t.Errorf("Grant.Expiry = %v, want %v", g.Expiry, want)
			}
			wantScopes := []string{"ea:api", "offline_access", "ea:accounting_readonly"}
			if omitScope {
				wantScopes = DefaultScopes()
			}
			if !slices.Equal(g.Scopes, wantScopes) {
				t.Errorf("Grant.Scopes = %v, want %v", g.Scopes, wantScopes)
			}
			var tok token
			if err := json.Unmarshal(g.Data, &tok); err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "access-1" || tok.RefreshToken != "refresh-1" || tok.TokenType != "Bearer" || !tok.Expiry.Equal(g.Expiry) {
				t.Errorf("Grant.Data = %+v", tok)
			}

			// A wrong verifier is what a stolen code looks like.
			_, err = c.HandleCallback(t.Context(), testCallback, url.Values{"code": {"good-code"}, "iss": {srv.URL}}, oauth2.GenerateVerifier())
			if !errors.Is(err, connectors.ErrGrantRevoked) {
				t.Errorf("HandleCallback(wrong verifier) = %v, want ErrGrantRevoked", err)
			}
		})
	}
}

func TestTokenEndpointFaults(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		want      error
		wantRetry time.Duration
	}{
		{"invalid_grant", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		}, connectors.ErrGrantRevoked, 0},
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "oops", http.StatusBadGateway)
		}, connectors.ErrUnavailable, 0},
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			writeAPIError(w, http.StatusTooManyRequests, 4010, quotaMessage)
		}, connectors.ErrRateLimited, 55 * time.Second},
		{"rate limited with Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		}, connectors.ErrRateLimited, 7 * time.Second},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			// Reading the body lets the server notice the client hang up.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}, connectors.ErrUnavailable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("POST /connect/token", tt.handler)
			c, srv := newTestConnector(t, mux)
			c.client.Timeout = 100 * time.Millisecond

			_, err := c.HandleCallback(t.Context(), testCallback, url.Values{"code": {"c"}, "iss": {srv.URL}}, oauth2.GenerateVerifier())
			if !errors.Is(err, tt.want) {
				t.Fatalf("HandleCallback() = %v, want %v", err, tt.want)
			}
			_, err = c.Refresh(t.Context(), testGrant(t))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Refresh() = %v, want %v", err, tt.want)
			}
			if tt.wantRetry > 0 {
				var rl *connectors.RateLimitError
				if !errors.As(err, &rl) || rl.RetryAfter != tt.wantRetry {
					t.Errorf("Refresh() = %v, want RateLimitError after %v", err, tt.wantRetry)
				}
			}
			assertNoSecret(t, err.Error(), testRefresh, testClientSecret)
		})
	}
}

func TestRefreshRotates(t *testing.T) {
	ts := &tokenServer{t: t, rotate: true, live: map[string]bool{testRefresh: true}}
	mux := http.NewServeMux()
	mux.Handle("POST /connect/token", ts)
	c, _ := newTestConnector(t, mux)

	old := testGrant(t)
	old.Scopes = []string{"ea:api", "offline_access"}
	g, err := c.Refresh(t.Context(), old)
	if err != nil {
		t.Fatalf("Refresh() = %v", err)
	}
	tok, err := readGrant(g)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "access-1" || tok.RefreshToken != "refresh-1" {
		t.Errorf("Refresh() tokens = %q, %q; want access-1, refresh-1", tok.AccessToken, tok.RefreshToken)
	}
	if !g.Expiry.Equal(testNow.Add(time.Hour)) {
		t.Errorf("Refresh() expiry = %v", g.Expiry)
	}
	if want := []string{"ea:api", "offline_access", "ea:accounting_readonly"}; !slices.Equal(g.Scopes, want) {
		t.Errorf("Refresh() scopes = %v, want %v", g.Scopes, want)
	}

	// The old refresh token died with its use.
	if _, err := c.Refresh(t.Context(), old); !errors.Is(err, connectors.ErrGrantRevoked) {
		t.Errorf("Refresh(spent token) = %v, want ErrGrantRevoked", err)
	}
	// The new one works, once.
	g2, err := c.Refresh(t.Context(), g)
	if err != nil {
		t.Fatalf("Refresh(new grant) = %v", err)
	}
	if tok2, _ := readGrant(g2); tok2.RefreshToken != "refresh-2" {
		t.Errorf("second Refresh() refresh token = %q, want refresh-2", tok2.RefreshToken)
	}
}

func TestRefreshWithoutRotationKeepsToken(t *testing.T) {
	ts := &tokenServer{t: t, rotate: false, omitScope: true, live: map[string]bool{testRefresh: true}}
	mux := http.NewServeMux()
	mux.Handle("POST /connect/token", ts)
	c, _ := newTestConnector(t, mux)

	old := testGrant(t)
	old.Scopes = []string{"ea:api"}
	g, err := c.Refresh(t.Context(), old)
	if err != nil {
		t.Fatalf("Refresh() = %v", err)
	}
	tok, _ := readGrant(g)
	if tok.RefreshToken != testRefresh {
		t.Errorf("Refresh() refresh token = %q, want the old one kept", tok.RefreshToken)
	}
	if !slices.Equal(g.Scopes, old.Scopes) {
		t.Errorf("Refresh() scopes = %v, want the grant's %v", g.Scopes, old.Scopes)
	}
}

func TestRefreshWithoutRefreshToken(t *testing.T) {
	c, _ := newTestConnector(t, http.NewServeMux())
	data, _ := json.Marshal(token{AccessToken: "a"})
	if _, err := c.Refresh(t.Context(), connectors.Grant{Data: data}); !errors.Is(err, connectors.ErrGrantRevoked) {
		t.Errorf("Refresh() = %v, want ErrGrantRevoked", err)
	}
}

func TestRevoke(t *testing.T) {
	var fail atomic.Int32
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/revocation", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if fail.Add(-1) >= 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		id, secret, _ := r.BasicAuth()
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if id != testClientID || secret != testClientSecret {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			return
		}
		_ = r.ParseForm()
		if r.PostForm.Get("token") != testRefresh || r.PostForm.Get("token_type_hint") != "refresh_token" {
			t.Errorf("revocation form = %v", r.PostForm)
		}
		w.WriteHeader(http.StatusOK)
	})
	c, _ := newTestConnector(t, mux)

	if err := c.Revoke(t.Context(), testGrant(t)); err != nil {
		t.Errorf("Revoke() = %v", err)
	}

	// A passing outage is retried.
	fail.Store(1)
	calls.Store(0)
	if err := c.Revoke(t.Context(), testGrant(t)); err != nil || calls.Load() != 2 {
		t.Errorf("Revoke() after one 503 = %v in %d calls, want nil in 2", err, calls.Load())
	}
	// A lasting one is reported.
	fail.Store(10)
	err := c.Revoke(t.Context(), testGrant(t))
	if !errors.Is(err, connectors.ErrUnavailable) {
		t.Errorf("Revoke() during outage = %v, want ErrUnavailable", err)
	}

	bad, _ := newTestConnector(t, mux, func(c *Config) { c.ClientSecret = "wrong" })
	fail.Store(0)
	if err := bad.Revoke(t.Context(), testGrant(t)); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("Revoke() with wrong secret = %v, want invalid_client", err)
	}
}

func TestSecretsRedacted(t *testing.T) {
	tok := token{AccessToken: testAccess, RefreshToken: testRefresh}
	cfg := Config{ClientID: "id", ClientSecret: testClientSecret}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("x", "token", tok, "config", cfg, "grant", testGrant(t))
	out := buf.String() + fmt.Sprint(tok) + fmt.Sprintf("%v %+v %#v", tok, &tok, tok) + fmt.Sprint(cfg) + fmt.Sprintf("%#v", cfg)
	assertNoSecret(t, out, testAccess, testRefresh, testClientSecret)
	if !strings.Contains(out, "[redacted]") {
		t.Errorf("redacted output = %q, want [redacted]", out)
	}
}
