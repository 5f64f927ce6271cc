package db_test

import (
	"slices"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestCompanyAudit: a company's trail holds its own events only, newest
// first, and each filter narrows it.
func TestCompanyAudit(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		clock := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		d, err := db.Open(ctx, url, db.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		one, two := int64(1), int64(2)
		write := func(action, actor string, co *int64) {
			t.Helper()
			if err := d.Audit(ctx, db.AuditEvent{Action: action, Actor: actor, CompanyID: co, Target: action + " by " + actor}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(24 * time.Hour)
		}
		write(db.AuditConnect, "consent link 1", &one)      // 2 March
		write(db.AuditDocumentOpen, "anna@firm.test", &one) // 3 March
		write(db.AuditDocumentOpen, "bo@firm.test", &one)   // 4 March
		write(db.AuditDocumentOpen, "anna@firm.test", &two) // 5 March, another company
		write(db.AuditLogin, "anna@firm.test", nil)         // 6 March, no company
		write(db.AuditDisconnect, "bo@firm.test", &one)     // 7 March

		day := func(n int) time.Time { return time.Date(2026, 3, n, 0, 0, 0, 0, time.UTC) }
		tests := []struct {
			name string
			f    db.AuditFilter
			want []string
		}{
			{"all", db.AuditFilter{}, []string{"disconnect by bo@firm.test", "document_open by bo@firm.test", "document_open by anna@firm.test", "connect by consent link 1"}},
			{"action", db.AuditFilter{Action: db.AuditDocumentOpen}, []string{"document_open by bo@firm.test", "document_open by anna@firm.test"}},
			{"actor", db.AuditFilter{Actor: "bo@firm.test"}, []string{"disconnect by bo@firm.test", "document_open by bo@firm.test"}},
			{"dates", db.AuditFilter{From: day(3), To: day(5)}, []string{"document_open by bo@firm.test", "document_open by anna@firm.test"}},
			{"all three", db.AuditFilter{Action: db.AuditDocumentOpen, Actor: "anna@firm.test", From: day(3), To: day(4)}, []string{"document_open by anna@firm.test"}},
		}
		for _, tt := range tests {
			tt.f.CompanyID = one
			es, err := d.CompanyAudit(ctx, tt.f, 0, 100)
			if err != nil {
				t.Fatalf("%s: CompanyAudit() = %v", tt.name, err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Target)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: CompanyAudit() = %q, want %q", tt.name, got, tt.want)
			}
		}
		page2, err := d.CompanyAudit(ctx, db.AuditFilter{CompanyID: one}, 1, 2)
		if err != nil || len(page2) != 2 || page2[0].Target != "document_open by bo@firm.test" {
			t.Errorf("CompanyAudit(offset 1, limit 2) = %+v, %v", page2, err)
		}
		last, err := d.LastAuditID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		write(db.AuditSyncRequest, "anna@firm.test", &one)
		if es, _ := d.CompanyAudit(ctx, db.AuditFilter{CompanyID: one, MaxID: last}, 0, 100); len(es) != 4 {
			t.Errorf("CompanyAudit(MaxID before the last write) has %d events, want 4", len(es))
		}
		actors, err := d.CompanyAuditActors(ctx, one)
		if want := []string{"anna@firm.test", "bo@firm.test", "consent link 1"}; err != nil || !slices.Equal(actors, want) {
			t.Errorf("CompanyAuditActors() = %q, %v; want %q", actors, err, want)
		}
	})
}
