package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

// addClient makes a client user of co, as the command line does.
func (e *env) addClient(email, name string, co *db.Company) person {
	e.t.Helper()
	pass := "pw-client-" + strings.SplitN(email, "@", 2)[0] + "-long"
	hash, err := fastHasher.Hash(pass)
	if err != nil {
		e.t.Fatal(err)
	}
	u := &db.User{Email: email, Name: name, PasswordHash: hash, Active: true}
	if err := e.db.CreateClientUser(e.t.Context(), u, co.ID); err != nil {
		e.t.Fatalf("CreateClientUser(%s) = %v", email, err)
	}
	return person{User: u, Password: pass}
}

var inviteRe = regexp.MustCompile(`value="(https?://[^"]+(/invite/[^"]+))"`)

// invite invites a client user of co as b (no mail server: the page
// shows the link) and returns the invitation's path.
func (e *env) invite(b *browser, co *db.Company, name, email string) string {
	e.t.Helper()
	r := b.post("/companies/"+itoa(co.ID)+"/clients/invite", url.Values{"name": {name}, "email": {email}})
	wantStatus(e.t, "invite", r, http.StatusOK)
	m := inviteRe.FindStringSubmatch(r.Body)
	if m == nil {
		e.t.Fatalf("the company page shows no invitation link:\n%s", r.Text())
	}
	return m[2]
}

// TestClientUserStory (issue 28, "Client users"): invited, the client
// user sets a password, sees only their company and who at the firm
// opened its documents (an analyst, yesterday, by name only), opens a
// document, and withdraws Bilag's access: the connection ends and the
// firm is notified. The firm then ends the client user.
func TestClientUserStory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	analyst := e.loggedIn(e.analyst)
	conn := e.connectFJ(analyst)
	e.waitSync(conn)
	// The analyst opened a document yesterday.
	if err := e.db.Audit(ctx, db.AuditEvent{Action: db.AuditDocumentOpen, UserID: &e.analyst.ID, Actor: e.analyst.Email, CompanyID: &e.fj.ID,
		Target: "faktura-77.pdf", Detail: "voucher=A 12 document=5"}); err != nil {
		t.Fatal(err)
	}
	yesterday := e.clock.Now().In(portalZone(t)).Format("2006-01-02")
	e.clock.Advance(24 * time.Hour)
	analyst = e.loggedIn(e.analyst) // a day ends the session

	path := e.invite(analyst, e.fj, "Karin Klient", "karin@fjallbacka.test")
	b := e.browser() // its browser asks for English (newEnv's browser)
	sv := func(key string, args ...any) string { return words().Translate("sv", key, args...) }
	// The company is Swedish: its people's pages speak Swedish.
	if r := b.get(path); r.Status != http.StatusOK || !strings.Contains(r.Text(), sv("client.accept.title")) {
		t.Errorf("invitation page = %d, not in Swedish:\n%s", r.Status, r.Text())
	}
	wantStatus(t, "weak password", b.post(path, url.Values{"new_password": {"short"}, "new_password_confirm": {"short"}}), http.StatusUnprocessableEntity)
	pw := "a-long-enough-passphrase-of-hers"
	r := b.post(path, url.Values{"new_password": {pw}, "new_password_confirm": {pw}})
	home := "/companies/" + itoa(e.fj.ID) + "/client"
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != home {
		t.Fatalf("accept = %d %q, want 303 to %s", r.Status, r.Header.Get("Location"), home)
	}
	// Replayed: refused, nobody made twice.
	other := e.browser()
	wantStatus(t, "replayed invitation page", other.get(path), http.StatusNotFound)
	wantStatus(t, "replayed invitation", other.post(path, url.Values{"new_password": {pw + "x"}, "new_password_confirm": {pw + "x"}}), http.StatusGone)

	if r := b.get("/"); r.Header.Get("Location") != home {
		t.Errorf("GET / as client = %d %q, want 303 to %s", r.Status, r.Header.Get("Location"), home)
	}
	page := b.get(home)
	wantStatus(t, "client page", page, http.StatusOK)
	for _, want := range []string{e.fj.Name, e.analyst.Name, "faktura-77.pdf", yesterday, sv("client.withdraw.button")} {
		if !strings.Contains(page.Text(), want) {
			t.Errorf("client page does not say %q", want)
		}
	}
	for _, never := range []string{e.analyst.Email, e.admin.Email, e.viewer.Email, e.norrsken.Name, e.hidden.Name, "/admin/"} {
		if strings.Contains(page.Body, never) {
			t.Errorf("client page shows %q", never)
		}
	}

	// A document of the company opens.
	vs, err := e.db.Vouchers(ctx, e.fj.ID, db.VoucherFilter{PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	opened := false
	for _, v := range vs.Vouchers {
		if !v.HasDocuments {
			continue
		}
		vp := b.get("/companies/" + itoa(e.fj.ID) + "/vouchers/" + itoa(v.ID))
		wantStatus(t, "voucher page as client", vp, http.StatusOK)
		m := docTabRe.FindStringSubmatch(vp.Body)
		if m == nil {
			continue
		}
		wantStatus(t, "document as client", b.get("/companies/"+itoa(e.fj.ID)+"/vouchers/"+itoa(v.ID)+"/documents/"+m[1]), http.StatusOK)
		opened = true
		break
	}
	if !opened {
		t.Error("no document of the company opened for its client user")
	}

	// Nothing else: another company, the firm's pages, the API.
	for _, p := range []string{"/companies/" + itoa(e.norrsken.ID), "/companies/" + itoa(e.norrsken.ID) + "/vouchers", "/companies/" + itoa(e.fj.ID) + "/audit",
		"/admin/users", "/admin/companies", "/admin/mail", "/notifications", "/companies/" + itoa(e.fj.ID) + "/imports"} {
		if r := b.get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s as client = %d, want 404", p, r.Status)
		}
	}
	client, err := e.db.UserByEmail(ctx, "karin@fjallbacka.test")
	if err != nil || !client.IsClient() {
		t.Fatalf("client user = %+v, %v", client, err)
	}
	if err := e.db.CreateAPIToken(ctx, &db.APIToken{UserID: client.ID, Name: "mine"}, "bilag_pat_clienttokenclienttokenclienttoken"); err != nil {
		t.Fatal(err)
	}
	if r := e.browser().do(http.MethodGet, "/api/v1/companies", nil, http.Header{"Authorization": {"Bearer bilag_pat_clienttokenclienttokenclienttoken"}}); r.Status != http.StatusUnauthorized {
		t.Errorf("API with a client user's token = %d, want 401", r.Status)
	}

	// Withdraw: unconfirmed changes nothing; confirmed ends the connection
	// and tells the firm.
	wantStatus(t, "unconfirmed withdrawal", b.post(home+"/withdraw", url.Values{}), http.StatusSeeOther)
	if c, _ := e.db.Connection(ctx, e.fj.ID, "eaccounting"); c.Status != db.ConnActive {
		t.Fatalf("an unconfirmed withdrawal ended the connection")
	}
	wantStatus(t, "withdrawal", b.post(home+"/withdraw", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	e.noConnection(t, e.fj)
	ns, err := e.db.Notifications(ctx, e.analyst.User, 10)
	if err != nil || len(ns) == 0 || ns[0].Kind != db.NotifyClientWithdrew || ns[0].Actor != "Karin Klient" {
		t.Fatalf("analyst's notifications = %+v, %v, want the withdrawal first", ns, err)
	}
	if r := analyst.get("/notifications"); !strings.Contains(r.Text(), "Karin Klient") {
		t.Errorf("the analyst's notifications do not name the client user")
	}
	if r := b.get(home); !strings.Contains(r.Text(), sv("client.noaccess")) {
		t.Errorf("client page after withdrawal does not say Bilag has no access")
	}
	// A language chosen in the header wins over the company's.
	wantStatus(t, "choose English", b.get("/lang?l=en&next="+url.QueryEscape(home)), http.StatusSeeOther)
	if r := b.get(home); !strings.Contains(r.Text(), tr("client.noaccess")) {
		t.Errorf("client page after choosing English is not in English:\n%s", r.Text())
	}

	// The firm ends the client user: their session ends at once.
	wantStatus(t, "end client user", analyst.post("/companies/"+itoa(e.fj.ID)+"/clients/"+itoa(client.ID)+"/end", nil), http.StatusSeeOther)
	if r := b.get(home); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("client page after the user was ended = %d %q, want 303 to /login", r.Status, r.Header.Get("Location"))
	}
}

// TestClientInvitationRefused: an expired invitation and one the firm
// ended make nobody; a viewer cannot invite.
func TestClientInvitationRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	pw := url.Values{"new_password": {"a-long-enough-password-x"}, "new_password_confirm": {"a-long-enough-password-x"}}

	expired := e.invite(analyst, e.fj, "Eva Sen", "eva@fjallbacka.test")
	e.clock.Advance(8 * 24 * time.Hour)
	b := e.browser()
	wantStatus(t, "expired invitation page", b.get(expired), http.StatusNotFound)
	wantStatus(t, "expired invitation", b.post(expired, pw), http.StatusGone)

	analyst = e.loggedIn(e.analyst) // the week ended the session
	ended := e.invite(analyst, e.fj, "Olle Slut", "olle@fjallbacka.test")
	invs, err := e.db.OpenClientInvitations(t.Context(), e.fj.ID)
	if err != nil || len(invs) != 2 {
		t.Fatalf("OpenClientInvitations() = %d, %v, want 2", len(invs), err)
	}
	wantStatus(t, "end invitation", analyst.post("/companies/"+itoa(e.fj.ID)+"/clients/invitations/"+itoa(invs[0].ID)+"/end", nil), http.StatusSeeOther)
	wantStatus(t, "ended invitation page", b.get(ended), http.StatusNotFound)
	wantStatus(t, "ended invitation", b.post(ended, pw), http.StatusGone)
	for _, addr := range []string{"eva@fjallbacka.test", "olle@fjallbacka.test"} {
		if _, err := e.db.UserByEmail(t.Context(), addr); err == nil {
			t.Errorf("a refused invitation made the user %s", addr)
		}
	}
	viewer := e.loggedIn(e.viewer)
	wantStatus(t, "viewer invites", viewer.post("/companies/"+itoa(e.fj.ID)+"/clients/invite", url.Values{"name": {"X"}, "email": {"x@x.test"}}), http.StatusForbidden)
}
