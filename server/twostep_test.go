package server_test

import (
	"encoding/json"
	"html"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/server"
	"bilag/server/connections"
)

// Issue 26, "Access": a company that reads and exports approves one link
// with two steps. These tests stand on two fake redirect connectors: "fake"
// reads, "fake-export" (its companion) reads nothing, as the e-conomic
// export.

// exportAccess is the companion's own sentence of what it grants, as its
// words give it (the real one is the e-conomic export's).
const exportAccess = "Fake export creates customers, products and invoices; it deletes nothing."

// twoSteps is e's portal on the two fakes, "fake-export" the companion of
// "fake"; companionWords gives the companion words of its own.
func (e *env) twoSteps(companionWords bool) (*env, *connectortest.Upstream, *connectortest.Upstream) {
	t := e.t
	t.Helper()
	company := connectors.Company{ExternalID: "c1", Name: e.fj.Name, OrgNumber: e.fj.OrgNumber, Country: "SE"}
	read := &connectortest.Upstream{Name: "fake", GrantTTL: time.Hour, Now: e.clock.Now, Company: company}
	export := &connectortest.Upstream{Name: "fake-export", Now: e.clock.Now, Company: company}
	conns := map[string]connectors.Connector{"fake": connectortest.Full{Upstream: read}, "fake-export": connectortest.NoReading{U: export}}
	words := maps.Clone(connectorWords)
	if companionWords {
		b, _ := json.Marshal(map[string]string{"fake-export.accountant.access": exportAccess})
		words["fake-export"] = fstest.MapFS{"words/en.json": {Data: b}}
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, AdminSecondFactorOptional: true,
		FormOrigins: []string{"https://fake.example"}, Now: e.clock.Now, ConnectorWords: map[string]fs.FS(words)},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: conns, Companions: map[string]string{"fake": "fake-export"}, Now: e.clock.Now})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	return &p, read, export
}

// createLinkWith makes a consent link with form as b and reads it from
// the company page.
func (b *browser) createLinkWith(co *db.Company, form url.Values) string {
	b.e.t.Helper()
	r := b.post("/companies/"+itoa(co.ID)+"/links", form)
	wantStatus(b.e.t, "POST links", r, http.StatusSeeOther)
	m := newLinkRe.FindStringSubmatch(b.follow(r).Body)
	if m == nil {
		b.e.t.Fatalf("company page has no #new-link input")
	}
	return html.UnescapeString(m[1])
}

// giveStep presses the link's button (give permission, or start the second
// step) and answers at the fake upstream with answer ("code=ok", or
// "error=access_denied"); it returns the callback URL and the result page.
func (b *browser) giveStep(link, connector, answer string) (string, *response) {
	t := b.e.t
	t.Helper()
	r := b.post(link, nil)
	wantStatus(t, "POST "+connector+" step", r, http.StatusSeeOther)
	auth, err := url.Parse(r.Location())
	if err != nil || auth.Host != "fake.example" {
		t.Fatalf("the step redirects to %q, want the fake upstream", r.Location())
	}
	q := auth.Query()
	if want := b.e.url + "/oauth/" + connector + "/callback"; q.Get("redirect_uri") != want {
		t.Fatalf("the step's redirect_uri = %q, want %q", q.Get("redirect_uri"), want)
	}
	ans, _ := url.ParseQuery(answer)
	ans.Set("state", q.Get("state"))
	cb := q.Get("redirect_uri") + "?" + ans.Encode()
	return cb, b.finish(cb)
}

// stepForm is the result page's button that starts the second step.
func stepForm(link string) string {
	return `<form method="post" action="/connect/` + secretOf(link) + `" class="consent-action">`
}

// TestTwoStepLink: the analyst asks for read and export; the consent page
// lists both steps and what each grants; the first step's result shows its
// line and the button to the second; the second connects the companion on
// the same link, and the page then shows both lines. A replayed callback
// of the second step is refused and changes nothing.
func TestTwoStepLink(t *testing.T) {
	t.Parallel()
	e, _, export := newEnv(t).twoSteps(true)
	analyst := e.loggedIn(e.analyst)
	page := analyst.get("/companies/" + itoa(e.fj.ID))
	wantText(t, "company page", page, tr("link.then.label"), tr("link.then.none"), tr("link.then.with", "fake", "fake-export"))
	link := analyst.createLinkWith(e.fj, url.Values{"then": {"fake-export"}})
	if l := e.linkOf(t, link); l.Connector != "fake" || l.ThenConnector != "fake-export" {
		t.Fatalf("link = %s then %q, want fake then fake-export", l.Connector, l.ThenConnector)
	}
	// The link's message promises both steps, the second in its own words.
	if page := analyst.get("/companies/" + itoa(e.fj.ID)); !strings.Contains(html.UnescapeString(page.Body), tr("share.then", "fake-export", exportAccess)) {
		t.Errorf("the link's message does not name its second step")
	}

	acc := e.browser()
	consent := acc.get(link)
	wantStatus(t, "consent page", consent, http.StatusOK)
	wantText(t, "consent page", consent, tr("accountant.steps.title"), tr("accountant.access"), exportAccess, tr("accountant.steps.body"))

	_, first := acc.giveStep(link, "fake", "code=ok")
	wantStatus(t, "first step's result", first, http.StatusOK)
	wantText(t, "first step's result", first, tr("result.ok.title"), tr("accountant.step.connected"), tr("accountant.step.waiting"),
		tr("accountant.step.start", "fake-export"))
	if !strings.Contains(first.Body, stepForm(link)) || strings.Contains(first.Text(), tr("result.ok.next")) {
		t.Errorf("the first step's result lacks the second step's button, or says all is done")
	}
	// Reopened, the link shows the first step done and the second to start.
	again := e.browser().get(link)
	wantText(t, "reopened half-done link", again, tr("accountant.done.title"), tr("accountant.step.waiting"), tr("accountant.step.start", "fake-export"))

	cb, second := acc.giveStep(link, "fake-export", "code=ok")
	wantStatus(t, "second step's result", second, http.StatusOK)
	wantText(t, "second step's result", second, tr("result.ok.title"), tr("accountant.step.connected"))
	if n := strings.Count(second.Body, `class="step-connected"`); n != 2 || strings.Contains(second.Body, stepForm(link)) {
		t.Errorf("the second step's result shows %d lines done (want 2), button %t", n, strings.Contains(second.Body, stepForm(link)))
	}
	l := e.linkOf(t, link)
	for _, name := range []string{"fake", "fake-export"} {
		c, err := e.db.Connection(t.Context(), e.fj.ID, name)
		if err != nil || c.Status != db.ConnActive || c.LinkID != l.ID {
			t.Errorf("Connection(%s) = %+v, %v; want an active one of link %d", name, c, err, l.ID)
		}
	}
	if l.Status != db.LinkConnected || l.ThenStatus != db.LinkConnected {
		t.Errorf("link = %s, second step %s; want both connected", l.Status, l.ThenStatus)
	}
	if cur, err := e.svc.Current(t.Context(), e.fj.ID); err != nil || cur.Connector != "fake" {
		t.Errorf("Current(fj) = %+v, %v; want the reading connection", cur, err)
	}

	// Replayed, in the same browser and in another: refused, nothing taken.
	calls := export.Calls(connectortest.OpCallback)
	for _, b := range []*browser{acc, e.browser()} {
		res := b.finish(cb)
		wantText(t, "replayed second step", res, tr("result.no_flow"))
	}
	if got := export.Calls(connectortest.OpCallback); got != calls {
		t.Errorf("a replayed callback reached the upstream (%d calls, want %d)", got, calls)
	}
	// Both done: the link starts no login any more.
	if r := acc.post(link, nil); r.Status == http.StatusSeeOther && strings.Contains(r.Location(), "fake.example") {
		t.Errorf("a link with both steps done still starts a login")
	}
	events, err := e.db.AuditEvents(t.Context(), e.fj.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var made, connected int
	for _, ev := range events {
		if ev.Action == db.AuditLinkCreate && strings.Contains(ev.Detail, "then=fake-export") {
			made++
		}
		if ev.Action == db.AuditConnect && ev.Target == "fake-export" {
			connected++
		}
	}
	if made != 1 || connected != 1 {
		t.Errorf("audit: %d link made with its second step, %d companion connected; want 1 and 1", made, connected)
	}
}

// TestTwoStepDeclined: the second step declined leaves the first step's
// connection standing; the result page and the link list say the second
// failed, and it can be tried again from the result page.
func TestTwoStepDeclined(t *testing.T) {
	t.Parallel()
	e, _, _ := newEnv(t).twoSteps(false)
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLinkWith(e.fj, url.Values{"then": {"fake-export"}})
	acc := e.browser()
	consent := acc.get(link)
	// Without words of its own, the companion's step says plainly that it writes.
	wantText(t, "consent page", consent, tr("accountant.then.access"))
	acc.giveStep(link, "fake", "code=ok")
	_, res := acc.giveStep(link, "fake-export", "error=access_denied")
	wantStatus(t, "declined second step", res, http.StatusBadRequest)
	wantText(t, "declined second step", res, tr("result.bad.title"), tr("result.denied"), tr("accountant.step.connected"),
		tr("accountant.step.failed"), tr("result.retry"))
	if !strings.Contains(res.Body, `action="/connect/`+secretOf(link)+`"`) {
		t.Errorf("the declined step's page offers no try again on the link")
	}
	if c, err := e.db.Connection(t.Context(), e.fj.ID, "fake"); err != nil || c.Status != db.ConnActive {
		t.Errorf("first step's connection = %+v, %v; want it standing", c, err)
	}
	if _, err := e.db.Connection(t.Context(), e.fj.ID, "fake-export"); err == nil {
		t.Errorf("a declined second step stored a connection")
	}
	l := e.linkOf(t, link)
	if l.Status != db.LinkConnected || l.ThenStatus != db.LinkFailed || l.ThenReason != "denied" {
		t.Errorf("link = %s, second %s %q; want connected, failed denied", l.Status, l.ThenStatus, l.ThenReason)
	}
	// The analyst sees the half-done link: on the page and in the live status.
	line := tr("link.then.line", "fake-export", tr("link.status.failed"))
	wantText(t, "company page", analyst.get("/companies/"+itoa(e.fj.ID)), line, tr("reason.denied"))
	status := analyst.get("/companies/" + itoa(e.fj.ID) + "/links/status")
	if !strings.Contains(status.Body, `"then_state":"failed"`) || !strings.Contains(html.UnescapeString(status.Body), line) {
		t.Errorf("live status = %s, want the second step failed", status.Body)
	}

	// Tried again from the result page's button: connected.
	_, ok := acc.giveStep(link, "fake-export", "code=ok")
	wantStatus(t, "second step again", ok, http.StatusOK)
	if c, err := e.db.Connection(t.Context(), e.fj.ID, "fake-export"); err != nil || c.Status != db.ConnActive {
		t.Errorf("companion connection after trying again = %+v, %v; want active", c, err)
	}
}

// TestTwoStepGuards: the second step keeps the link's guards: a grant of
// another company is refused (the first step stands), a revoked or expired
// link starts no second step, and a companion that was not asked for, or
// a second step for a connector without one, is refused at creation.
func TestTwoStepGuards(t *testing.T) {
	t.Parallel()
	t.Run("wrong company", func(t *testing.T) {
		e, _, export := newEnv(t).twoSteps(false)
		link := e.loggedIn(e.analyst).createLinkWith(e.fj, url.Values{"then": {"fake-export"}})
		acc := e.browser()
		acc.giveStep(link, "fake", "code=ok")
		export.Company = connectors.Company{ExternalID: "c2", Name: "Norrsken Design AB", OrgNumber: "559104-3210", Country: "SE"}
		_, res := acc.giveStep(link, "fake-export", "code=ok")
		wantText(t, "wrong company", res, tr("result.bad.title"), tr("accountant.step.failed"))
		if l := e.linkOf(t, link); l.ThenStatus != db.LinkFailed || l.ThenReason != "org_mismatch" {
			t.Errorf("second step = %s %q, want failed org_mismatch", l.ThenStatus, l.ThenReason)
		}
		if _, err := e.db.Connection(t.Context(), e.fj.ID, "fake-export"); err == nil {
			t.Errorf("another company's grant was stored")
		}
	})
	t.Run("revoked", func(t *testing.T) {
		e, _, export := newEnv(t).twoSteps(false)
		analyst := e.loggedIn(e.analyst)
		link := analyst.createLinkWith(e.fj, url.Values{"then": {"fake-export"}})
		acc := e.browser()
		acc.giveStep(link, "fake", "code=ok")
		l := e.linkOf(t, link)
		wantStatus(t, "revoke", analyst.post("/companies/"+itoa(e.fj.ID)+"/links/"+itoa(l.ID)+"/revoke", nil), http.StatusSeeOther)
		page := acc.get(link)
		if strings.Contains(page.Body, stepForm(link)) {
			t.Errorf("a revoked link offers its second step")
		}
		wantText(t, "revoked half-done link", page, tr("accountant.step.revoked"))
		if r := acc.post(link, nil); r.Status == http.StatusSeeOther {
			t.Errorf("a revoked link's second step starts a login (%s)", r.Location())
		}
		if c, err := e.db.Connection(t.Context(), e.fj.ID, "fake"); err != nil || c.Status != db.ConnActive {
			t.Errorf("the revoke ended the first step's connection: %+v, %v", c, err)
		}
		if n := export.Calls(connectortest.OpCallback); n != 0 {
			t.Errorf("export callbacks = %d, want 0", n)
		}
	})
	t.Run("expired", func(t *testing.T) {
		e, _, _ := newEnv(t).twoSteps(false)
		link := e.loggedIn(e.analyst).createLinkWith(e.fj, url.Values{"then": {"fake-export"}, "ttl": {"1h0m0s"}})
		acc := e.browser()
		acc.giveStep(link, "fake", "code=ok")
		e.clock.Advance(2 * time.Hour)
		if r := acc.post(link, nil); r.Status == http.StatusSeeOther {
			t.Errorf("an expired link's second step starts a login (%s)", r.Location())
		}
	})
	t.Run("not offered", func(t *testing.T) {
		e, _, _ := newEnv(t).twoSteps(false)
		analyst := e.loggedIn(e.analyst)
		r := analyst.post("/companies/"+itoa(e.fj.ID)+"/links", url.Values{"then": {"eaccounting"}})
		wantStatus(t, "another connector as second step", r, http.StatusUnprocessableEntity)
		wantText(t, "another connector as second step", r, tr("link.then.pick"))
		if page := analyst.get("/companies/" + itoa(e.fj.ID)); strings.Contains(page.Body, `<option value="fake-export"`) {
			t.Errorf("the companion is offered as a link's own connector")
		}
	})
	t.Run("one step as before", func(t *testing.T) {
		e := newEnv(t)
		analyst := e.loggedIn(e.analyst)
		if page := analyst.get("/companies/" + itoa(e.fj.ID)); strings.Contains(page.Body, `name="then"`) {
			t.Errorf("a connector without a companion offers a second step")
		}
		r := analyst.post("/companies/"+itoa(e.fj.ID)+"/links", url.Values{"then": {"fake-export"}})
		wantStatus(t, "second step where none is offered", r, http.StatusUnprocessableEntity)
		link := analyst.createLink(e.fj, "")
		acc := e.browser()
		if page := acc.get(link); strings.Contains(page.Text(), tr("accountant.steps.title")) {
			t.Errorf("a link of one step shows two")
		}
		res := acc.finish(acc.consent(link, anna).Location())
		if strings.Contains(res.Text(), tr("accountant.steps.title")) || !strings.Contains(res.Text(), tr("result.ok.next")) {
			t.Errorf("a link of one step's result shows steps, or not that all is done")
		}
	})
}
