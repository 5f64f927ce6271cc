package server_test

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"bilag/db"
	"bilag/db/dbtest"
)

// twoInstanceURL is a PostgreSQL database when the tests can have one,
// else a SQLite file: both instances share it.
func twoInstanceURL(t *testing.T) string {
	var pg string
	t.Run("postgres available", func(t *testing.T) { pg = dbtest.PostgresURL(t) })
	if pg != "" {
		return pg
	}
	return dbtest.SQLiteURL(t)
}

// as is a browser on instance e carrying the cookies b has now: the same
// person's login, sent to another instance (or kept from before a logout).
func (b *browser) as(e *env) *browser {
	b.e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	from, _ := url.Parse(b.e.url)
	to, _ := url.Parse(e.url)
	jar.SetCookies(to, b.c.Jar.Cookies(from))
	return &browser{e: e, header: b.header, c: &http.Client{Jar: jar, CheckRedirect: b.c.CheckRedirect, Timeout: b.c.Timeout}}
}

// TestAuthCacheAcrossInstances: the session and company-access reads are
// served from a cache at most db.AuthCacheTTL old. A logout, a password
// change, a role change or a membership removed on one instance ends
// access there at once and on the other instance within that time (the
// shared clock moves; nothing sleeps).
func TestAuthCacheAcrossInstances(t *testing.T) {
	dbURL := twoInstanceURL(t)
	a := newEnvOn(t, dbURL)
	b := a.secondInstance(dbURL)
	page := fmt.Sprintf("/companies/%d", a.fj.ID)
	ctx := t.Context()
	// expect asks page of br and wants status.
	expect := func(what string, br *browser, status int) {
		t.Helper()
		if r := br.get(page); r.Status != status {
			t.Errorf("%s: GET %s = %d, want %d", what, page, r.Status, status)
		}
	}
	for _, c := range []struct {
		name string
		// end ends the viewer's access through instance a; onA is what a
		// then answers (303: to the login page; 404: no such company).
		end       func(v *browser)
		onA, gone int
	}{
		{"logout", func(v *browser) { v.post("/logout", nil) }, http.StatusSeeOther, http.StatusSeeOther},
		{"password change", func(*browser) {
			if _, err := a.db.EndUserSessions(ctx, a.viewer.ID, ""); err != nil {
				t.Fatal(err)
			}
		}, http.StatusSeeOther, http.StatusSeeOther},
		{"deactivated", func(*browser) {
			u := *a.viewer.User
			u.Active = false
			if err := a.db.UpdateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
		}, http.StatusSeeOther, http.StatusSeeOther},
		{"membership removed", func(*browser) {
			if err := a.db.SetMembers(ctx, a.fj.ID, []int64{a.analyst.ID}); err != nil {
				t.Fatal(err)
			}
		}, http.StatusNotFound, http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			restore(t, a)
			v := a.loggedIn(a.viewer)
			onB := v.as(b)
			kept := v.as(a)
			expect("before, on a", v, http.StatusOK)
			expect("before, on b", onB, http.StatusOK) // b has it cached now
			c.end(v)
			expect("at once, on a", kept, c.onA)
			// Within the second b may still admit: it does, from its cache.
			expect("within the second, on b", onB, http.StatusOK)
			a.clock.Advance(db.AuthCacheTTL)
			expect("a second later, on b", onB, c.gone)
		})
	}
}

// restore gives the viewer back their login and membership.
func restore(t *testing.T, a *env) {
	t.Helper()
	u := *a.viewer.User
	u.Active = true
	if err := a.db.UpdateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	if err := a.db.SetMembers(t.Context(), a.fj.ID, []int64{a.analyst.ID, a.viewer.ID}); err != nil {
		t.Fatal(err)
	}
}
