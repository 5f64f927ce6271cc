package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// What is left to pay on the demo world's invoices, from the OpenAPI
// document's SupplierInvoiceApi and CustomerInvoiceApi: RemainingAmount,
// DueDate, PaymentDate and PaymentStatus (supplier: 3 Unpaid, 6 Paid,
// 7 OverDue, …; customer: 0 Paid, 1 Unpaid, 2 Overdue), and a customer
// invoice's LastPaymentReminderSentDate. Like the dimensions, derived from
// the voucher's index, never drawn from the world's generator. The status
// follows the sandbox's clock, as Visma's follows today.

// unpaid says the invoice of the voucher at i is still open: every fifth.
func unpaid(i int32) bool { return i%5 == 3 }

// supplierPayment is a supplier invoice's remaining amount, payment status
// and payment date (nil while unpaid).
func (co *company) supplierPayment(i int32, due, now time.Time) (remaining float64, status int, paid *time.Time) {
	v := &co.vouchers[i]
	if !unpaid(i) {
		p := due.AddDate(0, 0, -2)
		return 0, 6, &p
	}
	remaining = cents(v.gross)
	if v.typ == vtSupplierCredit {
		remaining = -remaining
	}
	if now.After(due) {
		return remaining, 7, nil
	}
	return remaining, 3, nil
}

// getCustomerInvoice renders the part of CustomerInvoiceApi that says
// what is paid, with the fields every invoice has.
func (s *Sandbox) getCustomerInvoice(c *call) {
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := parseUID(c.r.PathValue("invoiceId"))
	i, found := co.sourceByID[id]
	if !ok || !found || (co.vouchers[i].typ != vtCustomerInvoice && co.vouchers[i].typ != vtCustomerCredit) {
		c.fail(http.StatusNotFound, 3000, "ResourceNotFound - Customer invoice not found.")
		return
	}
	c.json(http.StatusOK, co.customerInvoiceJSON(i, s.now()))
}

func (co *company) customerInvoiceJSON(i int32, now time.Time) map[string]any {
	v := &co.vouchers[i]
	sign := 1.0
	if v.typ == vtCustomerCredit {
		sign = -1
	}
	invDate := v.day()
	due := invDate.AddDate(0, 0, 30)
	currency := "SEK"
	if co.Country == "NO" {
		currency = "NOK"
	}
	no, _ := strconv.Atoi(v.invoiceNumber())
	body := map[string]any{
		"Id": v.source.String(), "CurrencyCode": currency, "CurrencyRate": 1,
		"TotalAmount": sign * cents(v.gross), "TotalVatAmount": sign * cents(v.vat()), "TotalRoundings": 0,
		"TotalAmountInvoiceCurrency": sign * cents(v.gross), "TotalVatAmountInvoiceCurrency": sign * cents(v.vat()),
		"SetOffAmountInvoiceCurrency": 0, "CustomerId": derivedUID(co.id, 500+uint64(v.party)).String(),
		"InvoiceDate": isoTime(invDate), "DueDate": isoTime(due), "DeliveryDate": nil, "RotReducedInvoicingType": 0, "EuThirdParty": false,
		"Rows":          []map[string]any{{"LineNumber": 0, "Text": co.voucherText(v), "UnitPrice": sign * cents(v.gross-v.vat()), "Quantity": 1, "IsTextRow": false}},
		"InvoiceNumber": no, "CustomerNumber": strconv.Itoa(101 + int(v.party)%len(customers(co.Country))),
		"VoucherNumber": fmt.Sprintf("%c%d", v.series, v.number), "VoucherId": v.id.String(),
		"ModifiedUtc": unixISO(v.modified), "LastPaymentReminderSentDate": nil, "PaymentDate": nil,
		"RemainingAmount": 0, "RemainingAmountInvoiceCurrency": 0, "PaymentStatus": 0,
	}
	if !unpaid(i) {
		body["PaymentDate"] = isoTime(due.AddDate(0, 0, -3))
		return body
	}
	body["RemainingAmount"], body["RemainingAmountInvoiceCurrency"], body["PaymentStatus"] = sign*cents(v.gross), sign*cents(v.gross), 1
	if now.After(due) {
		body["PaymentStatus"] = 2
		// Every other overdue invoice has had a reminder, ten days late.
		if reminded := due.AddDate(0, 0, 10); i%2 == 0 && now.After(reminded) {
			body["LastPaymentReminderSentDate"] = isoTime(reminded)
		}
	}
	return body
}

// getCustomerInvoices lists PaginatedResponseOfCustomerInvoiceApi, only
// those modified after modifiedSinceUtc when it is given (the list's one
// documented parameter besides OData's).
func (s *Sandbox) getCustomerInvoices(c *call) {
	var since time.Time
	if v := c.r.URL.Query().Get("modifiedSinceUtc"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			c.fail(http.StatusBadRequest, 6000, "QueryParameterError - modifiedSinceUtc is not a date-time.")
			return
		}
		since = t
	}
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	var idx []int32
	for i := range co.vouchers {
		v := &co.vouchers[i]
		if (v.typ == vtCustomerInvoice || v.typ == vtCustomerCredit) && v.modified > since.Unix() {
			idx = append(idx, int32(i))
		}
	}
	now := s.now()
	list(c, len(idx), map[string]fieldKind{}, func(int, string) value { return value{} },
		func(i int) map[string]any { return co.customerInvoiceJSON(idx[i], now) })
}
