// Package csvout writes the CSV files Bilag hands to people (the audit
// trail's export, an upload's template, an import's example), so that a
// spreadsheet opens each as the cells it holds and runs none of them.
//
// encoding/csv quotes a field only when it holds the writer's own
// separator; Nordic Excel splits on ";" where the file says ",", so a
// field "Matti;=1+2;" written by it became the cells "Matti" and "=1+2",
// a formula. Here a field holding either separator is quoted, whichever
// the file uses, and a field that starts as a formula is made text.
package csvout

import (
	"bufio"
	"io"
	"strings"
)

// Writer writes records, each field quoted where a spreadsheet could
// split it and neutralised where it could run it.
type Writer struct {
	w     *bufio.Writer
	comma rune
	err   error
}

// NewWriter writes to w with comma (',' or ';') between fields.
func NewWriter(w io.Writer, comma rune) *Writer {
	return &Writer{w: bufio.NewWriter(w), comma: comma}
}

// Write writes one record. Every field is free text; a plain number
// ("-12", "1234,50") is left as it is, since it cannot be a formula and a
// spreadsheet should read it as a number.
func (w *Writer) Write(record []string) error {
	if w.err != nil {
		return w.err
	}
	for i, f := range record {
		if i > 0 {
			if _, w.err = w.w.WriteRune(w.comma); w.err != nil {
				return w.err
			}
		}
		if _, w.err = w.w.WriteString(Field(f)); w.err != nil {
			return w.err
		}
	}
	_, w.err = w.w.WriteString("\n")
	return w.err
}

// Flush writes what is buffered; Error says whether it, or a Write, failed.
func (w *Writer) Flush() {
	if w.err == nil {
		w.err = w.w.Flush()
	}
}

// Error is the first error of a Write or Flush.
func (w *Writer) Error() error { return w.err }

// isNumber reports whether s is a plain number ("-12", "0.5", "1234,50"),
// written out by hand so that the package compiles nothing at start.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dec := strings.Cut(s, ".")
	if !dec {
		whole, frac, dec = strings.Cut(s, ",")
	}
	return digits(whole) && (!dec || digits(frac))
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// formulaStart are the characters a spreadsheet reads a cell starting
// with (after any spaces) as a formula, or that hide one (tab, carriage
// return, NUL), after OWASP's advice on CSV injection.
const formulaStart = "=+-@\t\r\x00"

// Field is s as one field of a CSV: a leading quote before a formula
// sign makes it text, and it is quoted when it holds a separator (";" or
// ","), a quote or a line break, or starts with a space.
func Field(s string) string {
	if t := strings.TrimLeft(s, " "); t != "" && strings.IndexByte(formulaStart, t[0]) >= 0 && !isNumber(s) {
		s = "'" + s
	}
	if s == "" || !strings.ContainsAny(s, `;,"`+"\r\n") && s[0] != ' ' && s[0] != '\t' && s != `\.` {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
