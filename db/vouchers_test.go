package db_test

import (
	"fmt"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// openCompany opens the database at url and adds one active Swedish
// company to it; the database closes with the test.
func openCompany(t *testing.T, url string, opt db.Options, name string) (*db.DB, *db.Company) {
	t.Helper()
	d, err := db.Open(t.Context(), url, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	co := &db.Company{Name: name, Country: "SE", OrgNumber: "556812-3474", Active: true}
	if err := d.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	return d, co
}

// Past db.CountCap a list stops counting, says so, and still pages on.
func TestVoucherListCountsUpToTheCap(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		d, co := openCompany(t, url, db.Options{}, "Stor AB")
		const n = db.CountCap + 7
		day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		batch := make([]db.Voucher, 0, 1000)
		for i := range n {
			batch = append(batch, db.Voucher{CompanyID: co.ID, ConnectionID: 1, Ref: fmt.Sprint(i), Number: fmt.Sprintf("A%d", i), Date: day.Add(time.Duration(i) * time.Hour), Text: "Hyra"})
			if len(batch) == cap(batch) || i == n-1 {
				if err := d.UpsertVouchers(ctx, batch); err != nil {
					t.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		l, err := d.Vouchers(ctx, co.ID, db.VoucherFilter{PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		if !l.Capped || l.Total != db.CountCap || !l.HasMore || len(l.Vouchers) != 50 || l.Vouchers[0].Ref != fmt.Sprint(n-1) {
			t.Errorf("first page: capped %v total %d more %v len %d first %s", l.Capped, l.Total, l.HasMore, len(l.Vouchers), l.Vouchers[0].Ref)
		}
		// The last page lies past the counted ones and is still reachable.
		last := (n + 49) / 50
		l, err = d.Vouchers(ctx, co.ID, db.VoucherFilter{PageSize: 50, Page: last})
		if err != nil {
			t.Fatal(err)
		}
		if l.Page != last || l.HasMore || len(l.Vouchers) != n-(last-1)*50 || l.Vouchers[len(l.Vouchers)-1].Ref != "0" {
			t.Errorf("last page %d: page %d more %v len %d", last, l.Page, l.HasMore, len(l.Vouchers))
		}
		// A filter under the cap counts exactly.
		l, err = d.Vouchers(ctx, co.ID, db.VoucherFilter{Number: "a 17"})
		if err != nil || l.Capped || l.Total != 1 || l.HasMore {
			t.Errorf("number filter: %+v, %v", l, err)
		}
		if got, capped, err := d.CountVouchersCapped(ctx, co.ID); err != nil || !capped || got != db.CountCap {
			t.Errorf("CountVouchersCapped = %d, %v, %v", got, capped, err)
		}
	})
}

func TestActivityPerMonth(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		now := time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
		d, co := openCompany(t, url, db.Options{Now: func() time.Time { return now }}, "Månad AB")
		var vs []db.Voucher
		for i, day := range []string{"2025-01-03", "2025-01-31", "2025-03-01", "2024-12-31"} {
			dt, _ := time.Parse("2006-01-02", day)
			vs = append(vs, db.Voucher{CompanyID: co.ID, ConnectionID: 1, Ref: fmt.Sprint(i), Number: fmt.Sprint(i), Date: dt})
		}
		if err := d.UpsertVouchers(ctx, vs); err != nil {
			t.Fatal(err)
		}
		if err := d.Audit(ctx, db.AuditEvent{Action: db.AuditDocumentOpen, CompanyID: &co.ID}); err != nil {
			t.Fatal(err)
		}
		v, o, err := d.Activity(ctx, co.ID, time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		want := []db.MonthCount{{"2025-01", 2}, {"2025-02", 0}, {"2025-03", 1}}
		if fmt.Sprint(v) != fmt.Sprint(want) {
			t.Errorf("vouchers per month = %v, want %v", v, want)
		}
		if fmt.Sprint(o) != fmt.Sprint([]db.MonthCount{{"2025-01", 0}, {"2025-02", 0}, {"2025-03", 1}}) {
			t.Errorf("opens per month = %v", o)
		}
	})
}
