package economic

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"bilag/connectors"
)

// The pre-flight's codes, worded as
// "economic-export.imports.preflight.<code>" with their args.
const (
	// product_groups_missing: accounts, invoices: no product group is
	// paired and none is named after the account (seed 001's words).
	PreflightGroupsMissing = "product_groups_missing"
	// sales_accounts_unpaired: accounts, invoices: a group is suggested
	// but not yet paired by a person.
	PreflightAccountsUnpaired = "sales_accounts_unpaired"
	// products_missing: product numbers, invoices.
	PreflightProductsMissing = "products_missing"
	// payment_term_missing.<net|currentMonth|cash>: days, invoices.
	PreflightTermMissing = "payment_term_missing"
	// payment_terms_unpaired: terms keys, invoices.
	PreflightTermsUnpaired = "payment_terms_unpaired"
	// due_date_differs: the payment term's name, invoices.
	PreflightDueDiffers = "due_date_differs"
	// vat_mismatch: account, VAT zone, e-conomic's rate, the source's
	// code, invoices.
	PreflightVatMismatch = "vat_mismatch"
	// customer_defaults.<table>.<row>: invoices with a new customer.
	PreflightCustomerDefaults = "customer_defaults"
	// year_missing, year_closed: dates or year, invoices.
	PreflightYearMissing = "year_missing"
	PreflightYearClosed  = "year_closed"
	// The voucher method's: journal_missing (number), journal_restricted
	// (number, entry type), vat_codes_unpaired (codes, invoices),
	// pdf_missing (invoices); setting_invalid (key, value).
	PreflightJournalMissing    = "journal_missing"
	PreflightJournalRestricted = "journal_restricted"
	PreflightVatUnpaired       = "vat_codes_unpaired"
	PreflightPDFMissing        = "pdf_missing"
	PreflightSettingInvalid    = "setting_invalid"
)

// Preflight checks batch against the pairing and e-conomic's lists, read
// live, and names everything missing at once, each finding with the
// invoices it concerns. It writes nothing.
func (e *Export) Preflight(ctx context.Context, g connectors.Grant, p connectors.Pairing, batch []connectors.Invoice) ([]connectors.PreflightFinding, error) {
	d, err := e.agreementOf(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("economic export: pre-flight: %w", err)
	}
	l, err := e.listsOf(ctx, g, true)
	if err != nil {
		return nil, fmt.Errorf("economic export: pre-flight: %w", err)
	}
	customers, err := list[Customer](ctx, e.x, g, "GET /customers", "/customers", nil)
	if err != nil {
		return nil, fmt.Errorf("economic export: pre-flight: %w", err)
	}
	pf := &preflight{p: p, l: l, d: d, customers: customers, sets: map[string]map[string]map[int]bool{}}
	if !pf.settings() {
		return pf.out, nil
	}
	for i, inv := range batch {
		pf.invoice(i, inv)
	}
	return pf.finish(), nil
}

// preflight gathers findings: sets[code][item] are the invoices of one
// item (a sales account, a term), turned into findings by finish.
type preflight struct {
	p         connectors.Pairing
	l         *exportLists
	d         *grantData
	customers []Customer
	voucher   bool
	sets      map[string]map[string]map[int]bool
	out       []connectors.PreflightFinding
}

func (pf *preflight) mark(code, item string, inv int) {
	if pf.sets[code] == nil {
		pf.sets[code] = map[string]map[int]bool{}
	}
	if pf.sets[code][item] == nil {
		pf.sets[code][item] = map[int]bool{}
	}
	pf.sets[code][item][inv] = true
}

// settings checks the method and journal; false when the method is not
// one, and nothing else can be judged.
func (pf *preflight) settings() bool {
	method := settingOf(pf.p, SettingMethod)
	if method != MethodInvoice && method != MethodVoucher {
		pf.out = append(pf.out, connectors.PreflightFinding{Code: PreflightSettingInvalid, Args: []string{SettingMethod, method}})
		return false
	}
	pf.voucher = method == MethodVoucher
	if !pf.voucher {
		return true
	}
	js := settingOf(pf.p, SettingJournal)
	j, ok := pf.l.journal(number(js))
	switch {
	case !ok:
		pf.out = append(pf.out, connectors.PreflightFinding{Code: PreflightJournalMissing, Args: []string{js}})
	case j.Settings.EntryTypeRestrictedTo != "" && j.Settings.EntryTypeRestrictedTo != "manualCustomerInvoice":
		pf.out = append(pf.out, connectors.PreflightFinding{Code: PreflightJournalRestricted, Args: []string{js, j.Settings.EntryTypeRestrictedTo}})
	}
	return true
}

func (pf *preflight) invoice(i int, inv connectors.Invoice) {
	zone, known := pf.customerZone(i, inv)
	pf.terms(i, inv)
	pf.year(i, inv)
	if pf.voucher && inv.PDF == nil {
		pf.mark(PreflightPDFMissing, "", i)
	}
	for _, line := range inv.Lines {
		group, ok := pf.lineGroup(i, line)
		if pf.voucher {
			if code := strings.TrimSpace(line.VATCode); pf.p.Value(TableVatCode, code) == "" {
				pf.mark(PreflightVatUnpaired, code, i)
			}
			continue
		}
		if ok && known {
			pf.vat(i, line, group, zone)
		}
	}
}

// lineGroup is the product group a line's product will be in, and
// whether it is known; it marks what is missing for it.
func (pf *preflight) lineGroup(i int, line connectors.InvoiceLine) (int64, bool) {
	if line.ProductNumber != "" {
		return pf.product(i, line.ProductNumber)
	}
	acct := strings.TrimSpace(line.SalesAccount)
	n := number(pf.p.Value(TableSalesAccount, acct))
	if _, ok := pf.l.group(n); !ok {
		code := PreflightGroupsMissing
		if pf.l.suggestGroup(acct) != "" {
			code = PreflightAccountsUnpaired
		}
		pf.mark(code, acct, i)
		return 0, false
	}
	if paired := pf.p.Value(TableProduct, acct); paired != "" {
		return pf.product(i, paired)
	}
	return n, true
}

// product is an existing product's group; a product that is not there,
// or barred, is missing.
func (pf *preflight) product(i int, number string) (int64, bool) {
	p, ok := pf.l.product(number)
	if !ok || p.Barred || p.ProductGroup == nil {
		pf.mark(PreflightProductsMissing, number, i)
		return 0, false
	}
	return p.ProductGroup.ProductGroupNumber, true
}

// customerZone is the VAT zone of the invoice's customer (an existing
// one's, else the pairing's for its country) and whether it is known; a
// new customer needs the defaults paired.
func (pf *preflight) customerZone(i int, inv connectors.Invoice) (int64, bool) {
	if c, ok := findCustomer(pf.customers, inv.Customer); ok && c.VatZone != nil {
		return c.VatZone.VatZoneNumber, true
	}
	zk := zoneKey(inv.Customer.Country, pf.d.Country)
	z, ok := pf.l.zone(number(pf.p.Value(TableVatZone, zk)))
	if !ok {
		pf.mark(PreflightCustomerDefaults+"."+TableVatZone+"."+zk, "", i)
	}
	if !pf.l.hasCustomerGroup(number(pf.p.Value(TableCustomerGroup, zk))) {
		pf.mark(PreflightCustomerDefaults+"."+TableCustomerGroup+"."+zk, "", i)
	}
	if !pf.l.hasLayout(number(pf.p.Value(TableLayout, KeyDefault))) {
		pf.mark(PreflightCustomerDefaults+"."+TableLayout+"."+KeyDefault, "", i)
	}
	return z.VatZoneNumber, ok
}

// terms: the invoice's payment term is paired, or can be; e-conomic
// computes the source's due date with it (the invoice method).
func (pf *preflight) terms(i int, inv connectors.Invoice) {
	key := termKey(inv)
	t, ok := pf.l.term(number(pf.p.Value(TablePaymentTerm, key)))
	if !ok {
		if _, exists := pf.l.termFor(key); exists {
			pf.mark(PreflightTermsUnpaired, key, i)
			return
		}
		kind, days, _ := strings.Cut(key, ":")
		pf.mark(PreflightTermMissing+"."+kind, days, i)
		return
	}
	if pf.voucher || inv.DueDate.IsZero() {
		return
	}
	if due := computeDue(inv.InvoiceDate, t); due != "" && due != inv.DueDate.String() {
		pf.mark(PreflightDueDiffers, t.Name, i)
	}
}

// computeDue is the due date e-conomic gives an invoice of date with
// term t (the sandbox's reading of the types, not documented beyond their
// names: net N days; invoiceMonth N days after the month's end; cash on
// the day); "" for dueDate, which takes the date given.
func computeDue(date connectors.Date, t PaymentTerm) string {
	d := date.Time()
	switch t.PaymentTermsType {
	case PaymentTermsNet:
		return d.AddDate(0, 0, t.DaysOfCredit).Format("2006-01-02")
	case PaymentTermsInvoiceMonth:
		end := d.AddDate(0, 1, -d.Day())
		return end.AddDate(0, 0, t.DaysOfCredit).Format("2006-01-02")
	case PaymentTermsPaidInCash:
		return date.String()
	}
	return ""
}

// year: the invoice date lies in an open accounting year.
func (pf *preflight) year(i int, inv connectors.Invoice) {
	y, ok := pf.l.yearOf(inv.InvoiceDate.String())
	switch {
	case !ok:
		pf.mark(PreflightYearMissing, inv.InvoiceDate.String(), i)
	case y.Closed:
		pf.mark(PreflightYearClosed, y.Year, i)
	}
}

// vat: the line's VAT, which e-conomic takes from the product group's
// sales account in the customer's VAT zone, is the VAT the source gave.
func (pf *preflight) vat(i int, line connectors.InvoiceLine, group, zone int64) {
	src, known := pf.sourceRate(strings.TrimSpace(line.VATCode))
	if !known {
		return
	}
	sa, ok := pf.l.salesAccount(group, zone)
	if !ok {
		return
	}
	rate := 0.0
	if va := sa.SalesAccount.VatAccount; va != nil {
		if v, ok := pf.l.vatAccount(va.VatCode); ok {
			rate = v.RatePercentage
		}
	}
	if math.Abs(rate-src) > 0.001 {
		z, _ := pf.l.zone(zone)
		item := strings.Join([]string{strconv.FormatInt(sa.SalesAccount.AccountNumber, 10), z.Name, formatRate(rate), line.VATCode}, "\x00")
		pf.mark(PreflightVatMismatch, item, i)
	}
}

// sourceRate is the VAT rate the source's code stands for: its paired
// e-conomic code's, an e-conomic code of that name's, or the code read as
// a percentage ("25").
func (pf *preflight) sourceRate(code string) (float64, bool) {
	if paired := pf.p.Value(TableVatCode, code); paired != "" {
		code = paired
	}
	if v, ok := pf.l.vatAccount(code); ok {
		return v.RatePercentage, true
	}
	r, err := strconv.ParseFloat(strings.TrimSuffix(code, "%"), 64)
	return r, err == nil && code != ""
}

func formatRate(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) + " %" }

// finish turns the gathered sets into findings, in a stable order: one
// finding per code listing its items where the seed's words do ("product
// groups missing for sales accounts 3010, 3020 (used by 14 invoices)"),
// one per item where the item is the finding.
func (pf *preflight) finish() []connectors.PreflightFinding {
	out := pf.out
	listed := []string{PreflightGroupsMissing, PreflightAccountsUnpaired, PreflightProductsMissing, PreflightTermsUnpaired, PreflightVatUnpaired}
	for _, code := range slices.Sorted(maps.Keys(pf.sets)) {
		items := pf.sets[code]
		if slices.Contains(listed, code) {
			keys := slices.SortedFunc(maps.Keys(items), compareCodes)
			invs := union(items)
			out = append(out, connectors.PreflightFinding{Code: code, Args: []string{strings.Join(keys, ", "), strconv.Itoa(len(invs))}, Invoices: invs, Counted: true})
			continue
		}
		for _, item := range slices.SortedFunc(maps.Keys(items), compareCodes) {
			invs := union(map[string]map[int]bool{item: items[item]})
			var args []string
			if item != "" {
				args = strings.Split(item, "\x00")
			}
			out = append(out, connectors.PreflightFinding{Code: code, Args: append(args, strconv.Itoa(len(invs))), Invoices: invs, Counted: true})
		}
	}
	return out
}

func union(items map[string]map[int]bool) []int {
	all := map[int]bool{}
	for _, set := range items {
		maps.Copy(all, set)
	}
	return slices.Sorted(maps.Keys(all))
}

// findCustomer is the existing customer an invoice's customer is: by CVR
// when the source gives one (the lowest number of several), else by
// customer number.
func findCustomer(cs []Customer, c connectors.Customer) (Customer, bool) {
	cvr := cvrOf(c.OrgNumber)
	n, _ := strconv.ParseInt(c.Number, 10, 64)
	var best *Customer
	for i := range cs {
		x := &cs[i]
		match := cvr != "" && cvrOf(x.CorporateIdentificationNumber) == cvr || cvr == "" && n > 0 && x.CustomerNumber == n
		if match && (best == nil || x.CustomerNumber < best.CustomerNumber) {
			best = x
		}
	}
	if best == nil {
		return Customer{}, false
	}
	return *best, true
}
