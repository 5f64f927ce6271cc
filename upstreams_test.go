package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"bilag/connectors/eaccounting/sandbox"
	economicsandbox "bilag/connectors/economic/sandbox"
	nvsandbox "bilag/connectors/netvisor/sandbox"
	"bilag/server/config"
	"bilag/server/demo"
)

func testApp(t *testing.T, demoMode bool) *app {
	t.Helper()
	base, _ := url.Parse("http://localhost:8080")
	return &app{cfg: &config.Config{Demo: demoMode, BaseURL: base, SandboxAddr: "127.0.0.1:8090", SecretKey: bytes.Repeat([]byte{7}, 32)},
		log: slog.New(slog.DiscardHandler)}
}

func getenv(m map[string]string) config.Getenv {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

// A connector's settings are read by its registry row, and every bad one is
// refused with a message that names its variable.
func TestRegistrySettingsNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"client secret", map[string]string{"BILAG_EACCOUNTING_CLIENT_ID": "x"}, "BILAG_EACCOUNTING_CLIENT_SECRET is required"},
		{"both secret forms", map[string]string{"BILAG_EACCOUNTING_CLIENT_ID": "x", "BILAG_EACCOUNTING_CLIENT_SECRET": "s", "BILAG_EACCOUNTING_CLIENT_SECRET_FILE": "/f"}, "BILAG_EACCOUNTING_CLIENT_SECRET and BILAG_EACCOUNTING_CLIENT_SECRET_FILE are both set"},
		{"auth url", map[string]string{"BILAG_EACCOUNTING_CLIENT_ID": "x", "BILAG_EACCOUNTING_CLIENT_SECRET": "s", "BILAG_EACCOUNTING_AUTH_URL": "/relative"}, "BILAG_EACCOUNTING_AUTH_URL must be an absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openRegistry(testApp(t, false), getenv(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("openRegistry() = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// Without settings a connector is not offered, except in demo mode, where
// it talks to its sandbox and the demo firm's clients exist there.
func TestRegistryOffersWhatIsConfigured(t *testing.T) {
	reg, err := openRegistry(testApp(t, false), getenv(nil))
	if err != nil || len(reg.connectors) != 0 || reg.sandbox != nil {
		t.Fatalf("openRegistry() without settings = %+v, %v; want nothing offered", reg, err)
	}
	reg, err = openRegistry(testApp(t, false), getenv(map[string]string{"BILAG_EACCOUNTING_CLIENT_ID": "x", "BILAG_EACCOUNTING_CLIENT_SECRET": "s"}))
	if err != nil || reg.connectors["eaccounting"] == nil || reg.sandbox != nil {
		t.Fatalf("openRegistry() with a client = %+v, %v; want eaccounting against Visma", reg, err)
	}
	if got := strings.Join(reg.formOrigins, " "); got != "https://identity.vismaonline.com" {
		t.Errorf("form origins = %q, want Visma's identity server (the connector's default)", got)
	}
	if got := strings.Join(reg.countries["eaccounting"], " "); got != "SE NO NL" {
		t.Errorf("eaccounting countries = %q, want SE NO NL", got)
	}
	reg, err = openRegistry(testApp(t, true), getenv(nil))
	if err != nil || reg.connectors["eaccounting"] == nil || reg.sandbox == nil {
		t.Fatalf("openRegistry() in demo mode = %+v, %v; want eaccounting against its sandbox", reg, err)
	}
	if got := strings.Join(reg.formOrigins, " "); got != "http://127.0.0.1:8090" {
		t.Errorf("demo form origins = %q, want the sandbox", got)
	}
	inSandbox := map[string]bool{}
	for _, c := range sandbox.DemoCompanies() {
		inSandbox[c.OrgNumber] = true
	}
	for _, o := range nvsandbox.DemoOrgs() {
		inSandbox[o.ID] = true
	}
	for _, ag := range economicsandbox.Agreements() {
		inSandbox[ag.OrgNumber] = true
	}
	// Enterprise's Norwegian client lives in its own sandbox's database.
	inSandbox[enterpriseDemoClient.OrgNumber] = true
	if len(reg.clients) != 7 {
		t.Fatalf("demo clients = %v, want eAccounting's 3, e-conomic's 2, Netvisor's 1 and Enterprise's 1", reg.clients)
	}
	for _, c := range reg.clients {
		if !inSandbox[c.OrgNumber] {
			t.Errorf("demo client %s (%s) is not in the sandbox", c.Name, c.OrgNumber)
		}
	}
}

// Every demo sandbox is served on one address: the root connector's at
// the root, every other under its own name, which it does not see.
func TestSandboxesShareOneAddress(t *testing.T) {
	echoPath := func(who string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, who+" "+r.URL.Path) })
	}
	var reg registry
	reg.mountSandbox(rootSandbox, opened{sandbox: echoPath("root"), banner: "root sandbox"})
	reg.mountSandbox("other", opened{sandbox: echoPath("other"), banner: "other sandbox", clients: []demo.Company{{Name: "Oy"}}})
	for path, want := range map[string]string{
		"/connect/authorize": "root /connect/authorize",
		"/other/self":        "other /self",
		"/otherwise":         "root /otherwise",
	} {
		rec := httptest.NewRecorder()
		reg.sandbox.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := rec.Body.String(); got != want {
			t.Errorf("GET %s answered %q, want %q", path, got, want)
		}
	}
	if len(reg.banners) != 2 || len(reg.clients) != 1 {
		t.Errorf("banners %v, clients %v: want both banners and the other's client", reg.banners, reg.clients)
	}
	a := testApp(t, true)
	if got, want := a.sandboxBase("other"), "http://"+a.cfg.SandboxAddr+"/other"; got != want {
		t.Errorf("sandboxBase(other) = %q, want %q", got, want)
	}
}

func TestSandboxCommandNamesItsConnectors(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := run(t.Context(), []string{"sandbox", "--connector", "nosuch", "--addr", "127.0.0.1:0"}, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("bilag sandbox --connector nosuch exited %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), `no sandbox for connector "nosuch"`) || !strings.Contains(stderr.String(), rootSandbox) {
		t.Errorf("stderr = %q, want it to name the unknown connector and the ones there are", stderr.String())
	}
}

// e-conomic's export is its reading's companion (issue 26): a link for
// e-conomic may ask for it as its second step, once the export's row is
// registered.
func TestEconomicCompanion(t *testing.T) {
	for _, u := range upstreams() {
		if u.name == "economic" && u.companion != "economic-export" {
			t.Errorf("economic's companion = %q, want economic-export", u.companion)
		}
	}
}
