package db_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/budget"
	"bilag/db"
	"bilag/db/dbtest"
)

// TestUpdateBudgetStateAtomic: three instances, eight callers each,
// counting into one state at once: every increment lands, none is lost to
// another instance's write (the state is a count here; the budget keeps
// its buckets the same way).
func TestUpdateBudgetStateAtomic(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		var wg sync.WaitGroup
		for range 3 {
			d := openTestDB(t, url, nil)
			for range 8 {
				wg.Go(func() {
					for range 5 {
						err := d.UpdateBudgetState(t.Context(), "eaccounting:c:GET /vouchers", func(state []byte) ([]byte, error) {
							n, _ := strconv.Atoi(string(state))
							return []byte(strconv.Itoa(n + 1)), nil
						})
						if err != nil {
							t.Errorf("UpdateBudgetState = %v", err)
						}
					}
				})
			}
		}
		wg.Wait()
		d := openTestDB(t, url, nil)
		var got []byte
		err := d.UpdateBudgetState(t.Context(), "eaccounting:c:GET /vouchers", func(state []byte) ([]byte, error) {
			got = state
			return nil, nil // nothing to store
		})
		if err != nil || string(got) != "120" {
			t.Errorf("state after 120 increments = %q, %v", got, err)
		}
	})
}

// simClock is simulated time shared by two instances' budgets.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) WaitUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
	return ctx.Err()
}

// TestSharedBudgetTwoInstances: two instances, each with its own database
// handle and budget, sync two companies each against one quota of 120
// calls a minute for five simulated minutes, while a person on each opens
// something every few seconds. No minute holds more than
// 120 of their calls, and together they use at least 85 % of the quota.
// On SQLite the same holds for the instances sharing the file.
func TestSharedBudgetTwoInstances(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		clk := &simClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
		q := connectors.Quota{Key: "eaccounting:client:GET /vouchers", Limit: 120, Period: time.Minute}
		start := clk.Now()
		end := start.Add(5 * time.Minute)
		var mu sync.Mutex
		var at []time.Time
		perInstance := [2]int{}
		var wg sync.WaitGroup
		for i := range 2 {
			var d *db.DB = openTestDB(t, url, nil)
			b := budget.New(budget.Options{Store: d, Now: clk.Now, WaitUntil: clk.WaitUntil})
			for _, company := range []string{"x", "y"} {
				wg.Go(func() {
					for {
						if err := b.Take(t.Context(), q, connectors.PriorityBackground, company); err != nil {
							t.Errorf("Take = %v", err)
							return
						}
						now := clk.Now()
						if !now.Before(end) {
							return
						}
						mu.Lock()
						at = append(at, now)
						perInstance[i]++
						mu.Unlock()
					}
				})
			}
			// A person opening something every few seconds, borrowing
			// from the next window when the syncs have spent this one.
			wg.Go(func() {
				for {
					if err := b.Take(t.Context(), q, connectors.PriorityInteractive, ""); err != nil {
						t.Errorf("interactive Take = %v", err)
						return
					}
					now := clk.Now()
					if !now.Before(end) {
						return
					}
					mu.Lock()
					at = append(at, now)
					mu.Unlock()
					for next := now.Add(5 * time.Second); clk.Now().Before(next) && clk.Now().Before(end); {
						runtime.Gosched()
					}
				}
			})
		}
		wg.Wait()
		for i := range at {
			n := 0
			for _, u := range at {
				if !u.Before(at[i]) && u.Before(at[i].Add(time.Minute)) {
					n++
				}
			}
			if n > q.Limit {
				t.Fatalf("%d calls in the minute from %v: more than the quota of %d", n, at[i].Sub(start), q.Limit)
			}
		}
		if use := float64(len(at)) / float64(5*q.Limit); use < 0.85 {
			t.Errorf("used %.0f %% of the quota (%d calls), want at least 85 %%", use*100, len(at))
		}
		if perInstance[0] == 0 || perInstance[1] == 0 {
			t.Errorf("calls per instance = %v: one starved", perInstance)
		}
	})
}

// BenchmarkAdmit is one call's turn in a budget counted on SQLite, with
// the minute far from spent: a person's call (a round trip to the store
// each) and a sync's (mostly from the calls leased a few at a time).
func BenchmarkAdmit(b *testing.B) {
	d, err := db.Open(b.Context(), dbtest.SQLiteURL(b), db.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	q := connectors.Quota{Key: "eaccounting:client:GET /vouchers", Limit: 1 << 30, Period: time.Minute}
	for _, p := range []connectors.Priority{connectors.PriorityInteractive, connectors.PriorityBackground} {
		b.Run(p.String(), func(b *testing.B) {
			bud := budget.New(budget.Options{Store: d, Chunk: 4})
			for b.Loop() {
				if err := bud.Take(b.Context(), q, p, "x"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
