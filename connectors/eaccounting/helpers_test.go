package eaccounting

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
)

// The fakes below play the parts of Visma's identity server, API and file
// host that each test needs, with the documented shapes: PascalCase JSON,
// CommonExtendedBadRequest error bodies, 4010 on 429 with "Try again in N
// seconds", rotating refresh tokens.

var testNow = time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

const (
	testClientID     = "bilag-client"
	testClientSecret = "s3cret/with+chars"
	testAccess       = "ACCESS-TOKEN-1"
	testRefresh      = "REFRESH-TOKEN-1"
)

// newTestConnector serves mux and returns a connector configured against it,
// with back-off short enough for tests.
func newTestConnector(t *testing.T, mux *http.ServeMux, edit ...func(*Config)) (*Connector, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := Config{
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		AuthURL:      srv.URL + "/connect/authorize",
		TokenURL:     srv.URL + "/connect/token",
		RevokeURL:    srv.URL + "/connect/revocation",
		Issuer:       srv.URL,
		APIURL:       srv.URL + "/v2",
		Now:          func() time.Time { return testNow },
		Sleep:        func(context.Context, time.Duration) error { return nil },
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := cfg.Open(nil, srv.Client())
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return c, srv
}

func testGrant(t *testing.T) connectors.Grant {
	t.Helper()
	data, err := json.Marshal(token{AccessToken: testAccess, RefreshToken: testRefresh, TokenType: "Bearer", Expiry: testNow.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return connectors.Grant{Data: data, Expiry: testNow.Add(time.Hour), Scopes: DefaultScopes()}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeAPIError writes Visma's CommonExtendedBadRequest.
func writeAPIError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{
		"ErrorCode":             code,
		"DeveloperErrorMessage": message,
		"ErrorId":               "7d1c1a1e-0000-4000-8000-000000000001",
		"Errors":                nil,
	})
}

const quotaMessage = "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 55 seconds."

// api wraps an API handler with the bearer check the real API does.
func api(t *testing.T, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testAccess {
			writeAPIError(w, http.StatusUnauthorized, 4005, "Unauthorized. Access denied.")
			return
		}
		h(w, r)
	}
}

func page(data any, total int) map[string]any {
	return map[string]any{
		"Meta": map[string]any{"CurrentPage": 1, "PageSize": 50, "TotalNumberOfPages": 1, "TotalNumberOfResults": total, "ServerTimeUtc": testNow.Format(time.RFC3339)},
		"Data": data,
	}
}

// counter counts calls to a handler.
func counter(n *atomic.Int32, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}
}

func assertNoSecret(t *testing.T, what string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(what, s) {
			t.Errorf("%q contains the secret %q", what, s)
		}
	}
}

// emptyDimensionLists serves a company without cost centres or projects,
// which a voucher read asks for (dimensions.go).
func emptyDimensionLists(t *testing.T, mux *http.ServeMux) {
	for _, p := range []string{"GET /v2/costcenters", "GET /v2/projects"} {
		mux.HandleFunc(p, api(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, page([]any{}, 0))
		}))
	}
}
