package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/db"
	"bilag/views"
)

// sv is tr in Swedish.
func sv(key string, args ...any) string { return words().Translate("sv", key, args...) }

// TestConsentPageSaysWhoAsks: the consent page names the firm (with its
// logo), the analyst who sent the link and how to reach them and the firm,
// the firm's privacy notice and what Bilag is; the logo is served as the
// image it was checked to be.
func TestConsentPageSaysWhoAsks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	page := e.browser().get(link)
	wantStatus(t, "GET link", page, http.StatusOK)
	wantText(t, "consent page", page, firmName, e.analyst.Name, e.analyst.Email, firmContact, tr("accountant.whatis", firmName),
		tr("accountant.privacy", firmName), tr("consent.give"))
	for _, want := range []string{`href="` + firmPrivacyURL + `"`, `href="mailto:` + e.analyst.Email + `"`, `<img src="/firm/logo?v=`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("consent page lacks %s", want)
		}
	}
	// The details fold: they are there, closed, without script.
	if n := strings.Count(page.Body, "<details>"); n < 3 {
		t.Errorf("consent page has %d closed <details>, want the requirements, steps and more folded", n)
	}

	logo := e.browser().get("/firm/logo?v=x")
	wantStatus(t, "GET logo", logo, http.StatusOK)
	if ct := logo.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("logo Content-Type = %q, want image/png", ct)
	}
	if logo.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(logo.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Errorf("logo headers = nosniff %q, cache %q; want nosniff and a year", logo.Header.Get("X-Content-Type-Options"), logo.Header.Get("Cache-Control"))
	}
	if !strings.HasPrefix(logo.Body, "\x89PNG") {
		t.Errorf("logo body is not the PNG")
	}
}

// TestConsentTimesInCompanyZone: the accountant's pages print times in the
// company's country's zone, naming the zone.
func TestConsentTimesInCompanyZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	l := e.linkOf(t, link)
	stockholm, _ := time.LoadLocation("Europe/Stockholm")
	want := views.FormatTime(l.ExpiresAt, stockholm, "en")
	page := e.browser().do(http.MethodGet, link, nil, http.Header{"Accept-Language": {"en"}})
	wantText(t, "consent page", page, tr("consent.expires", want))
	if zone := l.ExpiresAt.In(stockholm).Format("MST"); !strings.Contains(want, zone) {
		t.Fatalf("FormatTime(%v) = %q, names no zone %s", l.ExpiresAt, want, zone)
	}
}

// TestConsentCheckingStep: the upstream's redirect is answered at once with
// a short "checking permissions" page that moves on by itself (and by a
// button without script) to the check; the code stays out of that URL, and
// the check cannot be replayed.
func TestConsentCheckingStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	acc := e.browser()
	cb := acc.consent(link, anna).Location()
	page := acc.get(cb)
	wantStatus(t, "GET callback", page, http.StatusOK)
	wantText(t, "checking page", page, tr("accountant.checking.title"), tr("accountant.checking.continue"))
	target := checkingTarget(t, page)
	if target != "/oauth/eaccounting/check" || strings.Contains(page.Body, "code=") {
		t.Errorf("checking page moves on to %q (code in page: %t), want /oauth/eaccounting/check and no code", target, strings.Contains(page.Body, "code="))
	}
	if !strings.Contains(page.Body, `<form method="get" action="/oauth/eaccounting/check">`) {
		t.Errorf("checking page has no button to go on without the refresh")
	}
	if got := e.sb.Stats().CodeExchanges; got != 0 {
		t.Errorf("code exchanges before the check = %d, want 0 (the callback answers at once)", got)
	}
	if got := e.linkOf(t, link).Status; got != db.LinkLoginStarted {
		t.Errorf("link status on the checking page = %q, want %q", got, db.LinkLoginStarted)
	}
	r := acc.get(target)
	wantStatus(t, "GET check", r, http.StatusSeeOther)
	res := acc.get(r.Location())
	wantText(t, "result", res, tr("result.ok.title"))
	// The check again, in the same browser: its answer is spent.
	again := acc.get(target)
	wantStatus(t, "GET check again", again, http.StatusSeeOther)
	wantText(t, "check again", acc.get(again.Location()), tr("result.no_flow"))
	if got := e.sb.Stats().CodeExchanges; got != 1 {
		t.Errorf("code exchanges = %d, want 1", got)
	}
	if strings.Contains(e.logs.String(), "code=") {
		t.Errorf("the log holds a callback's code")
	}
}

// TestConsentReopenedResult: a used link shows what it did ("Done: …
// connected … by …") until the link's own expiry, then only that it has
// been used; the result page that outlived its cookie shows no failure.
func TestConsentReopenedResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "1h0m0s")
	acc := e.browser()
	acc.finish(acc.consent(link, anna).Location())

	e.clock.Advance(30 * time.Minute)
	later := e.browser().do(http.MethodGet, link, nil, http.Header{"Accept-Language": {"sv"}})
	wantStatus(t, "reopened link", later, http.StatusOK)
	conn, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
	if err != nil {
		t.Fatal(err)
	}
	stockholm, _ := time.LoadLocation("Europe/Stockholm")
	wantText(t, "reopened link", later, sv("accountant.done.title"), "Fjällbacka Snickeri AB", "Anna Lindqvist",
		views.FormatTime(conn.ApprovedAt, stockholm, "sv"))
	for _, bad := range []string{sv("result.bad.title"), sv("result.nothing.stored"), "redan använts", "anna.lindqvist@example.se"} {
		if strings.Contains(later.Text(), bad) {
			t.Errorf("reopened link says %q", bad)
		}
	}

	// The result page after its cookie is gone: no failure that did not happen.
	e.clock.Advance(15 * time.Minute)
	gone := acc.get("/connect-result")
	wantStatus(t, "old result page", gone, http.StatusOK)
	if strings.Contains(gone.Text(), tr("result.bad.title")) || strings.Contains(gone.Text(), tr("result.no_flow")) {
		t.Errorf("the result page without its cookie shows a failure")
	}

	// After the link's own expiry a forwarded link no longer tells who approved.
	e.clock.Advance(time.Hour)
	expired := e.browser().get(link)
	wantStatus(t, "used link after expiry", expired, http.StatusGone)
	wantText(t, "used link after expiry", expired, tr("accountant.used.body"))
	if strings.Contains(expired.Text(), "Anna Lindqvist") || strings.Contains(expired.Text(), tr("result.bad.title")) {
		t.Errorf("the used link after its expiry names the approver or shows a failure")
	}
}

// TestConsentMessagesFit: the wrong company leads with what was chosen and
// what to choose; a missing permission offers the link to a colleague with
// its validity; a declined request does not claim access was withdrawn.
func TestConsentMessagesFit(t *testing.T) {
	t.Parallel()
	t.Run("wrong company", func(t *testing.T) {
		e := newEnv(t)
		link := e.loggedIn(e.analyst).createLink(e.fj, "")
		acc := e.browser()
		res := acc.finish(acc.consent(link, annaN).Location())
		lead := "You chose Norrsken Design AB (559104-3210). Press Try again and choose Fjällbacka Snickeri AB (556812-3474)."
		wantText(t, "wrong company", res, lead, tr("eaccounting.result.default.1"))
		text := res.Text()
		if i, j := strings.Index(text, lead), strings.Index(text, tr("eaccounting.result.org_mismatch.default")); i < 0 || j < i {
			t.Errorf("the wrong-company page does not lead with what was chosen (lead at %d, default-company case at %d)", i, j)
		}
		if strings.Contains(res.Body, `id="share-link"`) {
			t.Errorf("the wrong-company page offers the link to a colleague; trying again helps here")
		}
	})
	t.Run("missing permission", func(t *testing.T) {
		e := newEnv(t)
		link := e.loggedIn(e.analyst).createLink(e.norrsken, "")
		acc := e.browser()
		res := acc.finish(acc.consent(link, sara).Location())
		l := e.linkOf(t, link)
		wantText(t, "missing permission", res, tr("accountant.share.title"),
			tr("eaccounting.accountant.share.body", views.FormatTime(l.ExpiresAt, views.CountryZone("SE"), "en")), tr("result.nothing.stored"))
		if !strings.Contains(res.Body, `id="share-link" class="link-url" readonly value="`+link+`"`) {
			t.Errorf("missing-permission page does not offer the link %s to copy", link)
		}
	})
	t.Run("old grant kept", func(t *testing.T) {
		e, _, link := withKeyForm(t)
		acc := e.browser()
		wantStatus(t, "first keys", acc.post(link, keys("anna", "right-key")), http.StatusSeeOther)
		second := e.loggedIn(e.analyst).createLink(e.fj, "")
		wantStatus(t, "second keys", acc.post(second, keys("anna", "right-key")), http.StatusSeeOther)
		res := acc.get("/connect-result")
		wantText(t, "reconnected", res, tr("result.ok.title"), tr("result.oldgrantkept"))
	})
}

// TestPortalTimesInConfiguredZone: the portal's pages print times in
// BILAG_TIMEZONE's zone (Europe/Stockholm by default), naming it, not in
// the server's own.
func TestPortalTimesInConfiguredZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	l := e.linkOf(t, link)
	stockholm, _ := time.LoadLocation("Europe/Stockholm")
	page := analyst.do(http.MethodGet, "/companies/"+itoa(e.fj.ID), nil, http.Header{"Accept-Language": {"en"}})
	wantText(t, "company page", page, views.FormatTime(l.CreatedAt, stockholm, "en"))
}

// TestConsentCheckAskedTwice: "Continue" pressed while a slow check runs
// asks for the check a second time; that request finds the attempt taken
// and, since the link is still being checked, says "checking" and then
// opens the link, instead of a failure that did not happen.
func TestConsentCheckAskedTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	acc := e.browser()
	page := acc.get(acc.consent(link, anna).Location())
	target := checkingTarget(t, page)
	pending := acc.cookie("bilag_check")
	if pending == "" {
		t.Fatal("no bilag_check cookie after the callback")
	}
	// The first check is under way: it took the attempt and Visma approved.
	l := e.linkOf(t, link)
	if err := e.db.ApproveLink(t.Context(), l.ID); err != nil {
		t.Fatal(err)
	}
	second := e.browser()
	u, _ := url.Parse(e.url)
	second.c.Jar.SetCookies(u, []*http.Cookie{{Name: "bilag_check", Value: pending, Path: "/"}})
	r := second.get(target)
	wantStatus(t, "second check", r, http.StatusOK)
	wantText(t, "second check", r, tr("accountant.checking.title"))
	if !strings.Contains(r.Body, `content="3;url=/connect/`+secretOf(link)+`"`) {
		t.Errorf("the second check does not move on to the link:\n%s", r.Body)
	}
	if strings.Contains(r.Text(), tr("result.bad.title")) {
		t.Errorf("the second check shows a failure")
	}
}

// TestAccountantPagesReadNoSession: the accountant's pages know their
// visitor by the link alone. An analyst who opens their own link in the
// browser they are logged in with sees the accountant's page as the
// accountant does: no portal navigation, no log-out, no notifications.
func TestAccountantPagesReadNoSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	for name, b := range map[string]*browser{"the accountant": e.browser(), "the logged-in analyst": analyst} {
		page := b.get(link)
		wantStatus(t, "GET link as "+name, page, http.StatusOK)
		for _, portal := range []string{`action="/logout"`, `href="/notifications"`, `href="/settings"`} {
			if strings.Contains(page.Body, portal) {
				t.Errorf("the consent page for %s has the portal's %s", name, portal)
			}
		}
	}
}
