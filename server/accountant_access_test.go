package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	entsandbox "bilag/connectors/enterprise/sandbox"
	"bilag/connectors/netvisor"
	nvsandbox "bilag/connectors/netvisor/sandbox"
)

// access is the sentence a connector's pages for the accountant, and the
// message that carries its link, state of what its connection lets Bilag
// do.
func access(connector string) string {
	return words().TranslateFor("en", connector, "accountant.access")
}

// readClaims are what a page of a connection that reads nothing must not
// say.
var readClaims = []string{"Read access only", "Read only", "can read", "read your bookkeeping", "read its vouchers"}

// wantNoReadClaim fails when r says Bilag reads.
func wantNoReadClaim(t *testing.T, what string, r *response) {
	t.Helper()
	for _, claim := range readClaims {
		if strings.Contains(r.Text(), claim) {
			t.Errorf("%s of a connection that reads nothing says %q", what, claim)
		}
	}
}

// TestEnterprisePagesSayWhatItDoes (issue 25, item 1): an Enterprise
// connection creates invoice orders and reads nothing, and every page the
// accountant sees says so in the same words: the link's message, the key
// form, the result page and the link reopened; the line saying what Bilag
// is says what it does there, not that it reads.
func TestEnterprisePagesSayWhatItDoes(t *testing.T) {
	t.Parallel()
	e, _, root := withEnterprise(t)
	admin := e.loggedIn(e.admin)
	wantStatus(t, "allow the host", admin.post("/companies/"+itoa(e.fj.ID)+"/hosts", url.Values{"hosts": {"127.0.0.1"}}), http.StatusSeeOther)
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	say := access("enterprise")

	msg := analyst.get("/companies/" + itoa(e.fj.ID))
	wantText(t, "the link's message", msg, say)

	acc := e.browser()
	form := acc.get(link)
	wantStatus(t, "key form", form, http.StatusOK)
	wantText(t, "key form", form, say)
	wantNoReadClaim(t, "the key form", form)

	values := url.Values{"url": {root}, "user": {entsandbox.DefaultUser}, "password": {entsandbox.DefaultPassword}, "company": {"1"}, "system": {"WS"},
		"confirm": {"yes"}, "approver_name": {"Kari Nordmann"}}
	wantStatus(t, "connect", acc.post(link, values), http.StatusSeeOther)
	res := acc.get("/connect-result")
	wantStatus(t, "result page", res, http.StatusOK)
	wantText(t, "result page", res, tr("result.ok.title"), say, words().TranslateFor("en", "enterprise", "accountant.whatis", firmName))
	wantNoReadClaim(t, "the result page", res)

	again := e.browser().get(link)
	wantStatus(t, "the link reopened", again, http.StatusOK)
	wantText(t, "the link reopened", again, tr("accountant.done.title"), say)
	wantNoReadClaim(t, "the link reopened", again)
}

// TestReadingPagesSayWhatTheyRead (issue 25, item 1): a connection that
// reads says so with its connector's sentence on every page the
// accountant sees and in the link's message: eAccounting's through the
// consent page, Netvisor's through the key form.
func TestReadingPagesSayWhatTheyRead(t *testing.T) {
	t.Parallel()
	t.Run("eaccounting", func(t *testing.T) {
		e := newEnv(t)
		analyst := e.loggedIn(e.analyst)
		link := analyst.createLink(e.fj, "")
		say := access("eaccounting")
		wantText(t, "the link's message", analyst.get("/companies/"+itoa(e.fj.ID)), say)
		acc := e.browser()
		wantText(t, "consent page", acc.get(link), say)
		res := acc.finish(acc.consent(link, anna).Location())
		wantText(t, "result page", res, tr("result.ok.title"), say)
		wantText(t, "the link reopened", e.browser().get(link), tr("accountant.done.title"), say)
	})
	t.Run("netvisor", func(t *testing.T) {
		e := newNetvisorEnv(t)
		host := e.svc.Connector("netvisor").(*netvisor.Connector).Hosts()[0]
		analyst := e.loggedIn(e.analyst)
		link := analyst.createLink(e.co, "")
		say := access("netvisor")
		wantText(t, "the link's message", analyst.get("/companies/"+itoa(e.co.ID)), say)
		acc := e.browser()
		wantText(t, "key form", acc.get(link), say)
		dc := nvsandbox.DemoCustomer()
		form := url.Values{netvisor.FieldCustomerID: {dc.ID}, netvisor.FieldCustomerKey: {dc.Key}, netvisor.FieldHost: {host}, "approver_name": {"Aino Virtanen"}}
		wantStatus(t, "right keys", acc.post(link, form), http.StatusSeeOther)
		wantText(t, "result page", acc.get("/connect-result"), tr("result.ok.title"), say)
		wantText(t, "the link reopened", e.browser().get(link), tr("accountant.done.title"), say)
	})
}
