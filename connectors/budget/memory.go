package budget

import (
	"context"
	"sync"
)

// memoryStore counts in memory: one instance's budget.
type memoryStore struct {
	mu     sync.Mutex
	counts map[memoryKey]int
	// newest is the newest window seen per key; older ones are dropped.
	newest map[string]int64
}

type memoryKey struct {
	key    string
	window int64
}

// NewMemoryStore is a Store in this process's memory.
func NewMemoryStore() Store {
	return &memoryStore{counts: make(map[memoryKey]int), newest: make(map[string]int64)}
}

func (m *memoryStore) LeaseCalls(_ context.Context, key string, window int64, want, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.newest[key]; !ok || window > old {
		if ok {
			delete(m.counts, memoryKey{key, old})
		}
		m.newest[key] = window
	}
	k := memoryKey{key, window}
	got := max(0, min(want, limit-m.counts[k]))
	m.counts[k] += got
	return got, nil
}
