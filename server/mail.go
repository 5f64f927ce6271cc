package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"bilag/server/mail"
)

// errMailOff: Bilag has no way to send mail (no BILAG_SMTP_URL, not demo).
var errMailOff = errors.New("mail is off")

// mailOn reports whether a page may offer to send mail.
func (s *Server) mailOn() bool { return s.mailer != nil }

// sendMail sends m through the configured mailer: errMailOff when there is
// none, mail.ErrInvalidMessage (errors.Is) when the address or subject is
// unusable, anything else when the server failed. The error names the SMTP
// server at most, never its password.
func (s *Server) sendMail(ctx context.Context, m mail.Message) error {
	if s.mailer == nil {
		return errMailOff
	}
	if err := s.mailer.Send(ctx, m); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	return nil
}

// mailPage is /admin/mail: the caught messages in demo mode, or a word on
// where mail goes.
type mailPage struct {
	// Mode is "catch", "smtp" or "off".
	Mode     string
	Messages []caughtRow
}

// caughtRow is a caught message; At carries its zone.
type caughtRow struct {
	At, To, Subject, Text string
}

// showMail lists the mail demo mode caught instead of sending, so that a
// link sent "by e-mail" can still be followed.
func (s *Server) showMail(c echo.Context) error {
	p := mailPage{Mode: "off"}
	switch m := s.mailer.(type) {
	case *mail.Catcher:
		p.Mode = "catch"
		for _, msg := range m.Messages() {
			p.Messages = append(p.Messages, caughtRow{At: msg.At.In(s.auditZone()).Format("2006-01-02 15:04:05 MST"),
				To: msg.To, Subject: msg.Subject, Text: msg.Text})
		}
	case nil:
	default:
		p.Mode = "smtp"
	}
	return s.render(c, "admin_mail", s.t(c, "mail.title"), p)
}
