package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/server"
	"bilag/server/connections"
)

// fakePDF is a document the fake upstream keeps behind voucher A1.
var fakePDF = []byte("%PDF-1.4\n% a fake invoice\n%%EOF\n")

// withFake is e with its portal talking to a fake connector made on a fresh
// upstream instead of the eAccounting sandbox; the upstream's company is
// Fjällbacka and it keeps one voucher with one document.
func (e *env) withFake(kind func(*connectortest.Upstream) connectors.Connector) (*env, *connectortest.Upstream) {
	e.t.Helper()
	return e.withFakeCache(kind, nil)
}

// withFakeCache is withFake with a document cache (nil: none).
func (e *env) withFakeCache(kind func(*connectortest.Upstream) connectors.Connector, cache doccache.Store) (*env, *connectortest.Upstream) {
	t := e.t
	t.Helper()
	up := &connectortest.Upstream{Name: "fake", GrantTTL: time.Hour, Now: e.clock.Now,
		Company: connectors.Company{ExternalID: "c1", Name: e.fj.Name, OrgNumber: e.fj.OrgNumber, Country: "SE"}}
	up.AddVoucher(connectors.Voucher{Ref: "v1", FiscalYear: "fy2026", Number: "A1", Series: "A", Text: "Hyra december", Kind: connectors.KindManual, UpstreamType: "Manuell",
		Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ModifiedAt: e.clock.Now().Add(-time.Hour), Amount: 1250000}, fakePDF)
	conn := kind(up)
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, AdminSecondFactorOptional: true,
		FormOrigins: []string{"https://fake.example"}, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{conn.Name(): conn}, Now: e.clock.Now, Cache: cache})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	return &p, up
}

// connectFake walks the consent link through the fake upstream's redirect
// and returns the stored connection.
func (e *env) connectFake() *db.Connection {
	t := e.t
	t.Helper()
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	acc := e.browser()
	wantStatus(t, "GET consent link", acc.get(link), http.StatusOK)
	r := acc.post(link, nil)
	wantStatus(t, "POST give permission", r, http.StatusSeeOther)
	auth, err := url.Parse(r.Location())
	if err != nil || auth.Host != "fake.example" {
		t.Fatalf("give permission redirects to %q, want the fake upstream", r.Location())
	}
	q := auth.Query()
	res := acc.finish(q.Get("redirect_uri") + "?" + url.Values{"code": {"ok"}, "state": {q.Get("state")}}.Encode())
	wantStatus(t, "result page", res, http.StatusOK)
	conn, err := e.svc.Current(t.Context(), e.fj.ID)
	if err != nil || conn.Connector != "fake" || conn.Status != db.ConnActive {
		t.Fatalf("Current(fj) = %+v, %v; want an active fake connection", conn, err)
	}
	return conn
}

// indexed is co's voucher index as it stands.
func (e *env) indexed(co *db.Company) []db.Voucher {
	e.t.Helper()
	l, err := e.db.Vouchers(e.t.Context(), co.ID, db.VoucherFilter{PageSize: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Vouchers
}

// The whole story (link, approve, sync, voucher, document) on connectors of
// other shapes than eAccounting's: one that can do everything, and one with
// no Checker, Refresher, Revoker or fiscal years.
func TestFakeConnectorStory(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name string
		make func(*connectortest.Upstream) connectors.Connector
	}{
		{"full", func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} }},
		{"bare", func(u *connectortest.Upstream) connectors.Connector { return connectortest.Bare{U: u} }},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			e, up := newEnv(t).withFake(k.make)
			conn := e.connectFake()
			e.waitSync(conn)
			vs := e.indexed(e.fj)
			if len(vs) != 1 || vs[0].Number != "A1" || !vs[0].HasDocuments {
				t.Fatalf("index = %+v, want voucher A1 with documents", vs)
			}
			b := e.loggedIn(e.viewer)
			page := b.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.fj.ID, vs[0].ID))
			wantStatus(t, "voucher page", page, http.StatusOK)
			docs, err := e.db.VoucherDocuments(t.Context(), e.fj.ID, vs[0].ID)
			if err != nil || len(docs) != 1 {
				t.Fatalf("documents = %v, %v; want the one the upstream keeps", docs, err)
			}
			doc := b.get(fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", e.fj.ID, vs[0].ID, docs[0].ID))
			wantStatus(t, "document", doc, http.StatusOK)
			if doc.Body != string(fakePDF) || !strings.HasPrefix(doc.Header.Get("Content-Type"), "application/pdf") {
				t.Errorf("document = %q (%s), want the upstream's PDF", doc.Body, doc.Header.Get("Content-Type"))
			}
			dash := e.loggedIn(e.analyst).get("/companies/" + itoa(e.fj.ID))
			wantStatus(t, "company page", dash, http.StatusOK)
			r := e.loggedIn(e.analyst).post("/companies/"+itoa(e.fj.ID)+"/connection/disconnect", url.Values{"confirm": {"yes"}})
			wantStatus(t, "disconnect", r, http.StatusSeeOther)
			if c, _ := e.svc.Current(t.Context(), e.fj.ID); c.Status != db.ConnDisconnected {
				t.Errorf("after disconnect: status %q, want disconnected", c.Status)
			}
			if k.name == "bare" {
				for _, op := range []string{connectortest.OpCheck, connectortest.OpRefresh, connectortest.OpRevoke, connectortest.OpFiscalYears} {
					if n := up.Calls(op); n != 0 {
						t.Errorf("%s called %d times on a connector without it", op, n)
					}
				}
			} else if up.Calls(connectortest.OpRevoke) != 1 {
				t.Errorf("Revoke calls = %d, want 1 (on disconnect)", up.Calls(connectortest.OpRevoke))
			}
		})
	}
}

// A connector that reads nothing connects, but its company page offers no
// vouchers, no sync and no documents, and nothing is synced.
func TestConnectorWithoutReading(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.NoReading{U: u} })
	conn := e.connectFake()
	b := e.loggedIn(e.analyst)
	page := b.get("/companies/" + itoa(e.fj.ID))
	wantStatus(t, "company page", page, http.StatusOK)
	if strings.Contains(page.Body, "/companies/"+itoa(e.fj.ID)+"/vouchers") {
		t.Error("the company page links to vouchers of a connection that reads none")
	}
	wantStatus(t, "vouchers page", b.get("/companies/"+itoa(e.fj.ID)+"/vouchers"), http.StatusNotFound)
	wantStatus(t, "sync now", b.post("/companies/"+itoa(e.fj.ID)+"/sync", nil), http.StatusNotFound)
	if runs, _ := e.db.SyncRuns(t.Context(), e.fj.ID, 5); len(runs) != 0 {
		t.Errorf("sync runs = %d, want none", len(runs))
	}
	if up.Calls(connectortest.OpCheck) != 1 || conn.ApprovedBy != "Fake Approver" {
		t.Errorf("check calls = %d, approver %q; want one check that names the approver", up.Calls(connectortest.OpCheck), conn.ApprovedBy)
	}
}

// Whatever call says the grant is revoked for good (a refresh, a sync page,
// a document open), the connection needs re-approval, recorded once.
func TestGrantRevokedEndsTheConnectionOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cause func(e *env, up *connectortest.Upstream, conn *db.Connection)
	}{
		{"refresh", func(e *env, up *connectortest.Upstream, conn *db.Connection) {
			up.FailNext(connectortest.OpRefresh, fmt.Errorf("invalid_grant: %w", connectors.ErrGrantRevoked))
			e.clock.Advance(2 * time.Hour)
			for range 2 {
				e.svc.Grant(e.t.Context(), conn)
			}
		}},
		{"sync page", func(e *env, up *connectortest.Upstream, conn *db.Connection) {
			up.FailNext(connectortest.OpVouchers, connectors.ErrGrantRevoked, connectors.ErrGrantRevoked)
			for range 2 {
				e.svc.Sync(e.t.Context(), conn)
			}
		}},
		{"document open", func(e *env, up *connectortest.Upstream, conn *db.Connection) {
			up.FailNext(connectortest.OpOpen, connectors.ErrGrantRevoked, connectors.ErrGrantRevoked)
			vs := e.indexed(e.fj)
			docs, _ := e.db.VoucherDocuments(e.t.Context(), e.fj.ID, vs[0].ID)
			if len(docs) == 0 {
				b := e.loggedIn(e.viewer)
				b.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.fj.ID, vs[0].ID))
				docs, _ = e.db.VoucherDocuments(e.t.Context(), e.fj.ID, vs[0].ID)
			}
			b := e.loggedIn(e.viewer)
			for range 2 {
				r := b.get(fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", e.fj.ID, vs[0].ID, docs[0].ID))
				if r.Status == http.StatusOK {
					e.t.Errorf("document of a revoked grant = 200")
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
			conn := e.connectFake()
			e.waitSync(conn)
			tt.cause(e, up, conn)
			c, err := e.db.ConnectionByID(t.Context(), conn.ID)
			if err != nil || c.Status != db.ConnNeedsReapproval {
				t.Fatalf("connection = %+v, %v; want needs_reapproval", c, err)
			}
			events, err := e.db.AuditEvents(t.Context(), e.fj.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			ended := 0
			for _, ev := range events {
				if ev.Action == db.AuditConnectionEnded {
					ended++
				}
			}
			if ended != 1 {
				t.Errorf("connection_ended audit rows = %d, want 1", ended)
			}
		})
	}
}

// Nothing above the connector retries: an upstream that is down costs one
// call per read however often the connector itself would retry.
func TestNoRetryAboveTheConnector(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	conn := e.connectFake()
	e.waitSync(conn)
	vs := e.indexed(e.fj)
	up.FailNext(connectortest.OpVoucher, connectors.ErrUnavailable, connectors.ErrUnavailable, connectors.ErrUnavailable)
	before := up.Calls(connectortest.OpVoucher)
	page := e.loggedIn(e.viewer).get(fmt.Sprintf("/companies/%d/vouchers/%d", e.fj.ID, vs[0].ID))
	wantStatus(t, "voucher page while the upstream is down", page, http.StatusOK)
	if n := up.Calls(connectortest.OpVoucher) - before; n != 1 {
		t.Errorf("voucher reads for one page = %d, want 1", n)
	}
	up.FailNext(connectortest.OpVouchers, connectors.ErrUnavailable, connectors.ErrUnavailable, connectors.ErrUnavailable)
	before = up.Calls(connectortest.OpVouchers)
	if _, err := e.svc.Sync(t.Context(), conn); err == nil {
		t.Fatal("Sync() with the upstream down = nil")
	}
	if n := up.Calls(connectortest.OpVouchers) - before; n != 1 {
		t.Errorf("page reads for one sync = %d, want 1", n)
	}
}
