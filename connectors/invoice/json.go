package invoice

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"bilag/connectors"
)

// ParseJSON reads one invoice object, or a list of them, in the shape of
// connectors.Invoice's JSON.
func ParseJSON(data []byte) ([]Parsed, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, &connectors.ImportFileError{Code: "encoding"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &connectors.ImportFileError{Code: "json", Row: int(se.Offset)}
		}
		return nil, &connectors.ImportFileError{Code: "json"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &connectors.ImportFileError{Code: "invoice_json_trailing"}
	}
	var objs []any
	switch d := doc.(type) {
	case map[string]any:
		objs = []any{d}
	case []any:
		objs = d
	default:
		return nil, &connectors.ImportFileError{Code: "invoice_json_shape"}
	}
	if len(objs) > maxInvoices {
		return nil, &connectors.ImportFileError{Code: "too_many_invoices"}
	}
	out := make([]Parsed, 0, len(objs))
	for _, o := range objs {
		m, ok := o.(map[string]any)
		if !ok {
			return nil, &connectors.ImportFileError{Code: "invoice_json_shape"}
		}
		p := Parsed{}
		r := reader{p: &p}
		r.invoice(m)
		checkInvoice(&p)
		out = append(out, p)
	}
	return out, nil
}

// kind is what a field takes.
type kind uint8

const (
	kText    kind = iota + 1 // a string only: a number would lose leading zeros
	kCode                    // a string, or a whole number read as its digits
	kDecimal                 // a number, or a string of one (comma or point)
	kDate                    // "YYYY-MM-DD"
)

// reader reads one invoice's values into p, with a finding for each that
// cannot be read.
type reader struct {
	p    *Parsed
	line int
}

func (r *reader) add(field, code, arg string) { r.p.add(r.line, field, code, arg) }

// value reads v as k into a string (Decimal and Date as their text); ok
// is false when it was not given or could not be read.
func (r *reader) value(v any, field string, k kind, max int) (string, bool) {
	var s string
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		s = x
	case json.Number:
		switch k {
		case kText:
			r.add(field, CodeTextExpected, "")
			return "", false
		case kCode:
			if _, err := strconv.ParseUint(x.String(), 10, 64); err != nil {
				r.add(field, CodeWrongType, "")
				return "", false
			}
		case kDate:
			r.add(field, CodeDate, "")
			return "", false
		}
		s = x.String()
	default:
		r.add(field, CodeWrongType, "")
		return "", false
	}
	if s == "" {
		return "", false
	}
	if utf8.RuneCountInString(s) > max {
		r.add(field, CodeTooLong, strconv.Itoa(max))
		return "", false
	}
	return s, true
}

func (r *reader) text(m map[string]any, key, field string, k kind, max int) string {
	s, _ := r.value(m[key], field, k, max)
	return s
}

func (r *reader) decimal(v any, field string, required bool) (connectors.Decimal, bool) {
	s, ok := r.value(v, field, kDecimal, 40)
	if !ok {
		if required && (v == nil || v == "") {
			r.add(field, CodeRequired, "")
		}
		return 0, false
	}
	d, ok := connectors.ParseDecimal(s)
	if !ok {
		r.add(field, CodeDecimal, "")
	}
	return d, ok
}

func (r *reader) date(v any, field string) connectors.Date {
	s, ok := r.value(v, field, kDate, 40)
	if !ok {
		return connectors.Date{}
	}
	d, ok := connectors.ParseDate(s)
	if !ok {
		r.add(field, CodeDate, "")
	}
	return d
}

// unknown adds a finding for each key of m not in known.
func (r *reader) unknown(m map[string]any, prefix string, known ...string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			r.add(prefix+k, CodeUnknownField, "")
		}
	}
}

func (r *reader) invoice(m map[string]any) {
	inv := &r.p.Invoice
	r.unknown(m, "", "number", "invoiceDate", "dueDate", "customer", "lines", "pdf", "extensions")
	inv.Number = r.text(m, "number", "number", kCode, lenShort)
	inv.InvoiceDate = r.date(m["invoiceDate"], "invoiceDate")
	inv.DueDate = r.date(m["dueDate"], "dueDate")
	switch c := m["customer"].(type) {
	case nil:
	case map[string]any:
		r.customer(c)
	default:
		r.add("customer", CodeWrongType, "")
	}
	switch ls := m["lines"].(type) {
	case nil:
	case []any:
		for i, l := range ls {
			r.line = i + 1
			lm, ok := l.(map[string]any)
			if !ok {
				r.add("lines", CodeWrongType, "")
				lm = map[string]any{}
			}
			inv.Lines = append(inv.Lines, r.invoiceLine(lm))
		}
		r.line = 0
	default:
		r.add("lines", CodeWrongType, "")
	}
	switch p := m["pdf"].(type) {
	case nil:
	case map[string]any:
		inv.PDF = r.pdf(p)
	default:
		r.add("pdf", CodeWrongType, "")
	}
	inv.Extensions = r.extensions(m["extensions"], "extensions")
}

func (r *reader) customer(m map[string]any) {
	c := &r.p.Invoice.Customer
	const p = "customer."
	r.unknown(m, p, "name", "orgNumber", "number", "address", "postcode", "city", "country", "email", "phone", "currency")
	c.Name = r.text(m, "name", p+"name", kText, lenName)
	c.OrgNumber = r.text(m, "orgNumber", p+"orgNumber", kText, lenShort)
	c.Number = r.text(m, "number", p+"number", kCode, lenShort)
	switch a := m["address"].(type) {
	case nil:
	case []any:
		for i, l := range a {
			s, ok := r.value(l, p+"address", kText, lenName)
			if !ok && l != nil && l != "" {
				r.p.Findings[len(r.p.Findings)-1].Index = i + 1
			}
			c.Address = append(c.Address, s)
		}
		for len(c.Address) > 0 && c.Address[len(c.Address)-1] == "" {
			c.Address = c.Address[:len(c.Address)-1]
		}
	case string:
		if a != "" {
			c.Address = []string{a}
		}
	default:
		r.add(p+"address", CodeWrongType, "")
	}
	c.Postcode = r.text(m, "postcode", p+"postcode", kText, 20)
	c.City = r.text(m, "city", p+"city", kText, lenName)
	if s := r.text(m, "country", p+"country", kText, lenShort); s != "" {
		if upperLetters(s, 2) {
			c.Country = s
		} else {
			r.add(p+"country", CodeCountry, "")
		}
	}
	c.Email = r.text(m, "email", p+"email", kText, lenName)
	c.Phone = r.text(m, "phone", p+"phone", kText, 50)
	if s := r.text(m, "currency", p+"currency", kText, lenShort); s != "" {
		if upperLetters(s, 3) {
			c.Currency = s
		} else {
			r.add(p+"currency", CodeCurrency, "")
		}
	}
}

func (r *reader) invoiceLine(m map[string]any) connectors.InvoiceLine {
	var l connectors.InvoiceLine
	r.unknown(m, "", "text", "quantity", "unitPrice", "amount", "salesAccount", "vatCode", "productNumber", "extensions")
	l.Text = r.text(m, "text", "text", kText, lenText)
	l.Quantity, _ = r.decimal(m["quantity"], "quantity", true)
	l.UnitPrice, _ = r.decimal(m["unitPrice"], "unitPrice", true)
	if a, ok := r.decimal(m["amount"], "amount", false); ok {
		l.Amount = &a
	}
	l.SalesAccount = r.text(m, "salesAccount", "salesAccount", kCode, lenShort)
	l.VATCode = r.text(m, "vatCode", "vatCode", kCode, lenShort)
	l.ProductNumber = r.text(m, "productNumber", "productNumber", kCode, lenShort)
	l.Extensions = r.extensions(m["extensions"], "extensions")
	return l
}

func (r *reader) pdf(m map[string]any) *connectors.InvoicePDF {
	r.unknown(m, "pdf.", "fileName", "data")
	name := r.text(m, "fileName", "pdf.fileName", kText, lenName)
	s, ok := r.value(m["data"], "pdf.data", kText, 1<<30)
	if !ok {
		if m["data"] == nil || m["data"] == "" {
			r.add("pdf.data", CodeRequired, "")
		}
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || !isPDF(b) {
		r.add("pdf.data", CodePDF, "")
		return nil
	}
	if name == "" {
		name = "invoice.pdf"
	}
	return &connectors.InvoicePDF{FileName: name, Data: b}
}

// extensions keeps each connector's extension object as it was written,
// compacted; its connector reads it.
func (r *reader) extensions(v any, field string) connectors.Extensions {
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		out := connectors.Extensions{}
		for name, e := range x {
			if _, ok := e.(map[string]any); !ok {
				r.add(field+"."+name, CodeExtension, "")
				continue
			}
			b, err := json.Marshal(e)
			if err != nil {
				r.add(field+"."+name, CodeExtension, "")
				continue
			}
			out[name] = b
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	r.add(field, CodeExtension, "")
	return nil
}
