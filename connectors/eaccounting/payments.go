package eaccounting

import (
	"context"
	"fmt"
	"time"

	"bilag/connectors"
)

// What is left to pay on the invoice a voucher was booked from, for the
// vouchers page's unpaid/overdue filter and the voucher page: read when
// the voucher's documents are listed, from the invoice itself
// (CustomerInvoiceApi, SupplierInvoiceApi: RemainingAmount, DueDate,
// PaymentStatus), and written onto the invoice's own document.

// customerPaymentJSON is the part of CustomerInvoiceApi that says what is
// paid.
type customerPaymentJSON struct {
	// RemainingAmount is in the company's currency; nil when not given.
	RemainingAmount *float64
	DueDate         apiTime
	// PaymentStatus: 0 Paid, 1 Unpaid, 2 Overdue.
	PaymentStatus               *int
	LastPaymentReminderSentDate apiTime
}

// supplierInvoiceJSON is the part of SupplierInvoiceApi Bilag reads.
type supplierInvoiceJSON struct {
	Attachments     []string
	RemainingAmount *float64
	DueDate         apiTime
	// PaymentStatus: 3 Unpaid, 4 PartiallyPaidOverDue, 5 PartiallyPaid,
	// 6 Paid, 7 OverDue, 8 NotExportedToPaymentFile, 9 PaidInBank, 10–17
	// the stages of a payment sent through the bank.
	PaymentStatus *int
}

// payment is an invoice's state in Bilag's words (connectors.Document's
// InvoiceStatus, OpenSum, DueDate).
type payment struct {
	status  string
	openSum *int64
	due     time.Time
}

// openSum is a RemainingAmount in cents, nil when not given.
func openSum(remaining *float64) *int64 {
	if remaining == nil {
		return nil
	}
	return new(minor(*remaining))
}

func (p payment) onto(d *connectors.Document) {
	d.InvoiceStatus, d.OpenSum, d.DueDate = p.status, p.openSum, p.due
}

// customerStatus is a customer invoice's PaymentStatus in the codes the
// filter reads: paid, open, overdue; an overdue invoice that has had a
// payment reminder is "reminded", as Netvisor says it.
func (j customerPaymentJSON) payment() payment {
	p := payment{openSum: openSum(j.RemainingAmount), due: j.DueDate.Time}
	if j.PaymentStatus == nil {
		return p
	}
	switch *j.PaymentStatus {
	case 0:
		p.status = "paid"
	case 1:
		p.status = "open"
	case 2:
		p.status = "overdue"
		if !j.LastPaymentReminderSentDate.IsZero() {
			p.status = "reminded"
		}
	}
	return p
}

// payment says a supplier invoice's PaymentStatus in the filter's codes.
// Inferred: the bank's stages (8, 10–17) leave the invoice open until it
// is paid (6) or paid in the bank (9); RemainingAmount says the sum.
func (j supplierInvoiceJSON) payment() payment {
	p := payment{openSum: openSum(j.RemainingAmount), due: j.DueDate.Time}
	if j.PaymentStatus == nil {
		return p
	}
	switch s := *j.PaymentStatus; {
	case s == 6 || s == 9:
		p.status = "paid"
	case s == 4 || s == 7:
		p.status = "overdue"
	case s == 3 || s == 5 || (s >= 8 && s <= 17):
		p.status = "open"
	}
	return p
}

// customerPayment reads what is paid on a customer invoice. Not readable
// (403: no sales permission; 404: deleted; Visma failing) is unknown, not
// an error: the invoice's PDF, which needs no call to list, is still
// listed. Only the caller's own end (gone, out of time) is an error.
func (c *Connector) customerPayment(ctx context.Context, tok *token, invoiceID string) (*payment, error) {
	seg, err := segment(invoiceID)
	if err != nil {
		return nil, fmt.Errorf("customer invoice: %w", err)
	}
	var j customerPaymentJSON
	pctx, cancel := spare(ctx)
	defer cancel()
	err = c.get(pctx, tok, "GET /customerinvoices/{invoiceId}", "/customerinvoices"+seg, nil, &j)
	if err != nil && ctx.Err() == nil {
		c.logger.WarnContext(ctx, "customer invoice's payment not readable", "invoice_id", invoiceID, "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get customer invoice %q: %w", invoiceID, err)
	}
	p := j.payment()
	return &p, nil
}

// InvoiceStates reads, with the sync, what is paid on the customer
// invoices modified since (all, when zero): one list, GET
// /customerinvoices?modifiedSinceUtc= (the parameter the OpenAPI document
// gives that list), so that an invoice paid after its voucher was opened
// is not kept unpaid. Inferred: a payment changes the invoice's
// ModifiedUtc. Supplier invoices are not read here: their list documents
// no such parameter, and reading it whole each sync is not cheap.
func (c *Connector) InvoiceStates(ctx context.Context, g connectors.Grant, since time.Time) ([]connectors.InvoiceState, error) {
	tok, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("eaccounting: get customer invoices: %w", err)
	}
	var out []connectors.InvoiceState
	for page := 1; page <= maxPages; page++ {
		var resp struct {
			Meta pageMeta
			Data []struct {
				Id string
				customerPaymentJSON
			}
		}
		q := pageQuery(page)
		if !since.IsZero() {
			q.Set("modifiedSinceUtc", since.UTC().Truncate(time.Second).Format(modifiedSinceLayout))
		}
		if err := c.get(ctx, tok, "GET /customerinvoices", "/customerinvoices", q, &resp); err != nil {
			return nil, fmt.Errorf("eaccounting: get customer invoices: %w", err)
		}
		for _, inv := range resp.Data {
			p := inv.payment()
			out = append(out, connectors.InvoiceState{Kind: KindCustomerInvoice, ID: inv.Id, Status: p.status, OpenSum: p.openSum})
		}
		if len(resp.Data) == 0 || resp.Meta.CurrentPage >= resp.Meta.TotalNumberOfPages {
			break
		}
	}
	return out, nil
}

// spare bounds a call that only adds to a page (an invoice's payment) by
// half the time left to the person's wait, so that on a slow upstream the
// page comes without it rather than not at all.
func spare(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Until(deadline)/2)
}
