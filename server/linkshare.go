package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	netmail "net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	// The zones of the companies' countries, also where the system has
	// no zone database.
	_ "time/tzdata"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/mail"
	"bilag/views"
)

// linkCopy is a link not yet opened, shown to those who manage the company
// for as long as it can still be passed on: the link, a QR code of it and a
// message to paste, in the approver's language with English beside it.
type linkCopy struct {
	LinkID int64
	URL    string
	QR     template.URL
	// Lang is the language of the message, the mail's too: the one the
	// analyst picked, else the company's country's (messageLang).
	Lang string
	// Langs are the languages the analyst may pick for the message.
	Langs []string
	// Messages are the message in Lang and, unless Lang is English, in
	// English below it.
	Messages  []linkMessage
	ExpiresAt time.Time
	SentTo    string
	SentAt    *time.Time
	// Mail: the portal can send mail, so the page offers the form.
	Mail bool
}

// linkMessage is the message in one language.
type linkMessage struct {
	Lang, Text string
	// Subject is the mail's subject in Lang.
	Subject string
}

// msgRowChars is about how many characters a row of a message's box holds
// on a narrow screen.
const msgRowChars = 60

// Rows is how many rows the message's box needs to show it whole: one a
// line, more for a line that wraps. Where the browser sizes the box to its
// text (field-sizing, portfolio.css) this is only the least it has.
func (m linkMessage) Rows() int {
	n := 0
	for line := range strings.SplitSeq(m.Text, "\n") {
		n += max(1, (utf8.RuneCountInString(line)+msgRowChars-1)/msgRowChars)
	}
	return n
}

// messageLang is the language a company's approver is written to in: the
// one picked when it is one Bilag speaks, else the language of the
// company's country, else Swedish (the firms using Bilag are Swedish; a
// company of another country gets English beside it all the same).
func messageLang(country, picked string) string {
	if views.Supported(picked) {
		return picked
	}
	if l := views.CountryLanguage(country); views.Supported(l) {
		return l
	}
	return "sv"
}

// linkCopyOf is the copy of l, or nil when l can no longer be shown; its
// message is in lang (see messageLang) with English beside.
func (s *Server) linkCopyOf(ctx context.Context, co *db.Company, l *db.ConsentLink, sender, lang string) (*linkCopy, error) {
	secret, err := s.db.LinkSecret(ctx, l)
	if err != nil {
		if !errors.Is(err, db.ErrNotFound) {
			// Sealed under a key no longer configured: the link still
			// works, it just cannot be shown again.
			s.log.Warn("open sealed consent link", "link_id", l.ID, "err", err)
		}
		return nil, nil
	}
	url := s.absURL("/connect/" + secret)
	qrURL, err := qrDataURL(url)
	if err != nil {
		return nil, err
	}
	cp := &linkCopy{LinkID: l.ID, URL: url, QR: qrURL, ExpiresAt: l.ExpiresAt, SentTo: l.SentTo, SentAt: l.SentAt, Mail: s.mailOn(),
		Lang: messageLang(co.Country, lang), Langs: views.Languages()}
	langs := []string{cp.Lang}
	if cp.Lang != "en" {
		langs = append(langs, "en")
	}
	for _, lang := range langs {
		cp.Messages = append(cp.Messages, linkMessage{Lang: lang, Text: s.linkMessage(lang, co, l, url, sender), Subject: s.linkSubject(lang, co, l.Connector)})
	}
	return cp, nil
}

// linkMessage is the message that carries a link to its approver. What
// the connection lets Bilag do is the connector's access sentence, the one
// the accountant's pages show, so that the message promises no more and
// no less than the pages.
func (s *Server) linkMessage(lang string, co *db.Company, l *db.ConsentLink, url, sender string) string {
	system := s.connectorName(lang, l.Connector)
	access := s.views.TranslateFor(lang, l.Connector, "accountant.access")
	if then := l.ThenConnector; then != "" {
		// A link of two steps promises its second step too, in the
		// companion's words when it has them (as the consent page does).
		thenAccess := s.views.Translate(lang, "accountant.then.access")
		if s.views.HasText(then + ".accountant.access") {
			thenAccess = s.views.TranslateFor(lang, then, "accountant.access")
		}
		access += " " + s.views.Translate(lang, "share.then", s.connectorName(lang, then), thenAccess)
	}
	return s.views.TranslateFor(lang, l.Connector, "share.message", s.firm, genitive(lang, co.Name), system, url, s.linkExpiry(lang, l.ExpiresAt, co.Country), sender, access)
}

// countryZones are the zones the approvers of a country's companies read
// times in.
var countryZones = map[string]string{"SE": "Europe/Stockholm", "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki", "NL": "Europe/Amsterdam"}

// companyZone is where a company's approver most likely reads the message;
// the portal's zone for a country not listed.
func (s *Server) companyZone(country string) *time.Location {
	if name, ok := countryZones[country]; ok {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return s.auditZone()
}

// linkSubject is the subject of the mail that carries a link of
// connector's, in its words: the neutral subject asks for read access.
func (s *Server) linkSubject(lang string, co *db.Company, connector string) string {
	return s.views.TranslateFor(lang, connector, "share.subject", genitive(lang, co.Name))
}

// linkExpiry prints when a link ends in the company's zone, naming the
// zone, since the approver may read it elsewhere.
func (s *Server) linkExpiry(lang string, t time.Time, country string) string {
	t = t.In(s.companyZone(country))
	name := t.Month().String()
	if m := strings.Fields(s.views.Translate(lang, "share.months")); len(m) == 12 {
		name = m[t.Month()-1]
	}
	return s.views.Translate(lang, "share.when", t.Day(), name, t.Year(), t.Format(s.views.Translate(lang, "share.clock")))
}

func (s *Server) connectorName(lang, name string) string {
	return s.views.ConnectorName(lang, name)
}

// genitive is name as the owner of its books in lang. Swedish adds s, or
// :s after an abbreviation (AB:s), and nothing after s, x or z. Danish and
// bokmål add s, or only an apostrophe after s, x or z (ApS', AS', A/S').
// Finnish is not inflected here: its message names the company on a line
// of its own (a case ending on a foreign name is easily wrong). English
// adds 's.
func genitive(lang, name string) string {
	r, _ := utf8.DecodeLastRuneInString(name)
	sxz := strings.ContainsRune("sxzSXZ", r)
	switch lang {
	case "sv":
		switch {
		case sxz:
			return name
		case unicode.IsUpper(r):
			return name + ":s"
		}
		return name + "s"
	case "da", "nb":
		if sxz {
			return name + "'"
		}
		return name + "s"
	case "fi":
		return name
	}
	return name + "'s"
}

// qrDataURL is a PNG of a QR code of text, as a data: URL the page policy
// allows.
func qrDataURL(text string) (template.URL, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	if code, err = barcode.Scale(code, 232, 232); err != nil {
		return "", fmt.Errorf("scale qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return "", fmt.Errorf("qr code png: %w", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// recipient reads an approver's name and address from a form: the
// address a mail header carries, or ok false.
func recipient(name, addr string) (string, bool) {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`"<>,;:@()[]\`, r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	addr = strings.TrimSpace(addr)
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Address != addr || len(addr) > 200 || utf8.RuneCountInString(name) > 50 {
		return "", false
	}
	if name == "" {
		return addr, true
	}
	return name + " <" + addr + ">", true
}

// mailLink e-mails l's copy to to, in the copy's language with the
// English below, and records whom it went to.
func (s *Server) mailLink(c echo.Context, co *db.Company, l *db.ConsentLink, cp *linkCopy, to string) error {
	ctx := c.Request().Context()
	var subjects, texts []string
	for _, m := range cp.Messages {
		subjects, texts = append(subjects, m.Subject), append(texts, m.Text)
	}
	m := mail.Message{To: to, Subject: strings.Join(subjects, " / "), Text: strings.Join(texts, "\n\n---\n\n")}
	if err := s.sendMail(ctx, m); err != nil {
		return err
	}
	if err := s.db.MarkLinkSent(ctx, co.ID, l.ID, to); err != nil {
		return err
	}
	s.audit(c, db.AuditLinkSend, &co.ID, fmt.Sprintf("link %d", l.ID), "to="+to)
	return nil
}
