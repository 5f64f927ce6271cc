// Package demo seeds a fresh database with a demo firm whose client
// companies exist in a connector's sandbox, so that a person can click
// through the whole story on a fresh machine.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"bilag/connectors/orgnr"
	"bilag/db"
	"bilag/server/password"
)

// loginsFile keeps the generated demo passwords, so every start can print them.
const loginsFile = "demo-logins.txt"

// Login is a demo login, printed at start.
type Login struct{ Role, Email, Password string }

// Company is a client company of the demo firm, as a sandbox has it.
type Company struct{ Name, Country, OrgNumber string }

// Seed fills an empty database with the demo firm, whose clients are
// clients, and returns the logins: an admin, an analyst who is a member of
// the first two clients and a viewer who is a member of the first. On a
// database that has users it only reads the logins kept in dataDir.
func Seed(ctx context.Context, d *db.DB, dataDir string, clients []Company) ([]Login, error) {
	n, err := d.CountUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: count users: %w", err)
	}
	path := filepath.Join(dataDir, loginsFile)
	if n > 0 {
		return readLogins(path)
	}
	if len(clients) < 2 {
		return nil, fmt.Errorf("demo: %d client companies, want at least 2", len(clients))
	}
	var companies []*db.Company
	for _, sc := range clients {
		norm, err := orgnr.Validate(sc.Country, sc.OrgNumber)
		if err != nil {
			return nil, fmt.Errorf("demo: org number of %s: %w", sc.Name, err)
		}
		c := &db.Company{Name: sc.Name, Country: sc.Country, OrgNumber: norm, Active: true}
		if err := d.CreateCompany(ctx, c); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		companies = append(companies, c)
	}
	people := []struct {
		role, email, name string
		member            []int
	}{
		{db.RoleAdmin, "admin@demo.bilag.test", "Astrid Admin", nil},
		{db.RoleAnalyst, "analyst@demo.bilag.test", "Anders Analytiker", []int{0, 1}},
		{db.RoleViewer, "viewer@demo.bilag.test", "Vera Viewer", []int{0}},
	}
	var logins []Login
	members := map[int64][]int64{}
	for _, p := range people {
		pass := password.Generate()
		hash, err := password.Hash(pass)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		u := &db.User{Email: p.email, Name: p.name, Role: p.role, PasswordHash: hash, Active: true}
		if err := d.CreateUser(ctx, u); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		for _, i := range p.member {
			members[companies[i].ID] = append(members[companies[i].ID], u.ID)
		}
		logins = append(logins, Login{Role: p.role, Email: p.email, Password: pass})
	}
	for cid, uids := range members {
		if err := d.SetMembers(ctx, cid, uids); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	if err := writeLogins(path, logins); err != nil {
		return nil, err
	}
	return logins, nil
}

func writeLogins(path string, ls []Login) error {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", l.Role, l.Email, l.Password)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("demo: keep logins: %w", err)
	}
	return nil
}

func readLogins(path string) ([]Login, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demo: read logins: %w", err)
	}
	var ls []Login
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			ls = append(ls, Login{Role: f[0], Email: f[1], Password: f[2]})
		}
	}
	return ls, nil
}
