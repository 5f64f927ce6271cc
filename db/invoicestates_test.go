package db_test

import (
	"testing"

	"bilag/db"
	"bilag/db/dbtest"
)

// A sync's invoice states are kept for invoices whose documents were never
// listed, and written onto the documents of those that were; a second
// sync replaces them, and another connection's are not touched.
func TestInvoiceStates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, url string) {
		d := openTestDB(t, url, nil)
		ctx := t.Context()
		co := &db.Company{Name: "Saaristo Puutyö Oy", Country: "FI", OrgNumber: "2876543-5", Active: true}
		if err := d.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		if err := d.UpsertVouchers(ctx, []db.Voucher{{CompanyID: co.ID, ConnectionID: 7, Ref: "1004", Number: "2"}}); err != nil {
			t.Fatal(err)
		}
		vs, err := d.Vouchers(ctx, co.ID, db.VoucherFilter{PageSize: 10})
		if err != nil || len(vs.Vouchers) != 1 {
			t.Fatalf("Vouchers() = %+v, %v", vs, err)
		}
		v := vs.Vouchers[0]
		if _, err := d.SetVoucherDocuments(ctx, co.ID, v.ID, []db.VoucherDocument{{ConnectionID: 7, Kind: "sales_invoice", ExternalID: "602"}}); err != nil {
			t.Fatal(err)
		}
		sum := func(n int64) *int64 { return &n }
		for _, step := range []struct {
			status string
			open   int64
		}{{"open", 124000}, {"reminded", 40000}} {
			err := d.SetInvoiceStates(ctx, co.ID, 7, []db.InvoiceState{
				{Kind: "sales_invoice", ExternalID: "602", Status: step.status, OpenSum: sum(step.open)},
				{Kind: "sales_invoice", ExternalID: "603", Status: "paid", OpenSum: sum(0)},
			})
			if err != nil {
				t.Fatalf("SetInvoiceStates() = %v", err)
			}
			docs, err := d.VoucherDocuments(ctx, co.ID, v.ID)
			if err != nil || len(docs) != 1 || docs[0].InvoiceStatus != step.status || docs[0].OpenSumValue() != step.open {
				t.Errorf("after %s the document is %+v, %v", step.status, docs, err)
			}
		}
		got, err := d.InvoiceStatesOf(ctx, 7, "sales_invoice", []string{"602", "603", "604"})
		if err != nil || len(got) != 2 || got["603"].Status != "paid" || got["602"].Status != "reminded" {
			t.Errorf("InvoiceStatesOf() = %+v, %v", got, err)
		}
		if other, _ := d.InvoiceStatesOf(ctx, 8, "sales_invoice", []string{"602"}); len(other) != 0 {
			t.Errorf("another connection sees %+v", other)
		}
	})
}
