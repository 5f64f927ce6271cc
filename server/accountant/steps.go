package accountant

import (
	"context"

	"github.com/labstack/echo/v4"

	"bilag/db"
)

// A link may carry a second step (db.ConsentLink.ThenConnector): a
// companion connector approved after the link's own, on the same link and
// with the same guards (the attempt bound to the browser and taken once,
// the link's expiry, the company's number checked). The accountant gives
// the first, then the result page offers the second; each step has its
// own line on the pages, so a half-done approval shows as such.

// stepLine is one step of a link of two, as the accountant's pages show
// it: the connector and where it stands, carried in the sealed result;
// what it grants and why it failed are put in words when the page is
// shown (words), which keeps the cookie small.
type stepLine struct {
	Connector string `json:"c"`
	// State is the step's db state (db.LinkWaiting before it starts);
	// "" on the consent page, which shows what each grants only.
	State string `json:"s,omitempty"`
	// Reason is why the step failed, a reason code.
	Reason string `json:"r,omitempty"`
	// Access is what the step grants, and Why the reason, in words.
	Access string `json:"-"`
	Why    string `json:"-"`
}

// stepConnector is the connector v's request works on: the link's own, or
// its second step's.
func (v visit) stepConnector() string {
	if v.Then {
		return v.Link.ThenConnector
	}
	return v.Link.Connector
}

// steps are the lines of l's two steps; nil for a link of one step.
// withState adds where each stands.
func (h *Handler) steps(l *db.ConsentLink, withState bool) []stepLine {
	if l.ThenConnector == "" {
		return nil
	}
	first, second := stepLine{Connector: l.Connector}, stepLine{Connector: l.ThenConnector}
	if withState {
		now := h.now()
		first.State, first.Reason = l.State(now), l.Reason
		if first.State == db.LinkCreated || first.State == db.LinkOpened {
			first.State = db.LinkWaiting
		}
		second.State, second.Reason = l.ThenState(now), l.ThenReason
	}
	for _, st := range []*stepLine{&first, &second} {
		if st.State != db.LinkFailed {
			st.Reason = ""
		}
	}
	return []stepLine{first, second}
}

// words puts steps in the visitor's language: what each grants, and why
// one failed, in its connector's words. The first step grants what its
// connector's pages say; the second, see thenAccess.
func (h *Handler) words(c echo.Context, steps []stepLine) []stepLine {
	for i := range steps {
		st := &steps[i]
		if i == 0 {
			st.Access = h.ct(c, st.Connector, "accountant.access")
		} else {
			st.Access = h.thenAccess(c, st.Connector)
		}
		if st.Reason != "" {
			st.Why = h.ct(c, st.Connector, "result."+st.Reason)
		}
	}
	return steps
}

// thenAccess is what a second step grants: its connector's own sentence
// ("<connector>.accountant.access") when it has one, else the neutral
// words for a step that writes. The neutral "accountant.access" says read
// only, which no second step may claim by default.
func (h *Handler) thenAccess(c echo.Context, connector string) string {
	if h.views.HasText(connector + ".accountant.access") {
		return h.ct(c, connector, "accountant.access")
	}
	return h.t(c, "accountant.then.access")
}

// withSteps adds the lines of v's link's steps to r, read afresh (the
// request may just have moved one), and, when offerNext, the button that
// starts the second step while it can start.
func (h *Handler) withSteps(c echo.Context, r *result, v visit, offerNext bool) {
	if v.Link.ThenConnector == "" {
		return
	}
	l := h.fresh(c.Request().Context(), v.Link)
	r.Steps = h.steps(l, true)
	if offerNext && v.Secret != "" && v.Company.Active && l.ThenUsable(h.now()) {
		r.Next, r.Then = v.Secret, l.ThenConnector
	}
}

// fresh is l as it is stored now, or l when it cannot be read.
func (h *Handler) fresh(ctx context.Context, l *db.ConsentLink) *db.ConsentLink {
	if got, err := h.links.Link(ctx, l.ID); err == nil {
		return got
	}
	return l
}
