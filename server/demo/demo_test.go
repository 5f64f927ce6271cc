package demo

import (
	"context"
	"path/filepath"
	"testing"

	"bilag/db"
	"bilag/server/password"
)

// The demo firm's companies are the clients it is given, its logins work,
// and a restart prints the same logins without seeding twice.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(dir, "bilag.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	clients := []Company{
		{"Fjällbacka Snickeri AB", "SE", "556812-3474"},
		{"Norrsken Design AB", "SE", "559104-3210"},
		{"Kafé Kanel HB", "SE", "556731-9057"},
	}
	logins, err := Seed(ctx, d, dir, clients)
	if err != nil {
		t.Fatalf("Seed() = %v", err)
	}
	if len(logins) != 3 {
		t.Fatalf("logins = %d, want admin, analyst and viewer", len(logins))
	}
	for _, l := range logins {
		u, err := d.UserByEmail(ctx, l.Email)
		if err != nil || u.Role != l.Role {
			t.Fatalf("user %s: %+v, %v", l.Email, u, err)
		}
		if ok, _ := password.Verify(u.PasswordHash, l.Password); !ok {
			t.Errorf("the printed password of %s does not log in", l.Email)
		}
	}
	given := map[string]bool{}
	for _, c := range clients {
		given[c.OrgNumber] = true
	}
	admin, _ := d.UserByEmail(ctx, "admin@demo.bilag.test")
	cs, err := d.CompaniesForUser(ctx, admin)
	if err != nil || len(cs) != 3 {
		t.Fatalf("companies = %d, %v; want 3", len(cs), err)
	}
	for _, c := range cs {
		if !given[c.OrgNumber] {
			t.Errorf("company %s (%s) is not one of the clients given", c.Name, c.OrgNumber)
		}
	}
	analyst, _ := d.UserByEmail(ctx, "analyst@demo.bilag.test")
	viewer, _ := d.UserByEmail(ctx, "viewer@demo.bilag.test")
	if a, _ := d.CompaniesForUser(ctx, analyst); len(a) != 2 {
		t.Errorf("the analyst sees %d companies, want 2", len(a))
	}
	if v, _ := d.CompaniesForUser(ctx, viewer); len(v) != 1 {
		t.Errorf("the viewer sees %d companies, want 1", len(v))
	}
	again, err := Seed(ctx, d, dir, clients)
	if err != nil || len(again) != 3 || again[1] != logins[1] {
		t.Errorf("second Seed() = %v, %v; want the same logins", again, err)
	}
	if n, _ := d.CountUsers(ctx); n != 3 {
		t.Errorf("users after a restart = %d, want 3", n)
	}
}
