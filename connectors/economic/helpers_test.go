package economic

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/economic/sandbox"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vconfig "github.com/pb33f/libopenapi-validator/config"
)

// The apps the tests register: Bilag's, as the issue registers it
// (Bookkeeping), one with SuperUser (which reaches booked invoices too) and
// somebody else's.
var (
	bookkeepingApp = sandbox.App{Name: "Bilag", PublicToken: "bilag-public", SecretToken: "bilag-secret-0123456789", Role: sandbox.RoleBookkeeping}
	superApp       = sandbox.App{Name: "Bilag (SuperUser)", PublicToken: "bilag-super-public", SecretToken: "bilag-super-secret-0123456789", Role: sandbox.RoleSuperUser}
	otherApp       = sandbox.App{Name: "Someone else's app", PublicToken: "other-public", SecretToken: "other-secret-0123456789", Role: sandbox.RoleSuperUser}
)

const callbackURL = "https://bilag.example/oauth/economic/callback"

var (
	specOnce sync.Once
	specV    validator.Validator
	specErr  error
)

// validating checks every answer the tests see against the test-data copy
// of the compact spec, which marks as required every field Bilag reads.
type validating struct {
	t    *testing.T
	base http.RoundTripper
	mu   sync.Mutex
	n    int
	logs bytes.Buffer
}

func (vt *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := vt.base.RoundTrip(req)
	if err != nil || strings.HasPrefix(req.URL.Path, "/secure/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	clone := req.Clone(req.Context())
	clone.URL.Path = strings.TrimPrefix(clone.URL.Path, sandbox.DocumentsPrefix)
	clone.URL.RawPath = ""
	check := &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)), Request: clone}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if ok, errs := specV.ValidateHttpResponse(clone, check); !ok {
			for _, e := range errs {
				vt.t.Errorf("answer to %s %s (%d) does not match the spec: %s (%s) %v", req.Method, req.URL.Path, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	} else {
		checkErrorShape(vt.t, req, resp, body)
	}
	vt.mu.Lock()
	vt.n++
	vt.mu.Unlock()
	return resp, nil
}

// checkErrorShape: the REST API answers its annotated error, the Documents
// API problem+json, each in its own shape.
func checkErrorShape(t *testing.T, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	ct := resp.Header.Get("Content-Type")
	if strings.HasPrefix(req.URL.Path, sandbox.DocumentsPrefix) {
		if !strings.HasPrefix(ct, "application/problem+json") || !bytes.Contains(body, []byte(`"status"`)) || !bytes.Contains(body, []byte(`"title"`)) {
			t.Errorf("Documents API error of %s is not problem+json: %s %s", req.URL.Path, ct, body)
		}
		return
	}
	for _, f := range []string{`"message"`, `"logId"`, `"httpStatusCode"`, `"developerHint"`} {
		if !bytes.Contains(body, []byte(f)) {
			t.Errorf("REST error of %s lacks %s: %s", req.URL.Path, f, body)
		}
	}
}

type env struct {
	t    *testing.T
	sb   *sandbox.Sandbox
	srv  *httptest.Server
	vt   *validating
	logs *bytes.Buffer
}

func newEnv(t *testing.T, opts ...sandbox.Option) *env {
	t.Helper()
	specOnce.Do(func() {
		raw, err := os.ReadFile("testdata/economic.openapi.yaml")
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
		specV = v
	})
	if specErr != nil {
		t.Fatalf("load spec: %v", specErr)
	}
	opts = append([]sandbox.Option{sandbox.WithApp(bookkeepingApp), sandbox.WithApp(superApp), sandbox.WithApp(otherApp)}, opts...)
	sb := sandbox.New(opts...)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	e := &env{t: t, sb: sb, srv: srv, logs: &bytes.Buffer{}}
	e.vt = &validating{t: t, base: srv.Client().Transport}
	return e
}

// connector opens a connector for app against the sandbox; its log goes
// to e.logs, which the tests search for secrets.
func (e *env) connector(app sandbox.App, mod ...func(*Config)) *Connector {
	e.t.Helper()
	cfg := Config{
		AppPublicToken: app.PublicToken, AppSecretToken: app.SecretToken,
		GrantURL: e.srv.URL + "/secure/api1/requestaccess.aspx", APIURL: e.srv.URL, DocumentsAPIURL: e.srv.URL + sandbox.DocumentsPrefix,
		Sleep: func(context.Context, time.Duration) error { return nil },
	}
	for _, m := range mod {
		m(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := cfg.Open(logger, &http.Client{Transport: e.vt})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// approve walks the grant page in a browser of its own: log in as email,
// administer agreement, and approve (or decline). It returns the query
// e-conomic's redirect brought to Bilag's callback.
func (e *env) approve(c *Connector, email, password string, agreement int64, action string) url.Values {
	e.t.Helper()
	loginURL, err := c.LoginURLIn(callbackURL, "the-state", "", "da")
	if err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	var landed *url.URL
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callbackURL) {
			landed = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	page := func(resp *http.Response, err error) string {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	body := page(browser.Get(loginURL))
	if !strings.Contains(body, `name="password"`) {
		e.t.Fatalf("grant page shows no login: %s", body)
	}
	body = page(browser.PostForm(loginURL, url.Values{"action": {"login"}, "email": {email}, "password": {password}}))
	if !strings.Contains(body, "Giv adgang") {
		e.t.Fatalf("grant page after login: %s", body)
	}
	page(browser.PostForm(loginURL, url.Values{"action": {action}, "agreement": {itoa(agreement)}}))
	if landed == nil {
		e.t.Fatal("the grant page did not send the browser back to the callback")
	}
	return landed.Query()
}

// connect approves as email and takes the callback: a grant.
func (e *env) connect(c *Connector, email, password string, agreement int64) connectors.Grant {
	e.t.Helper()
	q := e.approve(c, email, password, agreement, "approve")
	if q.Get("state") != "the-state" {
		e.t.Fatalf("state did not ride back inside redirectUrl: %v", q)
	}
	g, err := c.HandleCallback(context.Background(), callbackURL, q, "")
	if err != nil {
		e.t.Fatalf("callback: %v", err)
	}
	return g
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
