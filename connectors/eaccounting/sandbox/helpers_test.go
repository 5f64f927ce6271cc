package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vconfig "github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
)

// spec is the official OpenAPI document, loaded once for all tests because
// building its model takes a second.
type spec struct {
	v         validator.Validator
	errSchema *base.Schema
	sv        schema_validation.SchemaValidator
}

var (
	specOnce sync.Once
	specVal  *spec
	specErr  error
)

func loadSpec(t *testing.T) *spec {
	t.Helper()
	specOnce.Do(func() {
		raw, err := os.ReadFile("testdata/eaccounting-api-v2-openapi.json")
		if err != nil {
			specErr = err
			return
		}
		doc, err := libopenapi.NewDocument(raw)
		if err != nil {
			specErr = err
			return
		}
		v, errs := validator.NewValidator(doc, vconfig.WithFormatAssertions())
		if len(errs) > 0 {
			specErr = errs[0]
			return
		}
		m, err := doc.BuildV3Model()
		if err != nil {
			specErr = err
			return
		}
		sp, ok := m.Model.Components.Schemas.Get("CommonExtendedBadRequest")
		if !ok {
			specErr = io.ErrUnexpectedEOF
			return
		}
		specVal = &spec{v: v, errSchema: sp.Schema(), sv: schema_validation.NewSchemaValidator(vconfig.WithFormatAssertions())}
	})
	if specErr != nil {
		t.Fatalf("loading OpenAPI document: %v", specErr)
	}
	return specVal
}

// validating checks every API request the tests make and every response
// the sandbox gives against the official document. A status the operation
// does not declare (401, 403, 429, 5xx: Visma documents them on its error
// pages, not per operation) has its body checked against
// CommonExtendedBadRequest, the documented error shape.
type validating struct {
	t    *testing.T
	spec *spec
	base http.RoundTripper
	mu   sync.Mutex
	n    int // API responses validated
}

func (vt *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	t := vt.t
	api := strings.HasPrefix(req.URL.Path, "/v2/")
	var reqBody []byte
	if api {
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				return nil, err
			}
			reqBody = b
			req.Body = io.NopCloser(bytes.NewReader(b))
		}
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(reqBody))
		if ok, errs := vt.spec.v.ValidateHttpRequestSync(clone); !ok {
			for _, e := range errs {
				t.Errorf("request %s %s does not match the OpenAPI document: %s (%s)", req.Method, req.URL.Path, e.Message, e.Reason)
			}
		}
	}
	resp, err := vt.base.RoundTrip(req)
	if err != nil || !api {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	clone := req.Clone(req.Context())
	clone.Body = io.NopCloser(bytes.NewReader(reqBody))
	check := &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)), Request: clone}
	ok, errs := vt.spec.v.ValidateHttpResponse(clone, check)
	if !ok {
		undeclared := len(errs) == 1 && errs[0].ValidationSubType == helpers.ResponseBodyResponseCode
		if undeclared {
			if ok, serrs := vt.spec.sv.ValidateSchemaBytes(vt.spec.errSchema, body); !ok {
				for _, e := range serrs {
					t.Errorf("error body of %s %s (%d) is not a CommonExtendedBadRequest: %s %s", req.Method, req.URL.Path, resp.StatusCode, e.Message, e.Reason)
				}
			}
		} else {
			for _, e := range errs {
				t.Errorf("response to %s %s (%d) does not match the OpenAPI document: %s (%s) %v", req.Method, req.URL.Path, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	}
	vt.mu.Lock()
	vt.n++
	vt.mu.Unlock()
	return resp, nil
}

type env struct {
	t     *testing.T
	sb    *Sandbox
	srv   *httptest.Server
	hc    *http.Client // validating, does not follow redirects
	vt    *validating
	owner Client
}

const (
	testRedirect = "https://portal.example/connect/eaccounting/callback"
	allScopes    = "ea:api offline_access ea:accounting_readonly ea:purchase_readonly ea:sales_readonly"
)

func newEnv(t *testing.T, opts ...Option) *env {
	t.Helper()
	cl := Client{ID: "bilag-test", Secret: "s3cret:with&odd=chars", RedirectURIs: []string{testRedirect}}
	sb := New(append([]Option{WithClient(cl)}, opts...)...)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	vt := &validating{t: t, spec: loadSpec(t), base: http.DefaultTransport}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Transport: vt, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &env{t: t, sb: sb, srv: srv, hc: hc, vt: vt, owner: cl}
}

var flowRe = regexp.MustCompile(`name="flow" value="([^"]+)"`)

type flowResult struct {
	status   int
	page     string   // HTML of the last page when no redirect happened
	redirect *url.URL // where the browser was sent
}

// authorize starts a login; params are merged into sensible defaults.
func (e *env) authorize(params url.Values) flowResult {
	e.t.Helper()
	q := url.Values{
		"client_id":     {e.owner.ID},
		"redirect_uri":  {testRedirect},
		"response_type": {"code"},
		"scope":         {allScopes},
		"state":         {"st-123"},
		"acr_values":    {eaccountingServiceACR},
	}
	for k, v := range params {
		q[k] = v
	}
	resp, err := e.hc.Get(e.srv.URL + "/connect/authorize?" + q.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	return e.result(resp)
}

func (e *env) result(resp *http.Response) flowResult {
	e.t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := flowResult{status: resp.StatusCode, page: string(b)}
	if loc := resp.Header.Get("Location"); loc != "" {
		u, err := url.Parse(loc)
		if err != nil {
			e.t.Fatal(err)
		}
		r.redirect = u
	}
	return r
}

func (e *env) post(path string, form url.Values) flowResult {
	e.t.Helper()
	resp, err := e.hc.PostForm(e.srv.URL+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.result(resp)
}

func flowID(t *testing.T, page string) string {
	t.Helper()
	m := flowRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no flow token on page:\n%s", page)
	}
	return m[1]
}

// login runs the browser part: log in, pick org if the picker is shown, and
// answer the consent screen. It returns the final redirect.
func (e *env) login(params url.Values, email, org, decision string) flowResult {
	e.t.Helper()
	r := e.authorize(params)
	if r.status != http.StatusOK {
		return r
	}
	pw := ""
	for _, u := range DemoUsers() {
		if u.Email == email {
			pw = u.Password
		}
	}
	r = e.post("/connect/authorize/login", url.Values{"flow": {flowID(e.t, r.page)}, "email": {email}, "password": {pw}})
	if strings.Contains(r.page, "Choose company") {
		ident := ""
		for _, c := range DemoCompanies() {
			if c.OrgNumber == org {
				ident = c.CompanyIdentifier
			}
		}
		r = e.post("/connect/authorize/company", url.Values{"flow": {flowID(e.t, r.page)}, "company": {ident}})
	}
	if !strings.Contains(r.page, "Allow access?") {
		e.t.Fatalf("expected the consent screen, got %d:\n%s", r.status, r.page)
	}
	return e.post("/connect/authorize/consent", url.Values{"flow": {flowID(e.t, r.page)}, "decision": {decision}})
}

type tokenResp struct {
	status       int
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
}

// tokenRequest posts to /connect/token with HTTP Basic client authentication.
func (e *env) tokenRequest(form url.Values) tokenResp {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.t.Context(), http.MethodPost, e.srv.URL+"/connect/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(e.owner.ID), url.QueryEscape(e.owner.Secret))
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResp
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		e.t.Fatalf("token response: %v", err)
	}
	tr.status = resp.StatusCode
	return tr
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier-0123456789"

// connect runs the whole consent flow for a user and company and returns
// the tokens.
func (e *env) connect(email, org, scope string) tokenResp {
	e.t.Helper()
	r := e.login(url.Values{"scope": {scope}, "prompt": {"select_account"}, "code_challenge": {pkce(testVerifier)}, "code_challenge_method": {"S256"}}, email, org, "allow")
	if r.redirect == nil || r.redirect.Query().Get("code") == "" {
		e.t.Fatalf("no code in redirect: %+v", r)
	}
	tr := e.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {r.redirect.Query().Get("code")},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}})
	if tr.status != http.StatusOK {
		e.t.Fatalf("code exchange: %d %s", tr.status, tr.Error)
	}
	return tr
}

type apiErr struct {
	ErrorCode             int
	DeveloperErrorMessage string
	ErrorId               string
}

// get calls the API and decodes a JSON body into out (when not nil).
func (e *env) get(token, path string, out any) (int, apiErr) {
	e.t.Helper()
	return e.do(http.MethodGet, token, path, nil, out)
}

func (e *env) do(method, token, path string, body any, out any) (int, apiErr) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ae apiErr
	if resp.StatusCode >= 300 {
		if err := json.Unmarshal(b, &ae); err != nil {
			e.t.Errorf("%s %s: error body is not JSON: %q", method, path, b)
		}
		return resp.StatusCode, ae
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode, ae
}
