package sandbox

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// discoveryDoc fetches the OpenID configuration.
func discoveryDoc(t *testing.T, e *env) map[string]any {
	t.Helper()
	resp, err := e.hc.Get(e.srv.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery = %d", resp.StatusCode)
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestDiscoveryListsOnlyServedEndpoints: a client that follows the
// discovery document must reach every endpoint it names. Each is called as
// its specification says (POST for the back-channel ones, GET for the
// browser ones and the key set) without credentials, so the answer may be
// an error, but never "there is nothing here" (404) or "not this way" (405).
func TestDiscoveryListsOnlyServedEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	doc := discoveryDoc(t, e)
	post := map[string]bool{
		"token_endpoint": true, "revocation_endpoint": true, "introspection_endpoint": true,
		"device_authorization_endpoint": true, "backchannel_authentication_endpoint": true,
		"registration_endpoint": true, "pushed_authorization_request_endpoint": true,
	}
	n := 0
	for k, v := range doc {
		u, ok := v.(string)
		if !ok || k == "issuer" || !strings.HasPrefix(u, "http") {
			continue
		}
		if !strings.HasPrefix(u, e.srv.URL+"/") {
			t.Errorf("discovery %s = %s, outside the issuer %s", k, u, e.srv.URL)
			continue
		}
		n++
		method := http.MethodGet
		if post[k] {
			method = http.MethodPost
		}
		req, _ := http.NewRequestWithContext(t.Context(), method, u, nil)
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("discovery %s: %s %s = %d; the sandbox lists an endpoint it does not serve", k, method, u, resp.StatusCode)
		}
	}
	if n < 5 {
		t.Errorf("discovery lists only %d endpoints", n)
	}
}

// verifyIDToken checks an id_token as a relying party does: the header names
// RS256 and a key id, the key comes from the jwks_uri of the discovery
// document, and the signature over header.payload verifies with it. It
// returns the claims.
func verifyIDToken(t *testing.T, e *env, token string) (map[string]any, error) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("id_token has %d parts, want 3", len(parts))
	}
	var header struct{ Alg, Kid, Typ string }
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if header.Alg != "RS256" || header.Kid == "" {
		return nil, fmt.Errorf("header = %+v, want alg RS256 and a kid", header)
	}
	uri, _ := discoveryDoc(t, e)["jwks_uri"].(string)
	resp, err := e.hc.Get(uri)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kty, Use, Alg, Kid, N, E string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks_uri %s = %d, %v", uri, resp.StatusCode, err)
	}
	var pub *rsa.PublicKey
	for _, k := range set.Keys {
		if k.Kid != header.Kid {
			continue
		}
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			return nil, fmt.Errorf("key %s is %s/%s/%s, want an RSA signing key for RS256", k.Kid, k.Kty, k.Use, k.Alg)
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		ex, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(ex) == 0 || len(ex) > 4 {
			return nil, fmt.Errorf("key %s: n or e is not base64url: %v %v", k.Kid, err1, err2)
		}
		pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(ex).Int64())}
	}
	if pub == nil {
		return nil, fmt.Errorf("no key %q at %s (%d keys)", header.Kid, uri, len(set.Keys))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return nil, fmt.Errorf("signature does not verify: %w", err)
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return claims, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// TestOpenIDIssuesIDToken: with the openid scope the token endpoint gives an
// RS256 id_token that verifies against the key at jwks_uri and says who
// logged in, for which client, when, and with the nonce the client sent.
func TestOpenIDIssuesIDToken(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, WithClock(clk.Now))
	const nonce = "n-0S6_WzA2Mj"
	r := e.login(url.Values{"scope": {"openid profile " + allScopes}, "nonce": {nonce}, "prompt": {"select_account"},
		"code_challenge": {pkce(testVerifier)}, "code_challenge_method": {"S256"}}, "ingrid.nilsen@example.no", "915238475", "allow")
	if r.redirect == nil || r.redirect.Query().Get("code") == "" {
		t.Fatalf("no code in redirect: %+v", r)
	}
	clk.Advance(10 * time.Second)
	tok := e.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {r.redirect.Query().Get("code")},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}})
	if tok.status != http.StatusOK {
		t.Fatalf("code exchange = %d %s", tok.status, tok.Error)
	}
	if tok.IDToken == "" {
		t.Fatal("the token response to a request with the openid scope has no id_token")
	}
	claims, err := verifyIDToken(t, e, tok.IDToken)
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}

	// sub is the same subject userinfo names.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+"/connect/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ui struct{ Sub string }
	_ = json.NewDecoder(resp.Body).Decode(&ui)
	resp.Body.Close()
	if ui.Sub == "" {
		t.Fatalf("userinfo = %d, no sub", resp.StatusCode)
	}

	now := clk.Now().Unix()
	wantClaims := func(t *testing.T, claims map[string]any, nonce string) {
		t.Helper()
		iat, _ := claims["iat"].(float64)
		exp, _ := claims["exp"].(float64)
		switch {
		case claims["iss"] != e.srv.URL:
			t.Errorf("iss = %v, want the issuer %s", claims["iss"], e.srv.URL)
		case claims["sub"] != ui.Sub:
			t.Errorf("sub = %v, want userinfo's %s", claims["sub"], ui.Sub)
		case claims["aud"] != e.owner.ID:
			t.Errorf("aud = %v, want the client id %s", claims["aud"], e.owner.ID)
		case int64(iat) != now:
			t.Errorf("iat = %v, want the time of issue %d", claims["iat"], now)
		case int64(exp) <= now:
			t.Errorf("exp = %v, not after iat %d", claims["exp"], now)
		}
		if got, _ := claims["nonce"].(string); got != nonce {
			t.Errorf("nonce = %q, want %q", got, nonce)
		}
	}
	wantClaims(t, claims, nonce)

	// A changed payload no longer verifies, so the check above is not a no-op.
	parts := strings.Split(tok.IDToken, ".")
	forged := strings.Replace(string(mustDecode(t, parts[1])), ui.Sub, "00000000-0000-4000-8000-000000000000", 1)
	if _, err := verifyIDToken(t, e, parts[0]+"."+base64.RawURLEncoding.EncodeToString([]byte(forged))+"."+parts[2]); err == nil {
		t.Error("an id_token with a changed sub still verifies")
	}

	// A refresh gives a fresh id_token for the same person and client,
	// without the nonce of the login (OpenID Connect Core 12.2).
	clk.Advance(time.Minute)
	now = clk.Now().Unix()
	next := e.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if next.status != http.StatusOK || next.IDToken == "" {
		t.Fatalf("refresh = %d %s, id_token %q", next.status, next.Error, next.IDToken)
	}
	if claims, err := verifyIDToken(t, e, next.IDToken); err != nil {
		t.Errorf("refreshed id_token: %v", err)
	} else {
		wantClaims(t, claims, "")
	}

	// Without openid there is no id_token.
	plain := e.connect("ingrid.nilsen@example.no", "915238475", allScopes)
	if plain.IDToken != "" {
		t.Error("a token response without the openid scope has an id_token")
	}
}

func mustDecode(t *testing.T, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
