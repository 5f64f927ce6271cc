package connections

import (
	"context"
	"errors"
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

// RecordActions are the actions the record's connector offers on rec as
// read now, with the connector's name; none when it offers none.
func (s *Service) RecordActions(ctx context.Context, companyID int64, doc *db.VoucherDocument, rec connectors.Record) (string, []string) {
	conn, _, err := s.currentFor(ctx, companyID, doc.ConnectionID)
	if err != nil || conn.ID != doc.ConnectionID || usable(conn) != nil {
		return "", nil
	}
	ra, ok := s.connectors[conn.Connector].(connectors.RecordActions)
	if !ok {
		return conn.Connector, nil
	}
	return conn.Connector, ra.RecordActions(rec)
}

// ActOnRecord takes one action on a record document once (a write into
// the client's books: never retried here). An action the connector does
// not offer is ErrActionInput and sends nothing; the upstream's refusal
// is an answer not Accepted; a lost answer the connector could not settle
// is an *UpstreamError that is connectors.AnswerLost.
func (s *Service) ActOnRecord(ctx context.Context, companyID int64, doc *db.VoucherDocument, action string) (connectors.RecordAnswer, error) {
	conn, connector, err := s.currentFor(ctx, companyID, doc.ConnectionID)
	if err != nil {
		return connectors.RecordAnswer{}, err
	}
	ra, ok := s.connectors[conn.Connector].(connectors.RecordActions)
	switch {
	case usable(conn) != nil:
		return connectors.RecordAnswer{}, &UpstreamError{Connector: connector, Err: usable(conn)}
	case !ok || doc.ConnectionID != conn.ID || doc.ContentType != connectors.ContentTypeRecord:
		return connectors.RecordAnswer{}, fmt.Errorf("record %d: %w", doc.ID, connectors.ErrNotFound)
	}
	var ans connectors.RecordAnswer
	err = s.use(connectors.WithCompany(ctx, companyID), conn, func(ctx context.Context, g connectors.Grant) (err error) {
		ans, err = ra.ActOnRecord(ctx, g, connectors.Document{ID: doc.ExternalID, Kind: doc.Kind, FileName: doc.FileName, ContentType: doc.ContentType}, action)
		return err
	})
	s.log.Info("record action", "company_id", companyID, "document_id", doc.ID, "action", action, "accepted", ans.Accepted, "settled", ans.Settled, "err", err)
	if err != nil && !errors.Is(err, connectors.ErrActionInput) && !errors.Is(err, connectors.ErrNotTaken) {
		return ans, &UpstreamError{Connector: connector, Err: err}
	}
	return ans, err
}
