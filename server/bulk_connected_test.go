package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bilag/db"
	"bilag/server/mail"
)

// TestBulkSkipsConnectedCompanies (issue 25 item 9): a bulk request makes
// and sends no link for a company that is connected already, and says so
// in its row; only when the analyst ticks "ask connected companies for a
// re-approval" does such a company get a new link.
func TestBulkSkipsConnectedCompanies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	catcher := mail.NewCatcher(e.clock.Now)
	demo := e.withMailer(catcher)
	e.connectFJ(e.loggedIn(e.analyst))
	e.svc.Wait()
	analyst := demo.loggedIn(e.analyst)
	dash := analyst.get("/")
	if !strings.Contains(dash.Body, `name="reapprove"`) {
		t.Errorf("the dashboard's bulk request offers no re-approval of connected companies")
	}
	links := func(co *db.Company) int {
		ls, err := e.db.LinksForCompany(t.Context(), co.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(ls)
	}

	r := analyst.post("/links/bulk", url.Values{"company": {itoa(e.fj.ID), itoa(e.kafe.ID)},
		"email_" + itoa(e.fj.ID): {"anna.lindqvist@example.se"}, "email_" + itoa(e.kafe.ID): {"kafe@example.se"}})
	wantStatus(t, "bulk", r, http.StatusOK)
	wantText(t, "bulk", r, tr("bulk.summary", 1, 2), tr("share.sent", "kafe@example.se"))
	if row := bulkRow(t, r, e.fj); !strings.Contains(row, tr("bulk.connected")) {
		t.Errorf("the connected company's row does not say it was skipped:\n%s", row)
	}
	if n := links(e.fj); n != 1 {
		t.Errorf("the connected company has %d links, want only the one it connected through", n)
	}
	if n := links(e.kafe); n != 1 {
		t.Errorf("the company not connected has %d links, want 1", n)
	}
	if msgs := catcher.Messages(); len(msgs) != 1 || msgs[0].To != "kafe@example.se" {
		t.Errorf("caught %+v, want one mail, to kafe@example.se", msgs)
	}

	r = analyst.post("/links/bulk", url.Values{"company": {itoa(e.fj.ID)}, "reapprove": {"1"},
		"email_" + itoa(e.fj.ID): {"anna.lindqvist@example.se"}})
	wantStatus(t, "bulk re-approval", r, http.StatusOK)
	wantText(t, "bulk re-approval", r, tr("bulk.summary", 1, 1), tr("share.sent", "anna.lindqvist@example.se"))
	if n := links(e.fj); n != 2 {
		t.Errorf("asked for a re-approval, the connected company has %d links, want 2", n)
	}
}

// bulkRow is the bulk result's row of co.
func bulkRow(t *testing.T, r *response, co *db.Company) string {
	t.Helper()
	for _, row := range regexp.MustCompile(`(?s)<tr.*?</tr>`).FindAllString(r.Body, -1) {
		if strings.Contains(row, co.Name) {
			return row
		}
	}
	t.Fatalf("the bulk result has no row of %s:\n%s", co.Name, r.Text())
	return ""
}
