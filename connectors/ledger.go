package connectors

import (
	"context"
	"time"
)

// LedgerReader reads what a period's standard bookkeeping file (SIE 4E,
// SAF-T) needs beyond the vouchers and their rows: the chart of accounts
// with each account's balance when the period opens, and the customers and
// suppliers the vouchers name. A connector whose upstream cannot say one of
// them leaves it empty and says so in Ledger.Missing.
type LedgerReader interface {
	Ledger(ctx context.Context, g Grant, from, to time.Time) (Ledger, error)
}

// Ledger is a company's chart of accounts and parties for a period.
type Ledger struct {
	Accounts []Account
	Parties  []Party
	// Currency is the company's base currency (ISO 4217), "" when the
	// upstream does not say.
	Currency string
	// YearOpenings says that each account's YearOpening was read: a
	// connector that cannot tell the fiscal year's opening from the
	// period's leaves it false, and an SIE file then says #IB is the
	// period's.
	YearOpenings bool
	// Missing names what the upstream could not give ("opening_balances",
	// "parties"), so that a file built from it says so instead of
	// pretending to be whole.
	Missing []string
}

// AccountKind is an account's place in the books, in the words SIE's #KTYP
// and SAF-T's grouping share.
type AccountKind string

// The account kinds; KindUnknown when the upstream does not say.
const (
	AccountAsset     AccountKind = "asset"
	AccountLiability AccountKind = "liability"
	AccountEquity    AccountKind = "equity"
	AccountIncome    AccountKind = "income"
	AccountExpense   AccountKind = "expense"
	AccountUnknown   AccountKind = ""
)

// Account is one account of the chart.
type Account struct {
	Number string
	Name   string
	Kind   AccountKind
	// Opening is the balance when the period opens, in minor units, debit
	// positive (a liability's opening balance is negative).
	Opening int64
	// YearOpening is the balance when the fiscal year the period opens in
	// opens (SIE's #IB): Opening for a period that starts with its year,
	// zero for an income or expense account. Read only where
	// Ledger.YearOpenings says so.
	YearOpening int64
}

// PartyRole says whether a party buys from or sells to the company.
type PartyRole string

// The party roles.
const (
	PartyCustomer PartyRole = "customer"
	PartySupplier PartyRole = "supplier"
)

// Party is a customer or supplier.
type Party struct {
	Role PartyRole
	// ID is the upstream's customer or supplier number.
	ID        string
	Name      string
	OrgNumber string
	// Country is ISO 3166-1 alpha-2, "" when not known.
	Country string
}
