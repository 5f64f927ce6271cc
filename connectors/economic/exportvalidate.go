package economic

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

// The finding codes of ValidateInvoices beside the core's
// ("invoice.required", "invoice.too_long", …), worded as
// "economic-export.imports.f.<code>".
const (
	CodeNumber         = "number"          // not an integer from 1 to 999999999
	CodeNumberTwice    = "number_twice"    // the batch has the number twice
	CodeCVR            = "cvr"             // a Danish customer's CVR is not 8 digits
	CodeCustomerNumber = "customer_number" // warning: not numeric, so not e-conomic's customer number
	CodeDecimals       = "decimals"        // more decimals than e-conomic takes
	CodeAmount         = "amount"          // the line's amount is not quantity × unit price
	CodeNoLines        = "no_lines"
	CodeExtension      = "extension"     // the extension is not ExportExt
	CodePaymentTerms   = "payment_terms" // not net:N, currentMonth:N or cash
	CodePDFTooLarge    = "pdf_too_large" // more than e-conomic's 9.0 MB per file
)

// The lengths e-conomic's schemas allow (_customers.md, _products.md,
// _invoices.md).
const (
	maxCustomerName = 255
	maxCVR          = 40
	maxLineText     = 2500
	maxProductNo    = 25
	// maxBookNumber: bookWithNumber is an integer; the sandbox and Bilag
	// keep to nine digits (an inference: e-conomic names no bound).
	maxBookNumber = 999999999
)

// ValidateInvoices checks each invoice against e-conomic's rules, all at
// once: the number e-conomic books it with (an integer: bookWithNumber
// and a voucher's customerInvoice are), the customer, dates, currency,
// the lines' decimals and amounts, the PDF. It reads nothing upstream.
func (e *Export) ValidateInvoices(_ context.Context, g connectors.Grant, batch []connectors.Invoice) ([]connectors.InvoiceCheck, error) {
	d, err := readGrant(g)
	if err != nil {
		return nil, err
	}
	home := d.Country
	if home == "" {
		home = "DK"
	}
	out := make([]connectors.InvoiceCheck, len(batch))
	first := map[string]int{}
	for i, inv := range batch {
		v := &invoiceRules{}
		v.invoice(inv, home)
		if j, seen := first[inv.Number]; seen && inv.Number != "" {
			v.add(0, "number", CodeNumberTwice, strconv.Itoa(j+1))
		} else {
			first[inv.Number] = i
		}
		out[i].Findings = v.findings
		if !v.errors() {
			out[i].Key, out[i].Digest = inv.Number, digestOf(inv)
		}
	}
	return out, nil
}

// digestOf is the SHA-256 of the invoice as Bilag would send it.
func digestOf(inv connectors.Invoice) string {
	b, err := json.Marshal(inv)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

type invoiceRules struct {
	findings []connectors.InvoiceFinding
}

func (v *invoiceRules) add(line int, field, code, arg string) {
	v.findings = append(v.findings, connectors.InvoiceFinding{Line: line, Field: field, Code: code, Arg: arg})
}

func (v *invoiceRules) warn(line int, field, code, arg string) {
	v.findings = append(v.findings, connectors.InvoiceFinding{Line: line, Field: field, Code: code, Arg: arg, Warning: true})
}

func (v *invoiceRules) errors() bool {
	for _, f := range v.findings {
		if !f.Warning {
			return true
		}
	}
	return false
}

func (v *invoiceRules) invoice(inv connectors.Invoice, home string) {
	if n, err := strconv.ParseInt(inv.Number, 10, 64); inv.Number == "" {
		v.add(0, "number", "invoice.required", "")
	} else if err != nil || n < 1 || n > maxBookNumber || strconv.FormatInt(n, 10) != inv.Number {
		v.add(0, "number", CodeNumber, "")
	}
	if inv.InvoiceDate.IsZero() {
		v.add(0, "invoiceDate", "invoice.required", "")
	}
	x, ok := extOf(inv)
	switch {
	case !ok:
		v.add(0, "extensions."+ExportName, CodeExtension, "")
	case x.PaymentTerms != "":
		if _, _, ok := termOf(x.PaymentTerms); !ok {
			v.add(0, "extensions."+ExportName+".paymentTerms", CodePaymentTerms, "")
		}
	case inv.DueDate.IsZero():
		v.add(0, "dueDate", "invoice.required", "")
	}
	if !inv.DueDate.IsZero() && inv.DueDate.Before(inv.InvoiceDate) {
		v.add(0, "dueDate", "invoice.due_before", "")
	}
	v.customer(inv.Customer, home)
	v.pdf(inv.PDF)
	if len(inv.Lines) == 0 {
		v.add(0, "lines", CodeNoLines, "")
	}
	for i, l := range inv.Lines {
		v.line(i+1, l)
	}
}

func (v *invoiceRules) customer(c connectors.Customer, home string) {
	if strings.TrimSpace(c.Name) == "" {
		v.add(0, "customer.name", "invoice.required", "")
	} else if utf8.RuneCountInString(c.Name) > maxCustomerName {
		v.add(0, "customer.name", "invoice.too_long", strconv.Itoa(maxCustomerName))
	}
	cvr := cvrOf(c.OrgNumber)
	switch {
	case cvr == "":
	case len(cvr) > maxCVR:
		v.add(0, "customer.orgNumber", "invoice.too_long", strconv.Itoa(maxCVR))
	case zoneKey(c.Country, home) == ZoneDomestic && home == "DK" && (len(cvr) != 8 || !allDigits(cvr)):
		v.add(0, "customer.orgNumber", CodeCVR, "")
	}
	if c.Number != "" {
		if n, err := strconv.ParseInt(c.Number, 10, 64); err != nil || n < 1 || n > maxBookNumber {
			v.warn(0, "customer.number", CodeCustomerNumber, "")
		}
	}
	if c.Currency != "" && !upper(c.Currency, 3) {
		v.add(0, "customer.currency", "invoice.currency", "")
	}
	if c.Country != "" && !upper(c.Country, 2) {
		v.add(0, "customer.country", "invoice.country", "")
	}
}

func (v *invoiceRules) pdf(p *connectors.InvoicePDF) {
	switch {
	case p == nil:
	case !strings.HasPrefix(string(p.Data[:min(len(p.Data), 5)]), "%PDF-"):
		v.add(0, "pdf", "invoice.pdf", "")
	case len(p.Data) > maxAttachment-64<<10:
		v.add(0, "pdf", CodePDFTooLarge, "")
	}
}

func (v *invoiceRules) line(n int, l connectors.InvoiceLine) {
	if utf8.RuneCountInString(l.Text) > maxLineText {
		v.add(n, "text", "invoice.too_long", strconv.Itoa(maxLineText))
	}
	acct := strings.TrimSpace(l.SalesAccount)
	switch {
	case l.ProductNumber != "" && utf8.RuneCountInString(l.ProductNumber) > maxProductNo:
		v.add(n, "productNumber", "invoice.too_long", strconv.Itoa(maxProductNo))
	case l.ProductNumber == "" && acct == "":
		v.add(n, "salesAccount", "invoice.required", "")
	case l.ProductNumber == "" && len(newProductNumber(acct)) > maxProductNo:
		v.add(n, "salesAccount", "invoice.too_long", strconv.Itoa(maxProductNo-len(newProductPrefix)))
	}
	// "unitNetPrice scale cannot be greater then two decimal places"
	// (E04740); quantities have two decimals too (_invoices.md).
	if l.Quantity.Decimals() > 2 {
		v.add(n, "quantity", CodeDecimals, "2")
	}
	if l.UnitPrice.Decimals() > 2 {
		v.add(n, "unitPrice", CodeDecimals, "2")
	}
	// e-conomic computes a line's amount itself, from quantity and unit
	// price: an amount of the source's that differs cannot be kept.
	if l.Amount != nil && l.Amount.Round(2)/100 != connectors.MulRound(l.Quantity, l.UnitPrice) {
		v.add(n, "amount", CodeAmount, "")
	}
}

// cvrOf is an organisation number without spaces and a "DK" prefix.
func cvrOf(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if len(s) > 2 && strings.EqualFold(s[:2], "DK") && allDigits(s[2:]) {
		s = s[2:]
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func upper(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
