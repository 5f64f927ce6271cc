package enterprise

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Order is one invoice order ("fakturagrunnlag") as Enterprise's order
// import takes it: the body of POST {root}/secure/orderimport/order. Only the
// validator makes one, so every Order holds values the seed's field tables
// allow. Digits-only fields that carry leading zeros are strings.
type Order struct {
	ExternalSystem string   `json:"externalSystem"`
	Company        int      `json:"company"`
	Division       int      `json:"division"`
	OrderID        string   `json:"orderId"`
	Customer       Customer `json:"customer"`
	OrderLines     []Line   `json:"orderLines"`
}

// Customer is the order's customer level.
type Customer struct {
	CustomerNumber string `json:"customerNumber"`
	Name           string `json:"name,omitempty"`
	Address1       string `json:"address1,omitempty"`
	Address2       string `json:"address2,omitempty"`
	Address3       string `json:"address3,omitempty"`
	Address4       string `json:"address4,omitempty"`
	Address5       string `json:"address5,omitempty"`
	ForeignZipCode string `json:"foreignZipCode,omitempty"`
	// ZipCode: see zipCodeAsText.
	ZipCode string `json:"zipCode,omitempty"`
	// CellPhone: see cellPhoneAsText.
	CellPhone string `json:"cellPhone,omitempty"`
	// EMailAddress: see emailField.
	EMailAddress string `json:"eMailAddress,omitempty"`
	NationCode   string `json:"nationCode,omitempty"`
	// BankAccount: see checkBankAccount.
	BankAccount string `json:"bankAccount,omitempty"`
}

// Line is one order line.
type Line struct {
	PrincipalNumber int      `json:"principalNumber"`
	CommodityNumber int      `json:"commodityNumber"`
	SerialNumber    int      `json:"serialNumber"`
	Price           Decimal  `json:"price"`
	Quantity        Decimal  `json:"quantity"`
	Amount          Decimal  `json:"amount"`
	InternalInvoice *bool    `json:"internalInvoice,omitempty"`
	AccountID1      string   `json:"accountId1,omitempty"`
	AccountID2      string   `json:"accountId2,omitempty"`
	AccountID3      string   `json:"accountId3,omitempty"`
	AccountID4      string   `json:"accountId4,omitempty"`
	AccountID5      string   `json:"accountId5,omitempty"`
	AccountID6      string   `json:"accountId6,omitempty"`
	AccountID7      string   `json:"accountId7,omitempty"`
	AccountID8      string   `json:"accountId8,omitempty"`
	AccountID9      string   `json:"accountId9,omitempty"`
	AccountID10     string   `json:"accountId10,omitempty"`
	VATCode         *int     `json:"vatCode,omitempty"`
	Profile         string   `json:"profile,omitempty"`
	YourRef         string   `json:"yourRef,omitempty"`
	OrderRef        string   `json:"orderRef,omitempty"`
	LineText        []string `json:"lineText,omitempty"`
}

// accounts points at the line's ten account dimensions, in order.
func (l *Line) accounts() [10]*string {
	return [10]*string{&l.AccountID1, &l.AccountID2, &l.AccountID3, &l.AccountID4, &l.AccountID5,
		&l.AccountID6, &l.AccountID7, &l.AccountID8, &l.AccountID9, &l.AccountID10}
}

// Decimal is an amount in hundredths: the seed's "10.2" numbers (format
// 999999999.99) hold exactly two decimals, which a float64 does not.
type Decimal int64

// maxDecimal is 999999999.99, the seed's format, in hundredths.
const maxDecimal = 99999999999

// String is the value with a point and two decimals, as sent.
func (d Decimal) String() string {
	sign, v := "", int64(d)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalJSON writes a JSON number with two decimals.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// parseDecimal reads at most nine digits, then a point (or, from CSV, a
// comma) and at most two decimals; a minus sign is allowed (credit lines).
func parseDecimal(s string) (Decimal, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !hasFrac {
		whole, frac, hasFrac = strings.Cut(s, ",")
	}
	if !digitsOnly(whole) || len(whole) < 1 || len(whole) > 9 ||
		(hasFrac && (len(frac) < 1 || len(frac) > 2 || !digitsOnly(frac))) {
		return 0, false
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if hasFrac {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return Decimal(v), true
}

// Normalised is the order as sent, the bytes its key's SHA-256 is taken of.
func (o Order) Normalised() []byte {
	b, err := json.Marshal(o)
	if err != nil {
		// Only strings, ints, bools and Decimal: Marshal cannot fail.
		panic(fmt.Sprintf("marshal order: %v", err))
	}
	return b
}

// Total is the sum of the lines' amounts.
func (o Order) Total() Decimal {
	var t Decimal
	for _, l := range o.OrderLines {
		t += l.Amount
	}
	return t
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
