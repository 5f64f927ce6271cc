package netvisor

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

// The portal's actions: what InvoiceState allows by status, each action
// taken once, a change Bilag does not make sent nowhere, and Netvisor's
// refusal of a delete an answer, not an error.
func TestInvoiceActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	key := sent(t, e, g)
	st, allowed, err := e.conn.InvoiceState(ctx, g, key)
	if err != nil || st != "unsent" || !allowed[ActOpen] || allowed[ActCreditLoss] || !allowed[ActComment] || !allowed[ActDelete] {
		t.Fatalf("InvoiceState(unsent) = %q, %v, %v", st, allowed, err)
	}
	calls := func() int {
		return e.sb.Calls("updatesalesinvoicestatus.nv") + e.sb.Calls("salesinvoicecomment.nv") + e.sb.Calls("deletesalesinvoice.nv")
	}
	before := calls()
	for _, tc := range []struct{ name, ref, action, text string }{
		{"unknown action", key, "paid", ""},
		{"credit loss of an unsent invoice", key, ActCreditLoss, ""},
		{"empty comment", key, ActComment, ""},
		{"comment over 500", key, ActComment, strings.Repeat("x", 501)},
		{"comment outside ISO-8859-15", key, ActComment, "日本"},
		{"key that is no key", "1 OR 1", ActDelete, ""},
	} {
		if _, err := e.conn.ActOnInvoice(ctx, g, tc.ref, tc.action, tc.text); !errors.Is(err, connectors.ErrActionInput) {
			t.Errorf("%s: %v, want ErrActionInput", tc.name, err)
		}
	}
	if n := calls() - before; n != 0 {
		t.Errorf("%d writes sent for refused actions", n)
	}
	for _, a := range []struct{ action, text string }{{ActOpen, ""}, {ActComment, "Maksumuistutus sovittu puhelimessa"}, {ActCreditLoss, ""}} {
		if ans, err := e.conn.ActOnInvoice(ctx, g, key, a.action, a.text); err != nil || !ans.Accepted {
			t.Fatalf("%s = %+v, %v", a.action, ans, err)
		}
	}
	n, _ := strconv.Atoi(key)
	var got sandbox.SalesInvoice
	for _, si := range e.sb.SalesInvoices(sandbox.DemoOrgID) {
		if si.Key == n {
			got = si
		}
	}
	if got.Status != "creditloss" || len(got.Comments) == 0 || got.Comments[len(got.Comments)-1] != "Maksumuistutus sovittu puhelimessa" {
		t.Fatalf("sandbox invoice = status %q comments %q", got.Status, got.Comments)
	}
	// Written off, it cannot be deleted: Netvisor's refusal is the answer.
	ans, err := e.conn.ActOnInvoice(ctx, g, key, ActDelete, "")
	if err != nil || ans.Accepted || ans.Code == "" || ans.Message == "" {
		t.Fatalf("delete of a written-off invoice = %+v, %v; want Netvisor's refusal", ans, err)
	}
	// A fresh one is deleted.
	inv := exampleInvoice()
	inv.Number = "1299"
	fresh, err := e.conn.SendInvoice(ctx, g, pairing(), inv)
	if err != nil || !fresh.Accepted {
		t.Fatalf("SendInvoice = %+v, %v", fresh, err)
	}
	key2 := fresh.Reference
	if ans, err := e.conn.ActOnInvoice(ctx, g, key2, ActDelete, ""); err != nil || !ans.Accepted {
		t.Fatalf("delete = %+v, %v", ans, err)
	}
	if _, _, err := e.conn.InvoiceState(ctx, g, key2); err == nil {
		t.Error("a deleted invoice still has a state")
	}
	// A delete whose answer is lost (Go's transport replays the GET, which
	// Netvisor answers REQUEST_NOT_UNIQUE) is lost, not a refusal.
	inv.Number = "1298"
	lost, err := e.conn.SendInvoice(ctx, g, pairing(), inv)
	if err != nil || !lost.Accepted {
		t.Fatalf("SendInvoice = %+v, %v", lost, err)
	}
	e.sb.LoseNextAnswer("deletesalesinvoice.nv")
	if _, err := e.conn.ActOnInvoice(ctx, g, lost.Reference, ActDelete, ""); !connectors.AnswerLost(err) {
		t.Fatalf("lost delete = %v, want the answer lost", err)
	}
}
