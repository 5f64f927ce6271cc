package connections_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/seal"
	"bilag/server/connections"
)

// TestApprovalComparesTheCurrentOrgNumber (issue 25 item 13): a link made
// while its company had one organisation number, still open after the
// number was corrected (as an older Bilag left such links), binds the
// company's current number, not the one the link was made with: a grant
// of the old number's company is refused, whether the company was read
// before the correction or after it, and a grant of the current number's
// company connects.
func TestApprovalComparesTheCurrentOrgNumber(t *testing.T) {
	const oldOrg, newOrg = "556812-3474", "559104-3210"
	tests := []struct {
		name string
		// stale: the approval holds the company as read before the
		// correction.
		stale     bool
		grantOrg  string
		connected bool
	}{
		{"grant of the old number, company read after the correction", false, oldOrg, false},
		{"grant of the old number, company read before the correction", true, oldOrg, false},
		{"grant of the current number", false, newOrg, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			keys, err := seal.NewKeyring(bytes.Repeat([]byte{1}, 32))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "bilag.db")
			d, err := db.Open(ctx, "sqlite://"+path, db.Options{Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: oldOrg, Active: true}
			user := &db.User{Email: "a@firm.test", Name: "A", Role: db.RoleAnalyst, Active: true, PasswordHash: "x"}
			if err := d.CreateCompany(ctx, co); err != nil {
				t.Fatal(err)
			}
			if err := d.CreateUser(ctx, user); err != nil {
				t.Fatal(err)
			}
			l := &db.ConsentLink{CompanyID: co.ID, Connector: "full", CreatedByID: user.ID, ExpiresAt: time.Now().Add(time.Hour)}
			if err := d.CreateLink(ctx, l, "secret-full-0123456789"); err != nil {
				t.Fatal(err)
			}
			if err := d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
				t.Fatal(err)
			}
			// The number was corrected behind the link's back.
			raw, err := gorm.Open(sqlite.Open(path), &gorm.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if err := raw.WithContext(ctx).Exec("UPDATE companies SET org_number = ? WHERE id = ?", newOrg, co.ID).Error; err != nil {
				t.Fatal(err)
			}
			if sqlDB, err := raw.DB(); err == nil {
				sqlDB.Close()
			}
			held := co
			if !tt.stale {
				if held, err = d.Company(ctx, co.ID); err != nil {
					t.Fatal(err)
				}
			}
			link, err := d.Link(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}

			up := &connectortest.Upstream{Name: "full", Company: connectors.Company{ExternalID: "c1", Name: co.Name, OrgNumber: tt.grantOrg, Country: "SE"}}
			c := connectortest.Full{Upstream: up}
			svc, err := connections.New(connections.Options{DB: d, Connectors: map[string]connectors.Connector{"full": c}})
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			out, err := svc.Approve(ctx, connections.Approval{Link: link, Company: held, Grant: liveGrant(t, c)})
			if err != nil {
				t.Fatalf("Approve() = %v", err)
			}
			svc.Wait()
			if got := out.Connection != nil; got != tt.connected {
				t.Fatalf("Approve() = %+v; connected = %v, want %v", out, got, tt.connected)
			}
			if !tt.connected && out.Reason != "org_mismatch" {
				t.Errorf("Approve().Reason = %q, want org_mismatch", out.Reason)
			}
			_, err = d.Connection(ctx, co.ID, "full")
			if stored := err == nil; stored != tt.connected {
				t.Errorf("a connection is stored = %v, want %v (%v)", stored, tt.connected, err)
			}
		})
	}
}
