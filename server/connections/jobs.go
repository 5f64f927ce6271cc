package connections

import (
	"context"
	"errors"
	"time"

	"bilag/db"
)

// JobOptions configure the background jobs.
type JobOptions struct {
	// SyncInterval is how often connected companies are synced.
	SyncInterval time.Duration
	// RefreshEvery is how often idle grants are checked for expiry.
	RefreshEvery time.Duration
	// PurgeEvery is how often this instance applies the cache purges
	// other instances recorded (an offboarding); default a minute.
	PurgeEvery time.Duration
}

// Names of the scheduled jobs in the job_leases table.
const (
	jobRefresh = "refresh_grants"
	jobSync    = "scheduled_sync"
)

// Run runs the background jobs until ctx ends: keeping idle grants fresh,
// and syncing.
func (s *Service) Run(ctx context.Context, opt JobOptions) {
	if opt.RefreshEvery <= 0 {
		opt.RefreshEvery = 5 * time.Minute
	}
	if opt.SyncInterval <= 0 {
		opt.SyncInterval = time.Hour
	}
	if opt.PurgeEvery <= 0 {
		opt.PurgeEvery = time.Minute
	}
	refresh := time.NewTicker(opt.RefreshEvery)
	defer refresh.Stop()
	purge := time.NewTicker(opt.PurgeEvery)
	defer purge.Stop()
	// Every instance, not a claim's holder: each has a cache of its own.
	s.applyCachePurges(ctx)
	sync := time.NewTicker(opt.SyncInterval)
	defer sync.Stop()
	// Every instance ticks; the one holding a job's claim runs it and
	// renews the claim each tick. Claims outlast one interval by half, so
	// a crashed holder's job moves to another instance within two.
	refreshTTL, syncTTL := opt.RefreshEvery*3/2, opt.SyncInterval*3/2
	if s.claimJob(ctx, jobRefresh, refreshTTL) {
		s.KeepFresh(ctx, opt.RefreshEvery+refreshMargin)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-purge.C:
			s.applyCachePurges(ctx)
		case <-refresh.C:
			if s.claimJob(ctx, jobRefresh, refreshTTL) {
				s.KeepFresh(ctx, opt.RefreshEvery+refreshMargin)
			}
		case <-sync.C:
			if !s.claimJob(ctx, jobSync, syncTTL) {
				continue
			}
			if err := s.db.AbandonStaleRuns(ctx, 2*syncLease); err != nil {
				s.log.Warn("abandon stale sync runs", "err", err)
			}
			s.scheduledSync(ctx, syncTTL)
		}
	}
}

// scheduledSync is the schedule's firm-wide sync, in the runs' history
// as one. The sync lease still guards each connection, against a sync
// someone started by hand and against a claim that changed hands during a
// long run; renewing the claim per company keeps a run longer than the
// interval from being joined by a second one. A firm-wide run someone
// started by hand is this tick's sync.
func (s *Service) scheduledSync(ctx context.Context, ttl time.Duration) {
	err := s.SyncAll(ctx, SyncAllBy{Trigger: db.SyncAllScheduled}, func(co *db.Company, res SyncResult, err error) {
		if err != nil && !errors.Is(err, ErrSyncRunning) {
			s.log.Warn("scheduled sync", "company_id", co.ID, "err", err)
		}
		s.claimJob(ctx, jobSync, ttl)
	})
	if err != nil && !errors.Is(err, ErrSyncAllRunning) && ctx.Err() == nil {
		s.log.Warn("scheduled sync", "err", err)
	}
}

// applyCachePurges is ApplyCachePurges for the tick: a failure is
// logged, and the next tick tries again from the same purge.
func (s *Service) applyCachePurges(ctx context.Context) {
	n, err := s.ApplyCachePurges(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("apply cache purges", "err", err)
	}
	if n > 0 {
		s.log.Info("applied cache purges", "documents", n)
	}
}

// claimJob reports whether this instance holds (and has just renewed) the
// claim on a scheduled job.
func (s *Service) claimJob(ctx context.Context, job string, ttl time.Duration) bool {
	ok, err := s.db.ClaimJob(ctx, job, ttl)
	if err != nil {
		s.log.Warn("claim scheduled job", "job", job, "err", err)
		return false
	}
	return ok
}
