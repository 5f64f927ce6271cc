package enterprise

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"bilag/connectors"
)

// Enterprise receives Bilag's neutral invoices (connectors.InvoiceSender):
// each becomes one order of the order import. The mapping, field by field:
//
//	number               → orderId
//	customer.orgNumber   → customerNumber (spaces taken out)
//	customer.name        → name
//	customer.address     → address1 … address5
//	customer.postcode    → zipCode for a Norwegian customer (country NO or
//	                       none), else foreignZipCode
//	customer.city        → for a customer abroad, the address line after
//	                       the others; for a Norwegian one nothing (the
//	                       postcode names the place; an inference)
//	customer.country     → nationCode
//	customer.email       → eMailAddress; customer.phone → cellPhone
//	customer.currency    → nothing: the order import has no currency, so
//	                       only NOK is taken (an inference)
//	line.text            → lineText, one entry per line of the text, each
//	                       wrapped at 60 characters
//	line.quantity, unitPrice, amount → quantity, price, amount (amount is
//	                       quantity × unit price when not given)
//	line.vatCode         → vatCode; line.productNumber → commodityNumber
//	                       unless the extension gives it
//
// The rest is Enterprise's own (InvoiceExt, LineExt). Dates, the source's
// customer number and sales account are not sent: Enterprise Fakturering
// makes the invoice, its dates, and posts each commodity to its standard
// income account unless accountId1–10 say otherwise. A PDF is not sent
// either: the order import takes none.

// InvoiceExt is Enterprise's extension of an invoice,
// Extensions["enterprise"]: the order's fields no other system has. The
// connection fills externalSystem and company when they are left out.
type InvoiceExt struct {
	ExternalSystem string `json:"externalSystem,omitempty"`
	Company        *int   `json:"company,omitempty"`
	Division       *int   `json:"division,omitempty"`
	// ZipCode and ForeignZipCode: the one customer.postcode does not fill
	// (a Norwegian customer's foreignZipCode, a foreign one's zipCode).
	ZipCode        string `json:"zipCode,omitempty"`
	ForeignZipCode string `json:"foreignZipCode,omitempty"`
	BankAccount    string `json:"bankAccount,omitempty"`
}

// LineExt is Enterprise's extension of an invoice line,
// Lines[i].Extensions["enterprise"].
type LineExt struct {
	PrincipalNumber *int   `json:"principalNumber,omitempty"`
	CommodityNumber *int   `json:"commodityNumber,omitempty"`
	SerialNumber    *int   `json:"serialNumber,omitempty"`
	InternalInvoice *bool  `json:"internalInvoice,omitempty"`
	AccountID1      string `json:"accountId1,omitempty"`
	AccountID2      string `json:"accountId2,omitempty"`
	AccountID3      string `json:"accountId3,omitempty"`
	AccountID4      string `json:"accountId4,omitempty"`
	AccountID5      string `json:"accountId5,omitempty"`
	AccountID6      string `json:"accountId6,omitempty"`
	AccountID7      string `json:"accountId7,omitempty"`
	AccountID8      string `json:"accountId8,omitempty"`
	AccountID9      string `json:"accountId9,omitempty"`
	AccountID10     string `json:"accountId10,omitempty"`
	Profile         string `json:"profile,omitempty"`
	YourRef         string `json:"yourRef,omitempty"`
	OrderRef        string `json:"orderRef,omitempty"`
}

// The extension's fields, as the validator reads them (InvoiceExt's and
// LineExt's JSON names; a test holds the two to each other).
var (
	invoiceExtNames = []string{"externalSystem", "company", "division", "zipCode", "foreignZipCode", "bankAccount"}
	lineExtNames    = []string{"principalNumber", "commodityNumber", "serialNumber", "internalInvoice",
		"accountId1", "accountId2", "accountId3", "accountId4", "accountId5", "accountId6", "accountId7", "accountId8",
		"accountId9", "accountId10", "profile", "yourRef", "orderRef"}
)

// The finding codes of the mapping, beside the validator's.
const (
	CodeGivenTwice  = "given_twice"  // a neutral field and the extension both give one order field
	CodeAddressFull = "address_full" // a customer abroad: five address lines and a city
	CodeCurrency    = "currency"     // not NOK
	CodePDFNotSent  = "pdf_not_sent" // warning
)

const extPath = "extensions." + Name + "."

var (
	_ connectors.InvoiceSender  = (*Connector)(nil)
	_ connectors.InvoiceFormats = (*Connector)(nil)
)

// mapped is an invoice as the validator reads an upload, and where each
// order field came from in the invoice, to name a finding there.
type mapped struct {
	raw rawOrder
	// top names the invoice's fields by order field ("orderId",
	// "customer.zipCode"); lines each line's.
	top   map[string]string
	lines []map[string]string
}

// fromInvoice is inv as Enterprise's own JSON upload would carry it, so
// that the seed's rules apply to it exactly as to such an upload.
func fromInvoice(inv connectors.Invoice) mapped {
	m := mapped{raw: rawOrder{top: map[string]value{}, customer: map[string]value{}, customerOK: true},
		top: map[string]string{"orderId": "number", "customer": "customer"}}
	add := func(field, code string) {
		m.raw.findings = append(m.raw.findings, Finding{Field: field, Code: code})
	}
	str := func(s string) value {
		if s == "" {
			return value{}
		}
		return value{text: s, kind: kString}
	}
	m.raw.top["orderId"] = str(inv.Number)
	ext := readExt(inv.Extensions, invoiceExtNames, &m.raw.findings, 0)
	for _, n := range []string{"externalSystem", "company", "division"} {
		if v, ok := ext[n]; ok {
			m.raw.top[n] = v
		}
		m.top[n] = extPath + n
	}

	c := inv.Customer
	cu := m.raw.customer
	set := func(field, from string, v value) {
		if v.set() {
			cu[field] = v
		}
		m.top["customer."+field] = from
	}
	set("customerNumber", "customer.orgNumber", str(strings.ReplaceAll(c.OrgNumber, " ", "")))
	set("name", "customer.name", str(c.Name))
	address := slices.Clone(c.Address)
	norway := c.Country == "" || c.Country == "NO"
	cityLine := 0
	if c.City != "" && !norway {
		if len(address) >= 5 {
			add("customer.city", CodeAddressFull)
		} else {
			address = append(address, c.City)
			cityLine = len(address)
		}
	}
	for i := range 5 {
		n := "address" + strconv.Itoa(i+1)
		var v value
		if i < len(address) {
			v = str(address[i])
		}
		set(n, "customer.address", v)
	}
	if cityLine > 0 {
		m.top["customer.address"+strconv.Itoa(cityLine)] = "customer.city"
	}
	set("nationCode", "customer.country", str(c.Country))
	slot, other := "zipCode", "foreignZipCode"
	if !norway {
		slot, other = other, slot
	}
	set(slot, "customer.postcode", str(c.Postcode))
	if v, ok := ext[slot]; ok {
		if cu[slot].set() && v.set() {
			add(extPath+slot, CodeGivenTwice)
		} else {
			set(slot, extPath+slot, v)
		}
	}
	if v, ok := ext[other]; ok {
		set(other, extPath+other, v)
	} else {
		m.top["customer."+other] = extPath + other
	}
	set("cellPhone", "customer.phone", str(c.Phone))
	set("eMailAddress", "customer.email", str(c.Email))
	if v, ok := ext["bankAccount"]; ok {
		cu["bankAccount"] = v
	}
	m.top["customer.bankAccount"] = extPath + "bankAccount"
	if c.Currency != "" && c.Currency != "NOK" {
		add("customer.currency", CodeCurrency)
	}
	if inv.PDF != nil {
		m.raw.findings = append(m.raw.findings, Finding{Field: "pdf", Code: CodePDFNotSent, Warning: true})
	}

	for i, l := range inv.Lines {
		rl, names := fromLine(l, i+1, &m.raw.findings)
		m.raw.lines = append(m.raw.lines, rl)
		m.lines = append(m.lines, names)
	}
	return m
}

// fromLine is one line as the validator reads it, and its fields' names.
func fromLine(l connectors.InvoiceLine, n int, findings *[]Finding) (rawLine, map[string]string) {
	rl := rawLine{fields: map[string]value{}}
	names := map[string]string{"price": "unitPrice", "quantity": "quantity", "amount": "amount", "vatCode": "vatCode", "lineText": "text"}
	ext := readExt(l.Extensions, lineExtNames, findings, n)
	for k, v := range ext {
		rl.fields[k] = v
	}
	for _, k := range lineExtNames {
		names[k] = extPath + k
	}
	if l.ProductNumber != "" {
		if v, ok := ext["commodityNumber"]; ok && v.set() && v.text != l.ProductNumber {
			*findings = append(*findings, Finding{Line: n, Field: "productNumber", Code: CodeGivenTwice})
		} else if !ok || !v.set() {
			rl.fields["commodityNumber"] = value{text: l.ProductNumber, kind: kString}
			names["commodityNumber"] = "productNumber"
		}
	}
	rl.fields["price"] = value{text: l.UnitPrice.String(), kind: kString}
	rl.fields["quantity"] = value{text: l.Quantity.String(), kind: kString}
	amount := connectors.Decimal(l.LineAmount() * 100)
	if l.Amount != nil {
		amount = *l.Amount
	}
	rl.fields["amount"] = value{text: amount.String(), kind: kString}
	if l.VATCode != "" {
		rl.fields["vatCode"] = value{text: l.VATCode, kind: kString}
	}
	for _, t := range lineTexts(l.Text) {
		rl.textsKind = kString
		rl.texts = append(rl.texts, value{text: t, kind: kString})
	}
	return rl, names
}

// readExt reads the connector's extension object's fields as an upload's
// values; a field it does not know, or an extension that is no object, is
// a finding.
func readExt(exts connectors.Extensions, known []string, findings *[]Finding, line int) map[string]value {
	raw, ok := exts[Name]
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		*findings = append(*findings, Finding{Line: line, Field: strings.TrimSuffix(extPath, "."), Code: CodeWrongType})
		return nil
	}
	out := map[string]value{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			*findings = append(*findings, Finding{Line: line, Field: extPath + k, Code: CodeUnknownField})
			continue
		}
		out[k] = jsonValue(m[k])
	}
	return out
}

// lineTexts is a line's text as lineText: one entry per line of it, each
// wrapped at a space to at most 60 characters (a word longer than that is
// cut). Blank lines inside the text are kept; an empty text is none.
func lineTexts(text string) []string {
	if text == "" {
		return nil
	}
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		r := []rune(l)
		for len(r) > lenLineText {
			cut := lenLineText
			for i := lenLineText; i > 0; i-- {
				if r[i] == ' ' {
					cut = i
					break
				}
			}
			out = append(out, strings.TrimRight(string(r[:cut]), " "))
			r = []rune(strings.TrimLeft(string(r[cut:]), " "))
		}
		out = append(out, string(r))
	}
	return out
}

// rename names a validator's finding by the invoice's field it came from.
func (m mapped) rename(f Finding) connectors.InvoiceFinding {
	out := connectors.InvoiceFinding{Line: f.Line, Field: f.Field, Index: f.Index, Code: f.Code, Arg: f.Arg, Warning: f.Warning}
	names := m.top
	if f.Line > 0 && f.Line <= len(m.lines) {
		names = m.lines[f.Line-1]
	}
	if n, ok := names[f.Field]; ok {
		out.Field = n
		if n == "customer.address" {
			out.Index, _ = strconv.Atoi(strings.TrimPrefix(f.Field, "customer.address"))
		}
	}
	if f.Line > 0 && f.Field == "orderLines" {
		out.Field = "lines"
	}
	return out
}

// toInvoice is a validated order as a neutral invoice with Enterprise's
// extension: fromInvoice reads it back into the same order.
func toInvoice(o Order) connectors.Invoice {
	c := o.Customer
	inv := connectors.Invoice{Number: o.OrderID, Customer: connectors.Customer{
		OrgNumber: c.CustomerNumber, Name: c.Name, Country: c.NationCode, Email: c.EMailAddress, Phone: c.CellPhone}}
	address := []string{c.Address1, c.Address2, c.Address3, c.Address4, c.Address5}
	for len(address) > 0 && address[len(address)-1] == "" {
		address = address[:len(address)-1]
	}
	inv.Customer.Address = address
	ext := InvoiceExt{ExternalSystem: o.ExternalSystem, BankAccount: c.BankAccount}
	if o.Company != 0 {
		ext.Company = &o.Company
	}
	if c.NationCode == "" || c.NationCode == "NO" {
		inv.Customer.Postcode, ext.ForeignZipCode = c.ZipCode, c.ForeignZipCode
	} else {
		inv.Customer.Postcode, ext.ZipCode = c.ForeignZipCode, c.ZipCode
	}
	inv.Extensions = extensionOf(ext)
	for _, l := range o.OrderLines {
		amount := connectors.Decimal(int64(l.Amount) * 100)
		il := connectors.InvoiceLine{Text: strings.Join(l.LineText, "\n"), Quantity: connectors.Decimal(int64(l.Quantity) * 100),
			UnitPrice: connectors.Decimal(int64(l.Price) * 100), Amount: &amount}
		if l.VATCode != nil {
			il.VATCode = strconv.Itoa(*l.VATCode)
		}
		le := LineExt{PrincipalNumber: &l.PrincipalNumber, CommodityNumber: &l.CommodityNumber, SerialNumber: &l.SerialNumber,
			InternalInvoice: l.InternalInvoice, AccountID1: l.AccountID1, AccountID2: l.AccountID2, AccountID3: l.AccountID3,
			AccountID4: l.AccountID4, AccountID5: l.AccountID5, AccountID6: l.AccountID6, AccountID7: l.AccountID7,
			AccountID8: l.AccountID8, AccountID9: l.AccountID9, AccountID10: l.AccountID10,
			Profile: l.Profile, YourRef: l.YourRef, OrderRef: l.OrderRef}
		il.Extensions = extensionOf(le)
		inv.Lines = append(inv.Lines, il)
	}
	return inv
}

func extensionOf(v any) connectors.Extensions {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal enterprise extension: %v", err)) // strings, ints and bools only
	}
	if string(b) == "{}" {
		return nil
	}
	return connectors.Extensions{Name: b}
}

// keyOf is what makes a second send of the same order a duplicate: its
// system code and orderId, and the SHA-256 of the order as sent.
func keyOf(o Order) (key, digest string) {
	sum := sha256.Sum256(o.Normalised())
	return o.ExternalSystem + "/" + o.OrderID, hex.EncodeToString(sum[:])
}

// ValidateInvoices maps each invoice to its order and checks the batch as
// an upload in Enterprise's own format is checked (validate.go, and the
// serial numbers Bilag sent the company before), every finding named by
// the invoice's field it came from.
func (c *Connector) ValidateInvoices(ctx context.Context, g connectors.Grant, batch []connectors.Invoice) ([]connectors.InvoiceCheck, error) {
	s, err := grantSettings(g)
	if err != nil {
		return nil, err
	}
	ms := make([]mapped, len(batch))
	raws := make([]rawOrder, len(batch))
	for i, inv := range batch {
		ms[i] = fromInvoice(inv)
		raws[i] = ms[i].raw
	}
	checked := ValidateAll(raws, s.rules())
	if err := c.warnSent(ctx, checked, s.rules()); err != nil {
		return nil, err
	}
	out := make([]connectors.InvoiceCheck, len(checked))
	for i, ch := range checked {
		for _, f := range ch.Findings {
			out[i].Findings = append(out[i].Findings, ms[i].rename(f))
		}
		if ch.OK() {
			out[i].Key, out[i].Digest = keyOf(ch.Order)
		}
	}
	return out, nil
}

// warnSent warns about serial numbers sent before, when there is a record
// of them and a company to ask about.
func (c *Connector) warnSent(ctx context.Context, checked []Checked, r Rules) error {
	if co := connectors.CompanyOf(ctx); c.cfg.Sent != nil && co != 0 {
		if err := warnSentBefore(ctx, c.cfg.Sent, co, checked, r); err != nil {
			return fmt.Errorf("enterprise upload: %w", err)
		}
	}
	return nil
}

// OwnFormats are Enterprise's order JSON (the seed's structure, one order
// or a list) and its CSV (CSVTemplate).
func (c *Connector) OwnFormats() []string { return []string{"json", "csv"} }

// OwnTemplate is CSVTemplate.
func (c *Connector) OwnTemplate() []byte { return CSVTemplate() }

// ParseInvoices reads and validates an upload in Enterprise's own format,
// with the grant's rules and the serial numbers sent before, and gives
// each order as a neutral invoice with Enterprise's extension.
func (c *Connector) ParseInvoices(ctx context.Context, g connectors.Grant, format string, data []byte) ([]connectors.Invoice, []connectors.InvoiceCheck, error) {
	s, err := grantSettings(g)
	if err != nil {
		return nil, nil, err
	}
	var checked []Checked
	switch format {
	case "json":
		checked, err = ParseJSON(data, s.rules())
	case "csv":
		checked, err = ParseCSV(data, s.rules())
	default:
		return nil, nil, &connectors.ImportFileError{Code: "format"}
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return nil, nil, &connectors.ImportFileError{Code: fe.Code, Row: fe.Row, Name: fe.Name}
	}
	if err != nil {
		return nil, nil, err
	}
	if err := c.warnSent(ctx, checked, s.rules()); err != nil {
		return nil, nil, err
	}
	invs := make([]connectors.Invoice, len(checked))
	checks := make([]connectors.InvoiceCheck, len(checked))
	for i, ch := range checked {
		invs[i] = toInvoice(ch.Order)
		for _, f := range ch.Findings {
			checks[i].Findings = append(checks[i].Findings, connectors.InvoiceFinding{Line: f.Line, Field: f.Field, Index: f.Index, Code: f.Code, Arg: f.Arg, Warning: f.Warning})
		}
		if !ch.OK() {
			continue
		}
		// The key is of the order SendInvoice will send: the invoice read
		// back, which is the upload's order (a lone empty lineText aside,
		// which an invoice's text cannot hold and which says nothing).
		o, err := order(invs[i], s)
		if err != nil {
			return nil, nil, fmt.Errorf("enterprise order %q as an invoice: %w", ch.Order.OrderID, err)
		}
		checks[i].Key, checks[i].Digest = keyOf(o)
	}
	return invs, checks, nil
}

// order is inv as Enterprise's order, validated with the grant's rules.
func order(inv connectors.Invoice, s settings) (Order, error) {
	ch := validate(fromInvoice(inv).raw, s.rules())
	if !ch.OK() {
		return Order{}, fmt.Errorf("enterprise: invoice %q is not a valid order (%d findings)", inv.Number, len(ch.Findings))
	}
	return ch.Order, nil
}

// SendInvoice posts inv's order once (post).
func (c *Connector) SendInvoice(ctx context.Context, g connectors.Grant, _ connectors.Pairing, inv connectors.Invoice) (connectors.SendAnswer, error) {
	s, err := grantSettings(g)
	if err != nil {
		return connectors.SendAnswer{}, err
	}
	o, err := order(inv, s)
	if err != nil {
		return connectors.SendAnswer{}, err
	}
	return c.post(ctx, s, o.Normalised())
}

// InvoiceTarget is the web-service root the grant's orders go to.
func (c *Connector) InvoiceTarget(g connectors.Grant) string {
	s, err := grantSettings(g)
	if err != nil {
		return ""
	}
	return s.Root
}

// ExampleInvoice is the seed's example order as a neutral invoice.
func (c *Connector) ExampleInvoice() connectors.Invoice {
	inv := connectors.Invoice{Number: "12345-A2", Customer: connectors.Customer{
		OrgNumber: "04057912345", Name: "Olsen Petter", Address: []string{"Lerkestien 4", "Postboks 28"},
		Postcode: "1661", Country: "NO", Email: "petterolsen@offline.no", Phone: "004798000001", Currency: "NOK"}}
	p, cm, s := 20, 100, 1
	amount := connectors.Decimal(26343000)
	inv.Lines = []connectors.InvoiceLine{{Text: "Dette er en ordrelinje\nsom er sendt inn\nvia WS",
		Quantity: 213200, UnitPrice: 1235600, Amount: &amount, VATCode: "100",
		Extensions: extensionOf(LineExt{PrincipalNumber: &p, CommodityNumber: &cm, SerialNumber: &s, AccountID1: "000000001610",
			AccountID3: "000000003010", Profile: "XGHK231", YourRef: "Lars Gundersen", OrderRef: "THF"})}}
	return inv
}
