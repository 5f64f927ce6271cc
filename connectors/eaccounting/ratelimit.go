package eaccounting

import (
	"context"
	"sync"
	"time"

	"bilag/connectors"
)

// limiter is a token bucket per endpoint ("GET /vouchers"), shared by every
// company the connector serves, because Visma counts its quota per client and
// endpoint. Keeping one bucket per endpoint is what lets a large company's
// sync (vouchers) run at full speed without delaying someone opening a
// document (attachments): they never wait for each other.
//
// The set of endpoints is a handful of path templates, so buckets are never
// evicted.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time
	// onWait, when set, is told of every wait for a token.
	onWait func(endpoint string, d time.Duration)

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newLimiter allows n requests per period on each endpoint, and a burst of n,
// which matches a quota counted per period.
func newLimiter(n int, period time.Duration) *limiter {
	return &limiter{
		rate:    float64(n) / period.Seconds(),
		burst:   float64(n),
		now:     time.Now,
		buckets: make(map[string]*bucket),
	}
}

// wait takes a token for endpoint, sleeping until one is free. When ctx would
// end before then, it gives up at once with a RateLimitError instead of
// holding the caller until its deadline, so a person waiting for a page gets
// an honest "try again" rather than a timeout.
func (l *limiter) wait(ctx context.Context, endpoint string) error {
	l.mu.Lock()
	now := l.now()
	b := l.buckets[endpoint]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[endpoint] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	b.tokens--
	var d time.Duration
	if b.tokens < 0 {
		d = time.Duration(-b.tokens / l.rate * float64(time.Second))
	}
	if deadline, ok := ctx.Deadline(); ok && d > 0 && now.Add(d).After(deadline) {
		b.tokens++
		l.mu.Unlock()
		return &connectors.RateLimitError{RetryAfter: d}
	}
	l.mu.Unlock()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		// Hand the reserved token back so those queued behind need not
		// wait for a request that will never be made.
		l.mu.Lock()
		b.tokens = min(l.burst, b.tokens+1)
		l.mu.Unlock()
		return ctx.Err()
	case <-t.C:
		if l.onWait != nil {
			l.onWait(endpoint, d)
		}
		return nil
	}
}
