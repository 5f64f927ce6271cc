package db_test

import (
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestClosedLinkKeepsItsFailure (issue 25 item 8): a connection closes the
// company's other open links; one whose last attempt failed keeps why it
// failed, the others say they were superseded.
func TestClosedLinkKeepsItsFailure(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects() {
		t.Run(dialect.Name, func(t *testing.T) {
			e := newLCDB(t, dialect.URL(t))
			ctx := t.Context()
			co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
			if err := e.d.CreateCompany(ctx, co); err != nil {
				t.Fatal(err)
			}
			mk := func(secret string) *db.ConsentLink {
				l := &db.ConsentLink{CompanyID: co.ID, Connector: "fake", CreatedByID: 1, ExpiresAt: e.clock.Now().Add(time.Hour)}
				if err := e.d.CreateLink(ctx, l, secret); err != nil {
					t.Fatal(err)
				}
				return l
			}
			declined, open, kept := mk("secret-declined-0123456789"), mk("secret-open-0123456789"), mk("secret-kept-0123456789")
			if err := e.d.FailLink(ctx, declined.ID, "permission", "vouchers"); err != nil {
				t.Fatal(err)
			}
			n, err := e.d.CloseOtherLinks(ctx, co.ID, kept.ID)
			if err != nil || n != 2 {
				t.Fatalf("CloseOtherLinks() = %d, %v; want 2", n, err)
			}
			for _, tc := range []struct {
				l                      *db.ConsentLink
				status, reason, detail string
			}{
				{declined, db.LinkRevoked, "permission", "vouchers"},
				{open, db.LinkRevoked, "superseded", ""},
				{kept, db.LinkCreated, "", ""},
			} {
				got, err := e.d.Link(ctx, tc.l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tc.status || got.Reason != tc.reason || got.Detail != tc.detail {
					t.Errorf("link %d = %s %q %q, want %s %q %q", got.ID, got.Status, got.Reason, got.Detail, tc.status, tc.reason, tc.detail)
				}
			}
		})
	}
}
