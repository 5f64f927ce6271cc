package netvisor

import (
	"context"
	"testing"

	"bilag/connectors"
	"bilag/connectors/invoice"
	"bilag/connectors/netvisor/sandbox"
)

// The demo's sample period reads as Bilag's invoice format, validates,
// passes the pre-flight against the demo organisation's customers and
// products, and the sandbox takes every invoice, the credit note too,
// each with its PDF attached.
func TestDemoPeriod(t *testing.T) {
	parsed, err := invoice.ParseJSON(DemoPeriod())
	if err != nil || len(parsed) != 8 {
		t.Fatalf("the demo period: %d invoices, %v", len(parsed), err)
	}
	var batch []connectors.Invoice
	for _, p := range parsed {
		if len(p.Findings) != 0 {
			t.Errorf("invoice %s: %+v", p.Invoice.Number, p.Findings)
		}
		batch = append(batch, p.Invoice)
	}
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	checks, err := e.conn.ValidateInvoices(ctx, g, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range checks {
		if !c.Sendable() {
			t.Errorf("invoice %s: %+v", batch[i].Number, c.Findings)
		}
	}
	if fs, err := e.conn.Preflight(ctx, g, pairing(), batch); err != nil || len(fs) != 0 {
		t.Fatalf("pre-flight of the demo period: %+v, %v", fs, err)
	}
	for _, inv := range batch {
		if ans, err := e.conn.SendInvoice(ctx, g, pairing(), inv); err != nil || !ans.Accepted {
			t.Errorf("send %s: %+v, %v", inv.Number, ans, err)
		}
	}
	si := byNumber(e, "1107")
	if si == nil || si.Amount >= 0 || len(si.Attachments) != 1 || si.Attachments[0].MimeType != "application/pdf" {
		t.Errorf("the credit note in Netvisor: %+v", si)
	}
	if n := len(e.sb.SalesInvoices(sandbox.DemoOrgID)); n != 5+8 {
		t.Errorf("%d invoices in Netvisor, want the demo's five and eight", n)
	}
}
