package accountant

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
	// Asker is who asks for access and how to reach them.
	Asker asker
}

// asker is who asks for access, on every page of the accountant's: the
// firm, the analyst who made the link (when known) and the firm's contact
// and privacy notice (BILAG_FIRM_CONTACT, BILAG_FIRM_PRIVACY_URL).
type asker struct {
	Firm        string `json:"f,omitempty"`
	SenderName  string `json:"n,omitempty"`
	SenderEmail string `json:"e,omitempty"`
	Contact     string `json:"c,omitempty"`
	PrivacyURL  string `json:"p,omitempty"`
}

func (p consentPage) connector() string { return p.Connector }

// openLink finds the link of the request's secret and, when it cannot be
// used, renders the page that says why; ok is false then.
func (h *Handler) openLink(c echo.Context) (l *db.ConsentLink, p consentPage, ok bool, err error) {
	ctx := c.Request().Context()
	c.Response().Header().Set("Cache-Control", "no-store")
	secret := c.Param("secret")
	p = consentPage{Firm: h.firm.Name, Asker: h.asker(ctx, nil)}
	l, err = h.links.LinkBySecret(ctx, secret)
	if isNotFound(err) {
		p.State = "unknown"
		return nil, p, false, h.render(c, http.StatusNotFound, "consent", h.t(c, "consent.title"), p)
	}
	if err != nil {
		return nil, p, false, err
	}
	co, err := h.links.Company(ctx, l.CompanyID)
	if err != nil {
		return nil, p, false, err
	}
	p.Secret, p.Company, p.Expected, p.ExpiresAt, p.Connector = secret, co, l.ExpectedOrgNumber, l.ExpiresAt, l.Connector
	p.Asker = h.asker(ctx, l)
	h.portal.DefaultLanguage(c, co.Country)
	c.Set(keyCompanyCountry, co.Country)
	switch {
	case l.State(h.now()) == db.LinkConnected && h.now().Before(l.ExpiresAt):
		// A used link shows what it did until it would have expired; after
		// that a forwarded link no longer names the approver.
		return l, p, false, h.renderDone(c, l, co)
	case l.State(h.now()) == db.LinkConnected:
		p.State = "used"
	case !l.Usable(h.now()):
		p.State = l.State(h.now())
	case !co.Active:
		p.State = "company"
	default:
		return l, p, true, nil
	}
	p.Secret = ""
	return l, p, false, h.render(c, http.StatusGone, "consent", h.ct(c, p.Connector, "consent.title"), p)
}

// showConsent is what opening a link shows. Link scanners in mail systems
// GET it too, so it changes nothing but the "opened" mark.
func (h *Handler) showConsent(c echo.Context) error {
	l, p, ok, err := h.openLink(c)
	if !ok || err != nil {
		return err
	}
	if err := h.links.MarkLinkOpened(c.Request().Context(), l.ID); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "consent", h.ct(c, p.Connector, "consent.title"), p)
}

// asker is who asks through l: the firm, and the analyst who made l when
// l is known and they still exist.
func (h *Handler) asker(ctx context.Context, l *db.ConsentLink) asker {
	a := asker{Firm: h.firm.Name, Contact: h.firm.Contact, PrivacyURL: h.firm.PrivacyURL}
	if l != nil {
		if u, err := h.links.User(ctx, l.CreatedByID); err == nil {
			a.SenderName, a.SenderEmail = u.Name, u.Email
		}
	}
	return a
}

// renderDone shows a link that connected its company: what it connected,
// when, and who approved (as the upstream named them), never a failure.
func (h *Handler) renderDone(c echo.Context, l *db.ConsentLink, co *db.Company) error {
	r := result{OK: true, Done: true, Company: co.Name, CompanyOrg: co.OrgNumber, Got: co.Name, GotOrg: l.ExpectedOrgNumber,
		Firm: h.firm.Name, Connector: l.Connector, Country: co.Country}
	if l.FinishedAt != nil {
		r.At = *l.FinishedAt
	}
	if conn, err := h.links.Connection(c.Request().Context(), co.ID, l.Connector); err == nil && conn.LinkID == l.ID {
		r.Got, r.GotOrg, r.Approver, r.At = conn.ExternalName, conn.OrgNumber, approverName(conn.ApprovedBy), conn.ApprovedAt
	}
	r.Asker = h.asker(c.Request().Context(), l)
	return h.render(c, http.StatusOK, "consent_result", h.ct(c, r.Connector, "result.title"), r)
}

// startConsent is "give permission": a POST, so that no link scanner can
// start a login.
func (h *Handler) startConsent(c echo.Context) error {
	ctx := c.Request().Context()
	l, p, ok, err := h.openLink(c)
	if !ok || err != nil {
		return err
	}
	secret := p.Secret
	rc, ok := h.conns.Connector(l.Connector).(connectors.RedirectConnector)
	if !ok {
		return fmt.Errorf("connector %q cannot redirect: %w", l.Connector, echo.ErrNotFound)
	}
	f := flow{LinkID: l.ID, Connector: l.Connector, State: randomToken(32), Verifier: oauth2.GenerateVerifier(), Attempt: randomToken(32), Secret: secret, Started: h.now().Unix()}
	var loginURL string
	if ll, ok := rc.(connectors.LocalizedLogin); ok {
		// The upstream's page in the language of the consent page.
		loginURL, err = ll.LoginURLIn(h.callbackURL(l.Connector), f.State, f.Verifier, h.portal.Lang(c))
	} else {
		loginURL, err = rc.LoginURL(h.callbackURL(l.Connector), f.State, f.Verifier)
	}
	if err != nil {
		return err
	}
	if err := h.links.StartLinkLogin(ctx, l.ID, f.Attempt); err != nil {
		return err
	}
	if err := h.cookies.Set(c, flowCookie, f, flowMaxAge); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, loginURL)
}

func (h *Handler) callbackURL(connector string) string {
	return h.absURL("/oauth/" + connector + "/callback")
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
	// Country is the company's: the page prints times in its zone.
	Country string `json:"cc,omitempty"`
	// Granted: the upstream gave tokens before the refusal, and Bilag
	// withdrew them; only then does the page say access was withdrawn.
	Granted bool `json:"gr,omitempty"`
	// OldGrantKept: the grant this approval replaced could not be revoked
	// at the upstream; the accountant should remove it there.
	OldGrantKept bool `json:"ok2,omitempty"`
	// Done: the page shows a link that connected (reopened, or a second
	// answer for it), with Approver when the upstream named them.
	Done     bool   `json:"d,omitempty"`
	Approver string `json:"ap,omitempty"`
	// LinkExpires is until when the link (Retry) can still be used.
	LinkExpires time.Time `json:"le,omitzero"`
	// Asker is who to ask, as on the consent page.
	Asker asker `json:"w"`
	// ShareURL is the link itself, offered to pass on to a colleague where
	// trying again oneself cannot help (set by showConsentResult).
	ShareURL string `json:"-"`
}

// shareReasons are the refusals that another person, not another try,
// fixes: the approver lacks rights, or the company lacks Bookkeeping (the
// owner decides on the product).
var shareReasons = map[string]bool{"permission": true, "no_company_access": true, "no_bookkeeping": true}

func (r result) connector() string { return r.Connector }

// checkCookie carries the upstream's answer from the callback to the check
// (consentCheck): the flow it matched, and the callback's parameters, kept
// sealed in the browser rather than in a URL, a log line or a Referer.
const checkCookie = "bilag_check"

// pendingCheck is what checkCookie holds.
type pendingCheck struct {
	Flow  flow       `json:"f"`
	Query url.Values `json:"q"`
}

// consentCallback takes the upstream's redirect. It checks the state
// against the browser's flow and answers at once with a short "checking
// permissions" page that moves on to consentCheck, which does the slow
// part (the code exchange and the grant's checks): the accountant sees
// that something happens instead of a page that hangs. Every refusal
// renders a clear page and stores nothing but the reason on the link.
func (h *Handler) consentCallback(c echo.Context) error {
	f, res, ok := h.takeFlow(c)
	if !ok {
		return h.finish(c, res)
	}
	if err := h.cookies.Set(c, checkCookie, pendingCheck{Flow: f, Query: c.QueryParams()}, flowMaxAge); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if l, err := h.links.Link(c.Request().Context(), f.LinkID); err == nil {
		if co, err := h.links.Company(c.Request().Context(), l.CompanyID); err == nil {
			h.portal.DefaultLanguage(c, co.Country)
		}
	}
	page := checkingPage{Action: "/oauth/" + f.Connector + "/check", Connector: f.Connector}
	return h.render(c, http.StatusOK, "consent_checking", h.t(c, "accountant.checking.title"), page)
}

// checkingPage is the short page between the callback and the check.
type checkingPage struct {
	// Action is where the page moves on to after Delay seconds.
	Action    string
	Delay     int
	Connector string
}

// checkTaken answers a check whose attempt was taken already. While the
// link is still being checked (the browser asked twice: "Continue" pressed
// during a slow check), that is no failure: the page keeps saying
// "checking" and then opens the link, which shows how it ended.
func (h *Handler) checkTaken(c echo.Context, f flow) error {
	l, err := h.links.Link(c.Request().Context(), f.LinkID)
	if err != nil || f.Secret == "" {
		return h.finish(c, h.unusableResult(c.Request().Context(), f.LinkID))
	}
	if st := l.State(h.now()); st != db.LinkLoginStarted && st != db.LinkApproved {
		return h.finish(c, h.unusableResult(c.Request().Context(), f.LinkID))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if co, err := h.links.Company(c.Request().Context(), l.CompanyID); err == nil {
		h.portal.DefaultLanguage(c, co.Country)
	}
	page := checkingPage{Action: "/connect/" + f.Secret, Delay: 3, Connector: f.Connector}
	return h.render(c, http.StatusOK, "consent_checking", h.t(c, "accountant.checking.title"), page)
}

func (p checkingPage) connector() string { return p.Connector }

// consentCheck is the second half of the callback: it spends the sealed
// answer the callback left, exchanges the code and checks the grant.
func (h *Handler) consentCheck(c echo.Context) error {
	ctx := c.Request().Context()
	pc, res, ok := h.takeCheck(c)
	if !ok {
		return h.finish(c, res)
	}
	f := pc.Flow
	l, err := h.links.TakeLinkAttempt(ctx, f.LinkID, f.Attempt)
	if isNotFound(err) {
		return h.checkTaken(c, f)
	}
	if err != nil {
		return err
	}
	co, err := h.links.Company(ctx, l.CompanyID)
	if err != nil {
		return err
	}
	rc, ok := h.conns.Connector(f.Connector).(connectors.RedirectConnector)
	if !ok {
		return echo.ErrNotFound
	}
	res = result{Company: co.Name, CompanyOrg: co.OrgNumber, Expected: l.ExpectedOrgNumber, Retry: f.Secret, Firm: h.firm.Name,
		Connector: f.Connector, Country: co.Country, LinkExpires: l.ExpiresAt}
	res.Asker = h.asker(ctx, l)
	grant, err := rc.HandleCallback(ctx, h.callbackURL(f.Connector), pc.Query, f.Verifier)
	if err != nil {
		res.Reason = callbackReason(err)
		h.conns.FailLink(ctx, l, res.Reason, "", err, c.RealIP())
		return h.finish(c, res)
	}
	return h.approve(c, connections.Approval{Link: l, Company: co, Grant: grant, RemoteIP: c.RealIP()}, res)
}

// takeCheck reads and spends the answer the callback left for the check;
// when ok is false, res says why it cannot go on.
func (h *Handler) takeCheck(c echo.Context) (pc pendingCheck, res result, ok bool) {
	read := h.cookies.Read(c, checkCookie, &pc)
	h.cookies.Clear(c, checkCookie)
	if !read || pc.Flow.Connector != c.Param("connector") {
		return pc, result{Reason: "no_flow"}, false
	}
	if h.now().Sub(time.Unix(pc.Flow.Started, 0)) > flowMaxAge {
		res := h.unusableResult(c.Request().Context(), pc.Flow.LinkID)
		if res.Reason == "replayed" {
			res.Reason = "no_flow"
		}
		return pc, res, false
	}
	return pc, res, true
}

// takeFlow reads and spends the browser's flow cookie and checks the
// callback's state against it; when ok is false, res says why.
func (h *Handler) takeFlow(c echo.Context) (f flow, res result, ok bool) {
	read := h.cookies.Read(c, flowCookie, &f)
	h.cookies.Clear(c, flowCookie)
	if !read {
		return f, result{Reason: "no_flow"}, false
	}
	state := c.QueryParam("state")
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 || f.Connector != c.Param("connector") {
		// The attempt is spent (its cookie is gone): say why on the link,
		// so the analyst does not see a login that never ends.
		if l, err := h.links.Link(c.Request().Context(), f.LinkID); err == nil {
			h.conns.FailLink(c.Request().Context(), l, "bad_callback", "state mismatch", nil, c.RealIP())
		}
		return f, result{Reason: "state_mismatch", Connector: f.Connector}, false
	}
	if h.now().Sub(time.Unix(f.Started, 0)) > flowMaxAge {
		// The login took too long; say why the link cannot go on, or
		// that the approver should start again.
		res := h.unusableResult(c.Request().Context(), f.LinkID)
		if res.Reason == "replayed" {
			res.Reason = "no_flow"
		}
		return f, res, false
	}
	return f, res, true
}

// approve hands a fresh grant to the connection service and shows the
// accountant what came of it; res holds what the page says of the link.
func (h *Handler) approve(c echo.Context, a connections.Approval, res result) error {
	if res.Connector == "" {
		res.Connector = a.Link.Connector
	}
	out, err := h.conns.Approve(c.Request().Context(), a)
	if err != nil {
		return err
	}
	if out.Reason == "used" {
		return h.finish(c, h.unusableResult(c.Request().Context(), a.Link.ID))
	}
	res.Got, res.GotOrg = out.Seen.Name, out.Seen.OrgNumber
	res.Reason, res.Areas = out.Reason, out.Areas
	// A refusal after the grant means tokens existed and were withdrawn.
	res.Granted = out.Connection == nil
	res.OldGrantKept = out.OldGrantKept
	if out.Connection != nil {
		res.OK, res.Retry = true, ""
		res.Approver = approverName(out.Connection.ApprovedBy)
	}
	if res.Country == "" {
		res.Country = a.Company.Country
	}
	if res.LinkExpires.IsZero() {
		res.LinkExpires = a.Link.ExpiresAt
	}
	if res.Asker.Firm == "" {
		res.Asker = h.asker(c.Request().Context(), a.Link)
	}
	return h.finish(c, res)
}

// approverName is the name part of an approver as the upstream named them
// ("Anna Lindqvist <anna@…>"): the page names the person, and does not
// hand their address to whoever holds the link.
func approverName(approver string) string {
	if name, _, ok := strings.Cut(approver, " <"); ok && name != "" {
		return name
	}
	return approver
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
func (h *Handler) unusableResult(ctx context.Context, linkID int64) result {
	l, err := h.links.Link(ctx, linkID)
	if err != nil {
		return result{Reason: "no_flow"}
	}
	r := result{Reason: "replayed", Connector: l.Connector, Asker: h.asker(ctx, l)}
	if co, err := h.links.Company(ctx, l.CompanyID); err == nil {
		r.Company, r.CompanyOrg, r.Country = co.Name, co.OrgNumber, co.Country
	}
	switch l.State(h.now()) {
	case db.LinkExpired:
		r.Reason = "expired"
	case db.LinkRevoked:
		r.Reason = "revoked"
	case db.LinkConnected:
		// Connected through this link already (a second answer for it): say
		// so as the good news it is.
		r.OK, r.Done, r.Reason = true, true, "used"
		r.Got, r.GotOrg = r.Company, l.ExpectedOrgNumber
		if l.FinishedAt != nil {
			r.At = *l.FinishedAt
		}
	}
	return r
}

func (h *Handler) finish(c echo.Context, r result) error {
	if r.At.IsZero() {
		r.At = h.now()
	}
	if r.Firm == "" {
		r.Firm = h.firm.Name
	}
	if r.Asker.Firm == "" {
		r.Asker = h.asker(c.Request().Context(), nil)
	}
	if err := h.cookies.Set(c, resultCookie, r, 10*time.Minute); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/connect-result")
}

func (h *Handler) showConsentResult(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	var r result
	if !h.cookies.Read(c, resultCookie, &r) {
		// No result to show (it lives ten minutes): not a failure, since
		// none may have happened; the link itself shows where it stands.
		r = result{Reason: "gone", Firm: h.firm.Name, Asker: h.asker(c.Request().Context(), nil)}
		return h.render(c, http.StatusOK, "consent_result", h.ct(c, r.Connector, "result.title"), r)
	}
	// The result comes from a cookie, not a link: the company's country it
	// carries is how it speaks the consent page's default language.
	if r.Country != "" {
		h.portal.DefaultLanguage(c, r.Country)
	}
	if shareReasons[r.Reason] && r.Retry != "" && h.now().Before(r.LinkExpires) {
		r.ShareURL = h.absURL("/connect/" + r.Retry)
	}
	status := http.StatusOK
	if !r.OK {
		status = http.StatusBadRequest
		if r.Reason == "upstream" {
			status = http.StatusBadGateway
		}
	}
	return h.render(c, status, "consent_result", h.ct(c, r.Connector, "result.title"), r)
}
