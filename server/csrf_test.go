package server_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestCrossOriginPostsAreRefused: a form post that is not provably from
// the portal itself is refused with 403 and writes nothing.
func TestCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.loggedIn(e.admin)
	analyst := e.loggedIn(e.analyst)
	ctx := t.Context()
	counts := func() (users, companies, links int) {
		us, err := e.db.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := e.db.CompaniesForUser(ctx, e.admin.User)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := e.db.LinksForCompany(ctx, e.fj.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(us), len(cs), len(ls)
	}
	newUser := func() url.Values {
		return url.Values{"name": {"Mallory"}, "email": {"mallory@evil.example"}, "role": {"admin"}, "password": {"a-long-enough-password"}}
	}
	newCompany := func() url.Values {
		return url.Values{"name": {"Evil AB"}, "country": {"SE"}, "org_number": {"556677-8899"}}
	}
	link := func() url.Values { return url.Values{"expected_org": {e.fj.OrgNumber}} }
	tests := []struct {
		name   string
		b      *browser
		path   string
		form   url.Values
		header http.Header
		token  string // "" leaves the field out; "valid" sends the browser's token
	}{
		{"user, Sec-Fetch-Site cross-site", admin, "/admin/users", newUser(), http.Header{"Sec-Fetch-Site": {"cross-site"}}, "valid"},
		{"user, Sec-Fetch-Site same-site", admin, "/admin/users", newUser(), http.Header{"Sec-Fetch-Site": {"same-site"}}, "valid"},
		{"user, foreign Origin", admin, "/admin/users", newUser(), http.Header{"Origin": {"https://evil.example"}}, "valid"},
		{"user, no token", admin, "/admin/users", newUser(), nil, ""},
		{"user, wrong token", admin, "/admin/users", newUser(), nil, "not-the-token"},
		{"company, Sec-Fetch-Site cross-site", admin, "/admin/companies", newCompany(), http.Header{"Sec-Fetch-Site": {"cross-site"}}, "valid"},
		{"company, foreign Origin", admin, "/admin/companies", newCompany(), http.Header{"Origin": {"https://evil.example"}}, "valid"},
		{"company, no token", admin, "/admin/companies", newCompany(), nil, ""},
		{"link, foreign Origin", analyst, "/companies/" + itoa(e.fj.ID) + "/links", link(), http.Header{"Origin": {"https://evil.example"}}, "valid"},
		{"link, no token", analyst, "/companies/" + itoa(e.fj.ID) + "/links", link(), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u0, c0, l0 := counts()
			form := tt.form
			switch tt.token {
			case "valid":
				form.Set("_csrf", tt.b.csrf)
			case "":
			default:
				form.Set("_csrf", tt.token)
			}
			r := tt.b.do(http.MethodPost, tt.path, form, tt.header)
			wantStatus(t, "POST "+tt.path, r, http.StatusForbidden)
			wantText(t, "refusal", r, tr("err.csrf"))
			if u1, c1, l1 := counts(); u1 != u0 || c1 != c0 || l1 != l0 {
				t.Errorf("rows (users, companies, links) = (%d, %d, %d), want (%d, %d, %d)", u1, c1, l1, u0, c0, l0)
			}
		})
	}
	t.Run("login from another site", func(t *testing.T) {
		b := e.browser()
		b.get("/login")
		r := b.do(http.MethodPost, "/login", url.Values{"_csrf": {b.csrf}, "email": {e.admin.Email}, "password": {e.admin.Password}}, http.Header{"Origin": {"https://evil.example"}})
		wantStatus(t, "cross-site login", r, http.StatusForbidden)
		if b.cookie("bilag_session") != "" {
			t.Errorf("a cross-site login set a session cookie")
		}
	})
	// The same forms from the portal itself go through, by token or by
	// a browser's Sec-Fetch-Site: same-origin.
	t.Run("same origin", func(t *testing.T) {
		u0, c0, _ := counts()
		wantStatus(t, "create user", admin.post("/admin/users", newUser()), http.StatusSeeOther)
		r := admin.do(http.MethodPost, "/admin/companies", newCompany(), http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {e.url}})
		wantStatus(t, "create company", r, http.StatusSeeOther)
		if u1, c1, _ := counts(); u1 != u0+1 || c1 != c0+1 {
			t.Errorf("rows (users, companies) = (%d, %d), want (%d, %d)", u1, c1, u0+1, c0+1)
		}
	})
}
