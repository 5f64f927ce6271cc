package server_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime/quotedprintable"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/server/mail"
)

// smtpsCatch serves one SMTP conversation over implicit TLS on loopback
// and returns what DATA carried (through the channel) and the pool that
// trusts its certificate.
func smtpsCatch(t *testing.T) (addr string, pool *x509.CertPool, data <-chan string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(leaf)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
		say := func(l string) { w.WriteString(l + "\r\n"); w.Flush() }
		say("220 test ESMTP")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
			case "EHLO":
				say("250-test")
				say("250 AUTH PLAIN")
			case "AUTH":
				say("235 ok")
			case "DATA":
				say("354 go on")
				var b strings.Builder
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
					b.WriteString(strings.TrimPrefix(l, "."))
				}
				out <- b.String()
				say("250 queued")
			case "QUIT":
				say("221 bye")
				return
			default:
				say("250 ok")
			}
		}
	}()
	return ln.Addr().String(), pool, out
}

// TestLinkMailThroughSMTP: the link the analyst sends reaches an SMTP
// server in a real conversation, in Swedish and English, with the link.
func TestLinkMailThroughSMTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	addr, pool, data := smtpsCatch(t)
	m, err := mail.NewSMTP("smtps://"+url.UserPassword("bilag", "hemligt").String()+"@"+addr, "Bilag <bilag@firm.test>",
		mail.SMTPOptions{TLS: &tls.Config{RootCAs: pool}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := e.withMailer(m)
	analyst := p.loggedIn(e.analyst)
	link := analyst.createLink(e.fj, "")
	l := p.linkOf(t, link)
	r := analyst.follow(analyst.post("/companies/"+itoa(e.fj.ID)+"/links/"+itoa(l.ID)+"/send",
		url.Values{"name": {"Anna Lindqvist"}, "email": {"anna.lindqvist@example.se"}}))
	wantText(t, "sent", r, tr("share.sent", "Anna Lindqvist <anna.lindqvist@example.se>"))
	var raw string
	select {
	case raw = <-data:
	default:
		t.Fatal("the SMTP server received no message")
	}
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	text, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(head, `To: "Anna Lindqvist" <anna.lindqvist@example.se>`) || !strings.Contains(head, "Fj=C3=A4llbacka_Snickeri_AB:s_bokf") {
		t.Errorf("headers:\n%s", head)
	}
	for _, want := range []string{"Hej!", "behöver läsbehörighet till Fjällbacka Snickeri AB:s bokföring", "Hello!", link} {
		if !strings.Contains(string(text), want) {
			t.Errorf("mail body lacks %q:\n%s", want, text)
		}
	}
}
