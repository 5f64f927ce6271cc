package connectors

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Errors every connector maps its upstream's faults to, so the server can
// decide what to tell a person without knowing which upstream answered.
var (
	// ErrRateLimited: the upstream asked us to slow down. See RateLimitError.
	ErrRateLimited = errors.New("upstream rate limit")
	// ErrUnavailable: a timeout or 5xx; worth retrying later.
	ErrUnavailable = errors.New("upstream unavailable")
	// ErrGrantRevoked: the grant no longer works (invalid_grant); only a new
	// approval helps.
	ErrGrantRevoked = errors.New("grant revoked")
	// ErrUnauthorized: the upstream refused the access token.
	ErrUnauthorized = errors.New("upstream refused the token")
	// ErrForbidden: the grant is valid but may not do this.
	ErrForbidden = errors.New("upstream forbids")
	// ErrNotFound: the upstream has no such object.
	ErrNotFound = errors.New("upstream object not found")
	// ErrAccessDenied: the approver declined at the upstream's consent screen.
	ErrAccessDenied = errors.New("approver declined")
	// ErrIssuerMismatch: an authorization response came from another issuer.
	ErrIssuerMismatch = errors.New("authorization response from unexpected issuer")
	// ErrBadCallback: the upstream's redirect was malformed.
	ErrBadCallback = errors.New("malformed callback")
)

// RateLimitError is ErrRateLimited with the wait the upstream asked for.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("upstream rate limit: retry after %s", e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// Transient reports whether err is worth retrying: a rate limit or an
// unavailable upstream. Everything else will fail the same way again.
func Transient(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrUnavailable)
}

// Backoff bounds Retry.
type Backoff struct {
	// Attempts is how often op runs at most (at least 1).
	Attempts int
	// Base is the first wait; it doubles each time, with jitter.
	Base time.Duration
	// Max caps one wait, including a rate limit's RetryAfter: past it, Retry
	// gives up rather than hold a person's request for minutes.
	Max time.Duration
}

// DefaultBackoff suits an interactive request: about two seconds at worst.
var DefaultBackoff = Backoff{Attempts: 3, Base: 200 * time.Millisecond, Max: 2 * time.Second}

// Retry runs op until it succeeds, fails for good, or b is spent. It waits
// between tries, honouring a RateLimitError's RetryAfter, and stops at once
// when ctx ends.
func Retry(ctx context.Context, b Backoff, op func(ctx context.Context) error) error {
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
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
	return err
}
