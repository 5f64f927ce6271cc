package connectors

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Invoice is a front system's invoice as Bilag carries it into a client's
// books, whichever system receives it: what every receiving system needs,
// in neutral words. What only one system has (Enterprise's principal and
// serial numbers, say) is that connector's own extension, in Extensions,
// which only it reads: there is no field here for one system alone.
//
// An Invoice comes from a source (an upload in Bilag's invoice format, a
// connector's own upload format, a form) already read: its values have the
// right types. Whether they satisfy a target is the target connector's
// InvoiceSender.ValidateInvoices.
type Invoice struct {
	// Number is the source's invoice number; a target that takes it keeps
	// it, and it is what a lost answer is looked up by.
	Number      string   `json:"number"`
	InvoiceDate Date     `json:"invoiceDate,omitzero"`
	DueDate     Date     `json:"dueDate,omitzero"`
	Customer    Customer `json:"customer"`
	// Lines are the invoice's lines, in order.
	Lines []InvoiceLine `json:"lines"`
	// PDF is the invoice as the source sent it to the customer, when given.
	PDF *InvoicePDF `json:"pdf,omitempty"`
	// Extensions are the fields only one receiving system has, by
	// connector name (see Extensions).
	Extensions Extensions `json:"extensions,omitempty"`
}

// Customer is whom an invoice is to.
type Customer struct {
	Name string `json:"name,omitempty"`
	// OrgNumber is the organisation number (CVR, organisasjonsnummer,
	// Y-tunnus) as the source gives it; for a person, where a target takes
	// one, the national identity number.
	OrgNumber string `json:"orgNumber,omitempty"`
	// Number is the source's own customer number.
	Number string `json:"number,omitempty"`
	// Address holds the street address lines, in order (at most five).
	Address  []string `json:"address,omitempty"`
	Postcode string   `json:"postcode,omitempty"`
	City     string   `json:"city,omitempty"`
	// Country is ISO 3166-1 alpha-2.
	Country string `json:"country,omitempty"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	// Currency is ISO 4217, the currency the customer is invoiced in: the
	// invoice's amounts are in it.
	Currency string `json:"currency,omitempty"`
}

// InvoiceLine is one line of an invoice. Amounts are before VAT.
type InvoiceLine struct {
	Text      string  `json:"text,omitempty"`
	Quantity  Decimal `json:"quantity"`
	UnitPrice Decimal `json:"unitPrice"`
	// Amount is the line's amount as the source computed it (after a
	// discount, say); nil when it is Quantity × UnitPrice (LineAmount).
	Amount *Decimal `json:"amount,omitempty"`
	// SalesAccount and VATCode are the source's own codes; a target maps
	// them to its own (its pairing).
	SalesAccount  string `json:"salesAccount,omitempty"`
	VATCode       string `json:"vatCode,omitempty"`
	ProductNumber string `json:"productNumber,omitempty"`
	// Extensions are the line's fields only one system has.
	Extensions Extensions `json:"extensions,omitempty"`
}

// InvoicePDF is an invoice's PDF as the source sent it.
type InvoicePDF struct {
	FileName string `json:"fileName"`
	// Data is the file; base64 in JSON.
	Data []byte `json:"data"`
}

// Extensions holds, by connector name, the fields only that connector's
// system has, as a JSON object that connector alone reads and documents
// (its own extension type). A file may carry several connectors'
// extensions; each target reads its own and ignores the others.
type Extensions map[string]json.RawMessage

// LineAmount is the line's Amount, else Quantity × UnitPrice rounded half
// away from zero to hundredths: in hundredths.
func (l InvoiceLine) LineAmount() int64 {
	if l.Amount != nil {
		return l.Amount.Round(2) / 100
	}
	return MulRound(l.Quantity, l.UnitPrice)
}

// Total is the sum of the lines' amounts, in hundredths.
func (inv Invoice) Total() int64 {
	var t int64
	for _, l := range inv.Lines {
		t += l.LineAmount()
	}
	return t
}

// Summary is a line about the invoice for lists: the customer's number and
// name.
func (inv Invoice) Summary() string {
	return strings.TrimSpace(inv.Customer.OrgNumber + " " + inv.Customer.Name)
}

// Decimal is an exact decimal number of at most four decimals, held in
// ten-thousandths: quantities and prices that a float would round.
type Decimal int64

// DecimalScale is what a Decimal's unit is divided by.
const DecimalScale = 10000

// maxDecimalDigits bounds the whole part: twelve digits keep every product
// of two Decimals inside big arithmetic only, and any amount an invoice
// holds.
const maxDecimalDigits = 12

// ParseDecimal reads an optional minus sign, at most twelve digits, and
// optionally a point or a comma with one to four decimals.
func ParseDecimal(s string) (Decimal, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !hasFrac {
		whole, frac, hasFrac = strings.Cut(s, ",")
	}
	if whole == "" || len(whole) > maxDecimalDigits || !digits(whole) || (hasFrac && (frac == "" || len(frac) > 4 || !digits(frac))) {
		return 0, false
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if hasFrac {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 64)
	}
	v := w*DecimalScale + f
	if neg {
		v = -v
	}
	return Decimal(v), true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the number with a point and at least two decimals, and
// no trailing zero beyond them: "5.00", "123.56", "1.2345".
func (d Decimal) String() string {
	sign, v := "", int64(d)
	if v < 0 {
		sign, v = "-", -v
	}
	frac := fmt.Sprintf("%04d", v%DecimalScale)
	for len(frac) > 2 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	return sign + strconv.FormatInt(v/DecimalScale, 10) + "." + frac
}

// Decimals is how many decimals String writes beyond the two it always
// writes are needed: 2 for 5.00 or 123.56, 4 for 1.2345.
func (d Decimal) Decimals() int {
	_, frac, _ := strings.Cut(d.String(), ".")
	return len(frac)
}

// Round is the number rounded half away from zero to n decimals (0 to 4),
// still in ten-thousandths.
func (d Decimal) Round(n int) int64 {
	unit := int64(1)
	for range 4 - n {
		unit *= 10
	}
	v := int64(d)
	q, r := v/unit, v%unit
	if r < 0 {
		r = -r
	}
	if 2*r >= unit {
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q * unit
}

// MulRound is a × b rounded half away from zero to hundredths, in
// hundredths.
func MulRound(a, b Decimal) int64 {
	// a × b is in 10⁻⁸; a hundredth is 10⁶ of them.
	p := new(big.Int).Mul(big.NewInt(int64(a)), big.NewInt(int64(b)))
	q, r := new(big.Int).QuoRem(p, big.NewInt(1_000_000), new(big.Int))
	if new(big.Int).Abs(r).Cmp(big.NewInt(500_000)) >= 0 {
		if p.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

// MarshalJSON writes a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON reads a JSON number, or a string ParseDecimal reads.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, ok := ParseDecimal(s)
	if !ok {
		return fmt.Errorf("decimal %q: not a number of at most 12 digits and 4 decimals", s)
	}
	*d = v
	return nil
}

// Date is a calendar day, without a time or zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD, a day that exists.
func ParseDate(s string) (Date, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, false
	}
	return Date{t.Year(), t.Month(), t.Day()}, true
}

// IsZero reports whether the date was not given.
func (d Date) IsZero() bool { return d == Date{} }

// Time is the day's start in UTC.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// String is YYYY-MM-DD, "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

// UnmarshalJSON reads "YYYY-MM-DD" ("" or null: no date).
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("date %s: not a string", b)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, ok := ParseDate(s)
	if !ok {
		return fmt.Errorf("date %q: not YYYY-MM-DD", s)
	}
	*d = v
	return nil
}
