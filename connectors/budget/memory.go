package budget

import (
	"context"
	"sync"
)

// memoryStore keeps the quotas' states in memory: one instance's budget.
// A state is one short text per quota key, so nothing is ever cleared.
type memoryStore struct {
	mu     sync.Mutex
	states map[string][]byte
}

// NewMemoryStore is a Store in this process's memory.
func NewMemoryStore() Store {
	return &memoryStore{states: make(map[string][]byte)}
}

func (m *memoryStore) UpdateBudgetState(_ context.Context, key string, update func(state []byte) ([]byte, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next, err := update(m.states[key])
	if err != nil {
		return err
	}
	if next != nil {
		m.states[key] = next
	}
	return nil
}
