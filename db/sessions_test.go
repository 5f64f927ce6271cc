package db_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestSessions: a session ends by its token, by its user's, and a use is
// written at most once per interval, on every dialect.
func TestSessions(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		clock := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		d, err := db.Open(ctx, url, db.Options{Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		u := &db.User{Email: "s@firm.test", Name: "S", Role: db.RoleViewer, PasswordHash: "x", Active: true}
		if err := d.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		long := clock.Now().Add(-time.Hour)
		for _, tok := range []string{"one", "two", "three"} {
			if err := d.CreateSession(ctx, u.ID, tok, long, long); err != nil {
				t.Fatal(err)
			}
		}
		s, err := d.SessionByToken(ctx, "one")
		if err != nil || s.UserID != u.ID {
			t.Fatalf("SessionByToken = %+v, %v", s, err)
		}
		clock.Advance(30 * time.Second)
		if err := d.TouchSession(ctx, s.ID, clock.Now(), time.Minute); err != nil {
			t.Fatal(err)
		}
		if s2, _ := d.SessionByToken(ctx, "one"); !s2.LastSeenAt.Equal(s.LastSeenAt) {
			t.Errorf("a use 30 s after the last was written: %v, want %v", s2.LastSeenAt, s.LastSeenAt)
		}
		clock.Advance(31 * time.Second)
		if err := d.TouchSession(ctx, s.ID, clock.Now(), time.Minute); err != nil {
			t.Fatal(err)
		}
		if s2, _ := d.SessionByToken(ctx, "one"); !s2.LastSeenAt.Equal(clock.Now()) {
			t.Errorf("a use 61 s after the last: last seen %v, want %v", s2.LastSeenAt, clock.Now())
		}
		if err := d.EndSession(ctx, "one"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SessionByToken(ctx, "one"); err == nil {
			t.Error("an ended session is still found")
		}
		if n, err := d.EndUserSessions(ctx, u.ID, "two"); err != nil || n != 1 {
			t.Errorf("EndUserSessions keeping two = %d, %v; want 1", n, err)
		}
		if _, err := d.SessionByToken(ctx, "two"); err != nil {
			t.Errorf("the kept session: %v", err)
		}
		// A new login sweeps the user's sessions that are over.
		clock.Advance(3 * time.Hour)
		if err := d.CreateSession(ctx, u.ID, "four", clock.Now().Add(-12*time.Hour), clock.Now().Add(-2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SessionByToken(ctx, "two"); err == nil {
			t.Error("a session idle for 3 h outlived the next login")
		}
	})
}

// TestSecondFactorKeyRotation: reseal moves the sealed second-factor keys
// to the current key too, so dropping the previous key locks nobody out.
func TestSecondFactorKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := "sqlite://" + filepath.Join(t.TempDir(), "bilag.db")
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	d, err := db.Open(ctx, path, db.Options{Keys: keyring(t, oldKey)})
	if err != nil {
		t.Fatal(err)
	}
	u := &db.User{Email: "k@firm.test", Name: "K", Role: db.RoleAdmin, PasswordHash: "x", Active: true}
	if err := d.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := d.SetPendingSecondFactor(ctx, u.ID, []byte("JBSWY3DPEHPK3PXP")); err != nil {
		t.Fatal(err)
	}
	if err := d.EnableSecondFactor(ctx, u.ID, 1, []string{"code-one"}); err != nil {
		t.Fatal(err)
	}
	d.Close()

	d, _ = db.Open(ctx, path, db.Options{Keys: keyring(t, newKey, oldKey)})
	if n, err := d.ResealSecondFactors(ctx); err != nil || n != 1 {
		t.Fatalf("ResealSecondFactors() = %d, %v; want 1", n, err)
	}
	d.Close()

	d, _ = db.Open(ctx, path, db.Options{Keys: keyring(t, newKey)})
	defer d.Close()
	got, err := d.User(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if key, err := d.SecondFactorKey(got); err != nil || string(key) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("SecondFactorKey() with only the new key = %q, %v", key, err)
	}
	if !got.HasSecondFactor() {
		t.Error("resealing turned the second factor off")
	}
}
