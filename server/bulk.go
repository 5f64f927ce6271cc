package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"bilag/db"
)

// maxBulkLinks bounds one bulk request, so that a forged form cannot make
// links without end.
const maxBulkLinks = 500

type bulkRow struct {
	CompanyID int64
	Company   string
	OK        bool
	// Skipped: the company is connected and no re-approval was asked
	// for, so nothing was made or sent.
	Skipped bool
	// Msg says what became of the company: a link made (and sent), or why
	// none was.
	Msg string
}

type bulkPage struct {
	Rows          []bulkRow
	Made, Skipped int
}

// bulkLinks makes one consent link for each company picked on the
// dashboard, and e-mails it where an address was given. A connected
// company is skipped unless the analyst asked for re-approvals: a new
// link for it would ask its approver to do again what is done.
func (s *Server) bulkLinks(c echo.Context) error {
	if err := c.Request().ParseForm(); err != nil {
		return echo.ErrBadRequest
	}
	ids := c.Request().PostForm["company"]
	if len(ids) == 0 {
		return s.flashTo(c, s.t(c, "dash.bulk.none"), "/")
	}
	if len(ids) > maxBulkLinks {
		return echo.ErrBadRequest
	}
	reapprove := c.FormValue("reapprove") == "1"
	var p bulkPage
	for _, id := range ids {
		r := s.bulkOne(c, id, reapprove)
		switch {
		case r.OK:
			p.Made++
		case r.Skipped:
			p.Skipped++
		}
		p.Rows = append(p.Rows, r)
	}
	return c.Render(http.StatusOK, "links_bulk", s.page(c, s.t(c, "bulk.title"), p))
}

// bulkOne makes the link of one company of a bulk request; a connected
// one gets none unless reapprove.
func (s *Server) bulkOne(c echo.Context, idText string, reapprove bool) bulkRow {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return bulkRow{Company: idText, Msg: s.t(c, "bulk.unknown")}
	}
	co, err := s.db.CompanyForUser(c.Request().Context(), currentUser(c), id)
	if err != nil {
		return bulkRow{Company: idText, Msg: s.t(c, "bulk.unknown")}
	}
	r := bulkRow{CompanyID: co.ID, Company: co.Name}
	if !co.Active {
		r.Msg = s.t(c, "bulk.inactive")
		return r
	}
	if !reapprove {
		conn, err := s.conns.Current(c.Request().Context(), co.ID)
		switch {
		case err == nil && conn.Status == db.ConnActive:
			r.Skipped, r.Msg = true, s.t(c, "bulk.connected")
			return r
		case err != nil && !isNotFound(err):
			s.log.Error("bulk consent link: current connection", "company_id", co.ID, "err", err)
			r.Msg = s.t(c, "bulk.failed")
			return r
		}
	}
	f, l := s.linkForm(c, co)
	if !f.OK() {
		for _, key := range f.Errors {
			r.Msg = s.t(c, key)
		}
		return r
	}
	email := c.FormValue("email_" + idText)
	to, toOK := recipient("", email)
	if email != "" && !toOK {
		r.Msg = s.t(c, "share.bad_address")
		return r
	}
	cp, err := s.makeLink(c, co, l, "")
	if err != nil {
		s.log.Error("bulk consent link", "company_id", co.ID, "err", err)
		r.Msg = s.t(c, "bulk.failed")
		return r
	}
	r.OK, r.Msg = true, s.t(c, "bulk.made")
	if email != "" {
		r.Msg = s.sendWords(c, co.ID, s.mailLink(c, co, l, cp, to), to)
	}
	return r
}
