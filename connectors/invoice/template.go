package invoice

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"

	"bilag/connectors"
)

// TemplateJSON is an upload of one invoice, example, in the JSON format,
// indented. Its PDF, when it has one, is left out (templates are text).
func TemplateJSON(example connectors.Invoice) []byte {
	example.PDF = nil
	b, err := json.MarshalIndent([]connectors.Invoice{example}, "", "  ")
	if err != nil {
		// Strings, Decimals, Dates and raw JSON a connector wrote: Marshal
		// cannot fail on them.
		panic("marshal example invoice: " + err.Error())
	}
	return append(b, '\n')
}

// TemplateCSV is example in the CSV format.
func TemplateCSV(example connectors.Invoice) []byte { return WriteCSV([]connectors.Invoice{example}) }

// FormLines is how many lines the one-invoice form offers.
const FormLines = 3

// FormColumns are the one-invoice form's fields: the invoice's (example's
// own extension fields among them) and each line's, as CSV columns.
// Address lines 3–5 are left to uploads.
func FormColumns(example connectors.Invoice) (invoiceCols, lineCols []string) {
	for _, c := range invoiceColumns {
		if c == "customer.address3" || c == "customer.address4" || c == "customer.address5" {
			continue
		}
		invoiceCols = append(invoiceCols, c)
	}
	lineCols = slices.Clone(lineColumns)
	var exts, lineExts []string
	for conn, raw := range example.Extensions {
		exts = append(exts, fieldsOf(extPrefix+conn+".", raw)...)
	}
	for _, l := range example.Lines {
		for conn, raw := range l.Extensions {
			for _, c := range fieldsOf(lineExtPrefix+conn+".", raw) {
				if !slices.Contains(lineExts, c) {
					lineExts = append(lineExts, c)
				}
			}
		}
	}
	slices.Sort(exts)
	slices.Sort(lineExts)
	return append(invoiceCols, exts...), append(lineCols, lineExts...)
}

func fieldsOf(prefix string, raw json.RawMessage) []string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for k := range m {
		out = append(out, prefix+k)
	}
	return out
}

// FormCSV is the one-invoice form as the CSV format: value gives a field's
// value by its column and line (0 for the invoice's fields, 1 to
// FormLines for a line's). A line whose fields are all empty is left out.
func FormCSV(invoiceCols, lineCols []string, value func(column string, line int) string) []byte {
	header := slices.Concat(invoiceCols, lineCols)
	head := make([]string, len(invoiceCols))
	for i, c := range invoiceCols {
		head[i] = value(c, 0)
	}
	var rows [][]string
	for n := 1; n <= FormLines; n++ {
		line := make([]string, len(lineCols))
		empty := true
		for i, c := range lineCols {
			line[i] = value(c, n)
			empty = empty && strings.TrimSpace(line[i]) == ""
		}
		if !empty {
			rows = append(rows, slices.Concat(head, line))
		}
	}
	if len(rows) == 0 {
		rows = append(rows, slices.Concat(head, make([]string, len(lineCols))))
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	_ = w.Write(header)
	for _, r := range rows {
		_ = w.Write(r)
	}
	w.Flush()
	return b.Bytes()
}
