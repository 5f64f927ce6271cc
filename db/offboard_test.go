package db_test

import (
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/dbtest"
)

// countRows counts the rows of table that where selects.
func countRows(t *testing.T, d *db.DB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.RawGorm(d).Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// seedBooks gives co a voucher with a document, a fiscal year and an
// invoice order with a body and a PDF.
func seedBooks(t *testing.T, e *lcDB, co *db.Company, conn *db.Connection) {
	t.Helper()
	ctx := t.Context()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := e.d.UpsertVouchers(ctx, []db.Voucher{{CompanyID: co.ID, ConnectionID: conn.ID, Ref: "v1", Number: "A1", Date: day, TextKey: "hyra mars"}}); err != nil {
		t.Fatal(err)
	}
	var vid int64
	db.RawGorm(e.d).Table("vouchers").Select("id").Where("company_id = ?", co.ID).Scan(&vid)
	if _, err := e.d.SetVoucherDocuments(ctx, co.ID, vid, []db.VoucherDocument{{ConnectionID: conn.ID, Kind: "attachment", ExternalID: "doc-1"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.d.UpsertFiscalYears(ctx, []db.FiscalYear{{CompanyID: co.ID, ConnectionID: conn.ID, ExternalID: "fy", StartDate: day, EndDate: day}}); err != nil {
		t.Fatal(err)
	}
	b := &db.ImportBatch{CompanyID: co.ID, Connector: "fake", Source: "orders.csv"}
	os := []db.ImportOrder{{OrderKey: "F/1", Digest: "d1", Status: db.ImportReady}}
	content := []db.ImportContent{{Body: []byte(`{"invoice":"secret-body"}`), PDFName: "f1.pdf", PDF: []byte("%PDF-1.4 secret")}}
	if err := e.d.CreateImportBatch(ctx, b, os, content); err != nil {
		t.Fatal(err)
	}
}

// Offboarding deletes the company's voucher index, invoice bodies and PDFs
// on both databases, keeps the audit trail (and adds to it, with counts),
// records a cache purge, closes the links, and leaves other companies be.
func TestOffboard(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		e := newLCDB(t, url)
		ctx := t.Context()
		co := fjallbacka()
		conn := e.connect(co, "c1", connectors.Grant{Data: []byte("g1")})
		seedBooks(t, e, co, conn)
		other := &db.Company{Name: "Other AB", Country: "SE", OrgNumber: "556036-0793", Active: true}
		otherConn := e.connect(other, "c2", connectors.Grant{Data: []byte("g2")})
		seedBooks(t, e, other, otherConn)
		if err := e.d.Audit(ctx, db.AuditEvent{CompanyID: &co.ID, Actor: "ann", Action: db.AuditDocumentOpen}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.d.Disconnect(ctx, conn.ID, nil); err != nil {
			t.Fatal(err)
		}
		n, err := e.d.Offboard(ctx, co.ID, []string{"fake/1/"}, db.AuditEvent{Actor: "admin"}, "revoked=1")
		if err != nil {
			t.Fatal(err)
		}
		if n.Vouchers != 1 || n.Documents != 1 || n.FiscalYears != 1 || n.InvoiceBodies != 1 || n.InvoicePDFs != 1 {
			t.Errorf("counts = %+v, want one of each", n)
		}
		for _, tc := range []struct{ table, where string }{
			{"vouchers", "company_id = ?"}, {"voucher_documents", "company_id = ?"}, {"fiscal_years", "company_id = ?"},
			{"import_orders", "company_id = ? AND body_sealed IS NOT NULL"},
			{"import_documents", "order_id IN (SELECT id FROM import_orders WHERE company_id = ?)"},
		} {
			if got := countRows(t, e.d, tc.table, tc.where, co.ID); got != 0 {
				t.Errorf("%s of the offboarded company: %d rows left", tc.table, got)
			}
			if got := countRows(t, e.d, tc.table, tc.where, other.ID); got != 1 {
				t.Errorf("%s of the other company: %d rows, want 1", tc.table, got)
			}
		}
		if got := countRows(t, e.d, "import_orders", "company_id = ?", co.ID); got != 1 {
			t.Errorf("the order's row (its history) went: %d rows", got)
		}
		evs, err := e.d.AuditEvents(ctx, co.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var opened, offboarded bool
		for _, ev := range evs {
			opened = opened || ev.Action == db.AuditDocumentOpen
			if ev.Action == db.AuditCompanyOffboard {
				offboarded = strings.Contains(ev.Detail, "vouchers=1") && strings.Contains(ev.Detail, "revoked=1")
			}
		}
		if !opened || !offboarded {
			t.Errorf("audit trail kept %v, offboarding audited with counts %v: %+v", opened, offboarded, evs)
		}
		if got, err := e.d.Company(ctx, co.ID); err != nil || got.Active {
			t.Errorf("company after offboarding = %+v, %v; want inactive", got, err)
		}
		ps, err := e.d.CachePurgesAfter(ctx, 0)
		if err != nil || len(ps) != 1 || ps[0].Prefix != "fake/1/" || ps[0].CompanyID != co.ID {
			t.Errorf("cache purges = %+v, %v", ps, err)
		}
		if _, err := e.d.Offboard(ctx, 999999, nil, db.AuditEvent{}, ""); err == nil {
			t.Error("offboarding a company that does not exist succeeded")
		}
	})
}
