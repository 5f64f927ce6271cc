package accountant

import (
	"context"

	"github.com/labstack/echo/v4"

	"bilag/db"
)

// visit is what one request of the accountant's knows of its link, read
// once and handed down to every helper that needs it: the link, its
// company and who asks through it. Secret is the link's secret when the
// request holds it (in its URL, or in the browser's flow) and the
// accountant may try again with it; "" otherwise.
type visit struct {
	Link    *db.ConsentLink
	Company *db.Company
	Asker   asker
	Secret  string
	// Then: the request works on the link's second step (steps.go).
	Then bool
}

// visitOf reads what a request shows of l, a link it has just read (by
// its secret, by its id, or as the attempt it took): l's company and who
// asks through l.
func (h *Handler) visitOf(ctx context.Context, l *db.ConsentLink) (visit, error) {
	co, err := h.links.Company(ctx, l.CompanyID)
	if err != nil {
		return visit{}, err
	}
	return visit{Link: l, Company: co, Asker: h.asker(ctx, l)}, nil
}

// visit reads the link linkID and what a request shows of it.
func (h *Handler) visit(ctx context.Context, linkID int64) (visit, error) {
	l, err := h.links.Link(ctx, linkID)
	if err != nil {
		return visit{}, err
	}
	return h.visitOf(ctx, l)
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

// firmAsker is who asks when no link is known: the firm alone.
func (h *Handler) firmAsker() asker {
	return asker{Firm: h.firm.Name, Contact: h.firm.Contact, PrivacyURL: h.firm.PrivacyURL}
}

// asker is who asks through l: the firm, and the analyst who made l when
// they still exist.
func (h *Handler) asker(ctx context.Context, l *db.ConsentLink) asker {
	a := h.firmAsker()
	if u, err := h.links.User(ctx, l.CreatedByID); err == nil {
		a.SenderName, a.SenderEmail = u.Name, u.Email
	}
	return a
}

// speakCompanyLanguage makes the language of l's company the page's
// default. It is all the short "checking" page needs of its link, so it
// reads the company alone, not a whole visit.
func (h *Handler) speakCompanyLanguage(c echo.Context, l *db.ConsentLink) {
	if co, err := h.links.Company(c.Request().Context(), l.CompanyID); err == nil {
		h.portal.DefaultLanguage(c, co.Country)
	}
}
