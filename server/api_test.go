package server_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

var newTokenRe = regexp.MustCompile(`id="new-token"[^>]*value="([^"]+)"`)

var tokenFormat = regexp.MustCompile(`^bilag_[A-Za-z0-9_-]{43}$`)

// createToken makes a personal API token on b's settings page and reads
// it from the page the form answers.
func (b *browser) createToken(name string) string {
	b.e.t.Helper()
	b.get("/settings")
	r := b.post("/settings/tokens", url.Values{"name": {name}})
	wantStatus(b.e.t, "POST /settings/tokens", r, http.StatusOK)
	m := newTokenRe.FindStringSubmatch(r.Body)
	if m == nil {
		b.e.t.Fatalf("settings page after creating a token shows no #new-token:\n%s", r.Body)
	}
	tok := html.UnescapeString(m[1])
	if !tokenFormat.MatchString(tok) {
		b.e.t.Fatalf("token = %q, want bilag_ and 43 base64url characters", tok)
	}
	return tok
}

// tokenFor logs p in and makes a token.
func (e *env) tokenFor(p person) string {
	e.t.Helper()
	return e.loggedIn(p).createToken("test " + p.Email)
}

// api calls the API with token (none when empty), without cookies, and
// checks the response against openapi.json.
func (e *env) api(t *testing.T, token, path string) *response {
	t.Helper()
	return e.apiWith(t, "Bearer "+token, token != "", path)
}

func (e *env) apiWith(t *testing.T, authorization string, send bool, path string) *response {
	t.Helper()
	hdr := http.Header{}
	if send {
		hdr.Set("Authorization", authorization)
	}
	r := e.browser().do(http.MethodGet, path, nil, hdr)
	loadSpec(t).check(t, http.MethodGet, path, r)
	return r
}

// decode unmarshals a JSON body.
func decode[T any](t *testing.T, r *response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("body is not the JSON expected: %v\n%.400s", err, r.Body)
	}
	return v
}

type apiErr struct{ Code, Message string }

func wantAPIError(t *testing.T, what string, r *response, status int, code string) {
	t.Helper()
	wantStatus(t, what, r, status)
	if got := decode[apiErr](t, r); got.Code != code || got.Message == "" {
		t.Errorf("%s: error = %+v, want code %q and a message", what, got, code)
	}
}

type apiVoucher struct {
	ID           int64  `json:"id"`
	Number       string `json:"number"`
	Date         string `json:"date"`
	FiscalYearID string `json:"fiscal_year_id"`
	Text         string `json:"text"`
	Amount       string `json:"amount"`
	HasDocuments bool   `json:"has_documents"`
}

type apiVoucherList struct {
	Vouchers []apiVoucher
	Page     int
	Pages    int
	PageSize int `json:"page_size"`
	Total    int64
}

type apiDocument struct {
	ID          int64   `json:"id"`
	FileName    string  `json:"file_name"`
	ContentType string  `json:"content_type"`
	Size        *int64  `json:"size"`
	SHA256      *string `json:"sha256"`
	DownloadURL string  `json:"download_url"`
}

type apiVoucherDetail struct {
	apiVoucher
	Rows      []map[string]any
	Documents []apiDocument
}

func numbers(vs []apiVoucher) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Number
	}
	return strings.Join(out, ",")
}

// TestAPITokens: a token is made on the settings page, shown once, stored
// only as a hash, acts as its owner, and stops working when revoked.
func TestAPITokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn(e.viewer)

	page := b.get("/settings")
	wantStatus(t, "GET /settings", page, http.StatusOK)
	wantText(t, "settings page", page, tr("api.tokens.title"), tr("api.tokens.none"))

	invalid := []struct {
		name, value, want string
	}{
		{"empty", "", tr("err.required")},
		{"blank", "   ", tr("err.required")},
		{"too long", strings.Repeat("å", 101), tr("err.toolong")},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post("/settings/tokens", url.Values{"name": {tc.value}})
			wantStatus(t, "POST /settings/tokens", r, http.StatusUnprocessableEntity)
			if got := fieldErrors(r.Body)["name"]; got != tc.want {
				t.Errorf("name error = %q, want %q", got, tc.want)
			}
			if newTokenRe.MatchString(r.Body) {
				t.Errorf("a refused form shows a token")
			}
		})
	}

	tok := b.createToken(strings.Repeat("n", 99) + "å")
	prefix := tok[:14]

	// Shown once: the settings page never shows it again, only its prefix.
	page = b.get("/settings")
	if strings.Contains(page.Body, tok) || strings.Contains(page.Body, tok[14:]) {
		t.Errorf("settings page shows the token again")
	}
	wantText(t, "settings page", page, prefix, tr("api.token.never"))

	// Stored hashed: the database files hold its hash, never the token.
	var files []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		raw, err := os.ReadFile(e.dbPath + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files = append(files, raw...)
	}
	if bytes.Contains(files, []byte(tok)) || bytes.Contains(files, []byte(tok[14:])) {
		t.Errorf("the database contains the token")
	}
	if !bytes.Contains(files, []byte(db.HashSecret(tok))) {
		t.Errorf("the database does not contain the token's hash (were the right files read?)")
	}

	// It works, and its use is recorded.
	r := e.api(t, tok, "/api/v1/companies")
	wantStatus(t, "GET companies", r, http.StatusOK)
	if page := b.get("/settings"); strings.Contains(page.Text(), tr("api.token.never")) {
		t.Errorf("settings page says the token was never used after it was")
	}

	// Someone else cannot revoke it.
	id := regexp.MustCompile(`/settings/tokens/(\d+)/revoke`).FindStringSubmatch(page.Body)
	if id == nil {
		t.Fatalf("settings page has no revoke form")
	}
	other := e.loggedIn(e.analyst)
	other.get("/settings")
	wantStatus(t, "revoke another's token", other.post("/settings/tokens/"+id[1]+"/revoke", nil), http.StatusNotFound)
	wantStatus(t, "GET companies after a stranger's revoke", e.api(t, tok, "/api/v1/companies"), http.StatusOK)

	r = b.post("/settings/tokens/"+id[1]+"/revoke", nil)
	wantStatus(t, "revoke", r, http.StatusSeeOther)
	page = b.follow(r)
	wantText(t, "settings after revoke", page, tr("api.token.revoked"), tr("api.tokens.none"))
	wantAPIError(t, "GET companies with a revoked token", e.api(t, tok, "/api/v1/companies"), http.StatusUnauthorized, "unauthorized")
	wantStatus(t, "revoke again", b.post("/settings/tokens/"+id[1]+"/revoke", nil), http.StatusNotFound)

	// The audit log knows, without the token.
	events, err := e.db.AuditEvents(t.Context(), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev.Action] = true
		if strings.Contains(ev.Detail+ev.Target, tok[14:]) {
			t.Errorf("audit event %s contains the token", ev.Action)
		}
	}
	if !seen[db.AuditAPITokenCreate] || !seen[db.AuditAPITokenRevoke] {
		t.Errorf("audit actions = %v, want %s and %s", seen, db.AuditAPITokenCreate, db.AuditAPITokenRevoke)
	}

	// Tokens are bounded per person; revoking one makes room.
	busy := e.loggedIn(e.addUser("busy@firm.test", "Bo Busy", db.RoleViewer, true))
	for i := range 20 {
		busy.createToken(fmt.Sprintf("token %d", i))
	}
	r = busy.post("/settings/tokens", url.Values{"name": {"one more"}})
	wantStatus(t, "21st token", r, http.StatusUnprocessableEntity)
	if got := fieldErrors(r.Body)["name"]; got != tr("api.token.toomany") {
		t.Errorf("21st token: name error = %q, want %q", got, tr("api.token.toomany"))
	}

	// A deactivated user's tokens stop working.
	gone := e.addUser("leaver@firm.test", "Lea Leaver", db.RoleViewer, true)
	leaver := e.tokenFor(gone)
	wantStatus(t, "GET companies as the leaver", e.api(t, leaver, "/api/v1/companies"), http.StatusOK)
	gone.Active = false
	if err := e.db.UpdateUser(t.Context(), gone.User); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "GET companies as a deactivated user", e.api(t, leaver, "/api/v1/companies"), http.StatusUnauthorized, "unauthorized")
}

// TestAPIUnauthorized: every route but the description wants a valid
// bearer token, and a session cookie is no substitute.
func TestAPIUnauthorized(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	valid := e.tokenFor(e.viewer)
	b := make([]byte, 32)
	rand.Read(b)
	unknown := "bilag_" + base64.RawURLEncoding.EncodeToString(b)
	before := e.sb.Stats()

	paths := []string{
		"/api/v1/companies",
		"/api/v1/companies/" + itoa(e.fj.ID) + "/vouchers",
		"/api/v1/companies/" + itoa(e.fj.ID) + "/vouchers/lookup?number=A1",
		"/api/v1/companies/" + itoa(e.fj.ID) + "/vouchers/1",
		"/api/v1/companies/" + itoa(e.fj.ID) + "/vouchers/1/documents/1",
		"/api/v1/nothing-here",
	}
	auths := []struct {
		name, header string
		send         bool
	}{
		{"no header", "", false},
		{"basic", "Basic " + base64.StdEncoding.EncodeToString([]byte("viewer@firm.test:"+e.viewer.Password)), true},
		{"empty bearer", "Bearer ", true},
		{"not a token", "Bearer hello", true},
		{"unknown token", "Bearer " + unknown, true},
		{"token with a character changed", "Bearer " + valid[:len(valid)-1] + map[bool]string{true: "A", false: "B"}[valid[len(valid)-1] != 'A'], true},
		{"token without the scheme", valid, true},
	}
	for _, a := range auths {
		for _, p := range paths {
			t.Run(a.name+" "+p, func(t *testing.T) {
				r := e.apiWith(t, a.header, a.send, p)
				wantAPIError(t, p, r, http.StatusUnauthorized, "unauthorized")
				if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer", got)
				}
			})
		}
	}

	// A logged-in browser without a token gets 401 too.
	br := e.loggedIn(e.viewer)
	r := br.get("/api/v1/companies")
	wantAPIError(t, "API with a session cookie", r, http.StatusUnauthorized, "unauthorized")

	// The scheme is case-insensitive, as RFC 9110 says.
	wantStatus(t, "lower-case bearer", e.apiWith(t, "bearer "+valid, true, "/api/v1/companies"), http.StatusOK)
	// The description is public.
	wantStatus(t, "openapi.json", e.apiWith(t, "", false, "/api/v1/openapi.json"), http.StatusOK)

	if after := e.sb.Stats(); !maps.Equal(before.APIRequests, after.APIRequests) {
		t.Errorf("upstream API requests changed: %v -> %v", before.APIRequests, after.APIRequests)
	}
}

// indexVouchers puts vouchers straight into the index of co.
func (e *env) indexVouchers(co *db.Company) []db.Voucher {
	e.t.Helper()
	ctx := e.t.Context()
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			e.t.Fatal(err)
		}
		return d
	}
	fys := []db.FiscalYear{
		{CompanyID: co.ID, ExternalID: "fy-2023", StartDate: day("2023-01-01"), EndDate: day("2023-12-31")},
		{CompanyID: co.ID, ExternalID: "fy-2024", StartDate: day("2024-01-01"), EndDate: day("2024-12-31")},
	}
	if err := e.db.UpsertFiscalYears(ctx, fys); err != nil {
		e.t.Fatal(err)
	}
	vs := []db.Voucher{
		{Ref: "v1", FiscalYearID: "fy-2023", Number: "A1", Series: "A", Date: day("2023-03-01"), Text: "Hyra mars", Amount: 1250000, Kind: "manual", UpstreamType: "Manual voucher", HasDocuments: true},
		{Ref: "v2", FiscalYearID: "fy-2023", Number: "A2", Series: "A", Date: day("2023-11-15"), Text: "Kontorsmaterial", Amount: 49900, Kind: "manual", UpstreamType: "Manual voucher"},
		{Ref: "v3", FiscalYearID: "fy-2024", Number: "A1", Series: "A", Date: day("2024-02-01"), Text: "Hyra februari", Amount: 1250050, Kind: "manual", UpstreamType: "Manual voucher", HasDocuments: true},
		{Ref: "v4", FiscalYearID: "fy-2024", Number: "B7", Series: "B", Date: day("2024-06-30"), Text: "Kredit 50% rabatt", Amount: -1200, Kind: "supplier_invoice", UpstreamType: "Supplier invoice"},
		{Ref: "v5", FiscalYearID: "fy-2024", Number: "A3", Series: "A", Date: day("2024-12-31"), Text: "Bokslut", Amount: 7, Kind: "manual", UpstreamType: "Manual voucher"},
	}
	for i := range vs {
		vs[i].CompanyID = co.ID
	}
	if err := e.db.UpsertVouchers(ctx, vs); err != nil {
		e.t.Fatal(err)
	}
	list, err := e.db.Vouchers(ctx, co.ID, db.VoucherFilter{PageSize: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return list.Vouchers
}

// TestAPIVoucherIndex lists and looks up vouchers of the index, with the
// filters of the voucher page, and refuses malformed parameters.
func TestAPIVoucherIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.indexVouchers(e.fj)
	tok := e.tokenFor(e.viewer)
	fj := "/api/v1/companies/" + itoa(e.fj.ID)
	before := e.sb.Stats()

	r := e.api(t, tok, "/api/v1/companies")
	wantStatus(t, "companies", r, http.StatusOK)
	cs := decode[struct {
		Companies []struct {
			ID               int64
			Name             string
			OrgNumber        string `json:"org_number"`
			ConnectionStatus string `json:"connection_status"`
		}
	}](t, r)
	// The viewer is a member of Fjällbacka and of the inactive Gamla Varvet,
	// which nobody but admins sees.
	if len(cs.Companies) != 1 || cs.Companies[0].ID != e.fj.ID || cs.Companies[0].OrgNumber != "556812-3474" || cs.Companies[0].ConnectionStatus != "not_connected" {
		t.Errorf("companies = %+v, want only Fjällbacka, not connected", cs.Companies)
	}
	admin := e.tokenFor(e.admin)
	if all := decode[struct{ Companies []any }](t, e.api(t, admin, "/api/v1/companies")); len(all.Companies) != 5 {
		t.Errorf("admin sees %d companies, want 5", len(all.Companies))
	}

	lists := []struct {
		name, query string
		want        string // numbers, newest first
		total       int64
		page, pages int
	}{
		{"all", "", "A3,B7,A1,A2,A1", 5, 1, 1},
		{"fiscal year", "?fiscal_year=fy-2023", "A2,A1", 2, 1, 1},
		{"from", "?from=2024-02-01", "A3,B7,A1", 3, 1, 1},
		{"to is inclusive", "?to=2024-02-01", "A1,A2,A1", 3, 1, 1},
		{"from and to", "?from=2023-06-01&to=2024-06-30", "B7,A1,A2", 3, 1, 1},
		{"text ignores case", "?text=HYRA", "A1,A1", 2, 1, 1},
		{"text with a LIKE character", "?text=50%25", "B7", 1, 1, 1},
		{"number ignores dashes and case", "?number=a-1", "A1,A1", 2, 1, 1},
		{"has documents", "?has_documents=true", "A1,A1", 2, 1, 1},
		{"has documents false is no filter", "?has_documents=false", "A3,B7,A1,A2,A1", 5, 1, 1},
		{"page size", "?page_size=2", "A3,B7", 5, 1, 3},
		{"second page", "?page_size=2&page=2", "A1,A2", 5, 2, 3},
		{"last page", "?page_size=2&page=3", "A1", 5, 3, 3},
		{"past the last page", "?page_size=2&page=4", "", 5, 4, 3},
		{"no match", "?text=nothing", "", 0, 1, 0},
	}
	for _, tc := range lists {
		t.Run("list "+tc.name, func(t *testing.T) {
			r := e.api(t, tok, fj+"/vouchers"+tc.query)
			wantStatus(t, "vouchers"+tc.query, r, http.StatusOK)
			got := decode[apiVoucherList](t, r)
			if numbers(got.Vouchers) != tc.want || got.Total != tc.total || got.Page != tc.page || got.Pages != tc.pages {
				t.Errorf("vouchers%s = [%s] total %d page %d/%d, want [%s] total %d page %d/%d",
					tc.query, numbers(got.Vouchers), got.Total, got.Page, got.Pages, tc.want, tc.total, tc.page, tc.pages)
			}
		})
	}

	t.Run("voucher fields", func(t *testing.T) {
		got := decode[apiVoucherList](t, e.api(t, tok, fj+"/vouchers?number=B7")).Vouchers
		want := apiVoucher{Number: "B7", Date: "2024-06-30", FiscalYearID: "fy-2024", Text: "Kredit 50% rabatt", Amount: "-12.00"}
		if len(got) != 1 {
			t.Fatalf("B7 = %v", got)
		}
		got[0].ID = 0
		if got[0] != want {
			t.Errorf("B7 = %+v, want %+v", got[0], want)
		}
		amounts := map[string]string{}
		for _, v := range decode[apiVoucherList](t, e.api(t, tok, fj+"/vouchers")).Vouchers {
			amounts[v.Number+" "+v.Date] = v.Amount
		}
		wantAmounts := map[string]string{"A1 2023-03-01": "12500.00", "A2 2023-11-15": "499.00", "A1 2024-02-01": "12500.50", "B7 2024-06-30": "-12.00", "A3 2024-12-31": "0.07"}
		if !maps.Equal(amounts, wantAmounts) {
			t.Errorf("amounts = %v, want %v", amounts, wantAmounts)
		}
	})

	lookups := []struct {
		name, query string
		want        string
	}{
		{"number", "?number=A1", "A1 2024-02-01,A1 2023-03-01"},
		{"number as typed", "?number=a 1", "A1 2024-02-01,A1 2023-03-01"},
		{"number and date", "?number=A1&date=2023-03-01", "A1 2023-03-01"},
		{"number and year", "?number=A1&fiscal_year=2024", "A1 2024-02-01"},
		{"number and fiscal year id", "?number=A1&fiscal_year=fy-2023", "A1 2023-03-01"},
	}
	for _, tc := range lookups {
		t.Run("lookup "+tc.name, func(t *testing.T) {
			r := e.api(t, tok, fj+"/vouchers/lookup"+strings.ReplaceAll(tc.query, " ", "%20"))
			wantStatus(t, "lookup", r, http.StatusOK)
			var got []string
			for _, v := range decode[apiVoucherList](t, r).Vouchers {
				got = append(got, v.Number+" "+v.Date)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("lookup%s = %v, want %s", tc.query, got, tc.want)
			}
		})
	}
	for _, q := range []string{"?number=A9", "?number=A1&date=2023-03-02", "?number=A1&fiscal_year=2019"} {
		wantAPIError(t, "lookup"+q, e.api(t, tok, fj+"/vouchers/lookup"+q), http.StatusNotFound, "not_found")
	}

	bad := []string{
		"/vouchers?from=2024-13-01",
		"/vouchers?to=yesterday",
		"/vouchers?from=01/02/2024",
		"/vouchers?page=abc",
		"/vouchers?page=0",
		"/vouchers?page=-1",
		"/vouchers?page_size=0",
		"/vouchers?page_size=501",
		"/vouchers?has_documents=maybe",
		"/vouchers?text=" + strings.Repeat("x", 201),
		"/vouchers?number=" + strings.Repeat("1", 65),
		"/vouchers/lookup",
		"/vouchers/lookup?number=-",
		"/vouchers/lookup?number=A1&date=2024-02-30",
	}
	for _, q := range bad {
		t.Run("bad "+q, func(t *testing.T) {
			r := e.api(t, tok, fj+q)
			wantAPIError(t, q, r, http.StatusBadRequest, "bad_request")
		})
	}
	if after := e.sb.Stats(); !maps.Equal(before.APIRequests, after.APIRequests) {
		t.Errorf("the index routes called upstream: %v -> %v", before.APIRequests, after.APIRequests)
	}
}

// waitForSync waits until the first sync after connecting has finished.
func (e *env) waitForSync(co *db.Company) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := e.db.SyncRuns(e.t.Context(), co.ID, 1)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(runs) > 0 && runs[0].Status != db.SyncRunning {
			if runs[0].Error != "" {
				e.t.Fatalf("first sync of %s failed: %s", co.Name, runs[0].Error)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("the first sync of %s did not finish", co.Name)
}

// TestAPIConnected reads a connected company's voucher and documents
// through the API, and shows that a stranger's every request answers 404
// before anything is asked of Visma.
func TestAPIConnected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connectFJ(e.loggedIn(e.analyst))
	e.waitForSync(e.fj)
	tok := e.tokenFor(e.viewer)
	fj := "/api/v1/companies/" + itoa(e.fj.ID)

	cs := decode[struct {
		Companies []struct {
			ConnectionStatus string `json:"connection_status"`
			Connector        string `json:"connector"`
		}
	}](t, e.api(t, tok, "/api/v1/companies"))
	if len(cs.Companies) != 1 || cs.Companies[0].ConnectionStatus != db.ConnActive || cs.Companies[0].Connector != "eaccounting" {
		t.Errorf("companies = %+v, want Fjällbacka, active, through eaccounting", cs.Companies)
	}

	list := decode[apiVoucherList](t, e.api(t, tok, fj+"/vouchers?has_documents=true&page_size=5"))
	if len(list.Vouchers) == 0 {
		t.Fatalf("no voucher with documents after the first sync")
	}
	v := list.Vouchers[0]
	path := fmt.Sprintf("%s/vouchers/%d", fj, v.ID)
	r := e.api(t, tok, path)
	wantStatus(t, "GET voucher", r, http.StatusOK)
	detail := decode[apiVoucherDetail](t, r)
	if detail.apiVoucher != v {
		t.Errorf("voucher = %+v, want the listed %+v", detail.apiVoucher, v)
	}
	if len(detail.Rows) == 0 || len(detail.Documents) == 0 {
		t.Fatalf("voucher %s has %d rows and %d documents, want some of each", v.Number, len(detail.Rows), len(detail.Documents))
	}
	doc := detail.Documents[0]
	if doc.Size != nil || doc.SHA256 != nil {
		t.Errorf("a document never opened has size %v and sha256 %v, want null", doc.Size, doc.SHA256)
	}
	docPath := fmt.Sprintf("%s/documents/%d", path, doc.ID)
	if doc.DownloadURL != e.url+docPath {
		t.Errorf("download_url = %q, want %q", doc.DownloadURL, e.url+docPath)
	}

	// Download it: the bytes as Visma serves them, as an attachment.
	r = e.api(t, tok, docPath)
	wantStatus(t, "GET document", r, http.StatusOK)
	if r.Body == "" {
		t.Errorf("document is empty")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("document Content-Type = %q, want application/octet-stream", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("document Content-Disposition = %q, want attachment", cd)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("document lacks the untrusted-content headers: %v", r.Header)
	}
	sum := sha256.Sum256([]byte(r.Body))
	// Now the voucher knows its size and hash.
	again := decode[apiVoucherDetail](t, e.api(t, tok, path))
	var opened *apiDocument
	for i := range again.Documents {
		if again.Documents[i].ID == doc.ID {
			opened = &again.Documents[i]
		}
	}
	if opened == nil || opened.Size == nil || *opened.Size != int64(len(r.Body)) || opened.SHA256 == nil || *opened.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("opened document = %+v, want size %d and sha256 %x", opened, len(r.Body), sum)
	}

	// A voucher id that is not the company's, a document id that is not
	// the voucher's.
	other := decode[apiVoucherList](t, e.api(t, tok, fj+"/vouchers?page_size=500"))
	var without int64
	for _, o := range other.Vouchers {
		if o.ID != v.ID {
			without = o.ID
			break
		}
	}
	for _, p := range []string{
		fj + "/vouchers/999999999", fj + "/vouchers/abc", fj + "/vouchers/0",
		fmt.Sprintf("%s/vouchers/%d/documents/999999999", fj, v.ID),
		fmt.Sprintf("%s/vouchers/%d/documents/%d", fj, without, doc.ID),
	} {
		wantAPIError(t, p, e.api(t, tok, p), http.StatusNotFound, "not_found")
	}

	t.Run("stranger", func(t *testing.T) {
		// The outsider sees one company of their own, with its own index;
		// Fjällbacka is someone else's. Every route, with Fjällbacka's ids
		// under Fjällbacka's path and under the outsider's own company,
		// answers 404, and Visma is not asked anything.
		out := e.addUser("outsider@firm.test", "Otto Outsider", db.RoleViewer, true)
		own := e.addCompany("Egen Firma AB", "556677-8899", true, out)
		e.indexVouchers(own)
		stranger := e.tokenFor(out)
		mine := "/api/v1/companies/" + itoa(own.ID)
		wantStatus(t, "own vouchers", e.api(t, stranger, mine+"/vouchers"), http.StatusOK)

		before := e.sb.Stats()
		routes := []string{
			fj + "/vouchers",
			fj + "/vouchers?number=" + url.QueryEscape(v.Number),
			fj + "/vouchers/lookup?number=" + url.QueryEscape(v.Number),
			path,
			docPath,
			fj + "/vouchers/999999999",
			fj + "/vouchers/1/documents/1",
			fj,
			fj + "/nothing",
			mine + fmt.Sprintf("/vouchers/%d", v.ID),
			mine + fmt.Sprintf("/vouchers/%d/documents/%d", v.ID, doc.ID),
			"/api/v1/companies/" + itoa(e.hidden.ID) + "/vouchers",
			"/api/v1/companies/" + itoa(e.norrsken.ID) + "/vouchers/lookup?number=A1",
			"/api/v1/companies/999999/vouchers",
			"/api/v1/companies/abc/vouchers",
		}
		for _, p := range routes {
			wantAPIError(t, p, e.api(t, stranger, p), http.StatusNotFound, "not_found")
		}
		// A viewer is also a stranger to an inactive company they are a member of.
		inactive := "/api/v1/companies/" + itoa(e.inactive.ID)
		for _, p := range []string{inactive + "/vouchers", inactive + "/vouchers/lookup?number=A1", inactive + "/vouchers/1", inactive + "/vouchers/1/documents/1"} {
			wantAPIError(t, p, e.api(t, tok, p), http.StatusNotFound, "not_found")
		}
		companies := decode[struct{ Companies []struct{ ID int64 } }](t, e.api(t, stranger, "/api/v1/companies"))
		if len(companies.Companies) != 1 || companies.Companies[0].ID != own.ID {
			t.Errorf("the outsider's companies = %+v, want only their own", companies.Companies)
		}
		after := e.sb.Stats()
		if !maps.Equal(before.APIRequests, after.APIRequests) || !maps.Equal(before.TokenRequests, after.TokenRequests) || before.FileDownloads != after.FileDownloads {
			t.Errorf("a stranger's requests reached Visma: %+v -> %+v", before, after)
		}
	})

	t.Run("visma down", func(t *testing.T) {
		// The access token has run out and the identity server answers 503.
		e.clock.Advance(2 * time.Hour)
		e.faults.tokenFailures.Store(1000)
		defer e.faults.tokenFailures.Store(0)
		for _, p := range []string{path, fmt.Sprintf("%s/documents/%d", path, detail.Documents[len(detail.Documents)-1].ID)} {
			r := e.api(t, tok, p)
			wantAPIError(t, p, r, http.StatusServiceUnavailable, "upstream_unavailable")
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("%s: no Retry-After", p)
			}
		}
		// The index still answers.
		wantStatus(t, "vouchers while Visma is down", e.api(t, tok, fj+"/vouchers"), http.StatusOK)
	})

	t.Run("connection needs approval", func(t *testing.T) {
		conn, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.SetConnectionStatus(t.Context(), conn.ID, db.ConnNeedsReapproval); err != nil {
			t.Fatal(err)
		}
		before := e.sb.Stats()
		wantAPIError(t, "voucher", e.api(t, tok, path), http.StatusConflict, "reapproval_required")
		wantAPIError(t, "document", e.api(t, tok, docPath), http.StatusConflict, "reapproval_required")
		if after := e.sb.Stats(); !maps.Equal(before.APIRequests, after.APIRequests) {
			t.Errorf("requests for a connection needing approval reached Visma")
		}
	})
}
