package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
)

const (
	flowCookie   = "bilag_flow"
	resultCookie = "bilag_result"
	// flowMaxAge bounds how long an approver may spend at the upstream.
	flowMaxAge = 15 * time.Minute
)

// flow is the browser-bound state of one "give permission": sealed in a
// short-lived cookie, so a callback from another browser, a tampered state
// or a second use of the callback finds nothing to match.
type flow struct {
	LinkID    int64  `json:"l"`
	Connector string `json:"c"`
	State     string `json:"s"`
	Verifier  string `json:"v"`
	Attempt   string `json:"a"`
	// Secret lets the result page offer "try again" with the same link.
	Secret string `json:"k"`
	// Started bounds the flow's age: the cookie codec's own limit is the
	// session's, far longer than a login at the upstream may take.
	Started int64 `json:"t"`
}

// randomToken returns n random bytes, base64url encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// --- the accountant's side ---

type consentPage struct {
	Secret    string
	Firm      string
	Company   *db.Company
	Expected  string
	ExpiresAt time.Time
	// State is set when the link can no longer be used.
	State string
	// Connector is the link's: the page shows its words.
	Connector string
}

func (p consentPage) connector() string { return p.Connector }

// openLink finds the link of the request's secret and, when it cannot be
// used, renders the page that says why; ok is false then.
func (s *Server) openLink(c echo.Context) (l *db.ConsentLink, p consentPage, ok bool, err error) {
	ctx := c.Request().Context()
	c.Response().Header().Set("Cache-Control", "no-store")
	secret := c.Param("secret")
	p = consentPage{Firm: s.firm}
	l, err = s.db.LinkBySecret(ctx, secret)
	if isNotFound(err) {
		p.State = "unknown"
		return nil, p, false, s.renderBare(c, http.StatusNotFound, "consent", s.t(c, "consent.title"), p)
	}
	if err != nil {
		return nil, p, false, err
	}
	co, err := s.db.Company(ctx, l.CompanyID)
	if err != nil {
		return nil, p, false, err
	}
	p.Secret, p.Company, p.Expected, p.ExpiresAt, p.Connector = secret, co, l.ExpectedOrgNumber, l.ExpiresAt, l.Connector
	defaultLanguage(c, co.Country)
	switch {
	case !l.Usable(s.now()):
		p.State = l.State(s.now())
	case !co.Active:
		p.State = "company"
	default:
		return l, p, true, nil
	}
	p.Secret = ""
	return l, p, false, s.renderBare(c, http.StatusGone, "consent", s.ct(c, p.Connector, "consent.title"), p)
}

// showConsent is what opening a link shows. Link scanners in mail systems
// GET it too, so it changes nothing but the "opened" mark.
func (s *Server) showConsent(c echo.Context) error {
	l, p, ok, err := s.openLink(c)
	if !ok || err != nil {
		return err
	}
	if err := s.db.MarkLinkOpened(c.Request().Context(), l.ID); err != nil {
		return err
	}
	return s.renderBare(c, http.StatusOK, "consent", s.ct(c, p.Connector, "consent.title"), p)
}

func (s *Server) renderBare(c echo.Context, status int, name, title string, data any) error {
	p := s.page(c, title, data)
	p.Bare = true
	p.User = nil
	return c.Render(status, name, p)
}

// startConsent is "give permission": a POST, so that no link scanner can
// start a login.
func (s *Server) startConsent(c echo.Context) error {
	ctx := c.Request().Context()
	l, p, ok, err := s.openLink(c)
	if !ok || err != nil {
		return err
	}
	secret := p.Secret
	rc, ok := s.conns.Connector(l.Connector).(connectors.RedirectConnector)
	if !ok {
		return fmt.Errorf("connector %q cannot redirect: %w", l.Connector, echo.ErrNotFound)
	}
	f := flow{LinkID: l.ID, Connector: l.Connector, State: randomToken(32), Verifier: oauth2.GenerateVerifier(), Attempt: randomToken(32), Secret: secret, Started: s.now().Unix()}
	loginURL, err := rc.LoginURL(s.callbackURL(l.Connector), f.State, f.Verifier)
	if err != nil {
		return err
	}
	if err := s.db.StartLinkLogin(ctx, l.ID, f.Attempt); err != nil {
		return err
	}
	if err := s.setSealedCookie(c, flowCookie, f, flowMaxAge); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, loginURL)
}

func (s *Server) callbackURL(connector string) string {
	return s.absURL("/oauth/" + connector + "/callback")
}

func (s *Server) setSealedCookie(c echo.Context, name string, v any, maxAge time.Duration) error {
	enc, err := s.cookies.Encode(name, v)
	if err != nil {
		return fmt.Errorf("encode %s cookie: %w", name, err)
	}
	// Lax, not Strict: the callback is a cross-site top-level GET, which
	// Strict would strip of the cookie.
	c.SetCookie(&http.Cookie{Name: s.cookieName(name), Value: enc, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)})
	return nil
}

func (s *Server) clearCookie(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{Name: s.cookieName(name), Value: "", Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// result is what the accountant's result page shows, carried across the
// redirect from the callback so the callback's URL (with its code) does
// not stay in the address bar.
type result struct {
	OK          bool      `json:"ok"`
	Reason      string    `json:"r,omitempty"`
	Areas       []string  `json:"a,omitempty"`
	Company     string    `json:"c,omitempty"`
	CompanyOrg  string    `json:"co,omitempty"`
	Expected    string    `json:"e,omitempty"`
	Got         string    `json:"g,omitempty"`
	GotOrg      string    `json:"go,omitempty"`
	Retry       string    `json:"k,omitempty"`
	Firm        string    `json:"f,omitempty"`
	At          time.Time `json:"t"`
	UpstreamErr string    `json:"u,omitempty"`
	// Connector is the link's, when known: the page shows its words.
	Connector string `json:"n,omitempty"`
}

func (r result) connector() string { return r.Connector }

// consentCallback takes the upstream's redirect. Every refusal renders a
// clear page and stores nothing but the reason on the link.
func (s *Server) consentCallback(c echo.Context) error {
	ctx := c.Request().Context()
	f, res, ok := s.takeFlow(c)
	if !ok {
		return s.finish(c, res)
	}
	l, err := s.db.TakeLinkAttempt(ctx, f.LinkID, f.Attempt)
	if isNotFound(err) {
		return s.finish(c, s.unusableResult(ctx, f.LinkID))
	}
	if err != nil {
		return err
	}
	co, err := s.db.Company(ctx, l.CompanyID)
	if err != nil {
		return err
	}
	rc, ok := s.conns.Connector(f.Connector).(connectors.RedirectConnector)
	if !ok {
		return echo.ErrNotFound
	}
	res = result{Company: co.Name, CompanyOrg: co.OrgNumber, Expected: l.ExpectedOrgNumber, Retry: f.Secret, Firm: s.firm, Connector: f.Connector}
	grant, err := rc.HandleCallback(ctx, s.callbackURL(f.Connector), c.QueryParams(), f.Verifier)
	if err != nil {
		res.Reason = callbackReason(err)
		s.conns.FailLink(ctx, l, res.Reason, "", err, c.RealIP())
		return s.finish(c, res)
	}
	return s.approve(c, connections.Approval{Link: l, Company: co, Grant: grant, RemoteIP: c.RealIP()}, res)
}

// takeFlow reads and spends the browser's flow cookie and checks the
// callback's state against it; when ok is false, res says why.
func (s *Server) takeFlow(c echo.Context) (f flow, res result, ok bool) {
	ck, err := c.Cookie(s.cookieName(flowCookie))
	s.clearCookie(c, flowCookie)
	if err != nil || s.cookies.Decode(flowCookie, ck.Value, &f) != nil {
		return f, result{Reason: "no_flow"}, false
	}
	state := c.QueryParam("state")
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 || f.Connector != c.Param("connector") {
		// The attempt is spent (its cookie is gone): say why on the link,
		// so the analyst does not see a login that never ends.
		if l, err := s.db.Link(c.Request().Context(), f.LinkID); err == nil {
			s.conns.FailLink(c.Request().Context(), l, "bad_callback", "state mismatch", nil, c.RealIP())
		}
		return f, result{Reason: "state_mismatch", Connector: f.Connector}, false
	}
	if s.now().Sub(time.Unix(f.Started, 0)) > flowMaxAge {
		// The login took too long; say why the link cannot go on, or
		// that the approver should start again.
		res := s.unusableResult(c.Request().Context(), f.LinkID)
		if res.Reason == "replayed" {
			res.Reason = "no_flow"
		}
		return f, res, false
	}
	return f, res, true
}

// approve hands a fresh grant to the connection service and shows the
// accountant what came of it; res holds what the page says of the link.
func (s *Server) approve(c echo.Context, a connections.Approval, res result) error {
	if res.Connector == "" {
		res.Connector = a.Link.Connector
	}
	out, err := s.conns.Approve(c.Request().Context(), a)
	if err != nil {
		return err
	}
	if out.Reason == "used" {
		return s.finish(c, s.unusableResult(c.Request().Context(), a.Link.ID))
	}
	res.Got, res.GotOrg = out.Seen.Name, out.Seen.OrgNumber
	res.Reason, res.Areas = out.Reason, out.Areas
	if out.Connection != nil {
		res.OK, res.Retry = true, ""
	}
	return s.finish(c, res)
}

// callbackReason turns a connector's callback error into a reason code.
func callbackReason(err error) string {
	switch {
	case errors.Is(err, connectors.ErrAccessDenied):
		return "denied"
	case errors.Is(err, connectors.ErrIssuerMismatch):
		return "issuer"
	case errors.Is(err, connectors.ErrBadCallback), errors.Is(err, connectors.ErrGrantRevoked):
		return "bad_callback"
	}
	return "upstream"
}

// unusableResult explains why a link cannot take a callback.
func (s *Server) unusableResult(ctx context.Context, linkID int64) result {
	l, err := s.db.Link(ctx, linkID)
	if err != nil {
		return result{Reason: "no_flow"}
	}
	switch l.State(s.now()) {
	case db.LinkExpired:
		return result{Reason: "expired", Connector: l.Connector}
	case db.LinkRevoked:
		return result{Reason: "revoked", Connector: l.Connector}
	case db.LinkConnected:
		return result{Reason: "used", Connector: l.Connector}
	}
	return result{Reason: "replayed", Connector: l.Connector}
}

func (s *Server) finish(c echo.Context, r result) error {
	r.At = s.now()
	if r.Firm == "" {
		r.Firm = s.firm
	}
	if err := s.setSealedCookie(c, resultCookie, r, 10*time.Minute); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/connect-result")
}

func (s *Server) showConsentResult(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	var r result
	ck, err := c.Cookie(s.cookieName(resultCookie))
	if err != nil || s.cookies.Decode(resultCookie, ck.Value, &r) != nil {
		r = result{Reason: "no_flow", Firm: s.firm}
	}
	status := http.StatusOK
	if !r.OK {
		status = http.StatusBadRequest
		if r.Reason == "upstream" {
			status = http.StatusBadGateway
		}
	}
	return s.renderBare(c, status, "consent_result", s.ct(c, r.Connector, "result.title"), r)
}
