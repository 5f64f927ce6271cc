package netvisor

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

// sent sends the example invoice (unsent on arrival) and returns its key.
func sent(t *testing.T, e *testEnv, g connectors.Grant) string {
	t.Helper()
	ans, err := e.conn.SendInvoice(context.Background(), g, pairing(), exampleInvoice())
	if err != nil || !ans.Accepted {
		t.Fatalf("SendInvoice = %+v, %v", ans, err)
	}
	return ans.Reference
}

// Status: open only from unsent, credit loss from any; nothing else is
// sent.
func TestUpdateInvoiceStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	key := sent(t, e, g)
	if err := e.conn.UpdateInvoiceStatus(ctx, g, key, StatusOpen); err != nil {
		t.Fatal(err)
	}
	if st, err := e.conn.InvoiceStatus(ctx, g, key); err != nil || st != "open" {
		t.Fatalf("status = %q, %v", st, err)
	}
	before := e.sb.Calls("updatesalesinvoicestatus.nv")
	if err := e.conn.UpdateInvoiceStatus(ctx, g, key, StatusOpen); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("open again: %v", err)
	}
	for _, st := range []string{"paid", "unsent", "overdue", ""} {
		if err := e.conn.UpdateInvoiceStatus(ctx, g, key, st); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("status %q: %v", st, err)
		}
	}
	if err := e.conn.UpdateInvoiceStatus(ctx, g, "1; drop", StatusCreditLoss); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("bad key: %v", err)
	}
	if n := e.sb.Calls("updatesalesinvoicestatus.nv"); n != before {
		t.Errorf("%d status updates sent for refused changes", n-before)
	}
	if err := e.conn.UpdateInvoiceStatus(ctx, g, key, StatusCreditLoss); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.conn.InvoiceStatus(ctx, g, key); st != "creditloss" {
		t.Fatalf("status = %q", st)
	}
	if err := e.conn.UpdateInvoiceStatus(ctx, g, "999999", StatusCreditLoss); err == nil {
		t.Fatal("credit loss of an invoice Netvisor lacks: no error")
	}
}

func TestCommentInvoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	key := sent(t, e, g)
	if err := e.conn.CommentInvoice(ctx, g, CommentInvoice, key, "Lähetetty Bilagista, asiakas pyysi"); err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(key)
	var comments []string
	for _, si := range invoicesOf(e) {
		if si.Key == n {
			comments = si.Comments
		}
	}
	if len(comments) != 1 || comments[0] != "Lähetetty Bilagista, asiakas pyysi" {
		t.Fatalf("comments = %q", comments)
	}
	for _, tt := range []struct{ typ, text string }{{"note", "x"}, {CommentInvoice, ""}, {CommentInvoice, string(make([]rune, 501))}, {CommentInvoice, "日本"}} {
		if err := e.conn.CommentInvoice(ctx, g, tt.typ, key, tt.text); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("CommentInvoice(%q, %.10q) = %v", tt.typ, tt.text, err)
		}
	}
	var ae *APIError
	if err := e.conn.CommentInvoice(ctx, g, CommentInvoice, "999999", "x"); !errors.As(err, &ae) || ae.Code != "INVALID_DATA" {
		t.Fatalf("comment on a missing invoice: %v", err)
	}
}

// Delete: while Netvisor allows it (the sandbox refuses a paid invoice).
func TestDeleteInvoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	key := sent(t, e, g)
	var ae *APIError
	if err := e.conn.DeleteInvoice(ctx, g, "601"); !errors.As(err, &ae) || ae.Code != "INVALID_DATA" {
		t.Fatalf("delete a paid invoice: %v", err)
	}
	if err := e.conn.DeleteInvoice(ctx, g, key); err != nil {
		t.Fatal(err)
	}
	if byNumber(e, "1201") != nil || byNumber(e, "1041") == nil {
		t.Fatal("wrong invoice deleted")
	}
	e.sb.FailNext("deletesalesinvoice.nv", "TECHNICAL_ERROR")
	if err := e.conn.DeleteInvoice(ctx, g, "602"); !errors.Is(err, connectors.ErrAnswerLost) {
		t.Fatalf("5xx on delete: %v, want lost (never retried)", err)
	}
	if e.sb.Calls("deletesalesinvoice.nv") != 3 {
		t.Errorf("deletesalesinvoice.nv called %d times", e.sb.Calls("deletesalesinvoice.nv"))
	}
}

func TestInvoiceOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	ctx := context.Background()
	day, _ := connectors.ParseDate("2026-06-02")
	o := OrderInvoicing{CustomerKey: "13", InvoiceDate: day, Lines: []OrderLine{{Key: "80101", DeliveryDate: day, Amount: dec("2")}}}
	if err := e.conn.InvoiceOrder(ctx, g, "bill", o); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("method: %v", err)
	}
	if err := e.conn.InvoiceOrder(ctx, g, BillAndDelivery, o); err != nil {
		t.Fatal(err)
	}
	if st := e.sb.Order(sandbox.DemoOrgID, 801).Status; st != "billed" {
		t.Fatalf("order status = %q", st)
	}
	o.CustomerKey = "11"
	var ae *APIError
	if err := e.conn.InvoiceOrder(ctx, g, DeliveryOnly, o); !errors.As(err, &ae) {
		t.Fatalf("another customer's order: %v", err)
	}
}
