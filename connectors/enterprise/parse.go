package enterprise

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind is what an uploaded value was before it was read as a field.
type kind uint8

const (
	kString kind = iota + 1
	kNumber
	kBool
	kOther // an object, an array or another type where a value belongs
)

// value is one uploaded value, before the validator reads it.
type value struct {
	text string
	kind kind // 0: not given
}

func (v value) set() bool { return v.kind != 0 && !(v.kind == kString && v.text == "") }

// rawOrder is an uploaded order before validation: every value as typed.
type rawOrder struct {
	top      map[string]value
	customer map[string]value
	lines    []rawLine
	// customerOK: the customer level is there as an object.
	customerOK bool
	// findings are what reading the upload found already (unknown fields,
	// customer fields that differ between a CSV order's rows).
	findings []Finding
}

type rawLine struct {
	fields map[string]value
	texts  []value
	// textsKind is kOther when lineText was not a list.
	textsKind kind
}

// The seed's field names, level by level.
var (
	topNames      = []string{"externalSystem", "company", "division", "orderId"}
	customerNames = []string{"customerNumber", "name", "address1", "address2", "address3", "address4", "address5",
		"foreignZipCode", "zipCode", "cellPhone", "eMailAddress", "nationCode", "bankAccount"}
	lineNames = []string{"principalNumber", "commodityNumber", "serialNumber", "price", "quantity", "amount",
		"internalInvoice", "accountId1", "accountId2", "accountId3", "accountId4", "accountId5", "accountId6",
		"accountId7", "accountId8", "accountId9", "accountId10", "vatCode", "profile", "yourRef", "orderRef"}
)

// emailField is the customer's e-mail field as sent. The seed's field
// table says "eMailAddress", its JSON example "emailAddress" (contradiction
// 1 of the README). The table is the specification and the example says
// "some elements are missing", so Bilag sends eMailAddress, and reads
// either from an upload (both at once is an error).
const (
	emailField      = "eMailAddress"
	emailFieldAlias = "emailAddress"
)

// maxTexts is the seed's bound on free-text lines per order line.
const maxTexts = 99

// FileError is an upload Bilag cannot read at all: nothing in it is checked.
type FileError struct {
	// Code names the fault for the catalogue ("json", "csv_header", ...).
	Code string
	// Row is the CSV row (1 is the header) or JSON byte offset, when known.
	Row int
	// Name is the column concerned, when there is one.
	Name string
}

func (e *FileError) Error() string {
	return fmt.Sprintf("read upload: %s (row %d %s)", e.Code, e.Row, e.Name)
}

// maxUpload bounds what one upload may hold.
const (
	maxOrders = 1000
	maxRows   = 20000
)

// parseJSON reads one order object, or a list of them.
func parseJSON(data []byte) ([]rawOrder, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, &FileError{Code: "encoding"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, &FileError{Code: "json", Row: int(se.Offset)}
		}
		return nil, &FileError{Code: "json"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &FileError{Code: "json_trailing"}
	}
	var objs []any
	switch d := doc.(type) {
	case map[string]any:
		objs = []any{d}
	case []any:
		objs = d
	default:
		return nil, &FileError{Code: "json_shape"}
	}
	if len(objs) > maxOrders {
		return nil, &FileError{Code: "too_many_orders"}
	}
	out := make([]rawOrder, 0, len(objs))
	for _, o := range objs {
		m, ok := o.(map[string]any)
		if !ok {
			return nil, &FileError{Code: "json_shape"}
		}
		out = append(out, orderFromJSON(m))
	}
	return out, nil
}

func jsonValue(v any) value {
	switch x := v.(type) {
	case nil:
		return value{}
	case string:
		return value{text: x, kind: kString}
	case json.Number:
		return value{text: x.String(), kind: kNumber}
	case bool:
		return value{text: strconv.FormatBool(x), kind: kBool}
	}
	return value{kind: kOther}
}

func orderFromJSON(m map[string]any) rawOrder {
	r := rawOrder{top: map[string]value{}, customer: map[string]value{}}
	for k, v := range m {
		switch {
		case k == "customer":
			c, ok := v.(map[string]any)
			if !ok {
				if v != nil {
					r.findings = append(r.findings, Finding{Field: "customer", Code: CodeWrongType})
				}
				continue
			}
			r.customerOK = true
			r.readCustomer(c)
		case k == "orderLines":
			ls, ok := v.([]any)
			if !ok {
				if v != nil {
					r.findings = append(r.findings, Finding{Field: "orderLines", Code: CodeWrongType})
				}
				continue
			}
			for i, l := range ls {
				lm, ok := l.(map[string]any)
				if !ok {
					r.findings = append(r.findings, Finding{Line: i + 1, Field: "orderLines", Code: CodeWrongType})
					lm = map[string]any{}
				}
				r.lines = append(r.lines, lineFromJSON(lm, i+1, &r.findings))
			}
		case contains(topNames, k):
			r.top[k] = jsonValue(v)
		default:
			r.findings = append(r.findings, Finding{Field: k, Code: CodeUnknownField})
		}
	}
	return r
}

func (r *rawOrder) readCustomer(c map[string]any) {
	for k, v := range c {
		switch {
		case k == emailFieldAlias:
			r.setEmail(jsonValue(v))
		case contains(customerNames, k) && k == emailField:
			r.setEmail(jsonValue(v))
		case contains(customerNames, k):
			r.customer[k] = jsonValue(v)
		default:
			r.findings = append(r.findings, Finding{Field: "customer." + k, Code: CodeUnknownField})
		}
	}
}

// setEmail takes either spelling of the e-mail field, once.
func (r *rawOrder) setEmail(v value) {
	if old, ok := r.customer[emailField]; ok && old.set() && v.set() {
		r.findings = append(r.findings, Finding{Field: "customer." + emailField, Code: CodeEmailTwice})
		return
	}
	if v.set() || r.customer[emailField].kind == 0 {
		r.customer[emailField] = v
	}
}

func lineFromJSON(m map[string]any, n int, findings *[]Finding) rawLine {
	l := rawLine{fields: map[string]value{}}
	for k, v := range m {
		switch {
		case k == "lineText":
			switch ts := v.(type) {
			case nil:
			case []any:
				l.textsKind = kString
				for _, t := range ts {
					l.texts = append(l.texts, jsonValue(t))
				}
			default:
				l.textsKind = kOther
			}
		case contains(lineNames, k):
			l.fields[k] = jsonValue(v)
		default:
			*findings = append(*findings, Finding{Line: n, Field: k, Code: CodeUnknownField})
		}
	}
	return l
}

// parseCSV reads one order line a row, grouped into orders by orderId. The
// header names the seed's JSON fields (customer fields without a prefix,
// lineText1…lineText99); the separator is ';' or ',', whichever the header
// uses; a UTF-8 byte-order mark is skipped.
func parseCSV(data []byte) ([]rawOrder, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, &FileError{Code: "encoding"}
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
		return nil, &FileError{Code: "csv_header", Row: 1}
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == emailFieldAlias {
			h = emailField
		}
		if !knownColumn(h) {
			return nil, &FileError{Code: "csv_column", Row: 1, Name: h}
		}
		if seen[h] {
			return nil, &FileError{Code: "csv_column_twice", Row: 1, Name: h}
		}
		seen[h], cols[i] = true, h
	}
	if !seen["orderId"] {
		return nil, &FileError{Code: "csv_no_order_id", Row: 1, Name: "orderId"}
	}
	var out []rawOrder
	byID := map[string]int{}
	firstRow := map[string]map[string]string{}
	for row := 2; ; row++ {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &FileError{Code: "csv", Row: row}
		}
		if row > maxRows {
			return nil, &FileError{Code: "too_many_rows", Row: row}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != len(cols) {
			return nil, &FileError{Code: "csv_row_width", Row: row}
		}
		cells := map[string]string{}
		for i, c := range cols {
			cells[c] = strings.TrimSpace(rec[i])
		}
		id := cells["orderId"]
		idx, ok := byID[id]
		if !ok {
			if len(out) >= maxOrders {
				return nil, &FileError{Code: "too_many_orders", Row: row}
			}
			idx = len(out)
			byID[id] = idx
			firstRow[id] = cells
			o := rawOrder{top: map[string]value{}, customer: map[string]value{}, customerOK: true}
			for _, n := range topNames {
				o.top[n] = csvValue(cells, n)
			}
			for _, n := range customerNames {
				o.customer[n] = csvValue(cells, n)
			}
			out = append(out, o)
		} else {
			// Order and customer fields are repeated on every row of an
			// order and must not differ: which one would be meant?
			for _, n := range append(append([]string{}, topNames...), customerNames...) {
				if cells[n] != firstRow[id][n] {
					f := n
					if contains(customerNames, n) {
						f = "customer." + n
					}
					out[idx].findings = append(out[idx].findings, Finding{Field: f, Code: CodeRowsDiffer, Arg: strconv.Itoa(row)})
				}
			}
		}
		l := rawLine{fields: map[string]value{}}
		for _, n := range lineNames {
			l.fields[n] = csvValue(cells, n)
		}
		last := 0
		for i := 1; i <= maxTexts; i++ {
			if cells["lineText"+strconv.Itoa(i)] != "" {
				last = i
			}
		}
		for i := 1; i <= last; i++ {
			l.texts = append(l.texts, value{text: cells["lineText"+strconv.Itoa(i)], kind: kString})
		}
		out[idx].lines = append(out[idx].lines, l)
	}
	return out, nil
}

func csvValue(cells map[string]string, name string) value {
	v, ok := cells[name]
	if !ok || v == "" {
		return value{}
	}
	return value{text: v, kind: kString}
}

func knownColumn(h string) bool {
	if contains(topNames, h) || contains(customerNames, h) || contains(lineNames, h) {
		return true
	}
	if n, ok := strings.CutPrefix(h, "lineText"); ok {
		i, err := strconv.Atoi(n)
		return err == nil && i >= 1 && i <= maxTexts && strconv.Itoa(i) == n
	}
	return false
}

// CSVTemplate is the header of an upload and one example order line.
func CSVTemplate() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	header := append(append(append([]string{}, topNames...), customerNames...), lineNames...)
	header = append(header, "lineText1", "lineText2", "lineText3")
	example := map[string]string{
		"externalSystem": "WS", "company": "1", "division": "0", "orderId": "12345-A2",
		"customerNumber": "04057912345", "name": "Olsen Petter", "address1": "Lerkestien 4", "address2": "Postboks 28",
		"zipCode": "0277", "cellPhone": "004798000001", "eMailAddress": "petterolsen@offline.no", "nationCode": "NO",
		"principalNumber": "20", "commodityNumber": "100", "serialNumber": "1", "price": "123,56", "quantity": "21,32",
		"amount": "2634,30", "accountId1": "000000001610", "accountId3": "000000003010", "vatCode": "100",
		"profile": "XGHK231", "yourRef": "Lars Gundersen", "orderRef": "THF", "lineText1": "Dette er en ordrelinje",
	}
	row := make([]string, len(header))
	for i, h := range header {
		row[i] = example[h]
	}
	_ = w.Write(header)
	_ = w.Write(row)
	w.Flush()
	return b.Bytes()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
