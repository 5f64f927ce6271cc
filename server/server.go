// Package server is Bilag's web server: Echo routes, middleware (sessions,
// CSRF, security headers, access control) and thin handlers that parse a
// request, make one call to db or to the connection service
// (server/connections), and render a page.
package server

import (
	"bilag/server/evidence"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/db/seal"
	"bilag/public"
	"bilag/server/accountant"
	"bilag/server/connections"
	"bilag/server/mail"
	"bilag/server/metrics"
	"bilag/server/password"
	"bilag/server/sealed"
	"bilag/views"
)

// Options are what a Server is built from.
type Options struct {
	DB     *db.DB
	Logger *slog.Logger
	// BaseURL is the public URL of the portal; links and redirect URIs
	// are made from it.
	BaseURL *url.URL
	// SecretKey is the root secret the cookie keys derive from.
	SecretKey []byte
	// Connections does the work on connections; its connectors are the
	// ones the server offers.
	Connections *connections.Service
	// FirmName is shown to accountants on the consent pages.
	FirmName string
	// FirmLogo is the firm's logo, PNG or JPEG bytes (checked by config),
	// shown in the consent pages' header; FirmLogoType is its media type.
	FirmLogo     []byte
	FirmLogoType string
	// FirmContact is how an accountant reaches the firm.
	FirmContact string
	// FirmPrivacyURL is the firm's privacy notice.
	FirmPrivacyURL string
	// Timezone is the zone the portal's pages print times in; nil means
	// Europe/Stockholm. The accountant's pages use the company's country's.
	Timezone *time.Location
	// LinkTTL is the default lifetime of a consent link.
	LinkTTL time.Duration
	// DemoLogins are shown on the login page in demo mode.
	DemoLogins []DemoLogin
	// DemoInvoices are, in demo mode, a sample upload in Bilag's JSON
	// invoice format per receiving connector (e-conomic's export: a month
	// of a Danish company's invoices), offered for download on the imports
	// page of a company with that connection.
	DemoInvoices map[string][]byte
	// FormOrigins are the upstream origins a form may send the browser to
	// (the identity servers of RedirectConnectors), for CSP form-action.
	FormOrigins []string
	Now         func() time.Time
	// Metrics records Prometheus metrics; nil turns them off.
	Metrics *metrics.Metrics
	// Hasher hashes the passwords set on the admin pages; the zero value
	// means password.Default().
	Hasher password.Hasher
	// ConvertWait is how long a TIFF conversion waits for a free slot
	// before the open is answered 503; 0 means 5 seconds.
	ConvertWait time.Duration
	// AdminSecondFactorOptional lets admins work without a second factor
	// (demo mode); otherwise an admin without one can do nothing but enrol.
	AdminSecondFactorOptional bool
	// ClientSecondFactorRequired: a client user without a second factor
	// may only enrol (BILAG_CLIENT_2FA=required).
	ClientSecondFactorRequired bool
	// Mailer sends the portal's mail; nil is no mail. A *mail.Catcher
	// (demo mode) keeps it for /admin/mail.
	Mailer mail.Mailer
	// ConnectorWords are each connector's own words for the pages, by
	// connector name (views.Options.Connectors).
	ConnectorWords map[string]fs.FS
	// Static defaults to the embedded files.
	Static fs.FS
	// Packs builds evidence packs; nil builds one whose files go to a
	// temporary directory of this process (tests).
	Packs *evidence.Packer
}

// DemoLogin is a login printed on the demo login page.
type DemoLogin struct{ Role, Email, Password string }

// Server is Bilag's HTTP handler.
type Server struct {
	db      *db.DB
	log     *slog.Logger
	baseURL *url.URL
	cookies *sealed.Jar
	// receipts seals the addresses of approvers' receipts.
	receipts *sealed.Tokens
	secure   bool
	conns    *connections.Service
	// packs builds evidence packs (evidence.go).
	packs *evidence.Packer
	firm  string
	// firmInfo is who asks, on the accountant's pages (and the logo
	// /firm/logo serves them).
	firmInfo  firmInfo
	zone      *time.Location
	linkTTL   time.Duration
	demo      []DemoLogin
	demoInv   map[string][]byte
	formSrc   []string
	now       func() time.Time
	views     *views.Renderer
	static    fs.FS
	staticVer string
	throttle  *throttle
	echo      *echo.Echo
	metrics   *metrics.Metrics
	hasher    password.Hasher
	convert   *converter
	// adminNeeds2FA: an admin without a second factor may only enrol.
	adminNeeds2FA bool
	// clientNeeds2FA: the same for client users.
	clientNeeds2FA bool
	mailer         mail.Mailer
	// dummyHash is made on the first login of an unknown address, not at
	// start: a hash costs 64 MiB and most commands never need one.
	dummyHash func() (string, error)
}

// New builds the server and its routes.
func New(opt Options) (*Server, error) {
	if opt.DB == nil || opt.BaseURL == nil || opt.Connections == nil {
		return nil, errors.New("server: DB, BaseURL and Connections are required")
	}
	if len(opt.SecretKey) < 32 {
		return nil, errors.New("server: secret key must be at least 32 bytes")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Static == nil {
		opt.Static = public.FS()
	}
	if opt.LinkTTL <= 0 {
		opt.LinkTTL = 7 * 24 * time.Hour
	}
	if opt.Hasher == (password.Hasher{}) {
		opt.Hasher = password.Default()
	}
	if opt.FirmName == "" {
		opt.FirmName = "Bilag"
	}
	if opt.Timezone == nil {
		loc, err := time.LoadLocation("Europe/Stockholm")
		if err != nil {
			return nil, fmt.Errorf("server: load default time zone: %w", err)
		}
		opt.Timezone = loc
	}
	fi, err := newFirmInfo(opt)
	if err != nil {
		return nil, err
	}
	if opt.Packs == nil {
		if opt.Packs, err = temporaryPacks(opt); err != nil {
			return nil, err
		}
	}
	r, err := views.New(views.Options{Connectors: opt.ConnectorWords})
	if err != nil {
		return nil, err
	}
	ver, err := public.Version(opt.Static)
	if err != nil {
		return nil, fmt.Errorf("server: hash static files: %w", err)
	}
	codec := securecookie.New(seal.DeriveKey(opt.SecretKey, "bilag cookie hash v1"), seal.DeriveKey(opt.SecretKey, "bilag cookie block v1"))
	codec.SetSerializer(securecookie.JSONEncoder{})
	codec.MaxAge(int(sessionMaxAge / time.Second))
	secure := opt.BaseURL.Scheme == "https"
	s := &Server{
		db:        opt.DB,
		log:       opt.Logger,
		baseURL:   opt.BaseURL,
		cookies:   sealed.NewJar(codec, secure),
		receipts:  sealed.NewTokens(receiptCodec(opt.SecretKey)),
		secure:    secure,
		conns:     opt.Connections,
		packs:     opt.Packs,
		firm:      opt.FirmName,
		firmInfo:  fi,
		zone:      opt.Timezone,
		linkTTL:   opt.LinkTTL,
		demo:      opt.DemoLogins,
		demoInv:   opt.DemoInvoices,
		formSrc:   opt.FormOrigins,
		now:       opt.Now,
		views:     r,
		static:    opt.Static,
		staticVer: ver,
		throttle:  newThrottle(opt.Now),
		metrics:   opt.Metrics,
		hasher:    opt.Hasher,
		convert:   newConverter(opt.ConvertWait),

		adminNeeds2FA:  !opt.AdminSecondFactorOptional,
		clientNeeds2FA: opt.ClientSecondFactorRequired,
		mailer:         opt.Mailer,
	}
	s.dummyHash = sync.OnceValues(func() (string, error) { return s.hasher.Hash("bilag-dummy-password") })
	opt.Connections.SetNotifier(s)
	acc, err := s.accountant()
	if err != nil {
		return nil, err
	}
	s.echo = s.routes(acc)
	return s, nil
}

// receiptCodec seals approvers' receipt addresses under keys of their
// own, derived from the secret key as the cookies' are. MaxAge 0: a
// receipt's address carries its own end (accountant.receiptTTL), far
// beyond a session's, checked on the portal's clock.
func receiptCodec(secret []byte) *securecookie.SecureCookie {
	codec := securecookie.New(seal.DeriveKey(secret, "bilag receipt hash v1"), seal.DeriveKey(secret, "bilag receipt block v1"))
	codec.SetSerializer(securecookie.JSONEncoder{})
	codec.MaxAge(0)
	return codec
}

// accountant is the accountant's side (server/accountant): it shares the
// cookie keys, the views and the connection service with the portal, and
// borrows its page envelope, language and throttle, but no login.
func (s *Server) accountant() (*accountant.Handler, error) {
	return accountant.New(accountant.Options{
		Connections: s.conns,
		Links:       s.db,
		Cookies:     s.cookies,
		Views:       s.views,
		Firm:        accountant.Firm{Name: s.firm, LogoURL: s.firmInfo.LogoURL, Contact: s.firmInfo.Contact, PrivacyURL: s.firmInfo.PrivacyURL},
		BaseURL:     s.baseURL,
		Now:         s.now,
		Portal:      accountant.Portal{Page: s.barePage, Lang: s.lang, DefaultLanguage: defaultLanguage, Throttle: s.throttle.take},
		Receipts:    s.receipts,
		Mail:        s.receiptMail(),
		Logger:      s.log,
	})
}

// receiptMail is how the accountant's side mails an approver their
// receipt: the portal's mailer, or nil when the portal sends no mail.
func (s *Server) receiptMail() func(context.Context, mail.Message) error {
	if !s.mailOn() {
		return nil
	}
	return s.sendMail
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// ListenAndServe serves on addr until ctx ends, then shuts down gracefully.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// staticURL is the cache-busting URL of a static file.
func (s *Server) staticURL(name string) string { return "/static/" + s.staticVer + "/" + name }

// absURL makes a portal path absolute.
func (s *Server) absURL(path string) string {
	u := *s.baseURL
	return u.String() + path
}
