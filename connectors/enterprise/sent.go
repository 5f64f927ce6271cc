package enterprise

import (
	"context"

	"bilag/connectors"
	"encoding/json"
	"fmt"
	"strconv"
)

// SentOrders is Bilag's record of the orders it sent (db.DB implements
// it): each order a company's connector sent, or may have sent, in the
// order sent, with the upload it was in and its body as stored: format
// BodyInvoice for a neutral invoice as JSON, "" for an order in
// Enterprise's own JSON (what Bilag stored before it sent invoices).
type SentOrders interface {
	SentImports(ctx context.Context, companyID int64, connector string, each func(batchID int64, source, format string, body []byte) error) error
}

// BodyInvoice is the format SentOrders gives a neutral invoice's body
// (db.BodyInvoice).
const BodyInvoice = "invoice"

// sentKeys are the serial keys of an order Bilag sent, read from its body
// as stored; none when the body cannot be read (it is Bilag's own, so it
// can hold no key to compare then).
func sentKeys(format string, body []byte, r Rules) (orderID string, keys []serialKey) {
	if format == BodyInvoice {
		var inv connectors.Invoice
		if json.Unmarshal(body, &inv) != nil {
			return "", nil
		}
		// Read as it was sent: with the connection's company and system.
		ch := validate(fromInvoice(inv).raw, r)
		return ch.Order.OrderID, ch.serials
	}
	var o sentLines
	if json.Unmarshal(body, &o) != nil {
		return "", nil
	}
	for _, l := range o.OrderLines {
		keys = append(keys, serialKey{o.Company, o.Customer.CustomerNumber, l.PrincipalNumber, l.CommodityNumber, l.SerialNumber})
	}
	return o.OrderID, keys
}

// sentLines is as much of a sent order as its serial keys need.
type sentLines struct {
	Company  int    `json:"company"`
	OrderID  string `json:"orderId"`
	Customer struct {
		CustomerNumber string `json:"customerNumber"`
	} `json:"customer"`
	OrderLines []struct {
		PrincipalNumber int `json:"principalNumber"`
		CommodityNumber int `json:"commodityNumber"`
		SerialNumber    int `json:"serialNumber"`
	} `json:"orderLines"`
}

// warnSentBefore warns on every line of checked whose serial key Bilag
// already sent to the company's Enterprise, naming the latest upload that
// sent it. A warning, not a refusal: Enterprise refuses the line only if
// the earlier basis is still there, and it may have been removed or
// credited since; only Enterprise knows. Orders with other errors are
// looked at too, so that every finding shows at once.
func warnSentBefore(ctx context.Context, sent SentOrders, companyID int64, checked []Checked, r Rules) error {
	wanted := map[serialKey]bool{}
	for _, c := range checked {
		for _, k := range c.serials {
			if k != (serialKey{}) {
				wanted[k] = true
			}
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	// where holds, per key, the latest upload that sent it: the walk is
	// oldest first, so a later one overwrites.
	where := map[serialKey]string{}
	err := sent.SentImports(ctx, companyID, Name, func(batchID int64, source, format string, body []byte) error {
		orderID, keys := sentKeys(format, body, r)
		for j, k := range keys {
			if _, ok := wanted[k]; ok && k != (serialKey{}) {
				where[k] = uploadName(batchID, source) + ": " + orderID + " / " + strconv.Itoa(j+1)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("orders sent before: %w", err)
	}
	// In the orders' and lines' order, not the map's: the findings read
	// top to bottom, the same on every upload.
	for i, c := range checked {
		for j, k := range c.serials {
			if arg, ok := where[k]; ok && k != (serialKey{}) {
				checked[i].Findings = append(checked[i].Findings,
					Finding{Line: j + 1, Field: "serialNumber", Code: CodeSentBefore, Arg: arg, Warning: true})
			}
		}
	}
	return nil
}

// uploadName names an upload as a finding shows it: its number (the
// number in its page's address) and its file.
func uploadName(batchID int64, source string) string {
	n := strconv.FormatInt(batchID, 10)
	if source == "" {
		return n
	}
	return n + " (" + source + ")"
}
