package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

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
	Doc     *db.VoucherDocument
	// Framed: inside the voucher page, which has the portal's header.
	Framed bool
	// System is the upstream's name; Actions what those who manage the
	// company may do to the record now (none for a viewer).
	System  string
	Actions []actionButton
}

// showRecord answers a document that is a record (the document routes
// call it, with their access checks done) with a readable page, and
// audits the read as an open of the document.
func (s *Server) showRecord(c echo.Context, v *db.Voucher, doc *db.VoucherDocument, framed bool) error {
	co, u := currentCompany(c), currentUser(c)
	// Frameable before the read: an upstream failure's page is shown in
	// the voucher page's frame too, not a frame the browser blocks.
	frameable(c.Response().Header())
	rec, err := s.conns.Record(c.Request().Context(), co.ID, doc)
	s.recordOpen(c, co, v, doc, "", "", 0, err)
	if err != nil {
		return err
	}
	data := recordPage{Record: rec, Voucher: v, Doc: doc, Framed: framed}
	if u.CanManageConnections() {
		connector, names := s.conns.RecordActions(c.Request().Context(), co.ID, doc, rec)
		data.System = s.connectorName(s.lang(c), connector)
		for _, n := range names {
			data.Actions = append(data.Actions, actionButton{Name: n, Label: s.ct(c, connector, connector+".record.act."+n)})
		}
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	p := &views.Page{Title: s.t(c, "record.order", rec.Number), Lang: s.lang(c), User: pageUser(u), Company: pageCompany(co),
		Static: s.staticURL, FirmName: s.firm, Data: data}
	if tok, ok := c.Get("csrf").(string); ok {
		p.CSRF = tok
	}
	return c.Render(http.StatusOK, "record", p)
}

// recordActionPage is the confirm page of an action on a record.
type recordActionPage struct {
	Company *db.Company
	Voucher *db.Voucher
	Doc     *db.VoucherDocument
	Record  connectors.Record
	System  string
	// Action is the action's name, Label its words; Allowed says whether
	// the record as read now allows it.
	Action, Label string
	Allowed       bool
}

// actOnRecord is the record page's action form's target (those who
// manage the company): without confirm=yes the confirm page, which reads
// the record now; with it the action, taken once and audited.
func (s *Server) actOnRecord(c echo.Context) error {
	v, doc, err := s.paramDocument(c)
	if err != nil {
		return err
	}
	if doc.ContentType != connectors.ContentTypeRecord {
		return echo.ErrNotFound
	}
	if c.FormValue("confirm") != "yes" {
		return s.confirmRecordAction(c, v, doc, c.FormValue("action"))
	}
	return s.takeRecordAction(c, v, doc, c.FormValue("action"))
}

// confirmRecordAction shows what is about to happen to the record as read
// now; an action its connector has no words for is 404.
func (s *Server) confirmRecordAction(c echo.Context, v *db.Voucher, doc *db.VoucherDocument, action string) error {
	co := currentCompany(c)
	rec, err := s.conns.Record(c.Request().Context(), co.ID, doc)
	if err != nil {
		return err
	}
	connector, names := s.conns.RecordActions(c.Request().Context(), co.ID, doc, rec)
	key := connector + ".record.act." + action
	label := s.ct(c, connector, key)
	if connector == "" || action == "" || label == key {
		return echo.ErrNotFound
	}
	p := recordActionPage{Company: co, Voucher: v, Doc: doc, Record: rec, System: s.connectorName(s.lang(c), connector),
		Action: action, Label: label, Allowed: slices.Contains(names, action)}
	return s.render(c, "record_action", s.t(c, "imports.act.title", label), p)
}

// takeRecordAction takes the confirmed action once, audits what came of
// it and goes back to the voucher page's tab of the record with it.
func (s *Server) takeRecordAction(c echo.Context, v *db.Voucher, doc *db.VoucherDocument, action string) error {
	co := currentCompany(c)
	back := fmt.Sprintf("/companies/%d/vouchers/%d?doc=%d", co.ID, v.ID, doc.ID)
	ans, err := s.conns.ActOnRecord(c.Request().Context(), co.ID, doc, action)
	// The connection the record was listed by names the system (the
	// action was taken through it, or nothing was).
	connector := ""
	if conn, cerr := s.conns.Current(c.Request().Context(), co.ID); cerr == nil && conn.ID == doc.ConnectionID {
		connector = conn.Connector
	}
	system := s.connectorName(s.lang(c), connector)
	outcome, msg := s.recordOutcome(c, system, doc, ans, err)
	if outcome == "" {
		return err
	}
	if outcome != "input" {
		s.audit(c, db.AuditRecordAction, &co.ID, connector, fmt.Sprintf("record=%s key=%s action=%s outcome=%s settled=%t",
			auditValue(doc.FileName), doc.ExternalID, action, outcome, ans.Settled))
	}
	return s.flashTo(c, msg, back)
}

// recordOutcome is what came of an action on a record, for the audit
// (accepted, refused, not_sent, unknown; "input" when nothing was sent
// because the record no longer allows it) and in words; "" for a failure
// to show as an error page.
func (s *Server) recordOutcome(c echo.Context, system string, doc *db.VoucherDocument, ans connectors.RecordAnswer, err error) (string, string) {
	switch {
	case errors.Is(err, connectors.ErrActionInput):
		return "input", s.t(c, "record.act.input", system)
	case errors.Is(err, connectors.ErrNotTaken):
		return db.ImportNotSent, s.t(c, "record.act.nottaken", system)
	case connectors.AnswerLost(err):
		return db.ImportUnknown, s.t(c, "record.act.unknown", system)
	case err != nil:
		return "", ""
	case !ans.Accepted:
		return db.ImportRefused, s.t(c, "imports.act.refused", system, ans.Message)
	case ans.Settled:
		return db.ImportAccepted, s.t(c, "record.act.settled", system)
	}
	return db.ImportAccepted, s.t(c, "record.act.done", s.t(c, "record.order", doc.FileName), system)
}
