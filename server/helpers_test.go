package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"
	"bilag/connectors/economic"
	economicexport "bilag/connectors/economic-export"
	"bilag/connectors/enterprise"
	"bilag/connectors/netvisor"
	"bilag/connectors/orgnr"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
	"bilag/server"
	"bilag/server/connections"
	"bilag/server/password"
	"bilag/views"
)

// connectorWords are every connector's own words, as the registry hands
// them to the server, and the fake's: the tests' servers show the real
// pages.
var connectorWords = map[string]fs.FS{"eaccounting": eaccounting.Words(), "economic": economic.Words(), economic.ExportName: economicexport.Words(), "netvisor": netvisor.Words(), "enterprise": enterprise.Words(), "fake": connectortest.Words()}

// words are the pages' words as the tests' servers have them, for the
// tests that look for a text.
var words = sync.OnceValue(func() *views.Renderer {
	r, err := views.New(views.Options{Connectors: connectorWords})
	if err != nil {
		panic(err)
	}
	return r
})

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// faults sits in front of the sandbox and fails the next token requests
// with 503, as an overloaded identity server does; before, when set, sees
// every request first (a test's gate).
type faults struct {
	tokenFailures atomic.Int32
	before        atomic.Pointer[func(*http.Request)]
}

func (f *faults) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if before := f.before.Load(); before != nil {
			(*before)(r)
		}
		if r.URL.Path == "/connect/token" && f.tokenFailures.Add(-1) >= 0 {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

const (
	sandboxClientID     = "bilag-test"
	sandboxClientSecret = "sandbox-client-secret-for-tests"
	firmName            = "Testbyrån AB"
	firmContact         = "hej@testbyran.se · 08-555 12 34"
	firmPrivacyURL      = "https://testbyran.se/integritet"
)

// person is a portal user with the password they log in with.
type person struct {
	*db.User
	Password string
}

// env is a whole Bilag: portal, SQLite database, eAccounting connector and
// the sandbox it talks to, with a seeded firm.
type env struct {
	t       *testing.T
	srv     *server.Server
	svc     *connections.Service
	url     string
	db      *db.DB
	dbPath  string
	keys    *seal.Keyring
	secret  []byte
	sb      *sandbox.Sandbox
	sbURL   string
	sbHTTP  *http.Client
	conn    *eaccounting.Connector
	clock   *dbtest.Clock
	logs    *syncBuffer
	faults  *faults
	logger  *slog.Logger
	started time.Time

	admin, analyst, viewer, inactiveUser person
	// fj, norrsken and kafe exist in the sandbox; hidden has no members;
	// inactive is deactivated in the portal.
	fj, norrsken, kafe, hidden, inactive *db.Company
}

func newEnv(t *testing.T, opts ...sandbox.Option) *env {
	t.Helper()
	return newEnvOn(t, "", opts...)
}

// newEnvOn is newEnv on the database at dbURL; "" is a fresh SQLite file.
func newEnvOn(t *testing.T, dbURL string, opts ...sandbox.Option) *env {
	t.Helper()
	return newEnvWith(t, dbURL, nil, opts...)
}

// newEnvWith is newEnvOn with the portal's options changed by tweak (nil
// for none): a mailer, say, on the portal the sandbox sends back to.
func newEnvWith(t *testing.T, dbURL string, tweak func(*server.Options), opts ...sandbox.Option) *env {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, clock: dbtest.NewClock(time.Now().UTC().Truncate(time.Second)), logs: &syncBuffer{}, faults: &faults{}}
	e.started = e.clock.Now()
	e.logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.secret = make([]byte, 32)
	rand.Read(e.secret)
	var err error
	if e.keys, err = seal.NewKeyring(e.secret); err != nil {
		t.Fatalf("NewKeyring() = %v", err)
	}
	if dbURL == "" {
		e.dbPath = filepath.Join(t.TempDir(), "bilag.db")
		dbURL = "sqlite://" + e.dbPath
	}
	e.db, err = db.Open(ctx, dbURL, db.Options{Keys: e.keys, Now: e.clock.Now, Logger: e.logger})
	if err != nil {
		t.Fatalf("db.Open() = %v", err)
	}
	t.Cleanup(func() { e.db.Close() })

	portal := httptest.NewUnstartedServer(nil)
	e.url = "http://" + portal.Listener.Addr().String()
	base, _ := url.Parse(e.url)

	sbOpts := append([]sandbox.Option{
		sandbox.WithClient(sandbox.Client{ID: sandboxClientID, Secret: sandboxClientSecret, RedirectURIs: []string{e.url + "/oauth/eaccounting/callback"}}),
		sandbox.WithClock(e.clock.Now),
		sandbox.WithLogger(e.logger.With("component", "sandbox")),
	}, opts...)
	e.sb = sandbox.New(sbOpts...)
	sbTS := httptest.NewServer(e.faults.wrap(e.sb))
	t.Cleanup(sbTS.Close)
	e.sbURL = sbTS.URL
	e.sbHTTP = sbTS.Client()

	e.conn, err = eaccounting.Config{
		ClientID: sandboxClientID, ClientSecret: sandboxClientSecret,
		AuthURL: e.sbURL + "/connect/authorize", TokenURL: e.sbURL + "/connect/token", RevokeURL: e.sbURL + "/connect/revocation",
		Issuer: e.sbURL, APIURL: e.sbURL + "/v2", Now: e.clock.Now, Sleep: noWait,
	}.Open(e.logger, sbTS.Client())
	if err != nil {
		t.Fatalf("eaccounting Open() = %v", err)
	}
	// Admins need no second factor here, as in demo mode, so tests log
	// them in with a password (withAdminSecondFactor requires one).
	opt := server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, FormOrigins: []string{e.sbURL}, Now: e.clock.Now,
		AdminSecondFactorOptional: true, FirmLogo: server.DemoLogo(), FirmLogoType: "image/png", FirmContact: firmContact, FirmPrivacyURL: firmPrivacyURL}
	if tweak != nil {
		tweak(&opt)
	}
	e.srv, e.svc = newPortal(t, opt,
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{e.conn.Name(): e.conn}, Now: e.clock.Now})
	portal.Config.Handler = e.srv
	portal.Start()
	t.Cleanup(portal.Close)
	t.Cleanup(func() {
		if t.Failed() {
			logs := e.logs.String()
			if len(logs) > 4000 {
				logs = "…" + logs[len(logs)-4000:]
			}
			t.Logf("logs:\n%s", logs)
		}
	})
	e.seed()
	return e
}

// newPortal builds a Bilag server on a connection service of its own.
// Every connector is offered in every Nordic country unless svc says
// otherwise. Background work (a first sync after connecting) ends with the
// test, before the sandbox and the database go away.
func newPortal(t *testing.T, opt server.Options, svc connections.Options) (*server.Server, *connections.Service) {
	t.Helper()
	if svc.Countries == nil {
		svc.Countries = map[string][]string{}
		for name := range svc.Connectors {
			svc.Countries[name] = []string{"SE", "NO", "DK", "FI", "NL"}
		}
	}
	s, err := connections.New(svc)
	if err != nil {
		t.Fatalf("connections.New() = %v", err)
	}
	t.Cleanup(s.Close)
	opt.Connections = s
	if opt.Hasher == (password.Hasher{}) {
		opt.Hasher = fastHasher
	}
	if opt.ConnectorWords == nil {
		opt.ConnectorWords = connectorWords
	}
	srv, err := server.New(opt)
	if err != nil {
		t.Fatalf("server.New() = %v", err)
	}
	return srv, s
}

var fastHasher = password.Hasher{Time: 1, Memory: 8 * 1024, Threads: 1}

// noWait is the connectors' Sleeper in the tests: a retry's backoff passes
// at once (the test clock does not move, as it did not while the real one
// slept), so a test of a failing upstream asserts what the retries do
// without sitting through seconds of backoff.
func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func (e *env) addUser(email, name, role string, active bool) person {
	e.t.Helper()
	pass := "pw-" + role + "-" + strings.SplitN(email, "@", 2)[0] + "-long"
	hash, err := fastHasher.Hash(pass)
	if err != nil {
		e.t.Fatalf("Hash() = %v", err)
	}
	u := &db.User{Email: email, Name: name, Role: role, PasswordHash: hash, Active: true}
	if err := e.db.CreateUser(e.t.Context(), u); err != nil {
		e.t.Fatalf("CreateUser(%s) = %v", email, err)
	}
	if !active {
		u.Active = false
		if err := e.db.UpdateUser(e.t.Context(), u); err != nil {
			e.t.Fatalf("UpdateUser(%s) = %v", email, err)
		}
	}
	return person{User: u, Password: pass}
}

func (e *env) addCompany(name, org string, active bool, members ...person) *db.Company {
	e.t.Helper()
	norm, err := orgnr.Validate("SE", org)
	if err != nil {
		e.t.Fatalf("orgnr.Validate(%s) = %v", org, err)
	}
	c := &db.Company{Name: name, Country: "SE", OrgNumber: norm, Active: true}
	if err := e.db.CreateCompany(e.t.Context(), c); err != nil {
		e.t.Fatalf("CreateCompany(%s) = %v", name, err)
	}
	if !active {
		c.Active = false
		if _, err := e.db.UpdateCompany(e.t.Context(), c, db.AuditEvent{Actor: "test"}); err != nil {
			e.t.Fatalf("UpdateCompany(%s) = %v", name, err)
		}
	}
	var ids []int64
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	if err := e.db.SetMembers(e.t.Context(), c.ID, ids); err != nil {
		e.t.Fatalf("SetMembers(%s) = %v", name, err)
	}
	return c
}

func (e *env) seed() {
	e.admin = e.addUser("admin@firm.test", "Astrid Admin", db.RoleAdmin, true)
	e.analyst = e.addUser("analyst@firm.test", "Anders Analytiker", db.RoleAnalyst, true)
	e.viewer = e.addUser("viewer@firm.test", "Vera Viewer", db.RoleViewer, true)
	e.inactiveUser = e.addUser("gone@firm.test", "Gustav Gone", db.RoleAnalyst, false)
	e.fj = e.addCompany("Fjällbacka Snickeri AB", "556812-3474", true, e.analyst, e.viewer)
	e.norrsken = e.addCompany("Norrsken Design AB", "559104-3210", true, e.analyst)
	e.kafe = e.addCompany("Kvarnbyns Kafé AB", "556731-9057", true, e.analyst)
	e.hidden = e.addCompany("Hemlig Handel AB", "556016-0680", true)
	e.inactive = e.addCompany("Gamla Varvet AB", "556240-1181", false, e.analyst, e.viewer)
}

// abs makes a portal path absolute.
func (e *env) abs(p string) string {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		return p
	}
	return e.url + p
}

// browser is one person's browser: a cookie jar, no automatic redirects
// (tests follow them and look at each hop), and no Sec-Fetch-Site, so the
// CSRF token path is what protects its forms.
type browser struct {
	e      *env
	c      *http.Client
	header http.Header
	csrf   string
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	// Like a real browser it says which language it reads; a page's own
	// default (the company's language on the accountant's pages) is for a
	// browser that asks for none Bilag speaks.
	return &browser{e: e, header: http.Header{"Accept-Language": {"en-GB,en;q=0.9"}}, c: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	Status int
	Header http.Header
	Body   string
	URL    string
}

// Location is the redirect target, resolved against the request URL.
func (r *response) Location() string {
	loc := r.Header.Get("Location")
	if loc == "" {
		return ""
	}
	base, _ := url.Parse(r.URL)
	u, err := base.Parse(loc)
	if err != nil {
		return loc
	}
	return u.String()
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// Text is the body without tags and with entities decoded, for matching
// translations.
func (r *response) Text() string { return html.UnescapeString(tagRe.ReplaceAllString(r.Body, "")) }

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

func (b *browser) do(method, target string, form url.Values, hdr http.Header) *response {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.e.t.Context(), method, b.e.abs(target), body)
	if err != nil {
		b.e.t.Fatalf("NewRequest(%s %s) = %v", method, target, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range b.header {
		req.Header[k] = vs
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	r := &response{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), URL: req.URL.String()}
	if m := csrfRe.FindStringSubmatch(r.Body); m != nil && strings.HasPrefix(r.URL, b.e.url) {
		b.csrf = html.UnescapeString(m[1])
	}
	return r
}

func (b *browser) get(target string) *response { return b.do(http.MethodGet, target, nil, nil) }

// post submits a portal form with the CSRF token the last page carried.
func (b *browser) post(target string, form url.Values) *response {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if b.csrf == "" {
		b.get("/login")
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", b.csrf)
	}
	return b.do(http.MethodPost, target, form, nil)
}

// follow fetches redirect after redirect until a page that is not one.
func (b *browser) follow(r *response) *response {
	b.e.t.Helper()
	for i := 0; i < 10 && r.Status >= 300 && r.Status < 400; i++ {
		r = b.get(r.Location())
	}
	return r
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.url)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// login logs in through the login form.
func (b *browser) login(p person) {
	b.e.t.Helper()
	page := b.get("/login")
	if page.Status != http.StatusOK {
		b.e.t.Fatalf("GET /login = %d, want 200", page.Status)
	}
	m := csrfRe.FindStringSubmatch(page.Body)
	if m == nil || m[1] == "" {
		b.e.t.Fatalf("GET /login has no _csrf field")
	}
	if got := b.cookie("bilag_csrf"); got != html.UnescapeString(m[1]) {
		b.e.t.Fatalf("bilag_csrf cookie = %q, want the form's token %q", got, m[1])
	}
	r := b.post("/login", url.Values{"email": {p.Email}, "password": {p.Password}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		b.e.t.Fatalf("POST /login as %s = %d (Location %q), want 303 to /", p.Email, r.Status, r.Header.Get("Location"))
	}
}

func (e *env) loggedIn(p person) *browser {
	e.t.Helper()
	b := e.browser()
	b.login(p)
	return b
}

// wantStatus fails the test when r does not have status want.
func wantStatus(t *testing.T, what string, r *response, want int) {
	t.Helper()
	if r.Status != want {
		body := r.Body
		if len(body) > 600 {
			body = body[:600] + "…"
		}
		t.Fatalf("%s: status = %d, want %d (Location %q)\n%s", what, r.Status, want, r.Header.Get("Location"), body)
	}
}

func wantText(t *testing.T, what string, r *response, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(r.Text(), s) {
			t.Errorf("%s: page does not say %q", what, s)
		}
	}
}

var fieldErrRe = regexp.MustCompile(`(?s)<p class="field-error" id="([a-z_]+)-err"[^>]*>(.*?)</p>`)

// fieldErrors maps each field to the message shown next to it.
func fieldErrors(body string) map[string]string {
	out := map[string]string{}
	for _, m := range fieldErrRe.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(strings.TrimSpace(m[2]))
	}
	return out
}

var newLinkRe = regexp.MustCompile(`id="new-link"[^>]*value="([^"]+)"`)

// createLink makes a consent link as b and reads it from the company page.
func (b *browser) createLink(co *db.Company, ttl string) string {
	b.e.t.Helper()
	form := url.Values{"expected_org": {co.OrgNumber}}
	if ttl != "" {
		form.Set("ttl", ttl)
	}
	r := b.post("/companies/"+itoa(co.ID)+"/links", form)
	wantStatus(b.e.t, "POST links", r, http.StatusSeeOther)
	page := b.follow(r)
	wantStatus(b.e.t, "company page after link", page, http.StatusOK)
	m := newLinkRe.FindStringSubmatch(page.Body)
	if m == nil {
		b.e.t.Fatalf("company page has no #new-link input")
	}
	link := html.UnescapeString(m[1])
	if !strings.HasPrefix(link, b.e.url+"/connect/") {
		b.e.t.Fatalf("link = %q, want it under %s/connect/", link, b.e.url)
	}
	return link
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// secretOf is the secret part of a consent link.
func secretOf(link string) string { return link[strings.LastIndex(link, "/")+1:] }

var flowRe = regexp.MustCompile(`name="flow" value="([^"]+)"`)

func sandboxFlow(t *testing.T, r *response) string {
	t.Helper()
	m := flowRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("sandbox page %s has no flow field:\n%s", r.URL, r.Body)
	}
	return m[1]
}

// approval is how the accountant answers at the sandbox.
type approval struct {
	email, password string
	// company is the CompanyIdentifier to pick when the picker shows.
	company string
	deny    bool
}

// consent walks the accountant from the consent link to the sandbox's
// redirect back to the portal, and returns that callback response (a 302
// whose Location is the callback URL), not yet followed.
func (b *browser) consent(link string, a approval) *response {
	t := b.e.t
	t.Helper()
	page := b.get(link)
	wantStatus(t, "GET consent link", page, http.StatusOK)
	r := b.post(link, nil)
	wantStatus(t, "POST give permission", r, http.StatusSeeOther)
	authURL := r.Location()
	if !strings.HasPrefix(authURL, b.e.sbURL+"/connect/authorize?") {
		t.Fatalf("give permission redirects to %q, want the sandbox's authorize endpoint", authURL)
	}
	if q, _ := url.ParseQuery(authURL[strings.Index(authURL, "?")+1:]); q.Get("prompt") != "select_account" {
		t.Fatalf("authorize URL prompt = %q, want select_account", q.Get("prompt"))
	}
	login := b.get(authURL)
	wantStatus(t, "sandbox login page", login, http.StatusOK)
	page = b.do(http.MethodPost, b.e.sbURL+"/connect/authorize/login", url.Values{
		"flow": {sandboxFlow(t, login)}, "email": {a.email}, "password": {a.password}}, nil)
	wantStatus(t, "sandbox login", page, http.StatusOK)
	if strings.Contains(page.Body, `action="/connect/authorize/company"`) {
		if a.company == "" {
			t.Fatalf("sandbox shows the company picker, but the test chose no company")
		}
		page = b.do(http.MethodPost, b.e.sbURL+"/connect/authorize/company", url.Values{
			"flow": {sandboxFlow(t, page)}, "company": {a.company}}, nil)
		wantStatus(t, "sandbox company picker", page, http.StatusOK)
	}
	if !strings.Contains(page.Body, `action="/connect/authorize/consent"`) {
		t.Fatalf("sandbox did not show the consent screen:\n%s", page.Body)
	}
	decision := "allow"
	if a.deny {
		decision = "deny"
	}
	cb := b.do(http.MethodPost, b.e.sbURL+"/connect/authorize/consent", url.Values{"flow": {sandboxFlow(t, page)}, "decision": {decision}}, nil)
	wantStatus(t, "sandbox consent", cb, http.StatusFound)
	if !strings.HasPrefix(cb.Location(), b.e.url+"/oauth/eaccounting/callback?") {
		t.Fatalf("sandbox redirects to %q, want the portal's callback", cb.Location())
	}
	return cb
}

// finish follows the callback to the result page: through the short
// "checking permissions" page when the callback matched this browser's
// login, straight to the result when it did not.
func (b *browser) finish(callbackURL string) *response {
	b.e.t.Helper()
	r := b.get(callbackURL)
	if r.Status == http.StatusOK {
		r = b.get(checkingTarget(b.e.t, r))
	}
	wantStatus(b.e.t, "GET callback", r, http.StatusSeeOther)
	if r.Header.Get("Location") != "/connect-result" {
		b.e.t.Fatalf("callback redirects to %q, want /connect-result", r.Header.Get("Location"))
	}
	return b.get("/connect-result")
}

var (
	anna  = approval{email: "anna.lindqvist@example.se", password: "anna123", company: "1180442"}
	maja  = approval{email: "maja.ek@example.se", password: "maja123"}
	sara  = approval{email: "sara.holm@example.se", password: "sara123"}
	annaN = approval{email: "anna.lindqvist@example.se", password: "anna123", company: "1297315"}
)

// connectFJ connects Fjällbacka through the whole consent flow.
func (e *env) connectFJ(analyst *browser) *db.Connection {
	e.t.Helper()
	link := analyst.createLink(e.fj, "")
	acc := e.browser()
	res := acc.finish(acc.consent(link, anna).Location())
	wantStatus(e.t, "result page", res, http.StatusOK)
	conn, err := e.db.Connection(e.t.Context(), e.fj.ID, "eaccounting")
	if err != nil {
		e.t.Fatalf("Connection(fj) = %v", err)
	}
	return conn
}

// noConnection asserts that a company has no stored grant.
func (e *env) noConnection(t *testing.T, co *db.Company) {
	t.Helper()
	c, err := e.db.Connection(t.Context(), co.ID, "eaccounting")
	if errors.Is(err, db.ErrNotFound) {
		return
	}
	if err != nil {
		t.Fatalf("Connection(%s) = %v", co.Name, err)
	}
	if c.Status == db.ConnActive || len(c.TokenSealed) != 0 {
		t.Errorf("Connection(%s) = status %q with %d sealed bytes, want none", co.Name, c.Status, len(c.TokenSealed))
	}
}

// linkOf finds the stored link of a consent URL.
func (e *env) linkOf(t *testing.T, link string) *db.ConsentLink {
	t.Helper()
	l, err := e.db.LinkBySecret(t.Context(), secretOf(link))
	if err != nil {
		t.Fatalf("LinkBySecret() = %v", err)
	}
	return l
}

var checkingRe = regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=(/oauth/[a-z-]+/check)">`)

// checkingTarget is where the "checking permissions" page moves on to.
func checkingTarget(t *testing.T, r *response) string {
	t.Helper()
	m := checkingRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("callback answered 200 without the checking page's refresh:\n%s", r.Body)
	}
	return m[1]
}

// portalZone is the zone the test portals print times in: BILAG_TIMEZONE's
// default, as none sets one.
func portalZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
