package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bilag/db"
)

// Issue 28, offboarding: only an admin offboards, only with the tick and
// the form's CSRF token; it ends the connection, deletes the voucher
// index, keeps the audit trail, says what went, and a reactivated company
// needs a new link.
func TestOffboardCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	analyst := e.loggedIn(e.analyst)
	e.connectFJ(analyst)
	e.svc.Wait() // the first sync fills the index
	path := "/admin/companies/" + itoa(e.fj.ID) + "/offboard"
	vouchers := func() int64 {
		n, err := e.db.CountVouchers(ctx, e.fj.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	indexed := vouchers()
	if indexed == 0 {
		t.Fatal("the sync indexed no vouchers: the test proves nothing")
	}
	for _, tt := range []struct {
		name string
		b    *browser
		form url.Values
		want int
	}{
		{"viewer", e.loggedIn(e.viewer), url.Values{"confirm": {"yes"}}, http.StatusNotFound},
		{"member analyst", analyst, url.Values{"confirm": {"yes"}}, http.StatusNotFound},
		{"admin without the tick", e.loggedIn(e.admin), nil, http.StatusSeeOther},
		{"admin with a wrong token", e.loggedIn(e.admin), url.Values{"confirm": {"yes"}, "_csrf": {"not-the-token"}}, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.name, tt.b.post(path, tt.form), tt.want)
			if n := vouchers(); n != indexed {
				t.Errorf("%s: %d vouchers left, want the %d untouched", tt.name, n, indexed)
			}
		})
	}

	admin := e.loggedIn(e.admin)
	page := admin.get("/admin/companies/" + itoa(e.fj.ID))
	wantText(t, "edit page", page, "Offboard", "Unticking Active deactivates")
	r := admin.post(path, url.Values{"confirm": {"yes"}})
	wantStatus(t, "offboard", r, http.StatusSeeOther)
	wantText(t, "flash", admin.follow(r), "Company offboarded. Connections ended: 1 (access withdrawn in the system: 1)",
		"Deleted: "+itoa(indexed)+" vouchers")
	if n := vouchers(); n != 0 {
		t.Errorf("%d vouchers after offboarding, want 0", n)
	}
	e.noConnection(t, e.fj)
	co, err := e.db.Company(ctx, e.fj.ID)
	if err != nil || co.Active {
		t.Errorf("company = %+v, %v; want inactive", co, err)
	}
	evs, err := e.db.AuditEvents(ctx, e.fj.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var connected, offboarded bool
	for _, ev := range evs {
		connected = connected || ev.Action == db.AuditConnect
		if ev.Action == db.AuditCompanyOffboard && ev.Actor == "admin@firm.test" && strings.Contains(ev.Detail, "vouchers="+itoa(indexed)) {
			offboarded = true
		}
	}
	if !connected || !offboarded {
		t.Errorf("audit trail kept: %v; offboarding audited with counts: %v", connected, offboarded)
	}
	// Reactivated, the company has no connection: it needs a new link.
	co.Active = true
	if _, err := e.db.UpdateCompany(ctx, co, db.AuditEvent{}); err != nil {
		t.Fatal(err)
	}
	if c, err := e.db.Connection(ctx, e.fj.ID, "eaccounting"); err != nil || c.Status != db.ConnDisconnected {
		t.Errorf("connection after reactivating = %+v, %v; want disconnected", c, err)
	}
}
