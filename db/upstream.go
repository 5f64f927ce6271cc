package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// UpstreamCall is how many calls went to an upstream under one key (an
// agreement, a customer) on one UTC day, counted by every instance.
type UpstreamCall struct {
	Key   string `gorm:"primaryKey;size:200"`
	Day   string `gorm:"primaryKey;size:10"`
	Calls int    `gorm:"not null;default:0"`
}

// UpstreamLease is a named lease a connector holds across instances (one
// request at a time to a customer's environment).
type UpstreamLease struct {
	Key    string `gorm:"primaryKey;size:200"`
	Holder string `gorm:"size:64;not null;default:''"`
	Until  *time.Time
}

// AddCalls adds n calls to key's count for the UTC day of at and returns
// the day's total after adding: one upsert, so instances counting at once
// never lose a call.
func (d *DB) AddCalls(ctx context.Context, key string, at time.Time, n int) (int, error) {
	row := UpstreamCall{Key: key, Day: at.UTC().Format(time.DateOnly), Calls: n}
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "key"}, {Name: "day"}},
			DoUpdates: clause.Assignments(map[string]any{"calls": gorm.Expr("upstream_calls.calls + ?", n)}),
		}).Create(&row).Error
		if err != nil {
			return err
		}
		return tx.Where("key = ? AND day = ?", row.Key, row.Day).Take(&row).Error
	})
	if err != nil {
		return 0, fmt.Errorf("upstream calls %s: %w", key, err)
	}
	return row.Calls, nil
}

// TakeLease takes key for holder until until when it is free, expired or
// already holder's. As ClaimJob, it is one conditional UPDATE (see lease),
// so two instances never both get true.
func (d *DB) TakeLease(ctx context.Context, key, holder string, until time.Time) (bool, error) {
	ok, err := d.take(ctx, upstreamLease(key, holder, until))
	if err != nil {
		return false, fmt.Errorf("take upstream lease %s: %w", key, err)
	}
	return ok, nil
}

// ReleaseLease gives key up if holder has it.
func (d *DB) ReleaseLease(ctx context.Context, key, holder string) error {
	if _, err := d.release(ctx, upstreamLease(key, holder, time.Time{}), nil); err != nil {
		return fmt.Errorf("release upstream lease %s: %w", key, err)
	}
	return nil
}

// upstreamLease is the lease on key. Its row is made with only its key
// (holder defaults to empty); its columns are holder and until, as step 13
// made them.
func upstreamLease(key, holder string, until time.Time) lease {
	return lease{model: &UpstreamLease{}, keyColumn: "key", key: key, owner: holder, until: until,
		ownerColumn: "holder", untilColumn: "until", insert: true}
}
