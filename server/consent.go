package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"bilag/connectors"
	"bilag/connectors/orgnr"
	"bilag/db"
	"bilag/views"
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

// --- the analyst's side ---

type ttlOption struct{ Value, Label string }

func (s *Server) ttlOptions() []ttlOption {
	opts := []ttlOption{{"15m0s", "link.ttl.15m"}, {"1h0m0s", "link.ttl.1h"}, {"24h0m0s", "link.ttl.1d"}, {"72h0m0s", "link.ttl.3d"}, {"168h0m0s", "link.ttl.7d"}, {"336h0m0s", "link.ttl.14d"}}
	for _, o := range opts {
		if o.Value == s.linkTTL.String() {
			return opts
		}
	}
	return append([]ttlOption{{s.linkTTL.String(), s.linkTTL.String()}}, opts...)
}

type linkView struct {
	ID          int64
	State       string
	Reason      string
	ExpectedOrg string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Revocable   bool
}

func (s *Server) linkView(c echo.Context, l *db.ConsentLink) linkView {
	st := l.State(s.now())
	v := linkView{ID: l.ID, State: st, ExpectedOrg: l.ExpectedOrgNumber, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt,
		Revocable: st != db.LinkConnected && st != db.LinkRevoked && st != db.LinkExpired}
	if st == db.LinkFailed {
		v.Reason = s.t(c, "reason."+l.Reason)
		if l.Detail != "" {
			v.Reason += " (" + l.Detail + ")"
		}
	}
	return v
}

func (s *Server) createLink(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	if !co.Active {
		return echo.ErrForbidden
	}
	f := views.NewForm()
	f.Values["expected_org"] = strings.TrimSpace(c.FormValue("expected_org"))
	f.Values["ttl"] = c.FormValue("ttl")
	expected := f.Values["expected_org"]
	if expected == "" {
		f.Fail("expected_org", "err.required")
	} else if norm, err := orgnr.Validate(co.Country, expected); err != nil {
		f.Fail("expected_org", orgErrorKey(err))
	} else {
		expected = norm
	}
	ttl := s.linkTTL
	if v := f.Values["ttl"]; v != "" {
		found := false
		for _, o := range s.ttlOptions() {
			if o.Value == v {
				ttl, _ = time.ParseDuration(v)
				found = true
			}
		}
		if !found {
			f.Fail("expected_org", "err.400")
		}
	}
	if !f.OK() {
		return s.renderCompany(c, f)
	}
	secret := randomToken(32)
	l := &db.ConsentLink{CompanyID: co.ID, Connector: "eaccounting", ExpectedOrgNumber: expected,
		CreatedByID: currentUser(c).ID, ExpiresAt: s.now().Add(ttl).UTC()}
	if err := s.db.CreateLink(ctx, l, secret); err != nil {
		return err
	}
	s.audit(c, db.AuditLinkCreate, &co.ID, "link "+strconv.FormatInt(l.ID, 10), "expires="+l.ExpiresAt.Format(time.RFC3339)+" expected_org="+expected)
	sess := sessionOf(c)
	sess.Reveal = &reveal{CompanyID: co.ID, URL: s.absURL("/connect/" + secret), ExpiresAt: l.ExpiresAt, ExpectedOrg: expected}
	if err := s.saveSession(c, sess); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/companies/%d", co.ID))
}

func (s *Server) revokeLink(c echo.Context) error {
	co := currentCompany(c)
	id, err := paramID(c, "linkID")
	if err != nil {
		return err
	}
	if err := s.db.RevokeLink(c.Request().Context(), co.ID, id); err != nil {
		return err
	}
	s.audit(c, db.AuditLinkRevoke, &co.ID, "link "+strconv.FormatInt(id, 10), "")
	return s.flashTo(c, s.t(c, "link.revoked"), fmt.Sprintf("/companies/%d", co.ID))
}

type linkStatusJSON struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Label  string `json:"label"`
	Reason string `json:"reason,omitempty"`
}

// linkStatus feeds the live status on the company page.
func (s *Server) linkStatus(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	out := struct {
		Links      []linkStatusJSON `json:"links"`
		Connection string           `json:"connection"`
	}{Links: []linkStatusJSON{}, Connection: "none"}
	if currentUser(c).CanManageConnections() {
		links, err := s.db.LinksForCompany(ctx, co.ID, 10)
		if err != nil {
			return err
		}
		for i := range links {
			v := s.linkView(c, &links[i])
			out.Links = append(out.Links, linkStatusJSON{ID: v.ID, State: v.State, Label: s.t(c, "link.status."+v.State), Reason: v.Reason})
		}
	}
	if conn, err := s.db.Connection(ctx, co.ID, "eaccounting"); err == nil {
		out.Connection = conn.Status + "@" + conn.ApprovedAt.UTC().Format(time.RFC3339Nano)
	} else if !isNotFound(err) {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

func (s *Server) disconnect(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	if c.FormValue("confirm") != "yes" {
		return s.flashTo(c, s.t(c, "conn.disconnect.unconfirmed"), fmt.Sprintf("/companies/%d", co.ID))
	}
	conn, err := s.db.Connection(ctx, co.ID, "eaccounting")
	if err != nil {
		return err
	}
	if rv, ok := s.connectors[conn.Connector].(connectors.Revoker); ok {
		if g, err := s.db.Grant(ctx, conn.ID); err == nil {
			if err := rv.Revoke(ctx, g); err != nil {
				// The stored tokens go anyway: a person asked for the
				// connection to end, and tokens we no longer hold are useless.
				s.log.Warn("revoke grant at upstream", "connection_id", conn.ID, "err", err)
			}
		}
	}
	if err := s.db.Disconnect(ctx, conn.ID); err != nil {
		return err
	}
	s.audit(c, db.AuditDisconnect, &co.ID, conn.Connector, conn.ExternalName+" "+conn.OrgNumber)
	return s.flashTo(c, s.t(c, "conn.disconnected.flash"), fmt.Sprintf("/companies/%d", co.ID))
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
}

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
	p.Secret, p.Company, p.Expected, p.ExpiresAt = secret, co, l.ExpectedOrgNumber, l.ExpiresAt
	switch {
	case !l.Usable(s.now()):
		p.State = l.State(s.now())
	case !co.Active:
		p.State = "company"
	default:
		return l, p, true, nil
	}
	p.Secret = ""
	return l, p, false, s.renderBare(c, http.StatusGone, "consent", s.t(c, "consent.title"), p)
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
	return s.renderBare(c, http.StatusOK, "consent", s.t(c, "consent.title"), p)
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
	rc, ok := s.connectors[l.Connector].(connectors.RedirectConnector)
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
	c.SetCookie(&http.Cookie{Name: name, Value: enc, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)})
	return nil
}

func (s *Server) clearCookie(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
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
}

// consentCallback takes the upstream's redirect. Every refusal renders a
// clear page and stores nothing but the reason on the link.
func (s *Server) consentCallback(c echo.Context) error {
	ctx := c.Request().Context()
	var f flow
	ck, err := c.Cookie(flowCookie)
	s.clearCookie(c, flowCookie)
	if err != nil || s.cookies.Decode(flowCookie, ck.Value, &f) != nil {
		return s.finish(c, result{Reason: "no_flow"})
	}
	state := c.QueryParam("state")
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 || f.Connector != c.Param("connector") {
		// The attempt is spent (its cookie is gone): say why on the link,
		// so the analyst does not see a login that never ends.
		if l, err := s.db.Link(ctx, f.LinkID); err == nil {
			s.failLink(c, l, "bad_callback", "state mismatch", nil)
		}
		return s.finish(c, result{Reason: "state_mismatch"})
	}
	if s.now().Sub(time.Unix(f.Started, 0)) > flowMaxAge {
		// The login took too long; say why the link cannot go on, or
		// that the approver should start again.
		res := s.unusableResult(ctx, f.LinkID)
		if res.Reason == "replayed" {
			res.Reason = "no_flow"
		}
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
	res := result{Company: co.Name, CompanyOrg: co.OrgNumber, Expected: l.ExpectedOrgNumber, Retry: f.Secret, Firm: s.firm}
	rc, ok := s.connectors[f.Connector].(connectors.RedirectConnector)
	if !ok {
		return echo.ErrNotFound
	}
	grant, err := rc.HandleCallback(ctx, s.callbackURL(f.Connector), c.QueryParams(), f.Verifier)
	if err != nil {
		res.Reason = callbackReason(err)
		s.failLink(c, l, res.Reason, "", err)
		return s.finish(c, res)
	}
	if err := s.db.ApproveLink(ctx, l.ID); err != nil {
		s.revokeQuietly(ctx, f.Connector, grant)
		return err
	}
	verdict, err := s.check(ctx, f.Connector, grant)
	if err != nil {
		s.revokeQuietly(ctx, f.Connector, grant)
		res.Reason = "upstream"
		s.failLink(c, l, res.Reason, "", err)
		return s.finish(c, res)
	}
	res.Got, res.GotOrg = verdict.Company.Name, verdict.Company.OrgNumber
	if !verdict.OK() {
		s.revokeQuietly(ctx, f.Connector, grant)
		res.Reason = string(verdict.Problems[0].Code)
		for _, p := range verdict.Problems {
			if p.Area != "" {
				res.Areas = append(res.Areas, p.Area)
			}
		}
		s.failLink(c, l, res.Reason, strings.Join(res.Areas, ", "), nil)
		return s.finish(c, res)
	}
	if !orgnr.Equal(co.Country, l.ExpectedOrgNumber, verdict.Company.OrgNumber) {
		s.revokeQuietly(ctx, f.Connector, grant)
		res.Reason = "org_mismatch"
		s.failLink(c, l, res.Reason, verdict.Company.Name+" "+verdict.Company.OrgNumber, nil)
		return s.finish(c, res)
	}
	conn := &db.Connection{CompanyID: co.ID, Connector: f.Connector, ExternalID: verdict.Company.ExternalID,
		ExternalName: verdict.Company.Name, OrgNumber: verdict.Company.OrgNumber, ApprovedBy: verdict.Approver}
	if err := s.db.Connect(ctx, l.ID, conn, grant); err != nil {
		s.revokeQuietly(ctx, f.Connector, grant)
		if isNotFound(err) {
			return s.finish(c, s.unusableResult(ctx, l.ID))
		}
		return err
	}
	_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditConnect, CompanyID: &co.ID, Actor: "consent link " + strconv.FormatInt(l.ID, 10),
		Target: f.Connector, Detail: verdict.Company.Name + " " + verdict.Company.OrgNumber, RemoteIP: c.RealIP()})
	s.afterConnect(conn)
	res.OK, res.Retry = true, ""
	return s.finish(c, res)
}

func (s *Server) check(ctx context.Context, name string, g connectors.Grant) (connectors.Verdict, error) {
	ch, ok := s.connectors[name].(connectors.Checker)
	if !ok {
		return connectors.Verdict{}, fmt.Errorf("connector %q has no checks", name)
	}
	var v connectors.Verdict
	err := connectors.Retry(ctx, connectors.DefaultBackoff, func(ctx context.Context) error {
		var err error
		v, err = ch.Check(ctx, g)
		return err
	})
	return v, err
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

func (s *Server) failLink(c echo.Context, l *db.ConsentLink, reason, detail string, cause error) {
	ctx := c.Request().Context()
	if err := s.db.FailLink(ctx, l.ID, reason, detail); err != nil {
		s.log.Error("record consent failure", "link_id", l.ID, "err", err)
	}
	attrs := []any{"link_id", l.ID, "company_id", l.CompanyID, "reason", reason}
	if cause != nil {
		attrs = append(attrs, "err", cause)
	}
	s.log.Info("consent failed", attrs...)
	_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditConnectFailed, CompanyID: &l.CompanyID, Actor: "consent link " + strconv.FormatInt(l.ID, 10),
		Target: l.Connector, Detail: truncateStr(reason+" "+detail, 1000), RemoteIP: c.RealIP()})
}

// revokeQuietly withdraws a grant Bilag will not keep.
func (s *Server) revokeQuietly(ctx context.Context, name string, g connectors.Grant) {
	rv, ok := s.connectors[name].(connectors.Revoker)
	if !ok {
		return
	}
	if err := rv.Revoke(context.WithoutCancel(ctx), g); err != nil {
		s.log.Warn("revoke unused grant", "connector", name, "err", err)
	}
}

// unusableResult explains why a link cannot take a callback.
func (s *Server) unusableResult(ctx context.Context, linkID int64) result {
	l, err := s.db.Link(ctx, linkID)
	if err != nil {
		return result{Reason: "no_flow"}
	}
	switch l.State(s.now()) {
	case db.LinkExpired:
		return result{Reason: "expired"}
	case db.LinkRevoked:
		return result{Reason: "revoked"}
	case db.LinkConnected:
		return result{Reason: "used"}
	}
	return result{Reason: "replayed"}
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
	ck, err := c.Cookie(resultCookie)
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
	return s.renderBare(c, status, "consent_result", s.t(c, "result.title"), r)
}
