package server

import (
	"context"
	"errors"
	"time"

	"bilag/connectors"
	"bilag/db"
)

// JobOptions configure the background jobs.
type JobOptions struct {
	// SyncInterval is how often connected companies are synced.
	SyncInterval time.Duration
	// RefreshEvery is how often idle grants are checked for expiry.
	RefreshEvery time.Duration
}

// refreshMargin: a grant is renewed when it expires within this, so a
// request never starts with a token about to die.
const refreshMargin = 2 * time.Minute

// RunJobs runs the background jobs until ctx ends: keeping idle grants
// fresh, and syncing.
func (s *Server) RunJobs(ctx context.Context, opt JobOptions) {
	if opt.RefreshEvery <= 0 {
		opt.RefreshEvery = 5 * time.Minute
	}
	if opt.SyncInterval <= 0 {
		opt.SyncInterval = time.Hour
	}
	refresh := time.NewTicker(opt.RefreshEvery)
	defer refresh.Stop()
	sync := time.NewTicker(opt.SyncInterval)
	defer sync.Stop()
	// Every instance ticks; the one holding a job's claim runs it and
	// renews the claim each tick. Claims outlast one interval by half, so
	// a crashed holder's job moves to another instance within two.
	refreshTTL, syncTTL := opt.RefreshEvery*3/2, opt.SyncInterval*3/2
	if s.claimJob(ctx, jobRefresh, refreshTTL) {
		s.KeepGrantsFresh(ctx, opt.RefreshEvery+refreshMargin)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-refresh.C:
			if s.claimJob(ctx, jobRefresh, refreshTTL) {
				s.KeepGrantsFresh(ctx, opt.RefreshEvery+refreshMargin)
			}
		case <-sync.C:
			if !s.claimJob(ctx, jobSync, syncTTL) {
				continue
			}
			if err := s.db.AbandonStaleRuns(ctx, 2*syncLease); err != nil {
				s.log.Warn("abandon stale sync runs", "err", err)
			}
			// The sync lease still guards each connection, against a sync
			// someone started by hand and against a claim that changed
			// hands during a long run; renewing it per company keeps a run
			// longer than the interval from being joined by a second one.
			_ = s.SyncAll(ctx, func(co *db.Company, res SyncResult, err error) {
				if err != nil && !errors.Is(err, ErrSyncRunning) {
					s.log.Warn("scheduled sync", "company_id", co.ID, "err", err)
				}
				s.claimJob(ctx, jobSync, syncTTL)
			})
		}
	}
}

// Names of the scheduled jobs in the job_leases table.
const (
	jobRefresh = "refresh_grants"
	jobSync    = "scheduled_sync"
)

// claimJob reports whether this instance holds (and has just renewed) the
// claim on a scheduled job.
func (s *Server) claimJob(ctx context.Context, job string, ttl time.Duration) bool {
	ok, err := s.db.ClaimJob(ctx, job, ttl)
	if err != nil {
		s.log.Warn("claim scheduled job", "job", job, "err", err)
		return false
	}
	return ok
}

// KeepGrantsFresh refreshes the grants that expire within horizon, so that
// idle connections stay alive.
func (s *Server) KeepGrantsFresh(ctx context.Context, horizon time.Duration) {
	conns, err := s.db.ExpiringConnections(ctx, s.now().Add(horizon))
	if err != nil {
		s.log.Error("list expiring connections", "err", err)
		return
	}
	for _, c := range conns {
		if _, err := s.freshGrantMargin(ctx, &c, horizon); err != nil {
			s.log.Warn("keep grant fresh", "connection_id", c.ID, "company_id", c.CompanyID, "err", err)
		}
	}
}

// freshGrant returns a usable grant for a connection, refreshing it (once,
// across every instance) when it is about to expire.
func (s *Server) freshGrant(ctx context.Context, conn *db.Connection) (connectors.Grant, error) {
	return s.freshGrantMargin(ctx, conn, refreshMargin)
}

func (s *Server) freshGrantMargin(ctx context.Context, conn *db.Connection, margin time.Duration) (connectors.Grant, error) {
	r, ok := s.connectors[conn.Connector].(connectors.Refresher)
	if !ok {
		return s.db.Grant(ctx, conn.ID)
	}
	return s.db.FreshGrant(ctx, conn.ID, margin, func(ctx context.Context, g connectors.Grant) (connectors.Grant, error) {
		var ng connectors.Grant
		err := connectors.Retry(ctx, connectors.DefaultBackoff, func(ctx context.Context) error {
			var err error
			ng, err = r.Refresh(ctx, g)
			return err
		})
		s.metrics.Refresh(err == nil)
		return ng, err
	})
}
