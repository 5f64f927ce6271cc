package connections

import (
	"context"
	"fmt"
	"time"

	"bilag/connectors"
)

// Ledger reads the company's chart of accounts, opening balances and
// parties for a period through its connection, for a standard file. A
// connector that reads no ledger gives an empty one that says so in
// Missing. The caller's context says whether the calls are a person's or
// background ones (connectors.WithCaller).
func (s *Service) Ledger(ctx context.Context, companyID int64, from, to time.Time) (connectors.Ledger, error) {
	conn, err := s.active(ctx, companyID)
	if err != nil {
		return connectors.Ledger{}, err
	}
	lr, ok := s.connectors[conn.Connector].(connectors.LedgerReader)
	if !ok {
		return connectors.Ledger{Missing: []string{"accounts", "opening_balances", "parties"}}, nil
	}
	var l connectors.Ledger
	err = s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) (err error) {
		l, err = lr.Ledger(ctx, g, from, to)
		return err
	})
	if err != nil {
		return connectors.Ledger{}, fmt.Errorf("read ledger of company %d: %w", companyID, err)
	}
	return l, nil
}
