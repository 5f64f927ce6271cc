package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"bilag/db"
	"bilag/db/seal"
)

// TestUserAddClient: `bilag user add --role client --company ORGNR` makes a
// client user of that one company; without a company, with an unknown
// one, or with --company for another role, it refuses and makes nobody.
func TestUserAddClient(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("BILAG_DATA_DIR", dir)
	t.Setenv("BILAG_SECRET_KEY", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	ctx := context.Background()
	keys, _ := seal.NewKeyring(bytes.Repeat([]byte{7}, 32))
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(dir, "bilag.db"), db.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	co := &db.Company{Name: "Fjällvägen AB", Country: "SE", OrgNumber: "556677-8899", Active: true}
	if err := d.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, args, want string }{
		{"no company", "--email k@client.test --name K --role client", "needs --company"},
		{"unknown company", "--email k@client.test --name K --role client --company 559999-0000", "no company"},
		{"company for an analyst", "--email k@client.test --name K --role analyst --company 556677-8899", "for --role client only"},
	} {
		var o, e bytes.Buffer
		if code := run(ctx, append([]string{"user", "add"}, strings.Fields(tt.args)...), strings.NewReader("a-long-enough-password\n"), &o, &e); code == 0 || !strings.Contains(e.String(), tt.want) {
			t.Errorf("%s: run = %d, stderr %q, want failure with %q", tt.name, code, e.String(), tt.want)
		}
	}
	if _, err := d.UserByEmail(ctx, "k@client.test"); err == nil {
		t.Fatal("a refused user add made the user")
	}
	var o, e bytes.Buffer
	args := []string{"user", "add", "--email", "k@client.test", "--name", "Karin Klient", "--role", "client", "--company", "556677-8899"}
	if code := run(ctx, args, strings.NewReader("a-long-enough-password\n"), &o, &e); code != 0 {
		t.Fatalf("user add --role client = %d, stderr %q", code, e.String())
	}
	u, err := d.UserByEmail(ctx, "k@client.test")
	if err != nil || !u.IsClient() || !u.Active {
		t.Fatalf("stored client user = %+v, %v", u, err)
	}
	got, err := d.ClientCompany(ctx, u)
	if err != nil || got.ID != co.ID {
		t.Fatalf("ClientCompany() = %+v, %v, want %s", got, err, co.Name)
	}
	if cs, _ := d.ClientUsers(ctx, co.ID); len(cs) != 1 {
		t.Errorf("ClientUsers() = %d users, want 1", len(cs))
	}
}
