package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
)

// withKeyForm is a portal whose one connector is granted by pasted keys
// (the fake's Form: fields "user" and secret "key", right key "right-key"),
// and a fresh consent link for Fjällbacka on it.
func withKeyForm(t *testing.T) (*env, *connectortest.Upstream, string) {
	t.Helper()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Form{U: u} })
	return e, up, e.loggedIn(e.analyst).createLink(e.fj, "")
}

// keys is the fake's form filled in by Anna, who approves.
func keys(user, key string) url.Values {
	return url.Values{"user": {user}, "key": {key}, "approver_name": {"Anna Lindqvist"}}
}

// wantUsable fails when the link can no longer be used or a connection
// was stored.
func (e *env) wantUsable(t *testing.T, link string) {
	t.Helper()
	if l := e.linkOf(t, link); !l.Usable(e.clock.Now()) {
		t.Errorf("link state = %q, want it still usable", l.State(e.clock.Now()))
	}
	if c, err := e.svc.Current(t.Context(), e.fj.ID); err == nil {
		t.Errorf("connection = %s (%s), want none", c.Status, c.Connector)
	} else if !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("Current(fj) = %v", err)
	}
}

// The whole story: the link shows the form, the right keys connect the
// company through the same approval and result page as a redirect, and the
// first sync indexes the upstream's voucher.
func TestKeyFormStory(t *testing.T) {
	t.Parallel()
	e, up, link := withKeyForm(t)
	acc := e.browser()
	page := acc.get(link)
	wantStatus(t, "GET link", page, http.StatusOK)
	wantText(t, "key form", page, "Fjällbacka Snickeri AB", e.fj.OrgNumber, firmName, tr("fake.field.user"), tr("fake.field.key"), tr("fake.field.key.help"), tr("form.submit"))
	for _, want := range []string{
		`name="user" type="text"`,
		`name="key" type="password" autocomplete="off"`,
		`action="/connect/` + secretOf(link) + `"`,
		`name="_csrf" value="`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("key form lacks %s", want)
		}
	}
	if got := e.linkOf(t, link).Status; got != db.LinkOpened {
		t.Errorf("link status after opening = %q, want %q", got, db.LinkOpened)
	}
	if page.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", page.Header.Get("Cache-Control"))
	}

	r := acc.post(link, keys(" anna ", " right-key\n"))
	wantStatus(t, "POST right keys", r, http.StatusSeeOther)
	if r.Header.Get("Location") != "/connect-result" {
		t.Fatalf("POST right keys redirects to %q, want /connect-result", r.Header.Get("Location"))
	}
	res := acc.get("/connect-result")
	wantStatus(t, "result page", res, http.StatusOK)
	wantText(t, "result page", res, tr("result.ok.title"), "Fjällbacka Snickeri AB", e.fj.OrgNumber)
	if n := up.Calls(connectortest.OpConnect); n != 1 {
		t.Errorf("Connect calls = %d, want 1", n)
	}
	conn, err := e.svc.Current(t.Context(), e.fj.ID)
	if err != nil || conn.Connector != "fake" || conn.Status != db.ConnActive {
		t.Fatalf("Current(fj) = %+v, %v; want an active fake connection", conn, err)
	}
	if got := e.linkOf(t, link).Status; got != db.LinkConnected {
		t.Errorf("link status = %q, want %q", got, db.LinkConnected)
	}
	e.waitSync(conn)
	if vs := e.indexed(e.fj); len(vs) != 1 || vs[0].Number != "A1" {
		t.Errorf("index = %+v, want the upstream's voucher A1", vs)
	}
	// A used link says what it did and calls nothing.
	used := e.browser().get(link)
	wantStatus(t, "GET used link", used, http.StatusOK)
	wantText(t, "used link", used, tr("accountant.done.title"), "Fjällbacka Snickeri AB")
	wantStatus(t, "POST used link", e.browser().post(link, keys("anna", "right-key")), http.StatusOK)
	if n := up.Calls(connectortest.OpConnect); n != 1 {
		t.Errorf("Connect calls after the used link = %d, want 1", n)
	}
}

// Every way a submit fails re-renders the form with why, keeps what was
// typed in the fields that are not secret, stores nothing and leaves the
// link usable: the right keys then connect.
func TestKeyFormFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fail       error // Connect's scripted error
		form       url.Values
		wantStatus int
		wantText   string
		wantFields map[string]string // field errors
		wantReason string            // on the link; "" when no upstream call was made
		retryAfter string
	}{
		{name: "wrong key", form: keys("anna", "wrong-key"), wantStatus: http.StatusUnprocessableEntity, wantText: tr("form.refused"), wantReason: "keys_refused"},
		{name: "forbidden", fail: fmt.Errorf("fake: %w", connectors.ErrForbidden), form: keys("anna", "right-key"), wantStatus: http.StatusUnprocessableEntity, wantText: tr("form.refused"), wantReason: "keys_refused"},
		{name: "upstream down", fail: connectors.ErrUnavailable, form: keys("anna", "right-key"), wantStatus: http.StatusBadGateway, wantText: tr("form.unavailable"), wantReason: "upstream"},
		{name: "rate limited", fail: &connectors.RateLimitError{RetryAfter: 30 * time.Second}, form: keys("anna", "right-key"), wantStatus: http.StatusBadGateway, wantText: tr("form.unavailable"), wantReason: "upstream", retryAfter: "30"},
		{name: "other fault", fail: errors.New("fake: the server said something odd"), form: keys("anna", "right-key"), wantStatus: http.StatusBadGateway, wantText: tr("form.failed"), wantReason: "connect_error"},
		{name: "missing key", form: keys("anna", "  "), wantStatus: http.StatusUnprocessableEntity, wantText: tr("err.form"), wantFields: map[string]string{"key": tr("err.required")}},
		{name: "missing user", form: url.Values{"key": {"right-key"}, "approver_name": {"Anna Lindqvist"}}, wantStatus: http.StatusUnprocessableEntity, wantText: tr("err.form"), wantFields: map[string]string{"user": tr("err.required")}},
		{name: "too long", form: keys(strings.Repeat("a", 501), "right-key"), wantStatus: http.StatusUnprocessableEntity, wantText: tr("err.form"), wantFields: map[string]string{"user": tr("err.toolong")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, up, link := withKeyForm(t)
			acc := e.browser()
			acc.get(link)
			if tt.fail != nil {
				up.FailNext(connectortest.OpConnect, tt.fail)
			}
			r := acc.post(link, tt.form)
			wantStatus(t, "POST keys", r, tt.wantStatus)
			wantText(t, "form", r, tt.wantText)
			if tt.retryAfter != "" && r.Header.Get("Retry-After") != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", r.Header.Get("Retry-After"), tt.retryAfter)
			}
			if got := fieldErrors(r.Body); fmt.Sprint(got) != fmt.Sprint(tt.wantFields) {
				t.Errorf("field errors = %v, want %v", got, tt.wantFields)
			}
			if u := tt.form.Get("user"); u == "anna" && !strings.Contains(r.Body, `value="anna"`) {
				t.Errorf("the form does not keep the user typed")
			}
			if !strings.Contains(r.Body, `name="key" type="password" autocomplete="off" spellcheck="false" maxlength="500" required`) ||
				strings.Contains(r.Body, "right-key") || strings.Contains(r.Body, "wrong-key") {
				t.Errorf("the secret field is filled in again, or missing")
			}
			calls := 1
			if tt.wantReason == "" {
				calls = 0
			}
			if n := up.Calls(connectortest.OpConnect); n != calls {
				t.Errorf("Connect calls = %d, want %d", n, calls)
			}
			l := e.linkOf(t, link)
			if tt.wantReason != "" && (l.Status != db.LinkFailed || l.Reason != tt.wantReason) {
				t.Errorf("link = {%s %s}, want {failed %s}", l.Status, l.Reason, tt.wantReason)
			}
			if tt.wantReason == "" && l.Status != db.LinkOpened {
				t.Errorf("link status = %q after a form with errors, want %q (nothing was tried)", l.Status, db.LinkOpened)
			}
			e.wantUsable(t, link)
			failed := 0
			events, err := e.db.AuditEvents(t.Context(), e.fj.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				if ev.Action == db.AuditConnectFailed {
					failed++
					if !strings.HasPrefix(ev.Detail, tt.wantReason) {
						t.Errorf("connect_failed detail = %q, want the reason %q", ev.Detail, tt.wantReason)
					}
				}
			}
			if failed != calls {
				t.Errorf("connect_failed audit rows = %d, want %d", failed, calls)
			}

			ok := acc.post(link, keys("anna", "right-key"))
			wantStatus(t, "POST right keys afterwards", ok, http.StatusSeeOther)
			wantStatus(t, "result page", acc.get("/connect-result"), http.StatusOK)
			if c, err := e.svc.Current(t.Context(), e.fj.ID); err != nil || c.Status != db.ConnActive {
				t.Errorf("Current(fj) after the right keys = %+v, %v; want active", c, err)
			}
		})
	}
}

// A grant the approval refuses (here: the check cannot reach the upstream)
// ends on the result page like a redirect's, whose "try again" shows the
// form again.
func TestKeyFormRefusedApproval(t *testing.T) {
	t.Parallel()
	e, up, link := withKeyForm(t)
	acc := e.browser()
	acc.get(link)
	up.FailNext(connectortest.OpCheck, connectors.ErrUnavailable)
	r := acc.post(link, keys("anna", "right-key"))
	wantStatus(t, "POST keys", r, http.StatusSeeOther)
	res := acc.get("/connect-result")
	wantStatus(t, "result page", res, http.StatusBadGateway)
	wantText(t, "result page", res, tr("result.bad.title"), tr("result.upstream"))
	if !strings.Contains(res.Body, `action="/connect/`+secretOf(link)+`"`) {
		t.Fatalf("result page offers no try-again form for the link")
	}
	e.wantUsable(t, link)
	again := acc.post(link, nil)
	wantStatus(t, "try again", again, http.StatusOK)
	if len(fieldErrors(again.Body)) != 0 || !strings.Contains(again.Body, `name="key" type="password"`) {
		t.Errorf("try again does not show the empty form")
	}
	wantStatus(t, "POST keys again", acc.post(link, keys("anna", "right-key")), http.StatusSeeOther)
	wantStatus(t, "result page", acc.get("/connect-result"), http.StatusOK)
	if n := up.Calls(connectortest.OpConnect); n != 2 {
		t.Errorf("Connect calls = %d, want 2", n)
	}
}

// The secret typed is never shown again, logged, audited or stored on the
// link, even when the connector quotes it in its error.
func TestKeyFormKeepsTheSecret(t *testing.T) {
	t.Parallel()
	const secret = "pasted-SECRET-7f3c9a1e"
	e, up, link := withKeyForm(t)
	acc := e.browser()
	acc.get(link)
	up.FailNext(connectortest.OpConnect, fmt.Errorf("fake: refused key %q: %w", secret, connectors.ErrUnauthorized))
	var bodies []string
	for _, form := range []url.Values{keys("anna", secret), keys("anna", secret), {"key": {secret}}} {
		r := acc.post(link, form)
		if r.Status < 400 {
			t.Fatalf("POST a wrong key = %d, want a refusal", r.Status)
		}
		bodies = append(bodies, r.Body)
	}
	if up.Calls(connectortest.OpConnect) != 2 {
		t.Fatalf("Connect calls = %d, want 2", up.Calls(connectortest.OpConnect))
	}
	for i, b := range bodies {
		if strings.Contains(b, secret) {
			t.Errorf("response %d shows the secret", i+1)
		}
	}
	if strings.Contains(e.logs.String(), secret) {
		t.Errorf("the log holds the secret")
	}
	if !strings.Contains(e.logs.String(), "[redacted]") {
		t.Errorf("the log does not say the connector's error was redacted")
	}
	events, err := e.db.AuditEvents(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if strings.Contains(ev.Detail+ev.Target+ev.Actor, secret) {
			t.Errorf("audit event %s holds the secret", ev.Action)
		}
	}
	if l := e.linkOf(t, link); strings.Contains(fmt.Sprintf("%+v", *l), secret) {
		t.Errorf("the link row holds the secret")
	}
}

// The form is no oracle: after keySubmitsPerLink tries in the window the
// next submit is refused without calling the upstream, until the window
// has passed. Forms with errors cost no try.
func TestKeyFormThrottle(t *testing.T) {
	t.Parallel()
	e, up, link := withKeyForm(t)
	acc := e.browser()
	acc.get(link)
	for range 3 {
		wantStatus(t, "POST without a key", acc.post(link, keys("anna", "")), http.StatusUnprocessableEntity)
	}
	for i := range 5 {
		wantStatus(t, fmt.Sprintf("POST wrong key %d", i+1), acc.post(link, keys("anna", fmt.Sprintf("guess-%d", i))), http.StatusUnprocessableEntity)
	}
	r := acc.post(link, keys("anna", "right-key"))
	wantStatus(t, "sixth POST", r, http.StatusTooManyRequests)
	wantText(t, "throttled form", r, tr("form.throttled", 15))
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("a throttled submit has no Retry-After")
	}
	if n := up.Calls(connectortest.OpConnect); n != 5 {
		t.Errorf("Connect calls = %d, want 5 (the sixth submit must not reach the upstream)", n)
	}
	e.wantUsable(t, link)
	// Another browser on the same link is the same link.
	wantStatus(t, "POST from another browser", e.browser().post(link, keys("anna", "right-key")), http.StatusTooManyRequests)

	e.clock.Advance(16 * time.Minute)
	wantStatus(t, "POST after the window", acc.post(link, keys("anna", "right-key")), http.StatusSeeOther)
	wantStatus(t, "result page", acc.get("/connect-result"), http.StatusOK)
	if n := up.Calls(connectortest.OpConnect); n != 6 {
		t.Errorf("Connect calls = %d, want 6", n)
	}
}

// A submit that is not provably from the form itself is refused before
// any upstream call.
func TestKeyFormCSRF(t *testing.T) {
	t.Parallel()
	e, up, link := withKeyForm(t)
	acc := e.browser()
	acc.get(link)
	tests := []struct {
		name   string
		token  string
		header http.Header
	}{
		{"no token", "", nil},
		{"wrong token", "not-the-token", nil},
		{"foreign origin", acc.csrf, http.Header{"Origin": {"https://evil.example"}}},
		{"cross-site fetch", acc.csrf, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := keys("anna", "right-key")
			if tt.token != "" {
				form.Set("_csrf", tt.token)
			}
			r := acc.do(http.MethodPost, link, form, tt.header)
			wantStatus(t, "POST keys", r, http.StatusForbidden)
			wantText(t, "refusal", r, tr("err.csrf"))
			if n := up.Calls(connectortest.OpConnect); n != 0 {
				t.Errorf("Connect calls = %d, want 0", n)
			}
			e.wantUsable(t, link)
		})
	}
}

// An eAccounting link still shows the consent page and redirects to the
// upstream's login: the key form changes nothing for redirect connectors.
func TestRedirectLinkStillRedirects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	b := e.browser()
	page := b.get(link)
	wantStatus(t, "GET link", page, http.StatusOK)
	wantText(t, "consent page", page, tr("consent.give"))
	if strings.Contains(page.Body, `type="password"`) {
		t.Errorf("the consent page of a redirect connector shows a key form")
	}
	r := b.post(link, nil)
	wantStatus(t, "POST give permission", r, http.StatusSeeOther)
	if !strings.HasPrefix(r.Location(), e.sbURL+"/connect/authorize?") {
		t.Errorf("give permission redirects to %q, want the sandbox's authorize endpoint", r.Location())
	}
	if got := e.linkOf(t, link).Status; got != db.LinkLoginStarted {
		t.Errorf("link status = %q, want %q", got, db.LinkLoginStarted)
	}
}

// hostForm is the fake's key form with a host picked from a list, the
// company's organisation number from its record and an optional note; its
// Connect refuses a host other than the first with a FormError on "host"
// and an organisation number other than Fjällbacka's with one on none.
type hostForm struct {
	connectortest.Form
	got *map[string]string
}

func (h hostForm) Fields() []connectors.Field {
	return append(h.Form.Fields(),
		connectors.Field{Name: "host", Label: "Host", Choices: []string{"a.example", "b.example"}},
		connectors.Field{Name: "org", Label: "Business id", FromCompany: true},
		connectors.Field{Name: "note", Label: "Codes", Optional: true, Multiline: true})
}

func (h hostForm) Connect(ctx context.Context, values map[string]string) (connectors.Grant, error) {
	*h.got = values
	switch {
	case values["host"] != "a.example":
		return connectors.Grant{}, fmt.Errorf("connect: %w", &connectors.FormError{Field: "host", Code: "host_unknown"})
	case values["org"] != "556812-3474":
		return connectors.Grant{}, &connectors.FormError{Code: "org_not_reached"}
	}
	return h.Form.Connect(ctx, values)
}

// TestKeyFormFieldKinds: a list takes only its values, the company's number
// comes from the record whatever is posted, an optional field may stay
// empty, and a connector's FormError is shown as its own text.
func TestKeyFormFieldKinds(t *testing.T) {
	t.Parallel()
	var got map[string]string
	e, _ := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector {
		return hostForm{Form: connectortest.Form{U: u}, got: &got}
	})
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	acc := e.browser()
	page := acc.get(link)
	wantStatus(t, "GET link", page, http.StatusOK)
	for _, want := range []string{
		`<select id="f-host" name="host" required`,
		`<option value="b.example">b.example</option>`,
		`name="org" type="text" value="` + e.fj.OrgNumber + `" readonly`,
		`<textarea id="f-note" name="note"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("key form lacks %s", want)
		}
	}

	form := func(host, org string) url.Values {
		v := keys("anna", "right-key")
		v.Set("host", host)
		v.Set("org", org)
		return v
	}
	r := acc.post(link, form("evil.example", e.fj.OrgNumber))
	wantStatus(t, "POST a host not in the list", r, http.StatusUnprocessableEntity)
	wantText(t, "host not in the list", r, tr("err.choice"))
	if got != nil {
		t.Errorf("Connect was called with a host not in the list: %v", got)
	}

	r = acc.post(link, form("b.example", "999999-9999"))
	wantStatus(t, "POST a host the connector refuses", r, http.StatusUnprocessableEntity)
	wantText(t, "connector's refusal", r, "fake.form.host_unknown")
	if got["org"] != e.fj.OrgNumber || got["note"] != "" {
		t.Errorf("Connect got org %q note %q, want the record's %q and an empty optional note", got["org"], got["note"], e.fj.OrgNumber)
	}
	e.wantUsable(t, link)

	r = acc.post(link, form("a.example", ""))
	wantStatus(t, "POST the right host", r, http.StatusSeeOther)
	if c, err := e.svc.Current(t.Context(), e.fj.ID); err != nil || c.Status != db.ConnActive {
		t.Fatalf("connection after the right host = %v, %v; want active", c, err)
	}
}
