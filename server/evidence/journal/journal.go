// Package journal writes a period's bookkeeping as a CSV journal: one row
// per voucher row. It is the evidence pack's standard file where the
// country has none (Finland has no statutory file; Denmark until a Danish
// SAF-T writer exists).
package journal

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"bilag/connectors"
	"bilag/server/csvout"
	"bilag/server/evidence/book"
)

// Header names the journal's columns.
func Header() []string {
	return []string{"date", "voucher", "series", "text", "account", "account_name", "debit", "credit", "row_text", "dimensions"}
}

// Write writes b's vouchers as a journal, every field safe for a
// spreadsheet (csvout). Amounts are decimal with a point ("1234.50").
// The dimensions column holds each row's dimensions (Dimensions).
func Write(ctx context.Context, w io.Writer, b book.Book) error {
	cw := csvout.NewWriter(w, ',')
	if err := cw.Write(Header()); err != nil {
		return fmt.Errorf("journal: header: %w", err)
	}
	names := map[string]string{}
	for _, a := range b.Ledger.Accounts {
		names[a.Number] = a.Name
	}
	for v, err := range b.Vouchers {
		if err != nil {
			return fmt.Errorf("journal: read vouchers: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, r := range v.Rows {
			name := r.AccountName
			if name == "" {
				name = names[r.Account]
			}
			rec := []string{v.Date.Format(time.DateOnly), v.Number, v.Series, v.Text, r.Account, name, Amount(r.Debit), Amount(r.Credit), r.Text, Dimensions(r.Dimensions)}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("journal: voucher %s: %w", v.Number, err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Dimensions writes a row's dimensions as "kind=code" with the name in
// parentheses when known, separated by "; " ("department=10 (Myynti);
// project=P-204"): one column a spreadsheet filters on, whatever the
// upstream's dimensions are.
func Dimensions(ds []connectors.Dimension) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		p := string(d.Kind) + "=" + d.Code
		if d.Name != "" {
			p += " (" + d.Name + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// Amount is minor units as a decimal with two places.
func Amount(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%s.%02d", sign, strconv.FormatInt(minor/100, 10), minor%100)
}
