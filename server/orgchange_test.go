package server_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bilag/db"
)

// TestOrgNumberChangeClosesLinks (issue 25 item 13): when an admin
// corrects a company's organisation number, its open links (made for the
// old number) are closed, in the audit trail, and an approval already at
// the upstream connects nothing; a change that fails closes nothing.
func TestOrgNumberChangeClosesLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	admin := e.loggedIn(e.admin)
	idle := analyst.createLink(e.fj, "")
	inFlight := analyst.createLink(e.fj, "")
	acc := e.browser()
	callback := acc.consent(inFlight, anna) // the approver has said yes at Visma
	edit := func(org string) *response {
		t.Helper()
		admin.get("/admin/companies/" + itoa(e.fj.ID))
		return admin.post("/admin/companies/"+itoa(e.fj.ID), url.Values{"name": {e.fj.Name}, "country": {"SE"}, "org_number": {org},
			"active": {"1"}, "prefetch": {"1"}, "members": {itoa(e.analyst.ID), itoa(e.viewer.ID)}})
	}
	status := func(link string) string { return e.linkOf(t, link).Status }

	// A number another company has: refused, and nothing closes.
	wantStatus(t, "a taken number", edit(e.hidden.OrgNumber), http.StatusUnprocessableEntity)
	if st := status(idle); st != db.LinkCreated {
		t.Errorf("after a refused change, the idle link is %q, want %q", st, db.LinkCreated)
	}
	if st := status(inFlight); st != db.LinkLoginStarted {
		t.Errorf("after a refused change, the link in flight is %q, want %q", st, db.LinkLoginStarted)
	}

	// The correction closes both, and says so in the audit trail.
	const corrected = "556677-8899"
	wantStatus(t, "the correction", edit(corrected), http.StatusSeeOther)
	for name, link := range map[string]string{"idle": idle, "in flight": inFlight} {
		if st := status(link); st != db.LinkRevoked {
			t.Errorf("after the correction, the %s link is %q, want %q", name, st, db.LinkRevoked)
		}
	}
	events, err := e.db.AuditEvents(t.Context(), e.fj.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, ev := range events {
		audited = audited || ev.Action == db.AuditLinkRevoke && ev.Actor == e.admin.Email &&
			strings.Contains(ev.Detail, "556812-3474") && strings.Contains(ev.Detail, corrected)
	}
	if !audited {
		t.Errorf("no audit event says the admin's correction closed the links: %+v", events)
	}
	page := analyst.get("/companies/" + itoa(e.fj.ID))
	if row := linkRow(t, page, e.linkOf(t, idle).ID); !strings.Contains(html.UnescapeString(row), tr("reason.org_changed")) {
		t.Errorf("the closed link's row does not say why:\n%s", row)
	}

	// The approval that was at Visma comes back: nothing is connected.
	r := acc.get(callback.Location())
	if m := checkingRe.FindStringSubmatch(r.Body); r.Status == http.StatusOK && m != nil {
		acc.get(m[1])
	}
	e.noConnection(t, e.fj)
	// And the idle link starts no approval.
	if r := e.browser().post(idle, nil); r.Status == http.StatusSeeOther && strings.HasPrefix(r.Location(), e.sbURL) {
		t.Errorf("the closed link still sends its holder to Visma")
	}
}
