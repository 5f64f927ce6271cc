package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// sample is what a batch of requests measured.
type sample struct {
	lat   []time.Duration
	wall  time.Duration
	bytes int64
	errs  int
	first error
}

func (s *sample) add(o sample) {
	s.lat = append(s.lat, o.lat...)
	s.wall += o.wall
	s.bytes += o.bytes
	s.errs += o.errs
	if s.first == nil {
		s.first = o.first
	}
}

// pct is the p-th percentile (0..100), nearest rank.
func (s *sample) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	l := slices.Clone(s.lat)
	slices.Sort(l)
	i := int(float64(len(l))*p/100+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

// rps is requests per second of wall time.
func (s *sample) rps() float64 {
	if s.wall <= 0 {
		return 0
	}
	return float64(len(s.lat)) / s.wall.Seconds()
}

// fire requests every URL once from conc workers; a body must have size
// bytes (size < 0: any). Each request is bounded by the client's timeout.
func fire(ctx context.Context, c *http.Client, cookie string, urls []string, conc int, size int64) sample {
	var (
		next atomic.Int64
		mu   sync.Mutex
		out  sample
		wg   sync.WaitGroup
	)
	out.lat = make([]time.Duration, 0, len(urls))
	start := time.Now()
	for range min(conc, len(urls)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(urls) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				n, err := get(ctx, c, cookie, urls[i])
				d := time.Since(t0)
				if err == nil && size >= 0 && n != size {
					err = fmt.Errorf("got %d bytes, want %d", n, size)
				}
				mu.Lock()
				out.bytes += n
				if err != nil {
					out.errs++
					if out.first == nil {
						out.first = err
					}
				} else {
					out.lat = append(out.lat, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	out.wall = time.Since(start)
	return out
}

func get(ctx context.Context, c *http.Client, cookie, u string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("GET %s = %d", u, resp.StatusCode)
	}
	return n, nil
}

// heapPeak samples the heap every 2 ms while f runs and returns f's error
// and the largest growth of HeapAlloc over the level before it started
// (after a GC). The process holds the portal, the sandbox and the clients,
// so this counts all of them: an upper bound on the portal's share.
func heapPeak(f func() error) (int64, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	peak.Store(base)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	err := f()
	close(done)
	<-stopped
	return int64(peak.Load()) - int64(base), err
}
