package evidence

import (
	"context"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
)

// ServiceUpstream reads a pack through the connections service: the same
// path as a person's open (the cache, then the upstream), as background
// calls.
type ServiceUpstream struct{ *connections.Service }

// OpenDocument opens a document as connections.Service does.
func (s ServiceUpstream) OpenDocument(ctx context.Context, companyID int64, doc *db.VoucherDocument) (Document, error) {
	d, err := s.Service.OpenDocument(ctx, companyID, doc)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Ledger reads the period's ledger.
func (s ServiceUpstream) Ledger(ctx context.Context, companyID int64, from, to time.Time) (connectors.Ledger, error) {
	return s.Service.Ledger(ctx, companyID, from, to)
}

var _ Upstream = ServiceUpstream{}
