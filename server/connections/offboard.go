package connections

import (
	"context"
	"fmt"
	"slices"
	"time"

	"bilag/connectors"
	"bilag/db"
)

// OffboardResult is what an offboarding did.
type OffboardResult struct {
	db.OffboardCounts
	// Ended is how many connections it ended; Revoked how many of their
	// grants the upstream withdrew. The others' connectors have no revoke
	// call (the firm finishes it in the system), or the call failed: the
	// stored grant went anyway.
	Ended, Revoked int
	// Cached is how many cached documents this instance deleted; every
	// other instance deletes its own when it applies the purge.
	Cached int
}

// Offboard ends a company's time in the portal: it ends every connection
// (revoking the grant at the upstream where it can), deletes this
// instance's cached documents, then deletes the voucher index and the
// stored invoice bodies, closes the links and records the purge for the
// other instances' caches (db.Offboard), audited as by with the counts.
// A reactivated company needs a new link.
func (s *Service) Offboard(ctx context.Context, companyID int64, by db.AuditEvent) (OffboardResult, error) {
	var r OffboardResult
	conns, err := s.rows.ConnectionsForCompanies(ctx, []int64{companyID})
	if err != nil {
		return r, err
	}
	var prefixes []string
	for i := range conns {
		c := &conns[i]
		if p := cachePrefix(c.Connector, c.CompanyID); !slices.Contains(prefixes, p) {
			prefixes = append(prefixes, p)
		}
		if c.Status == db.ConnDisconnected {
			continue
		}
		revoked, err := s.endForOffboard(ctx, c)
		if err != nil {
			return r, err
		}
		r.Ended++
		if revoked {
			r.Revoked++
		}
	}
	leases, err := s.holdSyncs(ctx, conns)
	if err != nil {
		s.releaseSyncs(ctx, leases)
		return r, err
	}
	r.Cached = s.forgetPrefixes(ctx, prefixes)
	extra := fmt.Sprintf("connections_ended=%d revoked=%d cached_documents=%d", r.Ended, r.Revoked, r.Cached)
	// db.Offboard clears the sync leases with the sync state; on failure
	// they are released here.
	if r.OffboardCounts, err = s.db.Offboard(ctx, companyID, prefixes, by, extra); err != nil {
		s.releaseSyncs(ctx, leases)
		return r, err
	}
	return r, nil
}

// releaseSyncs gives back sync leases an offboarding that failed held.
func (s *Service) releaseSyncs(ctx context.Context, leases []*db.SyncLease) {
	for _, l := range leases {
		if err := s.db.ReleaseSyncLease(context.WithoutCancel(ctx), l, nil); err != nil {
			s.log.Warn("release sync lease", "connection_id", l.ConnID, "err", err)
		}
	}
}

// offboardSyncWait is how long an offboarding waits for a running sync of
// the company to stop.
const offboardSyncWait = 45 * time.Second

// holdSyncs takes the sync lease of each of conns, waiting for a running
// sync to stop first (its grant is gone, so it stops at its next page):
// no page it read may land in the index after the offboarding deleted it.
func (s *Service) holdSyncs(ctx context.Context, conns []db.Connection) ([]*db.SyncLease, error) {
	ctx, cancel := context.WithTimeout(ctx, offboardSyncWait)
	defer cancel()
	var held []*db.SyncLease
	for i := range conns {
		for {
			l, err := s.db.TakeSyncLease(ctx, conns[i].ID, offboardSyncWait+syncLease)
			if err != nil {
				return held, err
			}
			if l != nil {
				held = append(held, l)
				break
			}
			select {
			case <-ctx.Done():
				return held, fmt.Errorf("offboard: connection %d: %w", conns[i].ID, ErrSyncRunning)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return held, nil
}

// endForOffboard disconnects c, revoking its grant at the upstream where the
// connector can; revoked tells whether the upstream withdrew it.
func (s *Service) endForOffboard(ctx context.Context, c *db.Connection) (revoked bool, err error) {
	var revoke db.RevokeFunc
	if rv, ok := s.connectors[c.Connector].(connectors.Revoker); ok && len(c.TokenSealed) > 0 {
		revoke = rv.Revoke
	}
	revokeErr, err := s.db.Disconnect(ctx, c.ID, revoke)
	if err != nil {
		return false, err
	}
	if revokeErr != nil {
		s.log.Warn("revoke grant at upstream", "connection_id", c.ID, "err", revokeErr)
	}
	return revoke != nil && revokeErr == nil, nil
}

// forgetPrefixes deletes this instance's cached documents under prefixes
// and returns how many went. A failure is logged: the purge row makes the
// janitor try again.
func (s *Service) forgetPrefixes(ctx context.Context, prefixes []string) int {
	if s.cache == nil {
		return 0
	}
	n := 0
	for _, p := range prefixes {
		k, err := s.cache.Forget(ctx, p)
		if err != nil {
			s.log.Warn("forget cached documents", "prefix", p, "err", err)
		}
		n += k
	}
	return n
}

// ApplyCachePurges deletes from this instance's cache what the purges
// recorded since the last it applied name (every instance runs it on a
// tick; see Run), and returns how many documents went. A purge applied
// twice (after a restart, or on the instance that recorded it) finds
// nothing more to delete.
func (s *Service) ApplyCachePurges(ctx context.Context) (int, error) {
	if s.cache == nil {
		return 0, nil
	}
	s.purgeMu.Lock()
	defer s.purgeMu.Unlock()
	ps, err := s.db.CachePurgesAfter(ctx, s.purgedThrough)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range ps {
		k, err := s.cache.Forget(ctx, p.Prefix)
		if err != nil {
			return n, fmt.Errorf("apply cache purge %d: %w", p.ID, err)
		}
		n += k
		s.purgedThrough = p.ID
	}
	return n, nil
}
