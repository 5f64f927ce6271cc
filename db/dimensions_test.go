package db_test

import (
	"slices"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// The sync's upsert keeps each voucher's dimensions (replacing them on
// the next upsert), the list filters by one and by unpaid/overdue
// invoices, and another company's rows never match.
func TestVoucherListFiltersByDimensionAndPayment(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		d, co := openCompany(t, url, db.Options{}, "Dimension AB")
		other := &db.Company{Name: "Annan AB", Country: "SE", OrgNumber: "556016-0680", Active: true}
		if err := d.CreateCompany(ctx, other); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		sales := db.VoucherDimension{Kind: "department", Code: "10", Name: "Sales"}
		proj := db.VoucherDimension{Kind: "project", Code: "P1", Name: "Bridge"}
		vs := []db.Voucher{
			{CompanyID: co.ID, ConnectionID: 1, Ref: "a", Number: "A1", Date: day, Dimensions: []db.VoucherDimension{sales, proj, sales}},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "b", Number: "A2", Date: day.AddDate(0, 0, 1), Dimensions: []db.VoucherDimension{proj}},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "c", Number: "A3", Date: day.AddDate(0, 0, 2)},
			{CompanyID: other.ID, ConnectionID: 2, Ref: "o", Number: "A1", Date: day, Dimensions: []db.VoucherDimension{sales}},
		}
		if err := d.UpsertVouchers(ctx, vs); err != nil {
			t.Fatal(err)
		}
		ids := refsToIDs(t, d, co.ID)
		refs := func(f db.VoucherFilter) []string {
			t.Helper()
			l, err := d.Vouchers(ctx, co.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range l.Vouchers {
				out = append(out, v.Ref)
			}
			slices.Sort(out)
			if int(l.Total) != len(out) {
				t.Errorf("%+v: total %d, listed %d", f, l.Total, len(out))
			}
			return out
		}
		open, paid := int64(12500), int64(0)
		past, future := day.AddDate(0, 0, -5), day.AddDate(0, 1, 0)
		set := func(ref, ext, status string, sum *int64, due *time.Time) {
			t.Helper()
			if _, err := d.SetVoucherDocuments(ctx, co.ID, ids[ref], []db.VoucherDocument{{ConnectionID: 1, Kind: "customer_invoice", ExternalID: ext,
				InvoiceStatus: status, OpenSum: sum, DueDate: due}}); err != nil {
				t.Fatal(err)
			}
		}
		set("a", "i1", "open", &open, &past)      // overdue by its date
		set("b", "i2", "overdue", &open, &future) // overdue by its status
		set("c", "i3", "paid", &paid, &past)      // paid

		for _, c := range []struct {
			name string
			f    db.VoucherFilter
			want []string
		}{
			{"department 10", db.VoucherFilter{DimensionKind: "department", DimensionCode: "10"}, []string{"a"}},
			{"project P1", db.VoucherFilter{DimensionKind: "project", DimensionCode: "P1"}, []string{"a", "b"}},
			{"no such code", db.VoucherFilter{DimensionKind: "project", DimensionCode: "10"}, nil},
			{"unpaid", db.VoucherFilter{Payment: db.PaymentUnpaid}, []string{"a", "b"}},
			{"overdue by date only", db.VoucherFilter{Payment: db.PaymentOverdue, Today: day}, []string{"a"}},
			{"overdue by date or status", db.VoucherFilter{Payment: db.PaymentOverdue, Today: day, OverdueStatuses: []string{"overdue"}}, []string{"a", "b"}},
			{"overdue before anything fell due", db.VoucherFilter{Payment: db.PaymentOverdue, Today: past}, nil},
			{"both", db.VoucherFilter{Payment: db.PaymentUnpaid, DimensionKind: "project", DimensionCode: "P1", Number: "A2"}, []string{"b"}},
		} {
			if got := refs(c.f); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}

		choices, err := d.DimensionChoices(ctx, co.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(choices) != 2 || choices[0].Kind != "department" || choices[0].Code != "10" || choices[0].Name != "Sales" || choices[1].Code != "P1" {
			t.Errorf("choices = %+v", choices)
		}

		// A voucher re-read without its dimensions loses them.
		vs[0].Dimensions = nil
		if err := d.UpsertVouchers(ctx, vs[:1]); err != nil {
			t.Fatal(err)
		}
		if got := refs(db.VoucherFilter{DimensionKind: "department", DimensionCode: "10"}); got != nil {
			t.Errorf("after the upsert without dimensions: %v", got)
		}
	})
}

// refsToIDs maps a company's voucher refs to their ids.
func refsToIDs(t *testing.T, d *db.DB, companyID int64) map[string]int64 {
	t.Helper()
	l, err := d.Vouchers(t.Context(), companyID, db.VoucherFilter{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, v := range l.Vouchers {
		ids[v.Ref] = v.ID
	}
	return ids
}
