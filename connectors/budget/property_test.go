package budget

import (
	"math/rand"
	"slices"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
)

// TestNeverOverTheQuotaInAnyMinute is the property of issue 30: whatever
// the arrival pattern (bursts of people and syncs at random moments, on
// one to four instances sharing one store) and whatever the quota, no
// stretch of a period plus one bucket (the span's jitter margin), wherever
// it starts, holds more than the quota's calls as the budgets counted
// them. Each trial is drawn from a seed printed on failure.
func TestNeverOverTheQuotaInAnyMinute(t *testing.T) {
	const seed = 30
	rng := rand.New(rand.NewSource(seed))
	for trial := range 12 {
		trialSeed := rng.Int63()
		at, q := runTrial(t, trialSeed)
		t.Logf("trial %d: seed %d, quota %d, %d calls", trial, trialSeed, q.Limit, len(at))
		if t.Failed() {
			t.Fatalf("trial %d: seed %d", trial, trialSeed)
		}
		if i, n := overQuota(at, q.Period+time.Second, q.Limit); n > 0 {
			t.Fatalf("trial %d (seed %d, rerun with runTrial): %d calls in the %s from %v, quota %d",
				trial, trialSeed, n, q.Period+time.Second, at[i], q.Limit)
		}
	}
}

// runTrial draws a quota, instances and callers from seed, runs them on a
// simulated clock and returns the grant times as the budgets counted them.
func runTrial(t *testing.T, seed int64) ([]time.Time, connectors.Quota) {
	rng := rand.New(rand.NewSource(seed))
	q := connectors.Quota{Key: "test:GET /vouchers", Limit: []int{3, 20, 120, 600}[rng.Intn(4)], Period: time.Minute}
	clk := newSimClock()
	store := NewMemoryStore()
	var mu sync.Mutex
	var at []time.Time
	var wg sync.WaitGroup
	for range 1 + rng.Intn(4) {
		b := New(Options{Store: store, Now: clk.Now, WaitUntil: clk.WaitUntil, Chunk: rng.Intn(4)})
		b.onGrantAt = func(_ string, when time.Time) {
			mu.Lock()
			at = append(at, when)
			mu.Unlock()
		}
		for range 1 + rng.Intn(4) {
			// Each caller: a few bursts, at random gaps, of one priority.
			p := connectors.Priority(rng.Intn(2))
			var bursts, gaps []int
			for range 1 + rng.Intn(5) {
				bursts = append(bursts, 1+rng.Intn(2*q.Limit))
				gaps = append(gaps, rng.Intn(90_000))
			}
			company := string(rune('a' + rng.Intn(3)))
			wg.Go(func() { callBursts(t, b, clk, q, p, company, bursts, gaps) })
		}
	}
	wg.Wait()
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	return at, q
}

// callBursts makes each burst's calls at once (a few at a time), waiting
// its gap (milliseconds) before it.
func callBursts(t *testing.T, b *Budget, clk *simClock, q connectors.Quota, p connectors.Priority, company string, bursts, gaps []int) {
	for i, n := range bursts {
		if err := clk.WaitUntil(t.Context(), clk.Now().Add(time.Duration(gaps[i])*time.Millisecond)); err != nil {
			return
		}
		var wg sync.WaitGroup
		for range min(n, 8) {
			wg.Go(func() {
				for range n / min(n, 8) {
					if err := b.Take(t.Context(), q, p, company); err != nil {
						t.Errorf("Take = %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

// overQuota finds a stretch of length d starting at a call (the fullest
// stretches start at one) holding more than limit of the sorted calls at:
// its first call's index and its count, or a count of 0.
func overQuota(at []time.Time, d time.Duration, limit int) (int, int) {
	j := 0
	for i := range at {
		for j < len(at) && at[j].Before(at[i].Add(d)) {
			j++
		}
		if j-i > limit {
			return i, j - i
		}
	}
	return 0, 0
}

// TestOverQuotaFindsAnOverrun: the check itself sees a stretch one call
// over, and not one at the quota.
func TestOverQuotaFindsAnOverrun(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	at := []time.Time{t0, t0.Add(30 * time.Second), t0.Add(60 * time.Second)}
	if _, n := overQuota(at, time.Minute, 2); n != 0 {
		t.Errorf("two calls a minute apart counted as %d", n)
	}
	if i, n := overQuota(at, time.Minute+time.Second, 2); n != 3 || i != 0 {
		t.Errorf("overQuota = %d, %d; want 3 calls from call 0", i, n)
	}
}
