package db_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestLinkSecretKeptUntilOpened: a link's maker can read it back while
// nobody has opened it; the row holds it sealed, never in clear; opening,
// revoking or expiry deletes the sealed copy.
func TestLinkSecretKeptUntilOpened(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects() {
		t.Run(dialect.Name, func(t *testing.T) {
			e := newLCDB(t, dialect.URL(t))
			ctx := t.Context()
			co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
			if err := e.d.CreateCompany(ctx, co); err != nil {
				t.Fatal(err)
			}
			mk := func(secret string, ttl time.Duration) *db.ConsentLink {
				l := &db.ConsentLink{CompanyID: co.ID, Connector: "fake", CreatedByID: 1, ExpiresAt: e.clock.Now().Add(ttl)}
				if err := e.d.CreateLink(ctx, l, secret); err != nil {
					t.Fatal(err)
				}
				got, err := e.d.Link(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			reread := func(id int64) *db.ConsentLink {
				l, err := e.d.Link(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			opened := mk("secret-opened-0123456789", time.Hour)
			if bytes.Contains(opened.SecretSealed, []byte("secret-opened")) || len(opened.SecretSealed) == 0 {
				t.Fatalf("sealed copy = %q, want it sealed", opened.SecretSealed)
			}
			if got, err := e.d.LinkSecret(ctx, opened); err != nil || got != "secret-opened-0123456789" {
				t.Fatalf("LinkSecret() = %q, %v", got, err)
			}
			if err := e.d.MarkLinkOpened(ctx, opened.ID); err != nil {
				t.Fatal(err)
			}
			if l := reread(opened.ID); len(l.SecretSealed) != 0 {
				t.Errorf("opened link keeps its sealed copy")
			} else if _, err := e.d.LinkSecret(ctx, l); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("LinkSecret(opened) = %v, want ErrNotFound", err)
			}

			revoked := mk("secret-revoked-0123456789", time.Hour)
			if err := e.d.RevokeLink(ctx, co.ID, revoked.ID); err != nil {
				t.Fatal(err)
			}
			if l := reread(revoked.ID); len(l.SecretSealed) != 0 {
				t.Errorf("revoked link keeps its sealed copy")
			}

			short := mk("secret-short-0123456789", time.Minute)
			long := mk("secret-long-0123456789", 2*time.Hour)
			e.clock.Advance(time.Hour)
			if _, err := e.d.LinkSecret(ctx, short); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("LinkSecret(expired) = %v, want ErrNotFound", err)
			}
			if err := e.d.ForgetExpiredLinkSecrets(ctx, co.ID); err != nil {
				t.Fatal(err)
			}
			if l := reread(short.ID); len(l.SecretSealed) != 0 {
				t.Errorf("expired link keeps its sealed copy")
			}
			if l := reread(long.ID); len(l.SecretSealed) == 0 {
				t.Errorf("a live link lost its sealed copy")
			}
			n, err := e.d.CloseOtherLinks(ctx, co.ID, opened.ID)
			if err != nil || n != 1 {
				t.Errorf("CloseOtherLinks() = %d, %v; want the one live link", n, err)
			}
			if l := reread(long.ID); l.Status != db.LinkRevoked || len(l.SecretSealed) != 0 {
				t.Errorf("superseded link = %q with %d sealed bytes", l.Status, len(l.SecretSealed))
			}
		})
	}
}

// TestNotificationsAreForTheirPeople: admins see every company's, an
// analyst their companies', a viewer none; unread counts what came after
// the last seen.
func TestNotificationsAreForTheirPeople(t *testing.T) {
	t.Parallel()
	e := newLCDB(t, dbtest.Dialects()[0].URL(t))
	ctx := t.Context()
	users := map[string]*db.User{}
	for _, r := range db.Roles() {
		u := &db.User{Email: r + "@firm.test", Name: r, Role: r, PasswordHash: "x", Active: true}
		if err := e.d.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users[r] = u
	}
	mine := &db.Company{Name: "Mine AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	other := &db.Company{Name: "Other AB", Country: "SE", OrgNumber: "559104-3210", Active: true}
	for _, co := range []*db.Company{mine, other} {
		if err := e.d.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.d.SetMembers(ctx, mine.ID, []int64{users[db.RoleAnalyst].ID, users[db.RoleViewer].ID}); err != nil {
		t.Fatal(err)
	}
	for _, co := range []*db.Company{mine, other} {
		if err := e.d.Notify(ctx, &db.Notification{CompanyID: co.ID, Kind: db.NotifyLinkFailed, Reason: "denied"}); err != nil {
			t.Fatal(err)
		}
	}
	for role, want := range map[string]int64{db.RoleAdmin: 2, db.RoleAnalyst: 1, db.RoleViewer: 0} {
		if n, err := e.d.UnreadNotifications(ctx, users[role]); err != nil || n != want {
			t.Errorf("%s unread = %d, %v; want %d", role, n, err, want)
		}
	}
	ns, err := e.d.Notifications(ctx, users[db.RoleAnalyst], 10)
	if err != nil || len(ns) != 1 || ns[0].CompanyID != mine.ID {
		t.Fatalf("analyst's notifications = %+v, %v", ns, err)
	}
	if err := e.d.MarkNotificationsSeen(ctx, users[db.RoleAnalyst].ID, ns[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.d.MarkNotificationsSeen(ctx, users[db.RoleAnalyst].ID, 0); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.d.UnreadNotifications(ctx, users[db.RoleAnalyst]); n != 0 {
		t.Errorf("unread after seeing = %d, want 0", n)
	}
}

// TestPortfolioStats: the last finished run, the end of the last good one
// and the voucher count, per company; a company without any has zeros.
func TestPortfolioStats(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects() {
		t.Run(dialect.Name, func(t *testing.T) {
			e := newLCDB(t, dialect.URL(t))
			ctx := t.Context()
			a := &db.Company{Name: "A AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
			b := &db.Company{Name: "B AB", Country: "SE", OrgNumber: "559104-3210", Active: true}
			for _, co := range []*db.Company{a, b} {
				if err := e.d.CreateCompany(ctx, co); err != nil {
					t.Fatal(err)
				}
			}
			run := func(errText string) {
				r := &db.SyncRun{CompanyID: a.ID, ConnectionID: 1}
				if err := e.d.StartSyncRun(ctx, r); err != nil {
					t.Fatal(err)
				}
				e.clock.Advance(time.Minute)
				if err := e.d.FinishSyncRun(ctx, r.ID, "", errText); err != nil {
					t.Fatal(err)
				}
			}
			run("")
			good := e.clock.Now()
			run("down")
			if err := e.d.UpsertVouchers(ctx, []db.Voucher{{CompanyID: a.ID, ConnectionID: 1, Ref: "1/1", Number: "A1", Date: good},
				{CompanyID: a.ID, ConnectionID: 1, Ref: "1/2", Number: "A2", Date: good}}); err != nil {
				t.Fatal(err)
			}
			st, err := e.d.PortfolioStats(ctx, []int64{a.ID, b.ID})
			if err != nil {
				t.Fatal(err)
			}
			if s := st[a.ID]; s.Vouchers != 2 || s.LastSync == nil || s.LastSync.Status != db.SyncFailed || s.LastOK == nil || !s.LastOK.Equal(good) {
				t.Errorf("stats of A = %+v (last ok %v), want 2 vouchers, last run failed, last good at %v", s, s.LastOK, good)
			}
			if s := st[b.ID]; s.Vouchers != 0 || s.LastSync != nil || s.LastOK != nil {
				t.Errorf("stats of B = %+v, want none", s)
			}
		})
	}
}
