package sie

import (
	"context"
	"fmt"
	"slices"

	"bilag/connectors"
	"bilag/server/evidence/book"
)

// account is one #KONTO with what the balances need.
type account struct {
	number, name string
	kind         connectors.AccountKind
	opening      int64
	// yearOpening is #IB: the balance when the fiscal year opens.
	yearOpening int64
	movement    int64 // debit minus credit in the period
}

// summary is the first pass over the vouchers: every account the file
// names (the chart's, then any only a voucher row names, by number) and
// each one's movement. Its size is the chart's, not the period's.
type summary struct {
	accounts []*account
	byNumber map[string]*account
}

func summarize(ctx context.Context, b book.Book) (*summary, error) {
	s := &summary{byNumber: make(map[string]*account, len(b.Ledger.Accounts))}
	for _, a := range b.Ledger.Accounts {
		year := a.Opening
		if b.Ledger.YearOpenings {
			year = a.YearOpening
		}
		s.add(&account{number: a.Number, name: a.Name, kind: a.Kind, opening: a.Opening, yearOpening: year})
	}
	var extra []*account
	for v, err := range b.Vouchers {
		if err != nil {
			return nil, fmt.Errorf("sie: read vouchers: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sie: %w", err)
		}
		var debit, credit int64
		for _, r := range v.Rows {
			a := s.byNumber[r.Account]
			if a == nil {
				a = &account{number: r.Account, name: r.AccountName}
				s.byNumber[r.Account] = a
				extra = append(extra, a)
			}
			a.movement += r.Debit - r.Credit
			debit, credit = debit+r.Debit, credit+r.Credit
		}
		if debit != credit {
			return nil, fmt.Errorf("sie: voucher %s of %s: %w (debit %d, credit %d)", v.Number, v.Date.Format("2006-01-02"), ErrUnbalanced, debit, credit)
		}
	}
	slices.SortFunc(extra, func(a, b *account) int { return book.CompareAccounts(a.number, b.number) })
	s.accounts = append(s.accounts, extra...)
	return s, nil
}

func (s *summary) add(a *account) {
	if _, ok := s.byNumber[a.number]; ok {
		return
	}
	s.byNumber[a.number] = a
	s.accounts = append(s.accounts, a)
}

// ktyp is the account's #KTYP: T (tillgång), S (skuld, and equity, which
// SIE counts with it), I (intäkt), K (kostnad). When the upstream does not
// say, the BAS account class decides (an inference: it holds for the BAS
// chart Swedish companies use, not for a chart of the company's own).
func ktyp(a *account) string {
	switch a.kind {
	case connectors.AccountAsset:
		return "T"
	case connectors.AccountLiability, connectors.AccountEquity:
		return "S"
	case connectors.AccountIncome:
		return "I"
	case connectors.AccountExpense:
		return "K"
	}
	if !book.IsDigits(a.number) {
		return ""
	}
	switch c := a.number[0]; {
	case c == '1':
		return "T"
	case c == '2':
		return "S"
	case c == '3':
		return "I"
	case c >= '4' && c <= '8':
		return "K"
	}
	return ""
}

// isResult reports whether the account's balance belongs in #RES (income
// and cost) rather than #IB/#UB.
func isResult(a *account) bool {
	t := ktyp(a)
	return t == "I" || t == "K"
}
