package db_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/seal"
)

func keyring(t *testing.T, secrets ...[]byte) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyring(secrets[0], secrets[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Rotating BILAG_SECRET_KEY: rows sealed under the old key still open with
// the old key as "previous", and Reseal moves every row to the new key.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := "sqlite://" + filepath.Join(t.TempDir(), "bilag.db")
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	grant := connectors.Grant{Data: []byte(`{"access_token":"at-secret","refresh_token":"rt-secret"}`), Expiry: time.Now().Add(time.Hour), Scopes: []string{"ea:api"}}

	d, err := db.Open(ctx, path, db.Options{Keys: keyring(t, oldKey)})
	if err != nil {
		t.Fatal(err)
	}
	co := &db.Company{Name: "Rot AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	if err := d.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	l := &db.ConsentLink{CompanyID: co.ID, Connector: "eaccounting", ExpectedOrgNumber: co.OrgNumber, CreatedByID: 1, ExpiresAt: time.Now().Add(time.Hour)}
	if err := d.CreateLink(ctx, l, "secret-of-link"); err != nil {
		t.Fatal(err)
	}
	if err := d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
		t.Fatal(err)
	}
	conn := &db.Connection{CompanyID: co.ID, Connector: "eaccounting"}
	if err := d.Connect(ctx, l.ID, conn, grant); err != nil {
		t.Fatal(err)
	}
	d.Close()

	// Only the new key: the old rows cannot be read, and say so.
	d, _ = db.Open(ctx, path, db.Options{Keys: keyring(t, newKey)})
	if _, err := d.Grant(ctx, conn.ID); !errors.Is(err, seal.ErrUnknownKey) {
		t.Errorf("Grant() with only the new key = %v, want ErrUnknownKey", err)
	}
	d.Close()

	d, _ = db.Open(ctx, path, db.Options{Keys: keyring(t, newKey, oldKey)})
	g, err := d.Grant(ctx, conn.ID)
	if err != nil || !bytes.Equal(g.Data, grant.Data) {
		t.Fatalf("Grant() with the old key as previous = %q, %v", g.Data, err)
	}
	n, err := d.Reseal(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Reseal() = %d, %v, want 1 row", n, err)
	}
	if n, _ := d.Reseal(ctx); n != 0 {
		t.Errorf("second Reseal() = %d, want 0", n)
	}
	d.Close()

	d, _ = db.Open(ctx, path, db.Options{Keys: keyring(t, newKey)})
	defer d.Close()
	g, err = d.Grant(ctx, conn.ID)
	if err != nil || !bytes.Equal(g.Data, grant.Data) {
		t.Fatalf("Grant() after Reseal with only the new key = %q, %v", g.Data, err)
	}
}
