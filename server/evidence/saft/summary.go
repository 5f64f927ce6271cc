package saft

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"bilag/connectors"
	"bilag/server/evidence/book"
)

// account is one GeneralLedgerAccounts/Account.
type account struct {
	number, name string
	kind         connectors.AccountKind
	opening      int64
	movement     int64 // debit minus credit in the period
}

// summary is the first pass over the vouchers: what must come before the
// entries (every account a Line names, each one's closing balance, the
// totals) and which voucher numbers repeat (TransactionID is an xs:key).
// Its size is the chart's plus one entry per voucher number.
type summary struct {
	accounts      []*account
	byNumber      map[string]*account
	entries       int
	debit, credit int64
	seen, repeats map[string]bool
}

func summarize(ctx context.Context, b book.Book) (*summary, error) {
	s := &summary{byNumber: map[string]*account{}, seen: map[string]bool{}, repeats: map[string]bool{}}
	for _, a := range b.Ledger.Accounts {
		if s.byNumber[a.Number] == nil {
			s.add(&account{number: a.Number, name: a.Name, kind: a.Kind, opening: a.Opening})
		}
	}
	known := len(s.accounts)
	for v, err := range b.Vouchers {
		if err != nil {
			return nil, fmt.Errorf("saft: read vouchers: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("saft: %w", err)
		}
		if err := s.voucher(v); err != nil {
			return nil, err
		}
	}
	extra := s.accounts[known:]
	slices.SortFunc(extra, func(a, b *account) int { return book.CompareAccounts(a.number, b.number) })
	return s, nil
}

func (s *summary) add(a *account) {
	s.byNumber[a.number] = a
	s.accounts = append(s.accounts, a)
}

func (s *summary) voucher(v connectors.Voucher) error {
	var debit, credit int64
	for _, r := range v.Rows {
		a := s.byNumber[r.Account]
		if a == nil {
			a = &account{number: r.Account, name: r.AccountName}
			s.add(a)
		}
		a.movement += r.Debit - r.Credit
		debit, credit = debit+r.Debit, credit+r.Credit
	}
	if debit != credit {
		return fmt.Errorf("saft: voucher %s of %s: %w (debit %d, credit %d)", v.Number, v.Date.Format("2006-01-02"), ErrUnbalanced, debit, credit)
	}
	if len(v.Rows) == 0 {
		return fmt.Errorf("saft: voucher %s of %s has no rows, and a Transaction needs at least one Line", v.Number, v.Date.Format("2006-01-02"))
	}
	s.entries++
	s.debit, s.credit = s.debit+debit, s.credit+credit
	id := baseID(v)
	if s.seen[id] {
		s.repeats[id] = true
	}
	s.seen[id] = true
	return nil
}

// transactionID is the voucher's number, made unique with its place in
// the period when another voucher has the same number (two fiscal years,
// or an upstream that numbers per series without the series).
func (s *summary) transactionID(v connectors.Voucher, i int) string {
	id := baseID(v)
	if s.repeats[id] {
		return id + "#" + strconv.Itoa(i+1)
	}
	return id
}

func baseID(v connectors.Voucher) string {
	if v.Number != "" {
		return v.Number
	}
	return v.Ref
}
