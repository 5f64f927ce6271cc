package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/eaccounting"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/server"
	"bilag/server/connections"
	"bilag/server/metrics"
)

// TestMetrics opens a page, a document twice and a consent link on a portal
// with metrics, scrapes them, and checks the families, their labels, and
// that no label carries a secret or a URL.
func TestMetrics(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	m := metrics.New()
	ec, err := eaccounting.Config{
		ClientID: sandboxClientID, ClientSecret: sandboxClientSecret,
		AuthURL: d.sbURL + "/connect/authorize", TokenURL: d.sbURL + "/connect/token", RevokeURL: d.sbURL + "/connect/revocation",
		Issuer: d.sbURL, APIURL: d.sbURL + "/v2", Now: d.clock.Now,
		Observe: func(endpoint string, status int, dur time.Duration) {
			m.ObserveUpstream("eaccounting", endpoint, status, dur)
		},
		OnRateLimitWait: func(endpoint string, dur time.Duration) { m.RateLimitWait("eaccounting", endpoint, dur) },
	}.Open(d.logger, d.sbHTTP)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := doccache.Open(filepath.Join(t.TempDir(), "cache"), 64<<20, d.keys)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: d.db, Logger: d.logger, BaseURL: base, SecretKey: d.secret, Now: d.clock.Now, Metrics: m},
		connections.Options{DB: d.db, Logger: d.logger, Connectors: map[string]connectors.Connector{ec.Name(): ec}, Now: d.clock.Now, Cache: cache, Metrics: m})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *d.env
	p.url, p.srv, p.svc = base.String(), srv, svc
	b := p.loggedIn(d.env.viewer)

	v := d.vouchers(db.VoucherFilter{HasDocuments: true})[0]
	_, links := d.openVoucher(b, v)
	if len(links) == 0 {
		t.Fatal("voucher has no document links")
	}
	for i := range 2 {
		if r := b.get(links[0]); r.Status != http.StatusOK {
			t.Fatalf("open document (%d) = %d", i, r.Status)
		}
	}
	// An expired grant makes the next sync refresh it.
	d.clock.Advance(2 * time.Hour)
	conn, err := d.db.Connection(t.Context(), d.fj.ID, "eaccounting")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sync(t.Context(), conn); err != nil {
		t.Fatalf("SyncConnection() = %v", err)
	}
	const secret = "ThisIsNotARealLinkSecretButLooksLikeOne42"
	p.browser().get("/connect/" + secret)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	for _, bad := range []string{secret, "sig=", "/files/", "http://", "Bearer"} {
		if strings.Contains(text, bad) {
			t.Errorf("metrics contain %q", bad)
		}
	}
	docRoute := "/companies/:companyID/vouchers/:voucherID/documents/:docID"
	wants := []string{
		fmt.Sprintf(`bilag_http_request_duration_seconds_count{method="GET",route=%q,status="200"} 2`, docRoute),
		`bilag_http_request_duration_seconds_count{method="GET",route="/connect/:secret",status="404"} 1`,
		`bilag_http_request_duration_seconds_count{method="GET",route="/companies/:companyID/vouchers/:voucherID",status="200"}`,
		`bilag_upstream_request_duration_seconds_count{connector="eaccounting",endpoint="GET /attachments/{attachmentId}",status="200"}`,
		`bilag_upstream_request_duration_seconds_count{connector="eaccounting",endpoint="GET {TemporaryUrl}",status="200"}`,
		`bilag_upstream_request_duration_seconds_count{connector="eaccounting",endpoint="GET /vouchers",status="200"}`,
		`bilag_document_cache_requests_total{result="hit"} 1`,
		`bilag_document_cache_requests_total{result="miss"} 1`,
		`bilag_token_refreshes_total{result="ok"} 1`,
		`bilag_token_refreshes_total{result="failed"} 0`,
		fmt.Sprintf(`bilag_sync_progress_ratio{company_id="%d"} 1`, d.fj.ID),
		fmt.Sprintf(`bilag_sync_fetched_vouchers{company_id="%d"}`, d.fj.ID),
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("metrics lack %s", w)
		}
	}
	if t.Failed() {
		var lines []string
		for l := range strings.SplitSeq(text, "\n") {
			if strings.HasPrefix(l, "bilag_") && !strings.Contains(l, "_bucket{") {
				lines = append(lines, l)
			}
		}
		t.Logf("scraped:\n%s", strings.Join(lines, "\n"))
	}
}

// TestMetricsNil: a nil *Metrics is off, and every method is safe on it.
func TestMetricsNil(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	m.ObserveRequest("/", "GET", 200, time.Millisecond)
	m.ObserveUpstream("eaccounting", "GET /vouchers", 200, time.Millisecond)
	m.Refresh(true)
	m.RateLimitWait("eaccounting", "GET /vouchers", time.Millisecond)
	m.CacheHit()
	m.CacheMiss()
	m.SyncProgress(1, 1, 2)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("nil metrics handler = %d, want 404", rec.Code)
	}
}
