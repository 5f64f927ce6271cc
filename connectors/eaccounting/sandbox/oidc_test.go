package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
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
