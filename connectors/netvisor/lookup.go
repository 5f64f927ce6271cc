package netvisor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"bilag/connectors"
)

// listedInvoice is salesinvoicelist.nv's SalesInvoice (the seed), with
// the private comment replyoption=1 adds.
type listedInvoice struct {
	Key            string `xml:"NetvisorKey"`
	Number         string `xml:"InvoiceNumber"`
	Status         string `xml:"InvoiceStatus"`
	CustomerCode   string `xml:"CustomerCode"`
	PrivateComment string `xml:"AdditionalInformation>PrivateComment"`
}

// lookBack is how far before now the second look (by modification time)
// reaches: a lost answer is settled soon after, as a rule (inferred; the
// first look, by number, has no such bound).
const lookBackDays = 31

// ErrNumberTaken: Netvisor has an invoice with the number that Bilag did
// not send (its private comment lacks Bilag's mark): whether Bilag's
// invoice arrived stays unknown, and a person must look.
var ErrNumberTaken = errors.New("invoice number taken in Netvisor by an invoice without Bilag's mark")

// LookUpInvoice settles a lost answer by listing, never by sending: first
// salesinvoicelist.nv by the invoice's number, then by modification since
// lookBackDays with the customer's code (or key); each time with
// replyoption=1, so that the private comment comes along and Bilag's mark
// in it (privateComment) tells its invoice from another.
func (c *Connector) LookUpInvoice(ctx context.Context, g connectors.Grant, p connectors.Pairing, inv connectors.Invoice) (connectors.SendAnswer, bool, error) {
	cr, err := readGrant(g)
	if err != nil {
		return connectors.SendAnswer{}, false, fmt.Errorf("netvisor: look up invoice %q: %w", inv.Number, err)
	}
	want := "bilag:" + mark(inv)
	byNumber, err := readList[listedInvoice](ctx, c, cr, "salesinvoicelist.nv", []param{{"invoicenumber", inv.Number}, {"replyoption", "1"}}, "SalesInvoice")
	if err != nil {
		return connectors.SendAnswer{}, false, fmt.Errorf("netvisor: look up invoice %q: %w", inv.Number, err)
	}
	taken := false
	for _, li := range byNumber {
		if strings.TrimSpace(li.Number) != inv.Number {
			continue
		}
		if strings.Contains(li.PrivateComment, want) {
			return found(li), true, nil
		}
		taken = true
	}
	if taken {
		return connectors.SendAnswer{}, false, fmt.Errorf("netvisor: look up invoice %q: %w", inv.Number, ErrNumberTaken)
	}
	params := []param{{"lastmodifiedstart", c.cfg.Now().In(helsinki()).AddDate(0, 0, -lookBackDays).Format("2006-01-02")}}
	if cl := customerLink(inv); cl.key {
		params = append(params, param{"customernetvisorkey", cl.code})
	} else {
		params = append(params, param{"customercode", cl.code})
	}
	params = append(params, param{"replyoption", "1"})
	recent, err := readList[listedInvoice](ctx, c, cr, "salesinvoicelist.nv", params, "SalesInvoice")
	if err != nil {
		return connectors.SendAnswer{}, false, fmt.Errorf("netvisor: look up invoice %q: %w", inv.Number, err)
	}
	for _, li := range recent {
		if strings.Contains(li.PrivateComment, want) {
			return found(li), true, nil
		}
	}
	return connectors.SendAnswer{}, false, nil
}

func found(li listedInvoice) connectors.SendAnswer {
	return connectors.SendAnswer{Accepted: true, Code: "OK", Message: strings.TrimSpace(li.Status), Reference: strings.TrimSpace(li.Key)}
}
