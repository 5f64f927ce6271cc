package connectors

import (
	"context"
	"sync"
	"time"
)

// CallCounter counts calls per key (such as "economic:<agreement>") and UTC
// day. The server's implementation keeps the count in the database, so it
// survives restarts and holds across instances; an upstream's daily quota
// is per account, not per Bilag process.
type CallCounter interface {
	// AddCalls adds n calls to key's count for the UTC day of at and
	// returns the day's total after adding.
	AddCalls(ctx context.Context, key string, at time.Time, n int) (int, error)
}

// Leaser hands out named leases, one holder at a time. The server's
// implementation is a row in the database, so a lease holds across
// instances: an upstream that allows one request at a time per customer
// gets one from the whole deployment.
type Leaser interface {
	// TakeLease takes key for holder until until when it is free, expired
	// or already holder's, and reports whether it did.
	TakeLease(ctx context.Context, key, holder string, until time.Time) (bool, error)
	// ReleaseLease gives key up if holder has it.
	ReleaseLease(ctx context.Context, key, holder string) error
}

// NewMemoryCalls is a CallCounter for one process (tests, tools).
func NewMemoryCalls() CallCounter { return &memoryCalls{n: map[string]int{}} }

type memoryCalls struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *memoryCalls) AddCalls(_ context.Context, key string, at time.Time, n int) (int, error) {
	k := at.UTC().Format(time.DateOnly) + " " + key
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[k] += n
	return m.n[k], nil
}

// NewMemoryLeases is a Leaser for one process (tests, tools).
func NewMemoryLeases() Leaser { return &memoryLeases{held: map[string]memoryLease{}} }

type memoryLease struct {
	holder string
	until  time.Time
}

type memoryLeases struct {
	mu   sync.Mutex
	held map[string]memoryLease
}

func (m *memoryLeases) TakeLease(_ context.Context, key, holder string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.held[key]; ok && l.holder != holder && time.Now().Before(l.until) {
		return false, nil
	}
	m.held[key] = memoryLease{holder: holder, until: until}
	return true, nil
}

func (m *memoryLeases) ReleaseLease(_ context.Context, key, holder string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held[key].holder == holder {
		delete(m.held, key)
	}
	return nil
}
