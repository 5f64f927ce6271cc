package connectors

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Backoff bounds Retry. Retrying is the connector's business alone: only it
// knows which of its requests may be repeated (a single-use code or refresh
// token may not). The caller only says how long it can wait, by passing a
// Backoff with the call (WithBackoff).
type Backoff struct {
	// Attempts is how often op runs at most (at least 1).
	Attempts int
	// Base is the first wait; it doubles each time, with jitter.
	Base time.Duration
	// Max caps one wait, including a rate limit's RetryAfter: past it, Retry
	// gives up rather than hold a person's request for minutes.
	Max time.Duration
}

// Interactive suits a person waiting for a page: three tries, and the waits
// between them add up to at most about a second.
func Interactive() Backoff {
	return Backoff{Attempts: 3, Base: 200 * time.Millisecond, Max: 2 * time.Second}
}

// Background suits a sync or a scheduled job: it has time, and Visma's
// rate-limit answer asks for up to a minute.
func Background() Backoff {
	return Backoff{Attempts: 5, Base: time.Second, Max: 65 * time.Second}
}

type backoffKey struct{}

// WithBackoff returns a context whose connector calls retry within b.
func WithBackoff(ctx context.Context, b Backoff) context.Context {
	return context.WithValue(ctx, backoffKey{}, b)
}

// BackoffOf is the policy the caller passed with ctx; Interactive when none.
func BackoffOf(ctx context.Context) Backoff {
	if b, ok := ctx.Value(backoffKey{}).(Backoff); ok {
		return b
	}
	return Interactive()
}

// Sleeper waits d, or less when ctx ends (then it returns ctx's error).
// Connectors take one so tests can count the waits instead of sitting
// through them.
type Sleeper func(ctx context.Context, d time.Duration) error

// Sleep is the real Sleeper.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Retry runs op until it succeeds, fails for good, or the policy passed with
// ctx is spent. It waits between tries through sleep (Sleep when nil),
// honouring a RateLimitError's RetryAfter, and stops at once when ctx ends.
func Retry(ctx context.Context, sleep Sleeper, op func(ctx context.Context) error) error {
	if sleep == nil {
		sleep = Sleep
	}
	b := BackoffOf(ctx)
	attempts := max(b.Attempts, 1)
	wait := b.Base
	var err error
	for i := range attempts {
		if err = op(ctx); err == nil || !Transient(err) || i == attempts-1 {
			return err
		}
		d := wait + rand.N(wait/2+1)
		var rl *RateLimitError
		if errors.As(err, &rl) && rl.RetryAfter > d {
			d = rl.RetryAfter
		}
		if b.Max > 0 && d > b.Max {
			return err
		}
		if serr := sleep(ctx, d); serr != nil {
			return errors.Join(err, serr)
		}
		wait *= 2
	}
	return err
}
