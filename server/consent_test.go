package server_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

func tr(key string, args ...any) string { return words().Translate("en", key, args...) }

// TestConsentHappyPath runs the whole story: the analyst makes a link, the
// accountant opens it, logs in at the sandbox, picks the company, approves,
// and the company is connected with its grant sealed.
func TestConsentHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")

	if got := e.linkOf(t, link).Status; got != db.LinkCreated {
		t.Fatalf("link status after creation = %q, want %q", got, db.LinkCreated)
	}
	acc := e.browser()
	page := acc.get(link)
	wantStatus(t, "GET link", page, http.StatusOK)
	wantText(t, "consent page", page, "Fjällbacka Snickeri AB", "556812-3474", firmName)
	if got := e.linkOf(t, link).Status; got != db.LinkOpened {
		t.Fatalf("link status after opening = %q, want %q", got, db.LinkOpened)
	}

	// Give permission, then the sandbox's login, company picker and consent.
	r := acc.post(link, nil)
	wantStatus(t, "POST give permission", r, http.StatusSeeOther)
	if got := e.linkOf(t, link).Status; got != db.LinkLoginStarted {
		t.Fatalf("link status after give permission = %q, want %q", got, db.LinkLoginStarted)
	}
	login := acc.get(r.Location())
	wantStatus(t, "sandbox login page", login, http.StatusOK)
	picker := acc.do(http.MethodPost, e.sbURL+"/connect/authorize/login", url.Values{
		"flow": {sandboxFlow(t, login)}, "email": {anna.email}, "password": {anna.password}}, nil)
	wantStatus(t, "sandbox login", picker, http.StatusOK)
	wantText(t, "company picker", picker, "Choose company", "Fjällbacka Snickeri AB", "Norrsken Design AB")
	consent := acc.do(http.MethodPost, e.sbURL+"/connect/authorize/company", url.Values{
		"flow": {sandboxFlow(t, picker)}, "company": {"1180442"}}, nil)
	wantStatus(t, "sandbox picker", consent, http.StatusOK)
	wantText(t, "sandbox consent screen", consent, "Allow access?", "Fjällbacka Snickeri AB")
	cb := acc.do(http.MethodPost, e.sbURL+"/connect/authorize/consent", url.Values{
		"flow": {sandboxFlow(t, consent)}, "decision": {"allow"}}, nil)
	wantStatus(t, "sandbox consent", cb, http.StatusFound)

	res := acc.finish(cb.Location())
	wantStatus(t, "result page", res, http.StatusOK)
	wantText(t, "result page", res, tr("result.ok.title"), "Fjällbacka Snickeri AB", "556812-3474")

	conn, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
	if err != nil {
		t.Fatalf("Connection() = %v", err)
	}
	if conn.Status != db.ConnActive || conn.OrgNumber != "556812-3474" || conn.ExternalID != "1180442" || conn.ExternalName != "Fjällbacka Snickeri AB" {
		t.Errorf("connection = {%s %s %s %s}, want {active 556812-3474 1180442 Fjällbacka Snickeri AB}", conn.Status, conn.OrgNumber, conn.ExternalID, conn.ExternalName)
	}
	if len(conn.TokenSealed) == 0 || conn.TokenKeyID != e.keys.CurrentID() {
		t.Errorf("connection token: %d sealed bytes under key %q, want a grant sealed under %q", len(conn.TokenSealed), conn.TokenKeyID, e.keys.CurrentID())
	}
	tok := e.tokens(t, conn.ID)
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("stored grant has access %t, refresh %t; want both", tok.AccessToken != "", tok.RefreshToken != "")
	}
	if strings.Contains(string(conn.TokenSealed), tok.AccessToken) || strings.Contains(string(conn.TokenSealed), tok.RefreshToken) {
		t.Errorf("sealed grant contains a token in plain text")
	}
	if got := e.linkOf(t, link).Status; got != db.LinkConnected {
		t.Errorf("link status = %q, want %q", got, db.LinkConnected)
	}

	// The analyst's live status sees it too.
	st := analyst.get("/companies/" + itoa(e.fj.ID) + "/links/status")
	wantStatus(t, "link status", st, http.StatusOK)
	if !strings.Contains(st.Body, `"state":"connected"`) || !strings.Contains(st.Body, `"connection":"active@`) {
		t.Errorf("link status JSON = %s, want the link connected and the connection active", st.Body)
	}

	// A used link says what it did, never a failure, and starts nothing.
	again := e.browser().get(link)
	wantStatus(t, "GET used link", again, http.StatusOK)
	wantText(t, "used link", again, tr("accountant.done.title"), "Fjällbacka Snickeri AB")
	if strings.Contains(again.Text(), tr("result.bad.title")) || strings.Contains(again.Body, `class="error"`) {
		t.Errorf("the used link shows a failure")
	}
	post := e.browser().post(link, nil)
	wantStatus(t, "POST used link", post, http.StatusOK)
	if got := e.linkOf(t, link).Status; got != db.LinkConnected {
		t.Errorf("link status after POST on the used link = %q, want %q", got, db.LinkConnected)
	}
}

type storedToken struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// tokens opens a connection's stored grant.
func (e *env) tokens(t *testing.T, connID int64) storedToken {
	t.Helper()
	g, err := e.db.Grant(t.Context(), connID)
	if err != nil {
		t.Fatalf("Grant() = %v", err)
	}
	var tok storedToken
	if err := json.Unmarshal(g.Data, &tok); err != nil {
		t.Fatalf("grant data: %v", err)
	}
	return tok
}

// TestConsentFailures runs the ways a consent goes wrong at the sandbox; each
// says why on the result page, stores no grant and records the reason on
// the link.
func TestConsentFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		company    func(e *env) string // which portal company the link is for
		approval   approval
		wantStatus int
		wantText   []string
		wantReason string
		wantDetail string
		revoked    bool // the unused grant is withdrawn at the sandbox
	}{
		{
			name: "declined", approval: approval{email: anna.email, password: anna.password, company: "1180442", deny: true},
			wantStatus: http.StatusBadRequest, wantText: []string{"You declined the request"}, wantReason: "denied",
		},
		{
			name: "wrong company", approval: annaN,
			wantStatus: http.StatusBadRequest, wantReason: "org_mismatch", wantDetail: "Norrsken Design AB 559104-3210", revoked: true,
			wantText: []string{tr("result.org_mismatch"), "Visma gave access to Norrsken Design AB (559104-3210), but the link is for Fjällbacka Snickeri AB (556812-3474)"},
		},
		{
			name: "invoicing only", company: func(e *env) string { return "kafe" }, approval: maja,
			wantStatus: http.StatusBadRequest, wantReason: "no_bookkeeping", revoked: true,
			wantText: []string{"The company has no Bookkeeping in Visma.", "Kvarnbyns Kafé AB"},
		},
		{
			name: "no permission", company: func(e *env) string { return "norrsken" }, approval: sara,
			wantStatus: http.StatusBadRequest, wantReason: "permission", revoked: true,
			wantText: []string{"Your user does not have full permission in Visma for this company.", "Permissions (Behörigheter)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			co := e.fj
			if tt.company != nil {
				co = map[string]*db.Company{"kafe": e.kafe, "norrsken": e.norrsken}[tt.company(e)]
			}
			link := e.loggedIn(e.analyst).createLink(co, "")
			acc := e.browser()
			before := e.sb.Stats().Revocations
			res := acc.finish(acc.consent(link, tt.approval).Location())
			wantStatus(t, "result page", res, tt.wantStatus)
			wantText(t, "result page", res, append(tt.wantText, tr("result.bad.title"))...)
			// "Access was withdrawn" only where tokens existed: not after a
			// decline.
			if got := strings.Contains(res.Text(), tr("result.nothing.stored")); got != tt.revoked {
				t.Errorf("result page says access was withdrawn: %t, want %t", got, tt.revoked)
			}
			e.noConnection(t, co)
			l := e.linkOf(t, link)
			if l.Status != db.LinkFailed || l.Reason != tt.wantReason || !strings.Contains(l.Detail, tt.wantDetail) {
				t.Errorf("link = {%s %s %q}, want {failed %s %q}", l.Status, l.Reason, l.Detail, tt.wantReason, tt.wantDetail)
			}
			if got := e.sb.Stats().Revocations - before; tt.revoked && got != 1 {
				t.Errorf("revocations at the sandbox = %d, want 1 (the unused grant is withdrawn)", got)
			}
			// The link stays usable: "try again" is offered.
			if !strings.Contains(res.Body, `action="/connect/`+secretOf(link)+`"`) {
				t.Errorf("result page offers no try-again form for the link")
			}
		})
	}
}

// TestConsentTamperedState changes the state on the way back: nothing is
// stored, and the real answer cannot be used afterwards either.
func TestConsentTamperedState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	acc := e.browser()
	cb := acc.consent(link, anna).Location()
	u, _ := url.Parse(cb)
	q := u.Query()
	q.Set("state", q.Get("state")+"x")
	u.RawQuery = q.Encode()

	res := acc.finish(u.String())
	wantStatus(t, "tampered result", res, http.StatusBadRequest)
	wantText(t, "tampered result", res, tr("result.state_mismatch"))
	e.noConnection(t, e.fj)
	if l := e.linkOf(t, link); l.Status != db.LinkFailed || l.Reason == "" {
		t.Errorf("link = {%s %q}, want failed with a reason", l.Status, l.Reason)
	}
	if got := e.sb.Stats().CodeExchanges; got != 0 {
		t.Errorf("code exchanges = %d, want 0", got)
	}

	res = acc.finish(cb)
	wantStatus(t, "untampered answer after tampering", res, http.StatusBadRequest)
	wantText(t, "untampered answer after tampering", res, tr("result.no_flow"))
	e.noConnection(t, e.fj)
}

// TestConsentReplayedCallback requests the callback twice: the second one
// is refused, with or without the flow cookie.
func TestConsentReplayedCallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	acc := e.browser()
	cb := acc.consent(link, anna).Location()
	flowCookie := acc.cookie("bilag_flow")
	if flowCookie == "" {
		t.Fatal("no bilag_flow cookie during the login")
	}
	res := acc.finish(cb)
	wantStatus(t, "first callback", res, http.StatusOK)
	conn, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
	if err != nil {
		t.Fatal(err)
	}
	first := e.tokens(t, conn.ID)

	// The same browser again: its flow cookie is gone.
	res = acc.finish(cb)
	wantStatus(t, "replay", res, http.StatusBadRequest)
	wantText(t, "replay", res, tr("result.no_flow"))

	// An attacker who kept the flow cookie as well.
	thief := e.browser()
	u, _ := url.Parse(e.url)
	thief.c.Jar.SetCookies(u, []*http.Cookie{{Name: "bilag_flow", Value: flowCookie, Path: "/"}})
	res = thief.finish(cb)
	wantStatus(t, "replay with cookie", res, http.StatusOK)
	wantText(t, "replay with cookie", res, tr("accountant.done.title"))

	if got := e.sb.Stats().CodeExchanges; got != 1 {
		t.Errorf("code exchanges = %d, want 1", got)
	}
	if got := e.tokens(t, conn.ID); got != first {
		t.Errorf("stored grant changed after a replayed callback")
	}
}

// TestConsentUnusableLinks covers expired and revoked links, before the
// login and during it.
func TestConsentUnusableLinks(t *testing.T) {
	t.Parallel()
	t.Run("expired before opening", func(t *testing.T) {
		e := newEnv(t)
		link := e.loggedIn(e.analyst).createLink(e.fj, "15m0s")
		l := e.linkOf(t, link)
		if got, want := l.ExpiresAt, e.clock.Now().Add(15*time.Minute); got.Sub(want).Abs() > time.Second {
			t.Fatalf("link expires at %v, want %v", got, want)
		}
		e.clock.Advance(16 * time.Minute)
		acc := e.browser()
		r := acc.get(link)
		wantStatus(t, "GET expired link", r, http.StatusGone)
		wantText(t, "expired link", r, tr("consent.unusable.expired"))
		r = acc.post(link, nil)
		wantStatus(t, "POST expired link", r, http.StatusGone)
		if got := e.linkOf(t, link).Status; got != db.LinkCreated {
			t.Errorf("stored status = %q, want %q (untouched)", got, db.LinkCreated)
		}
	})
	t.Run("expired during login", func(t *testing.T) {
		e := newEnv(t)
		link := e.loggedIn(e.analyst).createLink(e.fj, "15m0s")
		acc := e.browser()
		cb := acc.consent(link, anna).Location()
		e.clock.Advance(16 * time.Minute)
		res := acc.finish(cb)
		wantStatus(t, "result", res, http.StatusBadRequest)
		wantText(t, "result", res, tr("result.expired"))
		e.noConnection(t, e.fj)
		if got := e.linkOf(t, link).State(e.clock.Now()); got != db.LinkExpired {
			t.Errorf("link state = %q, want %q", got, db.LinkExpired)
		}
	})
	t.Run("revoked before permission", func(t *testing.T) {
		e := newEnv(t)
		analyst := e.loggedIn(e.analyst)
		link := analyst.createLink(e.fj, "")
		acc := e.browser()
		wantStatus(t, "GET link", acc.get(link), http.StatusOK)
		l := e.linkOf(t, link)
		wantStatus(t, "revoke", analyst.post("/companies/"+itoa(e.fj.ID)+"/links/"+itoa(l.ID)+"/revoke", nil), http.StatusSeeOther)
		r := acc.post(link, nil)
		wantStatus(t, "POST revoked link", r, http.StatusGone)
		wantText(t, "revoked link", r, tr("consent.unusable.revoked"))
		if got := e.linkOf(t, link).Status; got != db.LinkRevoked {
			t.Errorf("link status = %q, want %q", got, db.LinkRevoked)
		}
	})
	t.Run("revoked during login", func(t *testing.T) {
		e := newEnv(t)
		analyst := e.loggedIn(e.analyst)
		link := analyst.createLink(e.fj, "")
		acc := e.browser()
		cb := acc.consent(link, anna).Location()
		l := e.linkOf(t, link)
		wantStatus(t, "revoke", analyst.post("/companies/"+itoa(e.fj.ID)+"/links/"+itoa(l.ID)+"/revoke", nil), http.StatusSeeOther)
		res := acc.finish(cb)
		wantStatus(t, "result", res, http.StatusBadRequest)
		wantText(t, "result", res, tr("result.revoked"))
		e.noConnection(t, e.fj)
		if got := e.sb.Stats().CodeExchanges; got != 0 {
			t.Errorf("code exchanges = %d, want 0", got)
		}
	})
	t.Run("unknown secret", func(t *testing.T) {
		e := newEnv(t)
		r := e.browser().get("/connect/not-a-real-secret")
		wantStatus(t, "GET unknown link", r, http.StatusNotFound)
		wantText(t, "unknown link", r, tr("consent.unknown.title"))
	})
}

// TestDisconnect revokes the grant at the sandbox and forgets the tokens.
func TestDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	conn := e.connectFJ(analyst)
	tok := e.tokens(t, conn.ID)
	if got := e.apiStatus(t, tok.AccessToken); got != http.StatusOK {
		t.Fatalf("API with the stored token = %d, want 200", got)
	}
	before := e.sb.Stats().Revocations

	// Unconfirmed: nothing happens.
	r := analyst.post("/companies/"+itoa(e.fj.ID)+"/connection/disconnect", nil)
	wantStatus(t, "unconfirmed disconnect", r, http.StatusSeeOther)
	if c, _ := e.db.Connection(t.Context(), e.fj.ID, "eaccounting"); c.Status != db.ConnActive {
		t.Fatalf("status after unconfirmed disconnect = %q, want active", c.Status)
	}

	r = analyst.post("/companies/"+itoa(e.fj.ID)+"/connection/disconnect", url.Values{"confirm": {"yes"}})
	wantStatus(t, "disconnect", r, http.StatusSeeOther)
	if got := e.sb.Stats().Revocations - before; got != 1 {
		t.Errorf("revocations = %d, want 1", got)
	}
	if got := e.apiStatus(t, tok.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("API with the old token after disconnect = %d, want 401", got)
	}
	c, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != db.ConnDisconnected || len(c.TokenSealed) != 0 || c.TokenKeyID != "" {
		t.Errorf("connection = {%s, %d sealed bytes, key %q}, want disconnected with no token", c.Status, len(c.TokenSealed), c.TokenKeyID)
	}
	if _, err := e.db.Grant(t.Context(), c.ID); !errors.Is(err, db.ErrNeedsReapproval) {
		t.Errorf("Grant() after disconnect = %v, want ErrNeedsReapproval", err)
	}
}

// apiStatus calls the sandbox API with an access token.
func (e *env) apiStatus(t *testing.T, access string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.sbURL+"/v2/companysettings", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := e.sbHTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The accountant's page speaks the company's country language to a reader
// whose browser asks for no language Bilag has; a language the browser
// asks for, or one the reader chose, wins.
func TestConsentPageDefaultsToTheCompanysLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	tests := []struct {
		name, acceptLanguage, choose, want string
	}{
		{"no language Bilag has", "de-DE,de;q=0.9", "", "Ge behörighet"},
		{"the browser's", "en-GB,en;q=0.9", "", "Give permission"},
		{"the reader's choice", "de-DE", "en", "Give permission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			b.header.Set("Accept-Language", tt.acceptLanguage)
			if tt.choose != "" {
				b.get("/lang?l=" + tt.choose + "&next=/login")
			}
			page := b.get(link)
			wantStatus(t, "consent page", page, http.StatusOK)
			wantText(t, "consent page", page, tt.want)
		})
	}
}
