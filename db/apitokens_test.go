package db_test

import (
	"errors"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

func openTestDB(t *testing.T, url string, now func() time.Time) *db.DB {
	t.Helper()
	d, err := db.Open(t.Context(), url, db.Options{Now: now})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, testAPITokens)
}

func testAPITokens(t *testing.T, url string) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	d := openTestDB(t, url, func() time.Time { return now })
	ctx := t.Context()
	users := make([]*db.User, 2)
	for i, email := range []string{"a@firm.test", "b@firm.test"} {
		users[i] = &db.User{Email: email, Name: email, Role: db.RoleViewer, PasswordHash: "x", Active: true}
		if err := d.CreateUser(ctx, users[i]); err != nil {
			t.Fatalf("CreateUser(%s) = %v", email, err)
		}
	}
	const secret = "bilag_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"
	tok := &db.APIToken{UserID: users[0].ID, Name: "Power BI"}
	if err := d.CreateAPIToken(ctx, tok, secret); err != nil {
		t.Fatalf("CreateAPIToken() = %v", err)
	}
	if tok.Hash != db.HashSecret(secret) || tok.Hash == secret {
		t.Errorf("Hash = %q, want HashSecret(secret)", tok.Hash)
	}
	if want := "bilag_AbCdEfGh"; tok.Prefix != want {
		t.Errorf("Prefix = %q, want %q", tok.Prefix, want)
	}
	if err := d.CreateAPIToken(ctx, &db.APIToken{UserID: users[1].ID, Name: "again"}, secret); !errors.Is(err, db.ErrDuplicate) {
		t.Errorf("CreateAPIToken(same secret) = %v, want ErrDuplicate", err)
	}

	got, err := d.APITokenBySecret(ctx, secret)
	if err != nil || got.ID != tok.ID || got.UserID != users[0].ID {
		t.Fatalf("APITokenBySecret() = %+v, %v, want token %d", got, err, tok.ID)
	}
	if _, err := d.APITokenBySecret(ctx, secret+"x"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("APITokenBySecret(wrong) = %v, want ErrNotFound", err)
	}

	// Last use is written at most once a minute.
	touches := []struct {
		at   time.Time
		want time.Time
	}{
		{now, now},
		{now.Add(30 * time.Second), now},
		{now.Add(time.Minute), now.Add(time.Minute)},
	}
	for _, tc := range touches {
		if err := d.TouchAPIToken(ctx, tok.ID, tc.at, time.Minute); err != nil {
			t.Fatalf("TouchAPIToken(%v) = %v", tc.at, err)
		}
		got, err := d.APITokenBySecret(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(tc.want) {
			t.Errorf("after TouchAPIToken(%v): LastUsedAt = %v, want %v", tc.at, got.LastUsedAt, tc.want)
		}
	}

	if ts, err := d.APITokensForUser(ctx, users[1].ID); err != nil || len(ts) != 0 {
		t.Errorf("APITokensForUser(b) = %d tokens, %v; want none", len(ts), err)
	}
	if err := d.RevokeAPIToken(ctx, users[1].ID, tok.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("RevokeAPIToken(by another user) = %v, want ErrNotFound", err)
	}
	if err := d.RevokeAPIToken(ctx, users[0].ID, tok.ID); err != nil {
		t.Fatalf("RevokeAPIToken() = %v", err)
	}
	if err := d.RevokeAPIToken(ctx, users[0].ID, tok.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("RevokeAPIToken(again) = %v, want ErrNotFound", err)
	}
	if _, err := d.APITokenBySecret(ctx, secret); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("APITokenBySecret(revoked) = %v, want ErrNotFound", err)
	}
	if ts, err := d.APITokensForUser(ctx, users[0].ID); err != nil || len(ts) != 0 {
		t.Errorf("APITokensForUser(a) after revoke = %d tokens, %v; want none", len(ts), err)
	}
}
