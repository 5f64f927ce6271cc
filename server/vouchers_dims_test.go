package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

// indexDimensions books B7 and A3 on dimensions and gives B7 an overdue
// unpaid invoice, A3 an unpaid one not yet due and the 2024 A1 a paid one.
func (e *env) indexDimensions(co *db.Company) {
	e.t.Helper()
	ctx := e.t.Context()
	vs := e.indexVouchers(co)
	byNumber := map[string]db.Voucher{}
	for _, v := range vs {
		if v.Number != "A1" || v.FiscalYearID == "fy-2024" {
			byNumber[v.Number] = v
		}
	}
	b7, a3 := byNumber["B7"], byNumber["A3"]
	b7.Dimensions = []db.VoucherDimension{{Kind: "project", Code: "P1", Name: "Bryggan"}, {Kind: "department", Code: "10", Name: "Sälj"}}
	a3.Dimensions = []db.VoucherDimension{{Kind: "department", Code: "10", Name: "Sälj"}}
	if err := e.db.UpsertVouchers(ctx, []db.Voucher{b7, a3}); err != nil {
		e.t.Fatal(err)
	}
	open, paid := int64(50000), int64(0)
	past, future := time.Now().AddDate(0, 0, -10), time.Now().AddDate(0, 0, 10)
	for _, d := range []struct {
		v   db.Voucher
		sum *int64
		due time.Time
	}{{b7, &open, past}, {a3, &open, future}, {byNumber["A1"], &paid, past}} {
		doc := db.VoucherDocument{Kind: "customer_invoice", ExternalID: "inv-" + d.v.Ref, InvoiceStatus: "open", OpenSum: d.sum, DueDate: &d.due}
		if _, err := e.db.SetVoucherDocuments(ctx, co.ID, d.v.ID, []db.VoucherDocument{doc}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// The API filters by a dimension and by unpaid/overdue invoices; a value
// it does not know is a 400 naming the parameter, never a 500.
func TestAPIVoucherDimensionAndPaymentFilters(t *testing.T) {
	e := newEnv(t)
	e.indexDimensions(e.fj)
	tok := e.tokenFor(e.viewer)
	fj := "/api/v1/companies/" + itoa(e.fj.ID)
	for _, tc := range []struct{ query, want string }{
		{"?dimension=project:P1", "B7"},
		{"?dimension=department:10", "A3,B7"},
		{"?dimension=department:99", ""},
		{"?payment=unpaid", "A3,B7"},
		{"?payment=overdue", "B7"},
		{"?payment=unpaid&dimension=department:10&from=2024-07-01", "A3"},
	} {
		r := e.api(t, tok, fj+"/vouchers"+tc.query)
		wantStatus(t, tc.query, r, http.StatusOK)
		if got := numbers(decode[apiVoucherList](t, r).Vouchers); got != tc.want {
			t.Errorf("vouchers%s = [%s], want [%s]", tc.query, got, tc.want)
		}
	}
	for _, q := range []string{"?dimension=P1", "?dimension=region:N", "?dimension=project:", "?dimension=project:" + strings.Repeat("x", 65), "?payment=late", "?payment=UNPAID"} {
		r := e.api(t, tok, fj+"/vouchers"+q)
		wantAPIError(t, q, r, http.StatusBadRequest, "bad_request")
		if !strings.Contains(r.Body, strings.Split(strings.TrimPrefix(q, "?"), "=")[0]) {
			t.Errorf("%s: the message does not name the parameter: %s", q, r.Body)
		}
	}
}

// The list page offers the dimensions the index holds and the payment
// choices, filters by them, and answers a value it never offered with a
// message and the whole list (422), not an error page.
func TestVoucherPageDimensionAndPaymentFilters(t *testing.T) {
	e := newEnv(t)
	e.indexDimensions(e.fj)
	b := e.loggedIn(e.viewer)
	list := "/companies/" + itoa(e.fj.ID) + "/vouchers"
	r := b.get(list)
	wantStatus(t, "list", r, http.StatusOK)
	for _, want := range []string{`name="dimension"`, `value="project:P1"`, "Project · P1 · Bryggan", `value="department:10"`, `name="payment"`, `value="overdue"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the list page lacks %s", want)
		}
	}
	for _, tc := range []struct {
		query      string
		has, hasnt []string
	}{
		{"dimension=" + url.QueryEscape("project:P1"), []string{"Kredit 50% rabatt", `value="project:P1" selected`}, []string{"Bokslut"}},
		{"payment=overdue", []string{"Kredit 50% rabatt", `value="overdue" selected`}, []string{"Bokslut", "Hyra februari"}},
		{"payment=unpaid", []string{"Kredit 50% rabatt", "Bokslut"}, []string{"Hyra februari"}},
	} {
		r := b.get(list + "?" + tc.query)
		wantStatus(t, tc.query, r, http.StatusOK)
		for _, w := range tc.has {
			if !strings.Contains(r.Body, w) {
				t.Errorf("%s: lacks %q", tc.query, w)
			}
		}
		for _, w := range tc.hasnt {
			if strings.Contains(r.Body, w) {
				t.Errorf("%s: shows %q", tc.query, w)
			}
		}
	}
	for _, q := range []string{"dimension=region:N", "payment=late"} {
		r := b.get(list + "?" + q)
		wantStatus(t, q, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, `id="f-filter-err"`) || !strings.Contains(r.Body, "Hyra februari") {
			t.Errorf("%s: no message, or not the whole list", q)
		}
	}
}

// An eAccounting company, connected and synced from the sandbox: the list
// page and the API filter its vouchers by the sandbox's cost centres and
// projects, and by unpaid/overdue once the invoice vouchers' documents
// have been listed (opening a voucher reads its invoice's payment).
func TestEAccountingDimensionAndPaymentFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	e.waitSync(e.connectFJ(e.loggedIn(e.analyst)))
	all, err := e.db.Vouchers(ctx, e.fj.ID, db.VoucherFilter{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	cc10, err := e.db.Vouchers(ctx, e.fj.ID, db.VoucherFilter{PageSize: 500, DimensionKind: "cost_centre", DimensionCode: "10"})
	if err != nil || cc10.Total == 0 || cc10.Total >= all.Total {
		t.Fatalf("cost centre 10 holds %d of %d vouchers (%v), want some", cc10.Total, all.Total, err)
	}
	b := e.loggedIn(e.viewer)
	list := "/companies/" + itoa(e.fj.ID) + "/vouchers"
	r := b.get(list)
	for _, want := range []string{`value="cost_centre:10"`, "Cost centre · 10 · Avdelning: Snickeri", `value="cost_centre:2:10"`,
		"Cost centre · 2:10 · Fordon: Servicebil", `value="project:101"`, "Project · 101 · Bryggan Strömstad"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the list page lacks %s", want)
		}
	}
	r = b.get(list + "?dimension=" + url.QueryEscape("cost_centre:10") + "&page_size=500")
	wantStatus(t, "filtered by cost centre 10", r, http.StatusOK)
	for _, v := range cc10.Vouchers[:min(5, len(cc10.Vouchers))] {
		if !strings.Contains(r.Body, list+"/"+itoa(v.ID)) {
			t.Errorf("cost centre 10's list lacks voucher %s", v.Number)
		}
	}
	tok := e.tokenFor(e.viewer)
	api := "/api/v1/companies/" + itoa(e.fj.ID) + "/vouchers?"
	if got := decode[apiVoucherList](t, e.api(t, tok, api+"dimension=cost_centre:10")).Total; got != cc10.Total {
		t.Errorf("API cost centre 10 = %d vouchers, want %d", got, cc10.Total)
	}
	statuses := e.openInvoiceVouchers(b, all.Vouchers)
	if statuses["paid"] == 0 || statuses["overdue"]+statuses["reminded"] == 0 {
		t.Fatalf("invoice statuses shown = %v, want paid and overdue ones", statuses)
	}
	t.Logf("invoice statuses shown: %v", statuses)
	// The clock is past every sandbox invoice's due date: unpaid is overdue.
	overdue := int64(statuses["overdue"] + statuses["reminded"])
	for _, q := range []string{"payment=unpaid", "payment=overdue", "payment=overdue&dimension=" + url.QueryEscape("cost_centre:10")} {
		got := decode[apiVoucherList](t, e.api(t, tok, api+q)).Total
		if got == 0 || got > overdue || (!strings.Contains(q, "dimension") && got != overdue) {
			t.Errorf("API %s = %d vouchers, want %d (or fewer, with a dimension)", q, got, overdue)
		}
	}
	if r := b.get(list + "?payment=overdue"); r.Status != http.StatusOK || !strings.Contains(r.Body, `value="overdue" selected`) {
		t.Errorf("the list page filtered by overdue = %d", r.Status)
	}
}

// openInvoiceVouchers opens the page of every customer-invoice voucher
// among vs, which lists its documents and keeps the invoice's payment,
// and counts the statuses the pages show.
func (e *env) openInvoiceVouchers(b *browser, vs []db.Voucher) map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, v := range vs {
		if v.Kind != "customer_invoice" {
			continue
		}
		r := b.get("/companies/" + itoa(e.fj.ID) + "/vouchers/" + itoa(v.ID))
		wantStatus(e.t, "voucher "+v.Number, r, http.StatusOK)
		for _, s := range []string{"paid", "open", "overdue", "reminded"} {
			if strings.Contains(r.Body, "status-"+s+`"`) {
				out[s]++
			}
		}
	}
	return out
}
