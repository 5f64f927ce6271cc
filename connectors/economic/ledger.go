package economic

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"bilag/connectors"
)

var _ connectors.LedgerReader = (*Connector)(nil)

// The ledger's resources, as e-conomic/slate documents them (_accounts.md,
// _accounting-years.md, _customers.md, _suppliers.md).

// ledgerAccountJSON is the part of GET /accounts Bilag reads.
type ledgerAccountJSON struct {
	AccountNumber int64  `json:"accountNumber"`
	AccountType   string `json:"accountType"`
	DebitCredit   string `json:"debitCredit"`
	Name          string `json:"name"`
	Barred        bool   `json:"barred"`
}

// periodJSON is one of GET /accounting-years/{y}/periods.
type periodJSON struct {
	PeriodNumber int64  `json:"periodNumber"`
	FromDate     string `json:"fromDate"`
	ToDate       string `json:"toDate"`
}

// totalJSON is one account's total of GET …/periods/{n}/totals.
type totalJSON struct {
	Account struct {
		AccountNumber int64 `json:"accountNumber"`
	} `json:"account"`
	TotalInBaseCurrency float64 `json:"totalInBaseCurrency"`
}

// partyJSON is the part of a customer or supplier Bilag reads. country is
// a name ("Danmark"), not a code, so it is not read.
type partyJSON struct {
	CustomerNumber int64  `json:"customerNumber"`
	SupplierNumber int64  `json:"supplierNumber"`
	Name           string `json:"name"`
	CVR            string `json:"corporateIdentificationNumber"`
}

// Ledger reads the chart of accounts, each account's balance when the
// period opens and the customers and suppliers. A part the app's role
// does not reach (customers are Sales', the rest Bookkeeping's) is left
// out and named in Missing; the chart itself is not optional.
//
// [I] The balance when the period opens is the sum of the totals of the
// accounting year's periods that end before it: an accounting year
// carries the last one's balances in as entries on its first day
// (entryType openingEntry / transferredOpeningEntry), so for a period that
// starts with its year the opening is zero and those entries are among
// the period's vouchers. The year's opening apart from them is not read
// (Ledger.YearOpenings stays false).
func (c *Connector) Ledger(ctx context.Context, g connectors.Grant, from, to time.Time) (connectors.Ledger, error) {
	d, err := readGrant(g)
	if err != nil {
		return connectors.Ledger{}, fmt.Errorf("economic: get ledger: %w", err)
	}
	years, err := c.cachedYears(ctx, d)
	if err != nil {
		return connectors.Ledger{}, fmt.Errorf("economic: get ledger: accounting years: %w", err)
	}
	i := slices.IndexFunc(years, func(y yearJSON) bool { return !from.Before(day(y.FromDate)) && !from.After(day(y.ToDate)) })
	if i < 0 {
		return connectors.Ledger{}, fmt.Errorf("economic: get ledger: no accounting year holds %s: %w", from.Format(time.DateOnly), connectors.ErrNotFound)
	}
	l := connectors.Ledger{Currency: d.Currency}
	if l.Currency == "" {
		var self selfJSON
		if err := c.get(ctx, d, restAPI, "GET /self", "/self", nil, &self); err != nil {
			return connectors.Ledger{}, fmt.Errorf("economic: get ledger: self: %w", err)
		}
		l.Currency = self.Settings.BaseCurrency
	}
	if l.Accounts, err = c.ledgerAccounts(ctx, d); err != nil {
		return connectors.Ledger{}, fmt.Errorf("economic: get ledger: accounts: %w", err)
	}
	if err := c.openings(ctx, d, &l, years[i].Year, from); err != nil {
		return connectors.Ledger{}, fmt.Errorf("economic: get ledger: opening balances: %w", err)
	}
	if err := c.parties(ctx, d, &l); err != nil {
		return connectors.Ledger{}, fmt.Errorf("economic: get ledger: %w", err)
	}
	return l, nil
}

// walk reads every page of a REST collection, following nextPage.
func walk[T any](ctx context.Context, c *Connector, d *grantData, endpoint, path string, fn func(T)) error {
	next := c.url(restAPI, path, url.Values{"pagesize": {strconv.Itoa(maxPageSize)}})
	for range maxPages {
		var resp struct {
			Collection []T         `json:"collection"`
			Pagination *pagination `json:"pagination"`
		}
		if err := c.getURL(ctx, d, endpoint, next, &resp); err != nil {
			return err
		}
		for _, x := range resp.Collection {
			fn(x)
		}
		if resp.Pagination == nil || resp.Pagination.NextPage == "" || len(resp.Collection) == 0 {
			return nil
		}
		next = resp.Pagination.NextPage
	}
	return nil
}

// ledgerAccounts is the chart's bookable accounts: headings and sums
// (heading, headingStart, totalFrom, sumInterval, sumAlpha) carry no
// entries and are left out.
func (c *Connector) ledgerAccounts(ctx context.Context, d *grantData) ([]connectors.Account, error) {
	var out []connectors.Account
	err := walk(ctx, c, d, "GET /accounts", "/accounts", func(a ledgerAccountJSON) {
		if a.AccountType != "profitAndLoss" && a.AccountType != "status" {
			return
		}
		out = append(out, connectors.Account{Number: strconv.FormatInt(a.AccountNumber, 10), Name: a.Name, Kind: kindOfAccount(a)})
	})
	return out, err
}

// kindOfAccount reads the kind from accountType (profitAndLoss: a result
// account, status: a balance account) and debitCredit, the account's
// default side. [I] A credit result account is income, a debit one an
// expense; a debit balance account an asset, a credit one a liability
// (equity is not told apart).
func kindOfAccount(a ledgerAccountJSON) connectors.AccountKind {
	switch {
	case a.AccountType == "profitAndLoss" && a.DebitCredit == "credit":
		return connectors.AccountIncome
	case a.AccountType == "profitAndLoss":
		return connectors.AccountExpense
	case a.DebitCredit == "credit":
		return connectors.AccountLiability
	}
	return connectors.AccountAsset
}

// openings adds up the totals of the year's periods that end before from.
func (c *Connector) openings(ctx context.Context, d *grantData, l *connectors.Ledger, year string, from time.Time) error {
	seg, err := pathYear(year)
	if err != nil {
		return err
	}
	var before []int64
	err = walk(ctx, c, d, "GET /accounting-years/{year}/periods", "/accounting-years"+seg+"/periods", func(p periodJSON) {
		if day(p.ToDate).Before(from) {
			before = append(before, p.PeriodNumber)
		}
	})
	bal := map[string]int64{}
	for _, n := range before {
		if err != nil {
			break
		}
		err = walk(ctx, c, d, "GET /accounting-years/{year}/periods/{n}/totals", "/accounting-years"+seg+"/periods/"+strconv.FormatInt(n, 10)+"/totals",
			func(t totalJSON) { bal[strconv.FormatInt(t.Account.AccountNumber, 10)] += minor(t.TotalInBaseCurrency) })
	}
	if errors.Is(err, connectors.ErrForbidden) {
		l.Missing = append(l.Missing, "opening_balances")
		return nil
	}
	if err != nil {
		return err
	}
	for i := range l.Accounts {
		l.Accounts[i].Opening = bal[l.Accounts[i].Number]
	}
	return nil
}

// parties reads the customers and the suppliers; one the role does not
// reach is named in Missing.
func (c *Connector) parties(ctx context.Context, d *grantData, l *connectors.Ledger) error {
	for _, p := range []struct {
		role           connectors.PartyRole
		endpoint, path string
	}{{connectors.PartyCustomer, "GET /customers", "/customers"}, {connectors.PartySupplier, "GET /suppliers", "/suppliers"}} {
		var got []connectors.Party
		err := walk(ctx, c, d, p.endpoint, p.path, func(x partyJSON) {
			id := x.CustomerNumber
			if p.role == connectors.PartySupplier {
				id = x.SupplierNumber
			}
			got = append(got, connectors.Party{Role: p.role, ID: strconv.FormatInt(id, 10), Name: x.Name, OrgNumber: x.CVR})
		})
		switch {
		case errors.Is(err, connectors.ErrForbidden):
			l.Missing = append(l.Missing, p.path[1:])
		case err != nil:
			return fmt.Errorf("%s: %w", p.path[1:], err)
		default:
			l.Parties = append(l.Parties, got...)
		}
	}
	return nil
}
