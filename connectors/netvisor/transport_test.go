package netvisor

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

// yield is a Sleeper that waits no time but lets others run.
func yield(ctx context.Context, _ time.Duration) error {
	runtime.Gosched()
	return ctx.Err()
}

// Two instances sharing the database's leases send one request at a time
// to an organisation, however many people ask at once; the sandbox answers
// an overlap with an error.
func TestOneRequestAtATimeAcrossInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	leases := connectors.NewMemoryLeases()
	e.cfg.Leases, e.cfg.Sleep = leases, yield
	a, b := e.open(t, e.cfg), e.open(t, e.cfg)
	g := e.grant(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Go(func() {
			if i%4 == 0 {
				s, err := c.OpenDocument(context.Background(), g, connectors.Document{ID: "1005/1", Kind: KindAttachment})
				if err == nil {
					_, err = io.Copy(io.Discard, s.Body)
					s.Body.Close()
				}
				errs <- err
				return
			}
			_, err := c.Voucher(context.Background(), g, "1002")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := e.sb.Overlaps(); n != 0 {
		t.Errorf("the sandbox saw %d overlapping requests", n)
	}
}

// The queue holds while a file is stashed: a second instance's request
// waits for the upstream's answer to end instead of overlapping it (and
// no longer for the reader, TestSlowReaderDoesNotHoldTheQueue). Without
// the shared lease it overlaps, and the sandbox refuses it.
// Not parallel: the queued person's request waits QueueWait, real time,
// for the stash; beside other tests on two cores it ran out (-count=3).
func TestStreamHoldsTheQueue(t *testing.T) {
	size := int64(4 << 20)
	slow := newMidway("getvoucherattachments.nv", 1<<20, false)
	e := newEnvVia(t, slow.wrap, sandbox.WithLargeAttachment(size))
	g := e.grant(t)
	// The queued instance's look at the lease says so, then waits for the
	// answer to go on, instead of spinning.
	waiting := make(chan struct{}, 1)
	e.cfg.Leases, e.cfg.StashDir = connectors.NewMemoryLeases(), t.TempDir()
	e.cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		select {
		case waiting <- struct{}{}:
		default:
		}
		select {
		case <-slow.open:
		case <-ctx.Done():
		}
		return ctx.Err()
	}
	first := e.open(t, e.cfg)
	opened := make(chan *connectors.DocumentStream, 1)
	go func() {
		s, err := first.OpenDocument(context.Background(), g, connectors.Document{ID: "1008/1", Kind: KindAttachment})
		if err != nil {
			t.Error(err)
		}
		opened <- s
	}()
	<-slow.reached // the upstream is midway through its answer

	// Another instance that does not share the lease overlaps.
	loose := e.cfg
	loose.Leases, loose.Sleep = connectors.NewMemoryLeases(), yield
	_, err := e.open(t, loose).Voucher(context.Background(), g, "1002")
	if !errors.Is(err, connectors.ErrUnavailable) || e.sb.Overlaps() == 0 {
		t.Fatalf("an overlapping request = %v (overlaps %d), want the sandbox's refusal", err, e.sb.Overlaps())
	}
	overlaps := e.sb.Overlaps()

	second := e.open(t, e.cfg)
	done := make(chan error, 1)
	go func() {
		_, err := second.Voucher(context.Background(), g, "1002")
		done <- err
	}()
	<-waiting // the second instance is polling the held lease
	close(slow.open)
	if err := <-done; err != nil {
		t.Fatalf("the queued request = %v", err)
	}
	if s := <-opened; s != nil {
		if n, err := io.Copy(io.Discard, s.Body); err != nil || n != size {
			t.Errorf("read %d bytes (%v), want %d", n, err, size)
		}
		s.Body.Close()
	}
	if e.sb.Overlaps() != overlaps {
		t.Error("the queued request overlapped the stash")
	}
}

// Every request has a TransactionId of its own; Netvisor refuses one seen
// before, and a retry gets a fresh one.
func TestTransactionIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	e.cfg.NewTransactionID = func() string { return "0f8fad5bd9cb469fa16570867728950e" }
	c := e.open(t, e.cfg)
	if _, err := c.Voucher(context.Background(), g, "1002"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Voucher(context.Background(), g, "1002")
	ae, ok := errors.AsType[*APIError](err)
	if !ok || ae.Code != "REQUEST_NOT_UNIQUE" {
		t.Fatalf("a reused TransactionId = %v, want REQUEST_NOT_UNIQUE", err)
	}

	e.sb.FailNext("accountingledger.nv", "TECHNICAL_ERROR")
	if _, err := e.conn.Voucher(context.Background(), g, "1002"); err != nil {
		t.Errorf("a retry after TECHNICAL_ERROR = %v", err)
	}
}

// A few retries, then a longer pause: the organisation is left alone, and
// the next call fails at once without reaching Netvisor.
func TestRetriesThenPause(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	e.sb.FailNext("accountingledger.nv", "SYSTEM_MAINTANANCE", "SYSTEM_MAINTENANCE", "TECHNICAL_ERROR")
	before := e.sb.Calls("accountingledger.nv")
	_, err := e.conn.Voucher(context.Background(), g, "1002")
	if !errors.Is(err, connectors.ErrUnavailable) {
		t.Fatalf("three failures = %v, want unavailable", err)
	}
	if n := e.sb.Calls("accountingledger.nv") - before; n != 3 {
		t.Errorf("tries = %d, want 3", n)
	}
	_, err = e.conn.Voucher(context.Background(), g, "1002")
	var rl *connectors.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Errorf("a call during the pause = %v, want a rate limit with a wait", err)
	}
	if n := e.sb.Calls("accountingledger.nv") - before; n != 3 {
		t.Errorf("the paused call reached Netvisor")
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code  string
		class connectors.Class
	}{
		{"AUTHENTICATION_FAILED", connectors.ClassEnded},
		{"SERVICE_ACCESS_ERROR", connectors.ClassRefused},
		{"TECHNICAL_ERROR", connectors.ClassUnavailable},
		{"SYSTEM_MAINTANANCE", connectors.ClassUnavailable},
		{"SYSTEM_MAINTENANCE", connectors.ClassUnavailable},
		{"REQUEST_NOT_UNIQUE", connectors.ClassUnavailable},
		{"INVALID_DATA", connectors.ClassBadAnswer},
		{"PERIOD_LOCK", connectors.ClassBadAnswer},
	} {
		if got := connectors.Classify(newAPIError("accountingledger.nv", 400, tc.code, "x")).Class; got != tc.class {
			t.Errorf("%s: class %v, want %v", tc.code, got, tc.class)
		}
	}
}

// A person's request that finds its organisation's queue held (another
// person's large file being stashed from a slow upstream) is told to try
// again shortly instead of waiting minutes; it does not overlap.
func TestBusyQueueAnswersAPersonInTime(t *testing.T) {
	t.Parallel()
	slow := newMidway("getvoucherattachments.nv", 1<<20, false)
	e := newEnvVia(t, slow.wrap, sandbox.WithLargeAttachment(4<<20))
	g := e.grant(t)
	e.cfg.Leases, e.cfg.StashDir = connectors.NewMemoryLeases(), t.TempDir()
	e.cfg.QueueWait = time.Millisecond
	first := e.open(t, e.cfg)
	opened := make(chan error, 1)
	go func() {
		s, err := first.OpenDocument(context.Background(), g, connectors.Document{ID: "1008/1", Kind: KindAttachment})
		if err == nil {
			s.Body.Close()
		}
		opened <- err
	}()
	<-slow.reached
	// Behind another instance's lease, and behind this instance's own
	// request.
	for name, c := range map[string]*Connector{"another instance": e.open(t, e.cfg), "the same instance": first} {
		_, err := c.Voucher(context.Background(), g, "1002")
		var rl *connectors.RateLimitError
		if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
			t.Errorf("%s: a person's call behind a held queue = %v, want a rate limit with a wait", name, err)
		}
	}
	// A sync waits its turn instead.
	bg := connectors.WithBackoff(context.Background(), connectors.Background())
	done := make(chan error, 1)
	go func() {
		_, err := first.Voucher(bg, g, "1002")
		done <- err
	}()
	close(slow.open)
	if err := <-opened; err != nil {
		t.Errorf("the open = %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("a sync's call behind the stash = %v", err)
	}
	if n := e.sb.Overlaps(); n != 0 {
		t.Errorf("overlaps = %d", n)
	}
}
