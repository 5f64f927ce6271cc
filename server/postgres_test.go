package server_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/server"
	"bilag/server/connections"
)

// secondInstance is another Bilag on e's database, as a second instance
// behind a load balancer: its own database handle, connector, portal and
// server, sharing only the database, the sandbox, the secret key and the
// clock with e. It keeps no document cache.
func (e *env) secondInstance(dbURL string) *env {
	t := e.t
	t.Helper()
	logger := e.logger.With("instance", "b")
	d, err := db.Open(t.Context(), dbURL, db.Options{Keys: e.keys, Now: e.clock.Now, Logger: logger})
	if err != nil {
		t.Fatalf("db.Open(second instance) = %v", err)
	}
	t.Cleanup(func() { d.Close() })
	ec, err := eaccounting.Config{
		ClientID: sandboxClientID, ClientSecret: sandboxClientSecret,
		AuthURL: e.sbURL + "/connect/authorize", TokenURL: e.sbURL + "/connect/token", RevokeURL: e.sbURL + "/connect/revocation",
		Issuer: e.sbURL, APIURL: e.sbURL + "/v2", Now: e.clock.Now,
	}.Open(logger, e.sbHTTP)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: d, Logger: logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, FormOrigins: []string{e.sbURL}, Now: e.clock.Now},
		connections.Options{DB: d, Logger: logger, Connectors: map[string]connectors.Connector{ec.Name(): ec}, Now: e.clock.Now})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	b := *e
	b.url, b.srv, b.svc, b.db, b.conn = base.String(), srv, svc, d, ec
	return &b
}

// TestTwoInstancesRefreshOnce: two Bilag servers on one PostgreSQL
// database get 100 document requests at once for a company whose access
// token has expired, and the sandbox rotates refresh tokens. Exactly one
// refresh happens, nobody presents a spent refresh token (invalid_grant),
// and every request is served.
func TestTwoInstancesRefreshOnce(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.PostgresURL(t)
	a := newEnvOn(t, dbURL)
	conn := a.connectFJ(a.loggedIn(a.analyst))
	a.waitSync(conn)
	b := a.secondInstance(dbURL)

	// Find a PDF through instance a while the token is fresh.
	d := &docEnv{env: a, portal: a}
	_, link, _, _ := d.findDoc(a.loggedIn(a.viewer), func(db.Voucher) bool { return true }, "application/pdf")
	if st := a.sb.Stats(); st.Refreshes != 0 {
		t.Fatalf("refreshes before the token expired = %d, want 0", st.Refreshes)
	}
	viewers := []*browser{a.loggedIn(a.viewer), b.loggedIn(a.viewer)}

	a.clock.Advance(time.Hour + time.Minute)
	const n = 100
	var wg sync.WaitGroup
	var served atomic.Int32
	for i := range n {
		wg.Go(func() {
			v := viewers[i%2]
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, v.e.abs(link), nil)
			resp, err := v.c.Do(req)
			if err != nil {
				t.Errorf("GET %s on instance %d: %v", link, i%2, err)
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("%PDF-")) {
				t.Errorf("GET %s on instance %d = %d, %d bytes, %v; want 200 with the PDF", link, i%2, resp.StatusCode, len(body), err)
				return
			}
			served.Add(1)
		})
	}
	wg.Wait()
	if got := served.Load(); got != n {
		t.Errorf("served %d of %d requests", got, n)
	}
	st := a.sb.Stats()
	if st.Refreshes != 1 {
		t.Errorf("refreshes at the sandbox = %d, want 1", st.Refreshes)
	}
	if got := st.TokenRequests["refresh_token"]; got != 1 {
		t.Errorf("refresh_token requests = %d, want 1 (a second one would present a spent token: invalid_grant)", got)
	}
	c, err := b.db.ConnectionByID(t.Context(), conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != db.ConnActive || c.LastError != "" {
		t.Errorf("connection = {%s, last error %q}, want active without error", c.Status, c.LastError)
	}
}

// TestSyncTakeoverAfterCrash: the instance running a company's first sync
// dies after two of three pages; its sync lease keeps the other instance
// out until it runs out, and then the other instance syncs the company
// completely, with no voucher lost or indexed twice.
//
// The crash: instance a's database handle is closed while a waits for the
// third page, and then a is stopped. From the database's side that is a
// killed process at that moment: nothing a does afterwards (finishing its
// run, releasing its lease) reaches the database, so the lease, the run
// marked running and the two pages already written stay as a crash leaves
// them. (Cancelling a's context alone would not do: a's sync would then
// fail cleanly and release its lease.)
func TestSyncTakeoverAfterCrash(t *testing.T) {
	t.Parallel()
	const org, total = "556812-3474", 2500 // three pages of 1000
	dbURL := dbtest.PostgresURL(t)
	a := newEnvOn(t, dbURL, sandbox.WithVoucherCount(org, total))

	reached, release := make(chan struct{}), make(chan struct{})
	var gated atomic.Bool
	gated.Store(true)
	reachedOnce, releaseOnce := sync.OnceFunc(func() { close(reached) }), sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce) // before the sandbox's server closes
	gate := func(r *http.Request) {
		if gated.Load() && r.URL.Path == "/v2/vouchers" && r.URL.Query().Get("$page") == "3" {
			reachedOnce()
			<-release
		}
	}
	a.faults.before.Store(&gate)

	conn := a.connectFJ(a.loggedIn(a.analyst)) // starts a's first sync
	// A guard against a hang, not a speed check: on two busy cores beside
	// the other parallel tests two pages of 1000 under -race have taken
	// over 30 s.
	select {
	case <-reached:
	case <-time.After(3 * time.Minute):
		t.Fatal("the first sync never asked for page 3")
	}
	a.db.Close()
	a.svc.Close()
	gated.Store(false)
	releaseOnce()

	b := a.secondInstance(dbURL)
	ctx := t.Context()
	state, err := b.db.SyncStateOf(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if state.LeaseOwner == "" || state.LeaseUntil == nil || !state.LeaseUntil.After(a.clock.Now()) || state.SyncedThrough != nil {
		t.Fatalf("sync state after the crash = %+v, want a's lease still running and nothing synced through", state)
	}
	if n, err := b.db.CountVouchers(ctx, a.fj.ID); err != nil || n != 2000 {
		t.Fatalf("vouchers indexed before the crash = %d, %v; want the first two pages, 2000", n, err)
	}
	if _, err := b.svc.Sync(ctx, conn); !errors.Is(err, connections.ErrSyncRunning) {
		t.Fatalf("SyncConnection() while a's lease runs = %v, want ErrSyncRunning", err)
	}

	a.clock.Advance(2*time.Minute + time.Second)
	res, err := b.svc.Sync(ctx, conn)
	if err != nil {
		t.Fatalf("SyncConnection() after a's lease ran out = %v", err)
	}
	if !res.Full || res.Fetched != total {
		t.Errorf("SyncConnection() = %+v, want a full sync of %d", res, total)
	}

	// The index holds exactly the sandbox's vouchers, each once.
	want := map[string]bool{}
	g, err := b.db.Grant(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	for cursor := ""; ; {
		page, err := b.conn.Vouchers(ctx, g, connectors.VoucherQuery{Cursor: cursor, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Vouchers {
			want[v.Ref] = true
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(want) != total {
		t.Fatalf("the sandbox has %d vouchers, want %d", len(want), total)
	}
	seen := map[string]int{}
	for p := 1; ; p++ {
		l, err := b.db.Vouchers(ctx, a.fj.ID, db.VoucherFilter{Page: p, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range l.Vouchers {
			seen[v.Ref]++
		}
		if p >= l.Pages {
			break
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("voucher %s is indexed %d times", id, n)
		}
		if !want[id] {
			t.Errorf("voucher %s is indexed but not upstream", id)
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("voucher %s is missing from the index", id)
		}
	}
	if n, err := b.db.CountVouchers(ctx, a.fj.ID); err != nil || n != total {
		t.Errorf("CountVouchers() = %d, %v; want %d", n, err, total)
	}
	if state, _ := b.db.SyncStateOf(ctx, conn.ID); state.LeaseOwner != "" || state.SyncedThrough == nil {
		t.Errorf("sync state after the takeover = %+v, want released and synced through a time", state)
	}
}
