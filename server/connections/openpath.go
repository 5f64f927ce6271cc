package connections

import (
	"context"
	"errors"

	"bilag/connectors"
	"bilag/db"
)

// useRead is use for a connection row read from the database during this
// same request (OpenDocument reads it for the disconnect rule): its grant,
// when fresh, is used as read, without reading the row a second time. A
// grant due for a refresh goes the way use goes.
func (s *Service) useRead(ctx context.Context, conn *db.Connection, op func(ctx context.Context, g connectors.Grant) error) error {
	g, ok, err := s.db.GrantIfFresh(conn, refreshMargin)
	if err != nil || !ok {
		return s.use(ctx, conn, op)
	}
	err = op(ctx, g)
	if errors.Is(err, connectors.ErrGrantRevoked) {
		s.end(ctx, conn, err)
	}
	return err
}
