package server

import (
	"net/mail"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// setContact sets or removes the company's contact address (the company
// page's form, for those who manage it): where the firm's messages to the
// company go when it has no client users. A malformed address is refused
// with a word and changes nothing; the change is audited.
func (s *Server) setContact(c echo.Context) error {
	co := currentCompany(c)
	back := "/companies/" + strconv.FormatInt(co.ID, 10) + "#contact"
	addr := strings.TrimSpace(c.FormValue("contact_email"))
	if addr != "" {
		a, err := mail.ParseAddress(addr)
		if err != nil || a.Address != addr || len(addr) > 254 {
			return s.flashTo(c, s.t(c, "company.contact.bad"), back)
		}
	}
	if addr == co.ContactEmail {
		return s.flashTo(c, s.t(c, "company.contact.same"), back)
	}
	by := auditBy(c)
	by.Target = co.Name
	if err := s.db.SetContactEmail(c.Request().Context(), co.ID, addr, by); err != nil {
		return err
	}
	if addr == "" {
		return s.flashTo(c, s.t(c, "company.contact.removed"), back)
	}
	return s.flashTo(c, s.t(c, "company.contact.saved", addr), back)
}
