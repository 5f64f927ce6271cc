package netvisor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"bilag/connectors"
)

var _ connectors.RecordActions = (*Connector)(nil)

// The portal's actions on a sales order related to an invoice
// (connectors.RecordActions), each one salesorderinvoicing.nv call.
const (
	// ActBill: billanddelivery, the order's lines delivered and billed.
	ActBill = "bill"
	// ActDeliver: deliveryonly, the order's lines delivered.
	ActDeliver = "deliver"
)

// orderMethods are salesorderinvoicing.nv's methods by action, and the
// status the order has once it is taken (the seed's order statuses).
var orderMethods = map[string]struct{ method, after string }{
	ActBill:    {BillAndDelivery, "billed"},
	ActDeliver: {DeliveryOnly, "delivered"},
}

// RecordActions offers both actions on an undelivered order only.
// Inferred: the seed does not say how a delivered order's lines are billed
// (whether the delivered amount is given again), so Bilag leaves that to
// Netvisor's own screens rather than risk delivering twice.
func (c *Connector) RecordActions(rec connectors.Record) []string {
	if rec.Kind == "order" && rec.Status == "undelivered" {
		return []string{ActBill, ActDeliver}
	}
	return nil
}

// ActOnRecord delivers (or bills and delivers) an order whole: every line,
// its quantity as ordered, dated today in Helsinki. The order is read
// first and nothing is sent unless it is still undelivered; a lost answer
// is settled by reading it again, never by sending again.
func (c *Connector) ActOnRecord(ctx context.Context, g connectors.Grant, d connectors.Document, action string) (connectors.RecordAnswer, error) {
	m, ok := orderMethods[action]
	if !ok || d.Kind != KindSalesOrder || checkKey(d.ID) != nil {
		return connectors.RecordAnswer{}, fmt.Errorf("netvisor: order action %q on %s %q: %w", action, d.Kind, d.ID, connectors.ErrActionInput)
	}
	o, err := c.readOrder(ctx, g, d.ID)
	if err != nil {
		return connectors.RecordAnswer{}, err
	}
	inv, err := c.orderInvoicing(o)
	if err != nil {
		return connectors.RecordAnswer{}, fmt.Errorf("netvisor: order %s: %w: %w", d.ID, connectors.ErrActionInput, err)
	}
	err = c.InvoiceOrder(ctx, g, m.method, inv)
	if ae, ok := errors.AsType[*APIError](err); ok && !errors.Is(err, connectors.ErrAnswerLost) && refusal(ae) {
		return connectors.RecordAnswer{SendAnswer: refusedAnswer(ae)}, nil
	}
	if connectors.AnswerLost(err) {
		return c.settleOrder(ctx, g, d.ID, err)
	}
	if err != nil {
		return connectors.RecordAnswer{}, actionErr(err)
	}
	return connectors.RecordAnswer{SendAnswer: connectors.SendAnswer{Accepted: true, Code: "OK"}}, nil
}

// settleOrder reads an order whose invoicing's answer was lost: no longer
// undelivered, the invoicing was taken (Settled); still undelivered, it
// was not (ErrNotTaken); unreadable, the lost answer stands.
func (c *Connector) settleOrder(ctx context.Context, g connectors.Grant, key string, lost error) (connectors.RecordAnswer, error) {
	o, err := c.readOrder(ctx, g, key)
	if err != nil {
		c.log.Warn("order invoicing's answer lost and the order unreadable", "key", key, "err", err)
		return connectors.RecordAnswer{}, lost
	}
	if st := strings.ToLower(strings.TrimSpace(o.Status.Code)); st != "undelivered" {
		return connectors.RecordAnswer{SendAnswer: connectors.SendAnswer{Accepted: true, Code: "OK"}, Settled: true}, nil
	}
	return connectors.RecordAnswer{}, fmt.Errorf("netvisor: order %s: %w", key, connectors.ErrNotTaken)
}

// orderInvoicing is the invoicing of an order as read: an order that is
// not undelivered, or whose customer or lines lack the keys the call
// names, is not sent (ErrNotAllowed).
func (c *Connector) orderInvoicing(o orderReadXML) (OrderInvoicing, error) {
	if st := strings.ToLower(strings.TrimSpace(o.Status.Code)); st != "undelivered" {
		return OrderInvoicing{}, fmt.Errorf("order is %s, not undelivered: %w", st, ErrNotAllowed)
	}
	t := c.cfg.Now().In(helsinki())
	today := connectors.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
	inv := OrderInvoicing{CustomerKey: strings.TrimSpace(o.CustomerKey), InvoiceDate: today}
	for _, l := range o.Lines {
		qty, ok := connectors.ParseDecimal(strings.TrimSpace(l.Quantity))
		if !ok || checkKey(strings.TrimSpace(l.Key)) != nil {
			return OrderInvoicing{}, fmt.Errorf("order line %q: %w", l.Key, ErrNotAllowed)
		}
		inv.Lines = append(inv.Lines, OrderLine{Key: strings.TrimSpace(l.Key), DeliveryDate: today, Amount: qty})
	}
	if len(inv.Lines) == 0 || checkKey(inv.CustomerKey) != nil {
		return OrderInvoicing{}, fmt.Errorf("order without lines or customer key: %w", ErrNotAllowed)
	}
	return inv, nil
}
