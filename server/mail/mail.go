// Package mail sends Bilag's e-mail (a consent link to a named approver,
// notifications): through an SMTP server that speaks TLS, or, in demo mode,
// into a Catcher that keeps messages for the portal to show. The SMTP
// password never appears in an error, a log line or a String.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Message is one plain-text e-mail to one person.
type Message struct {
	// To is an address, optionally with a name ("Anna <anna@example.se>").
	To      string
	Subject string
	Text    string
}

// Mailer sends messages.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalidMessage: the message cannot be sent as it is (a bad address, a
// line break in the subject); a person must change it.
var ErrInvalidMessage = errors.New("mail: invalid message")

// New is the mailer a deployment's settings ask for: SMTP through rawURL
// when it is set; in demo mode without it, a Catcher; otherwise nil, which
// means no mail.
func New(rawURL, from string, demo bool) (Mailer, error) {
	switch {
	case rawURL != "":
		m, err := NewSMTP(rawURL, from, SMTPOptions{})
		if err != nil {
			return nil, err
		}
		return m, nil
	case demo:
		return NewCatcher(nil), nil
	}
	return nil, nil
}

// Settings are an SMTP server and how to log in to it, read from a URL:
// smtp://user:pass@host:587 (STARTTLS, required) or smtps://user:pass@host:465
// (TLS from the first byte).
type Settings struct {
	// Implicit is smtps: TLS from the start instead of STARTTLS.
	Implicit bool
	Host     string
	Port     string
	User     string
	password string
}

// ParseURL reads an SMTP URL. Its errors never repeat the URL: it may hold
// a password.
func ParseURL(raw string) (Settings, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Settings{}, errors.New("is not a valid URL (smtp://user:password@host:587 or smtps://user:password@host:465; percent-encode special characters in the password)")
	}
	var s Settings
	switch u.Scheme {
	case "smtp":
		s.Port = "587"
	case "smtps":
		s.Implicit, s.Port = true, "465"
	default:
		return Settings{}, fmt.Errorf("must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return Settings{}, errors.New("has no host")
	}
	if p := u.Port(); p != "" {
		s.Port = p
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return Settings{}, errors.New("must have no path or query")
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.password, _ = u.User.Password()
		if s.User == "" {
			return Settings{}, errors.New("has a password but no user name")
		}
	}
	return s, nil
}

// Addr is host:port.
func (s Settings) Addr() string { return net.JoinHostPort(s.Host, s.Port) }

// String names the server without the password.
func (s Settings) String() string {
	scheme := "smtp"
	if s.Implicit {
		scheme = "smtps"
	}
	if s.User != "" {
		return scheme + "://" + s.User + ":[redacted]@" + s.Addr()
	}
	return scheme + "://" + s.Addr()
}

// GoString is String, so %#v cannot show the password either.
func (s Settings) GoString() string { return s.String() }

// SMTPOptions tune an SMTP mailer; the zero value is fine for production.
type SMTPOptions struct {
	// Timeout bounds one whole conversation; 0 means 30 seconds.
	Timeout time.Duration
	// TLS is the base of the client's TLS configuration (tests give a
	// RootCAs); ServerName is always the URL's host.
	TLS *tls.Config
	// LocalName is what EHLO says; "" means "localhost".
	LocalName string
	Now       func() time.Time
}

// SMTP sends mail through one SMTP server, over TLS only: STARTTLS is
// required for smtp://, since the password and the messages (consent links
// are credentials) must not cross the network in the clear.
type SMTP struct {
	s    Settings
	from netmail.Address
	opt  SMTPOptions
}

var _ Mailer = (*SMTP)(nil)

// NewSMTP makes a mailer for the server at rawURL, sending from from
// ("Bilag <bilag@firm.se>").
func NewSMTP(rawURL, from string, opt SMTPOptions) (*SMTP, error) {
	s, err := ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL %w", err)
	}
	f, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: sender %q is not an e-mail address", from)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.LocalName == "" {
		opt.LocalName = "localhost"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &SMTP{s: s, from: *f, opt: opt}, nil
}

// String names the server, never the password.
func (m *SMTP) String() string { return m.s.String() }

// GoString is String, so %#v cannot show the password either.
func (m *SMTP) GoString() string { return m.String() }

// LogValue is String, so a logged mailer cannot show the password.
func (m *SMTP) LogValue() slog.Value { return slog.StringValue(m.String()) }

// Send delivers m in one SMTP conversation.
func (m *SMTP) Send(ctx context.Context, msg Message) error {
	to, body, err := m.compose(msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.opt.Timeout)
	defer cancel()
	if err := m.converse(ctx, to, body); err != nil {
		return fmt.Errorf("mail: send through %s: %w", m.s.Addr(), err)
	}
	return nil
}

func (m *SMTP) converse(ctx context.Context, to string, body []byte) error {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.opt.TLS != nil {
		tlsCfg = m.opt.TLS.Clone()
	}
	tlsCfg.ServerName = m.s.Host
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.s.Addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	// The deadline bounds every read and write; closing on cancel ends a
	// conversation the caller gave up on.
	dl, _ := ctx.Deadline()
	_ = conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if m.s.Implicit {
		conn = tls.Client(conn, tlsCfg)
	}
	c, err := smtp.NewClient(conn, m.s.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(m.opt.LocalName); err != nil {
		return err
	}
	if !m.s.Implicit {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the server does not offer STARTTLS; Bilag sends no password or message in the clear (use a server with STARTTLS, or smtps://)")
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if m.s.User != "" {
		if ok, mechs := c.Extension("AUTH"); !ok || !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") {
			return errors.New("the server offers no AUTH PLAIN")
		}
		if err := c.Auth(smtp.PlainAuth("", m.s.User, m.s.password, m.s.Host)); err != nil {
			return fmt.Errorf("log in as %s: %w", m.s.User, err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// compose checks msg and makes its RFC 5322 text: UTF-8, quoted-printable,
// the subject encoded per RFC 2047. It returns the bare recipient address.
func (m *SMTP) compose(msg Message) (string, []byte, error) {
	to, err := netmail.ParseAddress(msg.To)
	if err != nil {
		return "", nil, fmt.Errorf("%w: recipient is not an e-mail address", ErrInvalidMessage)
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		return "", nil, fmt.Errorf("%w: line break in the subject", ErrInvalidMessage)
	}
	id := make([]byte, 16)
	rand.Read(id)
	domain := m.from.Address[strings.LastIndexByte(m.from.Address, '@')+1:]
	var b bytes.Buffer
	for _, h := range [][2]string{
		{"From", m.from.String()},
		{"To", to.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", msg.Subject)},
		{"Date", m.opt.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	} {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(strings.ReplaceAll(msg.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return "", nil, err
	}
	if err := qp.Close(); err != nil {
		return "", nil, err
	}
	return to.Address, b.Bytes(), nil
}

// Caught is a message a Catcher kept.
type Caught struct {
	Message
	At time.Time
}

// catcherKeeps is how many messages a Catcher keeps; older ones go.
const catcherKeeps = 200

// Catcher is demo mode's mailer: it sends nothing and keeps the newest
// messages in memory for the portal's admins to read.
type Catcher struct {
	mu   sync.Mutex
	now  func() time.Time
	msgs []Caught
}

var _ Mailer = (*Catcher)(nil)

// NewCatcher makes an empty Catcher; now nil means time.Now.
func NewCatcher(now func() time.Time) *Catcher {
	if now == nil {
		now = time.Now
	}
	return &Catcher{now: now}
}

// Send keeps msg. Like SMTP it refuses a recipient that is no address, so
// demo mode shows the mistakes production would make.
func (c *Catcher) Send(_ context.Context, msg Message) error {
	if _, err := netmail.ParseAddress(msg.To); err != nil {
		return fmt.Errorf("%w: recipient is not an e-mail address", ErrInvalidMessage)
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		return fmt.Errorf("%w: line break in the subject", ErrInvalidMessage)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, Caught{Message: msg, At: c.now()})
	if len(c.msgs) > catcherKeeps {
		c.msgs = slices.Delete(c.msgs, 0, len(c.msgs)-catcherKeeps)
	}
	return nil
}

// Messages are the kept messages, newest first.
func (c *Catcher) Messages() []Caught {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.msgs)
	slices.Reverse(out)
	return out
}
