package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bilag/db"
	"bilag/server/mail"
)

// TestMissingMessage (issue 29): from the missing-documents page an
// analyst tells the company's client users what is missing, in the
// company's language, each voucher's number, date, amount and text; the
// text may be edited; it is audited. With no client users it goes to the
// company's contact address; with neither nothing is sent.
func TestMissingMessage(t *testing.T) {
	e := newEnv(t)
	e.seedMissing(t)
	catcher := mail.NewCatcher(e.clock.Now)
	demo := e.withMailer(catcher)
	ctx := t.Context()
	base := "/companies/" + itoa(e.fj.ID) + "/missing"
	analyst := demo.loggedIn(e.analyst)
	sv := func(key string, args ...any) string { return words().Translate("sv", key, args...) }

	// Nobody to write to: the page says so; a post sends nothing.
	page := analyst.get(base)
	wantText(t, "no recipients", page, tr("missing.message.nobody"))
	wantText(t, "no recipients", analyst.follow(analyst.post(base+"/message", url.Values{"text": {"Hej"}})), tr("missing.message.nobody"))

	// A contact address: the message goes there.
	r := analyst.post("/companies/"+itoa(e.fj.ID)+"/contact", url.Values{"contact_email": {"not an address"}})
	wantText(t, "bad contact", analyst.follow(r), tr("company.contact.bad"))
	r = analyst.post("/companies/"+itoa(e.fj.ID)+"/contact", url.Values{"contact_email": {"ekonomi@fjallbacka.test"}})
	wantText(t, "contact", analyst.follow(r), tr("company.contact.saved", "ekonomi@fjallbacka.test"))
	page = analyst.get(base)
	wantText(t, "to the contact", page, tr("missing.message.to.contact"), "ekonomi@fjallbacka.test",
		sv("missing.message.subject", "Fjällbacka Snickeri AB:s"), "A101 · 2024-03-20 · 499,00 · Kontorsmaterial", "B202 · 2024-03-02")
	text := textareaOf(t, page.Body, "missing-text")
	if !strings.Contains(text, "Hej!") || !strings.Contains(text, e.analyst.Name) || strings.Contains(text, "B204") || strings.Contains(text, "A105") {
		t.Errorf("message text = %q, want Swedish, signed by the analyst, listing only what is missing", text)
	}
	edited := text + "\n\nPS. Kvittot för kontorsmaterial finns i mejlen."
	wantText(t, "sent", analyst.follow(analyst.post(base+"/message", url.Values{"text": {edited}})), tr("missing.message.sent", 1))
	msgs := catcher.Messages()
	if len(msgs) != 1 || msgs[0].To != "ekonomi@fjallbacka.test" || !strings.Contains(msgs[0].Text, "PS. Kvittot") ||
		msgs[0].Subject != sv("missing.message.subject", "Fjällbacka Snickeri AB:s") {
		t.Fatalf("caught %+v, want the edited message to the contact address", msgs)
	}

	// Client users: the message goes to each of them, not to the contact.
	e.addClient("karin@fjallbacka.test", "Karin Klient", e.fj)
	e.addClient("olof@fjallbacka.test", "Olof Klient", e.fj)
	page = analyst.get(base)
	wantText(t, "to the clients", page, tr("missing.message.to.clients"), "Karin Klient <karin@fjallbacka.test>", "Olof Klient <olof@fjallbacka.test>")
	wantText(t, "sent to both", analyst.follow(analyst.post(base+"/message", url.Values{"text": {text}})), tr("missing.message.sent", 2))
	msgs = catcher.Messages()
	var tos []string
	for _, m := range msgs[:2] {
		tos = append(tos, m.To)
	}
	if len(msgs) != 3 || !strings.Contains(strings.Join(tos, ","), "karin@") || !strings.Contains(strings.Join(tos, ","), "olof@") {
		t.Errorf("caught %d messages to %v, want one to each client user", len(msgs), tos)
	}
	// An empty text sends nothing.
	wantText(t, "empty", analyst.follow(analyst.post(base+"/message", url.Values{"text": {"  "}})), tr("missing.message.badtext", 20000))
	if n := len(catcher.Messages()); n != 3 {
		t.Errorf("an empty message sent: %d caught", n)
	}
	evs, err := e.db.AuditEvents(ctx, e.fj.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Action == db.AuditMissingMessage && ev.Actor == e.analyst.Email && strings.Contains(ev.Detail, "vouchers=2") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d missing_message events, want 2", n)
	}

	// A viewer may read the list but not write to the company.
	viewer := demo.loggedIn(e.viewer)
	if strings.Contains(viewer.get(base).Body, `id="missing-message"`) {
		t.Error("a viewer is offered the message")
	}
	wantStatus(t, "viewer sends", viewer.post(base+"/message", url.Values{"text": {"Hej"}}), http.StatusForbidden)
}

// TestMissingMessageNoMail: without a mail server the page shows the text
// to copy, and a post sends nothing.
func TestMissingMessageNoMail(t *testing.T) {
	e := newEnv(t)
	e.seedMissing(t)
	e.addClient("karin@fjallbacka.test", "Karin Klient", e.fj)
	base := "/companies/" + itoa(e.fj.ID) + "/missing"
	analyst := e.loggedIn(e.analyst)
	page := analyst.get(base)
	wantText(t, "no mail", page, tr("missing.message.nomail"), "A101 · 2024-03-20")
	if strings.Contains(page.Body, tr("missing.message.send", 1)) {
		t.Error("the page offers to send without a mail server")
	}
	wantText(t, "post without mail", analyst.follow(analyst.post(base+"/message", url.Values{"text": {"Hej"}})), tr("missing.message.nomail"))
}

// failingMailer fails every message.
type failingMailer struct{}

func (failingMailer) Send(context.Context, mail.Message) error {
	return errors.New("smtp: 451 try later")
}

// TestMissingMessageMailFails: a failing mail server is said in words,
// and nothing is audited as sent.
func TestMissingMessageMailFails(t *testing.T) {
	e := newEnv(t)
	e.seedMissing(t)
	e.addClient("karin@fjallbacka.test", "Karin Klient", e.fj)
	demo := e.withMailer(failingMailer{})
	base := "/companies/" + itoa(e.fj.ID) + "/missing"
	analyst := demo.loggedIn(e.analyst)
	wantText(t, "failing mail", analyst.follow(analyst.post(base+"/message", url.Values{"text": {"Hej"}})), tr("missing.message.failed", 0, 1))
	evs, _ := e.db.AuditEvents(t.Context(), e.fj.ID, 20)
	for _, ev := range evs {
		if ev.Action == db.AuditMissingMessage {
			t.Errorf("a failed message is audited as sent: %+v", ev)
		}
	}
}

// textareaOf is the text of the textarea with id, unescaped.
func textareaOf(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no textarea %s", id)
	}
	rest := body[i:]
	start := strings.Index(rest, ">") + 1
	end := strings.Index(rest, "</textarea>")
	return (&response{Body: rest[start:end]}).Text()
}
