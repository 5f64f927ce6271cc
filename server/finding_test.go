package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

// listNumbers is the voucher numbers of a vouchers page, in order.
func listNumbers(r *response) []string {
	var out []string
	for _, m := range listLinkRe.FindAllStringSubmatch(r.Body, -1) {
		out = append(out, strings.Join(strings.Fields(m[2]), " "))
	}
	return out
}

var listLinkRe = regexp.MustCompile(`<a href="/companies/\d+/vouchers/(\d+)(?:\?[^"]*)?">([^<]*)</a>`)

// TestFindVouchers: amount (exact, within a tolerance, either sign), a
// number without its series, From after To, and a malformed amount.
func TestFindVouchers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.indexVouchers(e.fj)
	b := e.loggedIn(e.viewer)
	list := fmt.Sprintf("/companies/%d/vouchers?", e.fj.ID)
	tests := []struct {
		query string
		want  []string // numbers, newest first
	}{
		{"amount=12500", []string{"A 1"}},
		{"amount=" + url.QueryEscape("12 500,50"), []string{"A 1"}},
		{"amount=" + url.QueryEscape("12500±1"), []string{"A 1", "A 1"}},
		{"amount=" + url.QueryEscape("12500+-0.25"), []string{"A 1"}},
		{"amount=12", []string{"B 7"}},
		{"number=7", []string{"B 7"}},
		{"number=1", []string{"A 1", "A 1"}},
		{"number=b7", []string{"B 7"}},
		{"number=1&amount=" + url.QueryEscape("12500,50"), []string{"A 1"}},
	}
	for _, tt := range tests {
		r := b.get(list + tt.query)
		wantStatus(t, tt.query, r, http.StatusOK)
		if got := listNumbers(r); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: list %q, want %q", tt.query, got, tt.want)
		}
		wantText(t, tt.query, r, "Clear filters")
	}
	r := b.get(list + "from=2024-06-01&to=2024-01-01")
	wantStatus(t, "From after To", r, http.StatusUnprocessableEntity)
	wantText(t, "From after To", r, "From is after To")
	r = b.get(list + "amount=tolv")
	wantStatus(t, "bad amount", r, http.StatusUnprocessableEntity)
	wantText(t, "bad amount", r, "Write an amount such as 1250")
	if r := b.get(list); strings.Contains(r.Text(), "Clear filters") {
		t.Errorf("the unfiltered list offers to clear filters")
	}
}

// TestVoucherOrder: the columns order the list both ways, the header links
// keep the filter, and a voucher's previous and next follow the list it
// was opened from.
func TestVoucherOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	all := e.indexVouchers(e.fj)
	b := e.loggedIn(e.viewer)
	list := fmt.Sprintf("/companies/%d/vouchers", e.fj.ID)
	for _, tt := range []struct{ query, want string }{
		{"", "A 3,B 7,A 1,A 2,A 1"},
		{"sort=date&dir=asc", "A 1,A 2,A 1,B 7,A 3"},
		{"sort=amount", "A 1,A 1,A 2,A 3,B 7"},
		{"sort=amount&dir=asc", "B 7,A 3,A 2,A 1,A 1"},
		{"sort=number", "A 1,A 1,A 2,A 3,B 7"},
		{"sort=number&dir=desc&has_documents=1", "A 1,A 1"},
	} {
		r := b.get(list + "?" + tt.query)
		if got := strings.Join(listNumbers(r), ","); got != tt.want {
			t.Errorf("?%s: %s, want %s", tt.query, got, tt.want)
		}
	}
	r := b.get(list + "?has_documents=1&sort=amount&dir=desc")
	if !strings.Contains(r.Body, `aria-sort="descending"`) {
		t.Errorf("the ordered column has no aria-sort")
	}
	for _, col := range []string{"number", "date", "amount"} {
		m := regexp.MustCompile(`href="\?([^"]*sort=` + col + `[^"]*)"`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no link orders by %s", col)
		}
		if !strings.Contains(m[1], "has_documents=1") {
			t.Errorf("the %s header link drops the filter: %s", col, m[1])
		}
	}
	if !strings.Contains(r.Body, "sort=amount&amp;dir=asc") && !strings.Contains(r.Body, "dir=asc&amp;has_documents=1&amp;sort=amount") {
		t.Errorf("the amount header of a list ordered by amount, descending, does not turn it round")
	}

	// In the list by amount, highest first, A 2 (499,00) lies between
	// A 1 (12 500,00) and A 3 (0,07).
	byAmount := "sort=amount&dir=desc"
	var a1, a2, a3 db.Voucher
	for _, v := range all {
		switch {
		case v.Number == "A2":
			a2 = v
		case v.Number == "A3":
			a3 = v
		case v.Number == "A1" && v.Amount == 1250000:
			a1 = v
		}
	}
	r = b.get(fmt.Sprintf("%s/%d?%s", list, a2.ID, byAmount))
	wantStatus(t, "voucher page", r, http.StatusOK)
	prev := regexp.MustCompile(`<a href="([^"]*)" rel="prev">`).FindStringSubmatch(r.Body)
	next := regexp.MustCompile(`<a href="([^"]*)" rel="next">`).FindStringSubmatch(r.Body)
	if prev == nil || next == nil {
		t.Fatalf("voucher page has no previous or next:\n%s", r.Text())
	}
	if want := fmt.Sprintf("%s/%d?dir=desc&amp;sort=amount", list, a1.ID); prev[1] != want {
		t.Errorf("previous = %s, want %s", prev[1], want)
	}
	if want := fmt.Sprintf("%s/%d?dir=desc&amp;sort=amount", list, a3.ID); next[1] != want {
		t.Errorf("next = %s, want %s", next[1], want)
	}
	wantText(t, "voucher page", r, "Back to the list")
	if !strings.Contains(r.Body, "<title>Voucher A 2 · Fjällbacka Snickeri AB · Bilag</title>") {
		t.Errorf("the tab title does not carry the company: %s", regexp.MustCompile(`<title>.*</title>`).FindString(r.Body))
	}
	// The last in the list has no next.
	r = b.get(fmt.Sprintf("%s/%d?%s", list, all[len(all)-1].ID, "sort=date&dir=desc"))
	if strings.Contains(r.Body, `rel="next"`) {
		t.Errorf("the oldest voucher, in a list newest first, has a next")
	}
}

// TestGoToVoucher: the header's box finds a number among the companies
// the user may see, and only those.
func TestGoToVoucher(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fj := e.indexVouchers(e.fj)
	ns := []db.Voucher{{CompanyID: e.norrsken.ID, Ref: "ns-1", Number: "C9", Series: "C", Date: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Text: "Norrsken", Amount: 100, Kind: "manual"}}
	if err := e.db.UpsertVouchers(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	analyst, viewer := e.loggedIn(e.analyst), e.loggedIn(e.viewer)
	r := analyst.get("/")
	if !strings.Contains(r.Body, `action="/vouchers/go"`) {
		t.Errorf("the header has no Go to voucher box")
	}
	r = analyst.get("/vouchers/go?number=c9")
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location(), fmt.Sprintf("/companies/%d/vouchers/", e.norrsken.ID)) {
		t.Errorf("analyst, C9: %d %s, want 303 to Norrsken's voucher", r.Status, r.Location())
	}
	// Vera sees Fjällbacka only: Norrsken's C9 is not found for her.
	r = viewer.get("/vouchers/go?number=c9")
	wantStatus(t, "viewer, C9", r, http.StatusNotFound)
	wantText(t, "viewer, C9", r, "No voucher c9 was found in your companies.", "Fjällbacka Snickeri AB")
	if strings.Contains(r.Text(), "Norrsken") {
		t.Errorf("the viewer's not-found page names a company she may not see")
	}
	// "1" is A 1 twice: a choice.
	r = viewer.get("/vouchers/go?number=1")
	wantStatus(t, "several", r, http.StatusOK)
	for _, v := range fj {
		has := strings.Contains(r.Body, fmt.Sprintf(`href="/companies/%d/vouchers/%d"`, e.fj.ID, v.ID))
		if has != (v.Number == "A1") {
			t.Errorf("choice page links %s (%d): %v", v.Number, v.ID, has)
		}
	}
	r = viewer.get("/vouchers/go")
	wantStatus(t, "empty", r, http.StatusOK)
	if !strings.Contains(r.Body, `id="g-number"`) {
		t.Errorf("Go to voucher without a number offers no form")
	}
}

// TestNotFoundSaysWhenSynced: a voucher not in the index says when the
// company was last synced and offers Sync now; the lookup without a
// number is a form; the sync progress says only what is known.
func TestNotFoundSaysWhenSynced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn := e.connectFJ(e.loggedIn(e.analyst))
	e.waitSync(conn)
	b := e.loggedIn(e.viewer)
	lookup := fmt.Sprintf("/companies/%d/vouchers/lookup", e.fj.ID)
	r := b.get(lookup)
	wantStatus(t, "lookup without a number", r, http.StatusOK)
	if !strings.Contains(r.Body, `name="number"`) || strings.Contains(r.Text(), "Give a voucher number") {
		t.Errorf("the lookup without a number is no form:\n%s", r.Text())
	}
	r = b.get(lookup + "?number=ZZ999999")
	wantStatus(t, "lookup of none", r, http.StatusNotFound)
	wantText(t, "lookup of none", r, "No voucher ZZ999999 was found.", "last synced with Visma", "Sync now")
	if !strings.Contains(r.Body, fmt.Sprintf(`action="/companies/%d/sync"`, e.fj.ID)) {
		t.Errorf("the not-found page has no Sync now form")
	}
	list := fmt.Sprintf("/companies/%d/vouchers", e.fj.ID)
	wantText(t, "list", b.get(list), "Last synced ")

	// A sync of changes runs: since when, how many, no Sync now.
	run := &db.SyncRun{CompanyID: e.fj.ID, ConnectionID: conn.ID, Fetched: 3, Total: 3}
	if err := e.db.StartSyncRun(t.Context(), run); err != nil {
		t.Fatal(err)
	}
	r = b.get(list)
	wantText(t, "incremental sync", r, "Looking for changes since ", "… 3 new or changed")
	if strings.Contains(r.Body, fmt.Sprintf(`action="/companies/%d/sync"`, e.fj.ID)) {
		t.Errorf("Sync now is offered while a sync runs")
	}
	if err := e.db.FinishSyncRun(t.Context(), run.ID, "", ""); err != nil {
		t.Fatal(err)
	}
}

// TestFirstSyncProgress: a first sync whose total is not known yet shows
// an indeterminate bar and no "0 of 0", and no empty-state text.
func TestFirstSyncProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn := e.connectFJ(e.loggedIn(e.analyst))
	e.waitSync(conn)
	// A company with no vouchers yet, whose first sync has not heard the
	// total yet.
	other := e.addCompany("Tom Start AB", "556677-8899", true, e.viewer)
	run := &db.SyncRun{CompanyID: other.ID, ConnectionID: conn.ID, Full: true}
	if err := e.db.StartSyncRun(t.Context(), run); err != nil {
		t.Fatal(err)
	}
	b := e.loggedIn(e.viewer)
	r := b.get(fmt.Sprintf("/companies/%d/vouchers", other.ID))
	wantStatus(t, "vouchers", r, http.StatusOK)
	text := r.Text()
	for _, bad := range []string{"0 of 0", "matching of 0", "No vouchers yet", "Sync now"} {
		if strings.Contains(text, bad) {
			t.Errorf("running first sync: page says %q", bad)
		}
	}
	prog := regexp.MustCompile(`<progress[^>]*>`).FindString(r.Body)
	if prog == "" || strings.Contains(prog, "value=") {
		t.Errorf("progress = %q, want one without a value (indeterminate)", prog)
	}
	wantText(t, "first sync", r, "Asking Visma how many vouchers there are")
	var st struct {
		Running     bool   `json:"running"`
		Determinate bool   `json:"determinate"`
		Text        string `json:"text"`
	}
	sr := b.get(fmt.Sprintf("/companies/%d/sync/status", other.ID))
	if err := json.Unmarshal([]byte(sr.Body), &st); err != nil {
		t.Fatal(err)
	}
	if !st.Running || st.Determinate || strings.Contains(st.Text, "0 of 0") {
		t.Errorf("sync status = %+v, want running, indeterminate, without 0 of 0", st)
	}
	// Half way with a known total: a share.
	if err := e.db.SyncProgress(t.Context(), run.ID, 50, 200, 50); err != nil {
		t.Fatal(err)
	}
	r = b.get(fmt.Sprintf("/companies/%d/vouchers", other.ID))
	wantText(t, "half way", r, "50 of 200 vouchers fetched")
	if prog := regexp.MustCompile(`<progress[^>]*>`).FindString(r.Body); !strings.Contains(prog, `value="50"`) {
		t.Errorf("half way: progress = %q", prog)
	}
}

var refRe = regexp.MustCompile(`Ref: \S+`)

// TestNotFoundSaysAskAnAdmin: a page the user may not see says so, the
// same whether the company exists or not.
func TestNotFoundSaysAskAnAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)
	hidden := b.get(fmt.Sprintf("/companies/%d/vouchers", e.hidden.ID))
	missing := b.get("/companies/999999/vouchers")
	for _, r := range []*response{hidden, missing} {
		wantStatus(t, "not visible", r, http.StatusNotFound)
		wantText(t, "not visible", r, "Not found. The page does not exist, or you do not have access to it", "ask an admin")
	}
	if a, b := refRe.ReplaceAllString(hidden.Text(), ""), refRe.ReplaceAllString(missing.Text(), ""); a != b {
		t.Errorf("a hidden company's 404 differs from a missing one's:\n%s\n%s", a, b)
	}
}

// TestAdminUsersCompanies: the users list shows companies and last login,
// and a new user is given companies on the new-user form.
func TestAdminUsersCompanies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.loggedIn(e.admin)
	e.loggedIn(e.viewer)
	r := admin.get("/admin/users")
	wantStatus(t, "users", r, http.StatusOK)
	row := regexp.MustCompile(`(?s)<tr>\s*<td>Vera Viewer</td>.*?</tr>`).FindString(r.Body)
	if !strings.Contains(row, "Fjällbacka Snickeri AB") || !strings.Contains(row, "Gamla Varvet AB") {
		t.Errorf("Vera's row does not name her companies: %s", row)
	}
	if !regexp.MustCompile(`\d{1,2} [A-Za-z]{3} \d{4} \d\d:\d\d CES?T`).MatchString(row) {
		t.Errorf("Vera's row has no last login: %s", row)
	}
	r = admin.get("/admin/users/new")
	if !strings.Contains(r.Body, fmt.Sprintf(`name="companies" value="%d"`, e.norrsken.ID)) {
		t.Fatalf("the new-user form offers no companies")
	}
	form := url.Values{"name": {"Nils Ny"}, "email": {"nils@firm.test"}, "role": {db.RoleViewer}, "companies": {itoa(e.norrsken.ID), itoa(e.kafe.ID)}}
	r = admin.post("/admin/users", form)
	wantStatus(t, "create", r, http.StatusSeeOther)
	u, err := e.db.UserByEmail(t.Context(), "nils@firm.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, co := range []*db.Company{e.norrsken, e.kafe} {
		ids, err := e.db.Members(t.Context(), co.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, id := range ids {
			found = found || id == u.ID
		}
		if !found {
			t.Errorf("Nils is no member of %s", co.Name)
		}
	}
	form.Set("email", "forged@firm.test")
	form["companies"] = []string{"999999"}
	r = admin.post("/admin/users", form)
	wantStatus(t, "forged company", r, http.StatusUnprocessableEntity)
	if _, err := e.db.UserByEmail(t.Context(), "forged@firm.test"); err == nil {
		t.Errorf("a form with a company that does not exist made a user")
	}
	// One list of companies in the admin's menu.
	nav := regexp.MustCompile(`(?s)<nav aria-label="main">.*?</nav>`).FindString(admin.get("/").Body)
	if strings.Count(nav, "compan") > 1 || strings.Contains(nav, "/admin/companies") {
		t.Errorf("the admin's menu has two lists of companies: %s", nav)
	}
}
