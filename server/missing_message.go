package server

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/mail"
	"bilag/views"
)

// Telling a company what documents are missing (issue 29): from the
// missing-documents page, those who manage the company write to its
// client users, or to the contact address on its company page when it
// has none. The text is made from the catalogue in the company's language
// and may be edited before it goes; without a mail server the page shows
// it to copy. The recipients are the company's own, never typed in, so the
// form cannot send the firm's mail anywhere else.

// missingListed is how many vouchers a message lists one by one; a longer
// list ends with how many more there are.
const missingListed = 25

// missingTextMax bounds an edited message.
const missingTextMax = 20000

// missingMessage is the message part of the missing-documents page.
type missingMessage struct {
	// To are the recipients, as mail addresses them ("Name <addr>");
	// FromContact: the company's contact address, since it has no
	// client users.
	To          []string
	FromContact bool
	Subject     string
	Text        string
	// Mail: a mail server is set; otherwise the page offers the text to
	// copy.
	Mail bool
}

// Rows is how many rows the message's box needs.
func (m missingMessage) Rows() int { return linkMessage{Text: m.Text}.Rows() }

// missingRecipients are the company's active client users, else its
// contact address; none when it has neither.
func (s *Server) missingRecipients(ctx context.Context, co *db.Company) (to []string, fromContact bool, err error) {
	us, err := s.db.ClientUsers(ctx, co.ID)
	if err != nil {
		return nil, false, err
	}
	for _, u := range us {
		if r, ok := recipient(u.Name, u.Email); ok {
			to = append(to, r)
		}
	}
	if len(to) == 0 && co.ContactEmail != "" {
		if r, ok := recipient("", co.ContactEmail); ok {
			return []string{r}, true, nil
		}
	}
	return to, false, nil
}

// missingMessageOf is p's message from sender, in the company's language.
func (s *Server) missingMessageOf(ctx context.Context, p *missingPage, sender string) (*missingMessage, error) {
	co := p.Company
	to, fromContact, err := s.missingRecipients(ctx, co)
	if err != nil {
		return nil, err
	}
	lang := messageLang(co.Country, "")
	m := &missingMessage{To: to, FromContact: fromContact, Mail: s.mailOn(),
		Subject: s.views.Translate(lang, "missing.message.subject", genitive(lang, co.Name))}
	var lines []string
	for _, v := range p.List.Vouchers[:min(len(p.List.Vouchers), missingListed)] {
		lines = append(lines, s.views.Translate(lang, "missing.message.line", v.Number, v.Date.Format("2006-01-02"), views.Money(v.Amount), v.Text))
	}
	if more := p.Total - len(lines); more > 0 {
		lines = append(lines, s.views.Translate(lang, "missing.message.more", more, p.Total))
	}
	m.Text = s.views.Translate(lang, "missing.message.text", s.firm, genitive(lang, co.Name), p.Total, strings.Join(lines, "\n"), sender)
	return m, nil
}

// sendMissingMessage sends the message, as edited, to the company's
// recipients, one mail each (client users do not see each other's
// addresses), and audits it with the count and the recipients.
func (s *Server) sendMissingMessage(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	back := "/companies/" + strconv.FormatInt(co.ID, 10) + "/missing#missing-message"
	p, err := s.missingOf(ctx, co)
	if err != nil {
		return err
	}
	m, err := s.missingMessageOf(ctx, &p, currentUser(c).Name)
	switch {
	case err != nil:
		return err
	case p.Total == 0:
		return s.flashTo(c, s.t(c, "missing.message.nothing"), back)
	case len(m.To) == 0:
		return s.flashTo(c, s.t(c, "missing.message.nobody"), back)
	case !m.Mail:
		return s.flashTo(c, s.t(c, "missing.message.nomail"), back)
	}
	text := strings.TrimSpace(strings.ReplaceAll(c.FormValue("text"), "\r\n", "\n"))
	if text == "" || utf8.RuneCountInString(text) > missingTextMax {
		return s.flashTo(c, s.t(c, "missing.message.badtext", missingTextMax), back)
	}
	sent, err := s.mailEach(ctx, m.To, m.Subject, text)
	if len(sent) > 0 {
		s.audit(c, db.AuditMissingMessage, &co.ID, strings.Join(sent, ", "), "vouchers="+strconv.Itoa(p.Total)+" recipients="+strconv.Itoa(len(sent)))
	}
	switch {
	case err == nil:
		return s.flashTo(c, s.t(c, "missing.message.sent", len(sent)), back)
	case errors.Is(err, mail.ErrInvalidMessage):
		return s.flashTo(c, s.t(c, "share.bad_address"), back)
	}
	s.log.Warn("send missing documents message", "company_id", co.ID, "sent", len(sent), "err", err)
	return s.flashTo(c, s.t(c, "missing.message.failed", len(sent), len(m.To)), back)
}

// mailEach sends subject and text to each of to, stopping at the first
// failure; sent are those it went to.
func (s *Server) mailEach(ctx context.Context, to []string, subject, text string) (sent []string, err error) {
	for _, r := range to {
		if err := s.sendMail(ctx, mail.Message{To: r, Subject: subject, Text: text}); err != nil {
			return sent, err
		}
		sent = append(sent, r)
	}
	return sent, nil
}
