package server

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
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
	// Query is the filter and order as a query string, for the pages and
	// the vouchers' links (their previous and next keep it).
	Query template.URL
	Sync  *syncView
	Runs  []db.SyncRun
	// LastSynced is when the last sync that succeeded finished.
	LastSynced *time.Time
	// CanSync: the company's connection can be synced now.
	CanSync bool
	Indexed int64
	// IndexedCapped: the company has more than db.CountCap vouchers.
	IndexedCapped bool
	// Disconnected says who disconnected the connection and when.
	Disconnected *disconnection
	// Currency is the company's books', which the amounts are in.
	Currency string
	// Documents counts the documents of the page's vouchers whose
	// documents Bilag has listed; the others say only whether they have.
	Documents map[int64]int
	// Dimensions are the filter's choices: the dimensions the index holds.
	Dimensions []db.VoucherDimension
	// DimensionsLack and PaymentsLack: the connection's system cannot give
	// dimensions or payments; the filter says so.
	DimensionsLack, PaymentsLack bool
}

// bookCurrency is the currency a company of country keeps its books in,
// and so the one of its vouchers' amounts (their total in the books);
// "" where Bilag does not know it.
func bookCurrency(country string) string {
	switch country {
	case "SE":
		return "SEK"
	case "NO":
		return "NOK"
	case "DK":
		return "DKK"
	case "FI", "NL":
		return "EUR"
	}
	return ""
}

func (s *Server) listVouchers(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	f, form := s.voucherFilter(c)
	p := vouchersPage{Filter: form, Query: form.query(), Currency: bookCurrency(co.Country)}
	conn, err := s.readingConnection(ctx, co.ID, &p)
	if err != nil {
		return err
	}
	if err := s.dimensionFilterState(ctx, co.ID, conn, &p, &f); err != nil {
		return err
	}
	if p.List, err = s.db.Vouchers(ctx, co.ID, f); err != nil {
		return err
	}
	if p.Documents, err = s.documentCounts(ctx, co.ID, p.List.Vouchers); err != nil {
		return err
	}
	if p.FiscalYears, err = s.db.FiscalYears(ctx, co.ID); err != nil {
		return err
	}
	if err := s.syncState(c, co.ID, &p); err != nil {
		return err
	}
	if p.Indexed, p.IndexedCapped, err = s.db.CountVouchersCapped(ctx, co.ID); err != nil {
		return err
	}
	// The person may open every document of the company (requireCompany
	// let them see it): fetch the page's ahead of their click.
	if !co.NoPrefetch && conn != nil && conn.Status == db.ConnActive {
		s.conns.Prefetch(co.ID, p.List.Vouchers)
	}
	status := http.StatusOK
	if form.invalid() {
		status = http.StatusUnprocessableEntity
	}
	return c.Render(status, "vouchers", s.page(c, s.t(c, "vouchers.title"), p))
}

// readingConnection is the company's current connection, nil for none,
// with what the list says of it; a connection that reads nothing (an
// import-only one) has no voucher list.
func (s *Server) readingConnection(ctx context.Context, companyID int64, p *vouchersPage) (*db.Connection, error) {
	conn, err := s.conns.Current(ctx, companyID)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if conn != nil && !s.conns.Reads(conn) {
		return nil, echo.ErrNotFound
	}
	p.Connection, p.CanSync = conn, s.canSync(conn)
	if p.Disconnected, err = s.disconnectionOf(ctx, conn); err != nil {
		return nil, err
	}
	return conn, nil
}

// documentCounts counts the documents Bilag has listed of each of vs.
func (s *Server) documentCounts(ctx context.Context, companyID int64, vs []db.Voucher) (map[int64]int, error) {
	ids := make([]int64, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	return s.db.DocumentCounts(ctx, companyID, ids)
}

// syncState fills in the company's sync runs: the one running, and when
// the last one that succeeded finished.
func (s *Server) syncState(c echo.Context, companyID int64, p *vouchersPage) error {
	ctx := c.Request().Context()
	var err error
	if p.Runs, err = s.db.SyncRuns(ctx, companyID, 5); err != nil {
		return err
	}
	if len(p.Runs) > 0 && p.Runs[0].Status == db.SyncRunning {
		if p.Sync, err = s.syncViewOf(c, &p.Runs[0]); err != nil {
			return err
		}
	}
	p.LastSynced, err = s.db.LastSynced(ctx, companyID)
	return err
}

// canSync says whether "Sync now" can start a sync of conn.
func (s *Server) canSync(conn *db.Connection) bool {
	return conn != nil && conn.Status == db.ConnActive && s.conns.Reads(conn)
}

type syncStatusJSON struct {
	Running bool `json:"running"`
	Fetched int  `json:"fetched"`
	Total   int  `json:"total"`
	// Determinate: the total is known, so the bar can show a share.
	Determinate bool   `json:"determinate"`
	Text        string `json:"text"`
}

func (s *Server) syncStatus(c echo.Context) error {
	runs, err := s.db.SyncRuns(c.Request().Context(), currentCompany(c).ID, 1)
	if err != nil {
		return err
	}
	out := syncStatusJSON{}
	if len(runs) > 0 {
		r := runs[0]
		v, err := s.syncViewOf(c, &r)
		if err != nil {
			return err
		}
		out = syncStatusJSON{Running: r.Status == db.SyncRunning, Fetched: r.Fetched, Total: r.Total, Determinate: v.Determinate, Text: v.Text}
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
	// Problem says, in the reader's words, why the upstream could not be
	// asked (upstreamAnswerTo); "" when it was.
	Problem   string
	CanManage bool
	// ListQuery is the list's filter and order the voucher was opened
	// from; Prev and Next its neighbours in that list.
	ListQuery  template.URL
	Prev, Next *db.Voucher
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
	if err := s.neighbours(c, v, &p); err != nil {
		return err
	}
	if err := s.liveVoucher(ctx, co, v, &p); err != nil {
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
	p.pick(c.QueryParam("doc"))
	return s.render(c, "voucher", s.t(c, "voucher.title", voucherName(v)), p)
}

// pick makes the document the query names current, else the first.
func (p *voucherPage) pick(doc string) {
	want, _ := strconv.ParseInt(doc, 10, 64)
	for i := range p.Docs {
		if p.Current == nil || p.Docs[i].ID == want {
			p.Current = &p.Docs[i]
		}
	}
	if p.Current != nil {
	}
}

// voucherName is a voucher's number as people write it: "A 42".
func voucherName(v *db.Voucher) string {
	n := v.Number
	if v.Series != "" && strings.HasPrefix(n, v.Series) {
		return v.Series + " " + strings.TrimSpace(strings.TrimPrefix(n, v.Series))
	}
	return n
}

// neighbours finds the vouchers before and after v in the list the
// voucher was opened from, with that list's filter and order.
func (s *Server) neighbours(c echo.Context, v *db.Voucher, p *voucherPage) error {
	f, form := s.voucherFilter(c)
	if form.invalid() {
		return nil
	}
	p.ListQuery = form.query()
	var err error
	p.Prev, p.Next, err = s.db.Neighbours(c.Request().Context(), v.CompanyID, f, v)
	return err
}

// liveVoucher asks the upstream for the voucher's rows and documents.
func (s *Server) liveVoucher(ctx context.Context, co *db.Company, v *db.Voucher, p *voucherPage) error {
	var err error
	p.Rows, p.Docs, err = s.conns.LiveVoucher(ctx, co.ID, v)
	return err
}

type lookupPage struct {
	Number, Date, FiscalYear string
	// Error is the catalogue key of what is wrong with the form.
	Error   string
	Matches []db.Voucher
	// Searched: a number was given and looked up.
	Searched bool
	Index    indexState
}

// indexState is what a "not found" says about Bilag's index: when the
// company was last synced, whether a sync runs, and whether "Sync now"
// can start one.
type indexState struct {
	LastSynced *time.Time
	Running    bool
	CanSync    bool
}

// indexStateOf is the index state of a company.
func (s *Server) indexStateOf(ctx context.Context, companyID int64) (indexState, error) {
	var st indexState
	conn, err := s.conns.Current(ctx, companyID)
	if err != nil && !isNotFound(err) {
		return st, err
	}
	st.CanSync = s.canSync(conn)
	if st.LastSynced, err = s.db.LastSynced(ctx, companyID); err != nil {
		return st, err
	}
	runs, err := s.db.SyncRuns(ctx, companyID, 1)
	st.Running = err == nil && len(runs) == 1 && runs[0].Status == db.SyncRunning
	return st, err
}

// lookupVoucher is the deep link of an analysis tool: a voucher by number
// and, optionally, date or fiscal year. Without a number it is the form.
func (s *Server) lookupVoucher(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	p := lookupPage{Number: truncateStr(c.QueryParam("number"), 64), Date: c.QueryParam("date"), FiscalYear: truncateStr(c.QueryParam("fiscal_year"), 64)}
	date, err := parseDate(p.Date)
	switch {
	case err != nil:
		p.Error = "vouchers.err.date"
		return c.Render(http.StatusBadRequest, "lookup", s.page(c, s.t(c, "lookup.title"), p))
	case db.NumberKey(p.Number) == "":
		return s.render(c, "lookup", s.t(c, "lookup.title"), p)
	}
	p.Searched = true
	if p.Matches, err = s.db.LookupVouchers(ctx, co.ID, p.Number, date, p.FiscalYear); err != nil {
		return err
	}
	switch len(p.Matches) {
	case 1:
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/companies/%d/vouchers/%d", co.ID, p.Matches[0].ID))
	case 0:
		if p.Index, err = s.indexStateOf(ctx, co.ID); err != nil {
			return err
		}
		return c.Render(http.StatusNotFound, "lookup", s.page(c, s.t(c, "lookup.title"), p))
	}
	return s.render(c, "lookup", s.t(c, "lookup.title"), p)
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
