package db_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestOrgNumberChangeClosesLinks (issue 25 item 13): UpdateCompany closes
// the company's open links when its organisation number changes, with an
// audit event by whoever changed it, in the same transaction: a change
// that fails (a number another company has) closes nothing and records
// nothing, and a save that keeps the number closes nothing.
func TestOrgNumberChangeClosesLinks(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects() {
		t.Run(dialect.Name, func(t *testing.T) {
			e := newLCDB(t, dialect.URL(t))
			ctx := t.Context()
			co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
			other := &db.Company{Name: "Norrsken Design AB", Country: "SE", OrgNumber: "559104-3210", Active: true}
			for _, c := range []*db.Company{co, other} {
				if err := e.d.CreateCompany(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			mk := func(secret string, ttl time.Duration) int64 {
				l := &db.ConsentLink{CompanyID: co.ID, Connector: "fake", CreatedByID: 1, ExpiresAt: e.clock.Now().Add(ttl)}
				if err := e.d.CreateLink(ctx, l, secret); err != nil {
					t.Fatal(err)
				}
				return l.ID
			}
			idle, started, declined, lapsed := mk("secret-idle-0123456789", time.Hour), mk("secret-started-0123456789", time.Hour),
				mk("secret-declined-0123456789", time.Hour), mk("secret-lapsed-0123456789", time.Minute)
			if err := e.d.StartLinkLogin(ctx, started, "attempt"); err != nil {
				t.Fatal(err)
			}
			if err := e.d.FailLink(ctx, declined, "denied", ""); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(2 * time.Minute)
			uid := int64(7)
			by := db.AuditEvent{UserID: &uid, Actor: "admin@firm.test", RemoteIP: "192.0.2.1"}
			revokes := func() []db.AuditEvent {
				evs, err := e.d.AuditEvents(ctx, co.ID, 50)
				if err != nil {
					t.Fatal(err)
				}
				var out []db.AuditEvent
				for _, ev := range evs {
					if ev.Action == db.AuditLinkRevoke {
						out = append(out, ev)
					}
				}
				return out
			}
			status := func(id int64) *db.ConsentLink {
				l, err := e.d.Link(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}

			// A save that keeps the number, and one that fails, close nothing.
			co.Name = "Fjällbacka Snickeri Aktiebolag"
			if n, err := e.d.UpdateCompany(ctx, co, by); err != nil || n != 0 {
				t.Fatalf("UpdateCompany(same number) = %d, %v; want 0, nil", n, err)
			}
			taken := *co
			taken.OrgNumber = other.OrgNumber
			if n, err := e.d.UpdateCompany(ctx, &taken, by); !errors.Is(err, db.ErrDuplicate) || n != 0 {
				t.Fatalf("UpdateCompany(taken number) = %d, %v; want ErrDuplicate", n, err)
			}
			if got := status(idle).Status; got != db.LinkCreated {
				t.Errorf("after saves that keep the number, the idle link is %q", got)
			}
			if evs := revokes(); len(evs) != 0 {
				t.Errorf("saves that keep the number recorded %+v", evs)
			}

			co.OrgNumber = "556677-8899"
			n, err := e.d.UpdateCompany(ctx, co, by)
			if err != nil || n != 3 {
				t.Fatalf("UpdateCompany(new number) = %d, %v; want 3 links closed", n, err)
			}
			for _, tc := range []struct {
				id             int64
				status, reason string
			}{
				{idle, db.LinkRevoked, "org_changed"},
				{started, db.LinkRevoked, "org_changed"},
				{declined, db.LinkRevoked, "denied"},
				{lapsed, db.LinkCreated, ""},
			} {
				if l := status(tc.id); l.Status != tc.status || l.Reason != tc.reason || l.AttemptHash != "" && tc.status == db.LinkRevoked {
					t.Errorf("link %d = %s %q, want %s %q", tc.id, l.Status, l.Reason, tc.status, tc.reason)
				}
			}
			if err := e.d.StartLinkLogin(ctx, idle, "again"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("StartLinkLogin(closed link) = %v, want ErrNotFound", err)
			}
			evs := revokes()
			if len(evs) != 1 {
				t.Fatalf("audit events of the closing = %+v, want 1", evs)
			}
			if ev := evs[0]; ev.Actor != by.Actor || ev.UserID == nil || *ev.UserID != uid || ev.RemoteIP != by.RemoteIP ||
				!strings.Contains(ev.Detail, "556812-3474") || !strings.Contains(ev.Detail, "556677-8899") || !strings.Contains(ev.Target, "3") {
				t.Errorf("audit event = %+v, want the admin closing 3 links for the change from 556812-3474 to 556677-8899", ev)
			}
			if got, err := e.d.Company(ctx, co.ID); err != nil || got.OrgNumber != "556677-8899" || got.Name != co.Name {
				t.Errorf("Company() = %+v, %v; want the new number and name", got, err)
			}

			// A link made now expects the new number.
			if l := status(mk("secret-new-0123456789", time.Hour)); l.ExpectedOrgNumber != "556677-8899" {
				t.Errorf("a new link expects %s", l.ExpectedOrgNumber)
			}
		})
	}
}
