package eaccounting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"bilag/connectors"
)

// apiTime reads the API's dates, which come as RFC 3339, as a local
// date-time without zone ("2024-03-01T00:00:00", meant as UTC for the *Utc
// fields and as a calendar date otherwise) or as a bare date.
type apiTime struct{ time.Time }

var apiTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

func (t *apiTime) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil || *s == "" {
		return nil
	}
	for _, layout := range apiTimeLayouts {
		if v, err := time.Parse(layout, *s); err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("unknown date format %q", *s)
}

// pageMeta is CommonPaginationMetadata.
type pageMeta struct {
	CurrentPage          int
	PageSize             int
	TotalNumberOfPages   int
	TotalNumberOfResults int
}

type fiscalYearJSON struct {
	Id        string
	StartDate apiTime
	EndDate   apiTime
}

// voucherJSON is the part of VoucherApi Bilag reads.
type voucherJSON struct {
	Id                    string
	VoucherDate           apiTime
	VoucherText           string
	Rows                  []voucherRowJSON
	NumberAndNumberSeries string
	NumberSeries          string
	Attachments           *struct {
		DocumentId    string
		DocumentType  int
		AttachmentIds []string
	}
	ModifiedUtc apiTime
	VoucherType int
	SourceId    string
}

type voucherRowJSON struct {
	AccountNumber      int64
	AccountDescription string
	DebitAmount        float64
	CreditAmount       float64
	TransactionText    string
	// The row's cost centre items and project, by id (dimensions.go).
	CostCenterItemId1, CostCenterItemId2, CostCenterItemId3 *string
	ProjectId                                               *string
}

// voucherTypeNames are VoucherApi.VoucherType's values, in English, by
// type: an array, which is data in the binary, where a map would be built
// when the program starts.
var voucherTypeNames = [...]string{
	2:  "Manual voucher",
	5:  "Bank account transfer deposit",
	6:  "Bank account transfer withdrawal",
	7:  "Purchase receipt",
	8:  "VAT report",
	9:  "SIE import",
	10: "Bank transaction deposit",
	11: "Bank transaction withdrawal",
	12: "Supplier invoice debit",
	13: "Supplier invoice credit",
	14: "Customer invoice debit",
	15: "Customer invoice credit",
	16: "Claim on card acquirer",
	17: "Tax return",
	18: "Allocation period",
	19: "Allocation period correction",
	20: "Inventory event",
	21: "Employer report",
	22: "Payslip",
	23: "Customer quick invoice debit",
	24: "Customer quick invoice credit",
	25: "Supplier quick invoice debit",
	26: "Supplier quick invoice credit",
	27: "iZettle voucher",
	28: "Stock valuation",
	29: "Claim on SPOT factoring",
	30: "Recourse factoring",
	32: "Direct debit",
	33: "Direct debit correction",
	34: "Payment links",
}

// kindOf says what an eAccounting voucher type is, in Bilag's words.
func kindOf(voucherType int) connectors.VoucherKind {
	switch voucherType {
	case 12, 13, 25, 26:
		return connectors.KindSupplierInvoice
	case 14, 15, 23, 24:
		return connectors.KindCustomerInvoice
	case 7:
		return connectors.KindReceipt
	case 5, 6, 10, 11, 32, 33:
		return connectors.KindBank
	case 2:
		return connectors.KindManual
	}
	return connectors.KindOther
}

// TypeName is the English name of an eAccounting voucher type, or "Type n"
// for one the API documentation does not list.
func TypeName(voucherType int) string {
	if voucherType >= 0 && voucherType < len(voucherTypeNames) && voucherTypeNames[voucherType] != "" {
		return voucherTypeNames[voucherType]
	}
	return "Type " + strconv.Itoa(voucherType)
}

// minor converts an amount in the API's decimal currency units to minor
// units; the API allows at most two decimals, so rounding only removes
// floating-point noise.
func minor(x float64) int64 { return int64(math.Round(x * 100)) }

// voucherData is what Documents needs of a voucher: Voucher.Data.
type voucherData struct {
	ID            string   `json:"i"`
	Type          int      `json:"t"`
	SourceID      string   `json:"s,omitempty"`
	AttachmentIDs []string `json:"a,omitempty"`
}

// voucher is v in Bilag's words, its rows' dimensions named from cat
// (nil: by Visma's ids).
func (v voucherJSON) voucher(fiscalYearID string, cat *dimensionCatalogue) connectors.Voucher {
	d := voucherData{ID: v.Id, Type: v.VoucherType, SourceID: v.SourceId}
	if v.Attachments != nil && len(v.Attachments.AttachmentIds) > 0 {
		d.AttachmentIDs = append([]string(nil), v.Attachments.AttachmentIds...)
	}
	data, _ := json.Marshal(d) // strings and ints always marshal
	out := connectors.Voucher{
		Ref:          fiscalYearID + "/" + v.Id,
		FiscalYear:   fiscalYearID,
		Number:       v.NumberAndNumberSeries,
		Series:       v.NumberSeries,
		Date:         v.VoucherDate.Time,
		Text:         v.VoucherText,
		Kind:         kindOf(v.VoucherType),
		UpstreamType: TypeName(v.VoucherType),
		HasDocuments: d.hasDocuments(),
		// A voucher booked from a supplier invoice may have its files on
		// the invoice, which only a further call shows: a guess.
		DocumentsUnknown: len(d.AttachmentIDs) == 0 && d.SourceID != "" && slices.Contains(supplierInvoiceTypes, d.Type),
		ModifiedAt:       v.ModifiedUtc.Time,
		Rows:             make([]connectors.VoucherRow, 0, len(v.Rows)),
		Data:             data,
	}
	for _, r := range v.Rows {
		row := connectors.VoucherRow{
			Account:     strconv.FormatInt(r.AccountNumber, 10),
			AccountName: r.AccountDescription,
			Debit:       minor(r.DebitAmount),
			Credit:      minor(r.CreditAmount),
			Text:        r.TransactionText,
			Dimensions:  cat.rowDimensions(r),
		}
		out.Amount += row.Debit
		out.Rows = append(out.Rows, row)
	}
	return out
}

// modifiedSinceLayout writes the date literal of the incremental sync's
// filter, "$filter=ModifiedUtc gt 2026-11-26T00:55:23Z". Visma documents no
// literal format for its OData filters: the OpenAPI document has none and
// its filtering page says nothing retrievable about dates. The format is
// OData v4's (OData v4.01 Part 2: URL Conventions, the dateTimeOffsetValue
// rule of its ABNF): an unquoted RFC 3339 date-time with "Z" or an offset
// (OData v3 wrote datetimeoffset'…' instead). Visma's backend is ASP.NET
// OData and its sandbox accepts it. Should Visma refuse it (6000/6001),
// Vouchers says connectors.ErrFilterRejected and the sync reads everything.
const modifiedSinceLayout = "2006-01-02T15:04:05Z07:00"

// Visma's answers to a query it cannot parse.
const (
	codeQueryParameterError = 6000
	codeInvalidInput        = 6001
)

// maxPages bounds a loop over pages, in case an upstream's Meta never ends.
const maxPages = 100

// FiscalYears lists the company's fiscal years.
func (c *Connector) FiscalYears(ctx context.Context, g connectors.Grant) ([]connectors.FiscalYear, error) {
	tok, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("eaccounting: get fiscal years: %w", err)
	}
	years, err := c.fiscalYears(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("eaccounting: get fiscal years: %w", err)
	}
	return years, nil
}

func (c *Connector) fiscalYears(ctx context.Context, tok *token) ([]connectors.FiscalYear, error) {
	var years []connectors.FiscalYear
	for page := 1; page <= maxPages; page++ {
		var resp struct {
			Meta pageMeta
			Data []fiscalYearJSON
		}
		q := url.Values{"$page": {strconv.Itoa(page)}, "$pagesize": {"100"}}
		if err := c.get(ctx, tok, "GET /fiscalyears", "/fiscalyears", q, &resp); err != nil {
			return nil, err
		}
		for _, y := range resp.Data {
			years = append(years, connectors.FiscalYear{ID: y.Id, StartDate: y.StartDate.Time, EndDate: y.EndDate.Time})
		}
		if len(resp.Data) == 0 || resp.Meta.CurrentPage >= resp.Meta.TotalNumberOfPages {
			break
		}
	}
	return years, nil
}

// Vouchers reads one page of vouchers across all fiscal years, oldest
// modification first, so a sync can resume from the last ModifiedAt it saw.
// VoucherApi does not name its fiscal year, which reading a single voucher
// needs, so each voucher gets the year whose dates contain it.
func (c *Connector) Vouchers(ctx context.Context, g connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	tok, err := readGrant(g)
	if err != nil {
		return connectors.VoucherPage{}, fmt.Errorf("eaccounting: get vouchers: %w", err)
	}
	pageNo := 1
	if q.Cursor != "" {
		if pageNo, err = strconv.Atoi(q.Cursor); err != nil || pageNo < 1 {
			return connectors.VoucherPage{}, fmt.Errorf("eaccounting: get vouchers: cursor %q is not a page", q.Cursor)
		}
	}
	query := url.Values{
		"$page":    {strconv.Itoa(pageNo)},
		"$orderby": {"ModifiedUtc asc"},
	}
	if q.PageSize > 0 {
		query.Set("$pagesize", strconv.Itoa(q.PageSize))
	}
	if !q.ModifiedSince.IsZero() {
		// Truncating to the second can only widen the window: a voucher
		// seen twice is harmless, one missed is not.
		query.Set("$filter", "ModifiedUtc gt "+q.ModifiedSince.UTC().Truncate(time.Second).Format(modifiedSinceLayout))
	}
	var resp struct {
		Meta pageMeta
		Data []voucherJSON
	}
	if err := c.get(ctx, tok, "GET /vouchers", "/vouchers", query, &resp); err != nil {
		if ae, ok := errors.AsType[*APIError](err); ok && query.Has("$filter") &&
			(ae.Code == codeQueryParameterError || ae.Code == codeInvalidInput) {
			return connectors.VoucherPage{}, fmt.Errorf("eaccounting: get vouchers: %w: %w", connectors.ErrFilterRejected, err)
		}
		return connectors.VoucherPage{}, fmt.Errorf("eaccounting: get vouchers: %w", err)
	}
	page := connectors.VoucherPage{Vouchers: make([]connectors.Voucher, 0, len(resp.Data)), Total: resp.Meta.TotalNumberOfResults}
	if len(resp.Data) > 0 && resp.Meta.CurrentPage < resp.Meta.TotalNumberOfPages {
		page.Next = strconv.Itoa(resp.Meta.CurrentPage + 1)
	}
	var (
		years []connectors.FiscalYear
		cat   *dimensionCatalogue
	)
	if len(resp.Data) > 0 {
		if years, err = c.fiscalYears(ctx, tok); err != nil {
			return connectors.VoucherPage{}, fmt.Errorf("eaccounting: get vouchers: fiscal years: %w", err)
		}
		// A list that fails (not one refused) fails the page: indexed
		// under Visma's ids, the rows would not match those synced before.
		if cat, err = c.dimensions(ctx, tok); err != nil {
			return connectors.VoucherPage{}, fmt.Errorf("eaccounting: get vouchers: %w", err)
		}
	}
	for _, v := range resp.Data {
		page.Vouchers = append(page.Vouchers, v.voucher(fiscalYearOf(years, v.VoucherDate.Time), cat))
	}
	return page, nil
}

// fiscalYearOf is the id of the year whose dates contain day, compared as
// calendar dates, or "" when none does.
func fiscalYearOf(years []connectors.FiscalYear, day time.Time) string {
	d := date(day)
	for _, y := range years {
		if !d.Before(date(y.StartDate)) && !d.After(date(y.EndDate)) {
			return y.ID
		}
	}
	return ""
}

func date(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Voucher reads one voucher by the Ref Vouchers gave it: its fiscal year
// and id, since eAccounting needs both to find it.
func (c *Connector) Voucher(ctx context.Context, g connectors.Grant, ref string) (connectors.Voucher, error) {
	fiscalYearID, voucherID, _ := strings.Cut(ref, "/")
	tok, err := readGrant(g)
	if err != nil {
		return connectors.Voucher{}, fmt.Errorf("eaccounting: get voucher %q: %w", voucherID, err)
	}
	fy, err := segment(fiscalYearID)
	if err != nil {
		return connectors.Voucher{}, fmt.Errorf("eaccounting: get voucher %q: fiscal year: %w", voucherID, err)
	}
	id, err := segment(voucherID)
	if err != nil {
		return connectors.Voucher{}, fmt.Errorf("eaccounting: get voucher: %w", err)
	}
	var v voucherJSON
	if err := c.get(ctx, tok, "GET /vouchers/{fiscalyearId}/{voucherId}", "/vouchers"+fy+id, nil, &v); err != nil {
		return connectors.Voucher{}, fmt.Errorf("eaccounting: get voucher %q: %w", voucherID, err)
	}
	// One voucher is read for its page, which a person waits for and which
	// shows no dimensions: they are named from the lists a sync read, when
	// kept, without a call for them (otherwise by Visma's ids; the index
	// keeps the sync's).
	return v.voucher(fiscalYearID, c.keptDimensions(tok)), nil
}
