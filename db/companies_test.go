package db_test

import (
	"errors"
	"slices"
	"testing"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestCompaniesVisibleToMembers: a non-admin sees the active companies it
// is a member of and no other, by id or in the list, and a hidden company
// is ErrNotFound like a missing one; an admin sees every company. The
// membership rule lives in visibleTo, so it is tested here, where it is
// kept, and not only through the server's routes.
func TestCompaniesVisibleToMembers(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		d := openTestDB(t, url, nil)
		ctx := t.Context()
		users := map[string]*db.User{}
		for _, u := range []*db.User{
			{Email: "admin@firm.test", Name: "admin", Role: db.RoleAdmin},
			{Email: "member@firm.test", Name: "member", Role: db.RoleAnalyst},
			{Email: "viewer@firm.test", Name: "viewer", Role: db.RoleViewer},
			{Email: "stranger@firm.test", Name: "stranger", Role: db.RoleAnalyst},
		} {
			u.PasswordHash, u.Active = "x", true
			if err := d.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			users[u.Name] = u
		}
		companies := map[string]*db.Company{}
		for _, co := range []*db.Company{
			{Name: "Mine AB", Country: "SE", OrgNumber: "556812-3474", Active: true},
			{Name: "Other AB", Country: "SE", OrgNumber: "559104-3210", Active: true},
			{Name: "Dormant AB", Country: "SE", OrgNumber: "556000-0001", Active: true},
		} {
			if err := d.CreateCompany(ctx, co); err != nil {
				t.Fatal(err)
			}
			companies[co.Name] = co
		}
		// Dormant AB is inactive: its members no longer see it.
		dormant := companies["Dormant AB"]
		dormant.Active = false
		if _, err := d.UpdateCompany(ctx, dormant, db.AuditEvent{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		for _, co := range []string{"Mine AB", "Dormant AB"} {
			if err := d.SetMembers(ctx, companies[co].ID, []int64{users["member"].ID, users["viewer"].ID}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.SetMembers(ctx, companies["Other AB"].ID, []int64{users["viewer"].ID}); err != nil {
			t.Fatal(err)
		}

		sees := map[string][]string{
			"admin":    {"Dormant AB", "Mine AB", "Other AB"},
			"member":   {"Mine AB"},
			"viewer":   {"Mine AB", "Other AB"},
			"stranger": nil,
		}
		for name, want := range sees {
			u := users[name]
			cs, err := d.CompaniesForUser(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.Name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("CompaniesForUser(%s) = %v, want %v", name, got, want)
			}
			for coName, co := range companies {
				c, err := d.CompanyForUser(ctx, u, co.ID)
				switch {
				case slices.Contains(want, coName):
					if err != nil || c.ID != co.ID {
						t.Errorf("CompanyForUser(%s, %s) = %v; want the company", name, coName, err)
					}
				case !errors.Is(err, db.ErrNotFound):
					t.Errorf("CompanyForUser(%s, %s) = %v; want ErrNotFound", name, coName, err)
				}
			}
		}
	})
}
