package server

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

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

// dimensionFilterState fills the page's dimension and payment choices; a
// filter the page says is not available filters nothing.
func (s *Server) dimensionFilterState(ctx context.Context, companyID int64, conn *db.Connection, p *vouchersPage, f *db.VoucherFilter) error {
	p.DimensionsLack, p.PaymentsLack = s.filterLimits(conn)
	if p.PaymentsLack {
		f.Payment = ""
	}
	if p.DimensionsLack {
		f.DimensionKind, f.DimensionCode = "", ""
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

// apiDimensionAndPayment reads the API's dimension and payment filters
// into f: a value the API does not know is a 400 naming the parameter, a
// filter the company's system cannot serve a 422 that says so.
func (s *Server) apiDimensionAndPayment(c echo.Context, f *db.VoucherFilter) error {
	dim, pay := c.QueryParam("dimension"), c.QueryParam("payment")
	if dim == "" && pay == "" {
		return nil
	}
	var ok bool
	if dim != "" {
		if f.DimensionKind, f.DimensionCode, ok = parseDimension(dim); !ok {
			return badParam("dimension")
		}
	}
	if !validPayment(pay) {
		return badParam("payment")
	}
	f.Payment, f.Today, f.OverdueStatuses = pay, s.now(), connectors.OverdueStatuses()
	conn, err := s.conns.Current(c.Request().Context(), currentCompany(c).ID)
	if err != nil && !isNotFound(err) {
		return err
	}
	lackDims, lackPay := s.filterLimits(conn)
	for _, l := range []struct {
		param string
		lack  bool
	}{{"dimension", dim != "" && lackDims}, {"payment", pay != "" && lackPay}} {
		if l.lack {
			return &apiProblem{Status: http.StatusUnprocessableEntity, Code: "filter_not_available", Key: "api.err.filter.na",
				Args: []any{l.param, s.views.ConnectorName(s.lang(c), conn.Connector)}}
		}
	}
	return nil
}
