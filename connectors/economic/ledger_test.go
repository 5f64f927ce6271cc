package economic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/economic/sandbox"
)

// entrySums sums the sandbox's entries of 2025 before a day, by account,
// read with the grant's tokens straight from GET …/entries.
func (e *env) entrySums(t *testing.T, g connectors.Grant, before string) map[string]int64 {
	t.Helper()
	d, err := readGrant(g)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/accounting-years/2025/entries?pagesize=1000", nil)
	req.Header.Set("X-AppSecretToken", superApp.SecretToken)
	req.Header.Set("X-AgreementGrantToken", d.Token)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Collection []struct {
			Date    string
			Amount  float64
			Account struct{ AccountNumber int64 }
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || len(body.Collection) == 0 {
		t.Fatalf("entries: %d, %v", len(body.Collection), err)
	}
	out := map[string]int64{}
	for _, x := range body.Collection {
		if x.Date < before {
			out[strconv.FormatInt(x.Account.AccountNumber, 10)] += minor(x.Amount)
		}
	}
	return out
}

func TestLedger(t *testing.T) {
	e := newEnv(t)
	c := e.connector(superApp)
	g := e.connect(c, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys)
	ctx := context.Background()
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

	l, err := c.Ledger(ctx, g, day("2025-04-01"), day("2025-06-30"))
	if err != nil {
		t.Fatalf("Ledger = %v", err)
	}
	if len(l.Missing) != 0 || l.Currency != "DKK" {
		t.Errorf("Missing %v, currency %q; want none, DKK", l.Missing, l.Currency)
	}
	want := e.entrySums(t, g, "2025-04-01")
	kinds, names := map[string]connectors.AccountKind{}, map[string]string{}
	for _, a := range l.Accounts {
		kinds[a.Number], names[a.Number] = a.Kind, a.Name
		if a.Opening != want[a.Number] {
			t.Errorf("opening of %s = %d, want the year's entries before April, %d", a.Number, a.Opening, want[a.Number])
		}
	}
	if kinds["5820"] != connectors.AccountAsset || kinds["1010"] != connectors.AccountIncome || names["5820"] != "Bank" {
		t.Errorf("5820 %q %q, 1010 %q", kinds["5820"], names["5820"], kinds["1010"])
	}
	var roles []connectors.PartyRole
	for _, p := range l.Parties {
		roles = append(roles, p.Role)
	}
	if slices.Index(roles, connectors.PartyCustomer) < 0 || slices.Index(roles, connectors.PartySupplier) < 0 {
		t.Errorf("parties %+v; want customers and suppliers", l.Parties)
	}

	start, err := c.Ledger(ctx, g, day("2025-01-01"), day("2025-03-31"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range start.Accounts {
		if a.Opening != 0 {
			t.Errorf("opening of %s at the year's start = %d; the year's opening entries are its vouchers", a.Number, a.Opening)
		}
	}
	if _, err := c.Ledger(ctx, g, day("2019-01-01"), day("2019-01-31")); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Ledger of a year e-conomic lacks = %v, want ErrNotFound", err)
	}
}

// A Bookkeeping app does not reach the customers: the ledger says so and
// holds the rest.
func TestLedgerWithoutSales(t *testing.T) {
	e := newEnv(t)
	c := e.connector(bookkeepingApp)
	g := e.connect(c, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys)
	l, err := c.Ledger(context.Background(), g, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Missing, []string{"customers"}) || len(l.Accounts) == 0 || len(l.Parties) != 2 {
		t.Errorf("Missing %v, %d accounts, parties %+v; want customers missing, the chart and 2 suppliers", l.Missing, len(l.Accounts), l.Parties)
	}
}
