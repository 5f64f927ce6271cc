package accountant

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/connections"
)

// result is what the accountant's result page shows, carried across the
// redirect from the callback so the callback's URL (with its code) does
// not stay in the address bar. It is made in two places only: newResult
// for a known link, noLink for none.
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
	// Ended: the access this link granted has ended since (withdrawn by
	// the company, disconnected or offboarded by the firm, ended by the
	// system); the page says so instead of "connected".
	Ended bool `json:"en,omitempty"`
	// LinkExpires is until when the link (Retry) can still be used.
	LinkExpires time.Time `json:"le,omitzero"`
	// Asker is who to ask, as on the consent page.
	Asker asker `json:"w"`
	// ShareURL is the link itself, offered to pass on to a colleague where
	// trying again oneself cannot help (set by showConsentResult).
	ShareURL string `json:"-"`
	// Steps are the lines of a link of two steps, each where it stands;
	// Next is the link's secret when the page offers to start the second
	// step, of connector Then (steps.go).
	Steps []stepLine `json:"st,omitempty"`
	Next  string     `json:"nx,omitempty"`
	Then  string     `json:"th,omitempty"`
	// LinkID is the link's, when it connected: the page offers its
	// receipt at ReceiptURL (receipt.go), sealed when the page is shown.
	LinkID     int64  `json:"li,omitempty"`
	ReceiptURL string `json:"-"`
}

func (r result) connector() string { return r.Connector }
func (r result) country() string   { return r.Country }

// newResult is the model of the result page of v's link: what v knows of
// the link and its company, then what came of the attempt, out. granted
// says out is what the connection service made of a grant the upstream
// gave, so that a refusal says the access was withdrawn; an answer the
// upstream refused before any grant, and a link that can take none, have
// nothing to withdraw. out.Reason "used" is a link that connected already
// (reopened, or a second answer for it), shown as the good news it is;
// out.Connection then is the link's connection, when known.
func (h *Handler) newResult(v visit, out connections.Outcome, granted bool) result {
	l, co := v.Link, v.Company
	r := result{Company: co.Name, CompanyOrg: co.OrgNumber, Expected: l.ExpectedOrgNumber, Retry: v.Secret, Firm: h.firm.Name,
		Connector: v.stepConnector(), Country: co.Country, LinkExpires: l.ExpiresAt, Asker: v.Asker,
		Reason: out.Reason, Areas: out.Areas, Got: out.Seen.Name, GotOrg: out.Seen.OrgNumber, OldGrantKept: out.OldGrantKept}
	switch conn := out.Connection; {
	case out.Reason == "used":
		r.OK, r.Done, r.Retry, r.LinkID = true, true, "", l.ID
		r.Got, r.GotOrg = co.Name, l.ExpectedOrgNumber
		if l.FinishedAt != nil {
			r.At = *l.FinishedAt
		}
		if conn != nil {
			r.Got, r.GotOrg, r.Approver, r.At = conn.ExternalName, conn.OrgNumber, approverName(conn.ApprovedBy), conn.ApprovedAt
		}
	case conn != nil:
		r.OK, r.Retry, r.LinkID = true, "", l.ID
		r.Approver = approverName(conn.ApprovedBy)
	default:
		r.Granted = granted
		if final[out.Reason] {
			r.Retry = ""
		}
	}
	return r
}

// final are the refusals no other try of the same approver can change:
// the result page offers no "try again" for them.
var final = map[string]bool{"upstream_error": true}

// noLink is the result page when no link is known (no flow in the
// browser, a tampered callback, a result gone): the firm's words, and the
// connector's when the browser's flow named one.
func (h *Handler) noLink(reason, connector string) result {
	return result{Reason: reason, Connector: connector, Firm: h.firm.Name, Asker: h.firmAsker()}
}

// unusable is the result page of v's link when it can take no answer:
// where the link stands. Its secret offers no "try again".
func (h *Handler) unusable(v visit) result {
	v.Secret = ""
	return h.newResult(v, connections.Outcome{Reason: standing(v, h.now())}, false)
}

// standing is why v's step of its link can take no answer at now:
// "replayed" when nothing but this answer is wrong (its attempt was taken
// already).
func standing(v visit, now time.Time) string {
	st := v.Link.State(now)
	if v.Then {
		st = v.Link.ThenState(now)
	}
	switch st {
	case db.LinkExpired:
		return "expired"
	case db.LinkRevoked:
		return "revoked"
	case db.LinkConnected:
		return "used"
	}
	return "replayed"
}

// renderDone shows a link that connected its company: what it connected,
// when, and who approved (as the upstream named them), never a failure.
func (h *Handler) renderDone(c echo.Context, v visit) error {
	out := connections.Outcome{Reason: "used"}
	conn, err := h.links.Connection(c.Request().Context(), v.Company.ID, v.Link.Connector)
	if err == nil && conn.LinkID == v.Link.ID {
		out.Connection = conn
	}
	v.Then = false // the page is the first step's, whichever comes next
	r := h.newResult(v, out, false)
	// A link's own connection that is no longer active, or none at all
	// (an offboarded company's): what the link did is history.
	r.Ended = isNotFound(err) || err == nil && conn.LinkID == v.Link.ID && conn.Status != db.ConnActive
	h.withSteps(c, &r, v, true)
	r.Steps = h.words(c, r.Steps)
	h.offerReceipt(c.Request().Context(), &r)
	return h.render(c, http.StatusOK, "consent_result", h.ct(c, r.Connector, "result.title"), r)
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

// finish seals r, stamped with the moment of the answer unless it shows an
// earlier one, and sends the browser to the result page.
func (h *Handler) finish(c echo.Context, r result) error {
	if r.At.IsZero() {
		r.At = h.now()
	}
	if err := h.cookies.Set(c, resultCookie, r, 10*time.Minute); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/connect-result")
}

// shareReasons are the refusals that another person, not another try,
// fixes: the approver lacks rights, or the company lacks Bookkeeping (the
// owner decides on the product).
var shareReasons = map[string]bool{"permission": true, "no_company_access": true, "no_bookkeeping": true}

// showConsentResult shows the result finish sealed.
func (h *Handler) showConsentResult(c echo.Context) error {
	noStore(c)
	var r result
	if !h.cookies.Read(c, resultCookie, &r) {
		// No result to show (it lives ten minutes): not a failure, since
		// none may have happened; the link itself shows where it stands.
		r = h.noLink("gone", "")
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
	r.Steps = h.words(c, r.Steps)
	h.offerReceipt(c.Request().Context(), &r)
	status := http.StatusOK
	if !r.OK {
		status = http.StatusBadRequest
		if r.Reason == "upstream" || r.Reason == "upstream_error" {
			status = http.StatusBadGateway
		}
	}
	return h.render(c, status, "consent_result", h.ct(c, r.Connector, "result.title"), r)
}
