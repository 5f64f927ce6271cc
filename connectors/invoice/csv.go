package invoice

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"bilag/connectors"
)

// The CSV format: one row per invoice line, grouped into invoices by
// number. A column is a JSON field's path: the invoice's own fields and
// its customer's (customer.address1 … customer.address5 for the address
// lines) are repeated on every row of an invoice and must not differ; a
// line's fields begin with "line."; an extension's field is
// "extensions.<connector>.<field>" (the invoice's) or
// "line.extensions.<connector>.<field>" (the line's). Dates are YYYY-MM-DD
// or DD.MM.YYYY, decimals take a point or a comma; the separator is ';' or
// ',', whichever the header uses; a UTF-8 byte-order mark is skipped. A
// PDF cannot be given in CSV.

// Columns of the invoice, in the order templates write them.
var (
	invoiceColumns = []string{"number", "invoiceDate", "dueDate",
		"customer.name", "customer.orgNumber", "customer.number",
		"customer.address1", "customer.address2", "customer.address3", "customer.address4", "customer.address5",
		"customer.postcode", "customer.city", "customer.country", "customer.email", "customer.phone", "customer.currency"}
	lineColumns = []string{"line.text", "line.quantity", "line.unitPrice", "line.amount",
		"line.salesAccount", "line.vatCode", "line.productNumber"}
)

const (
	extPrefix     = "extensions."
	lineExtPrefix = "line.extensions."
)

// extColumn splits "extensions.<connector>.<field>" (with or without
// "line."); ok is false for any other column.
func extColumn(h string) (line bool, connector, field string, ok bool) {
	rest, line := strings.CutPrefix(h, lineExtPrefix)
	if !line {
		if rest, ok = strings.CutPrefix(h, extPrefix); !ok {
			return false, "", "", false
		}
	}
	connector, field, ok = strings.Cut(rest, ".")
	return line, connector, field, ok && connector != "" && field != ""
}

// ParseCSV reads the CSV format.
func ParseCSV(data []byte) ([]Parsed, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, &connectors.ImportFileError{Code: "encoding"}
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	rd := csv.NewReader(bytes.NewReader(data))
	rd.Comma = ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		rd.Comma = ';'
	}
	rd.FieldsPerRecord = -1
	header, err := rd.Read()
	if err != nil {
		return nil, &connectors.ImportFileError{Code: "csv_header", Row: 1}
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		_, _, _, ext := extColumn(h)
		if !ext && !slices.Contains(invoiceColumns, h) && !slices.Contains(lineColumns, h) {
			return nil, &connectors.ImportFileError{Code: "csv_column", Row: 1, Name: h}
		}
		if seen[h] {
			return nil, &connectors.ImportFileError{Code: "csv_column_twice", Row: 1, Name: h}
		}
		seen[h], cols[i] = true, h
	}
	if !seen["number"] {
		return nil, &connectors.ImportFileError{Code: "csv_no_number", Row: 1, Name: "number"}
	}
	var rows []csvInvoice
	byNumber := map[string]int{}
	for row := 2; ; row++ {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &connectors.ImportFileError{Code: "csv", Row: row}
		}
		if row > maxRows {
			return nil, &connectors.ImportFileError{Code: "too_many_rows", Row: row}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != len(cols) {
			return nil, &connectors.ImportFileError{Code: "csv_row_width", Row: row}
		}
		cells := map[string]string{}
		for i, c := range cols {
			cells[c] = strings.TrimSpace(rec[i])
		}
		n := cells["number"]
		idx, ok := byNumber[n]
		if !ok || n == "" {
			if len(rows) >= maxInvoices {
				return nil, &connectors.ImportFileError{Code: "too_many_invoices", Row: row}
			}
			idx = len(rows)
			byNumber[n] = idx
			rows = append(rows, csvInvoice{head: cells})
		} else {
			for _, c := range cols {
				if isLineColumn(c) || cells[c] == rows[idx].head[c] {
					continue
				}
				rows[idx].differ = append(rows[idx].differ, connectors.InvoiceFinding{Field: c, Code: CodeRowsDiffer, Arg: strconv.Itoa(row)})
			}
		}
		line := map[string]string{}
		for _, c := range cols {
			if isLineColumn(c) && cells[c] != "" {
				line[c] = cells[c]
			}
		}
		if len(line) > 0 {
			rows[idx].lines = append(rows[idx].lines, line)
		}
	}
	out := make([]Parsed, len(rows))
	for i, ci := range rows {
		out[i] = ci.read()
	}
	return out, nil
}

func isLineColumn(c string) bool { return strings.HasPrefix(c, "line.") }

// csvInvoice is one invoice's rows: the first row's invoice cells, its
// lines' cells, and the cells later rows gave differently.
type csvInvoice struct {
	head   map[string]string
	lines  []map[string]string
	differ []connectors.InvoiceFinding
}

// read turns the cells into what the JSON reader reads, so that both
// formats are checked alike.
func (ci csvInvoice) read() Parsed {
	m := map[string]any{}
	customer := map[string]any{}
	var address []any
	set := func(dst map[string]any, k, v string) {
		if v != "" {
			dst[k] = v
		}
	}
	exts := map[string]map[string]any{}
	for c, v := range ci.head {
		if v == "" || isLineColumn(c) {
			continue
		}
		if _, conn, f, ok := extColumn(c); ok {
			if exts[conn] == nil {
				exts[conn] = map[string]any{}
			}
			exts[conn][f] = v
			continue
		}
		if k, ok := strings.CutPrefix(c, "customer."); ok {
			if n, ok := strings.CutPrefix(k, "address"); ok {
				i, _ := strconv.Atoi(n)
				for len(address) < i {
					address = append(address, "")
				}
				address[i-1] = v
				continue
			}
			set(customer, k, v)
			continue
		}
		set(m, c, csvDate(c, v))
	}
	if len(address) > 0 {
		customer["address"] = address
	}
	if len(customer) > 0 {
		m["customer"] = customer
	}
	if len(exts) > 0 {
		e := map[string]any{}
		for k, v := range exts {
			e[k] = v
		}
		m["extensions"] = e
	}
	lines := make([]any, 0, len(ci.lines))
	for _, cells := range ci.lines {
		l := map[string]any{}
		lexts := map[string]map[string]any{}
		for c, v := range cells {
			if _, conn, f, ok := extColumn(c); ok {
				if lexts[conn] == nil {
					lexts[conn] = map[string]any{}
				}
				lexts[conn][f] = v
				continue
			}
			l[strings.TrimPrefix(c, "line.")] = v
		}
		if len(lexts) > 0 {
			e := map[string]any{}
			for k, v := range lexts {
				e[k] = v
			}
			l["extensions"] = e
		}
		lines = append(lines, l)
	}
	m["lines"] = lines
	p := Parsed{Findings: ci.differ}
	r := reader{p: &p}
	r.invoice(m)
	checkInvoice(&p)
	// The address columns are named by their line: say which.
	for i, f := range p.Findings {
		if f.Field == "customer.address" && f.Index > 0 {
			p.Findings[i].Field, p.Findings[i].Index = "customer.address"+strconv.Itoa(f.Index), 0
		}
	}
	return p
}

// csvDate reads a date column's DD.MM.YYYY (what a Nordic spreadsheet
// writes) as YYYY-MM-DD; anything else is left for the reader to judge.
func csvDate(column, v string) string {
	if column != "invoiceDate" && column != "dueDate" {
		return v
	}
	d, m, ok := strings.Cut(v, ".")
	if !ok {
		return v
	}
	m, y, ok := strings.Cut(m, ".")
	if !ok || len(d) != 2 || len(m) != 2 || len(y) != 4 {
		return v
	}
	return y + "-" + m + "-" + d
}

// WriteCSV writes invoices in the CSV format, one row per line (an invoice
// without lines gets one row), with ';' as the separator: the invoice
// columns, the line columns, then every extension column the invoices use.
// PDFs are left out.
func WriteCSV(invs []connectors.Invoice) []byte {
	extCols := map[string]bool{}
	type row = map[string]string
	var rows []row
	for _, inv := range invs {
		head := row{"number": inv.Number, "invoiceDate": inv.InvoiceDate.String(), "dueDate": inv.DueDate.String()}
		c := inv.Customer
		for k, v := range map[string]string{"name": c.Name, "orgNumber": c.OrgNumber, "number": c.Number, "postcode": c.Postcode,
			"city": c.City, "country": c.Country, "email": c.Email, "phone": c.Phone, "currency": c.Currency} {
			head["customer."+k] = v
		}
		for i, a := range c.Address {
			head["customer.address"+strconv.Itoa(i+1)] = a
		}
		addExt(head, extCols, extPrefix, inv.Extensions)
		if len(inv.Lines) == 0 {
			rows = append(rows, head)
		}
		for _, l := range inv.Lines {
			r := row{}
			for k, v := range head {
				r[k] = v
			}
			r["line.text"], r["line.quantity"], r["line.unitPrice"] = l.Text, l.Quantity.String(), l.UnitPrice.String()
			if l.Amount != nil {
				r["line.amount"] = l.Amount.String()
			}
			r["line.salesAccount"], r["line.vatCode"], r["line.productNumber"] = l.SalesAccount, l.VATCode, l.ProductNumber
			addExt(r, extCols, lineExtPrefix, l.Extensions)
			rows = append(rows, r)
		}
	}
	var exts, lineExts []string
	for c := range extCols {
		if strings.HasPrefix(c, lineExtPrefix) {
			lineExts = append(lineExts, c)
		} else {
			exts = append(exts, c)
		}
	}
	slices.Sort(exts)
	slices.Sort(lineExts)
	header := slices.Concat(invoiceColumns, exts, lineColumns, lineExts)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	_ = w.Write(header)
	for _, r := range rows {
		rec := make([]string, len(header))
		for i, h := range header {
			rec[i] = r[h]
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

// addExt writes an extension's scalar fields as columns; fields that are
// lists or objects cannot be cells and are left out.
func addExt(r map[string]string, cols map[string]bool, prefix string, exts connectors.Extensions) {
	for conn, raw := range exts {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&m) != nil {
			continue
		}
		for k, v := range m {
			var s string
			switch x := v.(type) {
			case string:
				s = x
			case json.Number:
				s = x.String()
			case bool:
				s = strconv.FormatBool(x)
			default:
				continue
			}
			c := prefix + conn + "." + k
			cols[c], r[c] = true, s
		}
	}
}
