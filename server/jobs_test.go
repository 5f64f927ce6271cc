package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
)

// An idle connection is kept alive: the background sweep refreshes a grant
// about to expire, before anyone needs it.
func TestKeepGrantsFresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn := e.connectFJ(e.loggedIn(e.analyst))
	e.waitSync(conn)
	before := e.sb.Stats().Refreshes
	e.svc.KeepFresh(t.Context(), 10*time.Minute)
	if got := e.sb.Stats().Refreshes; got != before {
		t.Fatalf("sweep refreshed a fresh grant: %d refreshes, want %d", got, before)
	}
	e.clock.Advance(55 * time.Minute)
	e.svc.KeepFresh(t.Context(), 10*time.Minute)
	if got := e.sb.Stats().Refreshes; got != before+1 {
		t.Fatalf("refreshes after the sweep = %d, want %d", got, before+1)
	}
	after, err := e.db.ConnectionByID(t.Context(), conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != db.ConnActive || after.RefreshedAt == nil || !after.TokenExpiry.After(e.clock.Now().Add(30*time.Minute)) {
		t.Errorf("after the sweep: status %s, refreshed %v, expiry %v", after.Status, after.RefreshedAt, after.TokenExpiry)
	}
}

// The first sync of a 100,000-voucher company stays within Visma's rate
// limit, and its progress can be watched while it runs.
func TestLargeFirstSyncShowsProgress(t *testing.T) {
	t.Parallel()
	if testing.Short() || raceEnabled {
		t.Skip("syncs 100,000 vouchers: runs without -race in make test's long pass")
	}
	const n = 100_000
	e := newEnv(t, sandbox.WithVoucherCount("556812-3474", n))
	analyst := e.loggedIn(e.analyst)
	viewer := e.loggedIn(e.viewer)
	e.connectFJ(analyst)
	var seen []int
	started := time.Now()
	deadline := started.Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		r := viewer.get(fmt.Sprintf("/companies/%d/sync/status", e.fj.ID))
		wantStatus(t, "sync status", r, http.StatusOK)
		var st struct {
			Running        bool
			Fetched, Total int
			Text           string
		}
		if err := json.Unmarshal([]byte(r.Body), &st); err != nil {
			t.Fatal(err)
		}
		if st.Running && st.Fetched > 0 && st.Fetched < st.Total && (len(seen) == 0 || seen[len(seen)-1] != st.Fetched) {
			seen = append(seen, st.Fetched)
			if st.Total != n {
				t.Errorf("progress total = %d, want %d", st.Total, n)
			}
			page := viewer.get(fmt.Sprintf("/companies/%d/vouchers", e.fj.ID))
			// The page shows the progress of its own moment, which has moved on.
			wantText(t, "vouchers page while syncing", page, fmt.Sprintf(" of %d vouchers fetched", n), "First sync")
		}
		if !st.Running && st.Fetched == n {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(seen) == 0 {
		t.Error("never saw the sync in progress")
	}
	if got, _ := e.db.CountVouchers(t.Context(), e.fj.ID); got != n {
		t.Fatalf("indexed %d vouchers, want %d", got, n)
	}
	st := e.sb.Stats()
	if st.RateLimited != 0 {
		t.Errorf("the sync was refused %d times with 429", st.RateLimited)
	}
	if calls := st.APIRequests["GET /v2/vouchers"]; calls > 600 {
		t.Errorf("the sync made %d voucher calls, over a minute's quota", calls)
	}
	t.Logf("synced %d vouchers in %s; progress seen at %v", n, time.Since(started).Round(time.Second), seen)
}

// The connection records who approved it, as Visma names the user.
func TestConnectionRecordsTheApprover(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn := e.connectFJ(e.loggedIn(e.analyst))
	e.waitSync(conn)
	if !strings.Contains(conn.ApprovedBy, "anna.lindqvist@example.se") {
		t.Errorf("ApprovedBy = %q, want the approving Visma user", conn.ApprovedBy)
	}
	page := e.loggedIn(e.analyst).get(fmt.Sprintf("/companies/%d", e.fj.ID))
	wantText(t, "company page", page, "by Anna Lindqvist <anna.lindqvist@example.se>")
}
