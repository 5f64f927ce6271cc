package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/views"
)

// recordPage is a record shown in the voucher page's frame or on its own:
// an order related to a sales invoice, read from the upstream now.
type recordPage struct {
	Record  connectors.Record
	Voucher *db.Voucher
	// Framed: inside the voucher page, which has the portal's header.
	Framed bool
}

// showRecord answers a document that is a record (the document routes
// call it, with their access checks done) with a readable page, and
// audits the read as an open of the document.
func (s *Server) showRecord(c echo.Context, v *db.Voucher, doc *db.VoucherDocument, framed bool) error {
	co := currentCompany(c)
	rec, err := s.conns.Record(c.Request().Context(), co.ID, doc)
	s.recordOpen(c, co, v, doc, "", "", 0, err)
	if err != nil {
		return err
	}
	frameable(c.Response().Header())
	c.Response().Header().Set("Cache-Control", "private, no-store")
	p := &views.Page{Title: s.t(c, "record.order", rec.Number), Lang: s.lang(c), User: pageUser(currentUser(c)), Company: pageCompany(co),
		Static: s.staticURL, FirmName: s.firm, Data: recordPage{Record: rec, Voucher: v, Framed: framed}}
	return c.Render(http.StatusOK, "record", p)
}
