package connectors

import (
	"context"
	"time"
)

// Budget hands out an upstream's call quota to everyone who calls it: every
// company, every instance. A connector asks it before each call; it never
// answers "no" while the caller can wait, it makes the caller wait its
// turn. Interactive callers (a person opening a voucher or a document) go
// first; background callers (syncs, prefetching) share what is left, turn
// about by company.
type Budget interface {
	// Take waits until one call under q may be made by a caller of
	// priority p working for company (any stable name of the company, for
	// fairness; "" is a company of its own). When ctx would end before
	// the call's turn, it returns a *RateLimitError at once, or ctx's
	// error if ctx ends while waiting.
	Take(ctx context.Context, q Quota, p Priority, company string) error
}

// Quota is one limit an upstream sets: at most Limit calls per Period,
// counted under Key. An upstream with two limits on one call (per minute
// and per day) is asked for both, one Take each.
type Quota struct {
	// Key names what the upstream counts, e.g. "eaccounting:<client>:GET /vouchers"
	// or "economic:<agreement>:day"; every instance must use the same key.
	Key    string
	Limit  int
	Period time.Duration
	// Aligned: the upstream counts in fixed periods on the clock (a UTC
	// day) rather than in any Period-long stretch of time.
	Aligned bool
}

// Priority orders callers of one quota.
type Priority int

// The priorities, first served first.
const (
	// PriorityInteractive: a person waits for the answer.
	PriorityInteractive Priority = iota
	// PriorityBackground: a sync, a prefetch, a scheduled job.
	PriorityBackground
)

func (p Priority) String() string {
	if p == PriorityInteractive {
		return "interactive"
	}
	return "background"
}

type callerKey struct{}

type caller struct {
	priority Priority
	company  string
	set      bool
}

// WithCaller says for whom the connector calls made under ctx are: their
// priority and the company they are for. Connectors pass both to their
// Budget.
func WithCaller(ctx context.Context, p Priority, company string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller{priority: p, company: company, set: true})
}

// CallerOf is what WithCaller put in ctx. Without it the priority follows
// the retry policy (Interactive when a person's policy is in force) and the
// company is "".
func CallerOf(ctx context.Context) (Priority, string) {
	if c, ok := ctx.Value(callerKey{}).(caller); ok && c.set {
		return c.priority, c.company
	}
	if BackoffOf(ctx) == Interactive() {
		return PriorityInteractive, ""
	}
	return PriorityBackground, ""
}
