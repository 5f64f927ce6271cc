package server

import (
	"context"
	"strings"
	"unicode/utf8"

	"bilag/connectors"
	"bilag/db"
)

// dimensionChoices bounds the dimension filter's list.
const dimensionChoices = 500

// parseDimension reads the dimension filter, "kind:code" (department:10).
func parseDimension(v string) (kind, code string, ok bool) {
	kind, code, found := strings.Cut(v, ":")
	code = strings.TrimSpace(code)
	if !found || !connectors.IsDimensionKind(kind) || code == "" || utf8.RuneCountInString(code) > 64 || !utf8.ValidString(code) {
		return "", "", false
	}
	return kind, code, true
}

// validPayment says v is a payment filter ("" is none).
func validPayment(v string) bool { return v == "" || v == db.PaymentUnpaid || v == db.PaymentOverdue }

// filterLimits is what the company's connection cannot filter by. A
// company without a connection lacks nothing it could be told.
func (s *Server) filterLimits(conn *db.Connection) (dims, payments bool) {
	if conn == nil {
		return false, false
	}
	fl, ok := s.conns.Connector(conn.Connector).(connectors.FilterLimited)
	if !ok {
		return false, false
	}
	return fl.Lacks(connectors.FilterDimensions), fl.Lacks(connectors.FilterPayments)
}

// dimensionFilterState fills the page's dimension and payment choices.
func (s *Server) dimensionFilterState(ctx context.Context, companyID int64, conn *db.Connection, p *vouchersPage) error {
	p.DimensionsLack, p.PaymentsLack = s.filterLimits(conn)
	if p.DimensionsLack {
		return nil
	}
	var err error
	p.Dimensions, err = s.db.DimensionChoices(ctx, companyID, dimensionChoices)
	return err
}

// connector is the one whose words the page shows: the connection's.
func (p vouchersPage) connector() string {
	if p.Connection == nil {
		return ""
	}
	return p.Connection.Connector
}
