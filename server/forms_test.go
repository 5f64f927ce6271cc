package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// snapshot is everything a form could write, to prove a refused form wrote
// nothing.
func (e *env) snapshot(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	us, err := e.db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.db.CompaniesForUser(ctx, e.admin.User)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%+v\n%+v\n", us, cs)
	for _, c := range cs {
		ls, err := e.db.LinksForCompany(ctx, c.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := e.db.Members(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d: %d links, members %v\n", c.ID, len(ls), ms)
	}
	ev, err := e.db.AuditEvents(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%d audit events\n", len(ev))
	return b.String()
}

// TestFormErrors sends bad input to every form: each gets 422, a message
// next to the field in the visitor's language, and writes nothing.
func TestFormErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.loggedIn(e.admin)
	analyst := e.loggedIn(e.analyst)
	user := func(kv ...string) url.Values {
		v := url.Values{"name": {"Nina Ny"}, "email": {"nina@firm.test"}, "role": {"viewer"}, "password": {""}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	company := func(kv ...string) url.Values {
		v := url.Values{"name": {"Ny Firma AB"}, "country": {"SE"}, "org_number": {"556677-8899"}, "active": {"1"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	long := func(n int) string { return strings.Repeat("å", n) }
	users := "/admin/users"
	companies := "/admin/companies"
	editAdmin := "/admin/users/" + itoa(e.admin.ID)
	editViewer := "/admin/users/" + itoa(e.viewer.ID)
	editNorrsken := "/admin/companies/" + itoa(e.norrsken.ID)
	links := "/companies/" + itoa(e.fj.ID) + "/links"
	tests := []struct {
		name  string
		b     *browser
		path  string
		form  url.Values
		field string
		key   string
	}{
		{"user: empty name", admin, users, user("name", ""), "name", "err.required"},
		{"user: long name", admin, users, user("name", long(201)), "name", "err.toolong"},
		{"user: empty email", admin, users, user("email", ""), "email", "err.required"},
		{"user: invalid email", admin, users, user("email", "nina.firm.test"), "email", "err.email"},
		{"user: email with a name", admin, users, user("email", "Nina <nina@firm.test>"), "email", "err.email"},
		{"user: long email", admin, users, user("email", strings.Repeat("n", 250)+"@firm.test"), "email", "err.toolong"},
		{"user: duplicate email", admin, users, user("email", "Analyst@Firm.test"), "email", "err.email.taken"},
		{"user: unknown role", admin, users, user("role", "owner"), "role", "err.role"},
		{"user: short password", admin, users, user("password", "short"), "password", "err.password.short"},
		{"user: long password", admin, users, user("password", strings.Repeat("p", 201)), "password", "err.toolong"},
		{"user edit: empty name", admin, editViewer, user("name", "", "email", e.viewer.Email), "name", "err.required"},
		{"user edit: admin deactivates self", admin, editAdmin, user("name", "Astrid Admin", "role", "admin"), "active", "admin.user.self"},
		{"user edit: admin demotes self", admin, editAdmin, user("name", "Astrid Admin", "role", "viewer", "active", "1"), "active", "admin.user.self"},
		{"company: empty name", admin, companies, company("name", ""), "name", "err.required"},
		{"company: long name", admin, companies, company("name", long(201)), "name", "err.toolong"},
		{"company: unknown country", admin, companies, company("country", "XX"), "country", "err.country"},
		{"company: empty org number", admin, companies, company("org_number", ""), "org_number", "err.required"},
		{"company: long org number", admin, companies, company("org_number", strings.Repeat("5", 33)), "org_number", "err.toolong"},
		{"company: bad check digit", admin, companies, company("org_number", "556036-0794"), "org_number", "err.orgnr.check"},
		{"company: bad format", admin, companies, company("org_number", "55603-60793x"), "org_number", "err.orgnr.format"},
		{"company: duplicate org number", admin, companies, company("org_number", "5568123474"), "org_number", "err.orgnr.taken"},
		{"company: admin as member", admin, companies, company("members", itoa(e.admin.ID)), "members", "err.members"},
		{"company: unknown member", admin, companies, company("members", "99999"), "members", "err.members"},
		{"company edit: empty name", admin, editNorrsken, company("name", "", "org_number", e.norrsken.OrgNumber), "name", "err.required"},
		{"company edit: bad check digit", admin, editNorrsken, company("name", "Norrsken Design AB", "org_number", "559104-3211"), "org_number", "err.orgnr.check"},
		{"company edit: duplicate org number", admin, editNorrsken, company("name", "Norrsken Design AB", "org_number", e.fj.OrgNumber), "org_number", "err.orgnr.taken"},
		{"link: unknown validity", analyst, links, url.Values{"ttl": {"5h0m0s"}}, "ttl", "err.400"},
	}
	for _, tt := range tests {
		for _, lang := range []string{"en", "sv"} {
			t.Run(tt.name+" ("+lang+")", func(t *testing.T) {
				before := e.snapshot(t)
				form := url.Values{}
				for k, v := range tt.form {
					form[k] = v
				}
				form.Set("_csrf", tt.b.csrf)
				r := tt.b.do(http.MethodPost, tt.path, form, http.Header{"Accept-Language": {lang + ",en;q=0.5"}})
				wantStatus(t, "POST "+tt.path, r, http.StatusUnprocessableEntity)
				want := words().Translate(lang, tt.key)
				if want == tt.key {
					t.Fatalf("no translation for %q", tt.key)
				}
				if got := fieldErrors(r.Body)[tt.field]; got != want {
					t.Errorf("message next to %s = %q, want %q (all: %v)", tt.field, got, want, fieldErrors(r.Body))
				}
				if lang == "sv" && want == words().Translate("en", tt.key) {
					t.Errorf("%q has no Swedish text", tt.key)
				}
				if after := e.snapshot(t); after != before {
					t.Errorf("a refused form changed the database:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
}
