package netvisor

import (
	"context"
	"errors"
	"slices"
	"testing"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

var order801 = connectors.Document{ID: "801", Kind: KindSalesOrder, FileName: "5001", ContentType: connectors.ContentTypeRecord}

// An undelivered order offers both actions; billing it sends every line
// once, as ordered, and the order is billed; it then offers nothing, and
// asking again sends nothing.
func TestActOnRecordBills(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	rec, err := e.conn.Record(ctx, g, order801)
	if err != nil || !slices.Equal(e.conn.RecordActions(rec), []string{ActBill, ActDeliver}) {
		t.Fatalf("Record = %+v, %v; actions %v", rec, err, e.conn.RecordActions(rec))
	}
	ans, err := e.conn.ActOnRecord(ctx, g, order801, ActBill)
	if err != nil || !ans.Accepted || ans.Settled {
		t.Fatalf("ActOnRecord(bill) = %+v, %v", ans, err)
	}
	if o := e.sb.Order(sandbox.DemoOrgID, 801); o.Status != "billed" || len(o.Invoices) != 2 {
		t.Fatalf("order 801 = %+v, want billed with a new invoice", o)
	}
	rec, _ = e.conn.Record(ctx, g, order801)
	if got := e.conn.RecordActions(rec); len(got) != 0 {
		t.Errorf("a billed order offers %v", got)
	}
	calls := e.sb.Calls("salesorderinvoicing.nv")
	if _, err := e.conn.ActOnRecord(ctx, g, order801, ActDeliver); !errors.Is(err, connectors.ErrActionInput) {
		t.Errorf("deliver a billed order: %v, want ErrActionInput", err)
	}
	if n := e.sb.Calls("salesorderinvoicing.nv") - calls; n != 0 {
		t.Errorf("%d calls for an order no longer undelivered", n)
	}
}

// Bad input sends nothing: an action Bilag does not know, another kind of
// document, a key that is no key.
func TestActOnRecordBadInput(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	for _, tc := range []struct {
		name   string
		d      connectors.Document
		action string
	}{
		{"unknown action", order801, "cancel"},
		{"not an order", connectors.Document{ID: "602", Kind: KindSalesInvoice}, ActBill},
		{"bad key", connectors.Document{ID: "80 1", Kind: KindSalesOrder}, ActBill},
	} {
		if _, err := e.conn.ActOnRecord(context.Background(), g, tc.d, tc.action); !errors.Is(err, connectors.ErrActionInput) {
			t.Errorf("%s: %v, want ErrActionInput", tc.name, err)
		}
	}
	if n := e.sb.Calls("salesorderinvoicing.nv") + e.sb.Calls("getorder.nv"); n != 0 {
		t.Errorf("%d calls for bad input", n)
	}
}

// Netvisor's refusal is an answer in its words; a lost answer is settled
// by reading the order, never by sending again.
func TestActOnRecordRefusedAndLost(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	e.sb.FailNext("salesorderinvoicing.nv", "INVALID_DATA")
	ans, err := e.conn.ActOnRecord(ctx, g, order801, ActDeliver)
	if err != nil || ans.Accepted || ans.Message == "" || ans.Code != "INVALID_DATA" {
		t.Fatalf("refused: %+v, %v", ans, err)
	}
	if o := e.sb.Order(sandbox.DemoOrgID, 801); o.Status != "undelivered" {
		t.Fatalf("after a refusal the order is %s", o.Status)
	}
	e.sb.LoseNextAnswer("salesorderinvoicing.nv")
	ans, err = e.conn.ActOnRecord(ctx, g, order801, ActDeliver)
	if err != nil || !ans.Accepted || !ans.Settled {
		t.Fatalf("lost answer: %+v, %v; want accepted, settled by reading", ans, err)
	}
	if n := e.sb.Calls("salesorderinvoicing.nv"); n != 2 {
		t.Errorf("salesorderinvoicing.nv called %d times, want 2 (the refusal, the lost one)", n)
	}
	if o := e.sb.Order(sandbox.DemoOrgID, 801); o.Status != "delivered" {
		t.Errorf("order 801 is %s, want delivered", o.Status)
	}
}
