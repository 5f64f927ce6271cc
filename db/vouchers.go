package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Voucher is the index entry of an upstream voucher: metadata only, never
// tokens and never a document's bytes, so a page of vouchers needs no call
// to Visma.
type Voucher struct {
	ID           int64  `gorm:"primaryKey"`
	CompanyID    int64  `gorm:"not null;index:idx_voucher_date,priority:1;index:idx_voucher_number_date,priority:1;index:idx_voucher_fy_date,priority:1;index:idx_voucher_docs_date,priority:1"`
	FiscalYearID string `gorm:"size:64;index:idx_voucher_fy_date,priority:2"`
	Number       string `gorm:"size:64"`
	// NumberKey is Number without spaces or dashes, upper case: what a
	// lookup by "A123", "a 123" or "A-123" compares with.
	NumberKey string    `gorm:"size:64;index:idx_voucher_number_date,priority:2"`
	Series    string    `gorm:"size:16"`
	Date      time.Time `gorm:"not null;index:idx_voucher_date,priority:2;index:idx_voucher_number_date,priority:3;index:idx_voucher_fy_date,priority:3;index:idx_voucher_docs_date,priority:3"`
	Text      string    `gorm:"size:1000"`
	// TextKey is Text folded to lower case by Go, not SQL: SQLite's LOWER
	// folds only ASCII, and Swedish texts search for "åke" and "Öl".
	TextKey      string `gorm:"size:1000"`
	Amount       int64
	HasDocuments bool `gorm:"index:idx_voucher_docs_date,priority:2"`
	ModifiedAt   time.Time
	// ConnectionID is the connection the voucher was read through; Ref is
	// what its connector knows it by (connectors.Voucher.Ref).
	ConnectionID int64  `gorm:"not null;default:0;uniqueIndex:idx_voucher_ref,priority:1"`
	Ref          string `gorm:"size:200;not null;default:'';uniqueIndex:idx_voucher_ref,priority:2"`
	// Kind is a connectors.VoucherKind; UpstreamType the upstream's own
	// name of the voucher's type, shown as it is.
	Kind         string `gorm:"size:32;not null;default:'other'"`
	UpstreamType string `gorm:"size:64;not null;default:''"`
	// Accounts are the accounts of the voucher's rows, each between
	// commas (",4010,2640,"), so the missing-documents rules can read them
	// without a call upstream.
	Accounts string `gorm:"size:1000;not null;default:''"`
	// DocsUnknown: the connector could not tell from its list whether
	// files are behind the voucher (HasDocuments is its guess), so the
	// voucher is never counted as missing a document.
	DocsUnknown bool `gorm:"not null;default:false"`
	// Dimensions are what UpsertVouchers keeps in voucher_dimensions for
	// the voucher (every time: an empty list clears them); never read back.
	Dimensions []VoucherDimension `gorm:"-"`
}

// FiscalYear is an indexed accounting year.
type FiscalYear struct {
	ID           int64     `gorm:"primaryKey"`
	CompanyID    int64     `gorm:"not null"`
	ExternalID   string    `gorm:"size:64;not null;uniqueIndex:idx_fy_ref,priority:2"`
	StartDate    time.Time `gorm:"not null"`
	EndDate      time.Time `gorm:"not null"`
	ConnectionID int64     `gorm:"not null;default:0;uniqueIndex:idx_fy_ref,priority:1"`
}

// Label is how a fiscal year is shown: its start year, or both years.
func (f FiscalYear) Label() string {
	if f.StartDate.Year() == f.EndDate.Year() {
		return fmt.Sprint(f.StartDate.Year())
	}
	return fmt.Sprintf("%d/%d", f.StartDate.Year(), f.EndDate.Year()%100)
}

// VoucherDocument is a document found behind a voucher, remembered so that
// a document route can check that the document belongs to the voucher
// without asking the upstream, and so its SHA-256 can be shown.
type VoucherDocument struct {
	ID          int64  `gorm:"primaryKey"`
	CompanyID   int64  `gorm:"not null;uniqueIndex:idx_vdoc,priority:1;index:idx_vdoc_open,priority:1"`
	VoucherID   int64  `gorm:"not null;uniqueIndex:idx_vdoc,priority:2"`
	Kind        string `gorm:"size:32;not null;uniqueIndex:idx_vdoc,priority:3"`
	ExternalID  string `gorm:"size:64;not null;uniqueIndex:idx_vdoc,priority:4"`
	FileName    string `gorm:"size:300"`
	ContentType string `gorm:"size:100"`
	Size        int64
	SHA256      string `gorm:"size:64"`
	Position    int
	// ConnectionID is the voucher's.
	ConnectionID int64 `gorm:"not null;default:0"`
	// InvoiceStatus and OpenSum (cents) are, for a customer invoice's own
	// document, its payment status in the upstream's code and what is
	// unpaid, as read when the documents were last listed; "" and nil
	// when not known.
	InvoiceStatus string `gorm:"size:32;not null;default:''"`
	OpenSum       *int64 `gorm:"index:idx_vdoc_open,priority:2"`
	// DueDate is when that invoice falls due, nil when not known.
	DueDate *time.Time
}

// OpenSumValue is OpenSum, 0 when not known, for the pages.
func (d VoucherDocument) OpenSumValue() int64 {
	if d.OpenSum == nil {
		return 0
	}
	return *d.OpenSum
}

// NumberKey normalises a voucher number for lookups.
func NumberKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) || r == '-' || r == '_' {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// UpsertVouchers writes vouchers into the index, replacing entries with the
// same connection and ref, so a sync may be repeated or resumed without
// duplicates.
func (d *DB) UpsertVouchers(ctx context.Context, vs []Voucher) error {
	if len(vs) == 0 {
		return nil
	}
	vs = lastOfEach(vs)
	for i := range vs {
		fitVoucher(&vs[i])
		vs[i].NumberKey = NumberKey(vs[i].Number)
		vs[i].TextKey = strings.ToLower(vs[i].Text)
		vs[i].ID = 0
	}
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "connection_id"}, {Name: "ref"}},
			DoUpdates: clause.AssignmentColumns([]string{"fiscal_year_id", "number", "number_key", "series", "date", "text", "text_key", "amount", "kind", "upstream_type", "has_documents", "modified_at", "accounts", "docs_unknown"}),
		}).CreateInBatches(vs, 200).Error
		if err != nil {
			return err
		}
		return setDimensionsIn(tx, vs)
	})
	if err != nil {
		return fmt.Errorf("upsert %d vouchers: %w", len(vs), err)
	}
	return nil
}

// lastOfEach keeps the last entry of each ref. PostgreSQL refuses
// an INSERT … ON CONFLICT DO UPDATE that meets the same key twice ("cannot
// affect row a second time"), and an upstream page can repeat a voucher
// that changed while it was being paged through.
func lastOfEach(vs []Voucher) []Voucher {
	last := make(map[string]int, len(vs))
	for i, v := range vs {
		last[v.Ref] = i
	}
	if len(last) == len(vs) {
		return vs
	}
	out := make([]Voucher, 0, len(last))
	for i, v := range vs {
		if last[v.Ref] == i {
			out = append(out, v)
		}
	}
	return out
}

// fitVoucher shortens upstream text to the column sizes: PostgreSQL
// rejects a longer value (SQLite keeps it), which would fail a whole sync
// over one long voucher text.
func fitVoucher(v *Voucher) {
	v.Number = truncate(v.Number, 64)
	v.Series = truncate(v.Series, 16)
	v.Text = truncate(v.Text, 1000)
	v.UpstreamType = truncate(v.UpstreamType, 64)
	v.Accounts = fitAccounts(v.Accounts, 1000)
}

// UpsertFiscalYears writes fiscal years into the index.
func (d *DB) UpsertFiscalYears(ctx context.Context, fys []FiscalYear) error {
	if len(fys) == 0 {
		return nil
	}
	err := d.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "connection_id"}, {Name: "external_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"start_date", "end_date"}),
	}).Create(&fys).Error
	if err != nil {
		return fmt.Errorf("upsert fiscal years: %w", err)
	}
	return nil
}

// FiscalYears lists a company's indexed fiscal years, newest first.
func (d *DB) FiscalYears(ctx context.Context, companyID int64) ([]FiscalYear, error) {
	var fys []FiscalYear
	if err := d.gorm.WithContext(ctx).Where("company_id = ?", companyID).Order("start_date DESC").Find(&fys).Error; err != nil {
		return nil, fmt.Errorf("fiscal years of company %d: %w", companyID, err)
	}
	return fys, nil
}

// VoucherFilter selects vouchers of one company.
type VoucherFilter struct {
	FiscalYear   string // upstream fiscal year id
	From, To     time.Time
	Text         string
	Number       string
	HasDocuments bool
	// Amount keeps vouchers whose amount, either sign, lies in
	// [AmountMin, AmountMax] (minor units), when HasAmount.
	HasAmount            bool
	AmountMin, AmountMax int64
	// DimensionKind and DimensionCode, when both set, keep the vouchers
	// booked on that dimension.
	DimensionKind, DimensionCode string
	// Payment (PaymentUnpaid, PaymentOverdue), when set, keeps the
	// vouchers with an invoice document that is unpaid or overdue on
	// Today; OverdueStatuses are the invoice statuses that say overdue
	// whatever the due date.
	Payment         string
	Today           time.Time
	OverdueStatuses []string
	// Sort is the list's order: SortDate (the default), SortNumber or
	// SortAmount; Asc turns it round (newest, highest first otherwise).
	Sort     string
	Asc      bool
	Page     int // 1-based
	PageSize int
}

// The list orders a person can choose.
const (
	SortDate   = "date"
	SortNumber = "number"
	SortAmount = "amount"
)

// sortKey is one column of an order, with the voucher's value of it: the
// columns make the ORDER BY, and the values the keyset comparison that
// finds a voucher's neighbours.
type sortKey struct {
	expr string
	val  func(v *Voucher) any
}

// sortKeys is the order of f, id last so that the order is total. A
// number sorts within its series by length first, so that A 9 comes
// before A 10.
func (f VoucherFilter) sortKeys() []sortKey {
	id := sortKey{"id", func(v *Voucher) any { return v.ID }}
	switch f.Sort {
	case SortNumber:
		return []sortKey{
			{"series", func(v *Voucher) any { return v.Series }},
			{"LENGTH(number_key)", func(v *Voucher) any { return utf8.RuneCountInString(v.NumberKey) }},
			{"number_key", func(v *Voucher) any { return v.NumberKey }},
			id,
		}
	case SortAmount:
		return []sortKey{{"amount", func(v *Voucher) any { return v.Amount }}, id}
	}
	return []sortKey{{"date", func(v *Voucher) any { return v.Date.UTC() }}, id}
}

// orderBy is f's ORDER BY; reverse turns it round.
func (f VoucherFilter) orderBy(reverse bool) string {
	dir := " DESC"
	if f.Asc != reverse {
		dir = " ASC"
	}
	var parts []string
	for _, k := range f.sortKeys() {
		parts = append(parts, k.expr+dir)
	}
	return strings.Join(parts, ", ")
}

// after is the condition "comes after v in f's order" (before, when
// reverse), as a lexicographic comparison of the sort keys.
func (f VoucherFilter) after(v *Voucher, reverse bool) (string, []any) {
	op := " < "
	if f.Asc != reverse {
		op = " > "
	}
	keys := f.sortKeys()
	var ors []string
	var args []any
	for i, k := range keys {
		var ands []string
		for _, e := range keys[:i] {
			ands = append(ands, e.expr+" = ?")
			args = append(args, e.val(v))
		}
		ands = append(ands, k.expr+op+"?")
		args = append(args, k.val(v))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// CountCap bounds how far a list counts its matches. Counting a million
// rows costs more than the page itself; past the cap a person sees "more
// than 10 000" and pages on with Next.
const CountCap = 10_000

// VoucherList is one page of a filtered list.
type VoucherList struct {
	Vouchers []Voucher
	// Total is the number of matches, or CountCap when Capped.
	Total  int64
	Capped bool
	Page   int
	// Pages is how many pages Total fills (a lower bound when Capped).
	Pages int
	// HasMore says a next page exists.
	HasMore bool
}

func (d *DB) voucherQuery(ctx context.Context, companyID int64, f VoucherFilter) *gorm.DB {
	return d.filtered(ctx, companyID, f, "")
}

// filtered is the query of f. A match (an FTS5 query, see rareTrigrams)
// drives it by the text index rather than by the company's indexes in the
// list's order.
func (d *DB) filtered(ctx context.Context, companyID int64, f VoucherFilter, match string) *gorm.DB {
	q := d.gorm.WithContext(ctx).Model(&Voucher{})
	if match != "" {
		// Every index of vouchers starts with company_id; "+" keeps
		// SQLite's planner from walking one and testing each row against
		// the match, which reads the whole company.
		q = q.Where("id IN (SELECT rowid FROM vouchers_fts WHERE vouchers_fts MATCH ?)", match).
			Where("+company_id = ?", companyID)
	} else {
		q = q.Where("company_id = ?", companyID)
	}
	if f.FiscalYear != "" {
		q = q.Where("fiscal_year_id = ?", f.FiscalYear)
	}
	if !f.From.IsZero() {
		q = q.Where("date >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("date < ?", f.To.UTC().AddDate(0, 0, 1))
	}
	if t := foldText(f.Text); t != "" {
		q = q.Where("text_key LIKE ? ESCAPE '\\'", "%"+escapeLike(t)+"%")
	}
	if f.Number != "" {
		q = whereNumber(q, f.Number)
	}
	if f.HasDocuments {
		q = q.Where("has_documents = ?", true)
	}
	if f.HasAmount {
		q = q.Where("(amount BETWEEN ? AND ? OR amount BETWEEN ? AND ?)", f.AmountMin, f.AmountMax, -f.AmountMax, -f.AmountMin)
	}
	if f.DimensionKind != "" && f.DimensionCode != "" {
		q = whereDimension(q, companyID, f.DimensionKind, f.DimensionCode)
	}
	if f.Payment == PaymentUnpaid || f.Payment == PaymentOverdue {
		q = wherePayment(q, companyID, f.Payment, f.Today, f.OverdueStatuses)
	}
	return q
}

// whereNumber keeps the vouchers numbered number. A number of digits only
// matches in any series too: "42" finds A 42 and B 42, as people say a
// number without its series.
func whereNumber(q *gorm.DB, number string) *gorm.DB {
	n := NumberKey(number)
	if n == "" || strings.TrimFunc(n, unicode.IsDigit) != "" {
		return q.Where("number_key = ?", n)
	}
	return q.Where("(number_key = ? OR (series <> '' AND number_key = UPPER(series) || ?))", n, n)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Vouchers lists a page of a company's indexed vouchers, newest first.
func (d *DB) Vouchers(ctx context.Context, companyID int64, f VoucherFilter) (VoucherList, error) {
	if f.PageSize <= 0 || f.PageSize > 500 {
		f.PageSize = 50
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	var out VoucherList
	var err error
	// list is the page's query; a rare text's is driven by the text index.
	list := func() *gorm.DB { return d.voucherQuery(ctx, companyID, f) }
	// lowerBound: the count is of the newest rows only (see textWindow).
	lowerBound := false
	switch text := foldText(f.Text); {
	case text == "":
		out.Total, err = d.countCapped(ctx, d.voucherQuery(ctx, companyID, f))
		out.Capped = out.Total > CountCap
	default:
		var match string
		var rare, inWindow bool
		if textIndexed(text) && d.Dialect() == "sqlite" {
			match, rare, err = d.rareTrigrams(ctx, text)
		}
		switch {
		case err != nil:
		case rare:
			list = func() *gorm.DB { return d.filtered(ctx, companyID, f, match) }
			out.Total, err = d.countCapped(ctx, list())
			out.Capped = out.Total > CountCap
		default:
			out.Total, lowerBound, inWindow, err = d.countText(ctx, companyID, f)
			if err == nil && !inWindow && (!textIndexed(text) || d.Dialect() == "postgres") {
				// A text rare among the newest rows. Too short for the
				// index, the list reads every row anyway; on PostgreSQL the
				// planner finds the matches through pg_trgm. Either way
				// counting them all costs no more than the page.
				out.Total, err = d.countCapped(ctx, list())
				lowerBound = false
			}
			out.Capped = lowerBound || out.Total > CountCap
		}
	}
	if err != nil {
		return out, fmt.Errorf("count vouchers of company %d: %w", companyID, err)
	}
	out.Total = min(out.Total, CountCap)
	out.Pages = int((out.Total + int64(f.PageSize) - 1) / int64(f.PageSize))
	out.Page = f.Page
	if !out.Capped {
		out.Page = min(f.Page, max(out.Pages, 1))
	}
	err = list().Order(f.orderBy(false)).
		Limit(f.PageSize + 1).Offset((out.Page - 1) * f.PageSize).Find(&out.Vouchers).Error
	if err != nil {
		return out, fmt.Errorf("list vouchers of company %d: %w", companyID, err)
	}
	if len(out.Vouchers) > f.PageSize {
		out.HasMore, out.Vouchers = true, out.Vouchers[:f.PageSize]
	}
	if lowerBound {
		// The window's count may fall short of what this page shows.
		out.Total = min(max(out.Total, int64((out.Page-1)*f.PageSize+len(out.Vouchers)+btoi(out.HasMore))), CountCap)
	}
	if out.Capped {
		out.Pages = max(out.Pages, out.Page+btoi(out.HasMore))
	}
	return out, nil
}

// textWindow is how many of the newest vouchers (in the list's order) a
// text filter counts its matches among, when the text is not rare: a common
// text's count past them is a lower bound ("more than …"), since counting
// every match of a common text costs more than the page. Its page is read
// in the list's order, where a common text soon fills it.
const textWindow, textWindowPostgres = 2_000, 10_000

// textMinIndexed is the shortest text the index serves: a trigram index
// knows nothing of shorter ones, which keep to LIKE on the rows read.
const textMinIndexed = 3

// textRare is how many vouchers (of every company) may hold a text's
// rarest trigram for the text to be found through the index: then the
// index hands over at most this many candidates, each checked with LIKE.
const textRare = 2_000

// foldText is a filter's text as text_key holds texts.
func foldText(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func textIndexed(folded string) bool { return utf8.RuneCountInString(folded) >= textMinIndexed }

// ftsPhrase is an FTS5 string: with the trigram tokenizer, the rows that
// hold s as a substring.
func ftsPhrase(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// rareTrigrams finds, on SQLite, whether folded is rare enough for the
// text index: each of its trigrams is counted in the index up to textRare
// (one query; a count stops early, so a common trigram costs no more than
// a rare one). A text with a trigram under textRare is rare; match is then
// the FTS5 query of its two rarest trigrams, whose rows hold every match
// (LIKE checks each). Matching the whole text as a phrase would read the
// index's entries of its common trigrams too: those of "leverantör" are in
// every voucher.
func (d *DB) rareTrigrams(ctx context.Context, folded string) (match string, rare bool, err error) {
	rs := []rune(folded)
	seen := map[string]bool{}
	var tris []string
	for i := 0; i+3 <= len(rs) && len(tris) < 32; i++ {
		if t := string(rs[i : i+3]); !seen[t] {
			seen[t] = true
			tris = append(tris, t)
		}
	}
	var parts []string
	var args []any
	for i, t := range tris {
		parts = append(parts, fmt.Sprintf("SELECT %d AS i, (SELECT COUNT(*) FROM (SELECT rowid FROM vouchers_fts WHERE vouchers_fts MATCH ? LIMIT %d)) AS n", i, d.textRare))
		args = append(args, ftsPhrase(t))
	}
	var counts []struct{ I, N int }
	if err := d.gorm.WithContext(ctx).Raw(strings.Join(parts, " UNION ALL "), args...).Scan(&counts).Error; err != nil {
		return "", false, fmt.Errorf("trigrams of a text filter: %w", err)
	}
	slices.SortFunc(counts, func(a, b struct{ I, N int }) int { return a.N - b.N })
	if len(counts) == 0 || counts[0].N >= d.textRare {
		return "", false, nil
	}
	match = ftsPhrase(tris[counts[0].I])
	if len(counts) > 1 && counts[1].N < d.textRare {
		match += " AND " + ftsPhrase(tris[counts[1].I])
	}
	return match, true, nil
}

// countText counts a text filter's matches among the newest textWindow
// vouchers that the other filters keep, in one pass. inWindow says the
// page f asks for lies within them (enough matches, or the window is all
// there is); lowerBound that more rows lie past them.
func (d *DB) countText(ctx context.Context, companyID int64, f VoucherFilter) (n int64, lowerBound, inWindow bool, err error) {
	noText := f
	noText.Text = ""
	window := d.voucherQuery(ctx, companyID, noText).Select("text_key").Order(f.orderBy(false)).Limit(d.textWindow + 1)
	var c struct{ Rows, Matches int64 }
	err = d.gorm.WithContext(ctx).Table("(?) AS w", window).
		Select("COUNT(*) AS rows, COALESCE(SUM(CASE WHEN text_key LIKE ? ESCAPE '\\' THEN 1 ELSE 0 END), 0) AS matches", "%"+escapeLike(foldText(f.Text))+"%").
		Scan(&c).Error
	if err != nil {
		return 0, false, false, err
	}
	need := int64(max(f.Page, 1)) * int64(f.PageSize)
	return min(c.Matches, CountCap), c.Rows > int64(d.textWindow), c.Rows <= int64(d.textWindow) || c.Matches > need, nil
}

// countCapped counts q's rows up to CountCap+1: enough to tell "more".
func (d *DB) countCapped(ctx context.Context, q *gorm.DB) (int64, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Table("(?) AS capped", q.Select("1").Limit(CountCap+1)).Count(&n).Error
	return n, err
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Voucher returns one indexed voucher of a company; another company's
// voucher is ErrNotFound, exactly like a missing one.
func (d *DB) Voucher(ctx context.Context, companyID, id int64) (*Voucher, error) {
	var v Voucher
	if err := d.gorm.WithContext(ctx).Where("company_id = ? AND id = ?", companyID, id).First(&v).Error; err != nil {
		return nil, fmt.Errorf("voucher %d of company %d: %w", id, companyID, notFound(err))
	}
	return &v, nil
}

// Neighbours are the vouchers before and after v in the list that f
// makes (nil at either end); f's page is not used.
func (d *DB) Neighbours(ctx context.Context, companyID int64, f VoucherFilter, v *Voucher) (prev, next *Voucher, err error) {
	for _, reverse := range []bool{true, false} {
		cond, args := f.after(v, reverse)
		var vs []Voucher
		err := d.voucherQuery(ctx, companyID, f).Where(cond, args...).Order(f.orderBy(reverse)).Limit(1).Find(&vs).Error
		if err != nil {
			return nil, nil, fmt.Errorf("neighbours of voucher %d: %w", v.ID, err)
		}
		if len(vs) == 1 && reverse {
			prev = &vs[0]
		} else if len(vs) == 1 {
			next = &vs[0]
		}
	}
	return prev, next, nil
}

// FindVouchers finds vouchers by number in any of the companies, newest
// first, at most limit: the header's "Go to voucher".
func (d *DB) FindVouchers(ctx context.Context, companyIDs []int64, number string, limit int) ([]Voucher, error) {
	if len(companyIDs) == 0 || NumberKey(number) == "" {
		return nil, nil
	}
	var vs []Voucher
	q := whereNumber(d.gorm.WithContext(ctx).Where("company_id IN ?", companyIDs), number)
	if err := q.Order("date DESC, id DESC").Limit(limit).Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("find voucher %q: %w", number, err)
	}
	return vs, nil
}

// LastSynced is when a company's last successful sync finished; nil when
// none has.
func (d *DB) LastSynced(ctx context.Context, companyID int64) (*time.Time, error) {
	var rs []SyncRun
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND status = ?", companyID, SyncOK).Order("finished_at DESC, id DESC").Limit(1).Find(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("last sync of company %d: %w", companyID, err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return rs[0].FinishedAt, nil
}

// LookupVouchers finds a company's vouchers by number, optionally on a date
// or in a fiscal year (an upstream id, or a year such as "2024").
func (d *DB) LookupVouchers(ctx context.Context, companyID int64, number string, date time.Time, fiscalYear string) ([]Voucher, error) {
	q := whereNumber(d.gorm.WithContext(ctx).Where("company_id = ?", companyID), number)
	if !date.IsZero() {
		q = q.Where("date >= ? AND date < ?", date.UTC(), date.UTC().AddDate(0, 0, 1))
	}
	if fiscalYear != "" {
		var fy FiscalYear
		err := d.gorm.WithContext(ctx).Where("company_id = ? AND (external_id = ? OR "+d.yearExpr("start_date")+" = ?)", companyID, fiscalYear, fiscalYear).
			Order("start_date DESC").First(&fy).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fiscal year %q: %w", fiscalYear, err)
		}
		q = q.Where("date >= ? AND date < ?", fy.StartDate, fy.EndDate.AddDate(0, 0, 1))
	}
	var vs []Voucher
	if err := q.Order("date DESC, id DESC").Limit(50).Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("look up voucher %q: %w", number, err)
	}
	return vs, nil
}

// yearExpr is the SQL for the year of a timestamp column as text, in UTC
// as the timestamps are written. PostgreSQL's EXTRACT on a timestamptz
// uses the session's time zone, so a fiscal year starting at midnight UTC
// would be the year before in a session west of Greenwich.
func (d *DB) yearExpr(col string) string {
	if d.Dialect() == "postgres" {
		return "CAST(EXTRACT(YEAR FROM " + col + " AT TIME ZONE 'UTC') AS INTEGER)::text"
	}
	return "strftime('%Y', " + col + ")"
}

// CountVouchersCapped counts a company's indexed vouchers up to CountCap;
// capped says there are more.
func (d *DB) CountVouchersCapped(ctx context.Context, companyID int64) (n int64, capped bool, err error) {
	n, err = d.countCapped(ctx, d.gorm.WithContext(ctx).Model(&Voucher{}).Where("company_id = ?", companyID))
	if err != nil {
		return 0, false, fmt.Errorf("count vouchers of company %d: %w", companyID, err)
	}
	return min(n, CountCap), n > CountCap, nil
}

// CountVouchers counts a company's indexed vouchers, exactly: for jobs and
// tests, not pages.
func (d *DB) CountVouchers(ctx context.Context, companyID int64) (int64, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Model(&Voucher{}).Where("company_id = ?", companyID).Count(&n).Error
	return n, err
}

// SetVoucherDocuments records the documents found behind a voucher,
// keeping the SHA-256 of those already opened.
func (d *DB) SetVoucherDocuments(ctx context.Context, companyID, voucherID int64, docs []VoucherDocument) ([]VoucherDocument, error) {
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i := range docs {
			docs[i].CompanyID, docs[i].VoucherID, docs[i].Position = companyID, voucherID, i
			docs[i].FileName = truncate(docs[i].FileName, 300)
			docs[i].ContentType = truncate(docs[i].ContentType, 100)
			docs[i].InvoiceStatus = truncate(docs[i].InvoiceStatus, 32)
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "company_id"}, {Name: "voucher_id"}, {Name: "kind"}, {Name: "external_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"file_name", "content_type", "position", "invoice_status", "open_sum", "due_date"}),
			}).Create(&docs[i]).Error
			if err != nil {
				return fmt.Errorf("record document: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.VoucherDocuments(ctx, companyID, voucherID)
}

// VoucherDocuments lists the recorded documents of a voucher.
func (d *DB) VoucherDocuments(ctx context.Context, companyID, voucherID int64) ([]VoucherDocument, error) {
	var docs []VoucherDocument
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND voucher_id = ?", companyID, voucherID).Order("position, id").Find(&docs).Error
	if err != nil {
		return nil, fmt.Errorf("documents of voucher %d: %w", voucherID, err)
	}
	return docs, nil
}

// DocumentCounts counts the recorded documents of each of a company's
// vouchers ids that has any: those whose documents Bilag has listed (a
// voucher opened, or its page prefetched).
func (d *DB) DocumentCounts(ctx context.Context, companyID int64, ids []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		VoucherID int64
		N         int
	}
	err := d.gorm.WithContext(ctx).Model(&VoucherDocument{}).Select("voucher_id, COUNT(*) AS n").
		Where("company_id = ? AND voucher_id IN ?", companyID, ids).Group("voucher_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count documents of company %d: %w", companyID, err)
	}
	for _, r := range rows {
		out[r.VoucherID] = r.N
	}
	return out, nil
}

// VoucherDocument returns one recorded document of a company's voucher.
func (d *DB) VoucherDocument(ctx context.Context, companyID, voucherID, id int64) (*VoucherDocument, error) {
	var doc VoucherDocument
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND voucher_id = ? AND id = ?", companyID, voucherID, id).First(&doc).Error
	if err != nil {
		return nil, fmt.Errorf("document %d of voucher %d: %w", id, voucherID, notFound(err))
	}
	return &doc, nil
}

// forgetIndexIn deletes a connection's voucher index (vouchers, their
// documents, fiscal years) and its sync state, in tx: the connection now
// reaches another upstream company. The sync lease is dropped too, so a
// sync of the old company still running stops at its next page.
func forgetIndexIn(tx *gorm.DB, connID int64) error {
	for _, m := range []any{&InvoiceState{}, &VoucherDimension{}, &VoucherDocument{}, &Voucher{}, &FiscalYear{}} {
		if err := tx.Where("connection_id = ?", connID).Delete(m).Error; err != nil {
			return fmt.Errorf("forget index of connection %d: %w", connID, err)
		}
	}
	err := tx.Model(&SyncState{}).Where("connection_id = ?", connID).
		Updates(map[string]any{"synced_through": nil, "full_sync_until": nil, "lease_owner": "", "lease_until": nil}).Error
	if err != nil {
		return fmt.Errorf("forget sync state of connection %d: %w", connID, err)
	}
	return nil
}
