package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/server"
	"bilag/server/connections"
	"bilag/server/mail"
)

// withMailer is e with a second portal on the same database that sends
// its mail through m.
func (e *env) withMailer(m mail.Mailer) *env {
	e.t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(e.t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, Now: e.clock.Now, Mailer: m, AdminSecondFactorOptional: true},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{e.conn.Name(): e.conn}, Now: e.clock.Now})
	ts.Config.Handler = srv
	ts.Start()
	e.t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	return &p
}

// TestCaughtMail: in demo mode an admin reads the mail Bilag would have
// sent, newest first, with its time and zone; nobody else does. Without a
// catcher the page says where mail goes.
func TestCaughtMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	catcher := mail.NewCatcher(e.clock.Now)
	demo := e.withMailer(catcher)
	for _, m := range []mail.Message{
		{To: "Anna Lindqvist <anna.lindqvist@example.se>", Subject: "Behörighet för Fjällbacka Snickeri AB", Text: "Hej!\nLänk: https://bilag.example.se/connect/abc\n<script>alert(1)</script>"},
		{To: "bo@example.se", Subject: "Second", Text: "Later"},
	} {
		if err := catcher.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
	}
	r := demo.loggedIn(e.admin).get("/admin/mail")
	wantStatus(t, "caught mail", r, http.StatusOK)
	wantText(t, "caught mail", r, "Anna Lindqvist <anna.lindqvist@example.se>", "Behörighet för Fjällbacka Snickeri AB",
		"https://bilag.example.se/connect/abc", e.started.In(portalZone(t)).Format("2006-01-02 15:04:05 MST"))
	if strings.Contains(r.Body, "<script>alert(1)") {
		t.Errorf("a caught message's text is not escaped")
	}
	if i, j := strings.Index(r.Body, "Second"), strings.Index(r.Body, "Behörighet"); i < 0 || i > j {
		t.Errorf("caught mail is not newest first")
	}
	if r := demo.loggedIn(e.analyst).get("/admin/mail"); r.Status != http.StatusNotFound {
		t.Errorf("GET /admin/mail as analyst = %d, want 404", r.Status)
	}

	off := e.loggedIn(e.admin).get("/admin/mail")
	wantStatus(t, "mail off", off, http.StatusOK)
	wantText(t, "mail off", off, tr("mail.off"))
	smtp, err := mail.NewSMTP("smtps://bilag:hemligt@mail.example.se", "bilag@firm.test", mail.SMTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	on := e.withMailer(smtp).loggedIn(e.admin).get("/admin/mail")
	wantText(t, "mail through SMTP", on, tr("mail.smtp"))
	if strings.Contains(on.Body, "hemligt") {
		t.Errorf("the mail page shows the SMTP password")
	}
}
