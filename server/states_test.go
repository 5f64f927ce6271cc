package server_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

// TestCompanyStates (issue 25 item 8): the dashboard, the company page and
// the API say where a company stands in one vocabulary (not asked,
// waiting, connected, failed, needs re-approval, sync failing, inactive),
// and only failed, needs re-approval and sync failing need action: a
// company nobody has asked yet does not. A failed link's reason stays in
// the company's link history after another link connects it.
func TestCompanyStates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	analyst := e.loggedIn(e.analyst)
	admin := e.loggedIn(e.admin)
	token := e.tokenFor(e.analyst)

	want := func(what string, b *browser, co *db.Company, state string, needsAction bool) {
		t.Helper()
		label := tr("state." + state)
		row := dashboardRow(t, b.get("/"), co)
		if !strings.Contains(row, `data-state="`+state+`"`) || !strings.Contains(html.UnescapeString(row), label) {
			t.Errorf("%s: the dashboard's row of %s does not say %q:\n%s", what, co.Name, label, row)
		}
		listed := strings.Contains(b.get("/?needs=action").Body, `data-company="`+itoa(co.ID)+`"`)
		if listed != needsAction {
			t.Errorf("%s: %s under \"needs action\" = %v, want %v", what, co.Name, listed, needsAction)
		}
		if m := companyStateRe.FindStringSubmatch(b.get("/companies/" + itoa(co.ID)).Body); m == nil || !strings.Contains(html.UnescapeString(m[1]), label) {
			t.Errorf("%s: the company page of %s does not say %q in its state line (%q)", what, co.Name, label, m)
		}
		if b != analyst {
			return
		}
		list := decode[struct {
			Companies []struct {
				ID    int64  `json:"id"`
				State string `json:"state"`
			} `json:"companies"`
		}](t, e.api(t, token, "/api/v1/companies"))
		for _, c := range list.Companies {
			if c.ID == co.ID && c.State != state {
				t.Errorf("%s: the API's state of %s = %q, want %q", what, co.Name, c.State, state)
			}
		}
	}

	// Nobody has asked yet: nothing to act on.
	for _, co := range []*db.Company{e.fj, e.norrsken, e.kafe} {
		want("never asked", analyst, co, "not_asked", false)
	}
	want("inactive", admin, e.inactive, "inactive", false)
	if r := analyst.get("/?needs=action"); !strings.Contains(r.Text(), tr("dash.nothing")) {
		t.Errorf("a portfolio nobody has asked yet needs action:\n%s", r.Text())
	}

	// A link on its way: waiting, whether made or opened.
	kafeLink := analyst.createLink(e.kafe, "")
	want("link made", analyst, e.kafe, "waiting", false)
	e.browser().get(kafeLink)
	want("link opened", analyst, e.kafe, "waiting", false)

	// Declined: failed, and that needs action.
	declined := analyst.createLink(e.fj, "")
	acc := e.browser()
	acc.finish(acc.consent(declined, approval{email: anna.email, password: anna.password, company: anna.company, deny: true}).Location())
	want("declined", analyst, e.fj, "failed", true)

	// Another link connects it; the declined one's reason stays in the
	// history.
	e.connectFJ(analyst)
	e.svc.Wait()
	want("connected", analyst, e.fj, "connected", false)
	if row := linkRow(t, analyst.get("/companies/"+itoa(e.fj.ID)), e.linkOf(t, declined).ID); !strings.Contains(html.UnescapeString(row), tr("reason.denied")) {
		t.Errorf("after another link connected, the declined link's row no longer says why it failed:\n%s", row)
	}

	// Syncs fail: sync failing.
	conn, err := e.db.Connection(ctx, e.fj.ID, "eaccounting")
	if err != nil {
		t.Fatal(err)
	}
	run := &db.SyncRun{CompanyID: e.fj.ID, ConnectionID: conn.ID}
	if err := e.db.StartSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := e.db.FinishSyncRun(ctx, run.ID, db.SyncReasonUnavailable, "upstream down"); err != nil {
		t.Fatal(err)
	}
	want("sync failed", analyst, e.fj, "sync_failing", true)

	// The upstream ends the grant: needs re-approval.
	e.sb.RefuseNextRefresh()
	e.clock.Advance(2 * time.Hour)
	e.svc.KeepFresh(ctx, 10*time.Minute)
	want("grant ended", analyst, e.fj, "needs_reapproval", true)

	// A new link is on its way: the analyst has done what they could.
	again := analyst.createLink(e.fj, "")
	want("re-approval asked", analyst, e.fj, "waiting", false)
	wantStatus(t, "revoke", analyst.post("/companies/"+itoa(e.fj.ID)+"/links/"+itoa(e.linkOf(t, again).ID)+"/revoke", nil), http.StatusSeeOther)
	want("re-approval link revoked", analyst, e.fj, "needs_reapproval", true)

	// Disconnected on purpose: nothing to act on.
	wantStatus(t, "disconnect", analyst.post("/companies/"+itoa(e.fj.ID)+"/connection/disconnect", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	want("disconnected", analyst, e.fj, "disconnected", false)
}

var companyStateRe = regexp.MustCompile(`(?s)<p class="company-state"[^>]*>(.*?)</p>`)

// dashboardRow is the dashboard's table row of co.
func dashboardRow(t *testing.T, r *response, co *db.Company) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr[^>]*data-company="` + itoa(co.ID) + `"[^>]*>.*?</tr>`).FindString(r.Body)
	if m == "" {
		t.Fatalf("the dashboard has no row of %s:\n%s", co.Name, r.Text())
	}
	return m
}
