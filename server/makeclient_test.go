package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bilag/db"
)

// TestMakeClient (issue 28): an admin turns a viewer of exactly one
// company into its client user, confirmed and audited on that company's
// trail; the viewer's sessions end and they come back to their client
// page. A viewer of none or of two companies, and an analyst, are
// refused with a message saying why, and nothing changes.
func TestMakeClient(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	one := e.addUser("olle@fjallbacka.test", "Olle Ett", db.RoleViewer, true)
	if err := e.db.SetMembers(ctx, e.kafe.ID, []int64{e.analyst.ID, one.ID}); err != nil {
		t.Fatal(err)
	}
	none := e.addUser("ingen@firm.test", "Ingrid Ingen", db.RoleViewer, true)
	admin := e.loggedIn(e.admin)
	oneBrowser := e.loggedIn(one)
	path := func(p person) string { return "/admin/users/" + itoa(p.ID) + "/client" }

	// The edit page offers it, naming the company.
	wantText(t, "edit page of a viewer of one company", admin.get("/admin/users/"+itoa(one.ID)),
		tr("admin.user.client.tick", e.kafe.Name))
	wantText(t, "edit page of a viewer of two companies", admin.get("/admin/users/"+itoa(e.viewer.ID)),
		tr("admin.user.client.memberships", 2))

	refused := []struct {
		name string
		who  person
		form url.Values
		want string
	}{
		{"not confirmed", one, url.Values{}, tr("admin.user.client.unconfirmed")},
		{"a viewer of no company", none, url.Values{"confirm": {"yes"}}, tr("admin.user.client.memberships", 0)},
		{"a viewer of two companies", e.viewer, url.Values{"confirm": {"yes"}}, tr("admin.user.client.memberships", 2)},
		{"an analyst", e.analyst, url.Values{"confirm": {"yes"}}, tr("admin.user.client.notviewer")},
		{"an admin", e.admin, url.Values{"confirm": {"yes"}}, tr("admin.user.client.notviewer")},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r := admin.post(path(tt.who), tt.form)
			wantStatus(t, tt.name, r, http.StatusSeeOther)
			wantText(t, tt.name, admin.follow(r), tt.want)
			u, err := e.db.User(ctx, tt.who.ID)
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != tt.who.Role {
				t.Errorf("role after refusal = %q, want %q", u.Role, tt.who.Role)
			}
		})
	}
	// Nobody but an admin reaches it.
	for who, b := range map[string]*browser{"analyst": e.loggedIn(e.analyst), "viewer": e.loggedIn(e.viewer), "anonymous": e.browser()} {
		want := http.StatusNotFound
		if who == "anonymous" {
			want = http.StatusUnauthorized // a form posted without a session
		}
		wantStatus(t, "make client as "+who, b.post(path(one), url.Values{"confirm": {"yes"}}), want)
	}
	if u, _ := e.db.User(ctx, one.ID); u.Role != db.RoleViewer {
		t.Fatalf("role after others tried = %q, want viewer", u.Role)
	}

	r := admin.post(path(one), url.Values{"confirm": {"yes"}})
	wantStatus(t, "make client", r, http.StatusSeeOther)
	wantText(t, "make client", admin.follow(r), tr("admin.user.client.done", one.Name, e.kafe.Name))
	if u, _ := e.db.User(ctx, one.ID); u.Role != db.RoleClient {
		t.Errorf("role = %q, want client", u.Role)
	}
	evs, err := e.db.AuditEvents(ctx, e.kafe.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].Action != db.AuditUserMakeClient || evs[0].Target != one.Email || evs[0].Actor != e.admin.Email {
		t.Errorf("newest audit event of the company = %+v, want %s of %s by the admin", evs, db.AuditUserMakeClient, one.Email)
	}
	// Their session ended; logged in again, they are the company's client.
	if r := oneBrowser.get("/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("GET / with the old session = %d %q, want 303 to /login", r.Status, r.Header.Get("Location"))
	}
	b := e.loggedIn(one)
	if r := b.get("/"); r.Header.Get("Location") != "/companies/"+itoa(e.kafe.ID)+"/client" {
		t.Errorf("GET / as the new client = %d %q, want their client page", r.Status, r.Header.Get("Location"))
	}
	// Twice: they are no viewer now.
	r = admin.post(path(one), url.Values{"confirm": {"yes"}})
	wantText(t, "make client twice", admin.follow(r), tr("admin.user.client.notviewer"))
}

var selectedRoleRe = regexp.MustCompile(`<option value="([a-z]+)" selected>`)

// TestEditClientKeepsRole: the user form of a client user offers the
// client role only and saves it so; it neither falls back to the first
// firm role nor takes one posted by hand.
func TestEditClientKeepsRole(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	k := e.addClient("karin@fjallbacka.test", "Karin Klient", e.fj)
	admin := e.loggedIn(e.admin)
	page := admin.get("/admin/users/" + itoa(k.ID))
	wantStatus(t, "edit client", page, http.StatusOK)
	if m := selectedRoleRe.FindStringSubmatch(page.Body); m == nil || m[1] != db.RoleClient {
		t.Errorf("selected role on the client's form = %v, want client", m)
	}
	for _, role := range []string{db.RoleAdmin, db.RoleAnalyst, db.RoleViewer} {
		if strings.Contains(page.Body, `<option value="`+role+`"`) {
			t.Errorf("the client's form offers %s", role)
		}
	}
	r := admin.post("/admin/users/"+itoa(k.ID), url.Values{"name": {"Karin Klient-Berg"}, "role": {db.RoleClient}, "active": {"1"}})
	wantStatus(t, "save client", r, http.StatusSeeOther)
	if u, _ := e.db.User(ctx, k.ID); u.Role != db.RoleClient || u.Name != "Karin Klient-Berg" {
		t.Errorf("after saving: role %q name %q, want client, Karin Klient-Berg", u.Role, u.Name)
	}
	r = admin.post("/admin/users/"+itoa(k.ID), url.Values{"name": {"Karin"}, "role": {db.RoleAdmin}, "active": {"1"}})
	wantStatus(t, "client made admin by hand", r, http.StatusUnprocessableEntity)
	// Nor does a firm user become a client through the form.
	r = admin.post("/admin/users/"+itoa(e.viewer.ID), url.Values{"name": {e.viewer.Name}, "role": {db.RoleClient}, "active": {"1"}})
	wantStatus(t, "viewer made client by the form", r, http.StatusUnprocessableEntity)
	for id, want := range map[int64]string{k.ID: db.RoleClient, e.viewer.ID: db.RoleViewer} {
		if u, _ := e.db.User(ctx, id); u.Role != want {
			t.Errorf("user %d role = %q, want %q", id, u.Role, want)
		}
	}
}
