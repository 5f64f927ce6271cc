package mail_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/server/mail"
)

// smtpServer is a small SMTP server on loopback that speaks just enough
// (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) and records what it
// was told.
type smtpServer struct {
	ln       net.Listener
	cert     tls.Certificate
	starttls bool // offer STARTTLS
	implicit bool // TLS from the first byte (smtps)
	silent   bool // accept and never answer

	mu   sync.Mutex
	got  received
	done chan struct{}
}

// received is what one conversation delivered.
type received struct {
	Commands []string // the verbs, in order
	AuthTLS  bool     // AUTH came over TLS
	Auth     []string // the AUTH PLAIN identity, user, password
	From     string
	To       []string
	Data     string
}

func startSMTP(t *testing.T, configure func(*smtpServer)) (*smtpServer, *x509.CertPool) {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &smtpServer{cert: cert, done: make(chan struct{})}
	if configure != nil {
		configure(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.implicit {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	s.ln = ln
	t.Cleanup(func() { ln.Close() })
	go func() {
		defer close(s.done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		if s.silent {
			io.Copy(io.Discard, conn)
			return
		}
		s.serve(conn)
	}()
	return s, pool
}

func (s *smtpServer) port() string {
	_, p, _ := net.SplitHostPort(s.ln.Addr().String())
	return p
}

func (s *smtpServer) received() received {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

func (s *smtpServer) serve(conn net.Conn) {
	_, isTLS := conn.(*tls.Conn)
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	say := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	say("220 test.example ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		s.mu.Lock()
		s.got.Commands = append(s.got.Commands, verb)
		s.mu.Unlock()
		switch verb {
		case "EHLO":
			ext := []string{"250-test.example"}
			if s.starttls && !isTLS {
				ext = append(ext, "250-STARTTLS")
			}
			say(append(ext, "250 AUTH PLAIN")...)
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if tc.Handshake() != nil {
				return
			}
			conn, isTLS = tc, true
			r, w = bufio.NewReader(conn), bufio.NewWriter(conn)
		case "AUTH":
			f := strings.Fields(line)
			raw, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			s.mu.Lock()
			s.got.Auth, s.got.AuthTLS = strings.Split(string(raw), "\x00"), isTLS
			s.mu.Unlock()
			say("235 2.7.0 Authentication successful")
		case "MAIL":
			s.mu.Lock()
			s.got.From = strings.TrimPrefix(line, "MAIL FROM:")
			s.mu.Unlock()
			say("250 ok")
		case "RCPT":
			s.mu.Lock()
			s.got.To = append(s.got.To, strings.TrimPrefix(line, "RCPT TO:"))
			s.mu.Unlock()
			say("250 ok")
		case "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			s.got.Data = b.String()
			s.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

const password = "p@ss w:rd/§"

func smtpURL(scheme, port string) string {
	return scheme + "://" + url.UserPassword("bilag@firm.test", password).String() + "@127.0.0.1:" + port
}

var sentAt = time.Date(2026, 11, 26, 1, 50, 0, 0, time.FixedZone("CET", 3600))

var linkMail = mail.Message{
	To:      "Anna Lindqvist <anna.lindqvist@example.se>",
	Subject: "Behörighet för Fjällbacka Snickeri AB",
	Text:    "Hej!\nVi på Demo Analys AB behöver läsbehörighet.\n.\nLänk: https://bilag.example.se/connect/abc\n",
}

// TestSMTPDelivers: a real conversation over STARTTLS and over implicit
// TLS; the server receives the credentials over TLS only, and a message
// whose headers and body read back as sent.
func TestSMTPDelivers(t *testing.T) {
	for _, tt := range []struct {
		scheme string
		server func(*smtpServer)
		verbs  string
	}{
		{"smtp", func(s *smtpServer) { s.starttls = true }, "EHLO STARTTLS EHLO AUTH MAIL RCPT DATA QUIT"},
		{"smtps", func(s *smtpServer) { s.implicit = true }, "EHLO AUTH MAIL RCPT DATA QUIT"},
	} {
		t.Run(tt.scheme, func(t *testing.T) {
			srv, pool := startSMTP(t, tt.server)
			m, err := mail.NewSMTP(smtpURL(tt.scheme, srv.port()), "Bilag – Demo Analys AB <bilag@firm.test>",
				mail.SMTPOptions{TLS: &tls.Config{RootCAs: pool}, Now: func() time.Time { return sentAt }, LocalName: "bilag.test"})
			if err != nil {
				t.Fatalf("NewSMTP() = %v", err)
			}
			if err := m.Send(t.Context(), linkMail); err != nil {
				t.Fatalf("Send() = %v", err)
			}
			got := srv.received()
			if v := strings.Join(got.Commands, " "); v != tt.verbs {
				t.Errorf("conversation = %s, want %s", v, tt.verbs)
			}
			if !got.AuthTLS || len(got.Auth) != 3 || got.Auth[1] != "bilag@firm.test" || got.Auth[2] != password {
				t.Errorf("AUTH PLAIN = %q (over TLS: %v), want the URL's user and password over TLS", got.Auth, got.AuthTLS)
			}
			if got.From != "<bilag@firm.test>" || len(got.To) != 1 || got.To[0] != "<anna.lindqvist@example.se>" {
				t.Errorf("envelope = %s -> %q", got.From, got.To)
			}
			msg, err := netmail.ReadMessage(strings.NewReader(got.Data))
			if err != nil {
				t.Fatalf("received message does not parse: %v\n%s", err, got.Data)
			}
			dec := new(mime.WordDecoder)
			subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
			from, _ := msg.Header.AddressList("From")
			to, _ := msg.Header.AddressList("To")
			date, _ := msg.Header.Date()
			if subject != linkMail.Subject || len(from) != 1 || from[0].Name != "Bilag – Demo Analys AB" || len(to) != 1 || to[0].Address != "anna.lindqvist@example.se" || to[0].Name != "Anna Lindqvist" || !date.Equal(sentAt) {
				t.Errorf("headers: Subject %q, From %v, To %v, Date %v", subject, from, to, date)
			}
			if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || msg.Header.Get("MIME-Version") != "1.0" || !strings.HasSuffix(msg.Header.Get("Message-ID"), "@firm.test>") {
				t.Errorf("headers: Content-Type %q, MIME-Version %q, Message-ID %q", ct, msg.Header.Get("MIME-Version"), msg.Header.Get("Message-ID"))
			}
			body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ReplaceAll(linkMail.Text, "\n", "\r\n"); string(body) != want {
				t.Errorf("body = %q, want %q", body, want)
			}
		})
	}
}

// TestSMTPRefusesClearText: a server without STARTTLS gets neither the
// password nor the message, and the error says why without the password.
func TestSMTPRefusesClearText(t *testing.T) {
	srv, pool := startSMTP(t, nil)
	m, err := mail.NewSMTP(smtpURL("smtp", srv.port()), "bilag@firm.test", mail.SMTPOptions{TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(t.Context(), linkMail)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send() to a server without STARTTLS = %v, want a refusal naming STARTTLS", err)
	}
	if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), url.QueryEscape(password)) {
		t.Errorf("error %q shows the password", err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("mailer", "smtp", m)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", m, m, m), logged.String()} {
		if strings.Contains(s, "w:rd") || strings.Contains(s, "w%3Ard") {
			t.Errorf("the mailer prints as %q, with its password", s)
		}
	}
	got := srv.received()
	for _, v := range got.Commands {
		if v == "AUTH" || v == "MAIL" || v == "DATA" {
			t.Errorf("the server was sent %s in the clear: %q", v, got.Commands)
		}
	}
}

// TestSMTPTimeout: a server that never answers costs the timeout, not a
// hung request.
func TestSMTPTimeout(t *testing.T) {
	srv, pool := startSMTP(t, func(s *smtpServer) { s.silent = true })
	m, err := mail.NewSMTP(smtpURL("smtp", srv.port()), "bilag@firm.test", mail.SMTPOptions{TLS: &tls.Config{RootCAs: pool}, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), linkMail); err == nil {
		t.Fatal("Send() to a silent server = nil, want a timeout")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := m.Send(ctx, linkMail); err == nil {
		t.Error("Send() with a cancelled context = nil")
	}
}

// TestSMTPUntrustedCertificate: STARTTLS to a server whose certificate is
// not trusted fails before the password is sent.
func TestSMTPUntrustedCertificate(t *testing.T) {
	srv, _ := startSMTP(t, func(s *smtpServer) { s.starttls = true })
	m, err := mail.NewSMTP(smtpURL("smtp", srv.port()), "bilag@firm.test", mail.SMTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), linkMail); err == nil {
		t.Fatal("Send() to an untrusted certificate = nil")
	}
	srv.ln.Close()
	if got := srv.received(); got.Auth != nil {
		t.Errorf("the password reached a server with an untrusted certificate")
	}
}

func TestParseURL(t *testing.T) {
	good := []struct {
		raw, want string
	}{
		{"smtp://u:p@mail.example.se", "smtp://u:[redacted]@mail.example.se:587"},
		{"smtps://u:p@mail.example.se", "smtps://u:[redacted]@mail.example.se:465"},
		{"smtp://relay.internal:2525", "smtp://relay.internal:2525"},
	}
	for _, tt := range good {
		s, err := mail.ParseURL(tt.raw)
		if err != nil || s.String() != tt.want || fmt.Sprintf("%v %#v %+v", s, s, s) != tt.want+" "+tt.want+" "+tt.want {
			t.Errorf("ParseURL(%q) = %v, %v; want %s", tt.raw, s, err, tt.want)
		}
	}
	for _, raw := range []string{"http://u:secret@host", "smtp://:secret@host", "smtp://u:secret@", "smtp://u:secret@host/path", "smtp://u:sec ret%zz@host", "mail.example.se:587"} {
		_, err := mail.ParseURL(raw)
		if err == nil {
			t.Errorf("ParseURL(%q) = nil error", raw)
		} else if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "sec ret") {
			t.Errorf("ParseURL(%q) error %q shows the password", raw, err)
		}
	}
}

func TestMessagesAreChecked(t *testing.T) {
	m, err := mail.NewSMTP("smtps://u:p@127.0.0.1:1", "bilag@firm.test", mail.SMTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := mail.NewCatcher(nil)
	for _, msg := range []mail.Message{
		{To: "not an address", Subject: "x"},
		{To: "a@example.se\r\nBcc: evil@example.com", Subject: "x"},
		{To: "a@example.se", Subject: "x\r\nBcc: evil@example.com"},
	} {
		for name, mailer := range map[string]mail.Mailer{"smtp": m, "catcher": c} {
			if err := mailer.Send(t.Context(), msg); !errors.Is(err, mail.ErrInvalidMessage) {
				t.Errorf("%s Send(%q) = %v, want ErrInvalidMessage", name, msg, err)
			}
		}
	}
	if _, err := mail.NewSMTP("smtps://u:p@host", "not an address", mail.SMTPOptions{}); err == nil {
		t.Error("NewSMTP with a bad sender = nil error")
	}
}

func TestCatcher(t *testing.T) {
	now := sentAt
	c := mail.NewCatcher(func() time.Time { return now })
	for i := range 205 {
		if err := c.Send(t.Context(), mail.Message{To: "a@example.se", Subject: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := c.Messages()
	if len(got) != 200 || got[0].Subject != "204" || got[199].Subject != "5" || !got[0].At.Equal(sentAt) {
		t.Errorf("Messages() = %d, first %q, last %q; want the newest 200, newest first", len(got), got[0].Subject, got[len(got)-1].Subject)
	}
}

// TestNew: the settings pick the mailer.
func TestNew(t *testing.T) {
	if m, err := mail.New("smtps://u:p@mail.example.se", "bilag@firm.test", true); err != nil {
		t.Errorf("New(SMTP) = %v", err)
	} else if _, ok := m.(*mail.SMTP); !ok {
		t.Errorf("New(SMTP URL, demo) = %T, want *mail.SMTP: a configured server wins", m)
	}
	if m, err := mail.New("", "", true); err != nil {
		t.Errorf("New(demo) = %v", err)
	} else if _, ok := m.(*mail.Catcher); !ok {
		t.Errorf("New(demo) = %T, want *mail.Catcher", m)
	}
	if m, err := mail.New("", "", false); m != nil || err != nil {
		t.Errorf("New(nothing) = %v, %v; want nil, nil (no mail)", m, err)
	}
	if m, err := mail.New("smtp://u:p@host", "nobody", false); m != nil || err == nil {
		t.Errorf("New(bad sender) = %v, %v; want nil and an error", m, err)
	}
}
