// Package book is a company's bookkeeping for one period as the standard
// files carry it: the input both the SIE 4E and the SAF-T writers take, and
// what the evidence pack gathers from the upstream.
package book

import (
	"iter"
	"strings"
	"time"

	"bilag/connectors"
)

// Book is one company's bookkeeping for one period.
type Book struct {
	Company connectors.Company
	// From and To are the period's first and last day (both included).
	From, To time.Time
	// FiscalYear is the accounting year the period lies in; its dates are
	// zero when the upstream has none.
	FiscalYear connectors.FiscalYear
	Ledger     connectors.Ledger
	// Vouchers yields the period's vouchers with their rows, in date and
	// number order. It can be ranged over more than once (a writer that
	// must put totals before the entries, as SAF-T does, reads it twice),
	// and it reads them from disk, so a large period stays out of memory.
	Vouchers iter.Seq2[connectors.Voucher, error]
	// Made is when the file is made; Software names Bilag and its version.
	Made     time.Time
	Software string
}

// SoftwareParts splits Software ("Bilag 1.4.0") into the program's name
// and version; the version is "" when Software gives none.
func (b Book) SoftwareParts() (name, version string) {
	s := strings.TrimSpace(b.Software)
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		return s[:i], s[i+1:]
	}
	if s == "" {
		return "Bilag", ""
	}
	return s, ""
}

// CompareAccounts orders account numbers as numbers where they are (so
// "999" comes before "1000"), else as text: the order both files list
// their chart in.
func CompareAccounts(a, b string) int {
	if len(a) != len(b) && IsDigits(a) && IsDigits(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// IsDigits reports whether s is a non-empty run of ASCII digits.
func IsDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
