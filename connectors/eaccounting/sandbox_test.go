package eaccounting_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"

	"golang.org/x/oauth2"
)

// These tests run the connector, unchanged but for its URLs, against the
// sandbox: the whole OAuth flow through the sandbox's login, company picker
// and consent pages, then the API as each demo user's company answers it.

const (
	sbClientID     = "bilag-sandbox"
	sbClientSecret = "sandbox:secret&odd=chars"
	sbCallback     = "https://bilag.example/oauth/eaccounting/callback"
)

type sbEnv struct {
	t    *testing.T
	sb   *sandbox.Sandbox
	srv  *httptest.Server
	conn *eaccounting.Connector
}

func newSandbox(t *testing.T, opts ...sandbox.Option) *sbEnv {
	t.Helper()
	sb := sandbox.New(append([]sandbox.Option{
		sandbox.WithClient(sandbox.Client{ID: sbClientID, Secret: sbClientSecret, RedirectURIs: []string{sbCallback}}),
	}, opts...)...)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	conn, err := eaccounting.Config{
		ClientID:     sbClientID,
		ClientSecret: sbClientSecret,
		AuthURL:      srv.URL + "/connect/authorize",
		TokenURL:     srv.URL + "/connect/token",
		RevokeURL:    srv.URL + "/connect/revocation",
		Issuer:       srv.URL,
		APIURL:       srv.URL + "/v2",
	}.Open(nil, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return &sbEnv{t: t, sb: sb, srv: srv, conn: conn}
}

var flowField = regexp.MustCompile(`name="flow" value="([^"]+)"`)

// approve plays the approver's browser from the login URL to the redirect
// back, and returns the callback's query.
func (e *sbEnv) approve(email, password, orgNumber, decision, verifier string) url.Values {
	t := e.t
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusFound {
			return "Location: " + resp.Header.Get("Location")
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s = %d:\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, b)
		}
		return string(b)
	}
	flow := func(body string) string {
		t.Helper()
		m := flowField.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("sandbox page has no flow field:\n%s", body)
		}
		return m[1]
	}

	login, err := e.conn.LoginURL(sbCallback, "state-1", verifier)
	if err != nil {
		t.Fatalf("LoginURL() = %v", err)
	}
	body := page(browser.Get(login))
	body = page(browser.PostForm(e.srv.URL+"/connect/authorize/login", url.Values{"flow": {flow(body)}, "email": {email}, "password": {password}}))
	if strings.Contains(body, `action="/connect/authorize/company"`) {
		company := ""
		for _, c := range sandbox.DemoCompanies() {
			if c.OrgNumber == orgNumber {
				company = c.CompanyIdentifier
			}
		}
		body = page(browser.PostForm(e.srv.URL+"/connect/authorize/company", url.Values{"flow": {flow(body)}, "company": {company}}))
	}
	body = page(browser.PostForm(e.srv.URL+"/connect/authorize/consent", url.Values{"flow": {flow(body)}, "decision": {decision}}))
	loc, ok := strings.CutPrefix(body, "Location: ")
	if !ok || !strings.HasPrefix(loc, sbCallback+"?") {
		t.Fatalf("consent did not redirect to the callback:\n%s", body)
	}
	u, _ := url.Parse(loc)
	if u.Query().Get("state") != "state-1" {
		t.Fatalf("callback state = %q", u.Query().Get("state"))
	}
	return u.Query()
}

func (e *sbEnv) connect(email, password, orgNumber string) connectors.Grant {
	e.t.Helper()
	v := oauth2.GenerateVerifier()
	g, err := e.conn.HandleCallback(e.t.Context(), sbCallback, e.approve(email, password, orgNumber, "allow", v), v)
	if err != nil {
		e.t.Fatalf("HandleCallback() = %v", err)
	}
	return g
}

const (
	fjallbacka = "556812-3474"
	norrsken   = "559104-3210"
	kvarnbyn   = "556731-9057"
	gamlaVarv  = "556240-1181"
)

func TestSandboxCheck(t *testing.T) {
	tests := []struct {
		name, email, password, org string
		want                       []connectors.ProblemCode
		wantArea                   string
	}{
		{"full permission", "anna.lindqvist@example.se", "anna123", fjallbacka, nil, ""},
		{"invoicing only", "maja.ek@example.se", "maja123", kvarnbyn, []connectors.ProblemCode{connectors.ProblemNoBookkeeping}, ""},
		{"sales staff", "sara.holm@example.se", "sara123", norrsken, []connectors.ProblemCode{connectors.ProblemPermission}, "vouchers"},
		{"inactive company", "olof.strand@example.se", "olof123", gamlaVarv, []connectors.ProblemCode{connectors.ProblemInactive}, ""},
		{"no eaccounting licence", "lars.lon@example.se", "lars123", fjallbacka, []connectors.ProblemCode{connectors.ProblemNoCompanyAccess}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSandbox(t)
			g := e.connect(tt.email, tt.password, tt.org)
			v, err := e.conn.Check(t.Context(), g)
			if err != nil {
				t.Fatalf("Check() = %v", err)
			}
			var codes []connectors.ProblemCode
			areas := map[string]bool{}
			for _, p := range v.Problems {
				if !slices.Contains(codes, p.Code) {
					codes = append(codes, p.Code)
				}
				areas[p.Area] = true
			}
			if !slices.Equal(codes, tt.want) {
				t.Errorf("Check() problems = %+v, want codes %v", v.Problems, tt.want)
			}
			if tt.wantArea != "" && !areas[tt.wantArea] {
				t.Errorf("Check() problems = %+v, want area %q", v.Problems, tt.wantArea)
			}
			// Without access to the company, or with the company inactive,
			// Visma refuses even its settings, so the company stays unknown.
			if len(tt.want) == 0 || (tt.want[0] != connectors.ProblemNoCompanyAccess && tt.want[0] != connectors.ProblemInactive) {
				if v.Company.OrgNumber != tt.org || v.Company.ExternalID == "" || v.Company.Name == "" {
					t.Errorf("Check() company = %+v, want org %s", v.Company, tt.org)
				}
			}
		})
	}
}

func TestSandboxDeclined(t *testing.T) {
	e := newSandbox(t)
	v := oauth2.GenerateVerifier()
	q := e.approve("anna.lindqvist@example.se", "anna123", fjallbacka, "deny", v)
	if _, err := e.conn.HandleCallback(t.Context(), sbCallback, q, v); !errors.Is(err, connectors.ErrAccessDenied) {
		t.Errorf("HandleCallback(declined) = %v, want ErrAccessDenied", err)
	}
}

func TestSandboxVouchersAndDocuments(t *testing.T) {
	e := newSandbox(t)
	g := e.connect("anna.lindqvist@example.se", "anna123", fjallbacka)
	ctx := t.Context()

	years, err := e.conn.FiscalYears(ctx, g)
	if err != nil || len(years) == 0 {
		t.Fatalf("FiscalYears() = %v, %v", years, err)
	}
	var all []connectors.Voucher
	for cursor := ""; ; {
		page, err := e.conn.Vouchers(ctx, g, connectors.VoucherQuery{Cursor: cursor, PageSize: 100})
		if err != nil {
			t.Fatalf("Vouchers(cursor %q) = %v", cursor, err)
		}
		all = append(all, page.Vouchers...)
		if cursor = page.Next; cursor == "" {
			if len(all) != page.Total {
				t.Errorf("read %d vouchers, Total = %d", len(all), page.Total)
			}
			break
		}
	}
	if len(all) == 0 {
		t.Fatal("Vouchers() found none")
	}
	for i, v := range all {
		if v.FiscalYear == "" {
			t.Errorf("voucher %s dated %s has no fiscal year", v.Number, v.Date.Format(time.DateOnly))
		}
		if i > 0 && v.ModifiedAt.Before(all[i-1].ModifiedAt) {
			t.Errorf("vouchers not ordered by modification: %s before %s", all[i-1].ModifiedAt, v.ModifiedAt)
		}
	}

	// Incremental: only what changed after the newest but one.
	since := all[len(all)-2].ModifiedAt
	page, err := e.conn.Vouchers(ctx, g, connectors.VoucherQuery{ModifiedSince: since, PageSize: 100})
	if err != nil {
		t.Fatalf("Vouchers(ModifiedSince) = %v", err)
	}
	if page.Total == 0 || page.Total >= len(all) {
		t.Errorf("Vouchers(ModifiedSince %s) = %d vouchers of %d", since, page.Total, len(all))
	}

	// One of each kind the document algorithm distinguishes.
	opened := map[string]bool{}
	for _, v := range all {
		// The connector's own Data: what its Documents reads.
		var d struct {
			Type          int      `json:"t"`
			AttachmentIDs []string `json:"a"`
		}
		if err := json.Unmarshal(v.Data, &d); err != nil {
			t.Fatalf("voucher %s: Data = %q: %v", v.Number, v.Data, err)
		}
		kind := ""
		switch {
		case len(d.AttachmentIDs) > 0:
			kind = "attachments"
		case d.Type == 12 || d.Type == 13:
			kind = "supplier invoice"
		case d.Type == 14 || d.Type == 15:
			kind = "customer invoice"
		}
		if len(d.AttachmentIDs) > 0 && !v.HasDocuments || kind == "" && v.HasDocuments {
			t.Errorf("voucher %s (type %d, %d attachments): HasDocuments = %v", v.Number, d.Type, len(d.AttachmentIDs), v.HasDocuments)
		}
		if kind == "" || opened[kind] {
			continue
		}
		one, err := e.conn.Voucher(ctx, g, v.Ref)
		if err != nil {
			t.Fatalf("Voucher(%s) = %v", v.Number, err)
		}
		if one.Ref != v.Ref || one.Amount != v.Amount || one.Number != v.Number {
			t.Errorf("Voucher(%s) = %+v, want the listed %+v", v.Number, one, v)
		}
		docs, err := e.conn.Documents(ctx, g, one)
		if err != nil {
			t.Fatalf("Documents(%s, type %d) = %v", v.Number, d.Type, err)
		}
		if len(docs) == 0 {
			t.Logf("voucher %s (%s) has no documents", v.Number, kind)
			continue
		}
		s, err := e.conn.OpenDocument(ctx, g, docs[0])
		if err != nil {
			t.Fatalf("OpenDocument(%+v) = %v", docs[0], err)
		}
		n, err := io.Copy(io.Discard, s.Body)
		s.Body.Close()
		if err != nil || n == 0 || s.ContentType == "" || (s.Size >= 0 && s.Size != n) {
			t.Errorf("OpenDocument(%+v) read %d bytes (size %d, type %q): %v", docs[0], n, s.Size, s.ContentType, err)
		}
		opened[kind] = true
	}
	for _, kind := range []string{"attachments", "supplier invoice", "customer invoice"} {
		if !opened[kind] {
			t.Errorf("no document opened for a voucher with %s", kind)
		}
	}
}

func TestSandboxRefreshAndRevoke(t *testing.T) {
	e := newSandbox(t)
	g := e.connect("ingrid.nilsen@example.no", "ingrid123", "915238475")
	ctx := t.Context()

	g2, err := e.conn.Refresh(ctx, g)
	if err != nil {
		t.Fatalf("Refresh() = %v", err)
	}
	if _, err := e.conn.FiscalYears(ctx, g2); err != nil {
		t.Errorf("FiscalYears(refreshed) = %v", err)
	}
	// Visma's refresh tokens are single use.
	if _, err := e.conn.Refresh(ctx, g); !errors.Is(err, connectors.ErrGrantRevoked) {
		t.Errorf("Refresh(spent grant) = %v, want ErrGrantRevoked", err)
	}
	if err := e.conn.Revoke(ctx, g2); err != nil {
		t.Fatalf("Revoke() = %v", err)
	}
	if _, err := e.conn.Refresh(ctx, g2); !errors.Is(err, connectors.ErrGrantRevoked) {
		t.Errorf("Refresh(revoked grant) = %v, want ErrGrantRevoked", err)
	}
	if s := e.sb.Stats(); s.Revocations != 1 {
		t.Errorf("sandbox revocations = %d, want 1", s.Revocations)
	}
}

func TestSandboxRateLimit(t *testing.T) {
	e := newSandbox(t, sandbox.WithRateLimit(2))
	g := e.connect("anna.lindqvist@example.se", "anna123", fjallbacka)
	var err error
	for range 3 {
		if _, err = e.conn.FiscalYears(t.Context(), g); err != nil {
			break
		}
	}
	var rl *connectors.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Errorf("FiscalYears() past the sandbox's quota = %v, want a RateLimitError with a wait", err)
	}
}
