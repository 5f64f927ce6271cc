package netvisor

import (
	"context"
	"slices"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

func TestLedger(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	// The demo world's valid vouchers before May 2026 move the bank.
	l, err := e.conn.Ledger(ctx, g, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("Ledger = %v", err)
	}
	byNumber := map[string]connectors.Account{}
	for _, a := range l.Accounts {
		byNumber[a.Number] = a
	}
	if len(byNumber) == 0 || byNumber["1910"].Name != "Pankkitili" || byNumber["1910"].Kind != connectors.AccountAsset || byNumber["3000"].Kind != connectors.AccountIncome {
		t.Fatalf("accounts = %+v", l.Accounts)
	}
	if _, ok := byNumber[""]; ok {
		t.Error("an account group came through as an account")
	}
	if byNumber["1910"].Opening == 0 {
		t.Error("opening of 1910 = 0, want the bookings before May")
	}
	var sum int64
	for _, a := range l.Accounts {
		sum += a.Opening
	}
	if sum != 0 {
		t.Errorf("the openings sum to %d; every voucher balances, so they sum to 0", sum)
	}
	if !slices.Contains(l.Missing, "suppliers") || len(l.Parties) == 0 || l.Parties[0].Role != connectors.PartyCustomer || l.Currency != "EUR" {
		t.Errorf("missing %v, parties %+v, currency %q", l.Missing, l.Parties, l.Currency)
	}

	early, err := e.conn.Ledger(ctx, g, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 1, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range early.Accounts {
		if a.Opening != 0 {
			t.Errorf("opening of %s before any booking = %d", a.Number, a.Opening)
		}
	}

	e.sb.Deny(sandbox.DemoCustomer().ID, "accountbalance.nv")
	e.sb.Deny(sandbox.DemoCustomer().ID, "customerlist.nv")
	l, err = e.conn.Ledger(ctx, g, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC))
	if err != nil || !slices.Equal(l.Missing, []string{"suppliers", "opening_balances", "customers"}) || len(l.Accounts) == 0 {
		t.Errorf("with balances and customers refused: %v, missing %v, %d accounts", err, l.Missing, len(l.Accounts))
	}
}
