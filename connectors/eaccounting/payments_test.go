package eaccounting

import (
	"testing"
	"time"
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
