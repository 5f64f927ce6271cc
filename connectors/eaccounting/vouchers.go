package eaccounting

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
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
}

// voucherTypeNames are VoucherApi.VoucherType's values, in English.
var voucherTypeNames = map[int]string{
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

// TypeName is the English name of an eAccounting voucher type, or "Type n"
// for one the API documentation does not list.
func TypeName(voucherType int) string {
	if n, ok := voucherTypeNames[voucherType]; ok {
		return n
	}
	return "Type " + strconv.Itoa(voucherType)
}

// minor converts an amount in the API's decimal currency units to minor
// units; the API allows at most two decimals, so rounding only removes
// floating-point noise.
func minor(x float64) int64 { return int64(math.Round(x * 100)) }

func (v voucherJSON) voucher(fiscalYearID string) connectors.Voucher {
	out := connectors.Voucher{
		ID:           v.Id,
		FiscalYearID: fiscalYearID,
		Number:       v.NumberAndNumberSeries,
		Series:       v.NumberSeries,
		Date:         v.VoucherDate.Time,
		Text:         v.VoucherText,
		Type:         v.VoucherType,
		TypeName:     TypeName(v.VoucherType),
		SourceID:     v.SourceId,
		ModifiedAt:   v.ModifiedUtc.Time,
		Rows:         make([]connectors.VoucherRow, 0, len(v.Rows)),
	}
	if v.Attachments != nil && len(v.Attachments.AttachmentIds) > 0 {
		out.DocumentIDs = append([]string(nil), v.Attachments.AttachmentIds...)
	}
	for _, r := range v.Rows {
		row := connectors.VoucherRow{
			Account:     strconv.FormatInt(r.AccountNumber, 10),
			AccountName: r.AccountDescription,
			Debit:       minor(r.DebitAmount),
			Credit:      minor(r.CreditAmount),
			Text:        r.TransactionText,
		}
		out.Amount += row.Debit
		out.Rows = append(out.Rows, row)
	}
	return out
}

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
	query := url.Values{
		"$page":    {strconv.Itoa(max(q.Page, 1))},
		"$orderby": {"ModifiedUtc asc"},
	}
	if q.PageSize > 0 {
		query.Set("$pagesize", strconv.Itoa(q.PageSize))
	}
	if !q.ModifiedSince.IsZero() {
		// Truncating to the second can only widen the window: a voucher
		// seen twice is harmless, one missed is not.
		query.Set("$filter", "ModifiedUtc gt "+q.ModifiedSince.UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	var resp struct {
		Meta pageMeta
		Data []voucherJSON
	}
	if err := c.get(ctx, tok, "GET /vouchers", "/vouchers", query, &resp); err != nil {
		return connectors.VoucherPage{}, fmt.Errorf("eaccounting: get vouchers: %w", err)
	}
	page := connectors.VoucherPage{
		Vouchers:   make([]connectors.Voucher, 0, len(resp.Data)),
		Page:       resp.Meta.CurrentPage,
		TotalPages: resp.Meta.TotalNumberOfPages,
		Total:      resp.Meta.TotalNumberOfResults,
	}
	var years []connectors.FiscalYear
	if len(resp.Data) > 0 {
		if years, err = c.fiscalYears(ctx, tok); err != nil {
			return connectors.VoucherPage{}, fmt.Errorf("eaccounting: get vouchers: fiscal years: %w", err)
		}
	}
	for _, v := range resp.Data {
		page.Vouchers = append(page.Vouchers, v.voucher(fiscalYearOf(years, v.VoucherDate.Time)))
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

// Voucher reads one voucher; eAccounting needs its fiscal year to find it.
func (c *Connector) Voucher(ctx context.Context, g connectors.Grant, fiscalYearID, voucherID string) (connectors.Voucher, error) {
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
	return v.voucher(fiscalYearID), nil
}
