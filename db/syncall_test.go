package db_test

import (
	"bytes"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
)

// TestSyncAllLease: one firm-wide sync at a time; a finished run gives the
// lease back; a run whose instance died is seen as interrupted and its
// lease taken over once it ran out.
func TestSyncAllLease(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, testSyncAllLease)
}

func testSyncAllLease(t *testing.T, url string) {
	ctx := t.Context()
	clock := dbtest.NewClock(time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC))
	keys, _ := seal.NewKeyring(bytes.Repeat([]byte{4}, 32))
	d, err := db.Open(ctx, url, db.Options{Keys: keys, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	run, lease, err := d.StartSyncAll(ctx, db.SyncAllManual, "a@firm.test", []int64{7, 8}, time.Minute)
	if err != nil || run == nil {
		t.Fatalf("StartSyncAll() = %v, %v", run, err)
	}
	if again, _, err := d.StartSyncAll(ctx, db.SyncAllScheduled, "", nil, time.Minute); err != nil || again != nil {
		t.Fatalf("second StartSyncAll() = %+v, %v; want refused", again, err)
	}
	if err := d.SyncAllItemDone(ctx, run.ID, 8, db.SyncItemFailed, db.SyncReasonUnavailable, "down"); err != nil {
		t.Fatal(err)
	}
	got, items, err := d.LatestSyncAll(ctx)
	if err != nil || got.ID != run.ID || len(items) != 2 || items[0].Status != db.SyncItemWaiting || items[1].Reason != db.SyncReasonUnavailable {
		t.Fatalf("LatestSyncAll() = %+v, %+v, %v", got, items, err)
	}
	if running, _ := d.SyncAllRunning(ctx); !running {
		t.Errorf("SyncAllRunning() = false during a run")
	}
	if err := d.FinishSyncAll(ctx, run, lease); err != nil {
		t.Fatal(err)
	}
	if running, _ := d.SyncAllRunning(ctx); running {
		t.Errorf("SyncAllRunning() = true after the run finished")
	}
	// A run whose instance died: its lease runs out, the next takes over.
	dead, _, err := d.StartSyncAll(ctx, db.SyncAllCLI, "", []int64{7}, time.Minute)
	if err != nil || dead == nil {
		t.Fatalf("StartSyncAll() after a finished run = %v, %v", dead, err)
	}
	clock.Advance(2 * time.Minute)
	if running, _ := d.SyncAllRunning(ctx); running {
		t.Errorf("SyncAllRunning() = true after the lease ran out")
	}
	if next, _, err := d.StartSyncAll(ctx, db.SyncAllScheduled, "", nil, time.Minute); err != nil || next == nil {
		t.Errorf("StartSyncAll() after a dead run's lease ran out = %v, %v; want it to start", next, err)
	}
}
