// Package accountant serves the accountant's side of Bilag: the page a
// consent link opens (the consent page, or the form for pasted keys), the
// trip to the upstream and back, and the result page.
//
// The link is the credential here. Nothing of the portal's login is read:
// the pages know their visitor only by the link in the URL or in the
// browser's sealed flow. What they borrow from the portal around them (its
// page envelope, its choice of language, its throttle) comes in through
// Options, and the work done to a connection is the connection service's
// (server/connections), as everywhere.
package accountant

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/connections"
	"bilag/server/mail"
	"bilag/server/sealed"
	"bilag/views"
)

// LinkStore is what the accountant's side may read and write: a link by
// its secret or id, its company, the analyst who made it and the
// connection it made, and the link's own steps (opened, login started,
// attempt taken). Everything else a link holder's requests cause goes
// through the connection service. *db.DB is the one implementation; the
// interface is the wall of this trust zone, written down where it is kept.
type LinkStore interface {
	LinkBySecret(ctx context.Context, secret string) (*db.ConsentLink, error)
	Link(ctx context.Context, id int64) (*db.ConsentLink, error)
	Company(ctx context.Context, id int64) (*db.Company, error)
	User(ctx context.Context, id int64) (*db.User, error)
	Connection(ctx context.Context, companyID int64, connector string) (*db.Connection, error)
	MarkLinkOpened(ctx context.Context, id int64) error
	StartLinkLogin(ctx context.Context, id int64, attempt string) error
	TakeLinkAttempt(ctx context.Context, id int64, attempt string) (*db.ConsentLink, error)
	// The same of the link's second step (steps.go).
	StartThenLogin(ctx context.Context, id int64, attempt string) error
	TakeThenAttempt(ctx context.Context, id int64, attempt string) (*db.ConsentLink, error)
}

var _ LinkStore = (*db.DB)(nil)

// Firm is who asks for access, on every page of the accountant's.
type Firm struct {
	Name string
	// LogoURL is the firm's logo in the pages' header; "" for none.
	LogoURL string
	// Contact is how an accountant reaches the firm (BILAG_FIRM_CONTACT).
	Contact string
	// PrivacyURL is the firm's privacy notice (BILAG_FIRM_PRIVACY_URL).
	PrivacyURL string
}

// Portal is what the accountant's pages take from the portal they are
// served beside. Each is a function of the request alone: nothing here
// asks who is logged in.
type Portal struct {
	// Page wraps a page's data in the portal's envelope without its
	// session: the CSRF token, the static files' URLs, the language.
	Page func(c echo.Context, title string, data any) *views.Page
	// Lang is the visitor's language: the one chosen on the language
	// switch, else the browser's, else the default DefaultLanguage set.
	Lang func(c echo.Context) string
	// DefaultLanguage makes the language of country the request's default,
	// for Lang, for Page and for the portal's error page alike.
	DefaultLanguage func(c echo.Context, country string)
	// Throttle records one attempt under key unless limit attempts were
	// recorded in its window; ok is false then, with how long until the
	// next may go.
	Throttle func(key string, limit int) (ok bool, wait time.Duration)
}

// Options are what a Handler is built from.
type Options struct {
	Connections *connections.Service
	Links       LinkStore
	// Cookies seals the flow, the upstream's answer and the result, under
	// the portal's keys and cookie rules.
	Cookies *sealed.Jar
	Views   *views.Renderer
	Firm    Firm
	// BaseURL is the portal's public URL: the upstream's redirect URI and
	// the link offered for sharing are made from it.
	BaseURL *url.URL
	Now     func() time.Time
	Portal  Portal
	// Receipts seals the addresses of approvers' receipts (receipt.go);
	// nil offers no receipt address (the firm's view still works).
	Receipts *sealed.Tokens
	// Mail sends the approver their receipt; nil sends no mail.
	Mail func(ctx context.Context, m mail.Message) error
	// Logger records what failed beside a page (a receipt's mail); nil
	// discards.
	Logger *slog.Logger
}

// Handler serves the accountant's pages.
type Handler struct {
	conns   *connections.Service
	links   LinkStore
	cookies *sealed.Jar
	views   *views.Renderer
	firm    Firm
	baseURL *url.URL
	now     func() time.Time
	portal  Portal
	// receipts, mail and log: see Options.
	receipts *sealed.Tokens
	mail     func(ctx context.Context, m mail.Message) error
	log      *slog.Logger
}

// New builds the accountant's handler.
func New(opt Options) (*Handler, error) {
	p := opt.Portal
	if opt.Connections == nil || opt.Links == nil || opt.Cookies == nil || opt.Views == nil || opt.BaseURL == nil {
		return nil, errors.New("accountant: Connections, Links, Cookies, Views and BaseURL are required")
	}
	if p.Page == nil || p.Lang == nil || p.DefaultLanguage == nil || p.Throttle == nil {
		return nil, errors.New("accountant: every Portal function is required")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{conns: opt.Connections, links: opt.Links, cookies: opt.Cookies, views: opt.Views, firm: opt.Firm,
		baseURL: opt.BaseURL, now: opt.Now, portal: p, receipts: opt.Receipts, mail: opt.Mail, log: opt.Logger}, nil
}

// Mount registers the accountant's routes on e, beside the portal's and
// behind its middleware (CSRF, security headers), with no login. The
// link's connector picks the page: the consent page and its redirect, or
// the form for pasted keys (connect_form.go).
func (h *Handler) Mount(e *echo.Echo) {
	e.GET("/connect/:secret", h.showConnect)
	e.POST("/connect/:secret", h.submitConnect)
	e.GET("/oauth/:connector/callback", h.consentCallback)
	e.GET("/oauth/:connector/check", h.consentCheck)
	e.GET("/connect-result", h.showConsentResult)
	e.GET("/receipt/:token", h.showReceipt)
}

// pageData is the data of every page of the accountant's: it names the
// connector whose words the page shows, and the country of the company,
// whose zone the page prints times in ("" for none known).
type pageData interface {
	connector() string
	country() string
}

// render renders one of the accountant's pages: the portal's envelope,
// bare (no portal header, no user), with the firm's logo, its times in the
// company's zone.
func (h *Handler) render(c echo.Context, status int, name, title string, data pageData) error {
	p := h.portal.Page(c, title, data)
	p.Bare = true
	p.FirmLogo = h.firm.LogoURL
	p.Connector = data.connector()
	if z := views.CountryZone(data.country()); z != nil {
		p.Zone = z
	}
	return c.Render(status, name, p)
}

// t translates into the visitor's language.
func (h *Handler) t(c echo.Context, key string, args ...any) string {
	return h.views.Translate(h.portal.Lang(c), key, args...)
}

// ct translates into the visitor's language as connector words it
// (views.TranslateFor), for a page of that connector's.
func (h *Handler) ct(c echo.Context, connector, key string, args ...any) string {
	return h.views.TranslateFor(h.portal.Lang(c), connector, key, args...)
}

// absURL makes a portal path absolute.
func (h *Handler) absURL(path string) string {
	u := *h.baseURL
	return u.String() + path
}

func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }

// noStore keeps a page out of every cache: it speaks of one link.
func noStore(c echo.Context) { c.Response().Header().Set("Cache-Control", "no-store") }
