package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bilag/connectors/netvisor"
	nvsandbox "bilag/connectors/netvisor/sandbox"
)

var h1Re = regexp.MustCompile(`(?s)<h1[^>]*>(.*?)</h1>`)

// wantFirmFirst fails unless r's heading names the firm first, then the
// company and the system: the accountant knows the firm, not Bilag.
func wantFirmFirst(t *testing.T, what string, r *response, company, system string) {
	t.Helper()
	m := h1Re.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s has no heading", what)
	}
	h1 := strings.TrimSpace(strings.Join(strings.Fields((&response{Body: m[1]}).Text()), " "))
	if !strings.HasPrefix(h1, firmName) || !strings.Contains(h1, company) || !strings.Contains(h1, system) || strings.Contains(h1, "Bilag") {
		t.Errorf("%s's heading is %q, want the firm %s first, then %s in %s, and no Bilag", what, h1, firmName, company, system)
	}
}

// wantOrgNowrap fails unless every organisation number among orgs that r
// shows (outside a form field's value) sits in a nowrap element, so that
// none breaks across lines on a phone.
func wantOrgNowrap(t *testing.T, what string, r *response, orgs ...string) {
	t.Helper()
	for _, org := range orgs {
		shown := 0
		for rest, at := r.Body, 0; ; {
			i := strings.Index(rest, org)
			if i < 0 {
				break
			}
			before := r.Body[:at+i]
			rest, at = rest[i+len(org):], at+i+len(org)
			if strings.HasSuffix(before, `value="`) {
				continue
			}
			shown++
			if !strings.HasSuffix(before, `class="nowrap">`) {
				t.Errorf("%s shows %s where it may break across lines: …%s", what, org, before[max(0, len(before)-60):])
			}
		}
		if shown == 0 {
			t.Errorf("%s does not show %s", what, org)
		}
	}
}

// TestAccountantPagesNameTheFirm (issue 25, item 6): the consent page and
// the key form are headed by who asks (the firm), for which company, in
// which system; every organisation number on the accountant's pages stays
// on one line.
func TestAccountantPagesNameTheFirm(t *testing.T) {
	t.Parallel()
	t.Run("consent page", func(t *testing.T) {
		e := newEnv(t)
		analyst := e.loggedIn(e.analyst)
		system := words().ConnectorName("en", "eaccounting")
		link := analyst.createLink(e.fj, "")
		acc := e.browser()
		page := acc.get(link)
		wantStatus(t, "consent page", page, http.StatusOK)
		wantFirmFirst(t, "the consent page", page, e.fj.Name, system)
		wantOrgNowrap(t, "the consent page", page, e.fj.OrgNumber)

		// The wrong company: both numbers.
		res := acc.finish(acc.consent(link, annaN).Location())
		wantOrgNowrap(t, "the wrong-company page", res, e.fj.OrgNumber, e.norrsken.OrgNumber)

		res = acc.finish(acc.consent(link, anna).Location())
		wantText(t, "result page", res, tr("result.ok.title"))
		wantOrgNowrap(t, "the result page", res, e.fj.OrgNumber)
		wantOrgNowrap(t, "the link reopened", e.browser().get(link), e.fj.OrgNumber)
	})
	t.Run("key form", func(t *testing.T) {
		e := newNetvisorEnv(t)
		host := e.svc.Connector("netvisor").(*netvisor.Connector).Hosts()[0]
		link := e.loggedIn(e.analyst).createLink(e.co, "")
		acc := e.browser()
		page := acc.get(link)
		wantStatus(t, "key form", page, http.StatusOK)
		wantFirmFirst(t, "the key form", page, e.co.Name, words().ConnectorName("en", "netvisor"))
		wantOrgNowrap(t, "the key form", page, e.co.OrgNumber)
		dc := nvsandbox.DemoCustomer()
		r := acc.post(link, url.Values{netvisor.FieldCustomerID: {dc.ID}, netvisor.FieldCustomerKey: {dc.Key}, netvisor.FieldHost: {host}, "approver_name": {"Aino Virtanen"}})
		wantStatus(t, "right keys", r, http.StatusSeeOther)
		wantOrgNowrap(t, "the result page", acc.get("/connect-result"), e.co.OrgNumber)
	})
}
