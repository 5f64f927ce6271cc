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

// TestOffboardedState (issue 28): an offboarded company is "Offboarded",
// not merely "Inactive", in the one vocabulary the dashboard, the company
// page and the statistics share; reactivated it is not, and paused again
// it is only inactive.
func TestOffboardedState(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.connectFJ(e.loggedIn(e.analyst))
	e.svc.Wait()
	admin := e.loggedIn(e.admin)
	wantStatus(t, "offboard", admin.post("/admin/companies/"+itoa(e.fj.ID)+"/offboard", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	offboarded, inactive := tr("state.offboarded"), tr("state.inactive")

	if dash := admin.get("/"); !strings.Contains(dash.Body, `data-company="`+itoa(e.fj.ID)+`" data-state="offboarded"`) ||
		!strings.Contains(dash.Body, `data-company="`+itoa(e.inactive.ID)+`" data-state="inactive"`) {
		t.Errorf("dashboard does not show the offboarded company offboarded and the paused one inactive:\n%s", dash.Text())
	}
	page := admin.get("/companies/" + itoa(e.fj.ID))
	wantStatus(t, "company page", page, http.StatusOK)
	if !strings.Contains(page.Body, `badge-offboarded">`+offboarded) || !strings.Contains(page.Body, `id="offboarded"`) {
		t.Errorf("company page does not say it was offboarded:\n%s", page.Text())
	}
	stats := admin.get("/admin/statistics/companies.csv")
	wantStatus(t, "statistics CSV", stats, http.StatusOK)
	for _, row := range []string{")," + offboarded + ",1", "," + inactive + ",1"} {
		if !strings.Contains(stats.Body, row) {
			t.Errorf("companies per system and state has no row %q:\n%s", row, stats.Body)
		}
	}

	// Reactivated, then paused: inactive, no longer offboarded.
	co, err := e.db.Company(ctx, e.fj.ID)
	if err != nil || co.OffboardedAt == nil {
		t.Fatalf("company = %+v, %v; want it offboarded", co, err)
	}
	for _, active := range []bool{true, false} {
		co.Active = active
		if _, err := e.db.UpdateCompany(ctx, co, db.AuditEvent{}); err != nil {
			t.Fatal(err)
		}
	}
	if co, _ = e.db.Company(ctx, e.fj.ID); co.OffboardedAt != nil {
		t.Errorf("offboarded at %v after reactivating, want nil", co.OffboardedAt)
	}
	if dash := admin.get("/"); !strings.Contains(dash.Body, `data-company="`+itoa(e.fj.ID)+`" data-state="inactive"`) {
		t.Errorf("dashboard: the company paused after reactivation is not inactive:\n%s", dash.Text())
	}
}
