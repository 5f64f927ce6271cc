package server_test

import (
	"encoding/json"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/server"
	"bilag/server/connections"
	"bilag/server/mail"
)

// Issue 29, "A receipt for the approver": after approval the result page
// offers a receipt at a sealed address; it says who granted what, to
// which firm, when, through which link and how to withdraw it; it is
// mailed where the upstream named the approver's address; the audit
// trail links to it for the firm; a forged or expired address shows no
// receipt.

// receiptRe finds the receipt's address on the result page.
var receiptRe = regexp.MustCompile(`href="(/receipt/[^"]+)"`)

// receiptEnv is an env whose portal mails through a catcher it returns.
func receiptEnv(t *testing.T) (*env, *mail.Catcher) {
	t.Helper()
	var catcher *mail.Catcher
	e := newEnvWith(t, "", func(o *server.Options) {
		catcher = mail.NewCatcher(o.Now)
		o.Mailer = catcher
	})
	return e, catcher
}

// receiptOf is the receipt address the result page offers.
func receiptOf(t *testing.T, res *response) string {
	t.Helper()
	m := receiptRe.FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("the result page offers no receipt:\n%s", res.Text())
	}
	return m[1]
}

// mailsTo are the caught messages to address.
func mailsTo(c *mail.Catcher, address string) []mail.Caught {
	var out []mail.Caught
	for _, m := range c.Messages() {
		if strings.Contains(m.To, address) {
			out = append(out, m)
		}
	}
	return out
}

// TestReceiptOneStep: Anna approves eAccounting; the result page offers
// her receipt, which names her, the access in eAccounting's words, the
// firm, the time, the link by number (never its secret) and how to
// withdraw in eAccounting, with the firm's contact and privacy notice;
// it reaches her by mail; the firm opens it from the audit trail.
func TestReceiptOneStep(t *testing.T) {
	t.Parallel()
	e, catcher := receiptEnv(t)
	p := e
	analyst := p.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	acc := p.browser()
	res := acc.finish(acc.consent(link, anna).Location())
	wantStatus(t, "result page", res, http.StatusOK)
	addr := receiptOf(t, res)
	if strings.Contains(addr, secretOf(link)) {
		t.Fatalf("the receipt's address %q holds the link's secret", addr)
	}
	l := p.linkOf(t, link)
	rc := acc.get(addr)
	wantStatus(t, "receipt", rc, http.StatusOK)
	access := words().TranslateFor("en", "eaccounting", "accountant.access")
	withdraw := words().TranslateFor("en", "eaccounting", "result.ok.withdraw", firmName)
	wantText(t, "receipt", rc, tr("receipt.title"), tr("receipt.lead", firmName, e.fj.Name, e.fj.OrgNumber), "Anna Lindqvist", access, withdraw,
		firmContact, firmPrivacyURL, "Visma eAccounting")
	if !strings.Contains(rc.Text(), tr("receipt.link.value", l.ID, "")) {
		t.Errorf("the receipt does not name link %d:\n%s", l.ID, rc.Text())
	}
	if strings.Contains(rc.Body, "anna.lindqvist@example.se") || strings.Contains(rc.Body, secretOf(link)) {
		t.Errorf("the receipt shows the approver's address or the link's secret")
	}
	if strings.Contains(rc.Body, `href="/admin/`) || strings.Contains(rc.Body, "/logout") {
		t.Errorf("the receipt shows the portal's navigation")
	}
	if cc := rc.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("receipt Cache-Control = %q, want no-store", cc)
	}

	// Mailed to the approver the upstream named, with the address.
	msgs := mailsTo(catcher, "anna.lindqvist@example.se")
	if len(msgs) != 1 {
		t.Fatalf("Anna got %d mails, want her receipt: %+v", len(msgs), catcher.Messages())
	}
	mailed := regexp.MustCompile(regexp.QuoteMeta(p.url) + `(/receipt/\S+)`).FindStringSubmatch(msgs[0].Text)
	if mailed == nil {
		t.Fatalf("the receipt mail holds no receipt address:\n%s", msgs[0].Text)
	}
	wantText(t, "mailed receipt", p.browser().get(mailed[1]), "Anna Lindqvist", access)
	if m := msgs[0]; !strings.Contains(m.Text, access) || !strings.Contains(m.Text, withdraw) ||
		!strings.Contains(m.Subject, firmName) || strings.Contains(m.Text, secretOf(link)) {
		t.Errorf("receipt mail = %+v", m)
	}

	// The firm: the audit trail's approval links to the same receipt.
	firmAddr := "/companies/" + itoa(e.fj.ID) + "/links/" + itoa(l.ID) + "/receipt"
	audit := analyst.get("/companies/" + itoa(e.fj.ID) + "/audit")
	if !strings.Contains(audit.Body, `href="`+firmAddr+`"`) {
		t.Errorf("the audit trail does not link the approval to its receipt")
	}
	fr := analyst.get(firmAddr)
	wantStatus(t, "firm's receipt", fr, http.StatusOK)
	wantText(t, "firm's receipt", fr, "Anna Lindqvist", access, withdraw)
	// Not for a viewer (as the audit trail is not), not under another
	// company, not a link of none.
	wantStatus(t, "viewer's receipt", p.loggedIn(e.viewer).get(firmAddr), http.StatusForbidden)
	admin := p.loggedIn(e.admin)
	wantStatus(t, "receipt under another company", admin.get("/companies/"+itoa(e.norrsken.ID)+"/links/"+itoa(l.ID)+"/receipt"), http.StatusNotFound)
	wantStatus(t, "receipt of no link", admin.get("/companies/"+itoa(e.fj.ID)+"/links/x/receipt"), http.StatusNotFound)
}

// TestReceiptAddressRefused: a forged or altered address shows no
// receipt; an expired one says so; a link that approved nothing has none.
func TestReceiptAddressRefused(t *testing.T) {
	t.Parallel()
	e, _ := receiptEnv(t)
	p := e
	analyst := p.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	acc := p.browser()
	addr := receiptOf(t, acc.finish(acc.consent(link, anna).Location()))
	tok := strings.TrimPrefix(addr, "/receipt/")
	altered := tok[:len(tok)/2] + string(rune('A'+(tok[len(tok)/2]-'A'+1)%26)) + tok[len(tok)/2+1:]
	for what, target := range map[string]string{"forged": "/receipt/" + url.PathEscape("bm90IGEgcmVjZWlwdA"), "altered": "/receipt/" + altered,
		"the link's secret": "/receipt/" + secretOf(link)} {
		r := p.browser().get(target)
		wantStatus(t, what, r, http.StatusNotFound)
		wantText(t, what, r, tr("receipt.invalid.title"))
		if strings.Contains(r.Body, "Anna Lindqvist") || strings.Contains(r.Body, e.fj.Name) {
			t.Errorf("%s address shows the receipt", what)
		}
	}
	// Within its 90 days it opens; after them it has expired.
	e.clock.Advance(89 * 24 * time.Hour)
	wantStatus(t, "receipt on day 89", p.browser().get(addr), http.StatusOK)
	e.clock.Advance(2 * 24 * time.Hour)
	r := p.browser().get(addr)
	wantStatus(t, "expired receipt", r, http.StatusGone)
	wantText(t, "expired receipt", r, tr("receipt.expired.title"), tr("receipt.expired.body", firmName))
	if strings.Contains(r.Body, "Anna Lindqvist") {
		t.Errorf("an expired receipt shows who approved")
	}
	// A refused approval offers no receipt.
	analyst = p.loggedIn(e.analyst) // the session of 91 days ago is over
	link2 := analyst.createLink(e.norrsken, "")
	acc2 := p.browser()
	res := acc2.finish(acc2.consent(link2, maja).Location())
	if receiptRe.MatchString(res.Body) {
		t.Errorf("a refused approval offers a receipt")
	}
	l2 := p.linkOf(t, link2)
	wantStatus(t, "receipt of a link that approved nothing", analyst.get("/companies/"+itoa(e.norrsken.ID)+"/links/"+itoa(l2.ID)+"/receipt"), http.StatusNotFound)
}

// twoStepsMail is twoSteps's portal mailing through m: the fakes name
// their approver without an address.
func (e *env) twoStepsMail(m mail.Mailer) *env {
	t := e.t
	t.Helper()
	company := connectors.Company{ExternalID: "c1", Name: e.fj.Name, OrgNumber: e.fj.OrgNumber, Country: "SE"}
	read := &connectortest.Upstream{Name: "fake", GrantTTL: time.Hour, Now: e.clock.Now, Company: company}
	export := &connectortest.Upstream{Name: "fake-export", Now: e.clock.Now, Company: company}
	conns := map[string]connectors.Connector{"fake": connectortest.Full{Upstream: read}, "fake-export": connectortest.NoReading{U: export}}
	words := maps.Clone(connectorWords)
	b, _ := json.Marshal(map[string]string{"fake-export.accountant.access": exportAccess})
	words["fake-export"] = fstest.MapFS{"words/en.json": {Data: b}}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, AdminSecondFactorOptional: true,
		FormOrigins: []string{"https://fake.example"}, Now: e.clock.Now, ConnectorWords: map[string]fs.FS(words), Mailer: m},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: conns, Companions: map[string]string{"fake": "fake-export"}, Now: e.clock.Now})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	return &p
}

// TestReceiptTwoSteps: a link of two steps offers the receipt after each;
// after the first it holds the first step alone, after the second both,
// each in its own words. The fakes name no address, so no receipt mail.
func TestReceiptTwoSteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	catcher := mail.NewCatcher(e.clock.Now)
	p := e.twoStepsMail(catcher)
	analyst := p.loggedIn(e.analyst)
	link := analyst.createLinkWith(e.fj, url.Values{"then": {"fake-export"}})
	acc := p.browser()
	_, first := acc.giveStep(link, "fake", "code=ok")
	readAccess := words().TranslateFor("en", "fake", "accountant.access")
	r1 := acc.get(receiptOf(t, first))
	wantStatus(t, "first step's receipt", r1, http.StatusOK)
	wantText(t, "first step's receipt", r1, "Fake Approver", readAccess)
	if strings.Contains(r1.Text(), exportAccess) {
		t.Errorf("the first step's receipt claims the second step's access")
	}
	_, second := acc.giveStep(link, "fake-export", "code=ok")
	r2 := acc.get(receiptOf(t, second))
	wantStatus(t, "both steps' receipt", r2, http.StatusOK)
	wantText(t, "both steps' receipt", r2, readAccess, exportAccess)
	if n := strings.Count(r2.Body, `class="receipt-step"`); n != 2 {
		t.Errorf("the receipt shows %d steps, want 2", n)
	}
	for _, m := range catcher.Messages() {
		if strings.Contains(m.Subject, tr("receipt.mail.subject", firmName, e.fj.Name)) {
			t.Errorf("a receipt was mailed though no address was given: %+v", m)
		}
	}
}
