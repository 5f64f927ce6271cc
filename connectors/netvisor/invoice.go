package netvisor

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"bilag/connectors"
)

// Netvisor receives Bilag's neutral invoices (connectors.InvoiceSender)
// through salesinvoice.nv?method=add, one invoice a request, as the seed
// (shared/seeds/004) describes the import. The mapping, element by
// element:
//
//	number                → salesinvoicenumber (digits, at most 18)
//	invoiceDate           → salesinvoicedate format="ansi"
//	dueDate               → salesinvoiceduedate, unless the extension
//	                        gives paymentTermNetDays (never both: the seed)
//	customer.number       → invoicingcustomeridentifier type="customer"
//	                        (the customer code in Netvisor), unless the
//	                        extension gives customerCode or
//	                        customerNetvisorKey (type="netvisor")
//	customer.currency     → salesinvoiceamount's iso4217currencycode
//	line.productNumber    → productidentifier type="customer" (the
//	                        product code), unless productNetvisorKey
//	line.text             → productname
//	line.unitPrice        → productunitprice type="net" (or "gross" with
//	                        the extension's priceType)
//	line.quantity         → salesinvoiceproductlinequantity
//	line.vatCode          → through the pairing (table vatCode) to
//	                        productvatpercentage and its vatcode
//	line.salesAccount     → accountingaccountsuggestion
//	pdf                   → a salesinvoiceattachment (application/pdf)
//
// Customers and products are linked, never created: the seed's import
// creates neither, and Preflight names every one Netvisor lacks. Only the
// customer's identifier is sent: the seed says any other customer detail
// in the import stops Netvisor taking the address from its customer card.
//
// Amounts: the invoice is the one the customer got, so Netvisor must not
// compute it again. Bilag writes every line's VAT sum and line sum (the
// seed: both are needed for either to be used) and the invoice's total,
// rounded to two decimals as the seed advises, and never the price type
// "netvisor" (customer prices and price coefficients) nor a discount
// from the customer card. A credit note is an invoice with negative
// quantities, hence negative sums and total (the seed's rule).
//
// Not offered: the delivery channel (the seed: it cannot be imported),
// orders and drafts (Bilag sends invoices), the customer's address and
// offices, voucher lines (Netvisor makes the voucher).

// InvoiceExt is Netvisor's extension of an invoice,
// Extensions["netvisor"].
type InvoiceExt struct {
	// CustomerCode and CustomerNetvisorKey link the invoicing customer
	// when customer.number is not its code in Netvisor (one of them).
	CustomerCode        string `json:"customerCode,omitempty"`
	CustomerNetvisorKey string `json:"customerNetvisorKey,omitempty"`
	// ReferenceNumber is the invoice's Finnish reference number
	// (viitenumero, 7-3-1 check digit) or RF reference, kept so that
	// payments match; Netvisor makes one when it is left out.
	ReferenceNumber string `json:"referenceNumber,omitempty"`
	// PriceType says whether the lines' unitPrice and amount are "net"
	// (the default, the neutral invoice's rule) or "gross" (VAT
	// included, as a consumer invoice states them).
	PriceType string `json:"priceType,omitempty"`
	// Total is the invoice's total with VAT as the customer got it;
	// when given it must equal the lines' sums.
	Total *connectors.Decimal `json:"total,omitempty"`
	// CurrencyRate overrides the ECB's rate Netvisor would use.
	CurrencyRate *connectors.Decimal `json:"currencyRate,omitempty"`
	EventDate    connectors.Date     `json:"eventDate,omitzero"`
	ValueDate    connectors.Date     `json:"valueDate,omitzero"`
	DeliveryDate connectors.Date     `json:"deliveryDate,omitzero"`
	// PaymentTermNetDays replaces dueDate (never both).
	PaymentTermNetDays  *int                `json:"paymentTermNetDays,omitempty"`
	CashDiscountDays    *int                `json:"cashDiscountDays,omitempty"`
	CashDiscountPercent *connectors.Decimal `json:"cashDiscountPercent,omitempty"`
	FreeTextBeforeLines string              `json:"freeTextBeforeLines,omitempty"`
	FreeTextAfterLines  string              `json:"freeTextAfterLines,omitempty"`
	OurReference        string              `json:"ourReference,omitempty"`
	YourReference       string              `json:"yourReference,omitempty"`
	// PrivateComment is shown only in Netvisor; Bilag adds its own mark
	// to it (see privateComment).
	PrivateComment        string              `json:"privateComment,omitempty"`
	AgreementIdentifier   string              `json:"agreementIdentifier,omitempty"`
	OrderNumber           string              `json:"orderNumber,omitempty"`
	ExpectPartialPayments bool                `json:"expectPartialPayments,omitempty"`
	OverrideRateOfOverdue *connectors.Decimal `json:"overrideRateOfOverdue,omitempty"`
	// AccountDimensionText is the customer's cost centre text.
	AccountDimensionText string       `json:"accountDimensionText,omitempty"`
	Accrual              *Accrual     `json:"accrual,omitempty"`
	CustomTags           []CustomTag  `json:"customTags,omitempty"`
	Attachments          []Attachment `json:"attachments,omitempty"`
}

// LineExt is Netvisor's extension of an invoice line,
// Lines[i].Extensions["netvisor"].
type LineExt struct {
	// ProductNetvisorKey links the product by its Netvisor key instead
	// of productNumber (its code).
	ProductNetvisorKey string `json:"productNetvisorKey,omitempty"`
	// FreeText is the line's description beside the product's name.
	FreeText           string              `json:"freeText,omitempty"`
	DiscountPercentage *connectors.Decimal `json:"discountPercentage,omitempty"`
	// VATSum is the line's VAT as the source computed it, when it did
	// not compute it line by line from the net sum.
	VATSum               *connectors.Decimal `json:"vatSum,omitempty"`
	UnitName             string              `json:"unitName,omitempty"`
	DeliveryDate         connectors.Date     `json:"deliveryDate,omitzero"`
	OrderNumber          string              `json:"orderNumber,omitempty"`
	ProvisionPercentage  *connectors.Decimal `json:"provisionPercentage,omitempty"`
	AccountDimensionText string              `json:"accountDimensionText,omitempty"`
	Dimensions           []Dimension         `json:"dimensions,omitempty"`
	Accrual              *Accrual            `json:"accrual,omitempty"`
}

// Accrual is the seed's accrualrule: even over StartMonth/Year to
// EndMonth/Year, or by a division curve kept in Netvisor.
type Accrual struct {
	StartMonth        int    `json:"startMonth"`
	StartYear         int    `json:"startYear"`
	EndMonth          int    `json:"endMonth,omitempty"`
	EndYear           int    `json:"endYear,omitempty"`
	DivisionCurveName string `json:"divisionCurveName,omitempty"`
}

// Dimension is one of a line's dimensions (räkenskapsobjekt): its
// heading and item.
type Dimension struct {
	Name string `json:"name"`
	Item string `json:"item"`
}

// CustomTag is one of the invoice's customer-specific fields.
type CustomTag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Type is the field's: float, date, text or enum.
	Type string `json:"type"`
}

// Attachment is a file sent with the invoice (salesinvoiceattachment).
type Attachment struct {
	MimeType    string `json:"mimeType"`
	Description string `json:"description"`
	FileName    string `json:"fileName"`
	// Data is the file; base64 in JSON.
	Data []byte `json:"data"`
	// Type is "pdf" (the default) or "finvoice".
	Type string `json:"type,omitempty"`
	// PrintByDefault marks the attachment for print (paper invoices
	// only); never with type finvoice.
	PrintByDefault bool `json:"printByDefault,omitempty"`
}

// readExt decodes the connector's extension into v strictly: a field it
// does not know is an error.
func readExt(exts connectors.Extensions, v any) error {
	raw, ok := exts[Name]
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Name is the connector's key, also its extensions' key.
const Name = "netvisor"

func extensionOf(v any) connectors.Extensions {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "{}" {
		return nil
	}
	return connectors.Extensions{Name: b}
}

// mark is what identifies inv among the invoices in Netvisor: the first
// 16 hex digits of the SHA-256 of the invoice as Bilag holds it. Bilag
// writes it into the private comment ("bilag:<mark>") so that a lost
// answer can be settled by listing.
func mark(inv connectors.Invoice) string {
	b, _ := json.Marshal(inv) // the neutral invoice always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// privateComment is the source's private comment with Bilag's mark on a
// line of its own.
func privateComment(own string, inv connectors.Invoice) string {
	m := "bilag:" + mark(inv)
	if own == "" {
		return m
	}
	return own + "\n" + m
}
