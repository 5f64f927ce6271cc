package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"bilag/connectors"
	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/db/seal"
	"bilag/server"
	"bilag/server/connections"
	"bilag/server/password"
)

// offsetClock is real time plus an offset the bench can move, shared by the
// portal, its database, the connector and the sandbox, so a token can be made
// to expire without waiting an hour.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

const (
	clientID     = "bilag-bench"
	clientSecret = "bilag-bench-client-secret"
	// Fjällbacka Snickeri AB in the sandbox; anna.lindqvist picks it.
	fjOrg     = "556812-3474"
	fjCompany = "1180442"
)

// standConfig says what to build.
type standConfig struct {
	Dir        string
	Latency    time.Duration
	CacheBytes int64
	// Logger for the portal; nil discards (a log line per request would
	// measure the log, not Bilag).
	Logger *slog.Logger
	// DatabaseURL is a postgres:// database to use instead of SQLite in Dir.
	DatabaseURL string
	// OpenCache, when set, makes the document cache instead of one on
	// disk (the S3-backed one).
	OpenCache func(d *db.DB, keys *seal.Keyring) (doccache.Store, error)
}

// stand is a whole Bilag on loopback: portal (SQLite, encrypted document
// cache, eAccounting connector), the sandbox it talks to, and the bare
// handler that does the same two upstream calls with a fixed token.
type stand struct {
	cfg     standConfig
	clock   *offsetClock
	db      *db.DB
	dbPath  string
	dbURL   string
	keys    *seal.Keyring
	secret  []byte
	sb      *sandbox.Sandbox
	sbURL   string
	srv     *server.Server
	portal  string
	bare    string
	bareTok atomic.Pointer[string]
	// upstream is the client of the connector and of the bare handler:
	// the same transport, so the comparison is of the code, not of pools.
	upstream *http.Client
	// load is the client the load generator uses.
	load     *http.Client
	company  *db.Company
	voucher  db.Voucher
	conn     *db.Connection
	viewer   *browser
	analyst  *browser
	analystP person
	closers  []func()
	docMu    sync.Mutex
	docCount int
}

// upstreamClient is what main.go gives the connector: a timeout, and a
// transport that keeps enough idle connections for concurrent opens.
func upstreamClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 64
	return &http.Client{Timeout: 60 * time.Second, Transport: t}
}

func loadClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 128
	t.DisableCompression = true
	return &http.Client{Timeout: 5 * time.Minute, Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// listen is a loopback listener.
func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

func newStand(ctx context.Context, cfg standConfig) (st *stand, err error) {
	st = &stand{cfg: cfg, clock: &offsetClock{}, upstream: upstreamClient(), load: loadClient()}
	// Failures return st with err so that this can close what was opened
	// (the closers read st); the caller then gets nil.
	defer func() {
		if err != nil {
			st.Close()
			st = nil
		}
	}()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	st.secret = make([]byte, 32)
	rand.Read(st.secret)
	if st.keys, err = seal.NewKeyring(st.secret); err != nil {
		return st, err
	}
	st.dbPath = filepath.Join(cfg.Dir, "bilag.db")
	st.dbURL = "sqlite://" + st.dbPath
	if cfg.DatabaseURL != "" {
		st.dbURL = cfg.DatabaseURL
	}
	if st.db, err = db.Open(ctx, st.dbURL, db.Options{Keys: st.keys, Now: st.clock.Now, Logger: cfg.Logger}); err != nil {
		return st, err
	}
	st.closers = append(st.closers, func() { st.db.Close() })

	pl, err := listen()
	if err != nil {
		return st, err
	}
	st.portal = "http://" + pl.Addr().String()
	st.sb = sandbox.New(
		sandbox.WithClient(sandbox.Client{ID: clientID, Secret: clientSecret, RedirectURIs: []string{st.portal + "/oauth/eaccounting/callback"}}),
		sandbox.WithClock(st.clock.Now),
		sandbox.WithLatency(cfg.Latency),
		// The bench measures Bilag, not the quota: both limits out of the way.
		sandbox.WithRateLimit(1<<30),
	)
	sbTS := httptest.NewServer(st.sb)
	st.closers = append(st.closers, sbTS.Close)
	st.sbURL = sbTS.URL

	conn, err := eaccounting.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: st.sbURL + "/connect/authorize", TokenURL: st.sbURL + "/connect/token", RevokeURL: st.sbURL + "/connect/revocation",
		Issuer: st.sbURL, APIURL: st.sbURL + "/v2", Now: st.clock.Now, RateLimit: 1 << 30,
	}.Open(cfg.Logger, st.upstream)
	if err != nil {
		return st, err
	}
	var cache doccache.Store
	switch {
	case cfg.OpenCache != nil:
		if cache, err = cfg.OpenCache(st.db, st.keys); err != nil {
			return st, err
		}
	case cfg.CacheBytes > 0:
		if cache, err = doccache.Open(filepath.Join(cfg.Dir, "cache"), cfg.CacheBytes, st.keys); err != nil {
			return st, err
		}
	}
	base, _ := url.Parse(st.portal)
	svc, err := connections.New(connections.Options{DB: st.db, Logger: cfg.Logger, Now: st.clock.Now, Cache: cache,
		Connectors: map[string]connectors.Connector{conn.Name(): conn}, Countries: map[string][]string{conn.Name(): {"SE", "NO"}}})
	if err != nil {
		return st, err
	}
	st.srv, err = server.New(server.Options{
		DB: st.db, Logger: cfg.Logger, BaseURL: base, SecretKey: st.secret, Connections: svc, FirmName: "Bänkbyrån AB",
		FormOrigins: []string{st.sbURL}, Now: st.clock.Now,
	})
	if err != nil {
		return st, err
	}
	portal := &http.Server{Handler: st.srv, ReadHeaderTimeout: 10 * time.Second}
	go portal.Serve(pl)
	st.closers = append(st.closers, func() { portal.Close() }, svc.Close)

	bl, err := listen()
	if err != nil {
		return st, err
	}
	st.bare = "http://" + bl.Addr().String()
	bare := &http.Server{Handler: st.bareHandler(), ReadHeaderTimeout: 10 * time.Second}
	go bare.Serve(bl)
	st.closers = append(st.closers, func() { bare.Close() })

	if err := st.seed(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// Close stops everything, newest first.
func (st *stand) Close() {
	for i := len(st.closers) - 1; i >= 0; i-- {
		st.closers[i]()
	}
	st.closers = nil
}

var fastHasher = password.Hasher{Time: 1, Memory: 8 * 1024, Threads: 1}

type person struct{ email, password string }

func (st *stand) addUser(ctx context.Context, email, role string) (person, *db.User, error) {
	p := person{email: email, password: "bench-" + role + "-password-long"}
	hash, err := fastHasher.Hash(p.password)
	if err != nil {
		return p, nil, err
	}
	u := &db.User{Email: email, Name: strings.ToUpper(role[:1]) + role[1:], Role: role, PasswordHash: hash, Active: true}
	return p, u, st.db.CreateUser(ctx, u)
}

// seed makes a firm with an analyst and a viewer of Fjällbacka, connects
// Fjällbacka through the consent flow, waits for its first sync and keeps
// one of its vouchers to hang bench attachments on.
func (st *stand) seed(ctx context.Context) error {
	ap, au, err := st.addUser(ctx, "analyst@bench.test", db.RoleAnalyst)
	if err != nil {
		return err
	}
	vp, vu, err := st.addUser(ctx, "viewer@bench.test", db.RoleViewer)
	if err != nil {
		return err
	}
	st.company = &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "5568123474", Active: true}
	if err := st.db.CreateCompany(ctx, st.company); err != nil {
		return err
	}
	if err := st.db.SetMembers(ctx, st.company.ID, []int64{au.ID, vu.ID}); err != nil {
		return err
	}
	st.analystP = ap
	if st.analyst, err = st.login(ctx, ap); err != nil {
		return err
	}
	if st.viewer, err = st.login(ctx, vp); err != nil {
		return err
	}
	if err := st.connect(ctx, st.analyst, st.company); err != nil {
		return err
	}
	if st.conn, err = st.db.Connection(ctx, st.company.ID, "eaccounting"); err != nil {
		return err
	}
	if err := st.waitSync(ctx, st.company.ID); err != nil {
		return err
	}
	l, err := st.db.Vouchers(ctx, st.company.ID, db.VoucherFilter{PageSize: 1})
	if err != nil || len(l.Vouchers) == 0 {
		return fmt.Errorf("no voucher indexed: %v", err)
	}
	st.voucher = l.Vouchers[0]
	return st.useCurrentToken(ctx)
}

// useCurrentToken gives the bare handler the connection's access token as
// stored now (after a refresh the old one is dead).
func (st *stand) useCurrentToken(ctx context.Context) error {
	g, err := st.db.Grant(ctx, st.conn.ID)
	if err != nil {
		return err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(g.Data, &tok); err != nil || tok.AccessToken == "" {
		return errors.New("grant holds no access token")
	}
	st.bareTok.Store(&tok.AccessToken)
	return nil
}

func (st *stand) waitSync(ctx context.Context, companyID int64) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := st.db.SyncRuns(ctx, companyID, 1)
		if err != nil {
			return err
		}
		if len(runs) == 1 && runs[0].Status != db.SyncRunning {
			if runs[0].Status != db.SyncOK {
				return fmt.Errorf("first sync: %s: %s", runs[0].Status, runs[0].Error)
			}
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("first sync did not finish in 60s")
}

// bareHandler is the least a Go program must do to serve an attachment:
// GET /attachments/{id} with a fixed bearer token, GET its TemporaryUrl, copy
// the bytes. No session, no access check, no hash, no cache, no audit.
func (st *stand) bareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, st.sbURL+"/v2/attachments/"+url.PathEscape(id), nil)
		req.Header.Set("Authorization", "Bearer "+*st.bareTok.Load())
		req.Header.Set("Accept", "application/json")
		resp, err := st.upstream.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		var a struct{ ContentType, TemporaryUrl string }
		err = json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			http.Error(w, "metadata", http.StatusBadGateway)
			return
		}
		freq, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, a.TemporaryUrl, nil)
		f, err := st.upstream.Do(freq)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer f.Body.Close()
		w.Header().Set("Content-Type", a.ContentType)
		io.Copy(w, f.Body)
	})
}

// pdfChunk is what generated attachments are made of: a PDF header, then
// filler, so the portal serves them inline as PDFs.
var pdfChunk = func() []byte {
	b := bytes.Repeat([]byte("0123456789abcdef bench stream of a scanned invoice\n"), 1300)
	copy(b, "%PDF-1.4\n")
	return b[:64<<10]
}()

func generate(size int64) func(io.Writer) error {
	return func(w io.Writer) error {
		for n := int64(0); n < size; {
			k := min(int64(len(pdfChunk)), size-n)
			if _, err := w.Write(pdfChunk[:k]); err != nil {
				return err
			}
			n += k
		}
		return nil
	}
}

// doc is an attachment known to both the sandbox and the portal's index.
type doc struct {
	ExternalID string
	Path       string // the portal's document route
	Size       int64
}

// addDocs attaches n generated files of size bytes to the bench voucher
// upstream, and records them in the index as the voucher page would.
func (st *stand) addDocs(ctx context.Context, n int, size int64) ([]doc, error) {
	st.docMu.Lock()
	defer st.docMu.Unlock()
	out := make([]doc, 0, n)
	for start := 0; start < n; start += 500 {
		var rows []db.VoucherDocument
		for i := start; i < min(n, start+500); i++ {
			st.docCount++
			// eAccounting's ref is "fiscal year/voucher id".
			id, err := st.sb.AddAttachment(fjOrg, st.voucher.Ref[strings.LastIndex(st.voucher.Ref, "/")+1:], sandbox.File{
				Name: fmt.Sprintf("Faktura_bench_%d.pdf", st.docCount), ContentType: "application/pdf", Size: size, Generate: generate(size)})
			if err != nil {
				return nil, err
			}
			rows = append(rows, db.VoucherDocument{ConnectionID: st.voucher.ConnectionID, Kind: eaccounting.KindAttachment, ExternalID: id,
				FileName: fmt.Sprintf("Faktura_bench_%d.pdf", st.docCount), ContentType: "application/pdf"})
		}
		all, err := st.db.SetVoucherDocuments(ctx, st.company.ID, st.voucher.ID, rows)
		if err != nil {
			return nil, err
		}
		byExt := make(map[string]int64, len(all))
		for _, d := range all {
			byExt[d.ExternalID] = d.ID
		}
		for _, r := range rows {
			out = append(out, doc{ExternalID: r.ExternalID, Size: size,
				Path: fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", st.company.ID, st.voucher.ID, byExt[r.ExternalID])})
		}
	}
	return out, nil
}

// --- a browser, for logging in and for the consent flow ---

type browser struct {
	st   *stand
	c    *http.Client
	csrf string
}

func (st *stand) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{st: st, c: &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: st.load.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var (
	csrfRe    = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)
	flowRe    = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	newLinkRe = regexp.MustCompile(`id="new-link"[^>]*value="([^"]+)"`)
	// checkRe is where the callback's "checking permissions" page moves on to.
	checkRe = regexp.MustCompile(`http-equiv="refresh" content="[0-9]+;url=([^"]+)"`)
)

type page struct {
	status int
	loc    string
	body   string
}

func (b *browser) do(ctx context.Context, method, target string, form url.Values) (*page, error) {
	if !strings.HasPrefix(target, "http") {
		target = b.st.portal + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	p := &page{status: resp.StatusCode, body: string(raw)}
	if l := resp.Header.Get("Location"); l != "" {
		u, _ := req.URL.Parse(l)
		p.loc = u.String()
	}
	if m := csrfRe.FindStringSubmatch(p.body); m != nil && strings.HasPrefix(target, b.st.portal) {
		b.csrf = html.UnescapeString(m[1])
	}
	return p, nil
}

func (b *browser) want(ctx context.Context, method, target string, form url.Values, status int) (*page, error) {
	p, err := b.do(ctx, method, target, form)
	if err != nil {
		return nil, err
	}
	if p.status != status {
		return p, fmt.Errorf("%s %s = %d, want %d", method, strings.SplitN(target, "?", 2)[0], p.status, status)
	}
	return p, nil
}

func (b *browser) post(ctx context.Context, target string, form url.Values, status int) (*page, error) {
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.csrf)
	return b.want(ctx, http.MethodPost, target, form, status)
}

func (st *stand) login(ctx context.Context, p person) (*browser, error) {
	b := st.newBrowser()
	if _, err := b.want(ctx, http.MethodGet, "/login", nil, http.StatusOK); err != nil {
		return nil, err
	}
	if _, err := b.post(ctx, "/login", url.Values{"email": {p.email}, "password": {p.password}}, http.StatusSeeOther); err != nil {
		return nil, err
	}
	return b, nil
}

// cookieHeader is the browser's cookies for the portal, for the load
// generator's requests.
func (b *browser) cookieHeader() string {
	u, _ := url.Parse(b.st.portal)
	var parts []string
	for _, c := range b.c.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// connect runs one whole consent flow: the analyst makes a link, the
// accountant opens it, logs in at the sandbox, picks the company, approves,
// and comes back to the portal, which checks the grant and stores it.
func (st *stand) connect(ctx context.Context, analyst *browser, co *db.Company) error {
	return st.connectAs(ctx, analyst, co, "anna.lindqvist@example.se", "anna123", fjCompany)
}

// connectAs is connect with the accountant who logs in at the sandbox and
// the company (its CompanyIdentifier) picked there.
func (st *stand) connectAs(ctx context.Context, analyst *browser, co *db.Company, email, password, pick string) error {
	r, err := analyst.post(ctx, fmt.Sprintf("/companies/%d/links", co.ID), url.Values{}, http.StatusSeeOther)
	if err != nil {
		return err
	}
	pg, err := analyst.want(ctx, http.MethodGet, r.loc, nil, http.StatusOK)
	if err != nil {
		return err
	}
	m := newLinkRe.FindStringSubmatch(pg.body)
	if m == nil {
		return errors.New("company page shows no new link")
	}
	link := html.UnescapeString(m[1])
	acc := st.newBrowser()
	if _, err := acc.want(ctx, http.MethodGet, link, nil, http.StatusOK); err != nil {
		return err
	}
	r, err = acc.post(ctx, link, nil, http.StatusSeeOther)
	if err != nil {
		return err
	}
	pg, err = acc.want(ctx, http.MethodGet, r.loc, nil, http.StatusOK)
	if err != nil {
		return err
	}
	flow := func(p *page) string {
		if m := flowRe.FindStringSubmatch(p.body); m != nil {
			return m[1]
		}
		return ""
	}
	pg, err = acc.want(ctx, http.MethodPost, st.sbURL+"/connect/authorize/login", url.Values{
		"flow": {flow(pg)}, "email": {email}, "password": {password}}, http.StatusOK)
	if err != nil {
		return err
	}
	if strings.Contains(pg.body, `action="/connect/authorize/company"`) {
		if pg, err = acc.want(ctx, http.MethodPost, st.sbURL+"/connect/authorize/company", url.Values{
			"flow": {flow(pg)}, "company": {pick}}, http.StatusOK); err != nil {
			return err
		}
	}
	cb, err := acc.want(ctx, http.MethodPost, st.sbURL+"/connect/authorize/consent", url.Values{"flow": {flow(pg)}, "decision": {"allow"}}, http.StatusFound)
	if err != nil {
		return err
	}
	// The callback answers a "checking permissions" page that moves on (a
	// meta refresh) to the check, which answers with the result.
	checking, err := acc.want(ctx, http.MethodGet, cb.loc, nil, http.StatusOK)
	if err != nil {
		return err
	}
	m = checkRe.FindStringSubmatch(checking.body)
	if m == nil {
		return errors.New("the callback's page does not move on to the check")
	}
	r, err = acc.want(ctx, http.MethodGet, st.portal+html.UnescapeString(m[1]), nil, http.StatusSeeOther)
	if err != nil {
		return err
	}
	res, err := acc.want(ctx, http.MethodGet, r.loc, nil, http.StatusOK)
	if err != nil {
		return err
	}
	conn, err := st.db.Connection(ctx, co.ID, "eaccounting")
	if err != nil || conn.Status != db.ConnActive {
		return fmt.Errorf("consent flow did not connect (result page %d bytes): %v", len(res.body), err)
	}
	return nil
}
