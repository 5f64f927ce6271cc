package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPartBTiny runs the prefetch and multi-instance scenarios at a tiny
// size: they measure something, and without PostgreSQL the latter says
// "skipped", never "met".
func TestPartBTiny(t *testing.T) {
	if raceEnabled {
		t.Skip("runs in make test's non-race pass")
	}
	p, err := prefetchScenario(t.Context(), tinyB.Latency, tinyB.Pages, tinyB.PerPage)
	if err != nil {
		t.Fatalf("prefetchScenario = %v", err)
	}
	if len(p.Uncached.lat) == 0 || len(p.Prefetched.lat) == 0 {
		t.Errorf("prefetch scenario measured nothing: %s", p)
	}
	r, err := instancesScenario(t.Context(), tinyB.Quota, tinyB.Duration, tinyB.Vouchers)
	if err != nil {
		t.Fatalf("instancesScenario = %v", err)
	}
	if r.Skipped != "" {
		if !strings.Contains(r.String(), "skipped") || strings.Contains(r.String(), "met") {
			t.Errorf("skipped scenario says %q", r)
		}
		return
	}
	if r.SyncCalls == 0 || len(r.Opens.lat) == 0 {
		t.Errorf("instances scenario measured nothing: %s", r)
	}
	t.Log(p)
	t.Log(r)
}

// TestPartBFull runs both scenarios at full size and prints their lines
// (BILAG_BENCH_PARTB=1; about five minutes; BILAG_BENCH_PARTB_QUOTA sets
// another quota), for the figures without the rest of the bench.
func TestPartBFull(t *testing.T) {
	if os.Getenv("BILAG_BENCH_PARTB") == "" {
		t.Skip("BILAG_BENCH_PARTB is not set")
	}
	p, err := prefetchScenario(t.Context(), fullB.Latency, fullB.Pages, fullB.PerPage)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(p)
	quota := fullB.Quota
	if q, err := strconv.Atoi(os.Getenv("BILAG_BENCH_PARTB_QUOTA")); err == nil && q > 0 {
		quota = q
	}
	r, err := instancesScenario(t.Context(), quota, fullB.Duration, fullB.Vouchers)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
}
