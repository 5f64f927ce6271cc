package server

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
)

// voucherFilterForm is the list's filter and order as the person gave
// them.
type voucherFilterForm struct {
	FiscalYear, From, To, Text, Number, Amount string
	// Sort is the column the list is ordered by ("" is the date), Dir
	// "asc" or "desc" ("" is the column's usual direction).
	Sort, Dir    string
	HasDocuments bool
	// Dimension is "kind:code", Payment "unpaid" or "overdue".
	Dimension, Payment string
	// Error and AmountError are catalogue keys of what is wrong with the
	// dates and the amount; FilterError of what is wrong with the
	// dimension or payment filter.
	Error, AmountError, FilterError string
}

// sortDefaults is each column's usual direction: the newest, the lowest
// number and the largest amount first.
var sortDefaults = map[string]string{db.SortDate: "desc", db.SortNumber: "asc", db.SortAmount: "desc"}

// values is the filter as query values; withOrder adds the order.
func (f voucherFilterForm) values(withOrder bool) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"fiscal_year": f.FiscalYear, "from": f.From, "to": f.To, "text": f.Text, "number": f.Number, "amount": f.Amount,
		"dimension": f.Dimension, "payment": f.Payment} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.HasDocuments {
		q.Set("has_documents", "1")
	}
	if withOrder && f.Sort != "" {
		q.Set("sort", f.Sort)
	}
	if withOrder && f.Dir != "" {
		q.Set("dir", f.Dir)
	}
	return q
}

// query is the filter and order as a query string, for the page links:
// a template.URL, because html/template would escape its & and = again.
// url.Values.Encode makes it safe.
func (f voucherFilterForm) query() template.URL { return template.URL(f.values(true).Encode()) }

// invalid says the filter has a mistake the page points out.
func (f voucherFilterForm) invalid() bool {
	return f.Error != "" || f.AmountError != "" || f.FilterError != ""
}

// Filtered says some filter is set, so "Clear filters" has something to do.
func (f voucherFilterForm) Filtered() bool { return f.Active() > 0 }

// Active counts the filters set (the order is none): the folded filters
// say how many are in force, so a phone's short list is not mistaken for
// the whole.
func (f voucherFilterForm) Active() int { return len(f.values(false)) }

// column is the column the list is ordered by, dir its direction.
func (f voucherFilterForm) column() (col, dir string) {
	col = f.Sort
	if _, ok := sortDefaults[col]; !ok {
		col = db.SortDate
	}
	dir = f.Dir
	if dir != "asc" && dir != "desc" {
		dir = sortDefaults[col]
	}
	return col, dir
}

// SortQuery is the query string that orders the list by col, keeping the
// filter: the other direction when the list is already ordered by col.
func (f voucherFilterForm) SortQuery(col string) template.URL {
	cur, dir := f.column()
	next := sortDefaults[col]
	if cur == col {
		next = map[string]string{"asc": "desc", "desc": "asc"}[dir]
	}
	q := f.values(false)
	q.Set("sort", col)
	q.Set("dir", next)
	return template.URL(q.Encode())
}

// AriaSort is the aria-sort of col's header: "ascending", "descending",
// or "" when the list is not ordered by it.
func (f voucherFilterForm) AriaSort(col string) string {
	cur, dir := f.column()
	if cur != col {
		return ""
	}
	return map[string]string{"asc": "ascending", "desc": "descending"}[dir]
}

// parseDate reads a form's YYYY-MM-DD date as the start of that day in
// UTC (the voucher index's dates); "" is the zero time.
func parseDate(s string) (time.Time, error) { return parseDateIn(s, time.UTC) }

// parseDateIn is parseDate for the start of the day in loc.
func parseDateIn(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation("2006-01-02", s, loc)
}

// voucherFilter reads the list's filter and order; a malformed date,
// amount, dimension or payment is a message, not an error page.
func (s *Server) voucherFilter(c echo.Context) (db.VoucherFilter, voucherFilterForm) {
	form := voucherFilterForm{
		FiscalYear: c.QueryParam("fiscal_year"), From: c.QueryParam("from"), To: c.QueryParam("to"),
		Text: truncateStr(c.QueryParam("text"), 200), Number: truncateStr(c.QueryParam("number"), 64),
		Amount: truncateStr(strings.TrimSpace(c.QueryParam("amount")), 64), HasDocuments: c.QueryParam("has_documents") == "1",
		Sort: c.QueryParam("sort"), Dir: c.QueryParam("dir"),
	}
	if _, ok := sortDefaults[form.Sort]; !ok {
		form.Sort = ""
	}
	if form.Dir != "asc" && form.Dir != "desc" {
		form.Dir = ""
	}
	f := db.VoucherFilter{FiscalYear: form.FiscalYear, Text: form.Text, Number: form.Number, HasDocuments: form.HasDocuments}
	var dir string
	f.Sort, dir = form.column()
	f.Asc = dir == "asc"
	var err1, err2 error
	f.From, err1 = parseDate(form.From)
	f.To, err2 = parseDate(form.To)
	switch {
	case err1 != nil || err2 != nil:
		form.Error = "vouchers.err.date"
		f.From, f.To = time.Time{}, time.Time{}
	case !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To):
		form.Error = "vouchers.err.fromafter"
		f.From, f.To = time.Time{}, time.Time{}
	}
	if form.Amount != "" {
		var ok bool
		if f.AmountMin, f.AmountMax, ok = parseAmount(form.Amount); ok {
			f.HasAmount = true
		} else {
			form.AmountError = "vouchers.err.amount"
		}
	}
	s.paymentAndDimension(c, &f, &form)
	f.Page, _ = strconv.Atoi(c.QueryParam("page"))
	return f, form
}

// paymentAndDimension reads the dimension and payment filters into f; a
// value the page never offers is a message and filters nothing.
func (s *Server) paymentAndDimension(c echo.Context, f *db.VoucherFilter, form *voucherFilterForm) {
	form.Dimension, form.Payment = truncateStr(c.QueryParam("dimension"), 100), truncateStr(c.QueryParam("payment"), 16)
	if form.Dimension != "" {
		var ok bool
		if f.DimensionKind, f.DimensionCode, ok = parseDimension(form.Dimension); !ok {
			form.FilterError = "vouchers.err.dimension"
		}
	}
	if !validPayment(form.Payment) {
		form.FilterError = "vouchers.err.payment"
		return
	}
	f.Payment, f.Today, f.OverdueStatuses = form.Payment, s.now(), connectors.OverdueStatuses()
}

// parseAmount reads an amount as people type it, in minor units: "1250",
// "1 250,50", "1,250.50", "-80"; "1250±5" (or "1250+-5") is within five
// either way. Both ends are returned; they are equal for an exact amount.
func parseAmount(s string) (lo, hi int64, ok bool) {
	s = strings.NewReplacer("+/-", "±", "+-", "±", "kr", "", "SEK", "").Replace(s)
	base, tol, hasTol := strings.Cut(s, "±")
	v, ok := parseMoney(base)
	if !ok {
		return 0, 0, false
	}
	var t int64
	if hasTol {
		if t, ok = parseMoney(tol); !ok || t < 0 {
			return 0, 0, false
		}
	}
	return v - t, v + t, true
}

// parseMoney reads one amount into minor units. A separator followed by
// one or two digits at the end is the decimal one; any other is a
// thousands separator.
func parseMoney(s string) (int64, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\'':
			return -1
		case '−':
			return '-'
		}
		return r
	}, s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac := s, ""
	if i := strings.LastIndexAny(s, ",."); i >= 0 && len(s)-i-1 <= 2 && len(s)-i-1 >= 1 {
		whole, frac = s[:i], s[i+1:]
	}
	whole = strings.NewReplacer(",", "", ".", "").Replace(whole)
	if whole == "" && frac == "" || len(whole) > 15 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := w*100 + f
	if neg {
		v = -v
	}
	return v, true
}

// syncView is a running sync as the page tells it: only what is known.
type syncView struct {
	Run *db.SyncRun
	// Determinate: the total is known and not yet reached, so the bar can
	// show a share; otherwise it is indeterminate.
	Determinate bool
	Text        string
}

// syncViewOf puts run's progress in words. Until the upstream has said
// how many vouchers there are, the bar is indeterminate and the words say
// what happens, never "0 of 0"; a sync of changes says since when.
func (s *Server) syncViewOf(c echo.Context, run *db.SyncRun) (*syncView, error) {
	// Every voucher fetched while the run goes on (a connector's last reads
	// after the vouchers, such as invoice states) is still "n of n".
	v := &syncView{Run: run, Determinate: run.Total > 0 && run.Total >= run.Fetched}
	switch {
	case !run.Full:
		st, err := s.db.SyncStateOf(c.Request().Context(), run.ConnectionID)
		if err != nil {
			return nil, err
		}
		if st.SyncedThrough == nil {
			v.Text = s.t(c, "sync.changes", run.Fetched)
		} else {
			v.Text = s.t(c, "sync.changessince", s.shortTime(*st.SyncedThrough), run.Fetched)
		}
	case v.Determinate:
		v.Text = s.t(c, "sync.progress", run.Fetched, run.Total)
	case run.Fetched == 0:
		v.Text = s.t(c, "sync.asking")
	default:
		v.Text = s.t(c, "sync.sofar", run.Fetched)
	}
	return v, nil
}

// shortTime is t as a person reads it beside "since": the time of day
// when it is today, else the date too.
func (s *Server) shortTime(t time.Time) string {
	t = t.Local()
	if now := s.now().Local(); t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// gotoPage is the header's "Go to voucher" answer when it is not one
// voucher: the form, a choice among several, or "none" with when each
// company was last synced.
type gotoPage struct {
	Number  string
	Matches []gotoMatch
	// Companies are the user's companies, when nothing was found.
	Companies []gotoCompany
	Searched  bool
}

type gotoMatch struct {
	Company *db.Company
	Voucher db.Voucher
}

type gotoCompany struct {
	Company db.Company
	Index   indexState
}

// gotoLimit bounds the choice page.
const gotoLimit = 50

// goToVoucher finds a voucher by number among the companies the user may
// see: one goes straight to it, several are a choice.
func (s *Server) goToVoucher(c echo.Context) error {
	ctx := c.Request().Context()
	p := gotoPage{Number: truncateStr(strings.TrimSpace(c.QueryParam("number")), 64)}
	if db.NumberKey(p.Number) == "" {
		return s.render(c, "goto", s.t(c, "goto.title"), p)
	}
	cs, err := s.db.CompaniesForUser(ctx, currentUser(c))
	if err != nil {
		return err
	}
	p.Searched = true
	if p.Matches, err = s.findAcross(c, cs, p.Number); err != nil {
		return err
	}
	switch len(p.Matches) {
	case 1:
		m := p.Matches[0]
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/companies/%d/vouchers/%d", m.Company.ID, m.Voucher.ID))
	case 0:
		if p.Companies, err = s.indexStates(c, cs); err != nil {
			return err
		}
		return c.Render(http.StatusNotFound, "goto", s.page(c, s.t(c, "goto.title"), p))
	}
	return s.render(c, "goto", s.t(c, "goto.title"), p)
}

// findAcross finds the vouchers numbered number in the companies cs.
func (s *Server) findAcross(c echo.Context, cs []db.Company, number string) ([]gotoMatch, error) {
	byID := make(map[int64]*db.Company, len(cs))
	ids := make([]int64, len(cs))
	for i := range cs {
		byID[cs[i].ID], ids[i] = &cs[i], cs[i].ID
	}
	vs, err := s.db.FindVouchers(c.Request().Context(), ids, number, gotoLimit)
	if err != nil {
		return nil, err
	}
	out := make([]gotoMatch, len(vs))
	for i, v := range vs {
		out[i] = gotoMatch{Company: byID[v.CompanyID], Voucher: v}
	}
	return out, nil
}

// indexStates is the index state of each company, for a "not found".
func (s *Server) indexStates(c echo.Context, cs []db.Company) ([]gotoCompany, error) {
	out := make([]gotoCompany, 0, len(cs))
	for _, co := range cs[:min(len(cs), 20)] {
		st, err := s.indexStateOf(c.Request().Context(), co.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, gotoCompany{Company: co, Index: st})
	}
	return out, nil
}
