package server

import (
	"sync"
	"time"
)

// throttle counts failed logins per account and per address in a sliding
// window. It lives in process memory: with several instances each throttles
// on its own, which still bounds guessing to a small multiple.
type throttle struct {
	mu       sync.Mutex
	now      func() time.Time
	failures map[string][]time.Time
}

const (
	throttleWindow     = 15 * time.Minute
	throttlePerAccount = 5
	throttlePerIP      = 20
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, failures: map[string][]time.Time{}}
}

// blocked reports whether a login for email from ip must be refused, and
// for how long.
func (t *throttle) blocked(email, ip string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range []struct {
		key   string
		limit int
	}{{"a:" + email, throttlePerAccount}, {"i:" + ip, throttlePerIP}} {
		fs := t.recent(k.key, now)
		if len(fs) >= k.limit {
			return true, fs[0].Add(throttleWindow).Sub(now)
		}
	}
	return false, 0
}

// fail records a failed login.
func (t *throttle) fail(email, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range []string{"a:" + email, "i:" + ip} {
		t.failures[k] = append(t.recent(k, now), now)
	}
}

// succeed forgets an account's failures.
func (t *throttle) succeed(email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, "a:"+email)
}

func (t *throttle) recent(key string, now time.Time) []time.Time {
	fs := t.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) > throttleWindow {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.failures, key)
	}
	return fs
}

// take records one attempt under key unless limit attempts were recorded in
// the window; ok is false then, with how long until the next may go. Check
// and record are one step, so requests sent at once cannot all slip under
// the limit.
func (t *throttle) take(key string, limit int) (ok bool, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	fs := t.recent(key, now)
	if len(fs) >= limit {
		return false, fs[0].Add(throttleWindow).Sub(now)
	}
	t.failures[key] = append(fs, now)
	return true, 0
}
