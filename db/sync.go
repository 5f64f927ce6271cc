package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Sync run statuses.
const (
	SyncRunning = "running"
	SyncOK      = "ok"
	SyncFailed  = "failed"
)

// Why a sync run failed: neutral classes that a page puts in words.
const (
	// SyncReasonReapproval: the grant no longer works.
	SyncReasonReapproval = "reapproval"
	// SyncReasonUnavailable: the upstream did not answer, or answered 5xx.
	SyncReasonUnavailable = "unavailable"
	// SyncReasonRateLimited: the upstream asked for more patience than a
	// sync has.
	SyncReasonRateLimited = "rate_limited"
	// SyncReasonRefused: the upstream refused what the grant asked for.
	SyncReasonRefused = "refused"
	// SyncReasonStopped: Bilag stopped (shut down) during the run.
	SyncReasonStopped = "stopped"
	// SyncReasonAbandoned: the instance running it died.
	SyncReasonAbandoned = "abandoned"
	// SyncReasonOther: anything else; the log has the detail.
	SyncReasonOther = "other"
)

// SyncReasons lists every reason class.
func SyncReasons() []string {
	return []string{SyncReasonReapproval, SyncReasonUnavailable, SyncReasonRateLimited, SyncReasonRefused,
		SyncReasonStopped, SyncReasonAbandoned, SyncReasonOther}
}

// SyncRun logs one sync of a connection: when, how much, and how it ended.
type SyncRun struct {
	ID           int64 `gorm:"primaryKey"`
	CompanyID    int64 `gorm:"not null;index"`
	ConnectionID int64 `gorm:"not null;index"`
	Full         bool
	Status       string `gorm:"size:16;not null"`
	// Fetched of Total vouchers so far: the progress a person sees.
	Fetched  int
	Total    int
	Upserted int
	Error    string `gorm:"size:500"`
	// Reason is why a failed run failed, as a class a page can put in
	// words (SyncReason…); Error is the detail, for the log.
	Reason     string `gorm:"size:32;not null;default:''"`
	StartedAt  time.Time
	FinishedAt *time.Time
	UpdatedAt  time.Time
}

// SyncState is the part of a connection that syncing keeps: the lease
// that makes one instance at a time sync it, and how far it got.
type SyncState struct {
	ConnectionID int64  `gorm:"primaryKey;autoIncrement:false"`
	LeaseOwner   string `gorm:"size:32"`
	LeaseUntil   *time.Time
	// SyncedThrough is the upstream modification time up to which the index
	// is complete; the next sync asks only for what changed after it.
	SyncedThrough *time.Time
	NextSyncAt    *time.Time
	// FullSyncUntil: the upstream refused the incremental filter, so syncs
	// are full until then; after it the filter is tried again.
	FullSyncUntil *time.Time
}

// SyncLease is one held claim on syncing a connection. Each take has a
// token of its own, so two goroutines of one instance hold two different
// claims and only one of them can exist at a time.
type SyncLease struct {
	ConnID int64
	token  string
}

// lease is l as a lease of ttl on the connection's sync_states row. Its
// owner is l's token, new for each take (see lease.once): a take never
// renews, ExtendSyncLease does.
func (l *SyncLease) lease(ttl time.Duration) lease {
	return lease{model: &SyncState{}, keyColumn: "connection_id", key: l.ConnID, owner: l.token, ttl: ttl, insert: true, once: true}
}

// TakeSyncLease claims the right to sync a connection for ttl; nil when a
// sync holds it, on this instance or another. A crashed holder's lease runs
// out and is taken over.
func (d *DB) TakeSyncLease(ctx context.Context, connID int64, ttl time.Duration) (*SyncLease, error) {
	l := &SyncLease{ConnID: connID, token: newOwnerID()}
	ok, err := d.take(ctx, l.lease(ttl))
	if err != nil {
		return nil, fmt.Errorf("take sync lease of connection %d: %w", connID, err)
	}
	if !ok {
		return nil, nil
	}
	return l, nil
}

// ExtendSyncLease keeps a running sync's lease; false when it was lost.
func (d *DB) ExtendSyncLease(ctx context.Context, l *SyncLease, ttl time.Duration) (bool, error) {
	ok, err := d.renew(ctx, l.lease(ttl))
	if err != nil {
		return false, fmt.Errorf("extend sync lease of connection %d: %w", l.ConnID, err)
	}
	return ok, nil
}

// ReleaseSyncLease ends a sync; through, when set, records how far the
// index is complete (only while l is still held: a lost lease's holder
// does not know what its successor has synced).
func (d *DB) ReleaseSyncLease(ctx context.Context, l *SyncLease, through *time.Time) error {
	var set map[string]any
	if through != nil {
		set = map[string]any{"synced_through": through.UTC()}
	}
	if _, err := d.release(ctx, l.lease(0), set); err != nil {
		return fmt.Errorf("release sync lease of connection %d: %w", l.ConnID, err)
	}
	return nil
}

// SyncStateOf returns a connection's sync state (zero when never synced).
func (d *DB) SyncStateOf(ctx context.Context, connID int64) (SyncState, error) {
	var s SyncState
	err := d.gorm.WithContext(ctx).Where("connection_id = ?", connID).Limit(1).Find(&s).Error
	if err != nil {
		return s, fmt.Errorf("sync state of connection %d: %w", connID, err)
	}
	s.ConnectionID = connID
	return s, nil
}

// ResetSync forgets how far a connection was synced, so the next sync is
// full (after a reconnect to what may be another upstream company).
func (d *DB) ResetSync(ctx context.Context, connID int64) error {
	return d.gorm.WithContext(ctx).Model(&SyncState{}).Where("connection_id = ?", connID).Update("synced_through", nil).Error
}

// FallBackToFullSync records that the upstream refused a connection's
// incremental filter: its syncs are full until until, and the run now
// going on is one.
func (d *DB) FallBackToFullSync(ctx context.Context, connID, runID int64, until time.Time) error {
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&SyncState{}).Where("connection_id = ?", connID).Update("full_sync_until", until.UTC()).Error; err != nil {
			return fmt.Errorf("record full syncs of connection %d: %w", connID, err)
		}
		if err := tx.Model(&SyncRun{}).Where("id = ?", runID).Update("full", true).Error; err != nil {
			return fmt.Errorf("mark sync run %d full: %w", runID, err)
		}
		return nil
	})
}

// StartSyncRun logs the start of a sync.
func (d *DB) StartSyncRun(ctx context.Context, r *SyncRun) error {
	r.Status, r.StartedAt = SyncRunning, d.now().UTC()
	if err := d.gorm.WithContext(ctx).Create(r).Error; err != nil {
		return fmt.Errorf("start sync run: %w", err)
	}
	return nil
}

// SyncProgress records how far a running sync is.
func (d *DB) SyncProgress(ctx context.Context, runID int64, fetched, total, upserted int) error {
	err := d.gorm.WithContext(ctx).Model(&SyncRun{}).Where("id = ?", runID).
		Updates(map[string]any{"fetched": fetched, "total": total, "upserted": upserted, "updated_at": d.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("record sync progress: %w", err)
	}
	return nil
}

// FinishSyncRun logs the end of a sync; errText empty means success,
// otherwise reason is its class (SyncReason…).
func (d *DB) FinishSyncRun(ctx context.Context, runID int64, reason, errText string) error {
	now := d.now().UTC()
	status := SyncOK
	if errText != "" {
		status = SyncFailed
		if reason == "" {
			reason = SyncReasonOther
		}
	} else {
		reason = ""
	}
	err := d.gorm.WithContext(ctx).Model(&SyncRun{}).Where("id = ?", runID).
		Updates(map[string]any{"status": status, "reason": reason, "error": truncate(errText, 500), "finished_at": now, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("finish sync run: %w", err)
	}
	return nil
}

// SyncRuns lists a company's newest sync runs.
func (d *DB) SyncRuns(ctx context.Context, companyID int64, limit int) ([]SyncRun, error) {
	var rs []SyncRun
	err := d.gorm.WithContext(ctx).Where("company_id = ?", companyID).Order("started_at DESC, id DESC").Limit(limit).Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("sync runs of company %d: %w", companyID, err)
	}
	return rs, nil
}

// AbandonStaleRuns marks runs that stopped updating (their instance died)
// as failed, so the page does not show them running for ever.
func (d *DB) AbandonStaleRuns(ctx context.Context, olderThan time.Duration) error {
	now := d.now().UTC()
	return d.gorm.WithContext(ctx).Model(&SyncRun{}).Where("status = ? AND updated_at < ?", SyncRunning, now.Add(-olderThan)).
		Updates(map[string]any{"status": SyncFailed, "reason": SyncReasonAbandoned, "error": "abandoned: the syncing instance stopped", "finished_at": now}).Error
}
