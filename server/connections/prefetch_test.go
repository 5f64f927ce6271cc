package connections_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/db/seal"
	"bilag/server/connections"
)

// gatedOpen is the full fake upstream whose document opens wait for the
// test (or their context) and tell who asked.
type gatedOpen struct {
	connectortest.Full
	entered chan string
	gate    chan struct{}
	mu      *sync.Mutex
	callers *[]string
}

func (g gatedOpen) OpenDocument(ctx context.Context, gr connectors.Grant, d connectors.Document) (*connectors.DocumentStream, error) {
	p, company := connectors.CallerOf(ctx)
	g.mu.Lock()
	*g.callers = append(*g.callers, fmt.Sprintf("%s %s", p, company))
	g.mu.Unlock()
	if g.gate != nil {
		select {
		case g.entered <- d.ID:
		default:
		}
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Full.OpenDocument(ctx, gr, d)
}

// prefetchEnv is a company whose list page holds n vouchers with one
// document of size bytes each.
type prefetchEnv struct {
	*lcEnv
	up       *connectortest.Upstream
	c        gatedOpen
	cache    *doccache.Cache
	svc      *connections.Service
	conn     *db.Connection
	vouchers []db.Voucher
	callers  []string
	mu       sync.Mutex
}

func newPrefetchEnv(t *testing.T, n, size int, lim connections.PrefetchLimits, gated bool) *prefetchEnv {
	t.Helper()
	ctx := t.Context()
	e := &prefetchEnv{lcEnv: newLCEnv(t)}
	e.up = &connectortest.Upstream{Name: "full", Now: e.clock.Now,
		Company: connectors.Company{ExternalID: "c1", Name: e.co.Name, OrgNumber: e.co.OrgNumber, Country: "SE"}}
	e.c = gatedOpen{Full: connectortest.Full{Upstream: e.up}, mu: &e.mu, callers: &e.callers}
	if gated {
		e.c.gate, e.c.entered = make(chan struct{}), make(chan string, 1)
	}
	var rows []db.Voucher
	for i := range n {
		ref := fmt.Sprintf("v%d", i+1)
		e.up.AddVoucher(connectors.Voucher{Ref: ref, Number: fmt.Sprintf("A%d", i+1), Date: e.clock.Now()}, bytes.Repeat([]byte{'a' + byte(i)}, size))
		rows = append(rows, db.Voucher{Ref: ref, Number: fmt.Sprintf("A%d", i+1), Date: e.clock.Now().AddDate(0, 0, -i), HasDocuments: true})
	}
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if e.cache, err = doccache.Open(t.TempDir(), 1<<20, keys); err != nil {
		t.Fatal(err)
	}
	e.svc, err = connections.New(connections.Options{DB: e.d, Connectors: map[string]connectors.Connector{"full": e.c}, Cache: e.cache, Now: e.clock.Now, Prefetch: lim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.svc.Close)
	e.conn = e.connect("full", liveGrant(t, e.c))
	for i := range rows {
		rows[i].CompanyID, rows[i].ConnectionID = e.co.ID, e.conn.ID
	}
	if err := e.d.UpsertVouchers(ctx, rows); err != nil {
		t.Fatal(err)
	}
	l, err := e.d.Vouchers(ctx, e.co.ID, db.VoucherFilter{PageSize: 50})
	if err != nil || len(l.Vouchers) != n {
		t.Fatalf("Vouchers() = %v, %v", l.Vouchers, err)
	}
	e.vouchers = l.Vouchers
	return e
}

// docs is what the voucher's page finds behind voucher i (a person's
// interactive read), then how the cache answers for it.
func (e *prefetchEnv) openDoc(i int) (cached bool) {
	e.t.Helper()
	cached, err := e.tryOpen(i)
	if err != nil {
		e.t.Fatal(err)
	}
	return cached
}

func (e *prefetchEnv) tryOpen(i int) (cached bool, err error) {
	_, docs, err := e.svc.LiveVoucher(e.t.Context(), e.co.ID, &e.vouchers[i])
	if err != nil || len(docs) != 1 {
		return false, fmt.Errorf("LiveVoucher(%d) = %v, %v", i, docs, err)
	}
	d, err := e.svc.OpenDocument(e.t.Context(), e.co.ID, &docs[0])
	if err != nil {
		return false, fmt.Errorf("OpenDocument(%d) = %v", i, err)
	}
	if _, err := io.Copy(io.Discard, d); err != nil {
		return false, err
	}
	if _, err := d.Close(true); err != nil {
		return false, err
	}
	return d.Cached, nil
}

// TestPrefetchCachesThePage: viewing a page starts fetching its
// vouchers' documents as background calls for the company; opening one
// of them afterwards is served from the cache without a further
// download.
func TestPrefetchCachesThePage(t *testing.T) {
	e := newPrefetchEnv(t, 3, 100, connections.PrefetchLimits{}, false)
	e.svc.Prefetch(e.co.ID, e.vouchers)
	e.svc.PrefetchWait()
	if n := e.up.Calls(connectortest.OpOpen); n != 3 {
		t.Fatalf("documents downloaded by the prefetch = %d, want 3", n)
	}
	for i := range 3 {
		if !e.openDoc(i) {
			t.Errorf("document of voucher %d not served from the cache after the prefetch", i)
		}
	}
	if n := e.up.Calls(connectortest.OpOpen); n != 3 {
		t.Errorf("documents downloaded = %d after the opens, want still 3", n)
	}
	want := fmt.Sprintf("background %d", e.co.ID)
	for _, c := range e.callers {
		if c != want {
			t.Errorf("prefetch called the upstream as %q, want %q (the budget's background share, for the company)", c, want)
		}
	}
}

// TestPrefetchBounds: at most Documents documents and Bytes bytes per
// page view, the first vouchers first.
func TestPrefetchBounds(t *testing.T) {
	t.Run("documents", func(t *testing.T) {
		e := newPrefetchEnv(t, 6, 100, connections.PrefetchLimits{Documents: 2}, false)
		e.svc.Prefetch(e.co.ID, e.vouchers)
		e.svc.PrefetchWait()
		if n := e.up.Calls(connectortest.OpOpen); n != 2 {
			t.Errorf("documents downloaded = %d, want the limit of 2", n)
		}
		if !e.openDoc(0) || !e.openDoc(1) || e.openDoc(2) {
			t.Error("want the first two vouchers' documents cached, and the third's not")
		}
	})
	t.Run("bytes", func(t *testing.T) {
		e := newPrefetchEnv(t, 6, 100, connections.PrefetchLimits{Bytes: 250}, false)
		e.svc.Prefetch(e.co.ID, e.vouchers)
		e.svc.PrefetchWait()
		_, _, bytes := e.cache.Stats()
		cached := 0
		for i := range 6 {
			if e.openDoc(i) {
				cached++
			}
		}
		if cached > 2 || cached == 0 {
			t.Errorf("%d documents of 100 bytes cached under a limit of 250 bytes (cache holds %d bytes), want 1 or 2", cached, bytes)
		}
	})
	t.Run("off", func(t *testing.T) {
		e := newPrefetchEnv(t, 3, 100, connections.PrefetchLimits{Documents: -1}, false)
		e.svc.Prefetch(e.co.ID, e.vouchers)
		e.svc.PrefetchWait()
		if n := e.up.Calls(connectortest.OpOpen) + e.up.Calls(connectortest.OpVoucher); n != 0 {
			t.Errorf("upstream calls with prefetching off = %d, want 0", n)
		}
	})
}

// TestPrefetchNeverFetchesTwiceAtOnce: a person opening a document that a
// prefetch still waits for takes it over (the prefetch is called off, one
// download in all); and a prefetch of a document a person is downloading
// leaves it alone.
func TestPrefetchNeverFetchesTwiceAtOnce(t *testing.T) {
	t.Run("person during prefetch", func(t *testing.T) {
		e := newPrefetchEnv(t, 1, 100, connections.PrefetchLimits{}, true)
		e.svc.Prefetch(e.co.ID, e.vouchers)
		<-e.c.entered // the prefetch waits upstream
		done := make(chan error, 1)
		go func() { _, err := e.tryOpen(0); done <- err }()
		// The person's open reaches the upstream, after calling off the
		// prefetch's: let it through.
		<-e.c.entered
		close(e.c.gate)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		e.svc.PrefetchWait()
		if n := e.up.Calls(connectortest.OpOpen); n != 1 {
			t.Errorf("downloads = %d, want 1", n)
		}
		if !e.openDoc(0) {
			t.Error("the person's download did not land in the cache")
		}
	})
	t.Run("prefetch during person", func(t *testing.T) {
		e := newPrefetchEnv(t, 1, 100, connections.PrefetchLimits{}, false)
		_, docs, err := e.svc.LiveVoucher(t.Context(), e.co.ID, &e.vouchers[0])
		if err != nil {
			t.Fatal(err)
		}
		d, err := e.svc.OpenDocument(t.Context(), e.co.ID, &docs[0])
		if err != nil {
			t.Fatal(err)
		}
		// The person's download is under way when the page is viewed.
		e.svc.Prefetch(e.co.ID, e.vouchers)
		e.svc.PrefetchWait()
		io.Copy(io.Discard, d)
		d.Close(true)
		if n := e.up.Calls(connectortest.OpOpen); n != 1 {
			t.Errorf("downloads = %d, want 1: the prefetch fetched a document already in flight", n)
		}
	})
}
