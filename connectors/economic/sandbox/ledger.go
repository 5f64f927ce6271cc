package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// The ledger an evidence pack reads (issue 29), from e-conomic/slate:
// GET /accounts (_accounts.md: accountNumber, accountType, debitCredit,
// name, balance), GET /accounting-years/{y}/periods and
// …/periods/{n}/totals (_accounting-years.md: periodNumber, fromDate,
// toDate; account.accountNumber, totalInBaseCurrency) and GET /suppliers
// (_suppliers.md). GET /customers is the export side's (export.go).
//
// Sandbox choices, not documented: which role reaches /accounts, the
// periods and /suppliers (Bookkeeping, as the entries); a year's periods
// are its calendar months, as e-conomic makes them by default; the chart
// follows e-conomic's Danish standard chart, result accounts below 5000
// and balance accounts from 5000.

func ledgerEndpoints() []endpoint {
	return []endpoint{
		{pattern: "GET /accounts", name: "GET /accounts", roles: bookkeeping, handle: (*Sandbox).accountList},
		{pattern: "GET /accounting-years/{year}/periods", name: "GET /accounting-years/{year}/periods", roles: bookkeeping, handle: (*Sandbox).periodList},
		{pattern: "GET /accounting-years/{year}/periods/{n}/totals", name: "GET /accounting-years/{year}/periods/{n}/totals", roles: bookkeeping, handle: (*Sandbox).periodTotals},
		{pattern: "GET /suppliers", name: "GET /suppliers", roles: bookkeeping, handle: (*Sandbox).supplierList},
	}
}

// chartOf is the agreement's chart: the export side's accounts and every
// account an entry is booked on, by number.
func chartOf(ag *agreement) []account {
	out := slices.Clone(ag.books.accounts)
	have := map[int64]bool{}
	for _, a := range out {
		have[a.number] = true
	}
	for _, y := range ag.years {
		for _, e := range y.entries {
			if !have[e.account] {
				have[e.account] = true
				out = append(out, account{number: e.account, name: fmt.Sprintf("Salg, afdeling %d", e.account%100/10)})
			}
		}
	}
	slices.SortFunc(out, func(a, b account) int { return int(a.number - b.number) })
	return out
}

// accountTypeOf is a standard-chart account's type and default side.
func accountTypeOf(n int64) (accountType, debitCredit string) {
	switch {
	case n < 2000:
		return "profitAndLoss", "credit"
	case n < 5000:
		return "profitAndLoss", "debit"
	case n < 7000:
		return "status", "debit"
	}
	return "status", "credit"
}

func (s *Sandbox) accountList(c *call) {
	balance := map[int64]float64{}
	for _, y := range c.ag.years {
		for _, e := range y.entries {
			balance[e.account] += e.amount
		}
	}
	var items []map[string]any
	for _, a := range chartOf(c.ag) {
		t, dc := accountTypeOf(a.number)
		it := map[string]any{"accountNumber": a.number, "accountType": t, "debitCredit": dc, "name": a.name,
			"balance": balance[a.number], "self": c.link("/accounts/" + itoa(a.number))}
		items = append(items, it)
	}
	fields := map[string]func(map[string]any) string{"accountNumber": num("accountNumber"), "accountType": num("accountType"), "name": num("name")}
	c.collection(items, fields, "/accounts")
}

// period is one month of a year.
type period struct {
	number   int64
	from, to string
}

func periodsOf(y *year) []period {
	var out []period
	from, _ := time.Parse(time.DateOnly, y.from)
	end, _ := time.Parse(time.DateOnly, y.to)
	for n := int64(1); !from.After(end); n++ {
		to := time.Date(from.Year(), from.Month()+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
		out = append(out, period{number: n, from: from.Format(time.DateOnly), to: to.Format(time.DateOnly)})
		from = to.AddDate(0, 0, 1)
	}
	return out
}

// yearOf is the year the path names; nil (and a 404 sent) when none.
func (c *call) yearOf() *year {
	id := yearPathID(c.r.PathValue("year"))
	for _, y := range c.ag.years {
		if y.id == id {
			return y
		}
	}
	c.fail(http.StatusNotFound, "Accounting year not found.")
	return nil
}

func (s *Sandbox) periodList(c *call) {
	y := c.yearOf()
	if y == nil {
		return
	}
	base := "/accounting-years/" + yearSelf(y.id) + "/periods"
	items := []map[string]any{}
	for _, p := range periodsOf(y) {
		self := base + "/" + itoa(p.number)
		it := map[string]any{"periodNumber": p.number, "fromDate": p.from, "toDate": p.to, "totals": c.link(self + "/totals"),
			"entries": c.link(self + "/entries"), "accountingYear": map[string]any{"year": y.id, "self": c.link("/accounting-years/" + yearSelf(y.id))},
			"self": c.link(self)}
		if y.closed {
			it["closed"] = true
		}
		items = append(items, it)
	}
	c.collection(items, nil, base)
}

// periodTotals: every account of the chart with its total in the period
// ("a link to the chart of accounts with the periods total").
func (s *Sandbox) periodTotals(c *call) {
	y := c.yearOf()
	if y == nil {
		return
	}
	n, ok := c.pathInt("n")
	ps := periodsOf(y)
	if !ok || n < 1 || int(n) > len(ps) {
		c.fail(http.StatusNotFound, "Accounting year period not found.")
		return
	}
	p := ps[n-1]
	total := map[int64]float64{}
	for _, e := range y.entries {
		if e.date >= p.from && e.date <= p.to {
			total[e.account] += e.amount
		}
	}
	self := "/accounting-years/" + yearSelf(y.id) + "/periods/" + itoa(n) + "/totals"
	items := []map[string]any{}
	for _, a := range chartOf(c.ag) {
		items = append(items, map[string]any{"account": map[string]any{"accountNumber": a.number, "self": c.link("/accounts/" + itoa(a.number))},
			"fromDate": p.from, "toDate": p.to, "totalInBaseCurrency": total[a.number], "self": c.link(self)})
	}
	c.collection(items, nil, self)
}

// demoSuppliers are the suppliers of every demo agreement.
func demoSuppliers() []supplier {
	return []supplier{{1, "29876543", "Kontorland A/S", "Danmark"}, {2, "", "Nordic Paper AB", "Sverige"}}
}

type supplier struct {
	number             int64
	cvr, name, country string
}

func (s *Sandbox) supplierList(c *call) {
	var items []map[string]any
	for _, sp := range demoSuppliers() {
		it := map[string]any{"supplierNumber": sp.number, "name": sp.name, "country": sp.country, "currency": "DKK",
			"paymentTerms":  map[string]any{"paymentTermsNumber": 3, "self": c.link("/payment-terms/3")},
			"supplierGroup": map[string]any{"supplierGroupNumber": 1, "self": c.link("/supplier-groups/1")},
			"vatZone":       map[string]any{"vatZoneNumber": VatZoneDomestic, "self": c.link("/vat-zones/1")},
			"layout":        map[string]any{"layoutNumber": 1, "self": c.link("/layouts/1")},
			"self":          c.link("/suppliers/" + itoa(sp.number))}
		if sp.cvr != "" {
			it["corporateIdentificationNumber"] = sp.cvr
		}
		items = append(items, it)
	}
	c.collection(items, map[string]func(map[string]any) string{"supplierNumber": num("supplierNumber"), "name": num("name")}, "/suppliers")
}
