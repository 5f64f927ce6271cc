package netvisor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"bilag/connectors"
)

// The low-level calls on a sales invoice already in Netvisor, for the
// portal's pages to come (each confirmed, audited and limited to admins
// and member analysts there). Each is one write (write: never retried).

// ErrNotAllowed: a change Bilag does not make (a status other than the two
// it offers, a comment too long, a key that is no key); nothing was sent.
var ErrNotAllowed = errors.New("change not allowed")

// Statuses Bilag may set with updatesalesinvoicestatus.nv: open, only
// from unsent (which makes Netvisor book the invoice's voucher), and
// credit loss.
const (
	StatusOpen       = "open"
	StatusCreditLoss = "creditloss"
)

func checkKey(key string) error {
	if !allDigits(key) {
		return fmt.Errorf("netvisor key %q: %w", key, ErrNotAllowed)
	}
	return nil
}

// invoiceStatusXML is getsalesinvoice.nv's InvoiceStatus: the text is
// localised, the status attribute is the code (the seed).
type invoiceStatusXML struct {
	Status struct {
		Code string `xml:"status,attr"`
	} `xml:"InvoiceStatus"`
}

// InvoiceStatus is the status code of the sales invoice key (open, paid,
// unsent, …; the seed's list), read with getsalesinvoice.nv without its
// PDF.
func (c *Connector) InvoiceStatus(ctx context.Context, g connectors.Grant, key string) (string, error) {
	cr, err := readGrant(g)
	if err == nil {
		err = checkKey(key)
	}
	if err != nil {
		return "", fmt.Errorf("netvisor: invoice status: %w", err)
	}
	got, err := readList[invoiceStatusXML](ctx, c, cr, "getsalesinvoice.nv", []param{{"netvisorkey", key}, {"pdfimage", "nopdf"}}, "SalesInvoice")
	if err != nil {
		return "", fmt.Errorf("netvisor: invoice %s status: %w", key, err)
	}
	if len(got) == 0 {
		return "", fmt.Errorf("netvisor: invoice %s: %w", key, connectors.ErrNotFound)
	}
	return strings.ToLower(strings.TrimSpace(got[0].Status.Code)), nil
}

// UpdateInvoiceStatus sets the invoice's status with
// updatesalesinvoicestatus.nv: StatusOpen only for an invoice that is
// unsent (read first), StatusCreditLoss for any.
func (c *Connector) UpdateInvoiceStatus(ctx context.Context, g connectors.Grant, key, status string) error {
	cr, err := readGrant(g)
	if err == nil {
		err = checkKey(key)
	}
	if err == nil && status != StatusOpen && status != StatusCreditLoss {
		err = fmt.Errorf("status %q: %w", status, ErrNotAllowed)
	}
	if err != nil {
		return fmt.Errorf("netvisor: update invoice status: %w", err)
	}
	if status == StatusOpen {
		now, err := c.InvoiceStatus(ctx, g, key)
		if err != nil {
			return err
		}
		if now != "unsent" {
			return fmt.Errorf("netvisor: invoice %s is %s, not unsent: %w", key, now, ErrNotAllowed)
		}
	}
	// The seed: the value is given in the URI; the body is empty.
	if _, err := c.write(ctx, cr, "POST", "updatesalesinvoicestatus.nv", []param{{"netvisorkey", key}, {"status", status}}, []byte{}); err != nil {
		return fmt.Errorf("netvisor: update invoice %s status: %w", key, err)
	}
	return nil
}

// Invoice types salesinvoicecomment.nv takes (the seed).
const (
	CommentInvoice = "invoice"
	CommentOrder   = "order"
	CommentDraft   = "invoicedraft"
)

// CommentInvoice adds a comment (at most 500 characters) to the
// processing history of an invoice, order or draft with
// salesinvoicecomment.nv.
func (c *Connector) CommentInvoice(ctx context.Context, g connectors.Grant, invoiceType, key, comment string) error {
	cr, err := readGrant(g)
	if err == nil {
		err = checkKey(key)
	}
	switch {
	case err != nil:
	case invoiceType != CommentInvoice && invoiceType != CommentOrder && invoiceType != CommentDraft:
		err = fmt.Errorf("invoice type %q: %w", invoiceType, ErrNotAllowed)
	case comment == "" || utf8.RuneCountInString(comment) > 500 || !latin9OK(comment):
		err = fmt.Errorf("comment: empty, over 500 characters or not ISO-8859-15: %w", ErrNotAllowed)
	}
	if err != nil {
		return fmt.Errorf("netvisor: comment invoice: %w", err)
	}
	var x xb
	x.open("root")
	x.open("salesinvoicecomments")
	x.open("salesinvoicecomment")
	x.elem("invoicetype", invoiceType)
	x.elem("invoicenetvisorkey", key)
	x.elem("comment", comment)
	x.close("salesinvoicecomment")
	x.close("salesinvoicecomments")
	x.close("root")
	if _, err := c.write(ctx, cr, "POST", "salesinvoicecomment.nv", nil, toLatin9(x.b.String())); err != nil {
		return fmt.Errorf("netvisor: comment invoice %s: %w", key, err)
	}
	return nil
}

// DeleteInvoice deletes a sales invoice with deletesalesinvoice.nv (a GET,
// as the seed has it, yet a write: never retried). Netvisor decides
// whether it still may (its refusal is the *APIError); which invoices
// Bilag offers to delete (those it sent) is the portal's to decide.
func (c *Connector) DeleteInvoice(ctx context.Context, g connectors.Grant, key string) error {
	cr, err := readGrant(g)
	if err == nil {
		err = checkKey(key)
	}
	if err != nil {
		return fmt.Errorf("netvisor: delete invoice: %w", err)
	}
	if _, err := c.write(ctx, cr, "GET", "deletesalesinvoice.nv", []param{{"invoiceid", key}}, nil); err != nil {
		return fmt.Errorf("netvisor: delete invoice %s: %w", key, err)
	}
	return nil
}

// OrderInvoicing is salesorderinvoicing.nv's body: the invoicing
// customer's key, the date and the order lines to deliver.
type OrderInvoicing struct {
	CustomerKey string
	InvoiceDate connectors.Date
	Lines       []OrderLine
}

// OrderLine is one order line delivered.
type OrderLine struct {
	Key            string
	DeliveryDate   connectors.Date
	Amount         connectors.Decimal
	PostDelivery   bool
	InventoryPlace string
}

// Methods of salesorderinvoicing.nv.
const (
	DeliveryOnly    = "deliveryonly"
	BillAndDelivery = "billanddelivery"
)

// InvoiceOrder delivers (and with BillAndDelivery invoices) an order in
// Netvisor with salesorderinvoicing.nv.
func (c *Connector) InvoiceOrder(ctx context.Context, g connectors.Grant, method string, o OrderInvoicing) error {
	cr, err := readGrant(g)
	if err == nil {
		err = checkKey(o.CustomerKey)
	}
	switch {
	case err != nil:
	case method != DeliveryOnly && method != BillAndDelivery:
		err = fmt.Errorf("method %q: %w", method, ErrNotAllowed)
	case o.InvoiceDate.IsZero() || len(o.Lines) == 0:
		err = fmt.Errorf("date and lines are required: %w", ErrNotAllowed)
	}
	for _, l := range o.Lines {
		if err == nil && (checkKey(l.Key) != nil || l.DeliveryDate.IsZero() || (l.InventoryPlace != "" && !allDigits(l.InventoryPlace))) {
			err = fmt.Errorf("order line %q: %w", l.Key, ErrNotAllowed)
		}
	}
	if err != nil {
		return fmt.Errorf("netvisor: invoice order: %w", err)
	}
	if _, err := c.write(ctx, cr, "POST", "salesorderinvoicing.nv", []param{{"method", method}}, orderXML(o)); err != nil {
		return fmt.Errorf("netvisor: invoice order: %w", err)
	}
	return nil
}

// orderXML is the seed's salesorderinvoicing structure.
func orderXML(o OrderInvoicing) []byte {
	var x xb
	x.open("root")
	x.open("salesorderinvoicing")
	x.open("invoicingcustomer")
	x.elem("netvisorkey", o.CustomerKey)
	x.date("invoicedate", o.InvoiceDate)
	x.open("invoicingproductlines")
	for _, l := range o.Lines {
		x.open("invoicingproductline")
		x.elem("netvisorkey", l.Key)
		x.date("deliverydate", l.DeliveryDate)
		x.elem("deliveryamount", number(l.Amount), "ispostdelivery", strconv.FormatBool(l.PostDelivery))
		x.opt("inventoryplace", l.InventoryPlace, "type", "netvisor")
		x.close("invoicingproductline")
	}
	x.close("invoicingproductlines")
	x.close("invoicingcustomer")
	x.close("salesorderinvoicing")
	x.close("root")
	return toLatin9(x.b.String())
}
