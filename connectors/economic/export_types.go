package economic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"strings"
)

// The export's request and answer types, field for field as e-conomic's
// documentation names them (e-conomic/slate:source/includes/_invoices.md,
// _customers.md, _products.md, _product-groups.md, _vat-accounts.md,
// _vat-zones.md, _payment-terms.md, _layouts.md, _customer-groups.md,
// _journals.md; spysystem/economic-rest:e-conomic.openapi.yaml). Only what
// the export writes or reads is here. e-conomic accepts no null ("To null
// a property you must exclude it", _introduction.md): every optional field
// is left out when empty.

// Amount is money in hundredths (øre, cents), written and read as the JSON
// number e-conomic uses, with two decimals: e-conomic refuses more
// ("unitNetPrice scale cannot be greater then two decimal places", E04740).
type Amount int64

// MarshalJSON writes a as a number with two decimals.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// String is a with two decimals and a point ("-12.50").
func (a Amount) String() string {
	sign, n := "", int64(a)
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

// UnmarshalJSON reads a JSON number exactly (no float on the way), and
// rounds what has more than two decimals half away from zero.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return fmt.Errorf("amount %q is not a number", s)
	}
	r.Mul(r, big.NewRat(100, 1))
	f, _ := r.Float64()
	if math.Abs(f) > math.MaxInt64/2 {
		return fmt.Errorf("amount %q out of range", s)
	}
	// Round half away from zero on the exact rational.
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	*a = Amount(q.Int64())
	return nil
}

// References to other resources, by number ("you are free to reference
// the entity via either id or self-link", _introduction.md).
type (
	// CustomerRef names a customer.
	CustomerRef struct {
		CustomerNumber int64 `json:"customerNumber"`
	}
	// CustomerGroupRef names a customer group.
	CustomerGroupRef struct {
		CustomerGroupNumber int64 `json:"customerGroupNumber"`
	}
	// PaymentTermsRef names a payment term.
	PaymentTermsRef struct {
		PaymentTermsNumber int64 `json:"paymentTermsNumber"`
	}
	// VatZoneRef names a VAT zone.
	VatZoneRef struct {
		VatZoneNumber int64 `json:"vatZoneNumber"`
	}
	// LayoutRef names a layout.
	LayoutRef struct {
		LayoutNumber int64 `json:"layoutNumber"`
	}
	// ProductGroupRef names a product group.
	ProductGroupRef struct {
		ProductGroupNumber int64 `json:"productGroupNumber"`
	}
	// ProductRef names a product; product numbers are text.
	ProductRef struct {
		ProductNumber string `json:"productNumber"`
	}
	// UnitRef names a unit.
	UnitRef struct {
		UnitNumber int64 `json:"unitNumber"`
	}
	// AccountRef names an account of the chart.
	AccountRef struct {
		AccountNumber int64 `json:"accountNumber"`
	}
	// VatCodeRef names a VAT account by its code ("U25").
	VatCodeRef struct {
		VatCode string `json:"vatCode"`
	}
	// CurrencyRef names a currency by its ISO 4217 code.
	CurrencyRef struct {
		Code string `json:"code"`
	}
)

// ProductGroup is an item of GET /product-groups.
type ProductGroup struct {
	ProductGroupNumber int64  `json:"productGroupNumber"`
	Name               string `json:"name"`
}

// SalesAccount is an item of GET /product-groups/{n}/sales-accounts: the
// account a product group's sales go to in one VAT zone, with the VAT
// account that decides the line's VAT (e-conomic invoice lines carry no
// VAT code).
type SalesAccount struct {
	SalesAccount struct {
		AccountNumber int64  `json:"accountNumber"`
		Name          string `json:"name"`
		// VatAccount is nil for an account without VAT.
		VatAccount *VatCodeRef `json:"vatAccount"`
	} `json:"salesAccount"`
	VatZone VatZone `json:"vatZone"`
}

// Product is a product as created (POST /products: name, productGroup and
// productNumber required) and as read.
type Product struct {
	ProductNumber string           `json:"productNumber"`
	Name          string           `json:"name"`
	Description   string           `json:"description,omitempty"`
	SalesPrice    Amount           `json:"salesPrice,omitempty"`
	CostPrice     Amount           `json:"costPrice,omitempty"`
	ProductGroup  *ProductGroupRef `json:"productGroup,omitempty"`
	Unit          *UnitRef         `json:"unit,omitempty"`
	// Barred: the product "can no longer be sold".
	Barred bool `json:"barred,omitempty"`
}

// VatAccount is an item of GET /vat-accounts.
type VatAccount struct {
	VatCode        string  `json:"vatCode"`
	Name           string  `json:"name"`
	RatePercentage float64 `json:"ratePercentage"`
	Barred         bool    `json:"barred"`
	VatType        struct {
		VatTypeNumber int64  `json:"vatTypeNumber"`
		Name          string `json:"name"`
	} `json:"vatType"`
	Account *AccountRef `json:"account"`
}

// VatZone is an item of GET /vat-zones ("domestically, in Europe or
// elsewhere abroad").
type VatZone struct {
	VatZoneNumber      int64  `json:"vatZoneNumber"`
	Name               string `json:"name"`
	EnabledForCustomer bool   `json:"enabledForCustomer"`
	EnabledForSupplier bool   `json:"enabledForSupplier"`
}

// The payment terms' types (paymentTermsType) the export pairs on: net
// days from the invoice date, and "current month + N" (invoiceMonth). Net
// 30 is not current month + 30.
const (
	PaymentTermsNet          = "net"
	PaymentTermsInvoiceMonth = "invoiceMonth"
	PaymentTermsDueDate      = "dueDate"
	PaymentTermsPaidInCash   = "paidInCash"
)

// PaymentTerm is an item of GET /payment-terms.
type PaymentTerm struct {
	PaymentTermsNumber int64  `json:"paymentTermsNumber"`
	Name               string `json:"name"`
	PaymentTermsType   string `json:"paymentTermsType"`
	DaysOfCredit       int    `json:"daysOfCredit"`
}

// Layout is an item of GET /layouts.
type Layout struct {
	LayoutNumber int64  `json:"layoutNumber"`
	Name         string `json:"name"`
}

// CustomerGroup is an item of GET /customer-groups.
type CustomerGroup struct {
	CustomerGroupNumber int64      `json:"customerGroupNumber"`
	Name                string     `json:"name"`
	Account             AccountRef `json:"account"`
	Layout              *LayoutRef `json:"layout"`
}

// Journal is an item of GET /journals.
type Journal struct {
	JournalNumber int64  `json:"journalNumber"`
	Name          string `json:"name"`
	Settings      struct {
		// EntryTypeRestrictedTo is "" or the one entry type the journal
		// takes ("manualCustomerInvoice", "customerPayment", …).
		EntryTypeRestrictedTo string `json:"entryTypeRestrictedTo"`
	} `json:"settings"`
}

// Customer is a customer as created (POST /customers: currency,
// customerGroup, name, paymentTerms and vatZone required) and as read.
// CustomerNumber left 0 lets e-conomic choose it.
type Customer struct {
	CustomerNumber                int64             `json:"customerNumber,omitempty"`
	Name                          string            `json:"name"`
	CorporateIdentificationNumber string            `json:"corporateIdentificationNumber,omitempty"`
	VatNumber                     string            `json:"vatNumber,omitempty"`
	Address                       string            `json:"address,omitempty"`
	Zip                           string            `json:"zip,omitempty"`
	City                          string            `json:"city,omitempty"`
	Country                       string            `json:"country,omitempty"`
	Email                         string            `json:"email,omitempty"`
	Ean                           string            `json:"ean,omitempty"`
	Currency                      string            `json:"currency"`
	CustomerGroup                 *CustomerGroupRef `json:"customerGroup,omitempty"`
	PaymentTerms                  *PaymentTermsRef  `json:"paymentTerms,omitempty"`
	VatZone                       *VatZoneRef       `json:"vatZone,omitempty"`
	Layout                        *LayoutRef        `json:"layout,omitempty"`
	Barred                        bool              `json:"barred,omitempty"`
}

// Recipient is an invoice's recipient; name and vatZone are required.
type Recipient struct {
	Name    string      `json:"name"`
	Address string      `json:"address,omitempty"`
	Zip     string      `json:"zip,omitempty"`
	City    string      `json:"city,omitempty"`
	Country string      `json:"country,omitempty"`
	VatZone *VatZoneRef `json:"vatZone,omitempty"`
}

// References of an invoice; Other is free text ("any custom reference on
// the invoice", 250 characters, filterable), where the export puts its
// own reference to find a draft again.
type References struct {
	Other string `json:"other,omitempty"`
}

// Notes of an invoice.
type Notes struct {
	Heading   string `json:"heading,omitempty"`
	TextLine1 string `json:"textLine1,omitempty"`
	TextLine2 string `json:"textLine2,omitempty"`
}

// NewInvoiceLine is a line of a new draft. Quantity and UnitNetPrice are
// always sent: "Property quantity must have a value when product is set"
// (E04730). Description is required with an existing product.
type NewInvoiceLine struct {
	LineNumber         int64       `json:"lineNumber,omitempty"`
	SortKey            int64       `json:"sortKey,omitempty"`
	Description        string      `json:"description,omitempty"`
	Product            *ProductRef `json:"product,omitempty"`
	Quantity           float64     `json:"quantity"`
	UnitNetPrice       Amount      `json:"unitNetPrice"`
	DiscountPercentage float64     `json:"discountPercentage,omitempty"`
	Unit               *UnitRef    `json:"unit,omitempty"`
}

// NewDraftInvoice is POST /invoices/drafts; required: currency, customer,
// date, layout, paymentTerms, recipient (with name and vatZone). A credit
// note is an invoice with negative amounts. Date and DueDate are
// YYYY-MM-DD; DueDate is used only with payment terms of type dueDate,
// which require it.
type NewDraftInvoice struct {
	Date         string           `json:"date"`
	DueDate      string           `json:"dueDate,omitempty"`
	Currency     string           `json:"currency"`
	ExchangeRate float64          `json:"exchangeRate,omitempty"`
	Customer     *CustomerRef     `json:"customer,omitempty"`
	Layout       *LayoutRef       `json:"layout,omitempty"`
	PaymentTerms *PaymentTermsRef `json:"paymentTerms,omitempty"`
	Recipient    *Recipient       `json:"recipient,omitempty"`
	References   *References      `json:"references,omitempty"`
	Notes        *Notes           `json:"notes,omitempty"`
	Lines        []NewInvoiceLine `json:"lines,omitempty"`
}

// InvoiceLine is a line as e-conomic answers it, with what it computed.
type InvoiceLine struct {
	LineNumber         int64      `json:"lineNumber"`
	SortKey            int64      `json:"sortKey"`
	Description        string     `json:"description"`
	Product            ProductRef `json:"product"`
	Quantity           float64    `json:"quantity"`
	UnitNetPrice       Amount     `json:"unitNetPrice"`
	DiscountPercentage float64    `json:"discountPercentage"`
	TotalNetAmount     Amount     `json:"totalNetAmount"`
	// VatRate and VatAmount are on a booked invoice's lines.
	VatRate   float64 `json:"vatRate"`
	VatAmount Amount  `json:"vatAmount"`
}

// Invoice is what a draft and a booked invoice share, as answered.
type Invoice struct {
	Date         string        `json:"date"`
	DueDate      string        `json:"dueDate"`
	Currency     string        `json:"currency"`
	ExchangeRate float64       `json:"exchangeRate"`
	NetAmount    Amount        `json:"netAmount"`
	VatAmount    Amount        `json:"vatAmount"`
	GrossAmount  Amount        `json:"grossAmount"`
	Customer     CustomerRef   `json:"customer"`
	Recipient    Recipient     `json:"recipient"`
	PaymentTerms PaymentTerm   `json:"paymentTerms"`
	Layout       LayoutRef     `json:"layout"`
	References   References    `json:"references"`
	Notes        Notes         `json:"notes"`
	Lines        []InvoiceLine `json:"lines"`
}

// DraftInvoice is a draft as answered.
type DraftInvoice struct {
	DraftInvoiceNumber int64 `json:"draftInvoiceNumber"`
	Invoice
}

// BookedInvoice is a booked invoice as answered: POST /invoices/booked
// "returns the full booked invoice", and GET /invoices/booked/{n}.
type BookedInvoice struct {
	BookedInvoiceNumber int64 `json:"bookedInvoiceNumber"`
	Invoice
	Remainder Amount `json:"remainder"`
}

// ManualCustomerInvoice is a journal voucher's manual customer invoice
// entry: amount and date required, and the customer or the contra
// account. CustomerInvoice is the invoice's number (an integer in the
// schema: _journals.md, spysystem's ManualCustomerInvoiceEntry; its
// example's "customerInvoiceNumber" names no schema field).
type ManualCustomerInvoice struct {
	Customer         *CustomerRef `json:"customer,omitempty"`
	CustomerInvoice  int64        `json:"customerInvoice,omitempty"`
	Text             string       `json:"text,omitempty"`
	Amount           Amount       `json:"amount"`
	ContraAccount    *AccountRef  `json:"contraAccount,omitempty"`
	ContraVatAccount *VatCodeRef  `json:"contraVatAccount,omitempty"`
	Currency         *CurrencyRef `json:"currency,omitempty"`
	Date             string       `json:"date"`
	DueDate          string       `json:"dueDate,omitempty"`
}

// NewJournalVoucher is a voucher for POST /journals/{n}/vouchers: its
// accounting year ("2025", or "2024/2025") and its entries. VoucherNumber
// left 0 lets e-conomic number it.
type NewJournalVoucher struct {
	AccountingYear string
	VoucherNumber  int64
	Entries        []ManualCustomerInvoice
}

// JournalVoucher is a voucher of a journal, as answered; together the
// accounting year and the voucher number identify it.
type JournalVoucher struct {
	Journal        int64
	AccountingYear string
	VoucherNumber  int64
	Entries        []ManualCustomerInvoice
}

// voucherJSON is a voucher on the wire.
type voucherJSON struct {
	AccountingYear struct {
		Year string `json:"year"`
	} `json:"accountingYear"`
	Journal *struct {
		JournalNumber int64 `json:"journalNumber"`
	} `json:"journal,omitempty"`
	VoucherNumber int64 `json:"voucherNumber,omitempty"`
	Entries       struct {
		ManualCustomerInvoices []ManualCustomerInvoice `json:"manualCustomerInvoices"`
	} `json:"entries"`
}

func (v voucherJSON) voucher(journal int64) JournalVoucher {
	if v.Journal != nil && v.Journal.JournalNumber != 0 {
		journal = v.Journal.JournalNumber
	}
	return JournalVoucher{Journal: journal, AccountingYear: v.AccountingYear.Year, VoucherNumber: v.VoucherNumber,
		Entries: v.Entries.ManualCustomerInvoices}
}

// VoucherAttachment is a journal voucher's file, as its metadata tells.
type VoucherAttachment struct {
	CreatedAt string `json:"createdAt"`
	Pages     int    `json:"pages"`
}

// decodeOneOrFirst reads an object, or the first object of an array: the
// answer to a POST of vouchers is documented as "a single object" while
// "bulk creation is supported", and the sandbox answers a bulk with an
// array; either is read.
func decodeOneOrFirst(raw []byte, out any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return err
		}
		if len(items) != 1 {
			return fmt.Errorf("%d vouchers answered for one", len(items))
		}
		raw = items[0]
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return err
	}
	return nil
}

// selfSegment writes an id as one path segment the way e-conomic's self
// links do ("Custom resource self-link encoding", _introduction.md), then
// %-escapes the rest.
func selfSegment(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty id")
	}
	codes := map[rune]string{'<': "_0_", '>': "_1_", '*': "_2_", '%': "_3_", ':': "_4_", '&': "_5_", '/': "_6_", '\\': "_7_",
		'_': "_8_", ' ': "_9_", '?': "_10_", '.': "_11_", '#': "_12_", '+': "_13_"}
	var b strings.Builder
	for _, r := range s {
		if c, ok := codes[r]; ok {
			b.WriteString(c)
			continue
		}
		b.WriteRune(r)
	}
	return url.PathEscape(b.String()), nil
}
