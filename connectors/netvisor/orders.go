package netvisor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"bilag/connectors"
)

var _ connectors.RecordReader = (*Connector)(nil)

// orderReadXML is the part of getorder.nv's answer Bilag shows. The seed: the
// order follows getsalesinvoice.nv's structure (SalesInvoice, its
// InvoiceStatus with the status attribute, InvoiceLines of
// SalesInvoiceProductLine); the order's statuses are archived,
// undelivered, delivered and billed.
type orderReadXML struct {
	Number   string `xml:"SalesInvoiceNumber"`
	Date     string `xml:"SalesInvoiceDate"`
	Customer string `xml:"InvoicingCustomerName"`
	// CustomerKey and the lines' Key are what salesorderinvoicing.nv
	// names (the seed: InvoicingCustomerNetvisorKey, the line's
	// NetvisorKey "Fakturaradens ID").
	CustomerKey string `xml:"InvoicingCustomerNetvisorKey"`
	Amount      struct {
		Currency string `xml:"iso4217currencycode,attr"`
		Text     string `xml:",chardata"`
	} `xml:"SalesInvoiceAmount"`
	Status struct {
		Code string `xml:"status,attr"`
	} `xml:"InvoiceStatus"`
	Lines []struct {
		Key      string `xml:"NetvisorKey"`
		Code     string `xml:"ProductIdentifier"`
		Name     string `xml:"ProductName"`
		Price    string `xml:"ProductUnitPrice"`
		Vat      string `xml:"ProductVatPercentage"`
		Quantity string `xml:"SalesInvoiceProductLineQuantity"`
		Sum      string `xml:"SalesInvoiceProductLineLinesum"`
	} `xml:"InvoiceLines>InvoiceLine>SalesInvoiceProductLine"`
}

// orderStatuses are the seed's order statuses, the only ones shown.
var orderStatuses = []string{"archived", "undelivered", "delivered", "billed"}

// Record reads an order related to a sales invoice (KindSalesOrder) with
// getorder.nv, without its PDF.
func (c *Connector) Record(ctx context.Context, g connectors.Grant, d connectors.Document) (connectors.Record, error) {
	if d.Kind != KindSalesOrder || checkKey(d.ID) != nil {
		return connectors.Record{}, fmt.Errorf("netvisor: read record %s %q: %w", d.Kind, d.ID, connectors.ErrNotFound)
	}
	o, err := c.readOrder(ctx, g, d.ID)
	if err != nil {
		return connectors.Record{}, err
	}
	return o.record()
}

// readOrder is getorder.nv's answer for the order key, without its PDF.
func (c *Connector) readOrder(ctx context.Context, g connectors.Grant, key string) (orderReadXML, error) {
	cr, err := readGrant(g)
	if err != nil {
		return orderReadXML{}, fmt.Errorf("netvisor: read order %s: %w", key, err)
	}
	got, err := readList[orderReadXML](ctx, c, cr, "getorder.nv", []param{{"netvisorkey", key}, {"pdfimage", "nopdf"}}, "SalesInvoice")
	if err != nil {
		return orderReadXML{}, fmt.Errorf("netvisor: read order %s: %w", key, err)
	}
	if len(got) == 0 {
		return orderReadXML{}, fmt.Errorf("netvisor: read order %s: %w", key, connectors.ErrNotFound)
	}
	return got[0], nil
}

// record is the order in the neutral words; an amount that is no number
// is a bad answer.
func (o orderReadXML) record() (connectors.Record, error) {
	r := connectors.Record{Kind: "order", Number: strings.TrimSpace(o.Number), Customer: strings.TrimSpace(o.Customer), Currency: strings.TrimSpace(o.Amount.Currency)}
	if st := strings.ToLower(strings.TrimSpace(o.Status.Code)); slices.Contains(orderStatuses, st) {
		r.Status = st
	}
	r.Date, _ = time.Parse("2006-01-02", strings.TrimSpace(o.Date))
	var err error
	if r.Total, err = optAmount(o.Amount.Text); err != nil {
		return r, fmt.Errorf("netvisor: order %s total: %w", r.Number, connectors.ErrBadAnswer)
	}
	for _, l := range o.Lines {
		line := connectors.RecordLine{Code: strings.TrimSpace(l.Code), Name: strings.TrimSpace(l.Name), Quantity: strings.TrimSpace(l.Quantity), VatPercent: strings.TrimSpace(l.Vat)}
		price, err1 := optAmount(l.Price)
		sum, err2 := optAmount(l.Sum)
		if err1 != nil || err2 != nil {
			return r, fmt.Errorf("netvisor: order %s line: %w", r.Number, connectors.ErrBadAnswer)
		}
		line.UnitPrice, line.Sum = price, sum
		r.Lines = append(r.Lines, line)
	}
	return r, nil
}

// optAmount is parseAmount, 0 for an empty element.
func optAmount(s string) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	return parseAmount(s)
}
