package db

import (
	"context"
	"fmt"
	"time"
)

// JobLease is the claim on a scheduled job (the refresh sweep, the
// scheduled sync): every instance ticks, the one holding the claim runs the
// job. The holder renews it on each tick; when it stops (crashes, is shut
// down), the claim runs out and another instance takes it over.
type JobLease struct {
	Name       string `gorm:"primaryKey;size:64"`
	LeaseOwner string `gorm:"size:32"`
	LeaseUntil *time.Time
}

// ClaimJob claims the scheduled job name for ttl, or renews this handle's
// claim; false when another holder's claim is still running. The claim is
// one conditional UPDATE (see lease), so two instances never both get true.
func (d *DB) ClaimJob(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	l := lease{model: &JobLease{}, keyColumn: "name", key: name, owner: d.owner, ttl: ttl, insert: true}
	ok, err := d.take(ctx, l)
	if err != nil {
		return false, fmt.Errorf("claim job %s: %w", name, err)
	}
	return ok, nil
}
