package db_test

import (
	"sync"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestAddCalls: instances counting at once lose no call, and a new UTC day
// starts from zero.
func TestAddCalls(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		handles := make([]*db.DB, 3)
		for i := range handles {
			handles[i] = openTestDB(t, url, nil)
		}
		day := time.Date(2026, 12, 3, 23, 59, 0, 0, time.UTC)
		var wg sync.WaitGroup
		for _, d := range handles {
			for range 10 {
				wg.Go(func() {
					if _, err := d.AddCalls(ctx, "economic:1234", day, 2); err != nil {
						t.Errorf("AddCalls() = %v", err)
					}
				})
			}
		}
		wg.Wait()
		if got, err := handles[0].AddCalls(ctx, "economic:1234", day, 1); err != nil || got != 61 {
			t.Fatalf("AddCalls() after 30 concurrent adds of 2 = %d, %v; want 61", got, err)
		}
		if got, _ := handles[1].AddCalls(ctx, "economic:9999", day, 1); got != 1 {
			t.Errorf("another key's count = %d, want 1", got)
		}
		// Copenhagen's 1 a.m. is still the same UTC day; the next UTC day is not.
		if got, _ := handles[2].AddCalls(ctx, "economic:1234", day.Add(2*time.Minute), 1); got != 1 {
			t.Errorf("count on the next UTC day = %d, want 1", got)
		}
	})
}

// TestTakeLease: one holder at a time across handles; the holder renews;
// an expired or released lease goes to the next.
func TestTakeLease(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		clock := dbtest.NewClock(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
		ctx := t.Context()
		a, err := db.Open(ctx, url, db.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		b := openTestDB(t, url, clock.Now)
		const key = "netvisor:org"
		take := func(d *db.DB, holder string) bool {
			ok, err := d.TakeLease(ctx, key, holder, clock.Now().Add(2*time.Minute))
			if err != nil {
				t.Fatalf("TakeLease(%s) = %v", holder, err)
			}
			return ok
		}
		if !take(a, "one") {
			t.Fatal("a free lease was refused")
		}
		if take(b, "two") {
			t.Fatal("a held lease was given to a second holder")
		}
		if !take(a, "one") {
			t.Fatal("the holder could not renew its lease")
		}
		if err := b.ReleaseLease(ctx, key, "two"); err != nil {
			t.Fatal(err)
		}
		if take(b, "two") {
			t.Fatal("releasing by a non-holder freed the lease")
		}
		if err := a.ReleaseLease(ctx, key, "one"); err != nil {
			t.Fatal(err)
		}
		if !take(b, "two") {
			t.Fatal("a released lease was refused")
		}
		clock.Advance(3 * time.Minute)
		if !take(a, "one") {
			t.Fatal("an expired lease was refused")
		}
	})
}
