package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test's upstream steps by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// The meter counts every call, and the time at least one was in flight:
// two calls at once behind a delay are two calls and one delay, not two.
// The upstream holds the two calls until both are in and then steps the
// clock once, so the calls overlap however the machine schedules them.
func TestMeterCountsCallsAndBusyTime(t *testing.T) {
	const d = 60 * time.Millisecond
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	var (
		mu      sync.Mutex
		waiting int
		release = make(chan struct{})
		want    = 2
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ch := release
		if waiting++; waiting == want {
			clock.add(d)
			close(ch)
			waiting, release, want = 0, make(chan struct{}), 1
		}
		mu.Unlock()
		<-ch
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	m := &meter{base: srv.Client().Transport, now: clock.now}
	c := &http.Client{Transport: m}
	get := func() {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(get)
	}
	wg.Wait()
	calls, busy := m.read()
	if calls != 2 || busy != d {
		t.Errorf("two calls at once: %d calls, busy %v; want 2 and %v", calls, busy, d)
	}
	get()
	if calls, busy2 := m.read(); calls != 3 || busy2-busy != d {
		t.Errorf("a third call after: %d calls, busy %v more; want 3 and %v", calls, busy2-busy, d)
	}
	m.reset()
	if calls, busy := m.read(); calls != 0 || busy != 0 {
		t.Errorf("after reset: %d calls, busy %v", calls, busy)
	}
}
