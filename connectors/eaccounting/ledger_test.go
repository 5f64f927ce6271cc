package eaccounting_test

import (
	"errors"
	"testing"
	"time"

	"bilag/connectors"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSandboxLedger(t *testing.T) {
	e := newSandbox(t)
	g := e.connect("anna.lindqvist@example.se", "anna123", "556812-3474")
	ctx := t.Context()

	first, err := e.conn.Ledger(ctx, g, day("2024-01-01"), day("2024-03-31"))
	if err != nil {
		t.Fatalf("Ledger(first year) = %v", err)
	}
	if len(first.Missing) != 0 || first.Currency != "SEK" {
		t.Errorf("Ledger(first year) missing %v, currency %q; want none, SEK", first.Missing, first.Currency)
	}
	kinds := map[string]connectors.AccountKind{}
	for _, a := range first.Accounts {
		kinds[a.Number] = a.Kind
		if a.Opening != 0 {
			t.Errorf("first year's opening of %s = %d, want 0 (the demo world starts empty)", a.Number, a.Opening)
		}
	}
	for n, want := range map[string]connectors.AccountKind{"1930": connectors.AccountAsset, "2440": connectors.AccountLiability,
		"3001": connectors.AccountIncome, "5010": connectors.AccountExpense} {
		if kinds[n] != want {
			t.Errorf("kind of %s = %q, want %q", n, kinds[n], want)
		}
	}
	var customers, suppliers int
	for _, p := range first.Parties {
		if p.Role == connectors.PartyCustomer {
			customers++
		} else {
			suppliers++
		}
	}
	if customers == 0 || suppliers == 0 {
		t.Errorf("parties: %d customers, %d suppliers; want some of each", customers, suppliers)
	}

	mid, err := e.conn.Ledger(ctx, g, day("2025-04-01"), day("2025-06-30"))
	if err != nil {
		t.Fatalf("Ledger(mid year) = %v", err)
	}
	open := map[string]int64{}
	for _, a := range mid.Accounts {
		open[a.Number] = a.Opening
	}
	if open["1930"] == 0 || open["3001"] >= 0 {
		t.Errorf("mid-year openings: bank %d, sales %d; want the year's bookings so far (sales a credit)", open["1930"], open["3001"])
	}
	atStart, err := e.conn.Ledger(ctx, g, day("2025-01-01"), day("2025-12-31"))
	if err != nil {
		t.Fatalf("Ledger(second year) = %v", err)
	}
	for _, a := range atStart.Accounts {
		if a.Kind == connectors.AccountIncome && a.Opening != 0 {
			t.Errorf("a fiscal year's opening of result account %s = %d, want 0", a.Number, a.Opening)
		}
	}
}

func TestSandboxLedgerRefused(t *testing.T) {
	e := newSandbox(t)
	// Sara has no bookkeeping permission: the chart is refused, and a
	// file without it would be no file.
	g := e.connect("sara.holm@example.se", "sara123", "559104-3210")
	if _, err := e.conn.Ledger(t.Context(), g, day("2025-01-01"), day("2025-01-31")); !errors.Is(err, connectors.ErrForbidden) {
		t.Errorf("Ledger(no bookkeeping permission) = %v, want ErrForbidden", err)
	}
	if _, err := e.conn.Ledger(t.Context(), e.connect("anna.lindqvist@example.se", "anna123", "556812-3474"), day("2030-01-01"), day("2030-01-31")); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Ledger(no fiscal year) = %v, want ErrNotFound", err)
	}
}
