package connections

import (
	"context"
	"time"

	"bilag/connectors"
	"bilag/db"
)

// refreshMargin: a grant is renewed when it expires within this, so a
// request never starts with a token about to die. A grant that lives less
// than twice as long is renewed at half its lifetime instead (db.FreshGrant
// knows the lifetime), or every request would refresh it.
const refreshMargin = 2 * time.Minute

// Grant returns a usable grant of conn, refreshing it (once, across every
// instance) when it is about to expire and its connector can. A grant the
// upstream refused for good ends the connection.
func (s *Service) Grant(ctx context.Context, conn *db.Connection) (connectors.Grant, error) {
	var g connectors.Grant
	err := s.use(ctx, conn, func(_ context.Context, fresh connectors.Grant) error {
		g = fresh
		return nil
	})
	return g, err
}

// grant is Grant without the verdict on failure; use gives that.
func (s *Service) grant(ctx context.Context, conn *db.Connection, margin time.Duration) (connectors.Grant, error) {
	r, ok := s.connectors[conn.Connector].(connectors.Refresher)
	if !ok {
		return s.db.Grant(ctx, conn.ID)
	}
	// A refresh token is single use, and a server that rotates them may
	// take a second use of a spent one for theft and end the whole grant.
	// So it is sent at most twice: again only when the first answer was
	// lost (the upstream may never have seen it), never after the upstream
	// answered, whatever it said. The next request, or the sweep, tries anew.
	return s.db.FreshGrant(ctx, conn.ID, margin, func(ctx context.Context, g connectors.Grant) (connectors.Grant, error) {
		ng, err := r.Refresh(ctx, g)
		if err != nil && connectors.AnswerLost(err) && ctx.Err() == nil {
			s.log.Info("refresh answer lost; sending it once more", "connection_id", conn.ID, "err", err)
			ng, err = r.Refresh(ctx, g)
		}
		s.metrics.Refresh(err == nil)
		return ng, err
	})
}

// KeepFresh refreshes the grants that expire within horizon, so that idle
// connections stay alive.
func (s *Service) KeepFresh(ctx context.Context, horizon time.Duration) {
	conns, err := s.db.ExpiringConnections(ctx, s.now().Add(horizon))
	if err != nil {
		s.log.Error("list expiring connections", "err", err)
		return
	}
	ctx = connectors.WithBackoff(ctx, connectors.Background())
	for i := range conns {
		c := &conns[i]
		err := s.useWithin(ctx, c, horizon, func(context.Context, connectors.Grant) error { return nil })
		if err != nil {
			s.log.Warn("keep grant fresh", "connection_id", c.ID, "company_id", c.CompanyID, "err", err)
		}
	}
}
