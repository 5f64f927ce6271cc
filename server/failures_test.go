package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/eaccounting"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/server"
	"bilag/server/connections"
)

// faultRule answers a request in front of the sandbox as a faulty Visma
// would; it returns false to let the sandbox answer.
type faultRule func(w http.ResponseWriter, r *http.Request) bool

// faultEnv is an env whose Fjällbacka is connected and synced, with two
// more portals on the same database whose eAccounting connector talks to the
// sandbox through a front that breaks the answers a test asks it to:
// portal with timeouts long enough for any answer, quick with timeouts of
// milliseconds for the hangs.
type faultEnv struct {
	*env
	portal, quick *env
	rule          atomic.Pointer[faultRule]
	// refused makes every new connection to the front fail, as to a host
	// that is down.
	refused atomic.Bool
	// release ends every hang when the test ends.
	release chan struct{}
	// closedAddr is an address nothing listens on.
	closedAddr      string
	viewer, analyst *browser
	token           string // the analyst's API token
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	e := newEnv(t)
	f := &faultEnv{env: e, release: make(chan struct{})}
	conn := e.connectFJ(e.loggedIn(e.analyst))
	e.waitSync(conn)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rule := f.rule.Load(); rule != nil && (*rule)(w, r) {
			return
		}
		e.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.closedAddr = l.Addr().String()
	l.Close()
	cache, err := doccache.Open(filepath.Join(t.TempDir(), "cache"), 64<<20, e.keys)
	if err != nil {
		t.Fatal(err)
	}
	f.portal = f.portalVia(front.URL, 5*time.Second, cache)
	f.quick = f.portalVia(front.URL, 60*time.Millisecond, nil)
	// Registered last, so it runs first: a hang ends before the servers
	// wait for their handlers.
	t.Cleanup(func() { close(f.release) })
	f.viewer = f.portal.loggedIn(e.viewer)
	f.analyst = f.portal.loggedIn(e.analyst)
	f.token = f.portal.tokenFor(e.analyst)
	return f
}

// portalVia is a portal whose connector reaches Visma through front, with
// every timeout of the connector at limit, caching documents in cache
// (none when nil).
func (f *faultEnv) portalVia(front string, limit time.Duration, cache *doccache.Cache) *env {
	e := f.env
	t := e.t
	tr := &http.Transport{
		// A new connection for every call, so that refused is seen at once.
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if f.refused.Load() {
				addr = f.closedAddr
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	ec, err := eaccounting.Config{
		ClientID: sandboxClientID, ClientSecret: sandboxClientSecret,
		AuthURL: front + "/connect/authorize", TokenURL: front + "/connect/token", RevokeURL: front + "/connect/revocation",
		Issuer: front, APIURL: front + "/v2", Now: e.clock.Now,
		// Retries without waits: a test counts on answers, not on time.
		Sleep:          func(context.Context, time.Duration) error { return nil },
		ConnectTimeout: limit, FirstByteTimeout: limit, CallTimeout: 2 * limit, TokenTimeout: limit, InteractiveTimeout: 3 * limit,
	}.Open(e.logger, &http.Client{Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{ec.Name(): ec}, Now: e.clock.Now, Cache: cache})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	return &p
}

// answer makes the front answer with rule until the test (or the next
// answer) ends it.
func (f *faultEnv) answer(t *testing.T, rule faultRule) {
	f.rule.Store(&rule)
	t.Cleanup(func() { f.rule.Store(nil) })
}

// hang is a rule that never answers requests whose path has prefix.
func (f *faultEnv) hang(prefix string) faultRule {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, prefix) {
			return false
		}
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
		return true
	}
}

// status is a rule that answers requests whose path has prefix with status
// and body (JSON when it starts with '{').
func status(prefix string, code int, body string) faultRule {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, prefix) {
			return false
		}
		if strings.HasPrefix(body, "{") {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
		return true
	}
}

// cutShort is a rule that answers requests whose path has prefix with 200
// and JSON that ends early. The whole answer arrives, as long as its
// Content-Length says, unless lost: then the length announced is longer
// and the connection drops after what was sent.
func cutShort(prefix string, lost bool) faultRule {
	const body = `{"Meta":{"CurrentPage":1},"Data":[{"Id":"`
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, prefix) {
			return false
		}
		n := len(body)
		if lost {
			n += 100
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.WriteHeader(http.StatusOK)
		// Returning short of the length makes the server drop the
		// connection.
		io.WriteString(w, body)
		return true
	}
}

// vismaError is Visma's error body with code.
func vismaError(code int) string {
	return fmt.Sprintf(`{"ErrorCode":%d,"DeveloperErrorMessage":"Refused with %d.","ErrorId":"5e0c0000-0000-4000-8000-000000000001","Errors":null}`, code, code)
}

// rewriteJSON lets the sandbox answer requests whose path has prefix, then
// changes the JSON object it answered with edit.
func (f *faultEnv) rewriteJSON(prefix string, edit func(map[string]any)) faultRule {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, prefix) {
			return false
		}
		rec := httptest.NewRecorder()
		f.sb.ServeHTTP(rec, r)
		var m map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
			f.t.Errorf("sandbox answered %s with %d %.200s", r.URL.Path, rec.Code, rec.Body.String())
			w.WriteHeader(rec.Code)
			return true
		}
		edit(m)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(m)
		return true
	}
}

// docOf finds a voucher with a document of kind ("attachment",
// "customer_invoice") and returns the voucher and the document.
func (f *faultEnv) docOf(kind string) (db.Voucher, db.VoucherDocument) {
	f.t.Helper()
	l, err := f.db.Vouchers(f.t.Context(), f.fj.ID, db.VoucherFilter{HasDocuments: true, PageSize: 500})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range l.Vouchers {
		if kind == eaccounting.KindCustomerInvoice && v.Kind != string(connectors.KindCustomerInvoice) {
			continue
		}
		wantStatus(f.t, "voucher page", f.viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", f.fj.ID, v.ID)), http.StatusOK)
		docs, err := f.db.VoucherDocuments(f.t.Context(), f.fj.ID, v.ID)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, d := range docs {
			if d.Kind == kind {
				return v, d
			}
		}
	}
	f.t.Fatalf("no voucher has a %s document", kind)
	return db.Voucher{}, db.VoucherDocument{}
}

func voucherPath(co *db.Company, v db.Voucher) string {
	return fmt.Sprintf("/companies/%d/vouchers/%d", co.ID, v.ID)
}

func docPath(co *db.Company, v db.Voucher, d db.VoucherDocument) string {
	return fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", co.ID, v.ID, d.ID)
}

// ourFault is the text that blames Bilag.
const ourFault = "Something went wrong on our side"

// wantHonest fails when r is a 500 or blames Bilag.
func wantHonest(t *testing.T, what string, r *response) {
	t.Helper()
	if r.Status == http.StatusInternalServerError || strings.Contains(r.Text(), ourFault) || strings.Contains(r.Body, `"internal"`) {
		t.Errorf("%s: %d blames Bilag: %.300s", what, r.Status, strings.Join(strings.Fields(r.Text()), " "))
	}
}

// apiMessage is the message of an API error, after checking its status and
// code.
func apiMessage(t *testing.T, what string, r *response, status int, code string) string {
	t.Helper()
	wantHonest(t, what, r)
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %.300s", what, r.Status, status, r.Body)
		return ""
	}
	got := decode[apiErr](t, r)
	if got.Code != code {
		t.Errorf("%s: code %q, want %q", what, got.Code, code)
	}
	return got.Message
}

// Item 1: opening a document Visma refuses, of a connection that ended,
// behind an unusable link, or on a file host that refuses the link, says
// so, in the frame and in the API, and never as Bilag's fault.
func TestDocumentRefusalsAreNamed(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t)
	v, att := f.docOf(eaccounting.KindAttachment)
	iv, inv := f.docOf(eaccounting.KindCustomerInvoice)
	api := func(v db.Voucher, d db.VoucherDocument) string { return "/api/v1" + docPath(f.fj, v, d) }

	t.Run("4009 on a customer invoice PDF", func(t *testing.T) {
		f.answer(t, status("/v2/customerinvoices/", http.StatusForbidden, vismaError(4009)))
		r := f.viewer.get(docPath(f.fj, iv, inv))
		wantHonest(t, "frame", r)
		wantStatus(t, "frame", r, http.StatusForbidden)
		wantText(t, "frame", r, "Invoicing")
		msg := apiMessage(t, "api", f.portal.api(t, f.token, api(iv, inv)), http.StatusForbidden, "upstream_forbidden")
		if !strings.Contains(msg, "Invoicing") || strings.Contains(msg, "permission") {
			t.Errorf("api message %q, want it to name Invoicing, not a permission", msg)
		}
	})

	t.Run("connection needs re-approval", func(t *testing.T) {
		conn, err := f.db.Connection(t.Context(), f.fj.ID, "eaccounting")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.db.SetConnectionStatus(t.Context(), conn.ID, db.ConnNeedsReapproval); err != nil {
			t.Fatal(err)
		}
		defer f.db.SetConnectionStatus(t.Context(), conn.ID, db.ConnActive)
		r := f.analyst.get(docPath(f.fj, v, att))
		wantHonest(t, "frame as analyst", r)
		wantStatus(t, "frame as analyst", r, http.StatusConflict)
		wantText(t, "frame as analyst", r, "new consent link")
		r = f.viewer.get(docPath(f.fj, v, att))
		wantHonest(t, "frame as viewer", r)
		wantStatus(t, "frame as viewer", r, http.StatusConflict)
		wantText(t, "frame as viewer", r, "Ask an analyst")
		apiMessage(t, "api", f.portal.api(t, f.token, api(v, att)), http.StatusConflict, "reapproval_required")
	})

	t.Run("TemporaryUrl that is no URL", func(t *testing.T) {
		f.answer(t, f.rewriteJSON("/v2/attachments/", func(m map[string]any) { m["TemporaryUrl"] = "blob:not a url" }))
		r := f.viewer.get(docPath(f.fj, v, att))
		wantHonest(t, "frame", r)
		wantStatus(t, "frame", r, http.StatusBadGateway)
		wantText(t, "frame", r, "Visma gave an answer Bilag cannot use", r.Header.Get("X-Request-Id"))
		a := f.portal.api(t, f.token, api(v, att))
		msg := apiMessage(t, "api", a, http.StatusBadGateway, "upstream_bad_answer")
		if id := a.Header.Get("X-Request-Id"); id == "" || !strings.Contains(msg, id) {
			t.Errorf("api message %q does not give the request id %q", msg, id)
		}
	})

	t.Run("file host 403", func(t *testing.T) {
		f.answer(t, status("/files/", http.StatusForbidden, `<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code></Error>`))
		r := f.viewer.get(docPath(f.fj, v, att))
		wantHonest(t, "frame", r)
		wantStatus(t, "frame", r, http.StatusBadGateway)
		wantText(t, "frame", r, "Visma gave an answer Bilag cannot use")
		msg := apiMessage(t, "api", f.portal.api(t, f.token, api(v, att)), http.StatusBadGateway, "upstream_bad_answer")
		if strings.Contains(strings.ToLower(msg), "permission") {
			t.Errorf("api message %q blames a lost permission", msg)
		}
	})
}

// Item 11: a body-less 403 is what Visma answers for a company that is not
// active or whose start guide is not completed; the voucher page, the
// frame and the API say so, and do not blame a permission.
func TestEmptyForbiddenSaysCompanyNotReady(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t)
	v, att := f.docOf(eaccounting.KindAttachment)
	f.answer(t, status("/v2/", http.StatusForbidden, ""))
	const want = "the company is not active in Visma eEkonomi, or its start guide is not completed"
	check := func(what, text string) {
		t.Helper()
		if !strings.Contains(text, want) || strings.Contains(text, "permission") {
			t.Errorf("%s says %q, want %q and no permission", what, text, want)
		}
	}
	page := f.viewer.get(voucherPath(f.fj, v))
	wantStatus(t, "voucher page", page, http.StatusOK)
	check("voucher page", strings.Join(strings.Fields(page.Text()), " "))
	r := f.viewer.get(docPath(f.fj, v, att))
	wantHonest(t, "frame", r)
	wantStatus(t, "frame", r, http.StatusForbidden)
	check("frame", strings.Join(strings.Fields(r.Text()), " "))
	check("api", apiMessage(t, "api", f.portal.api(t, f.token, "/api/v1"+docPath(f.fj, v, att)), http.StatusForbidden, "upstream_forbidden"))
}

// quickBrowser is p's browser on the portal with millisecond timeouts. Its
// own timeout is only a safety net: the portal answers long before it.
func (f *faultEnv) quickBrowser(p person) *browser {
	b := f.quick.loggedIn(p)
	b.c.Timeout = 10 * time.Second
	return b
}

// Item 2: a hanging identity server (during a refresh), a hanging API and a
// hanging file host are "Visma is not answering", with Retry-After, on the
// voucher page, in the frame and in the API; never a 500 or the generic
// banner.
func TestHangsAreUnavailable(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t)
	v, att := f.docOf(eaccounting.KindAttachment)
	tests := []struct {
		name   string
		prefix string
		before func()
		page   bool // whether the voucher page asks the hanging host
	}{
		{"identity server during a refresh", "/connect/token", func() { f.clock.Advance(2 * time.Hour) }, true},
		{"api", "/v2/", nil, true},
		{"file host", "/files/", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			f.answer(t, f.hang(tt.prefix))
			b := f.quickBrowser(f.env.viewer)
			const want = "Visma is not answering right now."
			if tt.page {
				page := b.get(voucherPath(f.fj, v))
				wantStatus(t, "voucher page", page, http.StatusOK)
				wantText(t, "voucher page", page, want)
				wantHonest(t, "voucher page", page)
			}
			r := b.get(docPath(f.fj, v, att))
			wantHonest(t, "frame", r)
			wantStatus(t, "frame", r, http.StatusServiceUnavailable)
			wantText(t, "frame", r, want)
			if r.Header.Get("Retry-After") == "" {
				t.Error("frame: no Retry-After")
			}
			hdr := http.Header{"Authorization": {"Bearer " + f.token}}
			a := b.do(http.MethodGet, "/api/v1"+docPath(f.fj, v, att), nil, hdr)
			loadSpec(t).check(t, http.MethodGet, "/api/v1"+docPath(f.fj, v, att), a)
			apiMessage(t, "api", a, http.StatusServiceUnavailable, "upstream_unavailable")
		})
	}
}

// An expired download link costs the person nothing: the connector asks
// Visma for a fresh one and the document opens.
func TestExpiredLinkOpensAfresh(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t)
	v, att := f.docOf(eaccounting.KindAttachment)
	var refused atomic.Int32
	f.answer(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/files/") || refused.Add(1) > 1 {
			return false
		}
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code><Message>Signed expiry time has passed.</Message></Error>`)
		return true
	})
	r := f.viewer.get(docPath(f.fj, v, att))
	wantStatus(t, "frame", r, http.StatusOK)
	if refused.Load() != 2 {
		t.Errorf("file host asked %d times, want 2 (the expired link, then the fresh one)", refused.Load())
	}
}

// cutOff lets the sandbox answer a file download, then sends its headers
// (with the whole length) and only the first half of its body.
func (f *faultEnv) cutOff() faultRule {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/files/") {
			return false
		}
		rec := httptest.NewRecorder()
		f.sb.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		// Returning short of the length makes the server drop the
		// connection: the body ends mid-stream.
		return true
	}
}

// fetchCut gets path as b and reads what arrives, however it ends.
func fetchCut(t *testing.T, e *env, b *browser, path string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.abs(path), nil)
	for k, vs := range b.header {
		req.Header[k] = vs
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// A transfer Visma's file host cuts off mid-stream is neither cached nor
// hashed as complete, and its audit row says it was cut off.
func TestCutOffTransferIsNotKept(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t)
	v, att := f.docOf(eaccounting.KindAttachment)
	f.answer(t, f.cutOff())
	resp, body, rerr := fetchCut(t, f.portal, f.viewer, docPath(f.fj, v, att))
	if rerr == nil && resp.StatusCode == http.StatusOK {
		t.Errorf("a cut-off document arrived whole (%d bytes) without an error", len(body))
	}
	if sha := resp.Trailer.Get("X-Bilag-Sha256"); sha != "" {
		t.Errorf("a cut-off document carries the hash %s of a complete one", sha)
	}
	docs, err := f.db.VoucherDocuments(t.Context(), f.fj.ID, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.ID == att.ID && d.SHA256 != "" {
			t.Errorf("the cut-off document's hash %s was kept", d.SHA256)
		}
	}
	events, err := f.db.AuditEvents(t.Context(), f.fj.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	var detail string
	for _, ev := range events {
		if ev.Action == db.AuditDocumentOpen {
			detail = ev.Detail
			break
		}
	}
	if !strings.Contains(detail, "cut off") {
		t.Errorf("audit row of the cut-off open = %q, want it to say cut off", detail)
	}

	f.rule.Store(nil)
	resp, body, rerr = fetchCut(t, f.portal, f.viewer, docPath(f.fj, v, att))
	if rerr != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("X-Bilag-Cache") != "miss" {
		t.Errorf("open after the cut: %d, cache %q, %v; want the whole document from Visma, not the cache", resp.StatusCode, resp.Header.Get("X-Bilag-Cache"), rerr)
	}
	sum := sha256.Sum256(body)
	if got := resp.Trailer.Get("X-Bilag-Sha256"); got != hex.EncodeToString(sum[:]) {
		t.Errorf("hash after the cut = %q, want the whole document's", got)
	}
}

// Every class of upstream failure, made by a fault-injecting front, walks
// through the voucher page, the document frame and the API: each says what
// happened in the same words, with the same status, and none is a 500 or
// blames Bilag.
func TestEveryFailureClassEverywhere(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t)
	v, att := f.docOf(eaccounting.KindAttachment)
	quickViewer := f.quickBrowser(f.env.viewer)
	broken := f.rewriteJSON("/v2/attachments/", func(m map[string]any) { m["TemporaryUrl"] = "::broken" })
	type surfaces struct{ page, voucherAPI bool } // which read the faulty route besides the document
	api, files := surfaces{true, true}, surfaces{}
	tests := []struct {
		name    string
		rule    faultRule
		refused bool
		quick   bool
		on      surfaces
		status  int
		code    string
		text    string
		retry   string // Retry-After, "*" for any
	}{
		{"refused connection", nil, true, false, api, 503, "upstream_unavailable", "Visma is not answering right now.", "*"},
		{"hang", f.hang("/v2/"), false, true, api, 503, "upstream_unavailable", "Visma is not answering right now.", "*"},
		{"429 with Retry-After", func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasPrefix(r.URL.Path, "/v2/") {
				return false
			}
			w.Header().Set("Retry-After", "7")
			return status("/v2/", http.StatusTooManyRequests, vismaError(4010))(w, r)
		}, false, false, api, 429, "rate_limited", "Try again in 7 seconds.", "7"},
		{"500", status("/v2/", 500, vismaError(5001)), false, false, api, 503, "upstream_unavailable", "Visma is not answering right now.", "*"},
		{"503", status("/v2/", 503, "Service Unavailable"), false, false, api, 503, "upstream_unavailable", "Visma is not answering right now.", "*"},
		{"401", status("/v2/", 401, vismaError(4005)), false, false, api, 409, "reapproval_required", "needs a new approval", ""},
		{"403 4003", status("/v2/", 403, vismaError(4003)), false, false, api, 403, "upstream_forbidden", "start guide in Visma eEkonomi is not completed", ""},
		{"403 4004", status("/v2/", 403, vismaError(4004)), false, false, api, 403, "upstream_forbidden", "the company is not active in Visma eEkonomi", ""},
		{"403 4006", status("/v2/", 403, vismaError(4006)), false, false, api, 403, "upstream_forbidden", "lacks permission", ""},
		{"403 4007", status("/v2/", 403, vismaError(4007)), false, false, api, 403, "upstream_forbidden", "lacks permission", ""},
		{"403 4009", status("/v2/", 403, vismaError(4009)), false, false, api, 403, "upstream_forbidden", "does not include", ""},
		{"403 4011", status("/v2/", 403, vismaError(4011)), false, false, api, 403, "upstream_forbidden", "lacks permission", ""},
		{"403 4012", status("/v2/", 403, vismaError(4012)), false, false, api, 403, "upstream_forbidden", "licence agreement", ""},
		{"403 without a body", status("/v2/", 403, ""), false, false, api, 403, "upstream_forbidden", "or its start guide is not completed", ""},
		{"malformed JSON", status("/v2/", 200, "<html>Maintenance</html>"), false, false, api, 502, "upstream_bad_answer", "Visma gave an answer Bilag cannot use", ""},
		{"JSON that ends early, whole", cutShort("/v2/", false), false, false, api, 502, "upstream_bad_answer", "Visma gave an answer Bilag cannot use", ""},
		{"JSON whose connection drops", cutShort("/v2/", true), false, false, api, 503, "upstream_unavailable", "Visma is not answering right now.", "*"},
		{"broken TemporaryUrl", broken, false, false, files, 502, "upstream_bad_answer", "Visma gave an answer Bilag cannot use", ""},
		{"file host 403", status("/files/", 403, "<Error/>"), false, false, files, 502, "upstream_bad_answer", "Visma gave an answer Bilag cannot use", ""},
		{"file host 404", status("/files/", 404, "<Error/>"), false, false, files, 502, "upstream_bad_answer", "Visma gave an answer Bilag cannot use", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rule != nil {
				f.answer(t, tt.rule)
			}
			if tt.refused {
				f.refused.Store(true)
				t.Cleanup(func() { f.refused.Store(false) })
			}
			p, b := f.portal, f.viewer
			if tt.quick {
				p, b = f.quick, quickViewer
			}
			wantRetry := func(what string, r *response) {
				t.Helper()
				got := r.Header.Get("Retry-After")
				if (tt.retry == "*" && got == "") || (tt.retry != "*" && got != tt.retry) {
					t.Errorf("%s: Retry-After %q, want %q", what, got, tt.retry)
				}
			}
			if tt.on.page {
				page := b.get(voucherPath(f.fj, v))
				wantStatus(t, "voucher page", page, http.StatusOK)
				wantHonest(t, "voucher page", page)
				wantText(t, "voucher page", page, tt.text, v.Text)
			}
			frame := b.get(docPath(f.fj, v, att))
			wantHonest(t, "frame", frame)
			if frame.Status != tt.status {
				t.Errorf("frame: status %d, want %d", frame.Status, tt.status)
			}
			wantText(t, "frame", frame, tt.text)
			wantRetry("frame", frame)
			paths := []string{"/api/v1" + docPath(f.fj, v, att)}
			if tt.on.voucherAPI {
				paths = append(paths, "/api/v1"+voucherPath(f.fj, v))
			}
			for _, path := range paths {
				r := p.api(t, f.token, path)
				if msg := apiMessage(t, path, r, tt.status, tt.code); !strings.Contains(msg, tt.text) {
					t.Errorf("%s: message %q, want it to say %q", path, msg, tt.text)
				}
				wantRetry(path, r)
			}
			conn, err := f.db.Connection(t.Context(), f.fj.ID, "eaccounting")
			if err != nil || conn.Status != db.ConnActive {
				t.Errorf("after %s the connection is %q (%v), want it active", tt.name, conn.Status, err)
			}
		})
	}

	t.Run("body cut off mid-stream", func(t *testing.T) {
		f.answer(t, f.cutOff())
		for _, path := range []string{docPath(f.fj, v, att), "/api/v1" + docPath(f.fj, v, att)} {
			b := f.viewer
			if strings.HasPrefix(path, "/api/") {
				b = f.portal.browser()
				b.header.Set("Authorization", "Bearer "+f.token)
			}
			resp, body, err := fetchCut(t, f.portal, b, path)
			if err == nil {
				t.Errorf("%s: a cut-off document arrived as a whole (%d bytes)", path, len(body))
			}
			if resp.Trailer.Get("X-Bilag-Sha256") != "" {
				t.Errorf("%s: a cut-off document carries a hash", path)
			}
		}
	})
}
