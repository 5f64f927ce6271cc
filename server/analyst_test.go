package server_test

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/db"
	"bilag/server/connections"
	"bilag/server/mail"
)

var msgSvRe = regexp.MustCompile(`(?s)<textarea id="msg-sv"[^>]*>(.*?)</textarea>`)

// TestLinkCopyAgain: a link nobody has opened can be copied again after a
// reload, with a message and a QR code; once opened it can no longer be
// shown, and its sealed copy is gone.
func TestLinkCopyAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	// The approver reads the expiry in the company's zone, named.
	until := e.linkOf(t, link).ExpiresAt.In(stockholm).Format("2006 15:04 MST")
	for i := range 2 {
		page := analyst.get("/companies/" + itoa(e.fj.ID))
		m := newLinkRe.FindStringSubmatch(page.Body)
		if m == nil || html.UnescapeString(m[1]) != link {
			t.Fatalf("reload %d: company page shows no copy of the link", i)
		}
		msg := msgSvRe.FindStringSubmatch(page.Body)
		if msg == nil {
			t.Fatalf("company page has no Swedish message")
		}
		text := html.UnescapeString(msg[1])
		for _, want := range []string{"Vi på " + firmName + " behöver läsbehörighet till Fjällbacka Snickeri AB:s bokföring i Visma eEkonomi", link, "Länken gäller till", until, "Anders Analytiker"} {
			if !strings.Contains(text, want) {
				t.Errorf("Swedish message lacks %q:\n%s", want, text)
			}
		}
		if !strings.Contains(page.Body, `src="data:image/png;base64,`) {
			t.Errorf("company page has no QR code")
		}
		if !strings.Contains(page.Body, ">"+tr("link.request")+"<") && !strings.Contains(page.Body, tr("link.request")) {
			t.Errorf("the button does not say %q", tr("link.request"))
		}
	}
	if l := e.linkOf(t, link); len(l.SecretSealed) == 0 {
		t.Fatalf("the link is not kept sealed")
	}
	wantStatus(t, "accountant opens the link", e.browser().get(link), http.StatusOK)
	page := analyst.get("/companies/" + itoa(e.fj.ID))
	if newLinkRe.MatchString(page.Body) || strings.Contains(page.Body, link) {
		t.Errorf("an opened link is still shown on the company page")
	}
	if l := e.linkOf(t, link); len(l.SecretSealed) != 0 {
		t.Errorf("an opened link keeps its sealed copy")
	}

	// Revoked before anyone opened it: gone as well.
	other := analyst.createLink(e.norrsken, "")
	l := e.linkOf(t, other)
	wantStatus(t, "revoke", analyst.post("/companies/"+itoa(e.norrsken.ID)+"/links/"+itoa(l.ID)+"/revoke", nil), http.StatusSeeOther)
	if strings.Contains(analyst.get("/companies/"+itoa(e.norrsken.ID)).Body, other) {
		t.Errorf("a revoked link is still shown")
	}
	if l := e.linkOf(t, other); len(l.SecretSealed) != 0 {
		t.Errorf("a revoked link keeps its sealed copy")
	}
}

// TestLinkSendByMail: the link goes by e-mail to a named approver, is
// audited and shown as sent; a bad address sends nothing.
func TestLinkSendByMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	catcher := mail.NewCatcher(e.clock.Now)
	demo := e.withMailer(catcher)
	analyst := demo.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	l := demo.linkOf(t, link)
	send := "/companies/" + itoa(e.fj.ID) + "/links/" + itoa(l.ID) + "/send"
	r := analyst.follow(analyst.post(send, url.Values{"name": {"Anna Lindqvist"}, "email": {"not an address"}}))
	wantText(t, "bad address", r, tr("share.bad_address"))
	if n := len(catcher.Messages()); n != 0 {
		t.Fatalf("a bad address sent %d messages", n)
	}
	r = analyst.follow(analyst.post(send, url.Values{"name": {"Anna Lindqvist"}, "email": {"anna.lindqvist@example.se"}}))
	wantText(t, "sent", r, tr("share.sent", "Anna Lindqvist <anna.lindqvist@example.se>"))
	msgs := catcher.Messages()
	if len(msgs) != 1 {
		t.Fatalf("caught %d messages, want 1", len(msgs))
	}
	if m := msgs[0]; m.To != "Anna Lindqvist <anna.lindqvist@example.se>" || !strings.Contains(m.Text, link) || !strings.Contains(m.Text, "Hej!") || m.Subject != "Läsbehörighet till Fjällbacka Snickeri AB:s bokföring / Read access to Fjällbacka Snickeri AB's bookkeeping" {
		t.Errorf("mail = %+v, want the link to Anna in Swedish", m)
	}
	admin := demo.loggedIn(e.admin)
	wantText(t, "caught mail", admin.get("/admin/mail"), link)
	if got := demo.linkOf(t, link).SentTo; got != "Anna Lindqvist <anna.lindqvist@example.se>" {
		t.Errorf("SentTo = %q", got)
	}
	events, err := e.db.AuditEvents(t.Context(), e.fj.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range events {
		found = found || (ev.Action == db.AuditLinkSend && strings.Contains(ev.Detail, "anna.lindqvist@example.se"))
	}
	if !found {
		t.Errorf("sending the link is not audited")
	}
	wantText(t, "dashboard", analyst.get("/"), tr("share.sent.to", "Anna Lindqvist <anna.lindqvist@example.se>"))
}

// TestDashboardNeedsActionAndNotifications: a declined link shows on the
// dashboard under "needs action" with what to do, and in the bell; a
// connection closes the company's other links and notifies its maker by
// mail.
func TestDashboardNeedsActionAndNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	catcher := mail.NewCatcher(e.clock.Now)
	demo := e.withMailer(catcher)
	analyst := demo.loggedIn(e.analyst)
	// The sandbox sends the accountant back to e's portal: same database,
	// no mailer.
	onE := func(link string) string { return strings.Replace(link, demo.url, e.url, 1) }
	link := onE(analyst.createLink(e.fj, ""))
	acc := e.browser()
	acc.finish(acc.consent(link, approval{email: anna.email, password: anna.password, company: anna.company, deny: true}).Location())

	all := analyst.get("/")
	needs := analyst.get("/?needs=action")
	wantText(t, "needs action", needs, "Fjällbacka Snickeri AB", tr("reason.denied"), tr("next.denied"))
	if strings.Contains(needs.Body, "Hemlig Handel AB") || !strings.Contains(all.Body, "Norrsken Design AB") {
		t.Errorf("the dashboard lists the wrong companies")
	}
	bell := analyst.get("/notifications")
	wantText(t, "notifications", bell, tr("notify.failed", "Fjällbacka Snickeri AB", tr("reason.denied")))
	if n := demo.loggedIn(e.viewer).get("/notifications"); n.Status != http.StatusNotFound {
		t.Errorf("a viewer gets notifications: %d", n.Status)
	}

	spare := onE(analyst.createLink(e.fj, ""))
	second := onE(analyst.createLink(e.fj, ""))
	acc2 := e.browser()
	res := acc2.finish(acc2.consent(second, anna).Location())
	wantStatus(t, "connected", res, http.StatusOK)
	if st := demo.linkOf(t, spare).Status; st != db.LinkRevoked {
		t.Errorf("a link superseded by the connection is %q, want revoked", st)
	}
	wantText(t, "connected notification", analyst.get("/notifications"), "Fjällbacka Snickeri AB is connected")
	wantText(t, "superseded link", analyst.get("/companies/"+itoa(e.fj.ID)), tr("reason.superseded"))
	// The portal that sends mail tells the link's maker.
	demo.srv.Notify(t.Context(), connections.Event{Kind: db.NotifyLinkFailed, CompanyID: e.fj.ID, Link: demo.linkOf(t, second),
		Approver: "Anna Lindqvist", Reason: "permission", Detail: "vouchers, attachments"})
	mailed := false
	for _, m := range catcher.Messages() {
		mailed = mailed || (m.To == e.analyst.Email && strings.Contains(m.Text, "Anna Lindqvist") && strings.Contains(m.Text, "documents") &&
			!strings.Contains(m.Text, "attachments"))
	}
	if !mailed {
		t.Errorf("the link's maker got no mail naming the approver and the areas in words: %+v", catcher.Messages())
	}
	if strings.Contains(analyst.get("/?needs=action").Body, "/companies/"+itoa(e.fj.ID)+`"`) {
		t.Errorf("a connected company still needs action")
	}
}

// TestImportCompanies: a CSV with a bad row previews every row with its
// error and saves nothing; confirming stores only the valid rows, with
// their members.
func TestImportCompanies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.loggedIn(e.admin)
	admin.get("/admin/companies/import")
	csvText := "name,country,orgnr,members\n" +
		"Ny Firma AB,SE,556677-8899,analyst@firm.test\n" +
		"Fel Nummer AB,SE,556677-8890,\n" +
		"Okänd Medlem AB,SE,559104-3210,nobody@firm.test\n"
	r := admin.upload("/admin/companies/import", "file", "clients.csv", csvText)
	wantStatus(t, "preview", r, http.StatusOK)
	wantText(t, "preview", r, "Ny Firma AB", tr("import.err.orgnr.check"), tr("import.err.exists"), tr("import.err.member", "nobody@firm.test"), tr("import.confirm.valid", 1))
	if _, err := e.db.CompanyByOrg(t.Context(), "556677-8899"); err == nil {
		t.Fatalf("the preview saved a company")
	}
	m := regexp.MustCompile(`name="csv" value="([^"]*)"`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("preview has no confirmation form")
	}
	done := admin.follow(admin.post("/admin/companies/import/confirm", url.Values{"csv": {html.UnescapeString(m[1])}}))
	wantText(t, "imported", done, tr("import.done", 1))
	co, err := e.db.CompanyByOrg(t.Context(), "556677-8899")
	if err != nil {
		t.Fatalf("the valid row was not imported: %v", err)
	}
	if ids, _ := e.db.Members(t.Context(), co.ID); len(ids) != 1 || ids[0] != e.analyst.ID {
		t.Errorf("members = %v, want the analyst", ids)
	}
	if n := admin.upload("/admin/companies/import", "file", "big.csv", strings.Repeat("x", 1<<20+10)); n.Status != http.StatusUnprocessableEntity && n.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a file over 1 MB = %d", n.Status)
	}
	if r := e.loggedIn(e.analyst).get("/admin/companies/import"); r.Status != http.StatusNotFound {
		t.Errorf("analyst on import = %d", r.Status)
	}
}

// TestBulkLinks: one link each for the companies picked, mailed where an
// address was given; a company the analyst may not see gets none.
func TestBulkLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	catcher := mail.NewCatcher(e.clock.Now)
	demo := e.withMailer(catcher)
	analyst := demo.loggedIn(e.analyst)
	analyst.get("/")
	r := analyst.post("/links/bulk", url.Values{"company": {itoa(e.fj.ID), itoa(e.kafe.ID), itoa(e.hidden.ID)},
		"email_" + itoa(e.kafe.ID): {"kafe@example.se"}})
	wantStatus(t, "bulk", r, http.StatusOK)
	wantText(t, "bulk", r, tr("bulk.summary", 2, 3), tr("share.sent", "kafe@example.se"), tr("bulk.unknown"))
	for _, co := range []*db.Company{e.fj, e.kafe} {
		if ls, _ := e.db.LinksForCompany(t.Context(), co.ID, 5); len(ls) != 1 {
			t.Errorf("%s has %d links, want 1", co.Name, len(ls))
		}
	}
	if ls, _ := e.db.LinksForCompany(t.Context(), e.hidden.ID, 5); len(ls) != 0 {
		t.Errorf("a hidden company got a link")
	}
	if msgs := catcher.Messages(); len(msgs) != 1 || msgs[0].To != "kafe@example.se" {
		t.Errorf("caught %+v, want one mail to kafe@example.se", msgs)
	}
	if r := demo.loggedIn(e.viewer).post("/links/bulk", url.Values{"company": {itoa(e.fj.ID)}}); r.Status != http.StatusForbidden {
		t.Errorf("viewer bulk = %d, want 403", r.Status)
	}
}

// upload posts a multipart form with one file and the CSRF token.
func (b *browser) upload(target, field, name, content string) *response {
	b.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", b.csrf)
	fw, _ := w.CreateFormFile(field, name)
	fw.Write([]byte(content))
	w.Close()
	req, _ := http.NewRequestWithContext(b.e.t.Context(), http.MethodPost, b.e.abs(target), &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for k, vs := range b.header {
		req.Header[k] = vs
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body.String(), URL: req.URL.String()}
}

// TestNotifySyncFailingForADay: failed syncs are told once they have
// failed for 24 hours, once per stretch of failures; the dashboard marks
// the company as needing action from the first failure.
func TestNotifySyncFailingForADay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	run := func(fail bool) {
		r := &db.SyncRun{CompanyID: e.fj.ID, ConnectionID: 1}
		if err := e.db.StartSyncRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		errText := ""
		if fail {
			errText = "upstream down"
		}
		if err := e.db.FinishSyncRun(ctx, r.ID, db.SyncReasonUnavailable, errText); err != nil {
			t.Fatal(err)
		}
		if fail {
			e.srv.Notify(ctx, connections.Event{Kind: db.NotifySyncFailing, CompanyID: e.fj.ID, Reason: db.SyncReasonUnavailable})
		}
	}
	count := func() int {
		ns, err := e.db.Notifications(ctx, e.admin.User, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(ns)
	}
	run(false)
	e.clock.Advance(time.Hour)
	run(true)
	e.clock.Advance(12 * time.Hour)
	run(true)
	if n := count(); n != 0 {
		t.Fatalf("after 12 hours of failures: %d notifications, want none yet", n)
	}
	e.clock.Advance(13 * time.Hour)
	run(true)
	run(true)
	if n := count(); n != 1 {
		t.Fatalf("after 25 hours of failures: %d notifications, want 1", n)
	}
	wantText(t, "bell", e.loggedIn(e.analyst).get("/notifications"), tr("notify.syncfailing", "Fjällbacka Snickeri AB"), tr("sync.reason.unavailable"))
	run(false)
	e.clock.Advance(time.Hour)
	run(true)
	e.clock.Advance(25 * time.Hour)
	run(true)
	if n := count(); n != 2 {
		t.Errorf("a second stretch of failures: %d notifications, want 2", n)
	}
}

// TestNotifyReapproval: a connection whose grant the upstream ends is told
// in the bell, and its company needs action on the dashboard.
func TestNotifyReapproval(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	conn := e.connectFJ(analyst)
	e.svc.Wait()
	dash := analyst.get("/")
	wantStatus(t, "dashboard after a sync", dash, http.StatusOK)
	if conn.ApprovedBy == "" {
		t.Fatalf("the sandbox named no approver")
	}
	wantText(t, "dashboard after a sync", dash, tr("dash.sync.ok"), tr("dash.approved.by", conn.ApprovedBy))
	if n, err := e.db.CountVouchers(t.Context(), e.fj.ID); err != nil || n == 0 || !strings.Contains(dash.Body, `<td class="num">`+itoa(n)+`</td>`) {
		t.Errorf("the dashboard does not show the %d vouchers (%v)", n, err)
	}
	if strings.Contains(analyst.get("/?needs=action").Body, `href="/companies/`+itoa(e.fj.ID)+`"`) {
		t.Fatalf("a freshly connected company needs action")
	}
	e.sb.RefuseNextRefresh()
	e.clock.Advance(2 * time.Hour)
	e.svc.KeepFresh(t.Context(), 10*time.Minute)
	wantText(t, "bell", analyst.get("/notifications"), tr("notify.reapproval", "Fjällbacka Snickeri AB"), tr("next.reapproval"))
	if !strings.Contains(analyst.get("/?needs=action").Body, `href="/companies/`+itoa(e.fj.ID)+`"`) {
		t.Errorf("a company whose connection needs approval again does not need action:\n%s", analyst.get("/?needs=action").Text())
	}
}
