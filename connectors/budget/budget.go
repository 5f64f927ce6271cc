// Package budget is the rate budget of Bilag's upstream calls: one budget
// per upstream quota, however many companies and instances spend it.
//
// A quota of L calls per period P that the upstream counts over any
// P-long stretch (Visma's 600 a minute "per client and endpoint") is
// counted in buckets of P/n (n = 60: one-second buckets), and a call is
// let through while the last n+2 buckets, the current one included, hold
// fewer than L. A P-long stretch of the upstream's clock, wherever it
// starts, touches at most n+1 buckets; the one more is for the jitter
// between a call's turn here and its arrival there (up to a bucket). So no
// P-long stretch, however the upstream places it, ever holds more than L,
// and a person's burst goes through at once whenever the last minute has
// room: nothing is spread over the minute. A steady caller gets L every
// n+2 buckets (97 % of the quota for a minute). A quota the upstream
// counts per fixed period on the clock (Aligned, e-conomic's UTC day) is
// one bucket per period holding L.
//
// People go first. Within an instance they are served before any
// background caller; and the background never spends the last few calls
// of a span (reserve: L/40, at least borrowCalls, at most L/4), which are
// the people's to borrow: a person waits only when people have spent
// those too. Background callers are served turn about by company.
// Nothing is reserved in an aligned quota (what a person borrowed there
// would be the background's all day long).
//
// The buckets are kept in a Store: in memory for one instance, in the
// database (db.DB) when several share the quota, each quota's as one
// state that every instance changes atomically. An instance leases a few
// calls of the current bucket at a time (Options.Chunk), so most calls
// cost no round trip to the store; calls leased and not used when the
// bucket ends are lost, at most a chunk per instance.
package budget

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"bilag/connectors"
)

// Store keeps each quota's state (what its last buckets hold).
type Store interface {
	// UpdateBudgetState runs update on key's state (nil when there is
	// none yet) and keeps what it returns (nothing when it returns nil),
	// atomically against every other instance's UpdateBudgetState of key:
	// when another stored key's state meanwhile, update runs again on
	// theirs. update only computes.
	UpdateBudgetState(ctx context.Context, key string, update func(state []byte) ([]byte, error)) error
}

// Options configure a Budget; the zero value is an in-memory budget.
type Options struct {
	// Store keeps the quotas' states; nil keeps them in memory (one
	// instance).
	Store Store
	// Buckets is the number of buckets per period of a quota the
	// upstream counts over any stretch of time (default 60).
	Buckets int
	// Chunk is the most calls a background caller leases at once
	// (default the background's share of a bucket over four, at least 1).
	Chunk int
	// Now and WaitUntil are the clock; tests inject both. WaitUntil
	// returns when Now reaches t, or earlier when ctx ends.
	Now       func() time.Time
	WaitUntil func(ctx context.Context, t time.Time) error
	// OnGrant, when set, is told of every call granted: the quota, for
	// whom and how long the caller waited. It must be fast.
	OnGrant func(key string, p connectors.Priority, company string, waited time.Duration)
	Logger  *slog.Logger
}

// Budget is a connectors.Budget. It is safe for concurrent use.
type Budget struct {
	opt    Options
	mu     sync.Mutex
	quotas map[string]*quota
	// onGrantAt is the tests' view of each grant: the time the budget
	// counted it at.
	onGrantAt func(key string, at time.Time)
}

var _ connectors.Budget = (*Budget)(nil)

// New makes a Budget.
func New(opt Options) *Budget {
	if opt.Store == nil {
		opt.Store = NewMemoryStore()
	}
	if opt.Buckets <= 0 {
		opt.Buckets = 60
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.WaitUntil == nil {
		opt.WaitUntil = func(ctx context.Context, t time.Time) error { return connectors.Sleep(ctx, time.Until(t)) }
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Budget{opt: opt, quotas: make(map[string]*quota)}
}

// quota is one quota's state on this instance.
type quota struct {
	q connectors.Quota
	// bucket is the index of the bucket local was leased in.
	bucket int64
	local  int
	// interactive waiters in arrival order; background ones by company,
	// served in the order of ring.
	inter   []*waiter
	bg      map[string][]*waiter
	ring    []string
	next    int
	running bool
	wake    chan struct{}
}

type waiter struct {
	p       connectors.Priority
	company string
	since   time.Time
	ready   chan error
	done    bool
	bucket  int64
	// deadline is the caller's context's, zero when it has none.
	deadline time.Time
}

// Take waits for the turn of one call under q.
func (b *Budget) Take(ctx context.Context, q connectors.Quota, p connectors.Priority, company string) error {
	if q.Limit <= 0 || q.Period <= 0 {
		return fmt.Errorf("budget: quota %q: limit %d per %s: %w", q.Key, q.Limit, q.Period, errBadQuota)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &waiter{p: p, company: company, since: b.opt.Now(), ready: make(chan error, 1)}
	w.deadline, _ = ctx.Deadline()
	b.mu.Lock()
	st := b.quotas[q.Key]
	if st == nil {
		st = &quota{q: q, bg: make(map[string][]*waiter), wake: make(chan struct{}, 1), bucket: -1}
		b.quotas[q.Key] = st
	}
	st.q = q
	if p == connectors.PriorityInteractive {
		st.inter = append(st.inter, w)
	} else {
		if len(st.bg[company]) == 0 {
			st.ring = append(st.ring, company)
		}
		st.bg[company] = append(st.bg[company], w)
	}
	if !st.running {
		st.running = true
		go b.pump(st)
	} else if p == connectors.PriorityInteractive {
		// A pump asleep while the background's share of the span is
		// spent wakes: a person may borrow the calls kept for people.
		select {
		case st.wake <- struct{}{}:
		default:
		}
	}
	b.mu.Unlock()
	select {
	case err := <-w.ready:
		return err
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		if w.done {
			// Granted as ctx ended: hand the call back to those behind.
			if err := <-w.ready; err == nil && st.bucket == w.bucket {
				st.local++
			}
			return ctx.Err()
		}
		st.remove(w)
		return ctx.Err()
	}
}

var errBadQuota = errors.New("not a quota")

// remove takes w out of the queue. Called with b.mu held.
func (st *quota) remove(w *waiter) {
	w.done = true
	if w.p == connectors.PriorityInteractive {
		for i, x := range st.inter {
			if x == w {
				st.inter = append(st.inter[:i], st.inter[i+1:]...)
				return
			}
		}
		return
	}
	list := st.bg[w.company]
	for i, x := range list {
		if x == w {
			st.bg[w.company] = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(st.bg[w.company]) == 0 {
		st.dropCompany(w.company)
	}
}

func (st *quota) dropCompany(company string) {
	delete(st.bg, company)
	for i, c := range st.ring {
		if c == company {
			st.ring = append(st.ring[:i], st.ring[i+1:]...)
			if st.next > i {
				st.next--
			}
			break
		}
	}
	if st.next >= len(st.ring) {
		st.next = 0
	}
}

// head is the waiter served next: the first interactive one, else the
// background one whose company's turn it is.
func (st *quota) head() *waiter {
	if len(st.inter) > 0 {
		return st.inter[0]
	}
	if len(st.ring) == 0 {
		return nil
	}
	return st.bg[st.ring[st.next]][0]
}

// pop takes the head out of the queue and moves the turn to the next
// company.
func (st *quota) pop() *waiter {
	if len(st.inter) > 0 {
		w := st.inter[0]
		st.inter = st.inter[1:]
		return w
	}
	c := st.ring[st.next]
	w := st.bg[c][0]
	st.bg[c] = st.bg[c][1:]
	if len(st.bg[c]) == 0 {
		st.dropCompany(c)
	} else {
		st.next = (st.next + 1) % len(st.ring)
	}
	return w
}

func (st *quota) waiting() int {
	n := len(st.inter)
	for _, l := range st.bg {
		n += len(l)
	}
	return n
}

// borrowCalls is how many calls the background leaves to people in any
// span, at least (a person's open makes two or three calls of one
// endpoint).
const borrowCalls = 4

// shape is how a quota is counted.
type shape struct {
	// length is a bucket's, in nanoseconds; span the buckets counted.
	length int64
	span   int
	// limit is the people's, bgLimit the background's.
	limit, bgLimit int
}

func (b *Budget) shapeOf(q connectors.Quota) shape {
	if q.Aligned {
		return shape{length: int64(q.Period), span: 1, limit: q.Limit, bgLimit: q.Limit}
	}
	n := b.opt.Buckets
	reserve := min(max(borrowCalls, q.Limit/40), q.Limit/4)
	return shape{length: max(1, int64(q.Period)/int64(n)), span: n + 2, limit: q.Limit, bgLimit: q.Limit - reserve}
}

// pump hands out st's calls while anyone waits for them, one goroutine
// per quota.
func (b *Budget) pump(st *quota) {
	for {
		b.mu.Lock()
		w := st.head()
		if w == nil {
			st.running = false
			b.mu.Unlock()
			return
		}
		now := b.opt.Now()
		sh := b.shapeOf(st.q)
		idx := now.UnixNano() / sh.length
		if idx != st.bucket {
			st.bucket, st.local = idx, 0
		}
		if st.local > 0 {
			st.local--
			b.grant(st, now)
			b.mu.Unlock()
			continue
		}
		want, limit := b.ask(st, w, sh)
		key := st.q.Key
		b.mu.Unlock()

		got, room, err := b.lease(key, sh, idx, want, limit)
		if err != nil || got == 0 {
			b.spent(st, room, now, err)
			continue
		}
		b.mu.Lock()
		if st.bucket == idx {
			st.local += got
		}
		b.mu.Unlock()
	}
}

// ask is how many calls to lease for the head w, and under which limit:
// every person waiting at once (a burst goes through together) under the
// whole quota, or a chunk for the background under its share. Called with
// b.mu held.
func (b *Budget) ask(st *quota, w *waiter, sh shape) (want, limit int) {
	if w.p == connectors.PriorityInteractive {
		return len(st.inter), sh.limit
	}
	if b.opt.Chunk > 0 {
		return b.opt.Chunk, sh.bgLimit
	}
	return max(1, sh.bgLimit/(4*sh.span)), sh.bgLimit
}

// spent deals with a lease that got nothing: a store that failed fails
// everyone waiting; a span spent for the head sleeps until it has room,
// failing at once whoever cannot wait that long.
func (b *Budget) spent(st *quota, room, now time.Time, err error) {
	b.mu.Lock()
	if err != nil {
		b.opt.Logger.Warn("rate budget: lease calls", "quota", st.q.Key, "err", err)
		b.failAll(st, fmt.Errorf("rate budget %q: %w: %w", st.q.Key, connectors.ErrUnavailable, err))
		b.mu.Unlock()
		return
	}
	b.failImpatient(st, room, now)
	b.mu.Unlock()
	// A person arriving meanwhile (st.wake) ends the sleep: they may
	// borrow the calls kept for people. Only this wait takes the signal,
	// so none is lost to a wait already over.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slept := make(chan struct{})
	go func() {
		_ = b.opt.WaitUntil(ctx, room)
		close(slept)
	}()
	select {
	case <-slept:
	case <-st.wake:
		cancel()
		<-slept
	}
}

// lease takes up to want calls in bucket idx while the span holds fewer
// than limit, and says when the span next has room under limit.
func (b *Budget) lease(key string, sh shape, idx int64, want, limit int) (got int, room time.Time, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = b.opt.Store.UpdateBudgetState(ctx, key, func(state []byte) ([]byte, error) {
		r, err := parseRing(state, sh.span)
		if err != nil {
			// A state nobody can read is started again: at worst one
			// span's calls are counted twice over.
			b.opt.Logger.Warn("rate budget: state unreadable, started again", "quota", key, "err", err)
			r = ring{counts: make([]int, sh.span)}
		}
		r.advance(idx)
		got = r.take(want, limit)
		room = time.Unix(0, (r.head+int64(r.roomAfter(limit)))*sh.length)
		if got == 0 {
			return nil, nil
		}
		return r.encode(), nil
	})
	return got, room, err
}

// grant gives the head its call. Called with b.mu held.
func (b *Budget) grant(st *quota, now time.Time) {
	w := st.pop()
	w.done, w.bucket = true, st.bucket
	if b.onGrantAt != nil {
		b.onGrantAt(st.q.Key, now)
	}
	if b.opt.OnGrant != nil {
		b.opt.OnGrant(st.q.Key, w.p, w.company, now.Sub(w.since))
	}
	w.ready <- nil
}

func (b *Budget) failAll(st *quota, err error) {
	for w := st.head(); w != nil; w = st.head() {
		st.pop()
		w.done = true
		w.ready <- err
	}
}

// failImpatient fails every waiter whose context ends before until, with
// how long it would have waited. Waiters keep no context here, so each
// carries its deadline.
func (b *Budget) failImpatient(st *quota, until, now time.Time) {
	var late []*waiter
	for _, w := range st.inter {
		if !w.deadline.IsZero() && w.deadline.Before(until) {
			late = append(late, w)
		}
	}
	for _, l := range st.bg {
		for _, w := range l {
			if !w.deadline.IsZero() && w.deadline.Before(until) {
				late = append(late, w)
			}
		}
	}
	// A quota the upstream counts per period on the clock resets when
	// its bucket (the day) ends: a person is told when (a day's is hours away).
	var reset time.Time
	if st.q.Aligned {
		reset = until
	}
	for _, w := range late {
		st.remove(w)
		w.ready <- &connectors.RateLimitError{RetryAfter: until.Sub(now), Reset: reset}
	}
}
