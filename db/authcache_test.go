package db

import (
	"errors"
	"testing"
	"time"

	"bilag/db/dbtest"
)

// TestAuthCache: a session read is served again for AuthCacheTTL of the
// DB's clock, whatever another handle wrote meanwhile; a write through
// this handle to a table it reads empties it at once.
func TestAuthCache(t *testing.T) {
	clock := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	url := dbtest.SQLiteURL(t)
	d, err := Open(t.Context(), url, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	other, err := Open(t.Context(), url, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	ctx := t.Context()
	u := &User{Email: "a@firm.test", Name: "Anna", Role: RoleViewer, PasswordHash: "x", Active: true}
	co := &Company{Name: "Dok AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	must(t, d.CreateUser(ctx, u), d.CreateSession(ctx, u.ID, "tok", clock.Now(), clock.Now()), d.CreateCompany(ctx, co), d.SetMembers(ctx, co.ID, []int64{u.ID}))
	if _, _, err := d.SessionAndUser(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CompanyForUser(ctx, u, co.ID); err != nil {
		t.Fatal(err)
	}
	// Another instance ends it all.
	must(t, other.EndSession(ctx, "tok"), other.SetMembers(ctx, co.ID, nil))
	clock.Advance(AuthCacheTTL - time.Millisecond)
	if _, _, err := d.SessionAndUser(ctx, "tok"); err != nil {
		t.Errorf("within the TTL: %v, want the cached session", err)
	}
	if _, err := d.CompanyForUser(ctx, u, co.ID); err != nil {
		t.Errorf("within the TTL: %v, want the cached company", err)
	}
	clock.Advance(time.Millisecond)
	if _, _, err := d.SessionAndUser(ctx, "tok"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the TTL: %v, want ErrNotFound", err)
	}
	if _, err := d.CompanyForUser(ctx, u, co.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the TTL: %v, want ErrNotFound", err)
	}

	// A write through this handle clears at once.
	must(t, d.CreateSession(ctx, u.ID, "tok2", clock.Now(), clock.Now()))
	if _, _, err := d.SessionAndUser(ctx, "tok2"); err != nil {
		t.Fatal(err)
	}
	must(t, d.EndSession(ctx, "tok2"))
	if _, _, err := d.SessionAndUser(ctx, "tok2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after EndSession on this handle: %v, want ErrNotFound at once", err)
	}
	// A role change keys the company read anew.
	admin := *u
	admin.Role = RoleAdmin
	if _, err := d.CompanyForUser(ctx, &admin, co.ID); err != nil {
		t.Errorf("as admin: %v", err)
	}
}

// TestAuthCacheBounded: the cache never holds more than authCacheMax
// sessions.
func TestAuthCacheBounded(t *testing.T) {
	var a authCache
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 3 * authCacheMax {
		a.putSession(string(rune(i)), Session{}, User{}, now)
		if len(a.sessions) > authCacheMax {
			t.Fatalf("%d sessions cached", len(a.sessions))
		}
	}
	if _, _, ok := a.session(string(rune(3*authCacheMax-1)), now.Add(AuthCacheTTL)); ok {
		t.Error("an entry AuthCacheTTL old was served")
	}
	if _, _, ok := a.session(string(rune(3*authCacheMax-1)), now.Add(-time.Second)); ok {
		t.Error("an entry from the future (a clock set back) was served")
	}
}
