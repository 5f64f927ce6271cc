// Package invoice reads and writes Bilag's invoice format: the neutral
// connectors.Invoice as an upload (JSON, or CSV with one row per invoice
// line), its templates, and the one-invoice form. It is a source for every
// receiving connector; a connector's own upload formats are its own
// (connectors.InvoiceFormats).
//
// Reading checks what the format itself says (types, numbers, dates, codes
// shaped as ISO says) and every value at once; whether an invoice satisfies
// a target is the target's connectors.InvoiceSender.ValidateInvoices.
package invoice

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"bilag/connectors"
)

// Parsed is one invoice of an upload as read, with what reading found
// wrong. A value that could not be read is left empty in Invoice and has a
// finding.
type Parsed struct {
	Invoice  connectors.Invoice
	Findings []connectors.InvoiceFinding
}

// The formats Parse reads.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
)

// Parse reads an upload in format.
func Parse(format string, data []byte) ([]Parsed, error) {
	switch format {
	case FormatJSON:
		return ParseJSON(data)
	case FormatCSV:
		return ParseCSV(data)
	}
	return nil, &connectors.ImportFileError{Code: "format"}
}

// The finding codes of reading; the core's catalogue words each as
// "imports.f.<code>". They are prefixed so that no connector's words of
// the same name are taken for them.
const (
	CodeRequired     = "invoice.required"
	CodeWrongType    = "invoice.wrong_type"
	CodeTextExpected = "invoice.text_expected" // a number where leading zeros would be lost
	CodeTooLong      = "invoice.too_long"      // Arg: the most characters
	CodeTooMany      = "invoice.too_many"      // Arg: the most values
	CodeDecimal      = "invoice.decimal"       // not a number of at most 12 digits and 4 decimals
	CodeDate         = "invoice.date"          // not a day as YYYY-MM-DD (or DD.MM.YYYY in CSV)
	CodeDueBefore    = "invoice.due_before"    // the due date is before the invoice date
	CodeCountry      = "invoice.country"       // not two capital letters (ISO 3166-1)
	CodeCurrency     = "invoice.currency"      // not three capital letters (ISO 4217)
	CodePDF          = "invoice.pdf"           // not base64 of a PDF
	CodeUnknownField = "invoice.unknown_field"
	CodeRowsDiffer   = "invoice.rows_differ" // Arg: the CSV row
	CodeExtension    = "invoice.extension"   // an extension that is not an object
)

// Bounds of Bilag's own on a value; a target's are usually narrower.
const (
	maxInvoices = 1000
	maxRows     = 20000
	maxAddress  = 5
	lenShort    = 100  // numbers and codes
	lenName     = 200  // names, address lines, e-mail
	lenText     = 2000 // a line's text
)

// Detect reports whether data looks like Bilag's invoice format rather
// than a connector's own: a JSON object (or the first of a list) with a
// "number" or "lines" field, or a CSV header with a "number" column or a
// "line." one.
func Detect(data []byte) bool {
	data = bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if len(data) == 0 {
		return false
	}
	if data[0] == '{' || data[0] == '[' {
		var doc any
		if json.Unmarshal(data, &doc) != nil {
			return false
		}
		if l, ok := doc.([]any); ok && len(l) > 0 {
			doc = l[0]
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return false
		}
		_, number := m["number"]
		_, lines := m["lines"]
		return number || lines
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if !utf8.Valid(first) {
		return false
	}
	for _, h := range strings.FieldsFunc(string(first), func(r rune) bool { return r == ';' || r == ',' }) {
		h = strings.Trim(strings.TrimSpace(h), `"`)
		if h == "number" || strings.HasPrefix(h, "line.") {
			return true
		}
	}
	return false
}

// checkInvoice adds what only the invoice as a whole shows.
func checkInvoice(p *Parsed) {
	inv := &p.Invoice
	if inv.Number == "" && !has(p.Findings, 0, "number") {
		p.add(0, "number", CodeRequired, "")
	}
	if !inv.InvoiceDate.IsZero() && !inv.DueDate.IsZero() && inv.DueDate.Before(inv.InvoiceDate) {
		p.add(0, "dueDate", CodeDueBefore, "")
	}
	if len(inv.Customer.Address) > maxAddress {
		p.add(0, "customer.address", CodeTooMany, "5")
	}
}

func (p *Parsed) add(line int, field, code, arg string) {
	p.Findings = append(p.Findings, connectors.InvoiceFinding{Line: line, Field: field, Code: code, Arg: arg})
}

func has(fs []connectors.InvoiceFinding, line int, field string) bool {
	for _, f := range fs {
		if f.Line == line && f.Field == field {
			return true
		}
	}
	return false
}

func upperLetters(s string, n int) bool {
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

// isPDF reports whether b begins as a PDF does.
func isPDF(b []byte) bool { return bytes.HasPrefix(b, []byte("%PDF-")) }
