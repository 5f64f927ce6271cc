package economic

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// readAll reads listReaders at a time, returns the first error, and what
// was not started after it is not started.
func TestReadAll(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		n       int
		failAt  int // -1: none
		want    error
		maxRuns int
	}{
		{"all", 13, -1, nil, 13},
		{"none", 0, -1, nil, 0},
		{"first fails", 13, 0, boom, listReaders + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var running, most, runs atomic.Int32
			reads := make([]func(context.Context) error, tt.n)
			for i := range reads {
				reads[i] = func(ctx context.Context) error {
					runs.Add(1)
					now := running.Add(1)
					defer running.Add(-1)
					for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
					}
					if i == tt.failAt {
						return boom
					}
					select {
					case <-time.After(20 * time.Millisecond):
					case <-ctx.Done():
						return ctx.Err()
					}
					return nil
				}
			}
			if err := readAll(t.Context(), reads); !errors.Is(err, tt.want) {
				t.Errorf("readAll = %v, want %v", err, tt.want)
			}
			if most.Load() > listReaders || int(runs.Load()) > tt.maxRuns {
				t.Errorf("%d at once (at most %d), %d run (at most %d)", most.Load(), listReaders, runs.Load(), tt.maxRuns)
			}
		})
	}
}
