// Package budget is the rate budget of Bilag's upstream calls: one budget
// per upstream quota, however many companies and instances spend it.
//
// Time is cut into windows: a quota of L calls per period P that the
// upstream counts over any P-long stretch (Visma's 600 a minute) gets n
// windows per period, and window i may spend
//
//	floor((i+1)·L/d) − floor(i·L/d),  d = n+2+k,
//
// calls, so that any d windows in a row spend exactly L. A P-long stretch
// of the upstream's clock touches at most n+1 windows; k more are for the
// calls a person borrows from the windows ahead (below), and one for the
// jitter between Bilag's clock and the upstream's. So no quota is ever
// overrun however the upstream places its windows. k is the fewest
// windows that hold borrowCalls calls (a person's open makes two or three
// calls of one endpoint): 1 for Visma's 600 a minute, so a steady caller
// gets 40/43 (93 %) of it; 2 for 120 (91 %). A quota the upstream counts
// per fixed period on the clock (Aligned, e-conomic's UTC day) has one
// window per period holding L, and nothing is borrowed.
//
// What a window has spent is counted in a Store: in memory for one
// instance, in the database (db.DB) when several share the quota. An
// instance leases a few calls of the current window at a time (Chunk), so
// most calls cost no round trip to the store; calls leased and not used
// when the window ends are lost, at most a chunk per instance.
//
// Interactive callers go first: within an instance they are served before
// any background caller, and when the background has spent the current
// window a person borrows from the windows ahead, which the background
// cannot touch before they start; so a person waits only when people have
// spent those too. Background callers are served turn about by company.
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

// Store counts the calls spent of each quota's windows.
type Store interface {
	// LeaseCalls adds up to want calls to key's count for the window that
	// starts at window (Unix milliseconds), never taking the count past
	// limit, and returns how many it added (0 when the window is spent).
	LeaseCalls(ctx context.Context, key string, window int64, want, limit int) (int, error)
}

// Options configure a Budget; the zero value is an in-memory budget.
type Options struct {
	// Store counts the calls; nil counts in memory (one instance).
	Store Store
	// Windows is the number of windows per period of a quota the upstream
	// counts over any stretch of time (default 40).
	Windows int
	// Chunk is the most calls leased at once (default a quarter of a
	// window's calls, at least 1).
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
}

var _ connectors.Budget = (*Budget)(nil)

// New makes a Budget.
func New(opt Options) *Budget {
	if opt.Store == nil {
		opt.Store = NewMemoryStore()
	}
	if opt.Windows <= 0 {
		opt.Windows = 40
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
	// window is the index of the window local belongs to.
	window int64
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
	window  int64
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
		st = &quota{q: q, bg: make(map[string][]*waiter), wake: make(chan struct{}, 1), window: -1}
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
		// A pump asleep for the end of a window spent by the background
		// wakes: a person may borrow from the windows ahead.
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
			if err := <-w.ready; err == nil && st.window == w.window {
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

// borrowCalls is how many calls a person may borrow ahead, at least.
const borrowCalls = 4

// plan is what the clock says of a quota at one moment.
type plan struct {
	index int64
	// start and end of the window.
	start, end time.Time
	calls      int
	// ahead are the windows a person may borrow from, nearest first
	// (none when the upstream counts in fixed windows: what is borrowed
	// there is spent twice).
	ahead []window
}

type window struct {
	start time.Time
	calls int
}

func (b *Budget) planAt(q connectors.Quota, now time.Time) plan {
	n := int64(b.opt.Windows)
	if q.Aligned {
		n = 1
	}
	length := int64(q.Period / time.Duration(n))
	i := now.UnixNano() / length
	var k int64
	if !q.Aligned {
		// The fewest windows ahead that hold borrowCalls.
		k = 1
		for k < n && int64(borrowCalls)*(n+2+k) > k*int64(q.Limit) {
			k++
		}
	}
	callsOf := func(i int64) int {
		if q.Aligned {
			return q.Limit
		}
		l, d := int64(q.Limit), n+2+k
		return int((i+1)*l/d - i*l/d)
	}
	p := plan{index: i, start: time.Unix(0, i*length), end: time.Unix(0, (i+1)*length), calls: callsOf(i)}
	for j := int64(1); j <= k; j++ {
		p.ahead = append(p.ahead, window{start: time.Unix(0, (i+j)*length), calls: callsOf(i + j)})
	}
	return p
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
		p := b.planAt(st.q, now)
		if p.index != st.window {
			st.window, st.local = p.index, 0
		}
		if st.local > 0 {
			st.local--
			b.grant(st, now)
			b.mu.Unlock()
			continue
		}
		interactive := w.p == connectors.PriorityInteractive
		want := len(st.inter)
		if !interactive {
			want = b.opt.Chunk
			if want <= 0 {
				want = max(1, p.calls/4)
			}
		}
		key := st.q.Key
		b.mu.Unlock()

		got, borrowed, err := b.lease(key, p, interactive, want)

		b.mu.Lock()
		if err != nil {
			b.opt.Logger.Warn("rate budget: lease calls", "quota", key, "err", err)
			b.failAll(st, fmt.Errorf("rate budget %q: %w: %w", key, connectors.ErrUnavailable, err))
			b.mu.Unlock()
			continue
		}
		if st.window == p.index {
			st.local += got
		}
		// Calls borrowed from the windows ahead are the people's alone,
		// handed out now.
		for n, at := borrowed, b.opt.Now(); n > 0 && len(st.inter) > 0; n-- {
			b.grantInteractive(st, at)
		}
		if got > 0 || borrowed > 0 {
			b.mu.Unlock()
			continue
		}
		// Spent for the head: sleep until the next window, failing at
		// once whoever cannot wait that long.
		b.failImpatient(st, p.end, now)
		b.mu.Unlock()
		// A person arriving meanwhile (st.wake) ends the sleep: they may
		// borrow from the windows ahead. Only this wait takes the signal,
		// so none is lost to a wait already over.
		ctx, cancel := context.WithCancel(context.Background())
		slept := make(chan struct{})
		go func() {
			_ = b.opt.WaitUntil(ctx, p.end)
			close(slept)
		}()
		select {
		case <-slept:
		case <-st.wake:
			cancel()
			<-slept
		}
		cancel()
	}
}

// lease takes up to want calls of the current window from the store;
// when it has none left and the head is a person, it borrows up to want
// from the windows ahead instead.
func (b *Budget) lease(key string, p plan, interactive bool, want int) (got, borrowed int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if p.calls > 0 {
		if got, err = b.opt.Store.LeaseCalls(ctx, key, p.start.UnixMilli(), max(1, min(want, p.calls)), p.calls); err != nil || got > 0 {
			return got, 0, err
		}
	}
	if !interactive {
		return 0, 0, nil
	}
	for _, w := range p.ahead {
		if w.calls <= 0 {
			continue
		}
		if borrowed, err = b.opt.Store.LeaseCalls(ctx, key, w.start.UnixMilli(), max(1, min(want, w.calls)), w.calls); err != nil || borrowed > 0 {
			return 0, borrowed, err
		}
	}
	return 0, 0, nil
}

// grantInteractive gives the first interactive waiter its call. Called
// with b.mu held.
func (b *Budget) grantInteractive(st *quota, now time.Time) {
	w := st.inter[0]
	st.inter = st.inter[1:]
	w.done, w.window = true, -1 // a borrowed call is not handed back
	if b.opt.OnGrant != nil {
		b.opt.OnGrant(st.q.Key, w.p, w.company, now.Sub(w.since))
	}
	w.ready <- nil
}

// grant gives the head its call. Called with b.mu held.
func (b *Budget) grant(st *quota, now time.Time) {
	w := st.pop()
	w.done, w.window = true, st.window
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
	// its window ends: a person is told when (a day's is hours away).
	var reset time.Time
	if st.q.Aligned {
		reset = until
	}
	for _, w := range late {
		st.remove(w)
		w.ready <- &connectors.RateLimitError{RetryAfter: until.Sub(now), Reset: reset}
	}
}
