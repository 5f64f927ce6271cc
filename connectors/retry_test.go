package connectors

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	b := Backoff{Attempts: 3, Base: time.Millisecond, Max: 50 * time.Millisecond}
	permanent := errors.New("bad request")
	tests := []struct {
		name      string
		errs      []error
		wantCalls int
		wantErr   error
	}{
		{"succeeds at once", []error{nil}, 1, nil},
		{"transient then success", []error{ErrUnavailable, nil}, 2, nil},
		{"rate limited then success", []error{&RateLimitError{RetryAfter: 2 * time.Millisecond}, nil}, 2, nil},
		{"permanent is not retried", []error{permanent}, 1, permanent},
		{"attempts run out", []error{ErrUnavailable, ErrUnavailable, ErrUnavailable}, 3, ErrUnavailable},
		{"a wait over Max gives up at once", []error{&RateLimitError{RetryAfter: time.Minute}}, 1, ErrRateLimited},
		{"wrapped transient", []error{fmt.Errorf("get vouchers: %w", ErrUnavailable), nil}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := Retry(WithBackoff(t.Context(), b), nil, func(context.Context) error {
				err := tt.errs[min(calls, len(tt.errs)-1)]
				calls++
				return err
			})
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Retry() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	err := Retry(WithBackoff(ctx, Backoff{Attempts: 5, Base: time.Hour, Max: 2 * time.Hour}), nil, func(context.Context) error {
		calls++
		cancel()
		return ErrUnavailable
	})
	if calls != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("Retry() = %v after %d calls, want the upstream error and context.Canceled after 1", err, calls)
	}
}

// The policy comes with the call: without one a call is interactive, and
// the waits Retry asks its sleeper for stay within the policy.
func TestRetryPolicyComesWithTheCall(t *testing.T) {
	tests := []struct {
		name      string
		ctx       func(context.Context) context.Context
		wantCalls int
		maxWait   time.Duration
	}{
		{"none is interactive", func(ctx context.Context) context.Context { return ctx }, 3, 2 * time.Second},
		{"interactive", func(ctx context.Context) context.Context { return WithBackoff(ctx, Interactive()) }, 3, 2 * time.Second},
		{"background", func(ctx context.Context) context.Context { return WithBackoff(ctx, Background()) }, 5, 25 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var waited time.Duration
			sleep := func(_ context.Context, d time.Duration) error { waited += d; return nil }
			err := Retry(tt.ctx(t.Context()), sleep, func(context.Context) error { calls++; return ErrUnavailable })
			if !errors.Is(err, ErrUnavailable) || calls != tt.wantCalls {
				t.Errorf("Retry() = %v after %d calls, want ErrUnavailable after %d", err, calls, tt.wantCalls)
			}
			if waited <= 0 || waited > tt.maxWait {
				t.Errorf("waits add up to %s, want (0, %s]", waited, tt.maxWait)
			}
		})
	}
}
