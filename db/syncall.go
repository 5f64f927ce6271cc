package db

import (
	"context"
	"fmt"
	"time"
)

// What started a firm-wide sync.
const (
	SyncAllManual    = "manual"
	SyncAllScheduled = "scheduled"
	SyncAllCLI       = "cli"
)

// The states of a company in a firm-wide sync: waiting for its turn,
// done, failed (Reason says why), or skipped because a sync of it was
// already running.
const (
	SyncItemWaiting = "waiting"
	SyncItemDone    = "done"
	SyncItemFailed  = "failed"
	SyncItemSkipped = "skipped"
)

// SyncAllRun is one firm-wide sync: every active connection once.
type SyncAllRun struct {
	ID         int64  `gorm:"primaryKey"`
	Trigger    string `gorm:"size:16;not null"`
	StartedBy  string `gorm:"size:254;not null;default:''"`
	StartedAt  time.Time
	FinishedAt *time.Time
}

// SyncAllItem is a company's place in a firm-wide sync.
type SyncAllItem struct {
	ID        int64  `gorm:"primaryKey"`
	RunID     int64  `gorm:"not null;index"`
	CompanyID int64  `gorm:"not null"`
	Status    string `gorm:"size:16;not null"`
	Reason    string `gorm:"size:32;not null;default:''"`
	Error     string `gorm:"size:500;not null;default:''"`
	UpdatedAt time.Time
}

// SyncAllLease is the held claim on running the firm-wide sync: one run at
// a time across every instance (a JobLease row of its own, taken with a
// token of its own, so two goroutines of one instance cannot both hold it).
type SyncAllLease struct{ token string }

// syncAllJob is the job_leases row of the firm-wide sync.
const syncAllJob = "sync_all"

func (l *SyncAllLease) lease(ttl time.Duration) lease {
	return lease{model: &JobLease{}, keyColumn: "name", key: syncAllJob, owner: l.token, ttl: ttl, insert: true, once: true}
}

// StartSyncAll takes the firm-wide sync's lease for ttl and records a run
// of companyIDs, each waiting; nil, nil when another run holds the lease.
func (d *DB) StartSyncAll(ctx context.Context, trigger, by string, companyIDs []int64, ttl time.Duration) (*SyncAllRun, *SyncAllLease, error) {
	l := &SyncAllLease{token: newOwnerID()}
	ok, err := d.take(ctx, l.lease(ttl))
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("take the sync-all lease: %w", err)
		}
		return nil, nil, err
	}
	run := &SyncAllRun{Trigger: trigger, StartedBy: truncate(by, 254), StartedAt: d.now().UTC()}
	if err := d.gorm.WithContext(ctx).Create(run).Error; err != nil {
		_, _ = d.release(ctx, l.lease(0), nil)
		return nil, nil, fmt.Errorf("record sync-all run: %w", err)
	}
	items := make([]SyncAllItem, len(companyIDs))
	for i, id := range companyIDs {
		items[i] = SyncAllItem{RunID: run.ID, CompanyID: id, Status: SyncItemWaiting, UpdatedAt: run.StartedAt}
	}
	if len(items) > 0 {
		if err := d.gorm.WithContext(ctx).Create(&items).Error; err != nil {
			_, _ = d.release(ctx, l.lease(0), nil)
			return nil, nil, fmt.Errorf("record sync-all run %d's companies: %w", run.ID, err)
		}
	}
	return run, l, nil
}

// ExtendSyncAllLease keeps a running firm-wide sync's lease; false when it
// was lost.
func (d *DB) ExtendSyncAllLease(ctx context.Context, l *SyncAllLease, ttl time.Duration) (bool, error) {
	ok, err := d.renew(ctx, l.lease(ttl))
	if err != nil {
		return false, fmt.Errorf("extend the sync-all lease: %w", err)
	}
	return ok, nil
}

// SyncAllItemDone records how a company's sync in run ended.
func (d *DB) SyncAllItemDone(ctx context.Context, runID, companyID int64, status, reason, errText string) error {
	err := d.gorm.WithContext(ctx).Model(&SyncAllItem{}).Where("run_id = ? AND company_id = ?", runID, companyID).
		Updates(map[string]any{"status": status, "reason": reason, "error": truncate(errText, 500), "updated_at": d.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("record company %d in sync-all run %d: %w", companyID, runID, err)
	}
	return nil
}

// FinishSyncAll ends run and gives its lease back.
func (d *DB) FinishSyncAll(ctx context.Context, run *SyncAllRun, l *SyncAllLease) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	if err := d.gorm.WithContext(ctx).Model(run).Update("finished_at", d.now().UTC()).Error; err != nil {
		return fmt.Errorf("finish sync-all run %d: %w", run.ID, err)
	}
	if _, err := d.release(ctx, l.lease(0), nil); err != nil {
		return fmt.Errorf("release the sync-all lease: %w", err)
	}
	return nil
}

// LatestSyncAll is the newest firm-wide sync and its companies; nil when
// there was none.
func (d *DB) LatestSyncAll(ctx context.Context) (*SyncAllRun, []SyncAllItem, error) {
	var runs []SyncAllRun
	if err := d.gorm.WithContext(ctx).Order("id DESC").Limit(1).Find(&runs).Error; err != nil {
		return nil, nil, fmt.Errorf("latest sync-all run: %w", err)
	}
	if len(runs) == 0 {
		return nil, nil, nil
	}
	var items []SyncAllItem
	if err := d.gorm.WithContext(ctx).Where("run_id = ?", runs[0].ID).Order("id").Find(&items).Error; err != nil {
		return nil, nil, fmt.Errorf("companies of sync-all run %d: %w", runs[0].ID, err)
	}
	return &runs[0], items, nil
}

// SyncAllRunning reports whether a firm-wide sync holds its lease now: a
// run that never finished and whose lease ran out was interrupted (its
// instance stopped).
func (d *DB) SyncAllRunning(ctx context.Context) (bool, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Model(&JobLease{}).Where("name = ? AND lease_until > ?", syncAllJob, d.now().UTC()).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("sync-all lease: %w", err)
	}
	return n > 0, nil
}
