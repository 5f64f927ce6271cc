package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/enterprise/sandbox"
)

// Enterprise is offered when enabled, or in demo mode against its sandbox
// under /enterprise, whose web-service user the banner prints; only then
// may a root URL be http on loopback, and only the sandbox's.
func TestEnterpriseRow(t *testing.T) {
	reg, err := openRegistry(testApp(t, false), getenv(nil))
	if err != nil || reg.connectors["enterprise"] != nil {
		t.Fatalf("without settings: %v %v", reg.connectors, err)
	}
	reg, err = openRegistry(testApp(t, false), getenv(map[string]string{"BILAG_ENTERPRISE_ENABLED": "1"}))
	if err != nil || reg.connectors["enterprise"] == nil || reg.sandbox != nil {
		t.Fatalf("enabled: %v %v", reg.connectors, err)
	}
	cc := reg.connectors["enterprise"].(connectors.CredentialConnector)
	values := map[string]string{"url": "http://127.0.0.1:8090/enterprise" + sandbox.Root, "user": sandbox.DefaultUser, "password": sandbox.DefaultPassword,
		"company": "1", "system": "WS", "confirm": "yes"}
	var fe *connectors.FormError
	if _, err := cc.Connect(t.Context(), values); !errors.As(err, &fe) || fe.Code != "url_https" {
		t.Errorf("outside demo mode the sandbox's http URL is %v, want url_https", err)
	}
	if _, err := openRegistry(testApp(t, false), getenv(map[string]string{"BILAG_ENTERPRISE_ENABLED": "1", "BILAG_ENTERPRISE_TIMEOUT": "soon"})); err == nil || !strings.Contains(err.Error(), "BILAG_ENTERPRISE_TIMEOUT") {
		t.Errorf("a bad timeout: %v", err)
	}

	reg, err = openRegistry(testApp(t, true), getenv(nil))
	if err != nil || reg.connectors["enterprise"] == nil || reg.sandbox == nil {
		t.Fatalf("demo: %v %v", reg.connectors, err)
	}
	if got := strings.Join(reg.banners, "\n"); !strings.Contains(got, sandbox.DefaultUser) || !strings.Contains(got, "http://127.0.0.1:8090/enterprise/fakturering_ws") {
		t.Errorf("banners %q, want the sandbox's web-service user and root", got)
	}
	found := false
	for _, c := range reg.clients {
		found = found || c.Country == "NO" && c == enterpriseDemoClient
	}
	if !found {
		t.Errorf("demo clients %v lack the Norwegian one", reg.clients)
	}
	// The registry serves the sandbox under /enterprise.
	srv := httptest.NewServer(reg.sandbox)
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/enterprise"+sandbox.Root+"/secure/orderimport/order", nil)
	req.SetBasicAuth(sandbox.DefaultUser, sandbox.DefaultPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET the order import through the registry: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestEnterpriseStandaloneSandbox(t *testing.T) {
	var out bytes.Buffer
	h, err := standaloneSandbox("enterprise", "http://127.0.0.1:9191", slog.New(slog.DiscardHandler), &out)
	if err != nil || h == nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), sandbox.DefaultUser+" / "+sandbox.DefaultPassword) || !strings.Contains(out.String(), "http://127.0.0.1:9191/fakturering_ws") {
		t.Errorf("printed %q", out.String())
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, sandbox.Root+"/secure/orderimport/order", io.NopCloser(strings.NewReader("{}"))))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("POST without a user: %d", rec.Code)
	}
}
