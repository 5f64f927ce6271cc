package sandbox

import (
	"fmt"
	"slices"
	"strconv"
)

// The ledger's endpoints, from the OpenAPI document's AccountApi,
// OpeningBalancesApi, CustomerApi and SupplierApi (field names as there).

type accountJSON struct {
	Name                 string  `json:"Name"`
	Number               string  `json:"Number"`
	VatCodeID            *string `json:"VatCodeId"`
	VatCodeDescription   *string `json:"VatCodeDescription"`
	FiscalYearID         string  `json:"FiscalYearId"`
	ReferenceCode        *string `json:"ReferenceCode"`
	Type                 int     `json:"Type"`
	TypeDescription      *string `json:"TypeDescription"`
	ModifiedUtc          string  `json:"ModifiedUtc"`
	CreatedUtc           string  `json:"CreatedUtc"`
	IsActive             bool    `json:"IsActive"`
	AllowTransactionText bool    `json:"AllowTransactionText"`
}

// chartAccounts is every account the demo world books to, by number.
func chartAccounts(country string) []account {
	ch := chartOf(country)
	out := append([]account{ch.payables, ch.vatIn, ch.bank, ch.receivables, ch.sales, ch.vatOut, ch.vatSettle}, expenseAccounts(country)...)
	slices.SortFunc(out, func(a, b account) int { return int(a.number - b.number) })
	return out
}

func (s *Sandbox) getAccounts(c *call) {
	fy, ok := s.fiscalYearIndex(c)
	if !ok {
		return
	}
	co := c.company
	accts := chartAccounts(co.Country)
	fields := map[string]fieldKind{"Number": kString, "Name": kString}
	list(c, len(accts), fields, func(i int, f string) value {
		if f == "Number" {
			return value{kind: kString, s: strconv.FormatInt(accts[i].number, 10)}
		}
		return value{kind: kString, s: accts[i].name}
	}, func(i int) accountJSON {
		a := accts[i]
		created := isoTime(co.fiscalYears[fy].start)
		return accountJSON{Name: a.name, Number: strconv.FormatInt(a.number, 10), FiscalYearID: co.fiscalYears[fy].id.String(),
			ModifiedUtc: created, CreatedUtc: created, IsActive: true, AllowTransactionText: true}
	})
}

type openingBalanceJSON struct {
	Name    *string `json:"Name"`
	Number  int64   `json:"Number"`
	Balance float64 `json:"Balance"`
}

// getOpeningBalances answers for the first fiscal year, which in the demo
// world starts from nothing: every balance account at zero.
func (s *Sandbox) getOpeningBalances(c *call) {
	var bal []account
	for _, a := range chartAccounts(c.company.Country) {
		if a.number < 3000 {
			bal = append(bal, a)
		}
	}
	list(c, len(bal), map[string]fieldKind{"Number": kNumber}, func(i int, _ string) value {
		return value{kind: kNumber, n: float64(bal[i].number)}
	}, func(i int) openingBalanceJSON {
		return openingBalanceJSON{Name: strp(bal[i].name), Number: bal[i].number}
	})
}

type customerJSON struct {
	ID                      string  `json:"Id"`
	CustomerNumber          string  `json:"CustomerNumber"`
	Name                    string  `json:"Name"`
	CorporateIdentityNumber *string `json:"CorporateIdentityNumber"`
	InvoiceCountryCode      string  `json:"InvoiceCountryCode"`
	CurrencyCode            string  `json:"CurrencyCode"`
	IsPrivatePerson         bool    `json:"IsPrivatePerson"`
	IsActive                bool    `json:"IsActive"`
}

type supplierJSON struct {
	ID                      string  `json:"Id"`
	SupplierNumber          string  `json:"SupplierNumber"`
	Name                    string  `json:"Name"`
	CorporateIdentityNumber *string `json:"CorporateIdentityNumber"`
	CountryCode             string  `json:"CountryCode"`
	CurrencyCode            string  `json:"CurrencyCode"`
	IsActive                bool    `json:"IsActive"`
}

func (s *Sandbox) getCustomers(c *call) {
	co := c.company
	names := customers(co.Country)
	list(c, len(names), map[string]fieldKind{"Name": kString}, func(i int, _ string) value {
		return value{kind: kString, s: names[i]}
	}, func(i int) customerJSON {
		return customerJSON{ID: derivedUID(co.id, uint64(1000+i)).String(), CustomerNumber: strconv.Itoa(i + 1), Name: names[i],
			CorporateIdentityNumber: strp(fmt.Sprintf("556%03d-%04d", 100+i, 1000+i*7)), InvoiceCountryCode: co.Country,
			CurrencyCode: currencyOf(co), IsActive: true}
	})
}

func (s *Sandbox) getSuppliers(c *call) {
	co := c.company
	names := suppliers(co.Country)
	list(c, len(names), map[string]fieldKind{"Name": kString}, func(i int, _ string) value {
		return value{kind: kString, s: names[i]}
	}, func(i int) supplierJSON {
		return supplierJSON{ID: derivedUID(co.id, uint64(2000+i)).String(), SupplierNumber: strconv.Itoa(i + 1), Name: names[i],
			CorporateIdentityNumber: strp(fmt.Sprintf("556%03d-%04d", 200+i, 2000+i*7)), CountryCode: co.Country,
			CurrencyCode: currencyOf(co), IsActive: true}
	})
}
