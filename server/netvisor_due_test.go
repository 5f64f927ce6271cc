package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	nvsandbox "bilag/connectors/netvisor/sandbox"
	"bilag/db"
)

// Netvisor's due date (getsalesinvoice.nv's SalesInvoiceDueDate) reaches
// the "overdue" filter: an open invoice (status open, not overdue) is
// overdue by its date once past it, and not while it is still to come.
func TestNetvisorOverdueByDueDate(t *testing.T) {
	e := newNetvisorEnv(t)
	e.connectNetvisor(t)
	viewer := e.loggedIn(e.viewer)
	vs, err := e.db.Vouchers(t.Context(), e.co.ID, db.VoucherFilter{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	var v db.Voucher
	for _, x := range vs.Vouchers {
		if x.Ref == "1004" {
			v = x
		}
	}
	page := "/companies/" + itoa(e.co.ID) + "/vouchers/" + itoa(v.ID)
	list := "/companies/" + itoa(e.co.ID) + "/vouchers?payment="
	const text = "Myyntilasku 1042, Ravintola Särö"
	for _, tc := range []struct {
		name    string
		due     time.Time
		overdue bool
	}{
		{"due in a month", e.clock.Now().AddDate(0, 1, 0), false},
		{"due a week ago", e.clock.Now().AddDate(0, 0, -7), true},
	} {
		e.sb.SetDueDate(nvsandbox.DemoOrgID, 602, tc.due)
		// Listing the voucher's documents reads the due date.
		wantStatus(t, tc.name+": voucher page", viewer.get(page), http.StatusOK)
		docs, err := e.db.VoucherDocuments(t.Context(), e.co.ID, v.ID)
		if err != nil || len(docs) == 0 || docs[0].DueDate == nil || docs[0].DueDate.Format("2006-01-02") != tc.due.Format("2006-01-02") || docs[0].InvoiceStatus != "open" {
			t.Fatalf("%s: documents = %+v, %v; want the PDF open, due %s", tc.name, docs, err, tc.due.Format("2006-01-02"))
		}
		wantText(t, tc.name+": unpaid", viewer.get(list+"unpaid"), text)
		r := viewer.get(list + "overdue")
		wantStatus(t, tc.name+": overdue", r, http.StatusOK)
		if got := strings.Contains(r.Body, text); got != tc.overdue {
			t.Errorf("%s: the overdue filter shows the invoice: %v, want %v", tc.name, got, tc.overdue)
		}
	}
}
