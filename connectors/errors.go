package connectors

import (
	"errors"
	"fmt"
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
	// ErrBadAnswer: the upstream answered, but with something Bilag cannot
	// use: malformed JSON, a file link that is no URL or that a fresh copy
	// of does not open either, an error no documented code explains.
	// Retrying at once does not help; it is the upstream's fault, not
	// Bilag's and not the person's.
	ErrBadAnswer = errors.New("upstream answered something unusable")
)

// RateLimitError is ErrRateLimited with the wait the upstream asked for.
type RateLimitError struct {
	RetryAfter time.Duration
	// Reset is when a quota counted per fixed period on the clock (a UTC
	// day) resets, when that is what is spent; zero otherwise. A wait of
	// hours is better told as the time it ends.
	Reset time.Time
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
