package db_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"bilag/connectors"
	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
)

// grantEnv is a database holding one connection whose grant came from the
// sandbox, and the connector that refreshes it.
type grantEnv struct {
	t       *testing.T
	clock   *dbtest.Clock
	url     string
	keys    *seal.Keyring
	db      *db.DB
	sb      *sandbox.Sandbox
	sbURL   string
	conn    *eaccounting.Connector
	connID  int64
	failing atomic.Int32 // token requests still to answer with 503
}

const (
	grantClientID     = "bilag-db-test"
	grantClientSecret = "db-test-client-secret"
	grantCallback     = "http://bilag.test/oauth/eaccounting/callback"
)

// newGrantEnv sets one up on the database at url.
func newGrantEnv(t *testing.T, url string) *grantEnv {
	t.Helper()
	g := &grantEnv{t: t, url: url, clock: dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	secret := make([]byte, 32)
	rand.Read(secret)
	var err error
	if g.keys, err = seal.NewKeyring(secret); err != nil {
		t.Fatal(err)
	}
	g.db = g.open()
	g.sb = sandbox.New(
		sandbox.WithClient(sandbox.Client{ID: grantClientID, Secret: grantClientSecret, RedirectURIs: []string{grantCallback}}),
		sandbox.WithClock(g.clock.Now),
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/connect/token" && g.failing.Add(-1) >= 0 {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		g.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	g.sbURL = ts.URL
	g.conn, err = eaccounting.Config{
		ClientID: grantClientID, ClientSecret: grantClientSecret,
		AuthURL: ts.URL + "/connect/authorize", TokenURL: ts.URL + "/connect/token", RevokeURL: ts.URL + "/connect/revocation",
		Issuer: ts.URL, APIURL: ts.URL + "/v2", Now: g.clock.Now,
	}.Open(nil, ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	g.connect()
	return g
}

// open opens another handle on the same database, as another process
// would.
func (g *grantEnv) open() *db.DB {
	g.t.Helper()
	d, err := db.Open(g.t.Context(), g.url, db.Options{Keys: g.keys, Now: g.clock.Now})
	if err != nil {
		g.t.Fatalf("Open() = %v", err)
	}
	g.t.Cleanup(func() { d.Close() })
	return d
}

var flowField = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// approve logs in at the sandbox as Anna, picks Fjällbacka and allows, then
// exchanges the code like the portal's callback does.
func (g *grantEnv) approve() connectors.Grant {
	t := g.t
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) (*http.Response, string) {
		resp, err := hc.PostForm(g.sbURL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	flow := func(body string) string {
		m := flowField.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("sandbox page has no flow:\n%s", body)
		}
		return m[1]
	}
	const verifier = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	loginURL, err := g.conn.LoginURL(grantCallback, "state-1", verifier)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(loginURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, page := post("/connect/authorize/login", url.Values{"flow": {flow(string(body))}, "email": {"anna.lindqvist@example.se"}, "password": {"anna123"}})
	_, page = post("/connect/authorize/company", url.Values{"flow": {flow(page)}, "company": {"1180442"}})
	cb, _ := post("/connect/authorize/consent", url.Values{"flow": {flow(page)}, "decision": {"allow"}})
	loc, err := cb.Location()
	if err != nil {
		t.Fatalf("consent answer has no redirect: %v", err)
	}
	gr, err := g.conn.HandleCallback(t.Context(), grantCallback, loc.Query(), verifier)
	if err != nil {
		t.Fatalf("HandleCallback() = %v", err)
	}
	return gr
}

// connect stores a connection for a fresh company, as the consent callback does.
func (g *grantEnv) connect() {
	t := g.t
	t.Helper()
	ctx := t.Context()
	co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	if err := g.db.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	l := &db.ConsentLink{CompanyID: co.ID, Connector: "eaccounting", ExpectedOrgNumber: co.OrgNumber, CreatedByID: 1, ExpiresAt: g.clock.Now().Add(time.Hour)}
	if err := g.db.CreateLink(ctx, l, "link-secret"); err != nil {
		t.Fatal(err)
	}
	if err := g.db.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
		t.Fatal(err)
	}
	conn := &db.Connection{CompanyID: co.ID, Connector: "eaccounting", ExternalID: "1180442", ExternalName: co.Name, OrgNumber: co.OrgNumber}
	if err := g.db.Connect(ctx, l.ID, conn, g.approve()); err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	g.connID = conn.ID
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func (g *grantEnv) tokens(d *db.DB) tokenPair {
	g.t.Helper()
	gr, err := d.Grant(g.t.Context(), g.connID)
	if err != nil {
		g.t.Fatalf("Grant() = %v", err)
	}
	var tp tokenPair
	if err := json.Unmarshal(gr.Data, &tp); err != nil {
		g.t.Fatal(err)
	}
	return tp
}

// fetchConcurrently asks for a fresh grant n times at once through each
// handle and returns the access tokens handed out.
func (g *grantEnv) fetchConcurrently(n int, handles ...*db.DB) []string {
	g.t.Helper()
	var mu sync.Mutex
	var tokens []string
	var errs []error
	var wg sync.WaitGroup
	for _, d := range handles {
		for range n {
			wg.Go(func() {
				gr, err := d.FreshGrant(g.t.Context(), g.connID, 2*time.Minute, g.conn.Refresh)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				var tp tokenPair
				json.Unmarshal(gr.Data, &tp)
				tokens = append(tokens, tp.AccessToken)
			})
		}
	}
	wg.Wait()
	for _, err := range errs {
		g.t.Errorf("FreshGrant() = %v", err)
	}
	return tokens
}

func assertOneRefresh(t *testing.T, g *grantEnv, tokens []string, want int, old tokenPair) {
	t.Helper()
	if len(tokens) != want {
		t.Fatalf("successes = %d, want %d", len(tokens), want)
	}
	if got := g.sb.Stats().Refreshes; got != 1 {
		t.Errorf("refreshes at the sandbox = %d, want 1", got)
	}
	if got := g.sb.Stats().TokenRequests["refresh_token"]; got != 1 {
		t.Errorf("refresh_token requests = %d, want 1", got)
	}
	for _, tok := range tokens {
		if tok != tokens[0] || tok == old.AccessToken {
			t.Fatalf("requests got different or stale access tokens")
		}
	}
	if got := g.tokens(g.db).AccessToken; got != tokens[0] {
		t.Errorf("stored access token is not the one handed out")
	}
}

// TestFreshGrantRefreshesOnce: 50 requests at once find the access token
// expired; exactly one refresh happens and all 50 get the new token.
func TestFreshGrantRefreshesOnce(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		g := newGrantEnv(t, url)
		old := g.tokens(g.db)
		g.clock.Advance(time.Hour + time.Minute)
		tokens := g.fetchConcurrently(50, g.db)
		assertOneRefresh(t, g, tokens, 50, old)
	})
}

// TestFreshGrantRefreshesOnceAcrossHandles: the same from two handles on one
// database, as two instances of Bilag would; the lease in the row (SQLite)
// or the row lock (PostgreSQL) decides.
func TestFreshGrantRefreshesOnceAcrossHandles(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		g := newGrantEnv(t, url)
		other := g.open()
		old := g.tokens(g.db)
		g.clock.Advance(time.Hour + time.Minute)
		tokens := g.fetchConcurrently(25, g.db, other)
		assertOneRefresh(t, g, tokens, 50, old)
		if got := g.tokens(other).RefreshToken; got == old.RefreshToken {
			t.Errorf("the other handle still reads the spent refresh token")
		}
	})
}

// TestRefreshFailures: invalid_grant needs a new approval; a 503 does not.
func TestRefreshFailures(t *testing.T) {
	t.Parallel()
	for _, dl := range dbtest.Dialects() {
		t.Run(dl.Name, func(t *testing.T) { testRefreshFailures(t, dl.URL) })
	}
}

func testRefreshFailures(t *testing.T, newURL func(testing.TB) string) {
	t.Run("invalid_grant", func(t *testing.T) {
		g := newGrantEnv(t, newURL(t))
		g.sb.RefuseNextRefresh()
		g.clock.Advance(2 * time.Hour)
		_, err := g.db.FreshGrant(t.Context(), g.connID, 2*time.Minute, g.conn.Refresh)
		if !errors.Is(err, connectors.ErrGrantRevoked) {
			t.Fatalf("FreshGrant() = %v, want ErrGrantRevoked", err)
		}
		c, err := g.db.ConnectionByID(t.Context(), g.connID)
		if err != nil {
			t.Fatal(err)
		}
		// Storage keeps the error and frees the lease; ending the connection
		// is the caller's decision (connections.Service), through
		// EndConnection.
		if c.Status != db.ConnActive || c.LastError == "" || c.LeaseOwner != "" {
			t.Errorf("connection = {%s, last error %q, lease %q}, want still active with the error and no lease", c.Status, c.LastError, c.LeaseOwner)
		}
		if got := g.sb.Stats().TokenRequests["refresh_token"]; got != 1 {
			t.Errorf("refresh_token requests = %d, want 1 (no retry of a dead grant)", got)
		}
		for i, want := range []bool{true, false} {
			if ended, err := g.db.EndConnection(t.Context(), g.connID, "refresh: invalid_grant"); err != nil || ended != want {
				t.Errorf("EndConnection() #%d = %v, %v, want %v (only the first call ends it)", i+1, ended, err, want)
			}
		}
		if _, err := g.db.FreshGrant(t.Context(), g.connID, 2*time.Minute, g.conn.Refresh); !errors.Is(err, db.ErrNeedsReapproval) {
			t.Errorf("FreshGrant() after EndConnection = %v, want ErrNeedsReapproval", err)
		}
	})
	t.Run("transient 503", func(t *testing.T) {
		g := newGrantEnv(t, newURL(t))
		g.failing.Store(1)
		g.clock.Advance(2 * time.Hour)
		_, err := g.db.FreshGrant(t.Context(), g.connID, 2*time.Minute, g.conn.Refresh)
		if !errors.Is(err, connectors.ErrUnavailable) || errors.Is(err, connectors.ErrGrantRevoked) {
			t.Fatalf("FreshGrant() = %v, want ErrUnavailable", err)
		}
		c, err := g.db.ConnectionByID(t.Context(), g.connID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != db.ConnActive || c.LastError == "" || c.LeaseOwner != "" {
			t.Errorf("connection = {%s, last error %q, lease %q}, want active with the error and no lease", c.Status, c.LastError, c.LeaseOwner)
		}
		// The refresh token was not spent: the next try works.
		if _, err := g.db.FreshGrant(t.Context(), g.connID, 2*time.Minute, g.conn.Refresh); err != nil {
			t.Fatalf("FreshGrant() after the outage = %v", err)
		}
		if c, _ := g.db.ConnectionByID(t.Context(), g.connID); c.Status != db.ConnActive || c.LastError != "" {
			t.Errorf("connection after recovery = {%s, %q}, want active without error", c.Status, c.LastError)
		}
	})
}

// rawFiles is the SQLite database as it lies on disk.
func rawFiles(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestNoTokensOnDisk: neither the first tokens nor the refreshed ones
// appear in the database files in plain text. (SQLite: its files are the
// test's own; TestTamperedCiphertext shows the same sealing on PostgreSQL.)
func TestNoTokensOnDisk(t *testing.T) {
	t.Parallel()
	g := newGrantEnv(t, dbtest.SQLiteURL(t))
	first := g.tokens(g.db)
	g.clock.Advance(2 * time.Hour)
	if _, err := g.db.FreshGrant(t.Context(), g.connID, 2*time.Minute, g.conn.Refresh); err != nil {
		t.Fatal(err)
	}
	second := g.tokens(g.db)
	raw := rawFiles(t, strings.TrimPrefix(g.url, "sqlite://"))
	if len(raw) == 0 {
		t.Fatal("no database files found")
	}
	for name, tok := range map[string]string{"first access": first.AccessToken, "first refresh": first.RefreshToken, "second access": second.AccessToken, "second refresh": second.RefreshToken} {
		if tok == "" {
			t.Fatalf("%s token is empty", name)
		}
		if bytes.Contains(raw, []byte(tok)) {
			t.Errorf("the %s token is in the database files in plain text", name)
		}
	}
}

// TestTamperedCiphertext: one flipped byte in a stored grant gives a
// decryption error, never a wrong token.
func TestTamperedCiphertext(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		g := newGrantEnv(t, url)
		c, err := g.db.ConnectionByID(t.Context(), g.connID)
		if err != nil {
			t.Fatal(err)
		}
		raw := rawDB(t, url)
		for _, i := range []int{0, len(c.TokenSealed) / 2, len(c.TokenSealed) - 1} {
			bad := bytes.Clone(c.TokenSealed)
			bad[i] ^= 0x01
			if err := raw.Exec("UPDATE connections SET token_sealed = ? WHERE id = ?", bad, g.connID).Error; err != nil {
				t.Fatal(err)
			}
			gr, err := g.db.Grant(t.Context(), g.connID)
			if !errors.Is(err, seal.ErrDecrypt) {
				t.Errorf("Grant() with byte %d flipped = %q, %v; want seal.ErrDecrypt", i, gr.Data, err)
			}
		}
		// Another connection's ciphertext does not open in this row either.
		if err := raw.Exec("UPDATE connections SET token_sealed = ?, id = ? WHERE id = ?", c.TokenSealed, g.connID+100, g.connID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := g.db.Grant(t.Context(), g.connID+100); !errors.Is(err, seal.ErrDecrypt) {
			t.Errorf("Grant() of a ciphertext moved to another row = %v, want seal.ErrDecrypt", err)
		}
	})
}

// rawDB opens the database behind db's back, as an attacker with write
// access to it would.
func rawDB(t *testing.T, url string) *gorm.DB {
	t.Helper()
	var dl gorm.Dialector
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		dl = sqlite.Open("file:" + path + "?_busy_timeout=10000")
	} else {
		dl = postgres.Open(url)
	}
	raw, err := gorm.Open(dl, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d, err := raw.DB(); err == nil {
			d.Close()
		}
	})
	return raw
}
