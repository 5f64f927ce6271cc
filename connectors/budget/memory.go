package budget

import (
	"context"
	"sync"
	"time"
)

// memoryStore counts in memory: one instance's budget.
type memoryStore struct {
	mu     sync.Mutex
	counts map[string]map[int64]int
}

// memoryKeep is how long a window's count is kept: past any quota's
// period (a day).
const memoryKeep = 48 * time.Hour

// NewMemoryStore is a Store in this process's memory.
func NewMemoryStore() Store {
	return &memoryStore{counts: make(map[string]map[int64]int)}
}

func (m *memoryStore) LeaseCalls(_ context.Context, key string, window int64, want, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ws := m.counts[key]
	if ws == nil {
		ws = make(map[int64]int)
		m.counts[key] = ws
	}
	if _, ok := ws[window]; !ok {
		// A new window: forget the old ones.
		for w := range ws {
			if w < window-memoryKeep.Milliseconds() {
				delete(ws, w)
			}
		}
	}
	got := max(0, min(want, limit-ws[window]))
	ws[window] += got
	return got, nil
}
