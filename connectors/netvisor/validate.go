package netvisor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"bilag/connectors"
)

// The finding codes of ValidateInvoices, each worded by
// "netvisor.imports.f.<code>" and each a rule of the seed (salesinvoice.nv)
// but where marked Bilag's own.
const (
	fRequired      = "required"       // a mandatory element (the seed's list)
	fTooLong       = "too_long"       // longer than the element's max; Arg the max
	fLatin9        = "latin9"         // a character ISO-8859-15 lacks
	fNumberDigits  = "number_digits"  // salesinvoicenumber: an integer of at most 18 digits
	fNumberTwice   = "number_twice"   // Bilag's: one number twice in a batch
	fDueAndTerms   = "due_and_terms"  // due date and payment term both
	fDueOrTerms    = "due_or_terms"   // neither
	fDueBefore     = "due_before"     // due date before the invoice date
	fGivenTwice    = "given_twice"    // two links for one customer or product
	fDigits        = "digits"         // a key or numeric element that is not digits
	fReference     = "reference"      // not a reference number with its check digit
	fCurrency      = "currency"       // not ISO 4217
	fNoLines       = "no_lines"       // at least one invoice line
	fNegativePrice = "negative_price" // a credit note's quantity is negative, not its price
	fPercent       = "percent"        // 0–100
	fPriceType     = "price_type"     // net or gross
	fTotal         = "total"          // the total given differs from the lines'; Arg theirs
	fExtension     = "extension"      // the extension is not Netvisor's fields
	fAccrual       = "accrual"        // an accrual rule against the seed's
	fAccrualPast   = "accrual_past"   // an accrual cannot start before the invoice's month
	fTagType       = "tag_type"       // float, date, text or enum
	fMimeType      = "mime_type"      // type/subtype
	fAttachType    = "attachment_type"
	fPrintFinvoice = "print_finvoice" // printbydefault with a finvoice attachment
	fCashDiscount  = "cash_discount"  // days and percent together
	fPositive      = "positive"       // a count of days, at least 0
)

// finder collects one invoice's findings.
type finder struct{ fs []connectors.InvoiceFinding }

func (f *finder) add(line int, field, code, arg string) {
	f.fs = append(f.fs, connectors.InvoiceFinding{Line: line, Field: field, Code: code, Arg: arg})
}

// text checks a text element: required or not, at most max characters
// (0: no max), ISO-8859-15.
func (f *finder) text(line int, field, v string, required bool, max int) {
	switch {
	case v == "" && required:
		f.add(line, field, fRequired, "")
	case max > 0 && utf8.RuneCountInString(v) > max:
		f.add(line, field, fTooLong, strconv.Itoa(max))
	}
	if !latin9OK(v) {
		f.add(line, field, fLatin9, "")
	}
}

func (f *finder) percent(line int, field string, d *connectors.Decimal) {
	if d != nil && (*d < 0 || *d > 100*connectors.DecimalScale) {
		f.add(line, field, fPercent, "")
	}
}

const extField = "extensions." + Name

// ValidateInvoices checks each invoice against the seed's rules for
// salesinvoice.nv, all at once; it reads nothing upstream (the customers,
// products and VAT pairing are Preflight's).
func (c *Connector) ValidateInvoices(ctx context.Context, g connectors.Grant, batch []connectors.Invoice) ([]connectors.InvoiceCheck, error) {
	out := make([]connectors.InvoiceCheck, len(batch))
	seen := map[string]int{}
	for i, inv := range batch {
		fs := validateInvoice(inv)
		if n := inv.Number; n != "" {
			if _, twice := seen[n]; twice {
				fs = append(fs, connectors.InvoiceFinding{Field: "number", Code: fNumberTwice})
			}
			seen[n]++
		}
		out[i].Findings = fs
		if len(fs) == 0 {
			out[i].Key, out[i].Digest = keyOf(inv)
		}
	}
	return out, nil
}

// keyOf is the invoice's number (Netvisor keeps it: salesinvoicenumber)
// and the hex SHA-256 of the invoice as Bilag holds it.
func keyOf(inv connectors.Invoice) (key, digest string) {
	b, _ := json.Marshal(inv) // the neutral invoice always marshals
	sum := sha256.Sum256(b)
	return inv.Number, hex.EncodeToString(sum[:])
}

// validateInvoice is every finding of one invoice.
func validateInvoice(inv connectors.Invoice) []connectors.InvoiceFinding {
	var f finder
	var ext InvoiceExt
	if err := readExt(inv.Extensions, &ext); err != nil {
		f.add(0, extField, fExtension, "")
	}
	checkHead(&f, inv, ext)
	checkCustomer(&f, inv, ext)
	checkTexts(&f, ext, inv)
	checkAccrual(&f, 0, extField+".accrual", ext.Accrual, inv.InvoiceDate)
	checkTags(&f, ext.CustomTags)
	checkAttachments(&f, ext.Attachments, inv.PDF)
	if len(inv.Lines) == 0 {
		f.add(0, "lines", fNoLines, "")
	}
	for i, l := range inv.Lines {
		checkLine(&f, i+1, l, inv.InvoiceDate)
	}
	checkTotal(&f, inv, ext)
	return f.fs
}

func checkHead(f *finder, inv connectors.Invoice, ext InvoiceExt) {
	switch {
	case inv.Number == "":
		f.add(0, "number", fRequired, "")
	case len(inv.Number) > 18 || !allDigits(inv.Number):
		f.add(0, "number", fNumberDigits, "")
	}
	if inv.InvoiceDate.IsZero() {
		f.add(0, "invoiceDate", fRequired, "")
	}
	switch {
	case !inv.DueDate.IsZero() && ext.PaymentTermNetDays != nil:
		f.add(0, extField+".paymentTermNetDays", fDueAndTerms, "")
	case inv.DueDate.IsZero() && ext.PaymentTermNetDays == nil:
		f.add(0, "dueDate", fDueOrTerms, "")
	case !inv.DueDate.IsZero() && !inv.InvoiceDate.IsZero() && inv.DueDate.Before(inv.InvoiceDate):
		f.add(0, "dueDate", fDueBefore, "")
	}
	if d := ext.PaymentTermNetDays; d != nil && *d < 0 {
		f.add(0, extField+".paymentTermNetDays", fPositive, "")
	}
	if (ext.CashDiscountDays == nil) != (ext.CashDiscountPercent == nil) || (ext.CashDiscountDays != nil && *ext.CashDiscountDays < 0) {
		f.add(0, extField+".cashDiscountDays", fCashDiscount, "")
	}
	f.percent(0, extField+".cashDiscountPercent", ext.CashDiscountPercent)
	f.percent(0, extField+".overrideRateOfOverdue", ext.OverrideRateOfOverdue)
	if r := ext.ReferenceNumber; r != "" && !validReference(r) {
		f.add(0, extField+".referenceNumber", fReference, "")
	}
	if cur := inv.Customer.Currency; cur != "" && (len(cur) != 3 || strings.ToUpper(cur) != cur || !isLetters(cur)) {
		f.add(0, "customer.currency", fCurrency, "")
	}
	if ext.PriceType != "" && ext.PriceType != "net" && ext.PriceType != "gross" {
		f.add(0, extField+".priceType", fPriceType, "")
	}
	if r := ext.CurrencyRate; r != nil && *r <= 0 {
		f.add(0, extField+".currencyRate", fPositive, "")
	}
	if o := ext.OrderNumber; o != "" && !allDigits(o) {
		f.add(0, extField+".orderNumber", fDigits, "")
	}
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// checkCustomer: the invoicing customer's link is mandatory, one of three.
func checkCustomer(f *finder, inv connectors.Invoice, ext InvoiceExt) {
	switch {
	case ext.CustomerNetvisorKey != "" && ext.CustomerCode != "":
		f.add(0, extField+".customerNetvisorKey", fGivenTwice, "")
	case ext.CustomerNetvisorKey != "" && !allDigits(ext.CustomerNetvisorKey):
		f.add(0, extField+".customerNetvisorKey", fDigits, "")
	case ext.CustomerNetvisorKey == "" && ext.CustomerCode == "" && inv.Customer.Number == "":
		f.add(0, "customer.number", fRequired, "")
	}
	f.text(0, extField+".customerCode", ext.CustomerCode, false, 0)
	f.text(0, "customer.number", inv.Customer.Number, false, 0)
}

// checkTexts: the invoice's free texts, each with the seed's max.
func checkTexts(f *finder, ext InvoiceExt, inv connectors.Invoice) {
	f.text(0, extField+".freeTextBeforeLines", ext.FreeTextBeforeLines, false, 500)
	f.text(0, extField+".freeTextAfterLines", ext.FreeTextAfterLines, false, 500)
	f.text(0, extField+".ourReference", ext.OurReference, false, 200)
	f.text(0, extField+".yourReference", ext.YourReference, false, 200)
	// Bilag's mark takes a line of the seed's 500 (Bilag's rule).
	f.text(0, extField+".privateComment", ext.PrivateComment, false, 500-len("\nbilag:")-16)
	f.text(0, extField+".agreementIdentifier", ext.AgreementIdentifier, false, 35)
	f.text(0, extField+".accountDimensionText", ext.AccountDimensionText, false, 35)
}

// checkAccrual: the seed's accrualrule. Start month and year are
// required; even distribution gives the end month and year, a curve its
// name, never both; an accrual cannot reach into the past, and one of a
// single month cannot be the invoice's own month.
func checkAccrual(f *finder, line int, field string, a *Accrual, invoiceDate connectors.Date) {
	if a == nil {
		return
	}
	month := func(m int) bool { return m >= 1 && m <= 12 }
	even := a.EndMonth != 0 || a.EndYear != 0
	switch {
	case !month(a.StartMonth) || a.StartYear < 1900:
		f.add(line, field, fAccrual, "")
		return
	case even && a.DivisionCurveName != "", !even && a.DivisionCurveName == "":
		f.add(line, field, fAccrual, "")
		return
	case even && (!month(a.EndMonth) || a.EndYear*12+a.EndMonth < a.StartYear*12+a.StartMonth):
		f.add(line, field, fAccrual, "")
		return
	}
	f.text(line, field+".divisionCurveName", a.DivisionCurveName, false, 0)
	if invoiceDate.IsZero() {
		return
	}
	start, own := a.StartYear*12+a.StartMonth, invoiceDate.Year*12+int(invoiceDate.Month)
	single := even && a.EndYear*12+a.EndMonth == start
	if start < own || (single && start == own) {
		f.add(line, field, fAccrualPast, "")
	}
}

func checkTags(f *finder, tags []CustomTag) {
	for i, t := range tags {
		field := extField + ".customTags." + strconv.Itoa(i)
		f.text(0, field+".name", t.Name, true, 0)
		f.text(0, field+".value", t.Value, true, 0)
		switch t.Type {
		case "float", "date", "text", "enum":
		default:
			f.add(0, field+".type", fTagType, "")
		}
	}
}

// checkAttachments: the seed's salesinvoiceattachment, and the invoice's
// own PDF as one.
func checkAttachments(f *finder, as []Attachment, pdf *connectors.InvoicePDF) {
	for i, a := range as {
		field := extField + ".attachments." + strconv.Itoa(i)
		f.text(0, field+".mimeType", a.MimeType, true, 0)
		if t, s, ok := strings.Cut(a.MimeType, "/"); a.MimeType != "" && (!ok || t == "" || s == "" || strings.ContainsAny(a.MimeType, " ;")) {
			f.add(0, field+".mimeType", fMimeType, "")
		}
		f.text(0, field+".description", a.Description, true, 100)
		f.text(0, field+".fileName", a.FileName, true, 255)
		if len(a.Data) == 0 {
			f.add(0, field+".data", fRequired, "")
		}
		switch a.Type {
		case "", "pdf":
		case "finvoice":
			if a.PrintByDefault {
				f.add(0, field+".printByDefault", fPrintFinvoice, "")
			}
		default:
			f.add(0, field+".type", fAttachType, "")
		}
	}
	if pdf != nil {
		f.text(0, "pdf.fileName", pdf.FileName, true, 255)
		if len(pdf.Data) == 0 {
			f.add(0, "pdf.data", fRequired, "")
		}
	}
}

// checkLine: the seed's mandatory line elements and their rules.
func checkLine(f *finder, n int, l connectors.InvoiceLine, invoiceDate connectors.Date) {
	var ext LineExt
	if err := readExt(l.Extensions, &ext); err != nil {
		f.add(n, extField, fExtension, "")
	}
	switch {
	case l.ProductNumber != "" && ext.ProductNetvisorKey != "":
		f.add(n, extField+".productNetvisorKey", fGivenTwice, "")
	case ext.ProductNetvisorKey != "" && !allDigits(ext.ProductNetvisorKey):
		f.add(n, extField+".productNetvisorKey", fDigits, "")
	case l.ProductNumber == "" && ext.ProductNetvisorKey == "":
		f.add(n, "productNumber", fRequired, "")
	}
	f.text(n, "productNumber", l.ProductNumber, false, 0)
	f.text(n, "text", l.Text, true, 200)
	if l.VATCode == "" {
		f.add(n, "vatCode", fRequired, "")
	}
	if l.UnitPrice < 0 {
		f.add(n, "unitPrice", fNegativePrice, "")
	}
	if l.SalesAccount != "" && !allDigits(l.SalesAccount) {
		f.add(n, "salesAccount", fDigits, "")
	}
	f.text(n, extField+".freeText", ext.FreeText, false, 255)
	f.text(n, extField+".unitName", ext.UnitName, false, 14)
	f.text(n, extField+".accountDimensionText", ext.AccountDimensionText, false, 35)
	f.percent(n, extField+".discountPercentage", ext.DiscountPercentage)
	f.percent(n, extField+".provisionPercentage", ext.ProvisionPercentage)
	if o := ext.OrderNumber; o != "" && !allDigits(o) {
		f.add(n, extField+".orderNumber", fDigits, "")
	}
	for i, d := range ext.Dimensions {
		field := extField + ".dimensions." + strconv.Itoa(i)
		f.text(n, field+".name", d.Name, true, 50)
		f.text(n, field+".item", d.Item, true, 200)
	}
	checkAccrual(f, n, extField+".accrual", ext.Accrual, invoiceDate)
}

// checkTotal: a total given must be the lines' (their sums with VAT are
// only known with the pairing, so it is checked at sending too; here the
// net sum of a gross invoice, whose lines are already with VAT).
func checkTotal(f *finder, inv connectors.Invoice, ext InvoiceExt) {
	if ext.Total == nil || ext.PriceType != "gross" {
		return
	}
	if want := inv.Total(); ext.Total.Round(2)/100 != want {
		f.add(0, extField+".total", fTotal, amount(want))
	}
}
