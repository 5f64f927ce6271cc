// Package missing finds the vouchers that should carry a document but do
// not ("saknat underlag", "manglende bilag"): by what a voucher is and by
// the accounts it books on, under rules each company may set and whose
// defaults follow its country's standard chart of accounts.
//
// It reads only Bilag's index: a voucher whose connector could not tell
// "no document" from "not fetched" (db.Voucher.DocsUnknown) is counted
// apart and never as missing.
package missing

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"bilag/connectors"
	"bilag/db"
)

// Range is an inclusive range of account numbers.
type Range struct{ From, To int64 }

// Rules say which vouchers need a document: those of one of Kinds, and
// those with a row on an account in one of Ranges.
type Rules struct {
	Kinds  []connectors.VoucherKind
	Ranges []Range
}

// The kinds a person may say need a document: the neutral kinds that are
// bought or sold against a paper.
func Kinds() []connectors.VoucherKind {
	return []connectors.VoucherKind{connectors.KindSupplierInvoice, connectors.KindReceipt, connectors.KindCustomerInvoice}
}

// Defaults are a country's rules, ok false where there is no standard
// chart to take them from (Finland: the analyst sets them). README's
// "Missing documents" says why these ranges.
func Defaults(country string) (r Rules, ok bool) {
	var ranges []Range
	switch strings.ToUpper(country) {
	case "SE": // BAS: classes 4 to 6, goods, services and other external costs.
		ranges = []Range{{4000, 6999}}
	case "NO": // NS 4102: class 4 goods; 61 to 77, other operating costs without depreciation (60) and losses (78).
		ranges = []Range{{4000, 4999}, {6100, 7799}}
	case "DK": // Standardkontoplan: purchases 1610 to 1769; other external costs from 1820 (its end an inference).
		ranges = []Range{{1610, 1769}, {1820, 2199}}
	default:
		return Rules{}, false
	}
	return Rules{Kinds: Kinds(), Ranges: ranges}, true
}

// ErrRules is the error of rules a person wrote that cannot be read; its
// Key is the catalogue key of what is wrong.
type ErrRules struct{ Key, Value string }

func (e *ErrRules) Error() string { return fmt.Sprintf("document rules: %s: %q", e.Key, e.Value) }

// Parse reads the rules as a form gives them: kinds, and account ranges
// ("4000-6999, 7010") separated by commas, spaces or lines.
func Parse(kinds []string, accounts string) (Rules, error) {
	var r Rules
	for _, k := range kinds {
		kind := connectors.VoucherKind(strings.TrimSpace(k))
		if !slices.Contains(Kinds(), kind) {
			return Rules{}, &ErrRules{Key: "missing.err.kind", Value: k}
		}
		if !slices.Contains(r.Kinds, kind) {
			r.Kinds = append(r.Kinds, kind)
		}
	}
	for _, f := range strings.FieldsFunc(accounts, func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t' }) {
		rg, err := parseRange(f)
		if err != nil {
			return Rules{}, err
		}
		r.Ranges = append(r.Ranges, rg)
	}
	if len(r.Ranges) > 50 {
		return Rules{}, &ErrRules{Key: "missing.err.many", Value: strconv.Itoa(len(r.Ranges))}
	}
	return r, nil
}

func parseRange(f string) (Range, error) {
	from, to, isRange := strings.Cut(strings.ReplaceAll(f, "–", "-"), "-")
	a, errA := strconv.ParseInt(from, 10, 64)
	b, errB := a, error(nil)
	if isRange {
		b, errB = strconv.ParseInt(to, 10, 64)
	}
	if err := errors.Join(errA, errB); err != nil || a < 0 || b < a || len(f) > 21 {
		return Range{}, &ErrRules{Key: "missing.err.range", Value: f}
	}
	return Range{a, b}, nil
}

// Of a company: its own rules when it has some, else its country's;
// custom says which, ok false when neither (no rules: nothing counted).
func Of(own db.DocumentRule, hasOwn bool, country string) (r Rules, custom, ok bool) {
	if !hasOwn {
		r, ok = Defaults(country)
		return r, false, ok
	}
	kinds := strings.FieldsFunc(own.Kinds, func(c rune) bool { return c == ',' })
	r, err := Parse(kinds, own.Accounts)
	if err != nil {
		// Stored rules were checked when saved; a kind since retired
		// drops out rather than hiding the whole list.
		r = Rules{}
	}
	return r, true, true
}

// Stored is r as db keeps it.
func (r Rules) Stored(companyID int64) db.DocumentRule {
	ks := make([]string, len(r.Kinds))
	for i, k := range r.Kinds {
		ks[i] = string(k)
	}
	return db.DocumentRule{CompanyID: companyID, Kinds: strings.Join(ks, ","), Accounts: r.RangesText()}
}

// RangesText is the ranges as a person writes them.
func (r Rules) RangesText() string {
	parts := make([]string, len(r.Ranges))
	for i, rg := range r.Ranges {
		parts[i] = strconv.FormatInt(rg.From, 10)
		if rg.To != rg.From {
			parts[i] += "-" + strconv.FormatInt(rg.To, 10)
		}
	}
	return strings.Join(parts, ", ")
}

// Needs says whether the rules want a document for v.
func (r Rules) Needs(v db.Voucher) bool {
	if slices.Contains(r.Kinds, connectors.VoucherKind(v.Kind)) {
		return true
	}
	for _, a := range db.SplitAccounts(v.Accounts) {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			continue // an account that is not a number is in no range
		}
		for _, rg := range r.Ranges {
			if n >= rg.From && n <= rg.To {
				return true
			}
		}
	}
	return false
}

// Month is how many vouchers of a month miss a document.
type Month struct {
	Month time.Time // the first of the month, UTC
	Count int
}

// List is a company's vouchers missing a document, and how many it could
// not judge.
type List struct {
	Vouchers []db.Voucher // newest first
	Months   []Month      // newest first
	// Unknown counts the vouchers the rules want a document for whose
	// connector could not tell whether they have one.
	Unknown int
}

// Find sorts candidates (db.DocumentCandidates, newest first) by the rules.
func Find(r Rules, candidates []db.Voucher) List {
	var l List
	for _, v := range candidates {
		if !r.Needs(v) {
			continue
		}
		if v.DocsUnknown {
			l.Unknown++
			continue
		}
		if v.HasDocuments {
			continue
		}
		l.Vouchers = append(l.Vouchers, v)
		m := time.Date(v.Date.Year(), v.Date.Month(), 1, 0, 0, 0, 0, time.UTC)
		if n := len(l.Months); n > 0 && l.Months[n-1].Month.Equal(m) {
			l.Months[n-1].Count++
		} else {
			l.Months = append(l.Months, Month{Month: m, Count: 1})
		}
	}
	return l
}
