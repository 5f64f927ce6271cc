package db

import (
	"context"
	"errors"
	"fmt"
)

// BudgetState is what the instances sharing an upstream's quota have
// spent of it lately (package connectors/budget keeps it, as text the
// database does not read).
type BudgetState struct {
	QuotaKey string `gorm:"primaryKey;size:200"`
	State    string `gorm:"not null"`
	// Version counts the changes, so that an instance changes only the
	// state it read.
	Version int64 `gorm:"not null;default:0"`
}

// budgetTries is how often UpdateBudgetState reads again when other
// instances changed the state first: each lost try means another instance
// made progress, so running out takes far more instances than share a
// quota.
const budgetTries = 50

// errBudgetContended: every try lost to another instance.
var errBudgetContended = errors.New("changed by other instances on every try")

// UpdateBudgetState runs update on key's state (nil when there is none)
// and stores what it returns unless nil: budget.Store on the database, so
// that every instance spends one budget. The state is written only where
// its version is still the one read (or, for a new key, where no other
// instance made it first); otherwise update runs again on the state now
// stored. So instances updating at once never both count against a state
// that one of them has already changed.
func (d *DB) UpdateBudgetState(ctx context.Context, key string, update func(state []byte) ([]byte, error)) error {
	g := d.gorm.WithContext(ctx)
	for range budgetTries {
		var rows []BudgetState
		if err := g.Raw("SELECT state, version FROM budget_states WHERE quota_key = ?", key).Scan(&rows).Error; err != nil {
			return fmt.Errorf("budget state %s: %w", key, err)
		}
		var old []byte
		if len(rows) == 1 {
			old = []byte(rows[0].State)
		}
		next, err := update(old)
		if err != nil || next == nil {
			return err
		}
		var res = g.Exec("INSERT INTO budget_states (quota_key, state, version) VALUES (?, ?, 1) ON CONFLICT DO NOTHING", key, string(next))
		if len(rows) == 1 {
			res = g.Exec("UPDATE budget_states SET state = ?, version = version + 1 WHERE quota_key = ? AND version = ?", string(next), key, rows[0].Version)
		}
		if res.Error != nil {
			return fmt.Errorf("budget state %s: %w", key, res.Error)
		}
		if res.RowsAffected == 1 {
			return nil
		}
	}
	return fmt.Errorf("budget state %s: %w", key, errBudgetContended)
}
