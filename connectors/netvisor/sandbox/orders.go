package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
)

// order is getorder.nv: the seed says an order follows getsalesinvoice.nv's
// structure and parameters, with the order statuses (archived,
// undelivered, delivered, billed); includedocuments=1 adds the invoices
// made from it, as salesinvoice elements with invoicenumber. Which of
// getsalesinvoice.nv's elements an order fills is inferred: the number,
// date, amount, status, customer and product lines.
func (s *Sandbox) order(w http.ResponseWriter, q url.Values, req request) {
	key, err := strconv.Atoi(q.Get("netvisorkey"))
	if err != nil {
		writeFailure(w, req.codes, "INVALID_DATA", "netvisorkey is required")
		return
	}
	s.mu.Lock()
	var o *SalesOrder
	if p := req.org.Orders[key]; p != nil {
		c := *p
		o = &c
	}
	s.mu.Unlock()
	x := okHeader(w, s.now())
	if o != nil {
		x.open("SalesInvoice")
		x.elem("SalesInvoiceNetvisorKey", strconv.Itoa(o.Key))
		x.elem("SalesInvoiceNumber", o.Number)
		x.elem("SalesInvoiceDate", ansiDate(o.Date), "format", "ansi")
		var total int64
		for _, it := range o.Items {
			total += it.Sum
		}
		x.elem("SalesInvoiceAmount", decimal(total))
		x.elem("InvoiceStatus", o.Status, "status", o.Status)
		x.elem("InvoicingCustomerName", o.Customer)
		x.elem("InvoicingCustomerNetvisorKey", strconv.Itoa(o.CustomerKey))
		writeOrderLines(x, o.Items)
		if q.Get("includedocuments") == "1" {
			s.writeRelated(x, req.org, "salesinvoice", "invoicenumber", o.Invoices)
		}
		x.close("SalesInvoice")
	}
	x.close("Root")
	x.flush()
}

// writeOrderLines writes the seed's InvoiceLines of product lines.
func writeOrderLines(x *xmlWriter, items []OrderItem) {
	x.open("InvoiceLines")
	for _, it := range items {
		x.open("InvoiceLine")
		x.open("SalesInvoiceProductLine")
		x.elem("NetvisorKey", strconv.Itoa(it.Key))
		x.elem("ProductIdentifier", it.ProductCode, "type", "customer")
		x.elem("ProductName", it.Name)
		x.elem("ProductUnitPrice", decimal(it.UnitPrice))
		x.elem("ProductVatPercentage", it.VatPercent, "vatcode", it.VatCode)
		x.elem("SalesInvoiceProductLineQuantity", it.Qty)
		x.elem("SalesInvoiceProductLineVatSum", decimal(it.VatSum))
		x.elem("SalesInvoiceProductLineLinesum", decimal(it.Sum))
		x.close("SalesInvoiceProductLine")
		x.close("InvoiceLine")
	}
	x.close("InvoiceLines")
}

// writeRelated writes the seed's documents aggregate: per related order
// (elem salesorder, number ordernumber) or invoice (salesinvoice,
// invoicenumber) its netvisorkey and number. The seed's levels put the
// number beside the element; the sandbox nests it inside (inferred).
func (s *Sandbox) writeRelated(x *xmlWriter, org *Org, elem, numberElem string, keys []int) {
	if len(keys) == 0 {
		return
	}
	s.mu.Lock()
	numbers := make([]string, len(keys))
	for i, k := range keys {
		if o := org.Orders[k]; elem == "salesorder" && o != nil {
			numbers[i] = o.Number
		} else if si := org.Sales[k]; elem == "salesinvoice" && si != nil {
			numbers[i] = si.Number
		}
	}
	s.mu.Unlock()
	x.open("documents")
	for i, k := range keys {
		x.open(elem)
		x.elem("netvisorkey", strconv.Itoa(k))
		x.elem(numberElem, numbers[i])
		x.close(elem)
	}
	x.close("documents")
}
