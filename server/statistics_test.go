package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
)

// TestStatisticsPages: an admin's statistics count every company, an
// analyst's only theirs; a viewer has none, and nobody but an admin reaches
// the admin's; each table comes as CSV with the page's figures.
func TestStatisticsPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	for _, co := range []*db.Company{e.fj, e.fj, e.hidden} {
		id := co.ID
		if err := e.db.Audit(ctx, db.AuditEvent{Action: db.AuditDocumentOpen, CompanyID: &id, Actor: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	admin := e.loggedIn(e.admin)
	r := admin.get("/admin/statistics")
	wantStatus(t, "admin statistics", r, http.StatusOK)
	wantText(t, "admin statistics", r, "Companies per system and state", "Hemlig Handel AB")
	if strings.Count(r.Body, "<svg viewBox") != 3 {
		t.Errorf("admin statistics draw %d charts, want 3", strings.Count(r.Body, "<svg viewBox"))
	}
	r = admin.get("/admin/statistics/opens-by-company.csv")
	wantStatus(t, "admin CSV", r, http.StatusOK)
	if !strings.Contains(r.Body, "Fjällbacka Snickeri AB,556812-3474,2\n") || !strings.Contains(r.Body, "Hemlig Handel AB,556016-0680,1\n") {
		t.Errorf("opens per company CSV:\n%s", r.Body)
	}
	r = admin.get("/admin/statistics/companies.csv")
	if !strings.Contains(r.Body, "No system,Not asked,4\n") || !strings.Contains(r.Body, "No system,Inactive,1\n") {
		t.Errorf("companies CSV:\n%s", r.Body)
	}
	wantStatus(t, "unknown table", admin.get("/admin/statistics/nope.csv"), http.StatusNotFound)

	analyst := e.loggedIn(e.analyst)
	r = analyst.get("/statistics")
	wantStatus(t, "analyst statistics", r, http.StatusOK)
	if strings.Contains(r.Body, "Hemlig Handel") {
		t.Errorf("an analyst's statistics show a company not theirs")
	}
	r = analyst.get("/statistics/opens.csv")
	if !strings.Contains(r.Body, e.clock.Now().UTC().Format("2006-01")+",2\n") {
		t.Errorf("analyst's opens CSV, want 2 this month:\n%s", r.Body)
	}
	wantStatus(t, "analyst at admin statistics", analyst.get("/admin/statistics"), http.StatusNotFound)
	wantStatus(t, "viewer statistics", e.loggedIn(e.viewer).get("/statistics"), http.StatusForbidden)
	wantStatus(t, "viewer admin statistics", e.loggedIn(e.viewer).get("/admin/statistics"), http.StatusNotFound)
}

// TestStatisticsSyncHealth: a connected company's sync health (its last
// successful sync, failures in seven days) and the oldest index, with the
// companies per system and state in the dashboard's words.
func TestStatisticsSyncHealth(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	e.connectFake()
	e.svc.Wait()
	up.FailNext(connectortest.OpVouchers, fmt.Errorf("list: %w", connectors.ErrUnavailable))
	conn, err := e.svc.Current(t.Context(), e.fj.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Sync(t.Context(), conn); err == nil {
		t.Fatal("Sync() = nil, want the upstream's failure")
	}
	admin := e.loggedIn(e.admin)
	r := admin.get("/admin/statistics/sync.csv")
	if !strings.Contains(r.Body, "Fjällbacka Snickeri AB,556812-3474,"+e.clock.Now().In(portalZone(t)).Format("2006-01-02")) || !strings.HasSuffix(r.Body, ",1\n") {
		t.Errorf("sync CSV, want Fjällbacka synced today with 1 failure:\n%s", r.Body)
	}
	r = admin.get("/admin/statistics/companies.csv")
	if !strings.Contains(r.Body, "fake,Sync failing,1\n") && !strings.Contains(r.Body, ",Sync failing,1\n") {
		t.Errorf("companies CSV, want one company whose sync fails:\n%s", r.Body)
	}
	wantText(t, "statistics", admin.get("/admin/statistics"), "Oldest index (longest since a successful sync): Fjällbacka Snickeri AB: 0 hours ago")
}
