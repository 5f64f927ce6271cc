package connections

import (
	"context"
	"fmt"

	"bilag/connectors"
	"bilag/db"
)

// Record reads a document that is a record (connectors.ContentTypeRecord:
// a sales order related to an invoice) through the company's connection
// it was listed by. It is a person's read: interactive, never cached.
// Once the company's connections are read, an error is an *UpstreamError.
func (s *Service) Record(ctx context.Context, companyID int64, doc *db.VoucherDocument) (connectors.Record, error) {
	conn, connector, err := s.currentFor(ctx, companyID, doc.ConnectionID)
	if err != nil {
		return connectors.Record{}, err
	}
	rec, err := s.record(ctx, conn, doc)
	if err != nil {
		return rec, &UpstreamError{Connector: connector, Err: err}
	}
	return rec, nil
}

func (s *Service) record(ctx context.Context, conn *db.Connection, doc *db.VoucherDocument) (connectors.Record, error) {
	if err := usable(conn); err != nil {
		return connectors.Record{}, err
	}
	rr, ok := s.connectors[conn.Connector].(connectors.RecordReader)
	if !ok || doc.ConnectionID != conn.ID || doc.ContentType != connectors.ContentTypeRecord {
		return connectors.Record{}, fmt.Errorf("record %d: %w", doc.ID, connectors.ErrNotFound)
	}
	var rec connectors.Record
	err := s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) (err error) {
		rec, err = rr.Record(ctx, g, connectors.Document{ID: doc.ExternalID, Kind: doc.Kind, FileName: doc.FileName, ContentType: doc.ContentType})
		return err
	})
	return rec, err
}
