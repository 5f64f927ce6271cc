package db

import (
	"context"
	"fmt"
	"time"
)

// BudgetWindow is what the instances sharing an upstream's quota have
// spent of one of its windows (package connectors/budget).
type BudgetWindow struct {
	QuotaKey string `gorm:"primaryKey;size:200"`
	// WindowStart is the window's start in Unix milliseconds.
	WindowStart int64 `gorm:"primaryKey;autoIncrement:false"`
	Used        int   `gorm:"not null;default:0"`
}

// budgetKeep is how long a spent window's row is kept: past any quota's
// period (a day), so a row is never dropped while it still counts.
const budgetKeep = 48 * time.Hour

// LeaseCalls adds up to want calls to key's count for the window starting
// at window (Unix ms), never taking it past limit, and returns how many it
// added: budget.Store on the database, so that every instance spends one
// budget. Each step is a conditional UPDATE, so instances leasing at once
// never take more than limit between them.
func (d *DB) LeaseCalls(ctx context.Context, key string, window int64, want, limit int) (int, error) {
	if want <= 0 || limit <= 0 {
		return 0, nil
	}
	g := d.gorm.WithContext(ctx)
	// Mostly one statement: the window's row is there and has room.
	n := want
	for range 5 {
		res := g.Exec("UPDATE budget_windows SET used = used + ? WHERE quota_key = ? AND window_start = ? AND used + ? <= ?", n, key, window, n, limit)
		if res.Error != nil {
			return 0, fmt.Errorf("budget window %s: %w", key, res.Error)
		}
		if res.RowsAffected == 1 {
			return n, nil
		}
		ins := g.Exec("INSERT INTO budget_windows (quota_key, window_start, used) VALUES (?, ?, 0) ON CONFLICT DO NOTHING", key, window)
		if ins.Error != nil {
			return 0, fmt.Errorf("budget window %s: %w", key, ins.Error)
		}
		if ins.RowsAffected == 1 {
			// A new window: the instance that made it clears the old ones.
			if err := g.Exec("DELETE FROM budget_windows WHERE quota_key = ? AND window_start < ?", key, window-budgetKeep.Milliseconds()).Error; err != nil {
				return 0, fmt.Errorf("budget window %s: clear old: %w", key, err)
			}
		}
		var used int
		if err := g.Model(&BudgetWindow{}).Select("used").Where("quota_key = ? AND window_start = ?", key, window).Scan(&used).Error; err != nil {
			return 0, fmt.Errorf("budget window %s: %w", key, err)
		}
		if n = min(want, limit-used); n <= 0 {
			return 0, nil
		}
	}
	// Others kept taking what was read as free; they have it.
	return 0, nil
}
