package accountant

import (
	netmail "net/mail"
	"strings"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/mail"
	"bilag/views"
)

// mailReceipt e-mails the receipt of l to its approver, approvedBy as the
// connection stores them, when that names an address: the upstream's
// word for its user ("Anna Lindqvist <anna@…>"). A name typed on the key
// form is no address, and gets no mail; the page offers the receipt to
// print either way. A mail that fails is logged, never the approval's
// failure.
func (h *Handler) mailReceipt(c echo.Context, l *db.ConsentLink, approvedBy string) {
	if h.mail == nil {
		return
	}
	to, err := netmail.ParseAddress(approvedBy)
	if err != nil || to.Address == "" {
		return
	}
	ctx := c.Request().Context()
	fresh := h.fresh(ctx, l)
	r, err := h.receiptOf(c, fresh)
	if err != nil {
		h.log.Warn("receipt for mail", "link_id", l.ID, "err", err)
		return
	}
	path, until, err := h.receiptPath(fresh)
	if err != nil {
		h.log.Warn("seal receipt address", "link_id", l.ID, "err", err)
		return
	}
	if path != "" {
		r.URL, r.Until = h.absURL(path), views.FormatTime(until, views.CountryZone(r.Country), h.portal.Lang(c))
	}
	m := mail.Message{To: to.String(), Subject: h.t(c, "receipt.mail.subject", r.Firm, r.Company), Text: h.receiptText(c, r)}
	if err := h.mail(ctx, m); err != nil {
		h.log.Warn("mail receipt", "link_id", l.ID, "err", err)
	}
}

// receiptText is r as plain text, the page's facts in the page's order.
func (h *Handler) receiptText(c echo.Context, r receipt) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line(h.t(c, "receipt.lead", r.Firm, r.Company, r.CompanyOrg))
	line("")
	for _, st := range r.Steps {
		line("— " + h.views.ConnectorName(h.portal.Lang(c), st.Connector))
		line(h.t(c, "receipt.who") + ": " + or(st.Approver, h.t(c, "receipt.who.unknown")))
		line(h.t(c, "receipt.when") + ": " + st.At)
		line(h.t(c, "receipt.what") + ": " + st.Access)
		line(h.t(c, "receipt.withdraw") + ": " + st.Withdraw)
		line("")
	}
	line(h.t(c, "receipt.link") + ": " + h.t(c, "receipt.link.value", r.LinkID, r.LinkMade))
	if r.Sender != "" {
		line(h.t(c, "receipt.sender") + ": " + r.Sender)
	}
	if r.Contact != "" {
		line(h.t(c, "receipt.contact") + ": " + r.Contact)
	}
	if r.PrivacyURL != "" {
		line(h.t(c, "receipt.privacy") + ": " + r.PrivacyURL)
	}
	if r.URL != "" {
		line("")
		line(h.t(c, "receipt.mail.open", r.Until))
		line(r.URL)
	}
	return b.String()
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
