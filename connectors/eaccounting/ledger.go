package eaccounting

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"bilag/connectors"
)

var _ connectors.LedgerReader = (*Connector)(nil)

// accountJSON is the part of AccountApi Bilag reads. Its Type is for Dutch
// companies only (the OpenAPI description says so), so the kind comes from
// the account number (kindOfNumber).
type accountJSON struct {
	Number   string
	Name     string
	IsActive bool
}

// balanceJSON is AccountBalanceApi and OpeningBalancesApi alike.
type balanceJSON struct {
	AccountNumber int64
	Number        int64
	Balance       float64
}

func (b balanceJSON) number() string {
	if b.AccountNumber != 0 {
		return strconv.FormatInt(b.AccountNumber, 10)
	}
	return strconv.FormatInt(b.Number, 10)
}

// partyJSON is the part of CustomerApi and SupplierApi Bilag reads.
type partyJSON struct {
	CustomerNumber          string
	SupplierNumber          string
	Name                    string
	CorporateIdentityNumber string
	InvoiceCountryCode      string
	CountryCode             string
}

// Ledger reads the chart of the fiscal year the period opens in, each
// account's balance when the period opens, and the customers and
// suppliers. What the company's product variant or the grant's scopes do
// not reach (suppliers without a purchase scope) is left out and named in
// Missing; the chart itself is not optional.
func (c *Connector) Ledger(ctx context.Context, g connectors.Grant, from, to time.Time) (connectors.Ledger, error) {
	tok, err := readGrant(g)
	if err != nil {
		return connectors.Ledger{}, fmt.Errorf("eaccounting: get ledger: %w", err)
	}
	years, err := c.fiscalYears(ctx, tok)
	if err != nil {
		return connectors.Ledger{}, fmt.Errorf("eaccounting: get ledger: fiscal years: %w", err)
	}
	var fy connectors.FiscalYear
	for _, y := range years {
		if !date(from).Before(date(y.StartDate)) && !date(from).After(date(y.EndDate)) {
			fy = y
		}
	}
	if fy.ID == "" {
		return connectors.Ledger{}, fmt.Errorf("eaccounting: get ledger: no fiscal year holds %s: %w", from.Format(time.DateOnly), connectors.ErrNotFound)
	}
	var l connectors.Ledger
	if l.Accounts, err = c.accounts(ctx, tok, fy.ID); err != nil {
		return connectors.Ledger{}, fmt.Errorf("eaccounting: get ledger: accounts: %w", err)
	}
	if err := c.openings(ctx, tok, &l, fy, from, years); err != nil {
		return connectors.Ledger{}, fmt.Errorf("eaccounting: get ledger: opening balances: %w", err)
	}
	if err := c.parties(ctx, tok, &l); err != nil {
		return connectors.Ledger{}, fmt.Errorf("eaccounting: get ledger: %w", err)
	}
	var s struct{ CurrencyCode string }
	if err := c.get(ctx, tok, "GET /companysettings", "/companysettings", nil, &s); err == nil {
		l.Currency = s.CurrencyCode
	} else if !optional(err) {
		return connectors.Ledger{}, fmt.Errorf("eaccounting: get ledger: company settings: %w", err)
	}
	return l, nil
}

// eachPage reads every page of a list endpoint (1000 at a time, as public
// clients do) and hands each item to fn.
func eachPage[T any](ctx context.Context, c *Connector, tok *token, endpoint, path string, fn func(T)) error {
	for page := 1; page <= maxPages; page++ {
		var resp struct {
			Meta pageMeta
			Data []T
		}
		q := url.Values{"$page": {strconv.Itoa(page)}, "$pagesize": {"1000"}}
		if err := c.get(ctx, tok, endpoint, path, q, &resp); err != nil {
			return err
		}
		for _, x := range resp.Data {
			fn(x)
		}
		if len(resp.Data) == 0 || resp.Meta.CurrentPage >= resp.Meta.TotalNumberOfPages {
			return nil
		}
	}
	return nil
}

func (c *Connector) accounts(ctx context.Context, tok *token, fiscalYearID string) ([]connectors.Account, error) {
	fy, err := segment(fiscalYearID)
	if err != nil {
		return nil, err
	}
	var out []connectors.Account
	err = eachPage(ctx, c, tok, "GET /accounts/{fiscalyearId}", "/accounts"+fy, func(a accountJSON) {
		out = append(out, connectors.Account{Number: a.Number, Name: a.Name, Kind: kindOfNumber(a.Number)})
	})
	return out, err
}

// openings sets each account's balance when the period opens and when
// its fiscal year opens (SIE's #IB, which for a mid-year period is not
// the period's). The first fiscal year's opening comes from GET
// /fiscalyears/openingbalances, as Visma's description of it says; any
// other day's from GET /accountbalances at the day before.
//
// [I] "The total account balance at the given date" is read as the total
// of every booking up to that date, result accounts included (the
// sandbox does so). A result account (classes 3–8) starts each fiscal
// year at zero, so its balance when a period opens is the day before
// less the day before its year.
func (c *Connector) openings(ctx context.Context, tok *token, l *connectors.Ledger, fy connectors.FiscalYear, from time.Time, years []connectors.FiscalYear) error {
	first := true
	for _, y := range years {
		if y.StartDate.Before(fy.StartDate) {
			first = false
		}
	}
	year, err := c.balancesBefore(ctx, tok, fy.StartDate, first)
	if optional(err) {
		l.Missing = append(l.Missing, "opening_balances")
		return nil
	}
	if err != nil {
		return err
	}
	period := year
	if !date(from).Equal(date(fy.StartDate)) {
		if period, err = c.balancesBefore(ctx, tok, from, false); optional(err) {
			l.Missing = append(l.Missing, "opening_balances")
			return nil
		} else if err != nil {
			return err
		}
	}
	for i := range l.Accounts {
		a := &l.Accounts[i]
		a.Opening, a.YearOpening = period[a.Number], year[a.Number]
		if a.Kind == connectors.AccountIncome || a.Kind == connectors.AccountExpense {
			a.Opening, a.YearOpening = period[a.Number]-year[a.Number], 0
		}
	}
	l.YearOpenings = true
	return nil
}

// balancesBefore is every account's balance when day opens: the first
// fiscal year's opening balances when first, else the balances the day
// before.
func (c *Connector) balancesBefore(ctx context.Context, tok *token, day time.Time, first bool) (map[string]int64, error) {
	bal := map[string]int64{}
	endpoint, path := "GET /accountbalances/{date}", "/accountbalances/"+day.AddDate(0, 0, -1).Format(time.DateOnly)
	if first {
		endpoint, path = "GET /fiscalyears/openingbalances", "/fiscalyears/openingbalances"
	}
	err := eachPage(ctx, c, tok, endpoint, path, func(b balanceJSON) { bal[b.number()] += minor(b.Balance) })
	return bal, err
}

// parties reads the customers and suppliers; a grant without the scope
// (or a variant without the area) leaves them out, named in Missing.
func (c *Connector) parties(ctx context.Context, tok *token, l *connectors.Ledger) error {
	for _, p := range []struct {
		role           connectors.PartyRole
		endpoint, path string
		missing        string
	}{
		{connectors.PartyCustomer, "GET /customers", "/customers", "customers"},
		{connectors.PartySupplier, "GET /suppliers", "/suppliers", "suppliers"},
	} {
		var got []connectors.Party
		err := eachPage(ctx, c, tok, p.endpoint, p.path, func(x partyJSON) {
			id, country := x.CustomerNumber, x.InvoiceCountryCode
			if p.role == connectors.PartySupplier {
				id, country = x.SupplierNumber, x.CountryCode
			}
			got = append(got, connectors.Party{Role: p.role, ID: id, Name: x.Name, OrgNumber: x.CorporateIdentityNumber, Country: country})
		})
		switch {
		case optional(err):
			l.Missing = append(l.Missing, p.missing)
		case err != nil:
			return fmt.Errorf("%s: %w", p.missing, err)
		default:
			l.Parties = append(l.Parties, got...)
		}
	}
	return nil
}

// optional reports whether err is the upstream refusing a part the file
// can do without (a scope, a product variant, a permission), as opposed
// to a fault that must fail the read.
func optional(err error) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && ae.forbidden() && !ae.unauthorized()
}

// kindOfNumber is an account's kind from its number in the BAS chart
// (Sweden) and NS 4102 (Norway), the charts eAccounting's countries use:
// class 1 assets, 2 liabilities (20xx equity), 3 income, 4–8 expenses.
// [I] eAccounting's AccountApi.Type is for Dutch companies only.
func kindOfNumber(n string) connectors.AccountKind {
	if n == "" {
		return connectors.AccountUnknown
	}
	switch n[0] {
	case '1':
		return connectors.AccountAsset
	case '2':
		if len(n) > 1 && n[1] == '0' {
			return connectors.AccountEquity
		}
		return connectors.AccountLiability
	case '3':
		return connectors.AccountIncome
	case '4', '5', '6', '7', '8':
		return connectors.AccountExpense
	}
	return connectors.AccountUnknown
}
