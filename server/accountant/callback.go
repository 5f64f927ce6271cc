package accountant

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
)

// The way back from the upstream, in the order a browser walks it:
// consentCallback (the upstream's redirect: takeFlow, then a "checking"
// page) → consentCheck (takeCheck, the link's attempt taken once, the code
// exchanged; checkTaken when the attempt was taken already) → approve (the
// connection service's Approve) → finish (the result sealed for the
// result page, result.go).

// checkCookie carries the upstream's answer from the callback to the check
// (consentCheck): the flow it matched, and the callback's parameters, kept
// sealed in the browser rather than in a URL, a log line or a Referer.
const checkCookie = "bilag_check"

// pendingCheck is what checkCookie holds.
type pendingCheck struct {
	Flow  flow       `json:"f"`
	Query url.Values `json:"q"`
}

// checkingPage is the short page between the callback and the check.
type checkingPage struct {
	// Action is where the page moves on to after Delay seconds.
	Action    string
	Delay     int
	Connector string
}

func (p checkingPage) connector() string { return p.Connector }
func (p checkingPage) country() string   { return "" }

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
	noStore(c)
	if l, err := h.links.Link(c.Request().Context(), f.LinkID); err == nil {
		h.speakCompanyLanguage(c, l)
	}
	page := checkingPage{Action: "/oauth/" + f.Connector + "/check", Connector: f.Connector}
	return h.render(c, http.StatusOK, "consent_checking", h.t(c, "accountant.checking.title"), page)
}

// takeFlow reads and spends the browser's flow cookie and checks the
// callback's state against it; when ok is false, res says why.
func (h *Handler) takeFlow(c echo.Context) (f flow, res result, ok bool) {
	ctx := c.Request().Context()
	read := h.cookies.Read(c, flowCookie, &f)
	h.cookies.Clear(c, flowCookie)
	if !read {
		return f, h.noLink("no_flow", ""), false
	}
	state := c.QueryParam("state")
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 || f.Connector != c.Param("connector") {
		// The attempt is spent (its cookie is gone): say why on the link,
		// so the analyst does not see a login that never ends.
		if l, err := h.links.Link(ctx, f.LinkID); err == nil {
			h.failStep(c, l, f.Then, "bad_callback", "state mismatch", nil)
		}
		return f, h.noLink("state_mismatch", f.Connector), false
	}
	if h.now().Sub(time.Unix(f.Started, 0)) > flowMaxAge {
		return f, h.tooLate(c, f), false
	}
	return f, res, true
}

// consentCheck is the second half of the callback: it spends the sealed
// answer the callback left, takes the link's attempt (the one read of the
// link, with its company and asker, for the whole request), exchanges the
// code and hands the grant to approve.
func (h *Handler) consentCheck(c echo.Context) error {
	ctx := c.Request().Context()
	pc, res, ok := h.takeCheck(c)
	if !ok {
		return h.finish(c, res)
	}
	f := pc.Flow
	take := h.links.TakeLinkAttempt
	if f.Then {
		take = h.links.TakeThenAttempt
	}
	l, err := take(ctx, f.LinkID, f.Attempt)
	if isNotFound(err) {
		return h.checkTaken(c, f)
	}
	if err != nil {
		return err
	}
	v, err := h.visitOf(ctx, l)
	if err != nil {
		return err
	}
	v.Secret, v.Then = f.Secret, f.Then
	rc, ok := h.conns.Connector(f.Connector).(connectors.RedirectConnector)
	if !ok || f.Connector != v.stepConnector() {
		return echo.ErrNotFound
	}
	grant, err := rc.HandleCallback(ctx, h.callbackURL(f.Connector), pc.Query, f.Verifier)
	if err != nil {
		// Refused before any grant: nothing to withdraw.
		reason := callbackReason(err)
		h.failStep(c, l, v.Then, reason, "", err)
		r := h.newResult(v, connections.Outcome{Reason: reason}, false)
		h.withSteps(c, &r, v, false)
		return h.finish(c, r)
	}
	return h.approve(c, v, grant, "")
}

// failStep records why the attempt at l's first step, or (then) its
// second, failed.
func (h *Handler) failStep(c echo.Context, l *db.ConsentLink, then bool, reason, detail string, cause error) {
	if then {
		h.conns.FailThen(c.Request().Context(), l, reason, detail, cause, c.RealIP())
		return
	}
	h.conns.FailLink(c.Request().Context(), l, reason, detail, cause, c.RealIP())
}

// takeCheck reads and spends the answer the callback left for the check;
// when ok is false, res says why it cannot go on.
func (h *Handler) takeCheck(c echo.Context) (pc pendingCheck, res result, ok bool) {
	read := h.cookies.Read(c, checkCookie, &pc)
	h.cookies.Clear(c, checkCookie)
	if !read || pc.Flow.Connector != c.Param("connector") {
		return pc, h.noLink("no_flow", ""), false
	}
	if h.now().Sub(time.Unix(pc.Flow.Started, 0)) > flowMaxAge {
		return pc, h.tooLate(c, pc.Flow), false
	}
	return pc, res, true
}

// checkTaken answers a check whose attempt was taken already. While the
// link is still being checked (the browser asked twice: "Continue" pressed
// during a slow check), that is no failure: the page keeps saying
// "checking" and then opens the link, which shows how it ended.
func (h *Handler) checkTaken(c echo.Context, f flow) error {
	ctx := c.Request().Context()
	l, err := h.links.Link(ctx, f.LinkID)
	if err != nil {
		return h.finish(c, h.noLink("no_flow", ""))
	}
	st := l.State(h.now())
	if f.Then {
		st = l.ThenState(h.now())
	}
	if f.Secret == "" || st != db.LinkLoginStarted && st != db.LinkApproved {
		v, err := h.visitOf(ctx, l)
		if err != nil {
			return h.finish(c, h.noLink("no_flow", ""))
		}
		v.Then = f.Then
		return h.finish(c, h.unusable(v))
	}
	noStore(c)
	h.speakCompanyLanguage(c, l)
	page := checkingPage{Action: "/connect/" + f.Secret, Delay: 3, Connector: f.Connector}
	return h.render(c, http.StatusOK, "consent_checking", h.t(c, "accountant.checking.title"), page)
}

// approve hands a fresh grant for v's link to the connection service and
// shows the accountant what came of it. approver is who approved as they
// named themselves on the key form; "" for the upstream's word.
func (h *Handler) approve(c echo.Context, v visit, grant connectors.Grant, approver string) error {
	ctx := c.Request().Context()
	out, err := h.conns.Approve(ctx, connections.Approval{Link: v.Link, Company: v.Company, Grant: grant, RemoteIP: c.RealIP(), Approver: approver,
		Then: v.Then})
	if err != nil {
		return err
	}
	if out.Reason == "used" {
		// The link changed under this request (connected through another
		// answer, or revoked): read it again, and show where it stands.
		l, err := h.links.Link(ctx, v.Link.ID)
		if err != nil {
			return h.finish(c, h.noLink("no_flow", ""))
		}
		v.Link, v.Secret = l, ""
		return h.finish(c, h.unusable(v))
	}
	r := h.newResult(v, out, true)
	h.withSteps(c, &r, v, true)
	if out.Connection != nil {
		h.mailReceipt(c, v.Link, out.Connection.ApprovedBy)
	}
	return h.finish(c, r)
}

// tooLate is the result of a flow that outlived flowMaxAge: why its link
// cannot go on, or, when it could, that the approver should start again.
func (h *Handler) tooLate(c echo.Context, f flow) result {
	v, err := h.visit(c.Request().Context(), f.LinkID)
	if err != nil {
		return h.noLink("no_flow", "")
	}
	v.Then = f.Then
	reason := standing(v, h.now())
	if reason == "replayed" {
		reason = "no_flow"
	}
	return h.newResult(v, connections.Outcome{Reason: reason}, false)
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
	return connections.UpstreamReason(err)
}
