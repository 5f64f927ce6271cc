package netvisor

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"bilag/connectors"
)

var (
	_ connectors.InvoiceSender = (*Connector)(nil)
	_ connectors.InvoiceLookup = (*Connector)(nil)
	_ connectors.Pairer        = (*Connector)(nil)
)

// The pairing's tables and the setting's keys.
const (
	TableVATCode = "vatCode"
	TableSetting = "setting"
	SettingState = "status"
)

// statusOf is the company's status on arrival: open (the seed's example,
// and what makes Netvisor book the voucher at once) unless it chose
// unsent.
func statusOf(p connectors.Pairing) string {
	if p.Value(TableSetting, SettingState) == "unsent" {
		return "unsent"
	}
	return "open"
}

// xb builds the import XML: lower-case elements as the seed writes them,
// text escaped; encoded to ISO-8859-15 at the end.
type xb struct{ b strings.Builder }

func (x *xb) open(name string, attrs ...string) {
	x.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.b.WriteString(" " + attrs[i] + `="`)
		xml.EscapeText(&x.b, []byte(attrs[i+1])) //nolint:errcheck // a Builder does not fail
		x.b.WriteString(`"`)
	}
	x.b.WriteString(">")
}

func (x *xb) close(name string) { x.b.WriteString("</" + name + ">") }

func (x *xb) elem(name, text string, attrs ...string) {
	x.open(name, attrs...)
	xml.EscapeText(&x.b, []byte(text)) //nolint:errcheck // a Builder does not fail
	x.close(name)
}

// opt writes the element only when text is not empty.
func (x *xb) opt(name, text string, attrs ...string) {
	if text != "" {
		x.elem(name, text, attrs...)
	}
}

func (x *xb) date(name string, d connectors.Date) {
	if !d.IsZero() {
		x.elem(name, d.String(), "format", "ansi")
	}
}

func optNumber(d *connectors.Decimal) string {
	if d == nil {
		return ""
	}
	return number(*d)
}

// sums is a line's amounts as sent: VAT and the sum with VAT, in
// hundredths.
type sums struct{ vat, gross int64 }

// lineSums computes a line's VAT and gross sum from its net (or gross)
// amount and the paired percent, unless the source gave the VAT.
func lineSums(l connectors.InvoiceLine, ext LineExt, gross bool, percent connectors.Decimal) sums {
	amt := l.LineAmount()
	if gross {
		vat := amt - netOfGross(amt, percent)
		if ext.VATSum != nil {
			vat = ext.VATSum.Round(2) / 100
		}
		return sums{vat: vat, gross: amt}
	}
	vat := vatOf(amt, percent)
	if ext.VATSum != nil {
		vat = ext.VATSum.Round(2) / 100
	}
	return sums{vat: vat, gross: amt + vat}
}

// errNotValid: an invoice SendInvoice was handed that ValidateInvoices
// refuses, or whose VAT codes are not paired: nothing is sent.
var errNotValid = errors.New("invoice not valid for Netvisor")

// importXML is inv as salesinvoice.nv's import, under pairing p.
func importXML(inv connectors.Invoice, p connectors.Pairing) ([]byte, error) {
	if fs := validateInvoice(inv); len(fs) > 0 {
		return nil, fmt.Errorf("netvisor: invoice %q: %d findings: %w", inv.Number, len(fs), errNotValid)
	}
	var ext InvoiceExt
	_ = readExt(inv.Extensions, &ext) // validated
	gross := ext.PriceType == "gross"
	lines := make([]LineExt, len(inv.Lines))
	ls := make([]sums, len(inv.Lines))
	codes := make([]string, len(inv.Lines))
	percents := make([]connectors.Decimal, len(inv.Lines))
	var total int64
	for i, l := range inv.Lines {
		_ = readExt(l.Extensions, &lines[i])
		code, pct, ok := pairedVAT(p.Value(TableVATCode, l.VATCode))
		if !ok {
			return nil, fmt.Errorf("netvisor: invoice %q line %d: VAT code %q not paired: %w", inv.Number, i+1, l.VATCode, errNotValid)
		}
		codes[i], percents[i] = code, pct
		ls[i] = lineSums(l, lines[i], gross, pct)
		total += ls[i].gross
	}
	if ext.Total != nil && ext.Total.Round(2)/100 != total {
		return nil, fmt.Errorf("netvisor: invoice %q: total %s is not the lines' %s: %w", inv.Number, ext.Total, amount(total), errNotValid)
	}
	var x xb
	x.open("root")
	x.open("salesinvoice")
	writeHead(&x, inv, ext, p, total)
	x.open("invoicelines")
	for i, l := range inv.Lines {
		writeLine(&x, l, lines[i], gross, codes[i], percents[i], ls[i])
	}
	x.close("invoicelines")
	writeTail(&x, inv, ext)
	x.close("salesinvoice")
	x.close("root")
	return toLatin9(x.b.String()), nil
}

// writeHead writes the invoice's own elements, in the seed's order.
func writeHead(x *xb, inv connectors.Invoice, ext InvoiceExt, p connectors.Pairing, total int64) {
	x.elem("salesinvoicenumber", inv.Number)
	x.date("salesinvoicedate", inv.InvoiceDate)
	x.date("salesinvoiceeventdate", ext.EventDate)
	x.date("salesinvoiceduedate", inv.DueDate)
	x.date("salesinvoicevaluedate", ext.ValueDate)
	x.date("salesinvoicedeliverydate", ext.DeliveryDate)
	x.opt("salesinvoicereferencenumber", strings.ReplaceAll(ext.ReferenceNumber, " ", ""))
	var attrs []string
	if inv.Customer.Currency != "" {
		attrs = append(attrs, "iso4217currencycode", inv.Customer.Currency)
	}
	if ext.CurrencyRate != nil {
		attrs = append(attrs, "currencyrate", number(*ext.CurrencyRate))
	}
	x.elem("salesinvoiceamount", amount(total), attrs...)
	x.elem("invoicetype", "invoice")
	x.elem("salesinvoicestatus", statusOf(p), "type", "netvisor")
	x.opt("salesinvoicefreetextbeforelines", ext.FreeTextBeforeLines)
	x.opt("salesinvoicefreetextafterlines", ext.FreeTextAfterLines)
	x.opt("salesinvoiceourreference", ext.OurReference)
	x.opt("salesinvoiceyourreference", ext.YourReference)
	x.elem("salesinvoiceprivatecomment", privateComment(ext.PrivateComment, inv))
	switch {
	case ext.CustomerNetvisorKey != "":
		x.elem("invoicingcustomeridentifier", ext.CustomerNetvisorKey, "type", "netvisor")
	case ext.CustomerCode != "":
		x.elem("invoicingcustomeridentifier", ext.CustomerCode, "type", "customer")
	default:
		x.elem("invoicingcustomeridentifier", inv.Customer.Number, "type", "customer")
	}
	if ext.PaymentTermNetDays != nil {
		x.elem("paymenttermnetdays", strconv.Itoa(*ext.PaymentTermNetDays))
	}
	if ext.CashDiscountDays != nil && ext.CashDiscountPercent != nil {
		x.elem("paymenttermcashdiscountdays", strconv.Itoa(*ext.CashDiscountDays))
		x.elem("paymenttermcashdiscount", number(*ext.CashDiscountPercent), "type", "percentage")
	}
	if ext.ExpectPartialPayments {
		x.elem("expectpartialpayments", "1")
	}
	x.opt("salesinvoiceagreementidentifier", ext.AgreementIdentifier)
	x.opt("overriderateofoverdue", optNumber(ext.OverrideRateOfOverdue))
	x.opt("ordernumber", ext.OrderNumber)
	x.opt("accountdimensiontext", ext.AccountDimensionText)
}

// writeLine writes one product line: the unit price as the source gave
// it, the VAT code and percent paired, and the line's VAT and sum so
// that Netvisor does not compute them again.
func writeLine(x *xb, l connectors.InvoiceLine, ext LineExt, gross bool, code string, pct connectors.Decimal, s sums) {
	x.open("invoiceline")
	x.open("salesinvoiceproductline")
	if ext.ProductNetvisorKey != "" {
		x.elem("productidentifier", ext.ProductNetvisorKey, "type", "netvisor")
	} else {
		x.elem("productidentifier", l.ProductNumber, "type", "customer")
	}
	x.elem("productname", l.Text)
	priceType := "net"
	if gross {
		priceType = "gross"
	}
	x.elem("productunitprice", number(l.UnitPrice), "type", priceType)
	x.elem("productvatpercentage", number(pct), "vatcode", code)
	x.elem("salesinvoiceproductlinequantity", number(l.Quantity))
	x.opt("salesinvoiceproductlinediscountpercentage", optNumber(ext.DiscountPercentage))
	x.opt("salesinvoiceproductlinefreetext", ext.FreeText)
	x.elem("salesinvoiceproductlinevatsum", amount(s.vat))
	x.elem("salesinvoiceproductlinesum", amount(s.gross))
	x.opt("accountingaccountsuggestion", l.SalesAccount)
	for _, d := range ext.Dimensions {
		x.open("dimension")
		x.elem("dimensionname", d.Name)
		x.elem("dimensionitem", d.Item)
		x.close("dimension")
	}
	x.opt("provisionpercentage", optNumber(ext.ProvisionPercentage))
	writeAccrual(x, ext.Accrual)
	x.opt("productunitname", ext.UnitName)
	x.date("deliverydate", ext.DeliveryDate)
	x.opt("ordernumber", ext.OrderNumber)
	x.opt("accountdimensiontext", ext.AccountDimensionText)
	x.close("salesinvoiceproductline")
	x.close("invoiceline")
}

func writeAccrual(x *xb, a *Accrual) {
	if a == nil {
		return
	}
	x.open("accrualrule")
	x.elem("startmonth", strconv.Itoa(a.StartMonth))
	x.elem("startyear", strconv.Itoa(a.StartYear))
	if a.DivisionCurveName != "" {
		x.elem("divisioncurvename", a.DivisionCurveName)
	} else {
		x.elem("endmonth", strconv.Itoa(a.EndMonth))
		x.elem("endyear", strconv.Itoa(a.EndYear))
	}
	x.close("accrualrule")
}

// writeTail writes what follows the lines: the invoice's accrual, its
// attachments (its own PDF first) and its custom tags.
func writeTail(x *xb, inv connectors.Invoice, ext InvoiceExt) {
	writeAccrual(x, ext.Accrual)
	as := ext.Attachments
	if inv.PDF != nil {
		own := Attachment{MimeType: "application/pdf", Description: "Lasku " + inv.Number, FileName: inv.PDF.FileName, Data: inv.PDF.Data, Type: "pdf"}
		as = append([]Attachment{own}, as...)
	}
	if len(as) > 0 {
		x.open("salesinvoiceattachments")
		for _, a := range as {
			x.open("salesinvoiceattachment")
			x.elem("mimetype", a.MimeType)
			x.elem("attachmentdescription", a.Description)
			x.elem("filename", a.FileName)
			typ := a.Type
			if typ == "" {
				typ = "pdf"
			}
			x.elem("documentdata", base64.StdEncoding.EncodeToString(a.Data), "type", typ)
			if a.PrintByDefault {
				x.elem("printbydefault", "1")
			}
			x.close("salesinvoiceattachment")
		}
		x.close("salesinvoiceattachments")
	}
	if len(ext.CustomTags) > 0 {
		x.open("customtags")
		for _, t := range ext.CustomTags {
			x.open("tag")
			x.elem("tagname", t.Name)
			x.elem("tagvalue", t.Value, "type", t.Type)
			x.close("tag")
		}
		x.close("customtags")
	}
}

// SendInvoice imports inv once with salesinvoice.nv?method=add. Netvisor's
// key for the invoice it made is the answer's Reference. A refusal
// (INVALID_DATA and the like) is an answer, not an error; an answer that
// did not arrive is ErrAnswerLost, for LookUpInvoice to settle.
func (c *Connector) SendInvoice(ctx context.Context, g connectors.Grant, p connectors.Pairing, inv connectors.Invoice) (connectors.SendAnswer, error) {
	cr, err := readGrant(g)
	if err != nil {
		return connectors.SendAnswer{}, fmt.Errorf("netvisor: send invoice %q: %w", inv.Number, err)
	}
	body, err := importXML(inv, p)
	if err != nil {
		return connectors.SendAnswer{}, err
	}
	rest, err := c.write(ctx, cr, "POST", "salesinvoice.nv", []param{{"method", "add"}}, body)
	if ae, ok := errors.AsType[*APIError](err); ok && !errors.Is(err, connectors.ErrAnswerLost) && refusal(ae) {
		return refusedAnswer(ae), nil
	}
	if err != nil {
		return connectors.SendAnswer{}, fmt.Errorf("netvisor: send invoice %q: %w", inv.Number, err)
	}
	key := insertedKey(rest)
	if key == "" {
		// OK without the key: the invoice is there, but Bilag cannot name
		// it; the lookup can.
		return connectors.SendAnswer{}, fmt.Errorf("netvisor: send invoice %q: answer without InsertedDataIdentifier: %w", inv.Number, connectors.ErrAnswerLost)
	}
	return connectors.SendAnswer{Accepted: true, Code: "OK", Reference: key}, nil
}

// refusal: Netvisor said no to the data itself, which is an answer to
// show beside the invoice; a refusal of the keys, the rights or the
// moment (maintenance, a busy queue) is an error, the invoice not sent.
func refusal(ae *APIError) bool {
	switch ae.Code {
	case codeAuthenticationFailed, codeServiceAccess, codeMaintenance, codeMaintenanceHeltti, codeRequestNotUnique:
		return false
	case "":
		return ae.HTTPStatus >= 400 && ae.HTTPStatus < 500 && ae.HTTPStatus != 429 && ae.HTTPStatus != 401 && ae.HTTPStatus != 403
	}
	return true
}

// InvoiceTarget is the organisation and host the grant's invoices go to.
func (c *Connector) InvoiceTarget(g connectors.Grant) string {
	cr, err := readGrant(g)
	if err != nil {
		return ""
	}
	return cr.OrgID + " @ " + cr.Host
}

// ExampleInvoice is an invoice of the demo company to a customer and
// with products its Netvisor has, Netvisor's extension filled in.
func (c *Connector) ExampleInvoice() connectors.Invoice {
	d := func(s string) connectors.Decimal { v, _ := connectors.ParseDecimal(s); return v }
	day := func(s string) connectors.Date { v, _ := connectors.ParseDate(s); return v }
	return connectors.Invoice{
		Number: "1201", InvoiceDate: day("2026-06-01"), DueDate: day("2026-06-15"),
		Customer: connectors.Customer{Number: "1001", Name: "Helsingin Keittiötalo Oy", OrgNumber: "0112038-9", Country: "FI", Currency: "EUR"},
		Lines: []connectors.InvoiceLine{
			{Text: "Tammiovi, keittiö", Quantity: d("4"), UnitPrice: d("185.00"), VATCode: "25.5", ProductNumber: "OVI-01", SalesAccount: "3000",
				Extensions: extensionOf(LineExt{FreeText: "Mittatilaus", Dimensions: []Dimension{{Name: "Projekti", Item: "Keittiöt 2026"}}})},
			{Text: "Asennustyö", Quantity: d("6"), UnitPrice: d("62.50"), VATCode: "25.5", ProductNumber: "ASENNUS", SalesAccount: "3000",
				Extensions: extensionOf(LineExt{UnitName: "h"})},
		},
		Extensions: extensionOf(InvoiceExt{ReferenceNumber: "12014", OurReference: "Aino Saaristo", YourReference: "Mikko Koivisto"}),
	}
}
