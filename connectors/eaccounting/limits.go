package eaccounting

import (
	"context"
	"errors"
	"net/http/httptrace"
	"sync"
	"time"

	"bilag/connectors"
)

// The default limits of Config. Visma documents no timeouts; these keep a
// person's wait for an honest answer within 10 s: a connection within 3 s,
// the first byte of an answer within 8 s, a refresh within 5 s (well inside
// the 25 s db.FreshGrant allows it), and one operation a person waits for,
// its retries included, within 10 s. A whole API call may take 30 s, and a
// background job waits that long for a first byte too, for a sync's page of
// a thousand vouchers; a person's calls end sooner, by the interactive
// limit.
const (
	DefaultConnectTimeout     = 3 * time.Second
	DefaultFirstByteTimeout   = 8 * time.Second
	DefaultCallTimeout        = 30 * time.Second
	DefaultTokenTimeout       = 5 * time.Second
	DefaultInteractiveTimeout = 10 * time.Second
)

// The causes a call ends with when a limit runs out; each is the upstream
// being unavailable (transportError).
var (
	errConnectTimeout     = errors.New("no connection within the connect timeout")
	errFirstByteTimeout   = errors.New("no answer within the first-byte timeout")
	errCallTimeout        = errors.New("call not complete within the call timeout")
	errTokenTimeout       = errors.New("identity server did not answer within the token timeout")
	errInteractiveTimeout = errors.New("no answer within the time a person waits")
)

func (c *Config) defaultLimits() {
	for _, l := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&c.ConnectTimeout, DefaultConnectTimeout}, {&c.FirstByteTimeout, DefaultFirstByteTimeout},
		{&c.CallTimeout, DefaultCallTimeout}, {&c.TokenTimeout, DefaultTokenTimeout},
		{&c.InteractiveTimeout, DefaultInteractiveTimeout},
	} {
		if *l.v <= 0 {
			*l.v = l.def
		}
	}
}

// interactive bounds an operation a person waits for (the caller passed
// no other policy than connectors.Interactive) by InteractiveTimeout,
// retries included. A background job keeps its own pace.
func (c *Connector) interactive(ctx context.Context) (context.Context, context.CancelFunc) {
	if !isInteractive(ctx) {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, c.cfg.InteractiveTimeout, errInteractiveTimeout)
}

// isInteractive reports whether a person waits for calls under ctx: the
// caller asked for no other policy than connectors.Interactive.
func isInteractive(ctx context.Context) bool {
	return connectors.BackoffOf(ctx) == connectors.Interactive()
}

// firstByte is the wait for an API answer's first byte under ctx: a
// background job (a sync's page of a thousand vouchers, which Visma may
// take a while to gather) waits as long as a whole call may take.
func (c *Connector) firstByte(ctx context.Context) time.Duration {
	if isInteractive(ctx) {
		return c.cfg.FirstByteTimeout
	}
	return c.cfg.CallTimeout
}

// watch bounds the start of one HTTP exchange under ctx: the connection
// within ConnectTimeout, then the answer's first byte within firstByte.
// The returned ctx ends with the cause of the limit that ran out. Call
// answered once the headers are in (or the request failed), and cancel
// when the exchange is over.
func (c *Connector) watch(ctx context.Context, firstByte time.Duration) (_ context.Context, answered func(), cancel context.CancelFunc) {
	ctx, cancelCause := context.WithCancelCause(ctx)
	var (
		mu    sync.Mutex
		timer *time.Timer
		done  bool
	)
	arm := func(d time.Duration, cause error) {
		mu.Lock()
		defer mu.Unlock()
		if timer != nil {
			timer.Stop()
		}
		if done || d <= 0 {
			return
		}
		timer = time.AfterFunc(d, func() { cancelCause(cause) })
	}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) { arm(c.cfg.ConnectTimeout, errConnectTimeout) },
		GotConn: func(httptrace.GotConnInfo) { arm(firstByte, errFirstByteTimeout) },
	})
	answered = func() {
		arm(0, nil)
		mu.Lock()
		done = true
		mu.Unlock()
	}
	return ctx, answered, func() { answered(); cancelCause(context.Canceled) }
}
