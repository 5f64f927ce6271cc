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
// one conditional UPDATE: on PostgreSQL a second instance's UPDATE waits
// for the first to commit and then finds the row no longer matching, so
// two instances never both get true.
func (d *DB) ClaimJob(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	now := d.now().UTC()
	g := d.gorm.WithContext(ctx)
	if err := g.Exec("INSERT INTO job_leases (name) VALUES (?) ON CONFLICT DO NOTHING", name).Error; err != nil {
		return false, fmt.Errorf("job lease %s: %w", name, err)
	}
	res := g.Model(&JobLease{}).
		Where("name = ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)", name, now, d.owner).
		Updates(map[string]any{"lease_owner": d.owner, "lease_until": now.Add(ttl)})
	if res.Error != nil {
		return false, fmt.Errorf("claim job %s: %w", name, res.Error)
	}
	return res.RowsAffected == 1, nil
}
