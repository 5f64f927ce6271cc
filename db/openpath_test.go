package db_test

import (
	"errors"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestVoucherAndDocument: one query gives a document with its voucher,
// and only the company's own, of the voucher the route names.
func TestVoucherAndDocument(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		d, co := openCompany(t, url, db.Options{}, "Dok AB")
		other := &db.Company{Name: "Annan AB", Country: "SE", OrgNumber: "556016-0680", Active: true}
		if err := d.CreateCompany(ctx, other); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
		openSum := int64(40000)
		if err := d.UpsertVouchers(ctx, []db.Voucher{
			{CompanyID: co.ID, ConnectionID: 1, Ref: "v1", Number: "A 7", Date: day, Text: "Hyra", Amount: 1250},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "v2", Number: "A 8", Date: day},
			{CompanyID: other.ID, ConnectionID: 2, Ref: "o1", Number: "A 7", Date: day},
		}); err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{}
		for _, c := range []int64{co.ID, other.ID} {
			l, err := d.Vouchers(ctx, c, db.VoucherFilter{PageSize: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range l.Vouchers {
				ids[v.Ref] = v.ID
			}
		}
		docs, err := d.SetVoucherDocuments(ctx, co.ID, ids["v1"], []db.VoucherDocument{{ConnectionID: 1, Kind: "attachment", ExternalID: "x1", FileName: "Faktura.pdf", ContentType: "application/pdf",
			InvoiceStatus: "overdue", OpenSum: &openSum}})
		if err != nil {
			t.Fatal(err)
		}
		odocs, err := d.SetVoucherDocuments(ctx, other.ID, ids["o1"], []db.VoucherDocument{{ConnectionID: 2, Kind: "attachment", ExternalID: "y1"}})
		if err != nil {
			t.Fatal(err)
		}
		v, doc, err := d.VoucherAndDocument(ctx, co.ID, ids["v1"], docs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != ids["v1"] || v.Number != "A 7" || !v.Date.Equal(day) || v.Amount != 1250 || v.Text != "Hyra" ||
			doc.ID != docs[0].ID || doc.VoucherID != v.ID || doc.CompanyID != co.ID || doc.ExternalID != "x1" || doc.FileName != "Faktura.pdf" || doc.ConnectionID != 1 ||
			doc.InvoiceStatus != "overdue" || doc.OpenSumValue() != openSum {
			t.Errorf("VoucherAndDocument = %+v, %+v", v, doc)
		}
		for _, c := range []struct {
			name              string
			company, vid, did int64
		}{
			{"another voucher's document", co.ID, ids["v2"], docs[0].ID},
			{"another company's document", co.ID, ids["v1"], odocs[0].ID},
			{"through another company", other.ID, ids["v1"], docs[0].ID},
			{"no such document", co.ID, ids["v1"], 9999},
		} {
			if _, _, err := d.VoucherAndDocument(ctx, c.company, c.vid, c.did); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", c.name, err)
			}
		}
	})
}

// TestSessionAndUser: one query gives a session with its user; an ended
// session is ErrNotFound.
func TestSessionAndUser(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		d, err := db.Open(ctx, url, db.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		u := &db.User{Email: "a@firm.test", Name: "Anna", Role: db.RoleAnalyst, PasswordHash: "x", Active: true, TOTPKeyID: "k1"}
		if err := d.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := d.CreateSession(ctx, u.ID, "token-1", now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		s, got, err := d.SessionAndUser(ctx, "token-1")
		if err != nil {
			t.Fatal(err)
		}
		if s.UserID != u.ID || s.ID == 0 || !s.CreatedAt.Equal(now) || !s.LastSeenAt.Equal(now) || s.Hash != db.HashSecret("token-1") {
			t.Errorf("session = %+v", s)
		}
		if got.ID != u.ID || got.Email != u.Email || got.Name != "Anna" || got.Role != db.RoleAnalyst || !got.Active || got.TOTPKeyID != "k1" {
			t.Errorf("user = %+v", got)
		}
		if _, _, err := d.SessionAndUser(ctx, "token-2"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("unknown token: %v, want ErrNotFound", err)
		}
		if err := d.EndSession(ctx, "token-1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.SessionAndUser(ctx, "token-1"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("ended session: %v, want ErrNotFound", err)
		}
	})
}
