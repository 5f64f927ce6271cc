package accountant

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/views"
)

// A receipt is what the approver keeps of an approval (issue 29): who
// granted what access, to which firm, when, through which link, and how
// to withdraw it in that system, with the firm's contact and privacy
// notice. It is read from the link and its connections when it is shown,
// so a link of two steps shows both once both are done.
//
// The approver reaches it by a sealed address (receiptPath): the link's
// id and company and an end, signed and encrypted under the portal's key,
// so nobody can make one up or widen it, and it is not the link's secret
// (which would let its holder approve again). It opens for receiptTTL;
// after that the page says the receipt has expired and who to ask. The
// firm's people open the same receipt from the company's audit trail
// (FirmReceipt), behind the portal's login and access check.

// receiptTTL is how long a receipt's address opens: long enough to file
// it with the books of the month, short enough that a forwarded mail does
// not show who approved forever.
const receiptTTL = 90 * 24 * time.Hour

// receiptToken is the name the receipt's address is sealed under.
const receiptToken = "receipt"

// receiptKey is what a receipt's address holds, sealed.
type receiptKey struct {
	Link    int64 `json:"l"`
	Company int64 `json:"c"`
	// Until is the end of the address, in Unix seconds.
	Until int64 `json:"u"`
}

// receiptStep is one approved step of a link: the connector, what it
// grants and how to withdraw it, in its own words; who approved and when.
type receiptStep struct {
	Connector string
	Access    string
	Withdraw  string
	Approver  string
	At        string
}

// receipt is the receipt page's model, every time and word already in
// the reader's language (the page and the mail say the same). Reason is
// "" for a receipt, "expired" or "invalid" for the page that says why
// there is none.
type receipt struct {
	Reason     string
	Company    string
	CompanyOrg string
	Country    string
	Firm       string
	LinkID     int64
	LinkMade   string
	Sender     string
	Steps      []receiptStep
	Contact    string
	PrivacyURL string
	// Until is when the address stops opening; "" for the firm's view.
	Until string
	// URL is the receipt's own address, for its mail; "" elsewhere.
	URL string
}

func (r receipt) connector() string {
	if len(r.Steps) > 0 {
		return r.Steps[0].Connector
	}
	return ""
}
func (r receipt) country() string { return r.Country }

// errNoReceipt: the link approved nothing (yet), so there is nothing to
// give a receipt for.
var errNoReceipt = errors.New("accountant: the link approved nothing")

// receiptOf is the receipt of l in the visitor's language.
func (h *Handler) receiptOf(c echo.Context, l *db.ConsentLink) (receipt, error) {
	ctx := c.Request().Context()
	co, err := h.links.Company(ctx, l.CompanyID)
	if err != nil {
		return receipt{}, err
	}
	lang, zone := h.portal.Lang(c), views.CountryZone(co.Country)
	at := func(t time.Time) string { return views.FormatTime(t, zone, lang) }
	a := h.asker(ctx, l)
	r := receipt{Company: co.Name, CompanyOrg: co.OrgNumber, Country: co.Country, Firm: h.firm.Name, LinkID: l.ID,
		LinkMade: at(l.CreatedAt), Sender: a.SenderName, Contact: h.firm.Contact, PrivacyURL: h.firm.PrivacyURL}
	if l.Status == db.LinkConnected {
		r.Steps = append(r.Steps, h.receiptStep(c, l, l.Connector, h.ct(c, l.Connector, "accountant.access"), l.FinishedAt, at))
	}
	if l.ThenConnector != "" && l.ThenStatus == db.LinkConnected {
		r.Steps = append(r.Steps, h.receiptStep(c, l, l.ThenConnector, h.thenAccess(c, l.ThenConnector), l.ThenFinishedAt, at))
	}
	if len(r.Steps) == 0 {
		return receipt{}, errNoReceipt
	}
	return r, nil
}

// receiptStep is the step of l that connected connector: who approved and
// when as its connection says while it is l's, else as the link recorded.
func (h *Handler) receiptStep(c echo.Context, l *db.ConsentLink, connector, access string, finished *time.Time,
	at func(time.Time) string) receiptStep {
	st := receiptStep{Connector: connector, Access: access, Withdraw: h.ct(c, connector, "result.ok.withdraw", h.firm.Name),
		Approver: approverName(l.Approver)}
	if finished != nil {
		st.At = at(*finished)
	}
	if conn, err := h.links.Connection(c.Request().Context(), l.CompanyID, connector); err == nil && conn.LinkID == l.ID {
		st.Approver, st.At = approverName(conn.ApprovedBy), at(conn.ApprovedAt)
	}
	return st
}

// receiptPath is a fresh sealed address of l's receipt and when it stops
// opening; "" when receipts cannot be sealed here.
func (h *Handler) receiptPath(l *db.ConsentLink) (string, time.Time, error) {
	if h.receipts == nil {
		return "", time.Time{}, nil
	}
	until := h.now().Add(receiptTTL).Truncate(time.Second)
	tok, err := h.receipts.Seal(receiptToken, receiptKey{Link: l.ID, Company: l.CompanyID, Until: until.Unix()})
	if err != nil {
		return "", time.Time{}, err
	}
	return "/receipt/" + tok, until, nil
}

// offerReceipt adds to r, a result that connected, the address of its
// link's receipt; a link that cannot be read or approved nothing offers
// none.
func (h *Handler) offerReceipt(ctx context.Context, r *result) {
	if !r.OK || r.LinkID == 0 {
		return
	}
	l, err := h.links.Link(ctx, r.LinkID)
	if err != nil || (l.Status != db.LinkConnected && l.ThenStatus != db.LinkConnected) {
		return
	}
	if p, _, err := h.receiptPath(l); err == nil {
		r.ReceiptURL = p
	}
}

// showReceipt shows the receipt its sealed address names, while the
// address opens: a forged one is not found, an old one has expired.
func (h *Handler) showReceipt(c echo.Context) error {
	noStore(c)
	c.Response().Header().Set("X-Robots-Tag", "noindex")
	var k receiptKey
	if h.receipts == nil || !h.receipts.Open(receiptToken, c.Param("token"), &k) || k.Link == 0 {
		return h.noReceipt(c, http.StatusNotFound, "invalid")
	}
	if !h.now().Before(time.Unix(k.Until, 0)) {
		return h.noReceipt(c, http.StatusGone, "expired")
	}
	l, err := h.links.Link(c.Request().Context(), k.Link)
	if err != nil || l.CompanyID != k.Company {
		return h.noReceipt(c, http.StatusNotFound, "invalid")
	}
	if co, err := h.links.Company(c.Request().Context(), l.CompanyID); err == nil {
		h.portal.DefaultLanguage(c, co.Country)
	}
	r, err := h.receiptOf(c, l)
	if errors.Is(err, errNoReceipt) || isNotFound(err) {
		return h.noReceipt(c, http.StatusNotFound, "invalid")
	}
	if err != nil {
		return err
	}
	r.Until = views.FormatTime(time.Unix(k.Until, 0), views.CountryZone(r.Country), h.portal.Lang(c))
	return h.render(c, http.StatusOK, "consent_receipt", h.t(c, "receipt.title"), r)
}

// noReceipt is the page of an address that shows no receipt: why, and
// who to ask for a copy.
func (h *Handler) noReceipt(c echo.Context, status int, reason string) error {
	r := receipt{Reason: reason, Firm: h.firm.Name, Contact: h.firm.Contact, PrivacyURL: h.firm.PrivacyURL}
	return h.render(c, status, "consent_receipt", h.t(c, "receipt.title"), r)
}

// FirmReceipt shows the receipt of the link linkID of the company
// companyID to the firm's people, from the company's audit trail. The
// portal checks who may see the company; this checks the link is the
// company's and approved something (echo.ErrNotFound otherwise).
func (h *Handler) FirmReceipt(c echo.Context, companyID int64, linkID string) error {
	id, err := strconv.ParseInt(linkID, 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	l, err := h.links.Link(c.Request().Context(), id)
	if isNotFound(err) || (err == nil && l.CompanyID != companyID) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	r, err := h.receiptOf(c, l)
	if errors.Is(err, errNoReceipt) || isNotFound(err) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	noStore(c)
	return h.render(c, http.StatusOK, "consent_receipt", h.t(c, "receipt.title"), r)
}
