package accountant

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"bilag/connectors"
	"bilag/db"
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
	// Then: the flow is of the link's second step (steps.go).
	Then bool `json:"th,omitempty"`
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
	// Steps are the link's two steps and what each grants; nil for a
	// link of one.
	Steps []stepLine
}

func (p consentPage) connector() string { return p.Connector }

func (p consentPage) country() string {
	if p.Company == nil {
		return ""
	}
	return p.Company.Country
}

// consentPage is what the consent page shows of v.
func (h *Handler) consentPage(v visit) consentPage {
	return consentPage{Secret: v.Secret, Firm: h.firm.Name, Company: v.Company, Expected: v.Link.ExpectedOrgNumber,
		ExpiresAt: v.Link.ExpiresAt, Connector: v.Link.Connector, Asker: v.Asker}
}

// openLink reads the link of the request's secret, once, and, when it
// cannot be used, renders the page that says why; ok is false then.
func (h *Handler) openLink(c echo.Context) (v visit, ok bool, err error) {
	ctx := c.Request().Context()
	noStore(c)
	secret := c.Param("secret")
	l, err := h.links.LinkBySecret(ctx, secret)
	if isNotFound(err) {
		p := consentPage{Firm: h.firm.Name, Asker: h.firmAsker(), State: "unknown"}
		return v, false, h.render(c, http.StatusNotFound, "consent", h.t(c, "consent.title"), p)
	}
	if err != nil {
		return v, false, err
	}
	if v, err = h.visitOf(ctx, l); err != nil {
		return v, false, err
	}
	v.Secret = secret
	h.portal.DefaultLanguage(c, v.Company.Country)
	now := h.now()
	state := l.State(now)
	switch {
	case state == db.LinkConnected && l.ThenUsable(now) && v.Company.Active:
		// Half done: the link goes on with its second step.
		v.Then = true
		return v, true, nil
	case state == db.LinkConnected && now.Before(l.ExpiresAt):
		// A used link shows what it did until it would have expired; after
		// that a forwarded link no longer names the approver.
		return v, false, h.renderDone(c, v)
	case state == db.LinkConnected:
		state = "used"
	case !l.Usable(now):
	case !v.Company.Active:
		state = "company"
	default:
		return v, true, nil
	}
	p := h.consentPage(v)
	p.Secret, p.State = "", state
	return v, false, h.render(c, http.StatusGone, "consent", h.ct(c, p.Connector, "consent.title"), p)
}

// showConnect is what opening a link shows: the key form for a connector
// granted by pasted keys, the consent page for every other. Link scanners
// in mail systems GET it too, so it changes nothing but the "opened" mark.
func (h *Handler) showConnect(c echo.Context) error {
	v, ok, err := h.openLink(c)
	if !ok || err != nil {
		return err
	}
	if v.Then {
		// The first step is done: its result, and the second's button.
		return h.renderDone(c, v)
	}
	if err := h.links.MarkLinkOpened(c.Request().Context(), v.Link.ID); err != nil {
		return err
	}
	if cc := h.keyConnector(v.Link); cc != nil {
		page, _, _ := h.readKeys(c, cc, h.consentPage(v))
		return h.renderKeyForm(c, http.StatusOK, page)
	}
	page := h.consentPage(v)
	page.Steps = h.words(c, h.steps(v.Link, false))
	return h.render(c, http.StatusOK, "consent", h.ct(c, v.Link.Connector, "consent.title"), page)
}

// startConsent is "give permission" (submitConnect, a POST, so that no
// link scanner can start a login): a fresh flow sealed in the browser,
// then off to the upstream.
func (h *Handler) startConsent(c echo.Context, v visit) error {
	l, name := v.Link, v.stepConnector()
	rc, ok := h.conns.Connector(name).(connectors.RedirectConnector)
	if !ok {
		return fmt.Errorf("connector %q cannot redirect: %w", name, echo.ErrNotFound)
	}
	f := flow{LinkID: l.ID, Connector: name, State: randomToken(32), Verifier: oauth2.GenerateVerifier(), Attempt: randomToken(32),
		Secret: v.Secret, Then: v.Then, Started: h.now().Unix()}
	var loginURL string
	var err error
	if ll, ok := rc.(connectors.LocalizedLogin); ok {
		// The upstream's page in the language of the consent page.
		loginURL, err = ll.LoginURLIn(h.callbackURL(name), f.State, f.Verifier, h.portal.Lang(c))
	} else {
		loginURL, err = rc.LoginURL(h.callbackURL(name), f.State, f.Verifier)
	}
	if err != nil {
		return err
	}
	start := h.links.StartLinkLogin
	if v.Then {
		start = h.links.StartThenLogin
	}
	if err := start(c.Request().Context(), l.ID, f.Attempt); err != nil {
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
