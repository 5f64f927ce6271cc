package eaccounting_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/eaccounting/sandbox"
)

// allVouchers reads every voucher of the grant's company, 100 a page.
func (e *sbEnv) allVouchers(g connectors.Grant) []connectors.Voucher {
	e.t.Helper()
	var all []connectors.Voucher
	for cursor := ""; ; {
		p, err := e.conn.Vouchers(e.t.Context(), g, connectors.VoucherQuery{Cursor: cursor, PageSize: 100})
		if err != nil {
			e.t.Fatalf("Vouchers(cursor %q) = %v", cursor, err)
		}
		all = append(all, p.Vouchers...)
		if cursor = p.Next; cursor == "" {
			return all
		}
	}
}

// The sandbox's cost centres and projects, as its rows use them, become
// the rows' dimensions with their codes and names; the two lists are read
// once for the whole read of several pages, and only result rows carry
// dimensions.
func TestSandboxDimensions(t *testing.T) {
	t.Parallel()
	e := newSandbox(t)
	g := e.connect("anna.lindqvist@example.se", "anna123", fjallbacka)
	all := e.allVouchers(g)
	seen := map[string]bool{}
	for _, v := range all {
		for _, r := range v.Rows {
			if r.Dimensions != nil && r.Account < "3000" {
				t.Errorf("voucher %s: balance account %s has dimensions %+v", v.Number, r.Account, r.Dimensions)
			}
			for _, d := range r.Dimensions {
				seen[fmt.Sprintf("%s %s %s", d.Kind, d.Code, d.Name)] = true
			}
		}
	}
	for _, want := range []string{
		"cost_centre 10 Avdelning: Snickeri", "cost_centre 20 Avdelning: Montage", "cost_centre 30 Avdelning: Kontor",
		"cost_centre 2:10 Fordon: Servicebil", "cost_centre 2:20 Fordon: Lastbil",
		"project 101 Bryggan Strömstad", "project 102 Villa Solbacken", "project 090 Kommunhuset Tanum",
	} {
		if !seen[want] {
			t.Errorf("no row booked on %q; seen %v", want, seen)
		}
	}
	if len(seen) != 8 {
		t.Errorf("dimensions seen = %v, want the 8 above", seen)
	}
	st := e.sb.Stats()
	if st.APIRequests["GET /v2/vouchers"] < 2 || st.APIRequests["GET /v2/costcenters"] != 1 || st.APIRequests["GET /v2/projects"] != 1 {
		t.Errorf("calls = %v, want the lists once for several pages of vouchers", st.APIRequests)
	}
	one, err := e.conn.Voucher(t.Context(), g, all[0].Ref)
	if err != nil || !slices.EqualFunc(one.Rows, all[0].Rows, func(a, b connectors.VoucherRow) bool { return slices.Equal(a.Dimensions, b.Dimensions) }) {
		t.Errorf("Voucher(%s) rows = %+v, %v; want the dimensions Vouchers gave", all[0].Number, one.Rows, err)
	}
}

// What is left to pay on the sandbox's supplier and customer invoices
// lands on the invoice's own document, in the filter's codes, consistent
// with the due date and the sandbox's clock.
func TestSandboxPayments(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 9, 15, 12, 0, 0, 0, time.UTC)
	e := newSandbox(t, sandbox.WithClock(func() time.Time { return now }))
	g := e.connect("anna.lindqvist@example.se", "anna123", fjallbacka)
	count := map[string]int{}
	for _, v := range e.allVouchers(g) {
		if v.Kind != connectors.KindSupplierInvoice && v.Kind != connectors.KindCustomerInvoice {
			continue
		}
		docs, err := e.conn.Documents(t.Context(), g, v)
		if err != nil {
			t.Fatalf("Documents(%s) = %v", v.Number, err)
		}
		var with []connectors.Document
		for _, d := range docs {
			if d.InvoiceStatus != "" {
				with = append(with, d)
			}
		}
		if len(docs) == 0 {
			continue // a supplier invoice without files: nowhere to say it
		}
		if len(with) != 1 || with[0].OpenSum == nil || with[0].DueDate.IsZero() {
			t.Errorf("voucher %s: documents %+v, want one with the invoice's status, open sum and due date", v.Number, docs)
			continue
		}
		d := with[0]
		if v.Kind == connectors.KindCustomerInvoice && d.Kind != "customer_invoice" {
			t.Errorf("voucher %s: status on %s, want the invoice PDF", v.Number, d.Kind)
		}
		count[string(v.Kind)+" "+d.InvoiceStatus]++
		open, due := *d.OpenSum != 0, d.DueDate.Before(now)
		switch d.InvoiceStatus {
		case "paid":
			if open {
				t.Errorf("voucher %s: paid with %d open", v.Number, *d.OpenSum)
			}
		case "open":
			if !open || due {
				t.Errorf("voucher %s: open with %d open, due %s", v.Number, *d.OpenSum, d.DueDate)
			}
		case "overdue", "reminded":
			if !open || !due {
				t.Errorf("voucher %s: %s with %d open, due %s", v.Number, d.InvoiceStatus, *d.OpenSum, d.DueDate)
			}
		default:
			t.Errorf("voucher %s: status %q", v.Number, d.InvoiceStatus)
		}
	}
	for _, want := range []string{"supplier_invoice paid", "supplier_invoice overdue", "customer_invoice paid", "customer_invoice overdue", "customer_invoice reminded"} {
		if count[want] == 0 {
			t.Errorf("no %s; counted %v", want, count)
		}
	}
	if count["supplier_invoice open"]+count["customer_invoice open"] == 0 {
		t.Errorf("no invoice open and not yet due; counted %v", count)
	}
	t.Logf("statuses: %v", count)
}

// With the sync, the customer invoices' payments come from one list, keyed
// as Documents keys the invoice's PDF; since a time, only those modified
// after it.
func TestSandboxInvoiceStates(t *testing.T) {
	t.Parallel()
	e := newSandbox(t)
	g := e.connect("anna.lindqvist@example.se", "anna123", fjallbacka)
	states, err := e.conn.InvoiceStates(t.Context(), g, time.Time{})
	if err != nil || len(states) == 0 {
		t.Fatalf("InvoiceStates() = %d, %v", len(states), err)
	}
	byID := map[string]connectors.InvoiceState{}
	for _, s := range states {
		byID[s.ID] = s
	}
	var checked int
	for _, v := range e.allVouchers(g) {
		if v.Kind != connectors.KindCustomerInvoice || checked == 5 {
			continue
		}
		docs, err := e.conn.Documents(t.Context(), g, v)
		if err != nil || len(docs) != 1 {
			t.Fatalf("Documents(%s) = %+v, %v", v.Number, docs, err)
		}
		st, ok := byID[docs[0].ID]
		if !ok || st.Kind != docs[0].Kind || st.Status != docs[0].InvoiceStatus || st.OpenSum == nil || *st.OpenSum != *docs[0].OpenSum {
			t.Errorf("voucher %s: document %+v, state %+v", v.Number, docs[0], st)
		}
		checked++
	}
	since, err := e.conn.InvoiceStates(t.Context(), g, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(since) == 0 || len(since) >= len(states) {
		t.Errorf("InvoiceStates(since June 2025) = %d of %d, %v", len(since), len(states), err)
	}
}
