package server_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"bilag/connectors"
	"bilag/connectors/enterprise"
	"bilag/db"
	"bilag/server"
	"bilag/server/connections"
)

var (
	filterFoldRe = regexp.MustCompile(`<details class="filterbox"( open)?>\s*<summary>([^<]*)</summary>`)
	menuRe       = regexp.MustCompile(`(?s)<details class="menu">\s*<summary>([^<]*)</summary>(.*?)</details>`)
)

// TestVoucherFiltersFold (issue 25 item 7): the list's filters are one
// fold whose summary counts the filters in force, open when there are
// any (an order is no filter); the header's languages and log-out are in
// a menu for a person logged in, and as they were on the login page.
func TestVoucherFiltersFold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.indexVouchers(e.fj)
	b := e.loggedIn(e.viewer)
	list := fmt.Sprintf("/companies/%d/vouchers", e.fj.ID)
	tests := []struct {
		query   string
		status  int
		summary string
		open    bool
	}{
		{"", http.StatusOK, "Filter", false},
		{"?sort=amount&dir=asc", http.StatusOK, "Filter", false},
		{"?has_documents=1&amount=12500", http.StatusOK, "Filter (2)", true},
		{"?number=A1&text=Hyra&fiscal_year=fy-2023&from=2023-01-01&to=2023-12-31&amount=12500&has_documents=1", http.StatusOK, "Filter (7)", true},
		// A mistake is shown where the person can see it.
		{"?from=2024-06-01&to=2024-01-01", http.StatusUnprocessableEntity, "Filter (2)", true},
	}
	for _, tt := range tests {
		r := b.get(list + tt.query)
		wantStatus(t, tt.query, r, tt.status)
		m := filterFoldRe.FindStringSubmatch(r.Body)
		if m == nil {
			t.Errorf("%q: the filters are not in a fold", tt.query)
			continue
		}
		if got := strings.TrimSpace(m[2]); got != tt.summary || (m[1] != "") != tt.open {
			t.Errorf("%q: fold %q, open %v; want %q, open %v", tt.query, got, m[1] != "", tt.summary, tt.open)
		}
	}

	r := b.get(list)
	m := menuRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("the header has no menu")
	}
	if strings.TrimSpace(m[1]) != "Menu" || !strings.Contains(m[2], `action="/logout"`) || !strings.Contains(m[2], `lang="sv"`) {
		t.Errorf("the header's menu is %q and holds:\n%s\nwant Menu with the languages and Log out", m[1], m[2])
	}
	login := e.browser().get("/login")
	if menuRe.MatchString(login.Body) || !strings.Contains(login.Body, `lang="sv"`) {
		t.Error("the login page folds its languages")
	}
}

var requestButtonRe = regexp.MustCompile(`<button([^>]*)>(Request access|Create a new consent link)</button>`)

// requestButton is the company page's button that makes a link: its
// words, and whether it is the page's primary button.
func requestButton(t *testing.T, r *response) (string, bool) {
	t.Helper()
	m := requestButtonRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("the company page has no button to request access")
	}
	return m[2], regexp.MustCompile(`class="[^"]*\bprimary\b`).MatchString(m[1])
}

// TestRequestAccessButton (issue 25 item 12): "Request access" is the
// page's primary button only while nothing is under way: once a link is
// out, and on a connected company, it is a secondary one.
func TestRequestAccessButton(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.analyst)
	page := func() *response { return b.get("/companies/" + itoa(e.fj.ID)) }
	if words, primary := requestButton(t, page()); words != "Request access" || !primary {
		t.Errorf("a company with no link: %q, primary %v; want Request access, primary", words, primary)
	}
	link := b.createLink(e.fj, "")
	if _, primary := requestButton(t, page()); primary {
		t.Error("with a link out, Request access is still the primary button")
	}
	l := e.linkOf(t, link)
	wantStatus(t, "revoke", b.post("/companies/"+itoa(e.fj.ID)+"/links/"+itoa(l.ID)+"/revoke", nil), http.StatusSeeOther)
	if _, primary := requestButton(t, page()); !primary {
		t.Error("with the link revoked, Request access is not the primary button")
	}
	e.connectFJ(b)
	if words, primary := requestButton(t, page()); primary {
		t.Errorf("a connected company: %q is the primary button", words)
	}
}

// TestInvoiceOrdersLink (issue 25 item 12): the company page links its
// invoice orders only where they can apply: a connector that sends orders
// serves the company's country, or the company has such a connection.
func TestInvoiceOrdersLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.loggedIn(e.analyst).get("/companies/" + itoa(e.fj.ID)); strings.Contains(r.Body, `id="imports-link"`) {
		t.Error("a portal where no connector sends orders links invoice orders")
	}
	ent, err := enterprise.Config{PrivateHosts: e.db, Sent: e.db}.Open()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, AdminSecondFactorOptional: true, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Now: e.clock.Now,
			Connectors: map[string]connectors.Connector{e.conn.Name(): e.conn, ent.Name(): ent},
			Countries:  map[string][]string{e.conn.Name(): {"SE", "NO"}, ent.Name(): {"NO"}}})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	fjord := p.addCompanyIn("NO", "Fjordsag AS", "923609016", p.analyst)

	// Kvarnbyn, in Sweden, was connected for order import all the same.
	l := &db.ConsentLink{CompanyID: p.kafe.ID, Connector: ent.Name(), ExpectedOrgNumber: p.kafe.OrgNumber, CreatedByID: p.analyst.ID, ExpiresAt: p.clock.Now().Add(time.Hour)}
	if err := p.db.CreateLink(t.Context(), l, "orders-link-kafe"); err != nil {
		t.Fatal(err)
	}
	if err := p.db.StartLinkLogin(t.Context(), l.ID, "attempt"); err != nil {
		t.Fatal(err)
	}
	conn := &db.Connection{CompanyID: p.kafe.ID, Connector: ent.Name(), ExternalName: p.kafe.Name, OrgNumber: p.kafe.OrgNumber}
	if err := p.db.Connect(t.Context(), l.ID, conn, connectors.Grant{Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}

	b := p.loggedIn(p.analyst)
	for _, tt := range []struct {
		co   *db.Company
		want bool
	}{{p.fj, false}, {fjord, true}, {p.kafe, true}} {
		r := b.get("/companies/" + itoa(tt.co.ID))
		wantStatus(t, tt.co.Name, r, http.StatusOK)
		if got := strings.Contains(r.Body, `id="imports-link"`); got != tt.want {
			t.Errorf("%s (%s): invoice orders linked %v, want %v", tt.co.Name, tt.co.Country, got, tt.want)
		}
	}
}

var msgBoxRe = regexp.MustCompile(`(?s)<textarea id="msg-([a-z]+)"[^>]*\brows="(\d+)"[^>]*>(.*?)</textarea>`)

// TestLinkMessageShowsWhole (issue 25 item 12): the box of a link's ready
// message has a row for every line of it.
func TestLinkMessageShowsWhole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.analyst)
	b.createLink(e.fj, "")
	r := b.get("/companies/" + itoa(e.fj.ID))
	ms := msgBoxRe.FindAllStringSubmatch(r.Body, -1)
	if len(ms) == 0 {
		t.Fatal("the company page has no message boxes")
	}
	for _, m := range ms {
		rows, _ := strconv.Atoi(m[2])
		if lines := strings.Count(html.UnescapeString(strings.TrimPrefix(m[3], "\n")), "\n") + 1; rows < lines {
			t.Errorf("the %s message has %d lines in a box of %d rows", m[1], lines, rows)
		}
	}
}

var linkRowRe = regexp.MustCompile(`(?s)<tr id="link-(\d+)"[^>]*>(.*?)</tr>`)

// linkRow is the text of link id's row in the company page's link history.
func linkRow(t *testing.T, r *response, id int64) string {
	t.Helper()
	for _, m := range linkRowRe.FindAllStringSubmatch(r.Body, -1) {
		if m[1] == itoa(id) {
			return strings.Join(strings.Fields(html.UnescapeString(tagRe.ReplaceAllString(m[2], " "))), " ")
		}
	}
	t.Fatalf("the link history has no row for link %d", id)
	return ""
}

// TestLinkHistoryApprovedBy (issue 25 item 12): a link that failed says who
// tried it; once it connects, who approved it.
func TestLinkHistoryApprovedBy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.analyst)
	link := b.createLink(e.fj, "")
	id := e.linkOf(t, link).ID
	acc := e.browser()
	wantStatus(t, "the wrong company", acc.finish(acc.consent(link, annaN).Location()), http.StatusBadRequest)
	row := linkRow(t, b.get("/companies/"+itoa(e.fj.ID)), id)
	if !strings.Contains(row, "tried by Anna Lindqvist") {
		t.Errorf("a failed link: %q, want it to say who tried", row)
	}
	wantStatus(t, "the right company", acc.finish(acc.consent(link, anna).Location()), http.StatusOK)
	row = linkRow(t, b.get("/companies/"+itoa(e.fj.ID)), id)
	if !strings.Contains(row, "approved by Anna Lindqvist") || strings.Contains(row, "tried by") {
		t.Errorf("a connected link: %q, want it to say who approved it", row)
	}
}

var (
	copyCodesRe     = regexp.MustCompile(`<button type="button"[^>]*data-copy="#recovery-codes"`)
	downloadCodesRe = regexp.MustCompile(`<a [^>]*href="data:text/plain;charset=utf-8,([^"]*)"[^>]*download="([^"]+)"`)
)

// wantCodesFirst checks a page that shows recovery codes: once, in their
// own section before any form of the page, with a copy button and a
// download as a .txt file holding every code.
func wantCodesFirst(t *testing.T, what string, r *response) {
	t.Helper()
	main := r.Body[strings.Index(r.Body, `<main`):]
	codes := recoveryCodeRe.FindAllStringSubmatch(main, -1)
	if len(codes) < 8 {
		t.Fatalf("%s: %d recovery codes shown", what, len(codes))
	}
	if first, form := strings.Index(main, `class="recovery-code"`), strings.Index(main, "<form"); form >= 0 && first > form {
		t.Errorf("%s: the recovery codes come after a form", what)
	}
	if n := strings.Count(main, codes[0][1]); n != 2 {
		// Once on the page, once in the download.
		t.Errorf("%s: the first code appears %d times, want once shown and once in the download", what, n)
	}
	if !copyCodesRe.MatchString(main) || !strings.Contains(main, `id="recovery-codes"`) {
		t.Errorf("%s: no button copies the recovery codes", what)
	}
	m := downloadCodesRe.FindStringSubmatch(main)
	if m == nil {
		t.Fatalf("%s: no download of the recovery codes", what)
	}
	text, err := url.PathUnescape(html.UnescapeString(m[1]))
	if err != nil || !strings.HasSuffix(m[2], ".txt") {
		t.Fatalf("%s: download %q as %q: %v", what, m[1], m[2], err)
	}
	for _, c := range codes {
		if !strings.Contains(text, c[1]) {
			t.Errorf("%s: the download lacks %s", what, c[1])
		}
	}
}

// TestRecoveryCodesShownFirst (issue 25 item 12): recovery codes, on
// enrolling and when made anew, are shown before every form, copyable and
// downloadable.
func TestRecoveryCodesShownFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)
	r := b.post("/settings/second-factor", nil)
	m := totpSecretRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("no second-factor key to type in")
	}
	code, _ := totp.GenerateCode(m[1], e.clock.Now())
	r = b.post("/settings/second-factor/confirm", url.Values{"code": {code}})
	wantStatus(t, "confirm", r, http.StatusOK)
	wantCodesFirst(t, "on enrolling", r)
	r = b.post("/settings/second-factor/codes", url.Values{"current_password": {e.viewer.Password}})
	wantStatus(t, "new codes", r, http.StatusOK)
	wantCodesFirst(t, "made anew", r)
}

var voucherRowRe = regexp.MustCompile(`(?s)<tr>\s*<td[^>]*><a href="/companies/\d+/vouchers/(\d+)[^"]*">.*?</tr>`)

// cell is the text of the cell labelled label in a row of the list.
func cell(row, label string) string {
	m := regexp.MustCompile(`(?s)data-label="` + regexp.QuoteMeta(label) + `"[^>]*>(.*?)</td>`).FindStringSubmatch(row)
	if m == nil {
		return "(none)"
	}
	return strings.TrimSpace(html.UnescapeString(tagRe.ReplaceAllString(m[1], "")))
}

// TestVoucherListCurrencyAndDocuments (issue 25 item 12): the list has a
// currency column, and says how many documents a voucher has where Bilag
// has seen them, "Yes" where only the upstream's word is known.
func TestVoucherListCurrencyAndDocuments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vs := e.indexVouchers(e.fj)
	byRef := map[string]db.Voucher{}
	for _, v := range vs {
		byRef[v.Ref] = v
	}
	docs := []db.VoucherDocument{{Kind: "attachment", ExternalID: "d1", FileName: "a.pdf"}, {Kind: "attachment", ExternalID: "d2", FileName: "b.pdf"}}
	if _, err := e.db.SetVoucherDocuments(t.Context(), e.fj.ID, byRef["v1"].ID, docs); err != nil {
		t.Fatal(err)
	}
	r := e.loggedIn(e.viewer).get(fmt.Sprintf("/companies/%d/vouchers", e.fj.ID))
	wantStatus(t, "list", r, http.StatusOK)
	if !regexp.MustCompile(`<th scope="col"[^>]*>Currency</th>`).MatchString(r.Body) {
		t.Error("the list has no Currency column")
	}
	rows := map[string]string{}
	for _, m := range voucherRowRe.FindAllStringSubmatch(r.Body, -1) {
		rows[m[1]] = m[0]
	}
	for ref, want := range map[string]string{"v1": "2", "v2": "No", "v3": "Yes"} {
		row, ok := rows[itoa(byRef[ref].ID)]
		if !ok {
			t.Fatalf("voucher %s is not listed", ref)
		}
		if got := cell(row, "Documents"); got != want {
			t.Errorf("voucher %s: documents %q, want %q", ref, got, want)
		}
		if got := cell(row, "Currency"); got != "SEK" {
			t.Errorf("voucher %s: currency %q, want SEK", ref, got)
		}
	}
}
