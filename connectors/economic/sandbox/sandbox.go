// Package sandbox is an in-process stand-in for Visma e-conomic: the grant
// page (secure.e-conomic.com/secure/api1/requestaccess.aspx), the REST API
// (restapi.e-conomic.com) and the Documents API
// (apis.e-conomic.com/documentsapi/v4.0.1), served as one http.Handler.
//
// It is written from the reference (shared/reference/other-connectors.md §A)
// and the compact spec, never to suit Bilag's client: two header tokens on
// every call and nothing in URLs; the "demo"/"demo" tokens, GET only; a
// grant token appended as token=… to the redirect URL, keeping its query;
// app roles (SuperUser, Bookkeeping, Sales) and 403 where a role does not
// reach; the REST pagination object, its filter syntax ($eq:, $gte:, $and:
// …; a bad filter or an unknown property is a 400); the Documents API's
// cursor, /paged and /count; annotated errors on the REST API and
// application/problem+json on the Documents API; a fair-use counter per
// agreement answering 429 with Retry-After; and an x-callcost header.
//
// Where the reference is silent the sandbox makes a stated choice (marked
// "not documented"): what a declined grant sends back (the redirect without
// a token), what a user lacking the app's role gets (a grant with no role,
// whose calls answer 403), that a grant token is checked apart from the
// secret token (so /self names the app the grant was minted for), and the
// entry field naming a booked invoice (bookedInvoiceNumber, inferred).
//
// The export side (issue 26, seed 001) is written the same way, from
// e-conomic's own documentation source (e-conomic/slate) and the community
// OpenAPI document (spysystem/economic-rest); export.go names the sources
// and every choice made where they are silent. Each agreement has the
// lists a front system's invoices are paired against (product groups with
// their sales account per VAT zone, products, VAT accounts, VAT zones
// domestic/EU/abroad, payment terms of net days and of "current month + N",
// layouts, customer groups, journals with 1 "Daily"), customers found by
// CVR or number and created, products created (a product without its
// group is the documented annotated 400), draft invoices, their booking
// (bookWithNumber once per number; a booked invoice never changes), and
// journal vouchers of manual customer invoices with their PDF, left in the
// journal: e-conomic documents no call that books a journal.
//
// Routes: /secure/api1/requestaccess.aspx (the grant page), the REST API at
// the root (/self, /accounting-years/…, /invoices/booked/…, and the
// export's /product-groups, /products, /vat-accounts, /vat-zones,
// /payment-terms, /layouts, /customer-groups, /customers,
// /invoices/drafts, /journals/…), and the Documents API under
// /documentsapi/v4.0.1/….
package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Roles an app is created with, as e-conomic names them.
const (
	RoleSuperUser   = "SuperUser"
	RoleBookkeeping = "Bookkeeping"
	RoleSales       = "Sales"
)

// App is an app registered in a developer agreement: its tokens and the role
// chosen when it was created.
type App struct {
	Name        string
	PublicToken string
	SecretToken string
	Role        string
}

// DocumentsPrefix is where the Documents API is served.
const DocumentsPrefix = "/documentsapi/v4.0.1"

// Option changes how a Sandbox behaves.
type Option func(*config)

type config struct {
	apps        []App
	baseURL     string
	dailyLimit  int
	docsPage    int
	now         func() time.Time
	logger      *slog.Logger
	vouchers    map[int64]int
	years       map[int64][]*year
	latency     time.Duration
	demoEnabled bool
}

// WithApp registers an app. Several may be registered.
func WithApp(a App) Option { return func(c *config) { c.apps = append(c.apps, a) } }

// WithBaseURL sets the public base URL (no trailing slash) of absolute
// links (pagination, pdf.download, the grant page's forms); without it they
// are derived from each request.
func WithBaseURL(u string) Option {
	return func(c *config) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithDailyLimit sets the fair-use calls per agreement and day (e-conomic:
// 50,000 per 24 hours; the sandbox counts per UTC day).
func WithDailyLimit(n int) Option { return func(c *config) { c.dailyLimit = n } }

// WithDocumentsPageSize sets the items per cursor page of AttachedDocuments
// (e-conomic: usually 1,000).
func WithDocumentsPageSize(n int) Option { return func(c *config) { c.docsPage = n } }

// WithClock injects the clock of the fair-use day.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithLogger sets the logger (never a token).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithVouchers gives an agreement n vouchers per accounting year instead of
// its default.
func WithVouchers(agreement int64, n int) Option {
	return func(c *config) { c.vouchers[agreement] = n }
}

// WithAccountingYear gives an agreement one more accounting year, id
// ("2026", or "2026/2027" for a split year) from from to to (YYYY-MM-DD),
// with no entries: for booking invoices of a later period than the demo
// years (2024 closed and 2025; Fjordkaffe's 2024/2025).
func WithAccountingYear(agreement int64, id, from, to string) Option {
	return func(c *config) { c.years[agreement] = append(c.years[agreement], &year{id: id, from: from, to: to}) }
}

// WithLatency adds d to every API answer.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// Stats counts what the sandbox served, for tests to assert on traffic.
type Stats struct {
	// Calls by endpoint template ("GET /accounting-years/{year}/entries").
	Calls map[string]int
	// RateLimited counts 429 answers.
	RateLimited int
}

// Sandbox is the stand-in. All state is guarded by mu.
type Sandbox struct {
	cfg config
	mux *http.ServeMux

	mu       sync.Mutex
	world    *world
	grants   map[string]*grant
	sessions map[string]string // session id → user email
	counts   map[string]int    // agreement@day → calls
	stats    Stats
}

// grant is one AgreementGrantToken.
type grant struct {
	agreement int64
	app       App
	// role is what the grant reaches: the app's role when the granting
	// user has it (or is SuperUser), else none (not documented).
	role  string
	login string
}

// New builds a Sandbox with the demo world.
func New(opts ...Option) *Sandbox {
	cfg := config{dailyLimit: 50000, docsPage: 1000, now: time.Now, vouchers: map[int64]int{}, years: map[int64][]*year{}, demoEnabled: true}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	s := &Sandbox{cfg: cfg, grants: map[string]*grant{}, sessions: map[string]string{}, counts: map[string]int{},
		stats: Stats{Calls: map[string]int{}}}
	s.world = buildWorld(cfg.vouchers, cfg.years)
	s.routes()
	return s
}

// ServeHTTP serves the grant page and both APIs.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Stats returns a copy of the counters.
func (s *Sandbox) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Calls: map[string]int{}, RateLimited: s.stats.RateLimited}
	for k, v := range s.stats.Calls {
		st.Calls[k] = v
	}
	return st
}

// RemoveApp withdraws every grant of app in agreement, as a customer does by
// removing the app in e-conomic; its tokens then answer 401.
func (s *Sandbox) RemoveApp(agreement int64, appPublicToken string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for t, g := range s.grants {
		if g.agreement == agreement && g.app.PublicToken == appPublicToken {
			delete(s.grants, t)
			n++
		}
	}
	return n
}

// GrantFor mints a grant token directly, as if user had approved app for
// agreement: for tests and tools that need no browser.
func (s *Sandbox) GrantFor(appPublicToken, email string, agreement int64) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, ok := s.app(appPublicToken)
	if !ok {
		return "", false
	}
	u := s.world.user(email)
	if u == nil || u.roles[agreement] == "" {
		return "", false
	}
	return s.mintLocked(app, u, agreement), true
}

func (s *Sandbox) mintLocked(app App, u *user, agreement int64) string {
	role := ""
	if r := u.roles[agreement]; r == RoleSuperUser || r == app.Role {
		role = app.Role
	}
	tok := randomToken()
	s.grants[tok] = &grant{agreement: agreement, app: app, role: role, login: u.email}
	return tok
}

func (s *Sandbox) app(public string) (App, bool) {
	for _, a := range s.cfg.apps {
		if a.PublicToken == public {
			return a, true
		}
	}
	return App{}, false
}

func (s *Sandbox) appBySecret(secret string) (App, bool) {
	for _, a := range s.cfg.apps {
		if a.SecretToken == secret {
			return a, true
		}
	}
	return App{}, false
}

func (s *Sandbox) now() time.Time { return s.cfg.now().UTC() }

func (s *Sandbox) base(r *http.Request) string {
	if s.cfg.baseURL != "" {
		return s.cfg.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func (s *Sandbox) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /secure/api1/requestaccess.aspx", s.grantPage)
	m.HandleFunc("POST /secure/api1/requestaccess.aspx", s.grantPost)
	m.HandleFunc("GET /{$}", s.home)
	for _, e := range endpoints() {
		m.Handle(e.pattern, s.api(e))
	}
	m.Handle("/", s.api(endpoint{pattern: "/", name: "unknown", handle: func(s *Sandbox, c *call) {
		c.fail(http.StatusNotFound, "The requested resource was not found.")
	}}))
	s.mux = m
}
