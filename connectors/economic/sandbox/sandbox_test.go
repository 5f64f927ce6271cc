package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"bilag/connectors/connectortest"
)

// spec is the connector's test-data copy of the compact spec, which marks
// as required every field the client reads.
var spec = connectortest.OpenAPI("../testdata/economic.openapi.yaml")

// do makes one call and checks its answer against the spec: a success
// against its operation, an error against its API's shape.
func do(t *testing.T, srv *httptest.Server, method, path, secret, grant string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, nil)
	if secret != "" {
		req.Header.Set("X-AppSecretToken", secret)
		req.Header.Set("X-AgreementGrantToken", grant)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	clone := req.Clone(req.Context())
	clone.URL.Path = strings.TrimPrefix(clone.URL.Path, DocumentsPrefix)
	check := &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(b)), Request: clone}
	switch {
	case resp.StatusCode < 300 && method == http.MethodGet:
		if ok, errs := spec(t).ValidateHttpResponse(clone, check); !ok {
			for _, e := range errs {
				t.Errorf("answer to %s %s does not match the spec: %s (%s) %v", method, path, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	case strings.HasPrefix(path, DocumentsPrefix):
		var p struct {
			Title  string `json:"title"`
			Status int    `json:"status"`
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") || json.Unmarshal(b, &p) != nil || p.Status != resp.StatusCode || p.Title == "" {
			t.Errorf("Documents API error of %s is not problem+json: %s", path, b)
		}
	case resp.StatusCode >= 400:
		var e struct {
			Message        string `json:"message"`
			LogID          string `json:"logId"`
			HTTPStatusCode int    `json:"httpStatusCode"`
		}
		if json.Unmarshal(b, &e) != nil || e.Message == "" || e.LogID == "" || e.HTTPStatusCode != resp.StatusCode {
			t.Errorf("REST error of %s is not an annotated error: %s", path, b)
		}
	}
	return resp, string(b)
}

func TestDemoTokensAndAuth(t *testing.T) {
	srv := httptest.NewServer(New())
	defer srv.Close()
	if resp, body := do(t, srv, "GET", "/self", "demo", "demo"); resp.StatusCode != 200 || !strings.Contains(body, `"agreementNumber"`) {
		t.Errorf("demo /self: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, srv, "POST", "/self", "demo", "demo"); resp.StatusCode == 200 {
		t.Error("the demo tokens write")
	}
	resp, body := do(t, srv, "GET", "/self", "", "")
	if resp.StatusCode != 401 || !strings.Contains(body, `"logId"`) {
		t.Errorf("no tokens: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, srv, "GET", DocumentsPrefix+"/AttachedDocuments", "nope", "nope")
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("Documents API 401: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestFiltersPagingAndCounts(t *testing.T) {
	srv := httptest.NewServer(New())
	defer srv.Close()
	get := func(path string, q url.Values) (int, map[string]any, string) {
		resp, body := do(t, srv, "GET", path+"?"+q.Encode(), "demo", "demo")
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		return resp.StatusCode, m, body
	}
	st, m, _ := get("/accounting-years/2025/entries", url.Values{"filter": {"voucherNumber$gte:39$and:entryType$eq:financeVoucher"}, "pagesize": {"1"}})
	if st != 200 || m["pagination"].(map[string]any)["results"].(float64) != 2 {
		// Of 39 and 40, only 39 is a financeVoucher ((39-1)%5 == 3): two entries.
		t.Errorf("filter: %d %v", st, m)
	}
	st, m, _ = get("/accounting-years/2025/entries", url.Values{"filter": {"voucherNumber$in:[1,2]"}, "pagesize": {"3"}})
	pg := m["pagination"].(map[string]any)
	if st != 200 || pg["results"].(float64) != 4 || pg["nextPage"] == nil {
		t.Errorf("$in and paging: %d %v", st, pg)
	}
	for _, bad := range []url.Values{{"filter": {"text$eq:x"}}, {"filter": {"voucherNumber$zz:1"}}, {"pagesize": {"1001"}}, {"sort": {"amount"}}} {
		if st, _, body := get("/accounting-years/2025/entries", bad); st != 400 || !strings.Contains(body, `"developerHint"`) {
			t.Errorf("%v: %d %s", bad, st, body)
		}
	}
	if st, _, _ := get("/accounting-years/2024_6_2025/entries", nil); st != 404 {
		t.Errorf("an unknown (escaped) year: %d", st)
	}
	resp, body := do(t, srv, "GET", DocumentsPrefix+"/AttachedDocuments/count?filter="+url.QueryEscape("accountingYear$eq:2024"), "demo", "demo")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != "17" {
		t.Errorf("count of 2024's documents: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, srv, "GET", DocumentsPrefix+"/AttachedDocuments/paged?pagesize=5&skippages=1&sort=-number", "demo", "demo")
	var items []map[string]any
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &items) != nil || len(items) != 5 {
		t.Errorf("paged: %d %s", resp.StatusCode, body)
	}
}

func TestGrantPage(t *testing.T) {
	app := App{Name: "Bilag", PublicToken: "pub", SecretToken: "sec", Role: RoleBookkeeping}
	srv := httptest.NewServer(New(WithApp(app)))
	defer srv.Close()
	grant := srv.URL + "/secure/api1/requestaccess.aspx?" + url.Values{"appPublicToken": {"pub"}, "locale": {"da-DK"},
		"redirectUrl": {"https://bilag.example/oauth/economic/callback?state=abc"}}.Encode()
	jar := newJar()
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "bilag.example" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	body := func(r *http.Response, err error) (*http.Response, string) {
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r, string(b)
	}
	if _, b := body(c.Get(grant)); !strings.Contains(b, "Log ind") {
		t.Fatalf("the Danish grant page does not ask to log in: %s", b)
	}
	if _, b := body(c.PostForm(grant, url.Values{"action": {"login"}, "email": {"revisor@demo.dk"}, "password": {"wrong"}})); !strings.Contains(b, "Wrong e-mail or password") {
		t.Errorf("a wrong password: %s", b)
	}
	if _, b := body(c.PostForm(grant, url.Values{"action": {"login"}, "email": {"revisor@demo.dk"}, "password": {"revisor-demo"}})); !strings.Contains(b, "Fjordkaffe ApS") || !strings.Contains(b, "Bookkeeping") {
		t.Fatalf("the administered agreements and the app's role: %s", b)
	}
	r, _ := body(c.PostForm(grant, url.Values{"action": {"approve"}, "agreement": {"7001012"}}))
	loc, _ := url.Parse(r.Header.Get("Location"))
	if loc == nil || loc.Query().Get("state") != "abc" || loc.Query().Get("token") == "" {
		t.Fatalf("approve redirects to %q: the redirect URL's query kept, token appended", r.Header.Get("Location"))
	}
	tok := loc.Query().Get("token")
	if resp, b := do(t, srv, "GET", "/self", "sec", tok); resp.StatusCode != 200 || !strings.Contains(b, `"Fjordkaffe ApS"`) || !strings.Contains(b, `"pub"`) {
		t.Errorf("/self of the new grant: %d %s", resp.StatusCode, b)
	}
	r, _ = body(c.PostForm(grant, url.Values{"action": {"decline"}}))
	if loc, _ := url.Parse(r.Header.Get("Location")); loc == nil || loc.Query().Has("token") || loc.Query().Get("state") != "abc" {
		t.Errorf("decline redirects to %q, want the redirect URL without a token", r.Header.Get("Location"))
	}
	bad := srv.URL + "/secure/api1/requestaccess.aspx?appPublicToken=nosuch&redirectUrl=https%3A%2F%2Fx.example%2F"
	if r, _ := body(c.Get(bad)); r.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown app: %d", r.StatusCode)
	}
}

func TestRolesAndFairUse(t *testing.T) {
	app := App{Name: "Bilag", PublicToken: "pub", SecretToken: "sec", Role: RoleBookkeeping}
	sb := New(WithApp(app), WithDailyLimit(3))
	srv := httptest.NewServer(sb)
	defer srv.Close()
	tok, ok := sb.GrantFor("pub", "bogholder@demo.dk", AgreementNordlys)
	if !ok {
		t.Fatal("no grant")
	}
	// A Bookkeeping grant reaches the years, not the booked invoices.
	if resp, _ := do(t, srv, "GET", "/accounting-years", "sec", tok); resp.StatusCode != 200 {
		t.Errorf("years: %d", resp.StatusCode)
	}
	if resp, _ := do(t, srv, "GET", "/invoices/booked", "sec", tok); resp.StatusCode != 403 {
		t.Errorf("booked invoices with Bookkeeping: %d", resp.StatusCode)
	}
	resp, _ := do(t, srv, "GET", DocumentsPrefix+"/AttachedDocuments/count", "sec", tok)
	if resp.StatusCode != 200 || resp.Header.Get("X-Callcost") == "" {
		t.Errorf("count: %d, callcost %q", resp.StatusCode, resp.Header.Get("X-Callcost"))
	}
	// The fourth call of the day is over the quota, in each API's shape.
	for _, path := range []string{"/self", DocumentsPrefix + "/AttachedDocuments"} {
		resp, _ := do(t, srv, "GET", path, "sec", tok)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s over the quota: %d, Retry-After %q", path, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if sb.RemoveApp(AgreementNordlys, "pub") != 1 {
		t.Error("RemoveApp")
	}
	if resp, _ := do(t, srv, "GET", "/self", "sec", tok); resp.StatusCode != 401 {
		t.Errorf("a removed app's token: %d", resp.StatusCode)
	}
}

func newJar() *cookiejar.Jar {
	j, _ := cookiejar.New(nil)
	return j
}
