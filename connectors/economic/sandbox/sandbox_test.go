package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

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
