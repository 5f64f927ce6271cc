package enterprise

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// SentOrders is Bilag's record of the orders it sent (db.DB implements
// it): each order a company's connector sent, or may have sent, in the
// order sent, with the upload it was in and its body as sent.
type SentOrders interface {
	SentImports(ctx context.Context, companyID int64, connector string, each func(batchID int64, source string, body []byte) error) error
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
func warnSentBefore(ctx context.Context, sent SentOrders, companyID int64, checked []Checked) error {
	type place struct{ order, line int }
	wanted := map[serialKey][]place{}
	for i, c := range checked {
		for j, k := range c.serials {
			if k != (serialKey{}) {
				wanted[k] = append(wanted[k], place{i, j + 1})
			}
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	// where holds, per key, the latest upload that sent it: the walk is
	// oldest first, so a later one overwrites.
	where := map[serialKey]string{}
	err := sent.SentImports(ctx, companyID, Name, func(batchID int64, source string, body []byte) error {
		var o sentLines
		if json.Unmarshal(body, &o) != nil {
			// Bodies are Bilag's own normalised orders; one that is not
			// can hold no key to compare.
			return nil
		}
		for j, l := range o.OrderLines {
			k := serialKey{o.Company, o.Customer.CustomerNumber, l.PrincipalNumber, l.CommodityNumber, l.SerialNumber}
			if _, ok := wanted[k]; ok {
				where[k] = uploadName(batchID, source) + ": " + o.OrderID + " / " + strconv.Itoa(j+1)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("orders sent before: %w", err)
	}
	for k, arg := range where {
		for _, p := range wanted[k] {
			checked[p.order].Findings = append(checked[p.order].Findings,
				Finding{Line: p.line, Field: "serialNumber", Code: CodeSentBefore, Arg: arg, Warning: true})
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
