package economic

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"bilag/connectors"
)

// The pairing's tables (connectors.Pairing), worded on the pairing page
// as "economic-export.pairing.<table>":
//   - salesAccount (open): a source sales account → the product group its
//     lines go to (seed 001: groups named after the front system's sales
//     accounts);
//   - product (open): a source sales account → the product its lines
//     carry when the source names none; empty: Bilag creates the product
//     "bilag-<sales account>" in the paired group (newProductNumber);
//   - paymentTerm (open): the source's terms ("net:30", "currentMonth:30",
//     "cash") → an e-conomic payment term of that type and days;
//   - vatCode (open): a source VAT code → an e-conomic VAT code (the
//     voucher method's contra VAT; the invoice method's VAT check);
//   - customerGroup, vatZone (rows domestic, eu, abroad by the customer's
//     country), layout and currency (row default): what a new customer
//     is created with;
//   - setting: exportMethod (invoice, the default, or voucher) and journal
//     (the voucher method's, default 1 "Daily").
const (
	TableSalesAccount  = "salesAccount"
	TableProduct       = "product"
	TablePaymentTerm   = "paymentTerm"
	TableVatCode       = "vatCode"
	TableCustomerGroup = "customerGroup"
	TableVatZone       = "vatZone"
	TableLayout        = "layout"
	TableCurrency      = "currency"
	TableSetting       = "setting"
)

// The fixed keys.
const (
	ZoneDomestic   = "domestic"
	ZoneEU         = "eu"
	ZoneAbroad     = "abroad"
	KeyDefault     = "default"
	SettingMethod  = "exportMethod"
	SettingJournal = "journal"
	MethodInvoice  = "invoice"
	MethodVoucher  = "voucher"
	// defaultJournal is seed 001's: journal 1, usually "Daily".
	defaultJournal   = 1
	newProductPrefix = "bilag-"
	wordsPrefix      = ExportName + ".pairing."
)

var zoneKeys = []string{ZoneDomestic, ZoneEU, ZoneAbroad}

// euCountries are the EU's member states (ISO 3166-1): a customer there is
// in the EU VAT zone unless it is the agreement's own country.
var euCountries = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
	"LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}

// zoneKey is the vatZone row of a customer in country, seen from an
// agreement in home; no country is home.
func zoneKey(country, home string) string {
	c := strings.ToUpper(strings.TrimSpace(country))
	switch {
	case c == "" || c == home:
		return ZoneDomestic
	case slices.Contains(euCountries, c):
		return ZoneEU
	}
	return ZoneAbroad
}

// newProductNumber is the product Bilag creates for a sales account's
// lines when the pairing names none.
func newProductNumber(account string) string { return newProductPrefix + account }

// ExportExt is the export's extension of an invoice,
// Extensions["economic-export"].
type ExportExt struct {
	// PaymentTerms is the source's terms when the dates alone do not say
	// them: "net:30", "currentMonth:30" (e-conomic's invoiceMonth), "cash".
	PaymentTerms string `json:"paymentTerms,omitempty"`
}

// extOf reads inv's extension; ok is false when it is not one.
func extOf(inv connectors.Invoice) (ExportExt, bool) {
	raw, has := inv.Extensions[ExportName]
	if !has {
		return ExportExt{}, true
	}
	var x ExportExt
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil {
		return ExportExt{}, false
	}
	return x, true
}

// termKey is the source's payment terms of inv: its extension's, else net
// days from the invoice date to the due date; "" when neither is given.
func termKey(inv connectors.Invoice) string {
	if x, ok := extOf(inv); ok && x.PaymentTerms != "" {
		return x.PaymentTerms
	}
	if inv.InvoiceDate.IsZero() || inv.DueDate.IsZero() {
		return ""
	}
	days := int(inv.DueDate.Time().Sub(inv.InvoiceDate.Time()).Hours() / 24)
	return "net:" + strconv.Itoa(days)
}

// termOf reads a terms key: e-conomic's paymentTermsType and days.
func termOf(key string) (kind string, days int, ok bool) {
	if key == "cash" {
		return PaymentTermsPaidInCash, 0, true
	}
	k, d, found := strings.Cut(key, ":")
	n, err := strconv.Atoi(d)
	if !found || err != nil || n < 0 || n > 999 || d != strconv.Itoa(n) {
		return "", 0, false
	}
	switch k {
	case "net":
		return PaymentTermsNet, n, true
	case "currentMonth":
		return PaymentTermsInvoiceMonth, n, true
	}
	return "", 0, false
}

// settingOf is a setting's value, its default when none is paired.
func settingOf(p connectors.Pairing, key string) string {
	v := strings.TrimSpace(p.Value(TableSetting, key))
	switch {
	case v != "":
		return v
	case key == SettingMethod:
		return MethodInvoice
	case key == SettingJournal:
		return strconv.Itoa(defaultJournal)
	}
	return ""
}

// currencyOf is the currency a new customer is created in when the
// source names none: the pairing's, else the agreement's base currency,
// else DKK.
func currencyOf(p connectors.Pairing, d *grantData) string {
	if v := strings.ToUpper(strings.TrimSpace(p.Value(TableCurrency, KeyDefault))); v != "" {
		return v
	}
	if d != nil && d.Currency != "" {
		return d.Currency
	}
	return "DKK"
}

// PairingTables reads e-conomic's lists live and describes every table,
// with rows for the codes seen uses and suggestions where names or
// numbers match.
func (e *Export) PairingTables(ctx context.Context, g connectors.Grant, p connectors.Pairing, seen []connectors.Invoice) ([]connectors.PairingTable, error) {
	d, err := e.agreementOf(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("economic export: pairing tables: %w", err)
	}
	l, err := e.listsOf(ctx, g, true)
	if err != nil {
		return nil, fmt.Errorf("economic export: pairing tables: %w", err)
	}
	u := usesOf(seen)
	return []connectors.PairingTable{
		openTable(TableSalesAccount, p, u.accounts, groupOptions(l), l.suggestGroup),
		productTable(p, u.accounts, l),
		openTable(TablePaymentTerm, p, u.terms, termOptions(l), l.suggestTerm),
		openTable(TableVatCode, p, u.vatCodes, vatOptions(l), l.suggestVat),
		fixedTable(TableCustomerGroup, p, zoneKeys, customerGroupOptions(l), l.suggestCustomerGroup),
		fixedTable(TableVatZone, p, zoneKeys, zoneOptions(l), l.suggestZone),
		fixedTable(TableLayout, p, []string{KeyDefault}, layoutOptions(l), l.suggestLayout),
		fixedTable(TableCurrency, p, []string{KeyDefault}, nil, func(string) string { return currencyOf(nil, d) }),
		fixedTable(TableSetting, p, []string{SettingMethod, SettingJournal}, nil, func(k string) string { return settingOf(nil, k) }),
	}, nil
}

// uses counts, per source code, the invoices that use it.
type uses struct {
	accounts, terms, vatCodes map[string]int
}

func usesOf(invs []connectors.Invoice) uses {
	u := uses{accounts: map[string]int{}, terms: map[string]int{}, vatCodes: map[string]int{}}
	for _, inv := range invs {
		accounts, codes := map[string]bool{}, map[string]bool{}
		for _, line := range inv.Lines {
			if a := strings.TrimSpace(line.SalesAccount); a != "" && line.ProductNumber == "" {
				accounts[a] = true
			}
			if c := strings.TrimSpace(line.VATCode); c != "" {
				codes[c] = true
			}
		}
		for a := range accounts {
			u.accounts[a]++
		}
		for c := range codes {
			u.vatCodes[c]++
		}
		if k := termKey(inv); k != "" {
			u.terms[k]++
		}
	}
	return u
}

// openTable has a row for every key paired or seen, in order.
func openTable(name string, p connectors.Pairing, seen map[string]int, opts []connectors.PairingOption, suggest func(string) string) connectors.PairingTable {
	keys := map[string]bool{}
	for k := range p[name] {
		keys[k] = true
	}
	for k := range seen {
		keys[k] = true
	}
	t := connectors.PairingTable{Name: name, Options: opts, Open: true}
	for _, k := range slices.SortedFunc(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}, compareCodes) {
		row := connectors.PairingRow{Key: k, Value: p.Value(name, k), Uses: seen[k]}
		if row.Value == "" {
			row.Suggested = suggest(k)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// compareCodes orders numbers as numbers, then text.
func compareCodes(a, b string) int {
	na, ea := strconv.ParseInt(a, 10, 64)
	nb, eb := strconv.ParseInt(b, 10, 64)
	switch {
	case ea == nil && eb == nil && na != nb:
		if na < nb {
			return -1
		}
		return 1
	case ea == nil && eb != nil:
		return -1
	case ea != nil && eb == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// fixedTable has the rows keys, each labelled by its catalogue key.
func fixedTable(name string, p connectors.Pairing, keys []string, opts []connectors.PairingOption, suggest func(string) string) connectors.PairingTable {
	t := connectors.PairingTable{Name: name, Options: opts}
	for _, k := range keys {
		row := connectors.PairingRow{Key: k, Label: wordsPrefix + name + "." + k, Value: p.Value(name, k)}
		if row.Value == "" {
			row.Suggested = suggest(k)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// productTable is the product table: a row per sales account, whose
// label says what an empty value does (Bilag creates "bilag-<account>"
// in the paired group) or that the product named is used.
func productTable(p connectors.Pairing, seen map[string]int, l *exportLists) connectors.PairingTable {
	t := openTable(TableProduct, p, seen, productOptions(l), l.suggestProduct)
	for i, r := range t.Rows {
		t.Rows[i].Label = wordsPrefix + "product.existing"
		if r.Value == "" {
			t.Rows[i].Label = wordsPrefix + "product.new"
		}
	}
	return t
}
