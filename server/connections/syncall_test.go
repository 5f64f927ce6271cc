package connections_test

import (
	"context"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/server/connections"
)

// The scheduled sync reports into the firm-wide runs' history, and skips
// its tick while another firm-wide run (the admin's button, the command
// line) holds the lease.
func TestScheduledSyncIsAFirmWideRun(t *testing.T) {
	e := newLCEnv(t)
	up := &connectortest.Upstream{Name: "reader"}
	up.AddVoucher(connectors.Voucher{Ref: "v1", Number: "A1", Date: e.clock.Now()})
	r := connectortest.Bare{U: up}
	svc := e.service(map[string]connectors.Connector{"reader": r})
	e.connect("reader", liveGrant(t, r))

	// Another run holds the lease: the schedule's ticks pass it by.
	held, lease, err := e.d.StartSyncAll(t.Context(), db.SyncAllManual, "a@firm.test", nil, time.Hour)
	if err != nil || held == nil {
		t.Fatalf("StartSyncAll() = %v, %v", held, err)
	}
	runJobs(t, svc, 150*time.Millisecond)
	if run, _, _ := e.d.LatestSyncAll(t.Context()); run.ID != held.ID || up.Calls(connectortest.OpVouchers) != 0 {
		t.Fatalf("latest run = %+v after %d voucher reads; want the held one and none", run, up.Calls(connectortest.OpVouchers))
	}
	if err := e.d.FinishSyncAll(t.Context(), held, lease); err != nil {
		t.Fatal(err)
	}

	// The next tick starts a scheduled run; wait for it to finish however
	// slow the machine is.
	runJobsUntil(t, svc, func() bool {
		run, _, _ := e.d.LatestSyncAll(t.Context())
		return run != nil && run.ID != held.ID && run.FinishedAt != nil
	})
	run, items, err := e.d.LatestSyncAll(t.Context())
	if err != nil || run == nil || run.Trigger != db.SyncAllScheduled || run.FinishedAt == nil {
		t.Fatalf("latest run = %+v, %v; want a finished scheduled run", run, err)
	}
	if len(items) != 1 || items[0].CompanyID != e.co.ID || items[0].Status != db.SyncItemDone {
		t.Errorf("run's companies = %+v, want the one company done", items)
	}
}

// runJobsUntil runs the service's scheduled jobs, syncing every 20ms,
// until done says so (a minute at most).
func runJobsUntil(t *testing.T, svc *connections.Service, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		svc.Run(ctx, connections.JobOptions{SyncInterval: 20 * time.Millisecond, RefreshEvery: time.Hour, PurgeEvery: time.Hour})
	}()
	for deadline := time.Now().Add(time.Minute); !done() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-stopped
}

// runJobs runs the service's scheduled jobs, syncing every 20ms, for d.
func runJobs(t *testing.T, svc *connections.Service, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	svc.Run(ctx, connections.JobOptions{SyncInterval: 20 * time.Millisecond, RefreshEvery: time.Hour, PurgeEvery: time.Hour})
}
