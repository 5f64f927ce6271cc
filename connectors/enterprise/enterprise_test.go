package enterprise_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/enterprise"
	"bilag/connectors/enterprise/sandbox"
)

// hosts is an admin's allow-list: company → hosts.
type hosts map[int64][]string

func (h hosts) PrivateHostAllowed(_ context.Context, company int64, host string) (bool, error) {
	for _, x := range h[company] {
		if x == host {
			return true, nil
		}
	}
	return false, nil
}

const company = 7

type fixture struct {
	box  *sandbox.Sandbox
	srv  *httptest.Server
	conn *enterprise.Connector
	ctx  context.Context
}

func newFixture(t *testing.T, h http.Handler, allow hosts) *fixture {
	t.Helper()
	f := &fixture{box: sandbox.New()}
	if h == nil {
		h = f.box
	}
	f.srv = httptest.NewTLSServer(h)
	t.Cleanup(f.srv.Close)
	tlsCfg := f.srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	conn, err := enterprise.Config{PrivateHosts: allow, TLS: tlsCfg, Timeout: 5 * time.Second}.Open()
	if err != nil {
		t.Fatal(err)
	}
	f.conn = conn
	f.ctx = connectors.WithCompany(t.Context(), company)
	return f
}

func (f *fixture) values(url string) map[string]string {
	return map[string]string{
		"url": url, "user": sandbox.DefaultUser, "password": sandbox.DefaultPassword,
		"company": "1", "system": "WS", "orgnr": "923609016", "confirm": "yes",
		"principals": "20, 30", "commodities": "100\n200\n300", "vatcodes": "0 100 150",
	}
}

func formCode(err error) string {
	var fe *connectors.FormError
	if errors.As(err, &fe) {
		return fe.Field + ":" + fe.Code
	}
	return ""
}

func TestConnectURLRules(t *testing.T) {
	f := newFixture(t, nil, hosts{company: {"127.0.0.1"}})
	root := f.srv.URL + sandbox.Root
	tests := []struct {
		name, url string
		allow     hosts
		want      string
	}{
		{"https on an allowed private host", root, hosts{company: {"127.0.0.1"}}, ""},
		{"the order import's own path is taken off", root + "/secure/orderimport/order", hosts{company: {"127.0.0.1"}}, ""},
		{"http", strings.Replace(root, "https:", "http:", 1), hosts{company: {"127.0.0.1"}}, "url:url_https"},
		{"a user in the URL", strings.Replace(root, "https://", "https://u:p@", 1), hosts{company: {"127.0.0.1"}}, "url:url_userinfo"},
		{"a query", root + "?x=1", hosts{company: {"127.0.0.1"}}, "url:url_query"},
		{"not a URL", "visma.example.no", nil, "url:url"},
		{"loopback not allowed", root, nil, "url:url_private"},
		{"loopback allowed for another company", root, hosts{company + 1: {"127.0.0.1"}}, "url:url_private"},
		{"a name resolving to loopback", strings.Replace(root, "127.0.0.1", "localhost", 1), hosts{company: {"127.0.0.1"}}, "url:url_private"},
		{"link-local", "https://169.254.169.254/fakturering_ws", nil, "url:url_private"},
		{"private", "https://10.0.0.8:8090/fakturering_ws", nil, "url:url_private"},
		{"IPv6 loopback", "https://[::1]:8090/fakturering_ws", nil, "url:url_private"},
		{"IPv4-mapped loopback", "https://[::ffff:127.0.0.1]:8090/fakturering_ws", nil, "url:url_private"},
		{"documentation (TEST-NET-1)", "https://192.0.2.10:8090/fakturering_ws", nil, "url:url_private"},
		{"reserved", "https://240.0.0.1/fakturering_ws", nil, "url:url_private"},
		{"NAT64 of a private address", "https://[64:ff9b::a00:8]:8090/fakturering_ws", nil, "url:url_private"},
		{"6to4 of a private address", "https://[2002:a00:8::1]:8090/fakturering_ws", nil, "url:url_private"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, _ := enterprise.Config{PrivateHosts: tt.allow, TLS: f.srv.Client().Transport.(*http.Transport).TLSClientConfig, Timeout: 5 * time.Second}.Open()
			g, err := conn.Connect(f.ctx, f.values(tt.url))
			if got := formCode(err); got != tt.want {
				t.Fatalf("Connect(%s) = %v, want %q", tt.url, err, tt.want)
			}
			if tt.want == "" && conn.InvoiceTarget(g) != root {
				t.Errorf("target %q, want %q", conn.InvoiceTarget(g), root)
			}
		})
	}
	if n := f.box.Posts(); n != 0 {
		t.Errorf("the credential check posted %d orders", n)
	}
}

func TestConnectFields(t *testing.T) {
	f := newFixture(t, nil, hosts{company: {"127.0.0.1"}})
	root := f.srv.URL + sandbox.Root
	for _, tt := range []struct {
		name, field, value, want string
	}{
		{"wrong password", "password", "nope", "password:credentials"},
		{"not confirmed", "confirm", "", "confirm:confirm"},
		{"company of five digits", "company", "12345", "company:company"},
		{"company 0", "company", "0", "company:company"},
		{"system of three letters", "system", "WSX", "system:system"},
		{"system of one letter", "system", "W", "system:system"},
		{"system of a letter and a digit", "system", "W1", ""},
		{"system of two Norwegian letters", "system", "ÆØ", ""},
		{"a principal of four digits", "principals", "20, 1000", "principals:codes"},
		{"a VAT code that is no number", "vatcodes", "25%", "vatcodes:codes"},
		{"an account of 13", "accounts", "0000000000000", "accounts:accounts"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := f.values(root)
			v[tt.field] = tt.value
			_, err := f.conn.Connect(f.ctx, v)
			if got := formCode(err); got != tt.want {
				t.Errorf("Connect = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestConnectStatuses(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   string
		err    error
	}{
		{http.StatusMethodNotAllowed, "", nil},
		{http.StatusNotFound, "", nil},
		{http.StatusOK, "", nil},
		{http.StatusUnauthorized, "password:credentials", nil},
		{http.StatusForbidden, "user:access", nil},
		{http.StatusFound, "url:redirect", nil},
		{http.StatusBadGateway, "", connectors.ErrUnavailable},
		{http.StatusTeapot, "url:unexpected", nil},
	} {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			var followed atomic.Bool
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					followed.Store(true)
				}
				if r.Method != http.MethodGet {
					t.Errorf("the check sent a %s", r.Method)
				}
				if tt.status == http.StatusFound {
					http.Redirect(w, r, "/elsewhere", tt.status)
					return
				}
				w.WriteHeader(tt.status)
			})
			f := newFixture(t, h, hosts{company: {"127.0.0.1"}})
			_, err := f.conn.Connect(f.ctx, f.values(f.srv.URL+"/fakturering_ws"))
			if got := formCode(err); got != tt.want || (tt.err != nil && !errors.Is(err, tt.err)) || (tt.err == nil && tt.want == "" && err != nil) {
				t.Errorf("Connect = %v, want %q %v", err, tt.want, tt.err)
			}
			if followed.Load() {
				t.Error("a redirect was followed")
			}
		})
	}
}

func TestConnectUntrustedCertificate(t *testing.T) {
	f := newFixture(t, nil, hosts{company: {"127.0.0.1"}})
	conn, _ := enterprise.Config{PrivateHosts: hosts{company: {"127.0.0.1"}}, TLS: &tls.Config{}, Timeout: 5 * time.Second}.Open()
	_, err := conn.Connect(f.ctx, f.values(f.srv.URL+sandbox.Root))
	if got := formCode(err); got != "url:tls" {
		t.Errorf("Connect = %v, want url:tls", err)
	}
}

func (f *fixture) grant(t *testing.T) connectors.Grant {
	t.Helper()
	g, err := f.conn.Connect(f.ctx, f.values(f.srv.URL+sandbox.Root))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (f *fixture) invoices(t *testing.T, g connectors.Grant, data string) ([]connectors.Invoice, []connectors.InvoiceCheck) {
	t.Helper()
	invs, checks, err := f.conn.ParseInvoices(f.ctx, g, "json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return invs, checks
}

// An order uploaded in Enterprise's own format is sent as it was
// uploaded; a second send of it is refused by Enterprise; a lost answer
// is reported once and never retried.
func TestSendOrder(t *testing.T) {
	f := newFixture(t, nil, hosts{company: {"127.0.0.1"}})
	g := f.grant(t)
	invs, checks := f.invoices(t, g, fuzzSeeds[0])
	if len(invs) != 1 || !checks[0].Sendable() || checks[0].Key != "WS/12345-A2" || len(checks[0].Digest) != 64 {
		t.Fatalf("orders %+v", checks)
	}
	a, err := f.conn.SendInvoice(f.ctx, g, nil, invs[0])
	if err != nil || !a.Accepted || a.Code != "0" {
		t.Fatalf("send: %+v %v", a, err)
	}
	if acc := f.box.Accepted(); len(acc) != 1 || acc[0].Order.Customer.CustomerNumber != "04057912345" || sha(acc[0].Body) != checks[0].Digest {
		t.Errorf("sandbox holds %+v, not the order checked", acc)
	}
	// The same order again: Enterprise refuses the repeated serial numbers.
	a, err = f.conn.SendInvoice(f.ctx, g, nil, invs[0])
	if err != nil || a.Accepted || a.Code != "2" || !strings.Contains(a.Message, "løpenummer 1") {
		t.Fatalf("second send: %+v %v", a, err)
	}
	// A lost answer: the sandbox stores the order and drops the connection;
	// the connector says so, once, and does not post again.
	lost := strings.Replace(strings.Replace(fuzzSeeds[0], `"12345-A2"`, `"LOST-1"`, 1), `"serialNumber":1`, `"serialNumber":5`, 1)
	lost = strings.Replace(lost, `"serialNumber":2`, `"serialNumber":6`, 1)
	invs, _ = f.invoices(t, g, lost)
	before := f.box.Posts()
	_, err = f.conn.SendInvoice(f.ctx, g, nil, invs[0])
	if !errors.Is(err, connectors.ErrAnswerLost) {
		t.Fatalf("lost answer: %v, want ErrAnswerLost", err)
	}
	if n := f.box.Posts() - before; n != 1 {
		t.Errorf("%d posts for one send, want 1 (never retried)", n)
	}
	if len(f.box.Accepted()) != 2 {
		t.Errorf("the sandbox did not store the order whose answer was lost")
	}
	if strings.Contains(err.Error(), sandbox.DefaultPassword) {
		t.Error("the error holds the password")
	}
}

func TestSendOrderAnswers(t *testing.T) {
	for _, tt := range []struct {
		name     string
		status   int
		body     string
		accepted bool
		message  string
		err      error
	}{
		{"refused with a message", 200, `{"status": 7, "message": "Ukjent vare\n\u0007 100 ` + sandbox.DefaultPassword + `"}`, false, "Ukjent vare 100 […]", nil},
		{"OK", 200, `{"status": 0, "message": ""}`, true, "", nil},
		{"a server error page", 500, `<html>boom</html>`, false, "", connectors.ErrAnswerLost},
		{"200 without the seed's answer", 200, `OK`, false, "", connectors.ErrAnswerLost},
		{"no such resource", 404, `Not found`, false, "", nil},
		{"credentials no longer valid", 401, ``, false, "", connectors.ErrUnauthorized},
		{"a very long message", 400, `{"status": 1, "message": "` + strings.Repeat("x", 1000) + `"}`, false, strings.Repeat("x", 300) + "…", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					w.WriteHeader(http.StatusMethodNotAllowed)
					return
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			f := newFixture(t, h, hosts{company: {"127.0.0.1"}})
			g := f.grant(t)
			a, err := f.conn.SendInvoice(f.ctx, g, nil, f.conn.ExampleInvoice())
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || a.Accepted != tt.accepted || a.Message != tt.message {
				t.Errorf("answer %+v %v, want accepted=%v %q", a, err, tt.accepted, tt.message)
			}
		})
	}
}

func TestSendNotSent(t *testing.T) {
	f := newFixture(t, nil, hosts{company: {"127.0.0.1"}})
	g := f.grant(t)
	f.srv.Close()
	_, err := f.conn.SendInvoice(f.ctx, g, nil, f.conn.ExampleInvoice())
	if err == nil || errors.Is(err, connectors.ErrAnswerLost) || !errors.Is(err, connectors.ErrUnavailable) {
		t.Errorf("send to a closed server: %v, want not sent", err)
	}
	// An allow-list entry removed since: nothing leaves Bilag.
	conn, _ := enterprise.Config{TLS: f.srv.Client().Transport.(*http.Transport).TLSClientConfig}.Open()
	if _, err := conn.SendInvoice(f.ctx, g, nil, f.conn.ExampleInvoice()); err == nil || errors.Is(err, connectors.ErrAnswerLost) {
		t.Errorf("send without the allow-list: %v", err)
	}
}

func TestDemoOrigin(t *testing.T) {
	box := sandbox.New()
	srv := httptest.NewServer(box)
	defer srv.Close()
	conn, err := enterprise.Config{DemoOrigin: srv.URL}.Open()
	if err != nil {
		t.Fatal(err)
	}
	ctx := connectors.WithCompany(t.Context(), company)
	f := &fixture{}
	if _, err := conn.Connect(ctx, f.values(srv.URL+sandbox.Root)); err != nil {
		t.Errorf("the demo sandbox's origin: %v", err)
	}
	// Only that origin: another port on loopback stays refused.
	other := strings.Replace(srv.URL, "127.0.0.1:", "127.0.0.1:1", 1)
	if _, err := conn.Connect(ctx, f.values(other+sandbox.Root)); formCode(err) != "url:url_https" {
		t.Errorf("another http origin: %v", err)
	}
}
