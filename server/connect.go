package server

import (
	"context"
	"errors"

	"bilag/db"
)

// afterConnect starts the first sync of a new connection in the
// background; a reconnect may be another upstream company, so it is full.
func (s *Server) afterConnect(conn *db.Connection) {
	if err := s.db.ResetSync(context.Background(), conn.ID); err != nil {
		s.log.Warn("reset sync state", "connection_id", conn.ID, "err", err)
	}
	s.goSync(conn)
}

// goSync runs a sync in the background, bounded by the server's lifetime.
func (s *Server) goSync(conn *db.Connection) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if _, err := s.SyncConnection(s.bgctx, conn); err != nil && !errors.Is(err, ErrSyncRunning) {
			s.log.Warn("background sync", "connection_id", conn.ID, "err", err)
		}
	}()
}
