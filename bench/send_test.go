package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// The meter counts every call, and the time at least one was in flight:
// two calls at once behind a delay are two calls and one delay, not two.
func TestMeterCountsCallsAndBusyTime(t *testing.T) {
	const d = 60 * time.Millisecond
	srv := httptest.NewServer(delayed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }), d))
	defer srv.Close()
	m := &meter{base: srv.Client().Transport}
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
	if calls != 2 || busy < d || busy > 2*d-d/4 {
		t.Errorf("two calls at once: %d calls, busy %v; want 2 and about %v", calls, busy, d)
	}
	get()
	if calls, busy2 := m.read(); calls != 3 || busy2-busy < d {
		t.Errorf("a third call after: %d calls, busy %v more; want 3 and at least %v", calls, busy2-busy, d)
	}
	m.reset()
	if calls, busy := m.read(); calls != 0 || busy != 0 {
		t.Errorf("after reset: %d calls, busy %v", calls, busy)
	}
}
