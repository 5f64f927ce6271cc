package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Bugs seen in a browser walk (issue 28), each reproduced here first.

var membersRe = regexp.MustCompile(`(?s)<dt>` + regexp.QuoteMeta("Members") + `</dt><dd>(.*?)</dd>`)

// TestCompanyMembersAreTheFirms: the company page's "Members" are the
// firm's people; a client user of the company is not listed there as if
// one of them.
func TestCompanyMembersAreTheFirms(t *testing.T) {
	e := newEnv(t)
	k := e.addClient("karin@fjallbacka.test", "Karin Klient", e.fj)
	page := e.loggedIn(e.analyst).get("/companies/" + itoa(e.fj.ID))
	wantStatus(t, "company page", page, http.StatusOK)
	m := membersRe.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no Members on the company page:\n%s", page.Text())
	}
	if strings.Contains(m[1], k.Name) || !strings.Contains(m[1], e.analyst.Name) {
		t.Errorf("Members = %q, want the analyst and not the client user %s", m[1], k.Name)
	}
}

// TestOldLinkAfterWithdrawal: the consent link a company was connected
// through, opened again after its client user withdrew Bilag's access,
// says the access has ended, not "connected".
func TestOldLinkAfterWithdrawal(t *testing.T) {
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	acc := e.browser()
	wantStatus(t, "result page", acc.finish(acc.consent(link, anna).Location()), http.StatusOK)
	e.svc.Wait()

	before := e.browser().get(link)
	wantText(t, "old link while connected", before, tr("accountant.done.title"))
	client := e.loggedIn(e.addClient("karin@fjallbacka.test", "Karin Klient", e.fj))
	wantStatus(t, "withdraw", client.post("/companies/"+itoa(e.fj.ID)+"/client/withdraw", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)

	after := e.browser().get(link)
	wantStatus(t, "old link after withdrawal", after, http.StatusOK)
	wantText(t, "old link after withdrawal", after, tr("accountant.ended.title"))
	if strings.Contains(after.Text(), tr("accountant.done.title")) || strings.Contains(after.Body, "result-ok") {
		t.Errorf("the old link still says it is connected:\n%s", after.Text())
	}
}

// TestClientHeader: a client user's header offers their company, not the
// firm's "Companies", and no number search across the firm's companies;
// their voucher pages' crumbs do not start at the firm's list either.
func TestClientHeader(t *testing.T) {
	e := newEnv(t)
	e.connectFJ(e.loggedIn(e.analyst))
	e.svc.Wait()
	client := e.loggedIn(e.addClient("karin@fjallbacka.test", "Karin Klient", e.fj))
	for _, p := range []string{"/companies/" + itoa(e.fj.ID) + "/client", "/companies/" + itoa(e.fj.ID) + "/vouchers", "/settings"} {
		r := client.get(p)
		wantStatus(t, p, r, http.StatusOK)
		sv := func(key string) string { return words().Translate("sv", key) }
		if strings.Contains(r.Body, `action="/vouchers/go"`) || strings.Contains(r.Text(), sv("nav.dashboard")) {
			t.Errorf("%s as a client shows the firm's companies or number search:\n%s", p, r.Text())
		}
		if !strings.Contains(r.Text(), sv("nav.client.home")) {
			t.Errorf("%s as a client does not offer their company (%q)", p, sv("nav.client.home"))
		}
	}
	// A firm user keeps both.
	r := e.loggedIn(e.viewer).get("/companies/" + itoa(e.fj.ID) + "/vouchers")
	if !strings.Contains(r.Body, `action="/vouchers/go"`) || !strings.Contains(r.Text(), tr("nav.dashboard")) {
		t.Errorf("a viewer lost the header's companies or number search")
	}
}
