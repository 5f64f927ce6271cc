package eaccounting

import (
	"net/http"
	"testing"
	"time"

	"bilag/connectors"
)

func intp(n int) *int { return &n }

func floatp(f float64) *float64 { return &f }

// The invoices' PaymentStatus codes (OpenAPI document) in the codes the
// unpaid/overdue filter reads.
func TestPaymentStatuses(t *testing.T) {
	t.Parallel()
	reminded := apiTime{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name string
		j    customerPaymentJSON
		want string
	}{
		{"paid", customerPaymentJSON{PaymentStatus: intp(0)}, "paid"},
		{"unpaid", customerPaymentJSON{PaymentStatus: intp(1)}, "open"},
		{"overdue", customerPaymentJSON{PaymentStatus: intp(2)}, "overdue"},
		{"overdue and reminded", customerPaymentJSON{PaymentStatus: intp(2), LastPaymentReminderSentDate: reminded}, "reminded"},
		{"a code not documented", customerPaymentJSON{PaymentStatus: intp(9)}, ""},
		{"no status", customerPaymentJSON{}, ""},
	} {
		if got := tc.j.payment().status; got != tc.want {
			t.Errorf("customer invoice %s: status %q, want %q", tc.name, got, tc.want)
		}
	}
	for code, want := range map[int]string{3: "open", 4: "overdue", 5: "open", 6: "paid", 7: "overdue", 8: "open", 9: "paid", 15: "open", 17: "open", 2: "", 18: ""} {
		if got := (supplierInvoiceJSON{PaymentStatus: intp(code)}).payment().status; got != want {
			t.Errorf("supplier invoice PaymentStatus %d: status %q, want %q", code, got, want)
		}
	}
	due := apiTime{time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}
	p := supplierInvoiceJSON{RemainingAmount: floatp(1250.13), DueDate: due, PaymentStatus: intp(3)}.payment()
	if p.openSum == nil || *p.openSum != 125013 || !p.due.Equal(due.Time) {
		t.Errorf("supplier invoice payment = %+v, want 125013 open, due %s", p, due.Time)
	}
	if p := (customerPaymentJSON{}).payment(); p.openSum != nil || !p.due.IsZero() {
		t.Errorf("customer invoice without the fields = %+v, want nothing known", p)
	}
}

// An invoice Visma will not give (failing, refusing) leaves its payment
// unknown and its documents listed, as they were before Bilag read
// payments; one it gives puts its payment on the invoice's own document.
func TestDocumentsWithPayments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name               string
		supplier, customer http.HandlerFunc
		want               string
	}{
		{"failing", refuse(http.StatusInternalServerError, 0), refuse(http.StatusInternalServerError, 0), ""},
		{"refused", refuse(http.StatusForbidden, 4007), refuse(http.StatusForbidden, 4007), ""},
		{"unpaid", listOne(map[string]any{"RemainingAmount": 12.5, "DueDate": "2026-01-31T00:00:00", "PaymentStatus": 3}),
			listOne(map[string]any{"RemainingAmount": 12.5, "DueDate": "2026-01-31T00:00:00", "PaymentStatus": 1}), "open"},
	} {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v2/attachments/{id}", api(t, listOne(map[string]any{"Id": attReceipt, "ContentType": "image/jpeg", "FileName": "kvitto.jpg"})))
		mux.HandleFunc("GET /v2/supplierinvoices/{id}", api(t, tc.supplier))
		mux.HandleFunc("GET /v2/customerinvoices/{id}", api(t, tc.customer))
		c, _ := newTestConnector(t, mux)
		for _, v := range []connectors.Voucher{testVoucher("s", 12, supplierID, "", attReceipt), testVoucher("c", 14, customerID, "B7")} {
			docs, err := c.Documents(t.Context(), testGrant(t), v)
			if err != nil || len(docs) != 1 {
				t.Errorf("%s: Documents(%s) = %+v, %v; want its document", tc.name, v.Ref, docs, err)
				continue
			}
			d := docs[0]
			if d.InvoiceStatus != tc.want || (tc.want != "" && (d.OpenSum == nil || *d.OpenSum != 1250 || d.DueDate.IsZero())) {
				t.Errorf("%s: Documents(%s) = %+v, want status %q", tc.name, v.Ref, d, tc.want)
			}
		}
	}
}

func listOne(v map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, v) }
}

// On an upstream too slow for a person's wait, a customer invoice's
// payment gives up within half the time left, and the page still gets the
// invoice's PDF in time.
func TestSlowPaymentLeavesThePDF(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/customerinvoices/{id}", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	c, _ := newTestConnector(t, mux, func(c *Config) { c.InteractiveTimeout = 600 * time.Millisecond })
	ctx := connectors.WithBackoff(t.Context(), connectors.Interactive())
	start := time.Now()
	docs, err := c.Documents(ctx, testGrant(t), testVoucher("c", 14, customerID, "B7"))
	if err != nil || len(docs) != 1 || docs[0].Kind != KindCustomerInvoice || docs[0].InvoiceStatus != "" {
		t.Errorf("Documents() = %+v, %v; want the PDF without a payment", docs, err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Documents() took %s, want about half of the 600ms wait", d)
	}
}
