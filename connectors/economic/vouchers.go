package economic

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bilag/connectors"
)

// yearJSON is the part of an accounting year Bilag reads.
type yearJSON struct {
	Year     string `json:"year"`
	FromDate string `json:"fromDate"`
	ToDate   string `json:"toDate"`
	// Closed is omitted when false (e-conomic omits false booleans).
	Closed bool `json:"closed"`
}

// pagination is the REST API's paging object.
type pagination struct {
	PageSize int    `json:"pageSize"`
	Results  int    `json:"results"`
	NextPage string `json:"nextPage"`
}

// entryJSON is the part of a booked entry Bilag reads.
type entryJSON struct {
	EntryNumber   int64   `json:"entryNumber"`
	EntryType     string  `json:"entryType"`
	VoucherNumber int64   `json:"voucherNumber"`
	Date          string  `json:"date"`
	Text          string  `json:"text"`
	Amount        float64 `json:"amount"`
	Account       struct {
		AccountNumber int64 `json:"accountNumber"`
	} `json:"account"`
	// BookedInvoiceNumber: the reference names no entry field that gives
	// the booked invoice of a customerInvoice entry; this one is the
	// sandbox's choice, inferred, and an entry without it offers no
	// invoice PDF.
	BookedInvoiceNumber int64 `json:"bookedInvoiceNumber"`
	// DepartmentalDistribution is the department, or distribution over
	// departments, the entry is booked on (e-conomic REST entry schema:
	// departmentalDistributionNumber, distributionType "department" or
	// "distribution"); nil for none.
	DepartmentalDistribution *struct {
		Number int64  `json:"departmentalDistributionNumber"`
		Type   string `json:"distributionType"`
	} `json:"departmentalDistribution"`
}

// dimensions is the entry's departmental distribution in Bilag's words:
// a department by its number; a distribution over several departments by
// its own number, written "distribution <n>" so that it is never taken
// for a department (inferred: the two are numbered apart). Names are not
// read: they need a call per department (GET /departments), which a sync
// of every entry should not spend.
func (e entryJSON) dimensions() []connectors.Dimension {
	dd := e.DepartmentalDistribution
	if dd == nil || dd.Number <= 0 {
		return nil
	}
	code := strconv.FormatInt(dd.Number, 10)
	if dd.Type == "distribution" {
		code = "distribution " + code
	}
	return []connectors.Dimension{{Kind: connectors.DimensionDepartment, Code: code}}
}

// maxPageSize is the REST API's largest page.
const maxPageSize = 1000

// maxPages bounds a walk of nextPage links, in case one never ends.
const maxPages = 10000

// FiscalYears lists the agreement's accounting years.
func (c *Connector) FiscalYears(ctx context.Context, g connectors.Grant) ([]connectors.FiscalYear, error) {
	d, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("economic: get accounting years: %w", err)
	}
	years, err := c.years(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("economic: get accounting years: %w", err)
	}
	out := make([]connectors.FiscalYear, len(years))
	for i, y := range years {
		out[i] = connectors.FiscalYear{ID: y.Year, StartDate: day(y.FromDate), EndDate: day(y.ToDate)}
	}
	return out, nil
}

// cachedYears are the agreement's years when a walk of them serves still:
// the pages of one sync need them all, and they change once a year.
func (c *Connector) cachedYears(ctx context.Context, d *grantData) ([]yearJSON, error) {
	c.docsMu.Lock()
	y, ok := c.yearsOf[d.Agreement]
	c.docsMu.Unlock()
	if ok && c.cfg.Now().Sub(y.at) < docsTTL {
		return y.years, nil
	}
	return c.years(ctx, d)
}

// years are the accounting years, oldest first, following nextPage; the
// walk is kept for cachedYears.
func (c *Connector) years(ctx context.Context, d *grantData) ([]yearJSON, error) {
	out, err := c.walkYears(ctx, d)
	if err != nil {
		return nil, err
	}
	c.docsMu.Lock()
	c.yearsOf[d.Agreement] = yearsIndex{at: c.cfg.Now(), years: out}
	c.docsMu.Unlock()
	return out, nil
}

type yearsIndex struct {
	at    time.Time
	years []yearJSON
}

func (c *Connector) walkYears(ctx context.Context, d *grantData) ([]yearJSON, error) {
	var out []yearJSON
	next := c.url(restAPI, "/accounting-years", url.Values{"pagesize": {strconv.Itoa(maxPageSize)}})
	for range maxPages {
		var resp struct {
			Collection []yearJSON  `json:"collection"`
			Pagination *pagination `json:"pagination"`
		}
		if err := c.getURL(ctx, d, "GET /accounting-years", next, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Collection...)
		if resp.Pagination == nil || resp.Pagination.NextPage == "" || len(resp.Collection) == 0 {
			break
		}
		next = resp.Pagination.NextPage
	}
	slices.SortFunc(out, func(a, b yearJSON) int { return cmp.Compare(a.FromDate, b.FromDate) })
	return out, nil
}

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// cursor is where Vouchers goes on: a year and the first voucher number
// not yet given out. Voucher numbers repeat across years, so both count.
type cursor struct {
	year string
	from int64
}

func (k cursor) String() string { return strconv.FormatInt(k.from, 10) + ";" + k.year }

func parseCursor(s string) (cursor, error) {
	n, y, ok := strings.Cut(s, ";")
	from, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || from < 0 || y == "" {
		return cursor{}, fmt.Errorf("cursor %q is not this connector's", s)
	}
	return cursor{year: y, from: from}, nil
}

// Vouchers reads one page of booked vouchers: the entries of one accounting
// year from a voucher number on, sorted by voucher number and grouped into
// vouchers. A page that is full may end inside a voucher, so its last
// voucher is held back for the next page, which starts at its number
// (filter voucherNumber$gte:). Entries carry no modification time, so a
// sync with ModifiedSince reads the open years in full and never the
// closed ones, which cannot change.
func (c *Connector) Vouchers(ctx context.Context, g connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	d, err := readGrant(g)
	if err != nil {
		return connectors.VoucherPage{}, fmt.Errorf("economic: get vouchers: %w", err)
	}
	// A sync starts afresh: the years and their attached documents are
	// walked again; its later pages reuse both.
	var years []yearJSON
	if q.Cursor == "" {
		c.forgetDocs(d.Agreement)
		years, err = c.years(ctx, d)
	} else {
		years, err = c.cachedYears(ctx, d)
	}
	if err != nil {
		return connectors.VoucherPage{}, fmt.Errorf("economic: get vouchers: %w", err)
	}
	if !q.ModifiedSince.IsZero() {
		years = slices.DeleteFunc(years, func(y yearJSON) bool { return y.Closed })
	}
	page := connectors.VoucherPage{Total: -1}
	if len(years) == 0 {
		return page, nil
	}
	at := cursor{year: years[0].Year}
	if q.Cursor != "" {
		at, err = parseCursor(q.Cursor)
	}
	if err != nil {
		return page, fmt.Errorf("economic: get vouchers: %w", err)
	}
	yi := slices.IndexFunc(years, func(y yearJSON) bool { return y.Year == at.year })
	if yi < 0 {
		return page, fmt.Errorf("economic: get vouchers: accounting year %q: %w", at.year, connectors.ErrNotFound)
	}
	size := q.PageSize
	if size <= 0 || size > maxPageSize {
		size = maxPageSize
	}
	// An empty year would end the caller's loop; go on to the next.
	for len(page.Vouchers) == 0 {
		vs, next, err := c.yearPage(ctx, d, at, size)
		if err != nil {
			return connectors.VoucherPage{}, fmt.Errorf("economic: get vouchers of %s: %w", at.year, err)
		}
		page.Vouchers = vs
		switch {
		case next != nil:
			at = *next
		case yi+1 < len(years):
			yi++
			at = cursor{year: years[yi].Year}
		default:
			page.Next = ""
			return page, nil
		}
		page.Next = at.String()
	}
	return page, nil
}

// yearPage is one page of a year's vouchers and where the next starts (nil
// after the year's last).
func (c *Connector) yearPage(ctx context.Context, d *grantData, at cursor, size int) ([]connectors.Voucher, *cursor, error) {
	seg, err := pathYear(at.year)
	if err != nil {
		return nil, nil, err
	}
	query := url.Values{"pagesize": {strconv.Itoa(size)}, "sort": {"voucherNumber"}}
	if at.from > 0 {
		query.Set("filter", "voucherNumber$gte:"+strconv.FormatInt(at.from, 10))
	}
	var resp struct {
		Collection []entryJSON `json:"collection"`
		Pagination *pagination `json:"pagination"`
	}
	if err := c.get(ctx, d, restAPI, "GET /accounting-years/{year}/entries", "/accounting-years"+seg+"/entries", query, &resp); err != nil {
		return nil, nil, err
	}
	groups := group(resp.Collection)
	more := resp.Pagination != nil && resp.Pagination.NextPage != "" && len(resp.Collection) > 0
	var next *cursor
	if more {
		last := groups[len(groups)-1]
		if len(groups) > 1 {
			// Its entries may go on on the next page.
			groups = groups[:len(groups)-1]
			next = &cursor{year: at.year, from: last[0].VoucherNumber}
		} else {
			c.logger.WarnContext(ctx, "voucher has more entries than a page", "voucher", last[0].VoucherNumber, "entries", len(last))
			next = &cursor{year: at.year, from: last[0].VoucherNumber + 1}
		}
	}
	docs, err := c.docsOf(ctx, d, at.year)
	if err != nil {
		return nil, nil, err
	}
	out := make([]connectors.Voucher, len(groups))
	for i, es := range groups {
		out[i] = voucherOf(at.year, es, docs[es[0].VoucherNumber], d.Invoices)
	}
	return out, next, nil
}

// group splits entries sorted by voucher number into vouchers.
func group(es []entryJSON) [][]entryJSON {
	slices.SortStableFunc(es, func(a, b entryJSON) int { return cmp.Compare(a.VoucherNumber, b.VoucherNumber) })
	var out [][]entryJSON
	for i, e := range es {
		if i == 0 || e.VoucherNumber != es[i-1].VoucherNumber {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], e)
	}
	return out
}

// voucherData is Voucher.Data: what Documents needs.
type voucherData struct {
	Year     string  `json:"y"`
	Number   int64   `json:"n"`
	Invoices []int64 `json:"i,omitempty"`
}

// kindOf says what an entry type is, in Bilag's words.
func kindOf(entryType string) connectors.VoucherKind {
	switch entryType {
	case "supplierInvoice":
		return connectors.KindSupplierInvoice
	case "customerInvoice", "manualDebtorInvoice":
		return connectors.KindCustomerInvoice
	case "customerPayment", "supplierPayment":
		return connectors.KindBank
	case "financeVoucher":
		return connectors.KindManual
	}
	return connectors.KindOther
}

// voucherOf makes one voucher of its entries. Its type is the first
// entry's that says most (an invoice over a payment over the rest), shown
// as e-conomic names it. It has documents when one is attached, or when it
// names a booked invoice and the grant reaches booked invoices (invoices).
func voucherOf(year string, es []entryJSON, hasDocs, invoices bool) connectors.Voucher {
	main := es[0]
	rank := func(t string) int {
		switch kindOf(t) {
		case connectors.KindSupplierInvoice, connectors.KindCustomerInvoice:
			return 0
		case connectors.KindBank:
			return 1
		}
		return 2
	}
	vd := voucherData{Year: year, Number: main.VoucherNumber}
	v := connectors.Voucher{
		FiscalYear: year,
		Number:     strconv.FormatInt(main.VoucherNumber, 10),
		Rows:       make([]connectors.VoucherRow, 0, len(es)),
	}
	for _, e := range es {
		if rank(e.EntryType) < rank(main.EntryType) {
			main = e
		}
		if e.BookedInvoiceNumber > 0 && kindOf(e.EntryType) == connectors.KindCustomerInvoice && !slices.Contains(vd.Invoices, e.BookedInvoiceNumber) {
			vd.Invoices = append(vd.Invoices, e.BookedInvoiceNumber)
		}
		row := connectors.VoucherRow{Account: strconv.FormatInt(e.Account.AccountNumber, 10), Text: e.Text, Dimensions: e.dimensions()}
		if m := minor(e.Amount); m >= 0 {
			row.Debit = m
		} else {
			row.Credit = -m
		}
		v.Amount += row.Debit
		v.Rows = append(v.Rows, row)
	}
	v.Ref = year + ":" + v.Number
	v.Date = day(main.Date)
	v.Text = main.Text
	v.Kind = kindOf(main.EntryType)
	v.UpstreamType = main.EntryType
	v.HasDocuments = hasDocs || (invoices && len(vd.Invoices) > 0)
	// A customer invoice's PDF is on the booked invoice, which a grant
	// without invoices cannot see: no attachment then does not mean no
	// document.
	v.DocumentsUnknown = !v.HasDocuments && !invoices && v.Kind == connectors.KindCustomerInvoice
	v.Data, _ = json.Marshal(vd) // strings and ints always marshal
	return v
}

// minor converts an amount in currency units to minor units.
func minor(x float64) int64 { return int64(math.Round(x * 100)) }

// parseRef splits a Ref, "<year>:<number>"; a year may hold "/" but no ":".
func parseRef(ref string) (string, int64, error) {
	i := strings.LastIndex(ref, ":")
	if i <= 0 {
		return "", 0, fmt.Errorf("ref %q is not this connector's: %w", ref, connectors.ErrNotFound)
	}
	n, err := strconv.ParseInt(ref[i+1:], 10, 64)
	if err != nil || n <= 0 {
		return "", 0, fmt.Errorf("ref %q is not this connector's: %w", ref, connectors.ErrNotFound)
	}
	return ref[:i], n, nil
}

// Voucher re-reads one voucher by its Ref: its entries, filtered on its
// number within its year.
func (c *Connector) Voucher(ctx context.Context, g connectors.Grant, ref string) (connectors.Voucher, error) {
	ctx, cancel := c.interactive(ctx)
	defer cancel()
	year, n, err := parseRef(ref)
	if err != nil {
		return connectors.Voucher{}, fmt.Errorf("economic: get voucher: %w", err)
	}
	d, err := readGrant(g)
	if err != nil {
		return connectors.Voucher{}, fmt.Errorf("economic: get voucher %s: %w", ref, err)
	}
	seg, err := pathYear(year)
	if err != nil {
		return connectors.Voucher{}, fmt.Errorf("economic: get voucher %s: %w", ref, err)
	}
	query := url.Values{"pagesize": {strconv.Itoa(maxPageSize)}, "filter": {"voucherNumber$eq:" + strconv.FormatInt(n, 10)}}
	var resp struct {
		Collection []entryJSON `json:"collection"`
	}
	if err := c.get(ctx, d, restAPI, "GET /accounting-years/{year}/entries", "/accounting-years"+seg+"/entries", query, &resp); err != nil {
		return connectors.Voucher{}, fmt.Errorf("economic: get voucher %s: %w", ref, err)
	}
	if len(resp.Collection) == 0 {
		return connectors.Voucher{}, fmt.Errorf("economic: get voucher %s: %w", ref, connectors.ErrNotFound)
	}
	return voucherOf(year, resp.Collection, false, d.Invoices), nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Lacks says which vouchers filter e-conomic cannot serve Bilag: the
// unpaid/overdue one. A booked invoice's remainder and due date are on
// /invoices/booked, which e-conomic gives only an app with the Sales or
// SuperUser role (reference/other-connectors.md A1); Bilag's read app
// has the Bookkeeping role. Entries do carry their departmental
// distribution, so dimensions are there.
func (c *Connector) Lacks(filter string) bool { return filter == connectors.FilterPayments }
