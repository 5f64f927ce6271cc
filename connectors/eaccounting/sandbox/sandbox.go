// Package sandbox is an in-process stand-in for Visma's identity server
// (identity.vismaonline.com) and the Visma eAccounting API v2
// (eaccountingapi.vismaonline.com/v2), served as one http.Handler.
//
// It is written from Visma's published material (the official OpenAPI 3.1
// document, the identity server's discovery document, the error-code and
// rate-limit pages; see shared/reference/eaccounting.md), never from what is
// convenient for Bilag's client, so that the client is tested against the
// rules it will meet in production: single-use codes, rotating refresh tokens,
// one token per user and company, scopes, product variants, program
// permissions, the 600-per-minute limit and the {ErrorCode, …} error bodies.
//
// Where Visma does not document a behaviour the sandbox makes a plain, stated
// choice (marked "not documented" in comments) rather than guessing silently:
// the TemporaryUrl lifetime, the exact $filter literal syntax, the body of a
// 401, and the HTTP status of each error code.
//
// Routes: the identity server lives at the root (/.well-known/openid-configuration,
// /connect/...), the API under /v2/..., and the files behind TemporaryUrl
// under /files/....
package sandbox

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Client is an OAuth client registered with the identity server, as a
// partner's application is registered with Visma. Redirect URIs are matched
// exactly, as Visma does.
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// Option changes how a Sandbox behaves. Odd cases (short tokens, 429s,
// failures) are options of one handler, never global switches, so parallel
// tests cannot disturb each other.
type Option func(*config)

type config struct {
	clients         []Client
	baseURL         string
	tokenLifetime   time.Duration
	codeLifetime    time.Duration
	fileURLLifetime time.Duration
	rateLimit       int
	latency         time.Duration
	failShare       float64
	failStatus      int
	now             func() time.Time
	voucherCounts   map[string]int
	seed            uint64
	logger          *slog.Logger
}

// WithClient registers an OAuth client. Several may be registered.
func WithClient(c Client) Option {
	return func(cfg *config) { cfg.clients = append(cfg.clients, c) }
}

// WithBaseURL sets the public base URL (scheme and host, no trailing slash)
// used for the issuer, the iss parameter, the discovery document and
// TemporaryUrl. Without it the base is derived from each request.
func WithBaseURL(u string) Option {
	return func(cfg *config) { cfg.baseURL = strings.TrimRight(u, "/") }
}

// WithTokenLifetime sets the access-token lifetime (Visma: one hour).
func WithTokenLifetime(d time.Duration) Option {
	return func(cfg *config) { cfg.tokenLifetime = d }
}

// WithCodeLifetime sets how long an authorization code may be exchanged
// (default five minutes, IdentityServer's default).
func WithCodeLifetime(d time.Duration) Option {
	return func(cfg *config) { cfg.codeLifetime = d }
}

// WithTemporaryURLLifetime sets how long a TemporaryUrl works. Visma does not
// document the lifetime ("This URL will expire and should not be stored"), so
// the default of 15 minutes is a choice, short enough to catch caching.
func WithTemporaryURLLifetime(d time.Duration) Option {
	return func(cfg *config) { cfg.fileURLLifetime = d }
}

// WithRateLimit sets the number of requests allowed per minute per client and
// endpoint (Visma: 600). Endpoint means method plus path template, e.g.
// "GET /v2/vouchers/{fiscalyearId}".
func WithRateLimit(perMinute int) Option {
	return func(cfg *config) { cfg.rateLimit = perMinute }
}

// WithLatency adds d to every API and file response.
func WithLatency(d time.Duration) Option {
	return func(cfg *config) { cfg.latency = d }
}

// WithFailures fails the given share (0..1) of API requests with status
// (500 or 503). The choice is drawn from a seeded generator, so a run is
// repeatable.
func WithFailures(share float64, status int) Option {
	return func(cfg *config) { cfg.failShare, cfg.failStatus = share, status }
}

// WithClock injects the clock used for token, code and URL expiry and for
// the rate-limit window.
func WithClock(now func() time.Time) Option {
	return func(cfg *config) { cfg.now = now }
}

// WithVoucherCount gives the company with that org number n vouchers instead
// of the few hundred it has by default. Vouchers are generated when the
// company is first used, and files only when downloaded.
func WithVoucherCount(orgNumber string, n int) Option {
	return func(cfg *config) { cfg.voucherCounts[orgNumber] = n }
}

// WithSeed changes the seed of the generated world (same seed, same data).
func WithSeed(seed uint64) Option {
	return func(cfg *config) { cfg.seed = seed }
}

// WithLogger sets the logger for notable events (never tokens or secrets).
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) { cfg.logger = l }
}

// Stats counts what the sandbox has served, so tests can assert on traffic
// (how many refreshes, how many downloads) rather than on timing.
type Stats struct {
	// TokenRequests counts /connect/token calls by grant_type, failed ones included.
	TokenRequests map[string]int
	// CodeExchanges and Refreshes count successful grants of each kind.
	CodeExchanges int
	Refreshes     int
	// Revocations counts calls to /connect/revocation.
	Revocations int
	// APIRequests counts API calls keyed by endpoint template, e.g.
	// "GET /v2/vouchers/{fiscalyearId}".
	APIRequests map[string]int
	// RateLimited counts requests refused with 429.
	RateLimited int
	// FileDownloads counts successful file downloads through TemporaryUrl.
	FileDownloads int
}

// Sandbox is the stand-in identity server and API. It implements http.Handler.
// All state lives here, guarded by mu.
type Sandbox struct {
	cfg     config
	mux     *http.ServeMux
	signKey []byte
	// idKey signs id_tokens. It is made on first use, not in New: a 2048-bit
	// key costs a tenth of a second, and most sandboxes (one per test) never
	// issue an id_token. Once made, it lasts as long as the sandbox.
	idKey func() (*signingKey, error)

	mu            sync.Mutex
	companies     []*company
	users         []*user
	flows         map[string]*authFlow
	codes         map[string]*authCode
	grants        map[string]*grant
	accessTokens  map[string]*accessToken
	refreshTokens map[string]*refreshToken
	refuseRefresh bool
	windows       map[string]*rateWindow
	failRNG       *mrand.Rand
	stats         Stats
}

// New builds a Sandbox with the seeded demo world.
func New(opts ...Option) *Sandbox {
	cfg := config{
		tokenLifetime:   time.Hour,
		codeLifetime:    5 * time.Minute,
		fileURLLifetime: 15 * time.Minute,
		rateLimit:       600,
		failStatus:      http.StatusServiceUnavailable,
		now:             time.Now,
		voucherCounts:   map[string]int{},
		seed:            0x7a9dbeae72f8ce9a,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		panic(fmt.Errorf("sandbox: reading random key: %w", err))
	}
	s := &Sandbox{
		cfg:           cfg,
		signKey:       key,
		idKey:         sync.OnceValues(newSigningKey),
		flows:         map[string]*authFlow{},
		codes:         map[string]*authCode{},
		grants:        map[string]*grant{},
		accessTokens:  map[string]*accessToken{},
		refreshTokens: map[string]*refreshToken{},
		windows:       map[string]*rateWindow{},
		failRNG:       mrand.New(mrand.NewPCG(cfg.seed, 0x5eed)),
		stats:         Stats{TokenRequests: map[string]int{}, APIRequests: map[string]int{}},
	}
	s.buildWorld()
	s.routes()
	return s
}

// ServeHTTP serves the identity server, the API and the file downloads.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// RefuseNextRefresh makes the next refresh_token grant fail with
// invalid_grant, as when Visma has invalidated the token (a password change,
// for instance) without telling anyone.
func (s *Sandbox) RefuseNextRefresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseRefresh = true
}

// Stats returns a copy of the counters.
func (s *Sandbox) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.TokenRequests = make(map[string]int, len(s.stats.TokenRequests))
	for k, v := range s.stats.TokenRequests {
		st.TokenRequests[k] = v
	}
	st.APIRequests = make(map[string]int, len(s.stats.APIRequests))
	for k, v := range s.stats.APIRequests {
		st.APIRequests[k] = v
	}
	return st
}

func (s *Sandbox) now() time.Time { return s.cfg.now().UTC() }

// baseURL is the public origin of the sandbox for this request.
func (s *Sandbox) baseURL(r *http.Request) string {
	if s.cfg.baseURL != "" {
		return s.cfg.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Sandbox) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	m.HandleFunc("GET /.well-known/openid-configuration/jwks", s.jwks)
	m.HandleFunc("GET /connect/authorize", s.authorize)
	m.HandleFunc("POST /connect/authorize/login", s.authorizeLogin)
	m.HandleFunc("POST /connect/authorize/company", s.authorizeCompany)
	m.HandleFunc("POST /connect/authorize/consent", s.authorizeConsent)
	m.HandleFunc("POST /connect/token", s.token)
	m.HandleFunc("POST /connect/revocation", s.revocation)
	m.HandleFunc("GET /connect/userinfo", s.userinfo)
	m.HandleFunc("GET /{$}", s.home)

	for _, e := range endpointTable() {
		m.Handle(e.pattern, s.api(e))
	}
	// Unknown API paths still get Visma's error shape, not the mux's text.
	m.Handle("/v2/", s.api(endpoint{pattern: "/v2/", handle: func(s *Sandbox, c *call) { c.fail(http.StatusNotFound, 3000, "The requested resource was not found.") }}))
	m.HandleFunc("GET /files/{company}/{id}/{name}", s.download)
	s.mux = m
}

// newToken returns an opaque random string for tokens, codes and flow ids.
func newToken() string {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(fmt.Errorf("sandbox: reading random token: %w", err))
	}
	const hex = "0123456789ABCDEF"
	out := make([]byte, 64)
	for i, c := range b {
		out[2*i], out[2*i+1] = hex[c>>4], hex[c&15]
	}
	return string(out)
}

// randomUUID is a version-4 UUID from crypto/rand, for ErrorId and uploads.
func randomUUID() uid {
	var u uid
	if _, err := io.ReadFull(rand.Reader, u[:]); err != nil {
		panic(fmt.Errorf("sandbox: reading random id: %w", err))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// uid is a GUID kept as 16 bytes, so a company with 100,000 vouchers stays small.
type uid [16]byte

func (u uid) String() string {
	const hex = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hex[c>>4], hex[c&15]
		j += 2
	}
	return string(b[:])
}

func (u uid) IsZero() bool { return u == uid{} }

// parseUID accepts the 8-4-4-4-12 form, in either case.
func parseUID(s string) (uid, bool) {
	var u uid
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// uidFrom draws a version-4-shaped GUID from a seeded generator, so the
// world's ids are the same on every run.
func uidFrom(r *mrand.Rand) uid {
	var u uid
	a, b := r.Uint64(), r.Uint64()
	for i := range 8 {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}
