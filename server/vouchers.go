package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/connectors/orgnr"
	"bilag/db"
	"bilag/server/connections"
)

type vouchersPage struct {
	Connection  *db.Connection
	List        db.VoucherList
	FiscalYears []db.FiscalYear
	Filter      voucherFilterForm
	Query       string
	Sync        *db.SyncRun
	Runs        []db.SyncRun
	Indexed     int64
	// IndexedCapped: the company has more than db.CountCap vouchers.
	IndexedCapped bool
}

// voucherFilterForm is the filter as the person typed it.
type voucherFilterForm struct {
	FiscalYear, From, To, Text, Number string
	HasDocuments                       bool
	Error                              string
}

// query is the filter as a query string, for the page links.
func (f voucherFilterForm) query() string {
	q := url.Values{}
	for k, v := range map[string]string{"fiscal_year": f.FiscalYear, "from": f.From, "to": f.To, "text": f.Text, "number": f.Number} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.HasDocuments {
		q.Set("has_documents", "1")
	}
	return q.Encode()
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse("2006-01-02", s)
}

// voucherFilter reads the list filters; a malformed date is a message, not
// an error page.
func voucherFilter(c echo.Context) (db.VoucherFilter, voucherFilterForm) {
	form := voucherFilterForm{
		FiscalYear: c.QueryParam("fiscal_year"), From: c.QueryParam("from"), To: c.QueryParam("to"),
		Text: truncateStr(c.QueryParam("text"), 200), Number: truncateStr(c.QueryParam("number"), 64), HasDocuments: c.QueryParam("has_documents") == "1",
	}
	f := db.VoucherFilter{FiscalYear: form.FiscalYear, Text: form.Text, Number: form.Number, HasDocuments: form.HasDocuments}
	var err1, err2 error
	f.From, err1 = parseDate(form.From)
	f.To, err2 = parseDate(form.To)
	if err1 != nil || err2 != nil {
		form.Error = "vouchers.err.date"
		f.From, f.To = time.Time{}, time.Time{}
	}
	f.Page, _ = strconv.Atoi(c.QueryParam("page"))
	return f, form
}

func (s *Server) listVouchers(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	f, form := voucherFilter(c)
	p := vouchersPage{Filter: form}
	conn, err := s.conns.Current(ctx, co.ID)
	if err != nil && !isNotFound(err) {
		return err
	}
	if conn != nil && !s.conns.Reads(conn) {
		return echo.ErrNotFound
	}
	p.Connection = conn
	if p.List, err = s.db.Vouchers(ctx, co.ID, f); err != nil {
		return err
	}
	if p.FiscalYears, err = s.db.FiscalYears(ctx, co.ID); err != nil {
		return err
	}
	if p.Runs, err = s.db.SyncRuns(ctx, co.ID, 5); err != nil {
		return err
	}
	if len(p.Runs) > 0 && p.Runs[0].Status == db.SyncRunning {
		p.Sync = &p.Runs[0]
	}
	if p.Indexed, p.IndexedCapped, err = s.db.CountVouchersCapped(ctx, co.ID); err != nil {
		return err
	}
	p.Query = form.query()
	status := http.StatusOK
	if form.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return c.Render(status, "vouchers", s.page(c, s.t(c, "vouchers.title"), p))
}

type syncStatusJSON struct {
	Running bool   `json:"running"`
	Fetched int    `json:"fetched"`
	Total   int    `json:"total"`
	Text    string `json:"text"`
}

func (s *Server) syncStatus(c echo.Context) error {
	runs, err := s.db.SyncRuns(c.Request().Context(), currentCompany(c).ID, 1)
	if err != nil {
		return err
	}
	out := syncStatusJSON{}
	if len(runs) > 0 {
		r := runs[0]
		out = syncStatusJSON{Running: r.Status == db.SyncRunning, Fetched: r.Fetched, Total: r.Total, Text: s.t(c, "sync.progress", r.Fetched, r.Total)}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// syncNow starts a sync in the background and goes back to the list.
func (s *Server) syncNow(c echo.Context) error {
	co := currentCompany(c)
	conn, err := s.conns.Current(c.Request().Context(), co.ID)
	if err != nil {
		return err
	}
	if conn.Status != db.ConnActive || !s.conns.Reads(conn) {
		return echo.ErrNotFound
	}
	to := fmt.Sprintf("/companies/%d/vouchers", co.ID)
	if err := s.conns.StartSync(conn); errors.Is(err, connections.ErrSyncRunning) {
		// A second press: the sync that runs is the answer.
		msg := s.t(c, "sync.running")
		if runs, rerr := s.db.SyncRuns(c.Request().Context(), co.ID, 1); rerr == nil && len(runs) > 0 && runs[0].Status == db.SyncRunning {
			msg = s.t(c, "sync.alreadyrunning", runs[0].Fetched, runs[0].Total)
		}
		return s.flashTo(c, msg, to)
	} else if err != nil {
		return err
	}
	return s.flashTo(c, s.t(c, "sync.startedflash"), to)
}

type voucherPage struct {
	Voucher *db.Voucher
	Rows    []connectors.VoucherRow
	Docs    []db.VoucherDocument
	Current *db.VoucherDocument
	// View is how Current is shown: "pdf", "image" or "download".
	View string
	// Problem says, in the reader's words, why the upstream could not be
	// asked (upstreamAnswerTo); "" when it was.
	Problem   string
	CanManage bool
}

func docView(ct string) string {
	switch strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0])) {
	case "application/pdf":
		return "pdf"
	case "image/jpeg", "image/png", "image/tiff", "image/jpg":
		return "image"
	}
	return "download"
}

// paramVoucher is the current company's indexed voucher that the route
// names; another company's voucher is ErrNotFound, like a missing one.
func (s *Server) paramVoucher(c echo.Context) (*db.Voucher, error) {
	id, err := paramID(c, "voucherID")
	if err != nil {
		return nil, err
	}
	return s.db.Voucher(c.Request().Context(), currentCompany(c).ID, id)
}

func (s *Server) showVoucher(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	v, err := s.paramVoucher(c)
	if err != nil {
		return err
	}
	p := voucherPage{Voucher: v, CanManage: currentUser(c).CanManageConnections()}
	if err := s.liveVoucher(ctx, co, v, &p); err != nil {
		err = s.viaConnector(ctx, v.ConnectionID, err)
		if a, ok := s.upstreamAnswerTo(c, err); ok {
			p.Problem = a.Text
			s.log.Log(ctx, a.Level, "open voucher: upstream failure", "company_id", co.ID, "voucher_id", v.ID, "status", a.Status, "err", err)
		} else {
			p.Problem = s.t(c, "err.500")
			s.log.Error("open voucher", "company_id", co.ID, "voucher_id", v.ID, "err", err)
		}
	}
	if p.Docs == nil {
		// Visma did not answer: show what was found before, if anything.
		if p.Docs, err = s.db.VoucherDocuments(ctx, co.ID, v.ID); err != nil {
			return err
		}
	}
	want, _ := strconv.ParseInt(c.QueryParam("doc"), 10, 64)
	for i := range p.Docs {
		if p.Current == nil || p.Docs[i].ID == want {
			p.Current = &p.Docs[i]
		}
	}
	if p.Current != nil {
		p.View = docView(p.Current.ContentType)
	}
	return s.render(c, "voucher", fmt.Sprintf("%s %s", v.Number, v.Date.Format("2006-01-02")), p)
}

// liveVoucher asks the upstream for the voucher's rows and documents.
func (s *Server) liveVoucher(ctx context.Context, co *db.Company, v *db.Voucher, p *voucherPage) error {
	var err error
	p.Rows, p.Docs, err = s.conns.LiveVoucher(ctx, co.ID, v)
	return err
}

type lookupPage struct {
	Number, Date, FiscalYear string
	Matches                  []db.Voucher
}

// lookupVoucher is the deep link of an analysis tool: a voucher by number
// and, optionally, date or fiscal year.
func (s *Server) lookupVoucher(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	p := lookupPage{Number: truncateStr(c.QueryParam("number"), 64), Date: c.QueryParam("date"), FiscalYear: truncateStr(c.QueryParam("fiscal_year"), 64)}
	date, err := parseDate(p.Date)
	if err != nil || db.NumberKey(p.Number) == "" {
		return c.Render(http.StatusBadRequest, "lookup", s.page(c, s.t(c, "lookup.title"), p))
	}
	if p.Matches, err = s.db.LookupVouchers(ctx, co.ID, p.Number, date, p.FiscalYear); err != nil {
		return err
	}
	switch len(p.Matches) {
	case 1:
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/companies/%d/vouchers/%d", co.ID, p.Matches[0].ID))
	case 0:
		return c.Render(http.StatusNotFound, "lookup", s.page(c, s.t(c, "lookup.title"), p))
	}
	return c.Render(http.StatusOK, "lookup", s.page(c, s.t(c, "lookup.title"), p))
}

// lookupByOrg finds the company by organisation number among those the
// user may see, then looks the voucher up there.
func (s *Server) lookupByOrg(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	org := c.Param("orgnr")
	var found *db.Company
	cs, err := s.db.CompaniesForUser(ctx, u)
	if err != nil {
		return err
	}
	for i := range cs {
		if orgnr.Equal(cs[i].Country, cs[i].OrgNumber, org) {
			found = &cs[i]
			break
		}
	}
	if found == nil {
		return echo.ErrNotFound
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/companies/%d/vouchers/lookup?%s", found.ID, c.QueryString()))
}
