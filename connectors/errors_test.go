package connectors

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
			err := Retry(t.Context(), b, func(context.Context) error {
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
	err := Retry(ctx, Backoff{Attempts: 5, Base: time.Hour, Max: 2 * time.Hour}, func(context.Context) error {
		calls++
		cancel()
		return ErrUnavailable
	})
	if calls != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("Retry() = %v after %d calls, want the upstream error and context.Canceled after 1", err, calls)
	}
}

// A grant never prints its credentials, however it is formatted.
func TestGrantHidesItsData(t *testing.T) {
	g := Grant{Data: []byte(`{"refresh_token":"secret-rt"}`), Scopes: []string{"ea:api"}}
	for _, s := range []string{fmt.Sprint(g), fmt.Sprintf("%v %+v %#v %s", g, g, g, g), g.LogValue().String()} {
		if strings.Contains(s, "secret-rt") {
			t.Errorf("formatted grant shows its data: %s", s)
		}
	}
}
