package netvisor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

// testEnv is a sandbox served over HTTP and a connector configured against
// it, with the sandbox's own demo customer.
type testEnv struct {
	sb   *sandbox.Sandbox
	srv  *httptest.Server
	conn *Connector
	cfg  Config
}

func newEnv(t *testing.T, opts ...sandbox.Option) *testEnv {
	t.Helper()
	return newEnvVia(t, nil, opts...)
}

// newEnvVia is newEnv with the sandbox reached through via (nil: directly).
func newEnvVia(t *testing.T, via func(http.Handler) http.Handler, opts ...sandbox.Option) *testEnv {
	t.Helper()
	sb := sandbox.New(append([]sandbox.Option{sandbox.WithLargeAttachment(0)}, opts...)...)
	var h http.Handler = sb
	if via != nil {
		h = via(sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &testEnv{sb: sb, srv: srv}
	e.cfg = Config{
		PartnerID: sandbox.DefaultPartnerID, PartnerKey: sandbox.DefaultPartnerKey, Sender: "Bilag test",
		Hosts: []string{srv.URL, "isvapi.netvisor.fi"},
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	e.conn = e.open(t, e.cfg)
	return e
}

func (e *testEnv) open(t *testing.T, cfg Config) *Connector {
	t.Helper()
	c, err := cfg.Open(nil, e.srv.Client())
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return c
}

// values are the form's values for the demo customer at the demo company.
func (e *testEnv) values() map[string]string {
	dc := sandbox.DemoCustomer()
	return map[string]string{FieldCustomerID: dc.ID, FieldCustomerKey: dc.Key, FieldBusinessID: sandbox.DemoOrgID, FieldHost: e.srv.URL}
}

func (e *testEnv) grant(t *testing.T) connectors.Grant {
	t.Helper()
	g, err := e.conn.Connect(context.Background(), e.values())
	if err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	return g
}
