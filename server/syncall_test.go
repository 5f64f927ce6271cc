package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/server/connections"
)

// connectFakeAs connects co through the fake upstream, which is made to
// hold co for the approval.
func (e *env) connectFakeAs(up *connectortest.Upstream, co *db.Company) {
	e.t.Helper()
	e.connectFakeAsNamed(up, co, co.Name)
}

// connectFakeAsNamed is connectFakeAs with the system naming co name.
func (e *env) connectFakeAsNamed(up *connectortest.Upstream, co *db.Company, name string) {
	t := e.t
	t.Helper()
	up.Company = connectors.Company{ExternalID: "c" + itoa(co.ID), Name: name, OrgNumber: co.OrgNumber, Country: "SE"}
	link := e.loggedIn(e.analyst).createLink(co, "")
	acc := e.browser()
	wantStatus(t, "GET consent link", acc.get(link), http.StatusOK)
	r := acc.post(link, nil)
	auth, err := url.Parse(r.Location())
	if err != nil {
		t.Fatalf("give permission redirects to %q: %v", r.Location(), err)
	}
	q := auth.Query()
	res := acc.finish(q.Get("redirect_uri") + "?" + url.Values{"code": {"ok"}, "state": {q.Get("state")}}.Encode())
	wantStatus(t, "result page", res, http.StatusOK)
	e.svc.Wait() // the first sync after connecting
}

// TestSyncAll: the admin's "Sync all" syncs every connected company; one
// that fails shows its failure, with its reason and a link, and the others
// finish. The run is in the one history the schedule and the command
// line report into, and a second run waits for the first.
func TestSyncAll(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	for _, co := range []*db.Company{e.fj, e.norrsken, e.kafe} {
		e.connectFakeAs(up, co)
	}
	up.FailNext(connectortest.OpVouchers, fmt.Errorf("list: %w", connectors.ErrUnavailable))
	admin := e.loggedIn(e.admin)
	wantText(t, "no run yet", admin.get("/admin/sync-all"), "No firm-wide sync has run yet.")
	r := admin.post("/admin/sync-all", nil)
	wantStatus(t, "POST sync all", r, http.StatusSeeOther)
	e.svc.Wait()
	page := admin.get("/admin/sync-all")
	wantFacts(t, "sync-all page", page, "Companies done", "2", "Companies failed", "1", "Companies waiting", "0")
	wantText(t, "sync-all page", page, "Fjällbacka Snickeri AB: the accounting system did not answer; the next sync tries again", "a person at the firm (admin@firm.test)")
	if !strings.Contains(page.Body, fmt.Sprintf(`href="/companies/%d"`, e.fj.ID)) {
		t.Errorf("the failure does not link to its company")
	}
	for _, co := range []*db.Company{e.norrsken, e.kafe} {
		runs, err := e.db.SyncRuns(t.Context(), co.ID, 1)
		if err != nil || len(runs) != 1 || runs[0].Status != db.SyncOK {
			t.Errorf("%s's last sync = %+v, %v; want ok", co.Name, runs, err)
		}
	}

	// The command line's run lands in the same history; while one holds
	// the lease, a second is refused.
	var lines []string
	if err := e.svc.SyncAll(t.Context(), connections.SyncAllBy{Trigger: db.SyncAllCLI}, func(co *db.Company, _ connections.SyncResult, err error) {
		lines = append(lines, co.Name)
		if len(lines) == 1 {
			if err := e.svc.StartSyncAll("someone"); err != connections.ErrSyncAllRunning {
				t.Errorf("StartSyncAll during a run = %v, want ErrSyncAllRunning", err)
			}
		}
	}); err != nil || len(lines) != 3 {
		t.Fatalf("SyncAll(cli) = %v after %v", err, lines)
	}
	page = admin.get("/admin/sync-all")
	wantText(t, "cli run", page, "the command line")
	wantFacts(t, "cli run", page, "Companies done", "3", "Companies failed", "0")
	run, _, _ := e.db.LatestSyncAll(t.Context())
	if run == nil || run.FinishedAt == nil || run.FinishedAt.Before(run.StartedAt) || time.Since(*run.FinishedAt) > time.Hour {
		t.Errorf("latest run = %+v, want finished", run)
	}
	if err := e.svc.StartSyncAll("again"); err != nil {
		t.Errorf("StartSyncAll after a finished run = %v, want it to start", err)
	}
	e.svc.Wait()

	// A run whose instance died shows as interrupted once its lease ran
	// out, and the button works again.
	if run, _, err := e.db.StartSyncAll(t.Context(), db.SyncAllCLI, "", []int64{e.fj.ID}, time.Minute); err != nil || run == nil {
		t.Fatalf("StartSyncAll() = %v, %v", run, err)
	}
	wantText(t, "running elsewhere", admin.get("/admin/sync-all"), "still running")
	e.clock.Advance(2 * time.Minute)
	wantText(t, "interrupted", admin.get("/admin/sync-all"), "interrupted: the server running it stopped")
}

// wantFacts checks a page's facts (<dt>label</dt><dd>value</dd>), given
// as label, value, label, value….
func wantFacts(t *testing.T, what string, r *response, lv ...string) {
	t.Helper()
	for i := 0; i+1 < len(lv); i += 2 {
		if want := "<dt>" + lv[i] + "</dt><dd>" + lv[i+1] + "</dd>"; !strings.Contains(r.Body, want) {
			t.Errorf("%s: page lacks %s", what, want)
		}
	}
}
