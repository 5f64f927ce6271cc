package connections_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/doccache"
	"bilag/db/seal"
	"bilag/server/connections"
)

// lcEnv is a database with one company and user, a clock shared by the
// database, the fake upstream and the service.
type lcEnv struct {
	t     *testing.T
	clock *dbtest.Clock
	d     *db.DB
	// lockWaits gets the connection id each time someone is about to wait
	// for a grant lock.
	lockWaits chan int64
	links     int
	co        *db.Company
	user      *db.User
}

func newLCEnv(t *testing.T) *lcEnv {
	t.Helper()
	ctx := t.Context()
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &lcEnv{t: t, clock: dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), lockWaits: make(chan int64, 1000)}
	lockWait := func(id int64) {
		select {
		case e.lockWaits <- id:
		default:
		}
	}
	e.d, err = db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "bilag.db"), db.Options{Keys: keys, Now: e.clock.Now, LockWait: lockWait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.d.Close() })
	e.co = &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	e.user = &db.User{Email: "a@firm.test", Name: "A", Role: db.RoleAnalyst, Active: true, PasswordHash: "x"}
	if err := e.d.CreateCompany(ctx, e.co); err != nil {
		t.Fatal(err)
	}
	if err := e.d.CreateUser(ctx, e.user); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *lcEnv) service(cs map[string]connectors.Connector) *connections.Service {
	e.t.Helper()
	svc, err := connections.New(connections.Options{DB: e.d, Connectors: cs, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(svc.Close)
	return svc
}

// connect stores g as the company's connection through connector, as an
// approval would.
func (e *lcEnv) connect(connector string, g connectors.Grant) *db.Connection {
	e.t.Helper()
	ctx := e.t.Context()
	l := &db.ConsentLink{CompanyID: e.co.ID, Connector: connector, ExpectedOrgNumber: e.co.OrgNumber, CreatedByID: e.user.ID, ExpiresAt: e.clock.Now().Add(time.Hour)}
	e.links++
	if err := e.d.CreateLink(ctx, l, fmt.Sprintf("secret-%s-%d", connector, e.links)); err != nil {
		e.t.Fatal(err)
	}
	if err := e.d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
		e.t.Fatal(err)
	}
	conn := &db.Connection{CompanyID: e.co.ID, Connector: connector, ExternalName: e.co.Name, OrgNumber: e.co.OrgNumber}
	if err := e.d.Connect(ctx, l.ID, conn, g); err != nil {
		e.t.Fatal(err)
	}
	return conn
}

// liveGrant is a grant the fake upstream takes as live.
func liveGrant(t *testing.T, c connectors.RedirectConnector) connectors.Grant {
	t.Helper()
	g, err := c.HandleCallback(t.Context(), "", url.Values{"code": {"ok"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// gatedReader is a reading connector whose voucher pages wait for a gate,
// so a test can hold a sync in the middle.
type gatedReader struct {
	connectortest.Bare
	entered chan struct{}
	gate    chan struct{}
}

func (g gatedReader) Vouchers(ctx context.Context, gr connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.gate
	return g.Bare.Vouchers(ctx, gr, q)
}

// Item 3: a second "Sync now" while a sync runs does not start a second
// sync and leaves no failed run behind; it says a sync is running.
func TestSecondSyncSaysRunning(t *testing.T) {
	e := newLCEnv(t)
	up := &connectortest.Upstream{Name: "reader"}
	up.AddVoucher(connectors.Voucher{Ref: "v1", Number: "A1", Date: e.clock.Now()})
	r := gatedReader{Bare: connectortest.Bare{U: up}, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	svc := e.service(map[string]connectors.Connector{"reader": r})
	conn := e.connect("reader", liveGrant(t, r))

	if err := svc.StartSync(conn); err != nil {
		t.Fatalf("StartSync() = %v", err)
	}
	<-r.entered
	if err := svc.StartSync(conn); !errors.Is(err, connections.ErrSyncRunning) {
		t.Errorf("StartSync(while one runs) = %v, want ErrSyncRunning", err)
	}
	close(r.gate)
	svc.Wait()
	runs, err := e.d.SyncRuns(t.Context(), e.co.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != db.SyncOK {
		t.Errorf("sync runs = %+v; want one, ok", runs)
	}
	if n := up.Calls(connectortest.OpVouchers); n != 1 {
		t.Errorf("upstream read %d voucher pages, want 1", n)
	}
}

// Item 3: a failed run keeps why it failed as a class a page can put in
// words.
func TestFailedSyncKeepsItsReason(t *testing.T) {
	tests := []struct {
		fail error
		want string
	}{
		{fmt.Errorf("fake: %w", connectors.ErrUnavailable), db.SyncReasonUnavailable},
		{&connectors.RateLimitError{RetryAfter: time.Hour}, db.SyncReasonRateLimited},
		{fmt.Errorf("fake: %w", connectors.ErrForbidden), db.SyncReasonRefused},
		{fmt.Errorf("fake: %w", connectors.ErrGrantRevoked), db.SyncReasonReapproval},
		{errors.New("fake: something nobody expected"), db.SyncReasonOther},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			e := newLCEnv(t)
			up := &connectortest.Upstream{Name: "reader"}
			r := connectortest.Bare{U: up}
			svc := e.service(map[string]connectors.Connector{"reader": r})
			conn := e.connect("reader", liveGrant(t, r))
			up.FailNext(connectortest.OpVouchers, tt.fail)
			if _, err := svc.Sync(t.Context(), conn); err == nil {
				t.Fatal("Sync() = nil error")
			}
			runs, err := e.d.SyncRuns(t.Context(), e.co.ID, 1)
			if err != nil || len(runs) != 1 || runs[0].Status != db.SyncFailed || runs[0].Reason != tt.want {
				t.Errorf("sync runs = %+v, %v; want one failed, reason %q", runs, err, tt.want)
			}
		})
	}
}

// Item 5: with 20-second tokens, 50 requests at once after each expiry
// make exactly one refresh: the margin adapts to the token's lifetime.
func TestShortTokensRefreshOnce(t *testing.T) {
	e := newLCEnv(t)
	up := &connectortest.Upstream{Name: "full", GrantTTL: 20 * time.Second, Now: e.clock.Now}
	c := connectortest.Full{Upstream: up}
	svc := e.service(map[string]connectors.Connector{"full": c})
	conn := e.connect("full", liveGrant(t, c))
	for round := 1; round <= 3; round++ {
		e.clock.Advance(21 * time.Second)
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if _, err := svc.Grant(t.Context(), conn); err != nil {
					t.Errorf("Grant() = %v", err)
				}
			})
		}
		wg.Wait()
		if n := up.Calls(connectortest.OpRefresh); n != round {
			t.Fatalf("after expiry %d: %d refreshes, want %d", round, n, round)
		}
	}
}

// Item 5: a refresh token is sent at most twice: once more only when the
// answer to the first was lost, never after the upstream answered.
func TestRefreshSentAtMostTwice(t *testing.T) {
	lost := fmt.Errorf("fake: %w: %w", connectors.ErrUnavailable, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET})
	tests := []struct {
		name  string
		fail  []error
		calls int
		ok    bool
	}{
		{"answer lost once", []error{lost}, 2, true},
		{"answer lost twice", []error{lost, lost, lost}, 2, false},
		{"timeout", []error{fmt.Errorf("fake: %w: %w", connectors.ErrUnavailable, context.DeadlineExceeded)}, 2, true},
		{"server error", []error{fmt.Errorf("fake: status 503: %w", connectors.ErrUnavailable)}, 1, false},
		{"refused", []error{fmt.Errorf("fake: invalid_client: %w", connectors.ErrUnauthorized)}, 1, false},
		{"revoked", []error{fmt.Errorf("fake: invalid_grant: %w", connectors.ErrGrantRevoked)}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLCEnv(t)
			up := &connectortest.Upstream{Name: "full", GrantTTL: time.Hour, Now: e.clock.Now}
			c := connectortest.Full{Upstream: up}
			svc := e.service(map[string]connectors.Connector{"full": c})
			conn := e.connect("full", liveGrant(t, c))
			e.clock.Advance(time.Hour)
			up.FailNext(connectortest.OpRefresh, tt.fail...)
			_, err := svc.Grant(t.Context(), conn)
			if (err == nil) != tt.ok {
				t.Errorf("Grant() = %v, want success %v", err, tt.ok)
			}
			if n := up.Calls(connectortest.OpRefresh); n != tt.calls {
				t.Errorf("refresh token sent %d times, want %d", n, tt.calls)
			}
		})
	}
}

// inFlight is a connector whose refreshes, once the upstream has rotated
// the token, wait before answering, and whose revocations are reported.
type inFlight struct {
	connectortest.Full
	rotated chan struct{}
	proceed chan struct{}
	revoked chan struct{}
}

func (f inFlight) Refresh(ctx context.Context, g connectors.Grant) (connectors.Grant, error) {
	ng, err := f.Full.Refresh(ctx, g)
	f.rotated <- struct{}{}
	<-f.proceed
	return ng, err
}

func (f inFlight) Revoke(ctx context.Context, g connectors.Grant) error {
	err := f.Full.Revoke(ctx, g)
	select {
	case f.revoked <- struct{}{}:
	default:
	}
	return err
}

// Item 6: a disconnect while a refresh is in flight leaves no live grant
// at the upstream: it waits for the refresh and revokes what it stored.
func TestDisconnectDuringRefresh(t *testing.T) {
	e := newLCEnv(t)
	up := &connectortest.Upstream{Name: "full", GrantTTL: time.Hour, Now: e.clock.Now}
	c := inFlight{Full: connectortest.Full{Upstream: up}, rotated: make(chan struct{}, 1), proceed: make(chan struct{}), revoked: make(chan struct{}, 1)}
	svc := e.service(map[string]connectors.Connector{"full": c})
	conn := e.connect("full", liveGrant(t, c))
	e.clock.Advance(time.Hour)

	var refreshed connectors.Grant
	var refreshErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		refreshed, refreshErr = svc.Grant(t.Context(), conn)
	}()
	<-e.lockWaits // the refresh's
	<-c.rotated
	disconnected := make(chan error, 1)
	go func() { disconnected <- svc.Disconnect(context.Background(), conn) }()
	// Either the disconnect waits for the refresh's lock, or it revokes
	// while the refresh is still in flight.
	select {
	case <-e.lockWaits:
	case <-c.revoked:
	}
	close(c.proceed)
	<-done
	if err := <-disconnected; err != nil {
		t.Fatalf("Disconnect() = %v", err)
	}
	if refreshErr == nil {
		if _, err := c.Check(t.Context(), refreshed); !errors.Is(err, connectors.ErrGrantRevoked) {
			t.Errorf("the grant the in-flight refresh got is still live at the upstream after the disconnect (Check = %v)", err)
		}
	}
	got, err := e.d.ConnectionByID(t.Context(), conn.ID)
	if err != nil || got.Status != db.ConnDisconnected || len(got.TokenSealed) != 0 {
		t.Errorf("connection = %+v, %v; want disconnected with no grant", got, err)
	}
}

// approve runs an approval of g for the company through connector, as the
// consent callback does.
func (e *lcEnv) approve(svc *connections.Service, connector string, g connectors.Grant) connections.Outcome {
	e.t.Helper()
	ctx := e.t.Context()
	l := &db.ConsentLink{CompanyID: e.co.ID, Connector: connector, ExpectedOrgNumber: e.co.OrgNumber, CreatedByID: e.user.ID, ExpiresAt: e.clock.Now().Add(time.Hour)}
	e.clock.Advance(time.Second)
	if err := e.d.CreateLink(ctx, l, "approve-"+e.clock.Now().String()); err != nil {
		e.t.Fatal(err)
	}
	if err := e.d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
		e.t.Fatal(err)
	}
	out, err := svc.Approve(ctx, connections.Approval{Link: l, Company: e.co, Grant: g})
	if err != nil || out.Connection == nil {
		e.t.Fatalf("Approve() = %+v, %v; want connected", out, err)
	}
	return out
}

func (e *lcEnv) audits(action string) []db.AuditEvent {
	e.t.Helper()
	evs, err := e.d.AuditEvents(e.t.Context(), e.co.ID, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []db.AuditEvent
	for _, ev := range evs {
		if ev.Action == action {
			out = append(out, ev)
		}
	}
	return out
}

// Item 7: a second approval of a connected company revokes the grant it
// replaces and records that it did; a connector that cannot revoke says
// the old grant was kept.
func TestReapprovalRevokesTheReplacedGrant(t *testing.T) {
	t.Run("revoker", func(t *testing.T) {
		e := newLCEnv(t)
		up := &connectortest.Upstream{Name: "full", GrantTTL: time.Hour, Now: e.clock.Now,
			Company: connectors.Company{ExternalID: "c1", Name: e.co.Name, OrgNumber: e.co.OrgNumber, Country: "SE"}}
		c := connectortest.Full{Upstream: up}
		svc := e.service(map[string]connectors.Connector{"full": c})
		first := liveGrant(t, c)
		e.approve(svc, "full", first)
		svc.Wait()
		out := e.approve(svc, "full", liveGrant(t, c))
		if _, err := c.Check(t.Context(), first); !errors.Is(err, connectors.ErrGrantRevoked) {
			t.Errorf("the replaced grant is still live at the upstream (Check = %v)", err)
		}
		if out.OldGrantKept {
			t.Error("Outcome.OldGrantKept = true for a connector that revokes")
		}
		if evs := e.audits(db.AuditGrantReplaced); len(evs) != 1 || !strings.Contains(evs[0].Detail, "revoked") || strings.Contains(evs[0].Detail, "not revoked") {
			t.Errorf("audit of the replacement = %+v, want one saying it was revoked", evs)
		}
	})
	t.Run("no revoker", func(t *testing.T) {
		e := newLCEnv(t)
		up := &connectortest.Upstream{Name: "form", Company: connectors.Company{ExternalID: "c1", Name: e.co.Name, OrgNumber: e.co.OrgNumber, Country: "SE"}}
		c := connectortest.Form{U: up}
		svc := e.service(map[string]connectors.Connector{"form": c})
		key := map[string]string{"key": "right-key"}
		g1, err := c.Connect(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		e.approve(svc, "form", g1)
		svc.Wait()
		g2, err := c.Connect(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		out := e.approve(svc, "form", g2)
		if !out.OldGrantKept {
			t.Error("Outcome.OldGrantKept = false, but the connector cannot revoke the replaced grant")
		}
		if evs := e.audits(db.AuditGrantReplaced); len(evs) != 1 || !strings.Contains(evs[0].Detail, "not revoked") {
			t.Errorf("audit of the replacement = %+v, want one saying it was not revoked", evs)
		}
	})
}

// docEnv is a company connected through a full fake upstream with one
// voucher and its document, and a document cache.
type docEnv struct {
	*lcEnv
	up    *connectortest.Upstream
	c     connectortest.Full
	cache *doccache.Cache
	svc   *connections.Service
	conn  *db.Connection
	doc   db.VoucherDocument
}

var docPDF = []byte("%PDF-1.4\n% a fake invoice\n%%EOF\n")

func newDocEnv(t *testing.T) *docEnv {
	t.Helper()
	ctx := t.Context()
	e := &docEnv{lcEnv: newLCEnv(t)}
	e.up = &connectortest.Upstream{Name: "full", GrantTTL: time.Hour, Now: e.clock.Now,
		Company: connectors.Company{ExternalID: "c1", Name: e.co.Name, OrgNumber: e.co.OrgNumber, Country: "SE"}}
	e.up.AddVoucher(connectors.Voucher{Ref: "v1", Number: "A1", Date: e.clock.Now()}, docPDF)
	e.c = connectortest.Full{Upstream: e.up}
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if e.cache, err = doccache.Open(t.TempDir(), 1<<20, keys); err != nil {
		t.Fatal(err)
	}
	e.svc, err = connections.New(connections.Options{DB: e.d, Connectors: map[string]connectors.Connector{"full": e.c}, Cache: e.cache, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.svc.Close)
	e.conn = e.connect("full", liveGrant(t, e.c))
	if err := e.d.UpsertVouchers(ctx, []db.Voucher{{CompanyID: e.co.ID, ConnectionID: e.conn.ID, Ref: "v1", Number: "A1", Date: e.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	l, err := e.d.Vouchers(ctx, e.co.ID, db.VoucherFilter{PageSize: 10})
	if err != nil || len(l.Vouchers) != 1 {
		t.Fatalf("Vouchers() = %v, %v", l.Vouchers, err)
	}
	_, docs, err := e.svc.LiveVoucher(ctx, e.co.ID, &l.Vouchers[0])
	if err != nil || len(docs) != 1 {
		t.Fatalf("LiveVoucher() = %v, %v; want one document", docs, err)
	}
	e.doc = docs[0]
	return e
}

// open opens the document and reads it whole.
func (e *docEnv) open() (*connections.Document, error) {
	e.t.Helper()
	d, err := e.svc.OpenDocument(e.t.Context(), e.co.ID, &e.doc)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(d)
	if err != nil || !bytes.Equal(b, docPDF) {
		e.t.Fatalf("document = %q, %v; want the upstream's", b, err)
	}
	if _, err := d.Close(true); err != nil {
		e.t.Fatal(err)
	}
	return d, nil
}

// Item 8: once another instance has disconnected the company, a document
// opened before is not served from this instance's cache, and the cached
// copy is gone.
func TestDisconnectEndsCachedDocuments(t *testing.T) {
	e := newDocEnv(t)
	e.open()
	if d, _ := e.open(); !d.Cached {
		t.Fatal("second open did not come from the cache")
	}
	opens := e.up.Calls(connectortest.OpOpen)
	// Another instance disconnects: only the database knows.
	if _, err := e.d.Disconnect(t.Context(), e.conn.ID, nil); err != nil {
		t.Fatal(err)
	}
	if d, err := e.svc.OpenDocument(t.Context(), e.co.ID, &e.doc); !errors.Is(err, db.ErrNeedsReapproval) {
		if d != nil {
			d.Close(false)
		}
		t.Errorf("OpenDocument(after disconnect) = %+v, %v; want ErrNeedsReapproval", d, err)
	}
	if n := e.up.Calls(connectortest.OpOpen); n != opens {
		t.Errorf("the upstream was asked for the document after the disconnect")
	}
	if keys, _, _ := e.cache.Stats(); keys != 0 {
		t.Errorf("the cache keeps %d copies of the disconnected company's documents", keys)
	}
}

// Item 8: a disconnect here deletes every cached copy of the company's
// documents at once, converted ones too.
func TestDisconnectDeletesCachedCopies(t *testing.T) {
	e := newDocEnv(t)
	e.open()
	other := &db.Company{Name: "Other AB", Country: "SE", OrgNumber: "556000-0001", Active: true}
	if err := e.d.CreateCompany(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	// A converted copy of the same company's document, and a document of
	// another company.
	prefix := fmt.Sprintf("full/%d/", e.co.ID)
	if _, _, err := e.cache.Put(t.Context(), prefix+"x#png", doccache.Meta{ContentType: "image/png"}, strings.NewReader("png")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.cache.Put(t.Context(), fmt.Sprintf("full/%d/attachment/d1", other.ID), doccache.Meta{ContentType: "application/pdf"}, strings.NewReader("other")); err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := e.cache.Stats(); keys != 3 {
		t.Fatalf("cache keys = %d, want 3", keys)
	}
	if err := e.svc.Disconnect(t.Context(), e.conn); err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := e.cache.Stats(); keys != 1 {
		t.Errorf("cache keys after disconnect = %d, want 1 (the other company's)", keys)
	}
}

// Item 9: an approval that reaches another upstream company than the
// connection had starts a fresh index: the old company's vouchers are no
// longer listed, even before the first sync of the new one. Re-approving
// the same company keeps the index.
func TestReconnectToAnotherCompanyStartsAFreshIndex(t *testing.T) {
	e := newLCEnv(t)
	up := &connectortest.Upstream{Name: "full", GrantTTL: time.Hour, Now: e.clock.Now,
		Company: connectors.Company{ExternalID: "c1", Name: e.co.Name, OrgNumber: e.co.OrgNumber, Country: "SE"}}
	up.AddVoucher(connectors.Voucher{Ref: "v1", Number: "A1", Date: e.clock.Now()})
	c := connectortest.Full{Upstream: up}
	svc := e.service(map[string]connectors.Connector{"full": c})
	listed := func() int {
		t.Helper()
		l, err := e.d.Vouchers(t.Context(), e.co.ID, db.VoucherFilter{PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Vouchers)
	}
	e.approve(svc, "full", liveGrant(t, c))
	svc.Wait()
	if n := listed(); n != 1 {
		t.Fatalf("after the first sync %d vouchers listed, want 1", n)
	}
	unavailable := fmt.Errorf("fake: %w", connectors.ErrUnavailable)

	// The same company again; its first sync fails.
	up.FailNext(connectortest.OpFiscalYears, unavailable)
	e.approve(svc, "full", liveGrant(t, c))
	svc.Wait()
	if n := listed(); n != 1 {
		t.Errorf("after re-approving the same company %d vouchers listed, want the 1 indexed", n)
	}

	// Another upstream company; its first sync fails too.
	up.Company.ExternalID = "c2"
	up.FailNext(connectortest.OpFiscalYears, unavailable)
	e.approve(svc, "full", liveGrant(t, c))
	svc.Wait()
	if n := listed(); n != 0 {
		t.Errorf("after connecting another upstream company %d vouchers of the old one listed, want 0", n)
	}
	fys, err := e.d.FiscalYears(t.Context(), e.co.ID)
	if err != nil || len(fys) != 0 {
		t.Errorf("fiscal years = %v, %v; want none of the old company", fys, err)
	}
}

// sinceRecorder records the "modified since" of every voucher page asked.
type sinceRecorder struct {
	connectortest.Bare
	mu    *sync.Mutex
	since *[]time.Time
}

func (r sinceRecorder) Vouchers(ctx context.Context, g connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	r.mu.Lock()
	*r.since = append(*r.since, q.ModifiedSince)
	r.mu.Unlock()
	return r.Bare.Vouchers(ctx, g, q)
}

// countHandler counts log records by message.
type countHandler struct {
	mu *sync.Mutex
	n  map[string]int
}

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n[r.Message]++
	return nil
}
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countHandler) WithGroup(string) slog.Handler      { return h }

// Item 10: when the upstream rejects the incremental filter, the sync
// falls back to a full one, logs it once, stays full for that connection
// and tries the filter again a day later.
func TestRejectedFilterFallsBackToFullSync(t *testing.T) {
	e := newLCEnv(t)
	up := &connectortest.Upstream{Name: "reader"}
	up.AddVoucher(connectors.Voucher{Ref: "v1", Number: "A1", Date: e.clock.Now()})
	var mu sync.Mutex
	var since []time.Time
	r := sinceRecorder{Bare: connectortest.Bare{U: up}, mu: &mu, since: &since}
	logs := countHandler{mu: &sync.Mutex{}, n: map[string]int{}}
	svc, err := connections.New(connections.Options{DB: e.d, Connectors: map[string]connectors.Connector{"reader": r}, Now: e.clock.Now, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	conn := e.connect("reader", liveGrant(t, r.Bare))
	syncOnce := func() connections.SyncResult {
		t.Helper()
		mu.Lock()
		since = nil
		mu.Unlock()
		res, err := svc.Sync(t.Context(), conn)
		if err != nil {
			t.Fatalf("Sync() = %v", err)
		}
		return res
	}
	asked := func() []bool {
		mu.Lock()
		defer mu.Unlock()
		var out []bool
		for _, s := range since {
			out = append(out, !s.IsZero())
		}
		return out
	}
	syncOnce() // the first, full
	e.clock.Advance(time.Hour)
	up.FailNext(connectortest.OpVouchers, fmt.Errorf("fake: status 400, error 6001: %w", connectors.ErrFilterRejected))
	res := syncOnce()
	if got := asked(); !res.Full || len(got) != 2 || !got[0] || got[1] {
		t.Errorf("sync after the filter was rejected: full %v, filtered pages %v; want the filtered page refused, then a full read", res.Full, got)
	}
	for range 3 {
		e.clock.Advance(time.Hour)
		if res, got := syncOnce(), asked(); !res.Full || len(got) != 1 || got[0] {
			t.Errorf("sync within the day: full %v, filtered pages %v; want full without trying the filter", res.Full, got)
		}
	}
	e.clock.Advance(24 * time.Hour)
	if res, got := syncOnce(), asked(); res.Full || len(got) != 1 || !got[0] {
		t.Errorf("sync a day later: full %v, filtered pages %v; want the filter tried again", res.Full, got)
	}
	runs, err := e.d.SyncRuns(t.Context(), e.co.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range runs {
		if run.Status != db.SyncOK {
			t.Errorf("sync run %+v failed", run)
		}
	}
	warned := 0
	logs.mu.Lock()
	for msg, n := range logs.n {
		if strings.Contains(msg, "filter") {
			warned += n
		}
	}
	logs.mu.Unlock()
	if warned != 1 {
		t.Errorf("%d log records about the rejected filter, want 1", warned)
	}
}

// Misconfiguration breaker: when the same failure ends three connections
// of one connector within ten minutes, it is Bilag's configuration, not
// three withdrawn grants: the third is not marked for re-approval, the
// two before it are taken back, a configuration error is logged once and
// Misconfigured names the connector; a failure of another connector, or
// one after the window, ends its connection as before.
func TestOneMisconfigurationDoesNotEndEveryConnection(t *testing.T) {
	e := newLCEnv(t)
	logs := countHandler{mu: &sync.Mutex{}, n: map[string]int{}}
	up := &connectortest.Upstream{Name: "full", GrantTTL: time.Hour, Now: e.clock.Now}
	c := connectortest.Full{Upstream: up}
	other := connectortest.Full{Upstream: &connectortest.Upstream{Name: "other", GrantTTL: time.Hour, Now: e.clock.Now}}
	svc, err := connections.New(connections.Options{DB: e.d, Connectors: map[string]connectors.Connector{"full": c, "other": other},
		Now: e.clock.Now, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	var conns []*db.Connection
	for i := range 4 {
		co := &db.Company{Name: fmt.Sprintf("Company %d AB", i), Country: "SE", OrgNumber: fmt.Sprintf("556000-000%d", i), Active: true}
		if err := e.d.CreateCompany(t.Context(), co); err != nil {
			t.Fatal(err)
		}
		e.co = co
		conns = append(conns, e.connect("full", liveGrant(t, c)))
	}
	oco := &db.Company{Name: "Other AB", Country: "SE", OrgNumber: "556000-0099", Active: true}
	if err := e.d.CreateCompany(t.Context(), oco); err != nil {
		t.Fatal(err)
	}
	e.co = oco
	oconn := e.connect("other", liveGrant(t, other))
	status := func(conn *db.Connection) string {
		t.Helper()
		got, err := e.d.ConnectionByID(t.Context(), conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	// Bilag's client secret is wrong: every refresh is refused alike.
	e.clock.Advance(time.Hour)
	refused := fmt.Errorf("identity server: status 400, invalid_grant: %w", connectors.ErrGrantRevoked)
	for i, conn := range conns[:3] {
		up.FailNext(connectortest.OpRefresh, refused)
		if _, err := svc.Grant(t.Context(), conn); err == nil {
			t.Fatalf("Grant(%d) = nil error", i)
		}
		e.clock.Advance(time.Minute)
	}
	for i, conn := range conns[:3] {
		if s := status(conn); s != db.ConnActive {
			t.Errorf("connection %d is %s after the third alike failure, want active", i, s)
		}
	}
	if got := svc.Misconfigured(); len(got) != 1 || got[0] != "full" {
		t.Errorf("Misconfigured() = %v, want [full]", got)
	}
	up.FailNext(connectortest.OpRefresh, refused)
	svc.Grant(t.Context(), conns[3])
	if s := status(conns[3]); s != db.ConnActive {
		t.Errorf("a fourth connection is %s while the connector is misconfigured, want active", s)
	}
	configErrors := 0
	logs.mu.Lock()
	for msg, n := range logs.n {
		if strings.Contains(msg, "configuration") {
			configErrors += n
		}
	}
	logs.mu.Unlock()
	if configErrors != 1 {
		t.Errorf("%d configuration errors logged, want 1", configErrors)
	}
	// Another connector's withdrawn grant is its own.
	other.FailNext(connectortest.OpRefresh, refused)
	svc.Grant(t.Context(), oconn)
	if s := status(oconn); s != db.ConnNeedsReapproval {
		t.Errorf("the other connector's connection is %s, want needs re-approval", s)
	}
	// Ten quiet minutes later, one withdrawn grant is one again.
	e.clock.Advance(11 * time.Minute)
	if got := svc.Misconfigured(); len(got) != 0 {
		t.Errorf("Misconfigured() = %v after ten quiet minutes, want none", got)
	}
	up.FailNext(connectortest.OpRefresh, refused)
	svc.Grant(t.Context(), conns[0])
	if s := status(conns[0]); s != db.ConnNeedsReapproval {
		t.Errorf("a lone failure after the window left the connection %s, want needs re-approval", s)
	}
}
