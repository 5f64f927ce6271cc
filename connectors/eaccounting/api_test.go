package eaccounting

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
)

func TestAPIErrorMapping(t *testing.T) {
	sentinels := []error{connectors.ErrUnauthorized, connectors.ErrForbidden, connectors.ErrNotFound, connectors.ErrRateLimited, connectors.ErrUnavailable}
	tests := []struct {
		name   string
		status int
		code   int
		want   error // nil: none of the sentinels
	}{
		{"unauthorized", 401, 4005, connectors.ErrUnauthorized},
		{"unauthorized without body code", 401, 0, connectors.ErrUnauthorized},
		{"permission denied", 403, 4007, connectors.ErrForbidden},
		{"no access to scopes", 403, 4006, connectors.ErrForbidden},
		{"product variant", 403, 4009, connectors.ErrForbidden},
		{"product variant as 400", 400, 4009, connectors.ErrForbidden},
		{"no access for user", 403, 4011, connectors.ErrForbidden},
		{"licence not accepted", 403, 4012, connectors.ErrForbidden},
		{"start guide", 403, 4003, connectors.ErrForbidden},
		{"company inactive", 403, 4004, connectors.ErrForbidden},
		{"not found", 404, 3000, connectors.ErrNotFound},
		{"not found without code", 404, 0, connectors.ErrNotFound},
		{"server fault", 500, 0, connectors.ErrUnavailable},
		{"dependency unreachable", 503, 5001, connectors.ErrUnavailable},
		{"bad filter", 400, 6001, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v2/fiscalyears", counter(&calls, api(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.code == 0 {
					http.Error(w, "plain text", tt.status)
					return
				}
				writeAPIError(w, tt.status, tt.code, "developer message")
			})))
			c, _ := newTestConnector(t, mux)

			_, err := c.FiscalYears(t.Context(), testGrant(t))
			if err == nil {
				t.Fatal("FiscalYears() = nil error")
			}
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, !got)
				}
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tt.status || ae.Code != tt.code {
				t.Fatalf("FiscalYears() = %#v, want *APIError{Status: %d, Code: %d}", err, tt.status, tt.code)
			}
			if tt.code != 0 && (ae.Message != "developer message" || ae.ErrorID == "") {
				t.Errorf("APIError = %+v, want message and error id", ae)
			}
			if !strings.HasPrefix(err.Error(), "eaccounting: get fiscal years: ") {
				t.Errorf("error = %q, want the eaccounting: get fiscal years: prefix", err)
			}
			assertNoSecret(t, err.Error(), testAccess)
			wantCalls := int32(1)
			if connectors.Transient(err) {
				wantCalls = 3
			}
			if calls.Load() != wantCalls {
				t.Errorf("calls = %d, want %d", calls.Load(), wantCalls)
			}
		})
	}
}

func TestRateLimitRetry(t *testing.T) {
	tests := []struct {
		name      string
		message   string
		header    string
		fails     int32
		wantCalls int32
		wantErr   bool
		wantAfter time.Duration
	}{
		// Visma's wait, when short, is waited out and the call succeeds.
		{"short wait honoured", "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 0 seconds.", "", 2, 3, false, 0},
		// 55 s is past Backoff.Max: Retry gives up at once rather than hold
		// a person's request.
		{"long wait gives up", quotaMessage, "", 5, 1, true, 55 * time.Second},
		{"Retry-After header wins", quotaMessage, "120", 5, 1, true, 120 * time.Second},
		{"exhausted attempts", "Try again in 0 seconds.", "", 5, 3, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v2/fiscalyears", api(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) <= tt.fails {
					if tt.header != "" {
						w.Header().Set("Retry-After", tt.header)
					}
					writeAPIError(w, http.StatusTooManyRequests, 4010, tt.message)
					return
				}
				writeJSON(w, http.StatusOK, page([]any{}, 0))
			}))
			c, _ := newTestConnector(t, mux)

			start := time.Now()
			_, err := c.FiscalYears(t.Context(), testGrant(t))
			if (err != nil) != tt.wantErr {
				t.Fatalf("FiscalYears() = %v, want error %v", err, tt.wantErr)
			}
			if calls.Load() != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls.Load(), tt.wantCalls)
			}
			if err != nil {
				var rl *connectors.RateLimitError
				if !errors.As(err, &rl) || rl.RetryAfter != tt.wantAfter {
					t.Errorf("FiscalYears() = %v, want RateLimitError after %v", err, tt.wantAfter)
				}
				if !errors.Is(err, connectors.ErrRateLimited) {
					t.Errorf("FiscalYears() = %v, want ErrRateLimited", err)
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("FiscalYears() took %v", d)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := testNow
	tests := []struct {
		name, header, message string
		want                  time.Duration
	}{
		{"visma message", "", quotaMessage, 55 * time.Second},
		{"singular", "", "Try again in 1 second.", time.Second},
		{"seconds header", "3", quotaMessage, 3 * time.Second},
		{"date header", now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second},
		{"past date header", now.Add(-time.Minute).Format(http.TimeFormat), "", 0},
		{"nothing", "", "slow down", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			if got := retryAfter(h, tt.message, now); got != tt.want {
				t.Errorf("retryAfter(%q, %q) = %v, want %v", tt.header, tt.message, got, tt.want)
			}
		})
	}
}

// fakeBudget grants the first `allow` calls of each quota key and
// refuses the rest as a budget does when the caller cannot wait.
type fakeBudget struct {
	mu    sync.Mutex
	allow int
	taken map[string]int
	calls []string
}

func (f *fakeBudget) Take(ctx context.Context, q connectors.Quota, p connectors.Priority, company string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%s %d/%s %s %s", q.Key, q.Limit, q.Period, p, company))
	if f.taken[q.Key] >= f.allow {
		return &connectors.RateLimitError{RetryAfter: 30 * time.Second}
	}
	f.taken[q.Key]++
	return nil
}

// TestConnectorRateBudget: every API call first takes its turn in the
// budget, under a quota per client and endpoint of RateLimit a minute, with
// the caller's priority and company; a call the budget refuses never
// reaches Visma and is ErrRateLimited; another endpoint is another quota.
func TestConnectorRateBudget(t *testing.T) {
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/fiscalyears", counter(&calls, api(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, page([]any{}, 0))
	})))
	mux.HandleFunc("GET /v2/vouchers/{fy}/{id}", api(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"Id": r.PathValue("id"), "Rows": []any{}})
	}))
	fb := &fakeBudget{allow: 1, taken: map[string]int{}}
	c, _ := newTestConnector(t, mux, func(c *Config) { c.RateLimit = 7; c.Budget = fb })

	bg := connectors.WithCaller(t.Context(), connectors.PriorityBackground, "42")
	if _, err := c.FiscalYears(bg, testGrant(t)); err != nil {
		t.Fatalf("FiscalYears() = %v", err)
	}
	if _, err := c.FiscalYears(t.Context(), testGrant(t)); !errors.Is(err, connectors.ErrRateLimited) {
		t.Errorf("FiscalYears() over the budget = %v, want ErrRateLimited", err)
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d, want 1: the budget should hold the second", calls.Load())
	}
	if _, err := c.Voucher(t.Context(), testGrant(t), "fy/v"); err != nil {
		t.Errorf("Voucher() on another endpoint = %v, want nil", err)
	}
	want := []string{
		"eaccounting:" + testClientID + ":GET /fiscalyears 7/1m0s background 42",
		"eaccounting:" + testClientID + ":GET /fiscalyears 7/1m0s interactive ",
		"eaccounting:" + testClientID + ":GET /vouchers/{fiscalyearId}/{voucherId} 7/1m0s interactive ",
	}
	if fmt.Sprint(fb.calls) != fmt.Sprint(want) {
		t.Errorf("budget asked for\n%q\nwant\n%q", fb.calls, want)
	}
}

func TestUnreachable(t *testing.T) {
	mux := http.NewServeMux()
	c, srv := newTestConnector(t, mux)
	srv.Close()
	_, err := c.FiscalYears(t.Context(), testGrant(t))
	if !errors.Is(err, connectors.ErrUnavailable) {
		t.Errorf("FiscalYears() against a closed server = %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.FiscalYears(ctx, testGrant(t))
	if !errors.Is(err, context.Canceled) || errors.Is(err, connectors.ErrUnavailable) {
		t.Errorf("FiscalYears() cancelled = %v, want context.Canceled only", err)
	}
}

func TestBadGrant(t *testing.T) {
	c, _ := newTestConnector(t, http.NewServeMux())
	_, err := c.FiscalYears(t.Context(), connectors.Grant{Data: []byte("{not json " + testAccess)})
	if err == nil {
		t.Fatal("FiscalYears(bad grant) = nil error")
	}
	assertNoSecret(t, err.Error(), testAccess)
	if _, err := c.FiscalYears(t.Context(), connectors.Grant{Data: []byte(`{}`)}); !errors.Is(err, connectors.ErrUnauthorized) {
		t.Errorf("FiscalYears(empty grant) = %v, want ErrUnauthorized", err)
	}
}

// The connector is the one retry layer, and the caller's policy bounds it:
// against an API answering 503 to everything, an interactive read makes at
// most 3 calls and asks to wait at most 2 s in all; a sync page at most 5,
// within the background policy.
func TestRetriesFollowTheCallersPolicy(t *testing.T) {
	tests := []struct {
		name      string
		policy    connectors.Backoff
		read      func(ctx context.Context, c *Connector, g connectors.Grant) error
		wantCalls int32
		maxWait   time.Duration
	}{
		{"interactive voucher", connectors.Interactive(), func(ctx context.Context, c *Connector, g connectors.Grant) error {
			_, err := c.Voucher(ctx, g, "fy/v1")
			return err
		}, 3, 2 * time.Second},
		{"background page", connectors.Background(), func(ctx context.Context, c *Connector, g connectors.Grant) error {
			_, err := c.Vouchers(ctx, g, connectors.VoucherQuery{PageSize: 1000})
			return err
		}, 5, 25 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			})
			var mu sync.Mutex
			var waited time.Duration
			c, _ := newTestConnector(t, mux, func(cfg *Config) {
				cfg.Sleep = func(_ context.Context, d time.Duration) error {
					mu.Lock()
					defer mu.Unlock()
					waited += d
					return nil
				}
			})
			err := tt.read(connectors.WithBackoff(t.Context(), tt.policy), c, testGrant(t))
			if !errors.Is(err, connectors.ErrUnavailable) {
				t.Fatalf("read = %v, want ErrUnavailable", err)
			}
			if got := calls.Load(); got > tt.wantCalls {
				t.Errorf("upstream calls = %d, want at most %d", got, tt.wantCalls)
			}
			mu.Lock()
			defer mu.Unlock()
			if waited > tt.maxWait {
				t.Errorf("waits add up to %s, want at most %s", waited, tt.maxWait)
			}
		})
	}
}
