package db_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

func TestIntegrationTokens(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, testIntegrationTokens)
}

// An integration token is kept as its hash, found by its secret until it
// is revoked, and revoked only by its own company.
func testIntegrationTokens(t *testing.T, url string) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := openTestDB(t, url, func() time.Time { return now })
	ctx := t.Context()
	cos := make([]*db.Company, 2)
	for i, org := range []string{"556000-0001", "556000-0002"} {
		cos[i] = &db.Company{Name: org, Country: "SE", OrgNumber: org, Active: true}
		if err := d.CreateCompany(ctx, cos[i]); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "bilag_send_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"
	tok := &db.IntegrationToken{CompanyID: cos[0].ID, Name: "Faktura", Connector: "fake"}
	if err := d.CreateIntegrationToken(ctx, tok, secret); err != nil {
		t.Fatal(err)
	}
	if tok.Hash == secret || tok.Prefix != secret[:db.IntegrationTokenPrefixLen] {
		t.Errorf("stored %q / %q", tok.Hash, tok.Prefix)
	}
	if got, err := d.IntegrationTokenBySecret(ctx, secret); err != nil || got.ID != tok.ID || got.Connector != "fake" {
		t.Errorf("IntegrationTokenBySecret = %+v, %v", got, err)
	}
	if _, err := d.RevokeIntegrationToken(ctx, cos[1].ID, tok.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another company revokes: %v, want ErrNotFound", err)
	}
	if _, err := d.RevokeIntegrationToken(ctx, cos[0].ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.IntegrationTokenBySecret(ctx, secret); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("revoked token found: %v", err)
	}
	if ts, err := d.IntegrationTokensOf(ctx, cos[0].ID); err != nil || len(ts) != 0 {
		t.Errorf("listed after revoking: %v, %v", ts, err)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, testIdempotencyKeys)
}

// A key is reserved once in its scope however many ask at once; another
// token or company has its own; a reservation without an answer is taken
// over once stale; a key is new again after 30 days.
func testIdempotencyKeys(t *testing.T, url string) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	d := openTestDB(t, url, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(by time.Duration) { mu.Lock(); now = now.Add(by); mu.Unlock() }
	ctx := t.Context()
	key := func(token int64) *db.IdempotencyKey {
		return &db.IdempotencyKey{CompanyID: 1, TokenKind: db.KeyScopeIntegration, TokenID: token, Key: "k-1", BodyHash: "h"}
	}
	var wg sync.WaitGroup
	var reserved, taken int
	var first int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := key(7)
			had, err := d.ReserveIdempotencyKey(ctx, k)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("reserve: %v", err)
			case had == nil:
				reserved++
				first = k.ID
			default:
				taken++
			}
		}()
	}
	wg.Wait()
	if reserved != 1 || taken != 7 {
		t.Fatalf("8 at once: %d reserved, %d found it taken; want 1 and 7", reserved, taken)
	}
	if had, err := d.ReserveIdempotencyKey(ctx, key(8)); err != nil || had != nil {
		t.Errorf("another token's key: %+v, %v; want its own", had, err)
	}
	advance(11 * time.Minute)
	if had, err := d.ReserveIdempotencyKey(ctx, key(7)); err != nil || had != nil {
		t.Fatalf("a stale reservation is not taken over: %+v, %v", had, err)
	}
	k := key(7)
	if had, _ := d.ReserveIdempotencyKey(ctx, k); had == nil || had.ID == first {
		t.Fatalf("the new reservation: %+v", had)
	} else if err := d.FinishIdempotencyKey(ctx, had.ID, 42, 202); err != nil {
		t.Fatal(err)
	}
	advance(29 * 24 * time.Hour)
	if had, err := d.ReserveIdempotencyKey(ctx, key(7)); err != nil || had == nil || had.BatchID == nil || *had.BatchID != 42 {
		t.Errorf("within 30 days: %+v, %v; want batch 42", had, err)
	}
	advance(2 * 24 * time.Hour)
	if had, err := d.ReserveIdempotencyKey(ctx, key(7)); err != nil || had != nil {
		t.Errorf("after 30 days: %+v, %v; want the key new", had, err)
	}
}
