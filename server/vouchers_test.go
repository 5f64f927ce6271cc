package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/image/tiff"

	"bilag/connectors"
	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/server"
	"bilag/server/connections"
)

// docEnv is an env whose company is connected and synced, plus a second
// portal on the same database with a document cache and a switch that
// makes the API in front of the sandbox answer 429 or 503.
type docEnv struct {
	*env
	portal  *env // the same env, pointed at the second portal
	fail    atomic.Int32
	cache   *doccache.Cache
	viewer  *browser
	analyst *browser
}

func newDocEnv(t *testing.T, opts ...sandbox.Option) *docEnv {
	t.Helper()
	e := newEnv(t, opts...)
	d := &docEnv{env: e}
	analyst := e.loggedIn(e.analyst)
	conn := e.connectFJ(analyst)
	e.waitSync(conn)

	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2/") {
			switch d.fail.Load() {
			case 429:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"ErrorCode":4010,"DeveloperErrorMessage":"API calls quota exceeded! maximum admitted 600 per Minute. Try again in 55 seconds.","ErrorId":"00000000-0000-0000-0000-000000000000"}`)
				return
			case 503:
				http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
				return
			}
		}
		e.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	ec, err := eaccounting.Config{
		ClientID: sandboxClientID, ClientSecret: sandboxClientSecret,
		AuthURL: front.URL + "/connect/authorize", TokenURL: front.URL + "/connect/token", RevokeURL: front.URL + "/connect/revocation",
		Issuer: front.URL, APIURL: front.URL + "/v2", Now: e.clock.Now,
	}.Open(e.logger, front.Client())
	if err != nil {
		t.Fatal(err)
	}
	d.cache, err = doccache.Open(filepath.Join(t.TempDir(), "cache"), 512<<20, e.keys)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{ec.Name(): ec}, Now: e.clock.Now, Cache: d.cache})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	d.portal = &p
	d.viewer = d.portal.loggedIn(e.viewer)
	d.analyst = d.portal.loggedIn(e.analyst)
	return d
}

// waitSync waits for the first sync that connecting started.
func (e *env) waitSync(conn *db.Connection) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := e.db.SyncRuns(e.t.Context(), conn.CompanyID, 1)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(runs) == 1 && runs[0].Status != db.SyncRunning {
			if runs[0].Status != db.SyncOK {
				e.t.Fatalf("first sync: %s: %s", runs[0].Status, runs[0].Error)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatal("first sync did not finish in 30s")
}

func (d *docEnv) vouchers(f db.VoucherFilter) []db.Voucher {
	d.t.Helper()
	f.PageSize = 500
	l, err := d.db.Vouchers(d.t.Context(), d.fj.ID, f)
	if err != nil {
		d.t.Fatal(err)
	}
	return l.Vouchers
}

var docTabRe = regexp.MustCompile(`href="\?doc=(\d+)"`)

// openVoucher shows a voucher page and returns it with its document links.
func (d *docEnv) openVoucher(b *browser, v db.Voucher) (*response, []string) {
	d.t.Helper()
	r := b.get(fmt.Sprintf("/companies/%d/vouchers/%d", d.fj.ID, v.ID))
	wantStatus(d.t, "voucher page", r, http.StatusOK)
	var links []string
	seen := map[string]bool{}
	for _, m := range docTabRe.FindAllStringSubmatch(r.Body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			links = append(links, fmt.Sprintf("/companies/%d/vouchers/%d/documents/%s", d.fj.ID, v.ID, m[1]))
		}
	}
	return r, links
}

func TestSyncIndexesEveryVoucher(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	ctx := t.Context()
	n, err := d.db.CountVouchers(ctx, d.fj.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("indexed %d vouchers, want the sandbox company's few hundred", n)
	}
	conn, _ := d.db.Connection(ctx, d.fj.ID, "eaccounting")
	// A second sync is incremental and duplicates nothing.
	res, err := d.portal.svc.Sync(ctx, conn)
	if err != nil {
		t.Fatalf("SyncConnection() = %v", err)
	}
	if res.Full {
		t.Errorf("second sync Full = true, want incremental")
	}
	if m, _ := d.db.CountVouchers(ctx, d.fj.ID); m != n {
		t.Errorf("after incremental sync: %d vouchers, want %d", m, n)
	}
}

func TestVoucherFilters(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	all := d.vouchers(db.VoucherFilter{})
	fys, _ := d.db.FiscalYears(t.Context(), d.fj.ID)
	if len(fys) < 2 {
		t.Fatalf("fiscal years = %d, want 2", len(fys))
	}
	v := all[len(all)/2]
	word := strings.Fields(v.Text)[0]
	tests := []struct {
		name  string
		query string
		keep  func(db.Voucher) bool
	}{
		{"fiscal year", "fiscal_year=" + fys[0].ExternalID, func(x db.Voucher) bool { return x.FiscalYearID == fys[0].ExternalID }},
		{"date range", "from=" + v.Date.Format("2006-01-02") + "&to=" + v.Date.AddDate(0, 0, 10).Format("2006-01-02"),
			func(x db.Voucher) bool { return !x.Date.Before(v.Date) && x.Date.Before(v.Date.AddDate(0, 0, 11)) }},
		{"text", "text=" + url.QueryEscape(strings.ToUpper(word)), func(x db.Voucher) bool { return strings.Contains(strings.ToLower(x.Text), strings.ToLower(word)) }},
		{"number", "number=" + url.QueryEscape(v.Number), func(x db.Voucher) bool { return db.NumberKey(x.Number) == db.NumberKey(v.Number) }},
		{"has documents", "has_documents=1", func(x db.Voucher) bool { return x.HasDocuments }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for _, x := range all {
				if tt.keep(x) {
					want++
				}
			}
			if want == 0 || want == len(all) {
				t.Fatalf("filter %s keeps %d of %d: a useless test", tt.query, want, len(all))
			}
			r := d.viewer.get(fmt.Sprintf("/companies/%d/vouchers?%s", d.fj.ID, tt.query))
			wantStatus(t, "vouchers page", r, http.StatusOK)
			wantText(t, "count", r, fmt.Sprintf("%d matching of %d vouchers", want, len(all)))
		})
	}
	r := d.viewer.get(fmt.Sprintf("/companies/%d/vouchers?from=yesterday", d.fj.ID))
	wantStatus(t, "bad date", r, http.StatusUnprocessableEntity)
	wantText(t, "bad date", r, "Dates are written YYYY-MM-DD.")
}

// findDoc finds an indexed voucher whose documents satisfy pick.
func (d *docEnv) findDoc(b *browser, filter func(db.Voucher) bool, want string) (db.Voucher, string, *http.Response, []byte) {
	d.t.Helper()
	for _, v := range d.vouchers(db.VoucherFilter{HasDocuments: true}) {
		if !filter(v) {
			continue
		}
		_, links := d.openVoucher(b, v)
		for _, l := range links {
			resp, body := d.fetch(b, l)
			if strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
				return v, l, resp, body
			}
		}
	}
	d.t.Fatalf("no voucher has a %s document", want)
	return db.Voucher{}, "", nil, nil
}

// upstreamID is eAccounting's id of an indexed voucher: its ref is
// "fiscal year/id".
func upstreamID(v db.Voucher) string { return v.Ref[strings.LastIndex(v.Ref, "/")+1:] }

func (d *docEnv) fetch(b *browser, path string) (*http.Response, []byte) {
	d.t.Helper()
	req, _ := http.NewRequestWithContext(d.t.Context(), http.MethodGet, d.portal.abs(path), nil)
	resp, err := b.c.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	return resp, body
}

func wantDocHeaders(t *testing.T, resp *http.Response, inline bool) {
	t.Helper()
	h := resp.Header
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", h.Get("X-Content-Type-Options"))
	}
	if !strings.Contains(h.Get("Cache-Control"), "no-store") || !strings.Contains(h.Get("Cache-Control"), "private") {
		t.Errorf("Cache-Control = %q, want private, no-store", h.Get("Cache-Control"))
	}
	if h.Get("Content-Security-Policy") == "" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q, want a sandboxing policy", h.Get("Content-Security-Policy"))
	}
	cd := h.Get("Content-Disposition")
	if strings.HasPrefix(cd, "inline") != inline {
		t.Errorf("Content-Disposition = %q, want inline=%v", cd, inline)
	}
	if strings.ContainsAny(cd, "\r\n") {
		t.Errorf("Content-Disposition %q contains CR or LF", cd)
	}
}

func TestOpenDocuments(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	any := func(db.Voucher) bool { return true }
	t.Run("pdf", func(t *testing.T) {
		_, _, resp, body := d.findDoc(d.viewer, any, "application/pdf")
		wantDocHeaders(t, resp, true)
		if !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Errorf("body starts %q, want %%PDF-", body[:min(8, len(body))])
		}
		sum := sha256.Sum256(body)
		if got := resp.Trailer.Get("X-Bilag-Sha256"); got != hex.EncodeToString(sum[:]) {
			t.Errorf("X-Bilag-Sha256 trailer = %q, want the SHA-256 of the bytes", got)
		}
	})
	t.Run("jpeg", func(t *testing.T) {
		_, _, resp, body := d.findDoc(d.viewer, any, "image/jpeg")
		wantDocHeaders(t, resp, true)
		if _, _, err := image.Decode(bytes.NewReader(body)); err != nil {
			t.Errorf("jpeg does not decode: %v", err)
		}
	})
	t.Run("tiff converted", func(t *testing.T) {
		var v db.Voucher
		for _, x := range d.vouchers(db.VoucherFilter{}) {
			v = x
			break
		}
		var buf bytes.Buffer
		img := image.NewGray(image.Rect(0, 0, 40, 30))
		img.Set(3, 3, color.White)
		if err := tiff.Encode(&buf, img, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := d.sb.AddAttachment("556812-3474", upstreamID(v), sandbox.File{Name: "scan.tif", ContentType: "image/tiff", Data: buf.Bytes()}); err != nil {
			t.Fatal(err)
		}
		_, links := d.openVoucher(d.viewer, v)
		for _, l := range links {
			resp, body := d.fetch(d.viewer, l)
			if resp.Header.Get("Content-Type") == "image/png" {
				if _, err := png.Decode(bytes.NewReader(body)); err != nil {
					t.Fatalf("converted TIFF is no PNG: %v", err)
				}
				wantDocHeaders(t, resp, true)
				return
			}
		}
		t.Fatal("the TIFF was not served as PNG")
	})
	t.Run("supplier invoice voucher", func(t *testing.T) {
		// A supplier-invoice voucher whose files are on the invoice: its
		// page asks for the invoice.
		invoiceReads := func() int { return d.sb.Stats().APIRequests["GET /v2/supplierinvoices/{id}"] }
		before := invoiceReads()
		supplier := func(v db.Voucher) bool { return v.Kind == string(connectors.KindSupplierInvoice) }
		v, _, resp, _ := d.findDoc(d.viewer, supplier, "application/pdf")
		if invoiceReads() == before {
			t.Errorf("voucher %s (%s): no supplier invoice was read for its documents", v.Number, v.UpstreamType)
		}
		wantDocHeaders(t, resp, true)
	})
}

func TestSecondOpenIsServedFromCache(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	_, link, first, body := d.findDoc(d.viewer, func(db.Voucher) bool { return true }, "application/pdf")
	if first.Header.Get("X-Bilag-Cache") != "miss" {
		t.Errorf("first open X-Bilag-Cache = %q, want miss", first.Header.Get("X-Bilag-Cache"))
	}
	before := d.sb.Stats()
	second, body2 := d.fetch(d.viewer, link)
	after := d.sb.Stats()
	if second.Header.Get("X-Bilag-Cache") != "hit" {
		t.Errorf("second open X-Bilag-Cache = %q, want hit", second.Header.Get("X-Bilag-Cache"))
	}
	if after.FileDownloads != before.FileDownloads || sumCalls(after) != sumCalls(before) {
		t.Errorf("second open called the upstream: downloads %d→%d, API calls %d→%d", before.FileDownloads, after.FileDownloads, sumCalls(before), sumCalls(after))
	}
	if !bytes.Equal(body, body2) {
		t.Error("second open served other bytes")
	}
	sum := sha256.Sum256(body)
	if got := second.Header.Get("X-Bilag-Sha256"); got != hex.EncodeToString(sum[:]) {
		t.Errorf("X-Bilag-Sha256 = %q, want %x", got, sum)
	}
	wantDocHeaders(t, second, true)
}

func sumCalls(s sandbox.Stats) int {
	n := 0
	for _, c := range s.APIRequests {
		n += c
	}
	return n
}

func TestUpstreamFaults(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	v := d.vouchers(db.VoucherFilter{HasDocuments: true})[0]
	tests := []struct {
		status int
		text   string
	}{
		{429, "Visma asks us to slow down right now."},
		{503, "Visma is not answering right now."},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			d.fail.Store(int32(tt.status))
			defer d.fail.Store(0)
			r := d.viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", d.fj.ID, v.ID))
			wantStatus(t, "voucher page", r, http.StatusOK)
			wantText(t, "voucher page", r, tt.text, v.Text)
			conn, _ := d.db.Connection(t.Context(), d.fj.ID, "eaccounting")
			if conn.Status != db.ConnActive {
				t.Errorf("connection status = %q after a %d, want active", conn.Status, tt.status)
			}
		})
	}
}

func TestHostileAttachments(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	v := d.vouchers(db.VoucherFilter{})[0]
	files := []sandbox.File{
		{Name: "invoice.html", ContentType: "text/html", Data: []byte("<html><script>alert(1)</script></html>")},
		{Name: "logo.svg", ContentType: "image/svg+xml", Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
		{Name: "faktura.pdf", ContentType: "application/pdf", Data: []byte("<html><script>alert(1)</script></html>")},
		{Name: "evil\"name\r\nSet-Cookie: x=1.pdf", ContentType: "application/pdf", Data: []byte("<script>alert(1)</script>")},
	}
	for _, f := range files {
		if _, err := d.sb.AddAttachment("556812-3474", upstreamID(v), f); err != nil {
			t.Fatalf("AddAttachment(%q) = %v", f.Name, err)
		}
	}
	_, links := d.openVoucher(d.viewer, v)
	hostile := 0
	for _, l := range links {
		resp, body := d.fetch(d.viewer, l)
		if !bytes.Contains(body, []byte("<script>")) {
			continue
		}
		hostile++
		if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("hostile document served as %q, want application/octet-stream", ct)
		}
		wantDocHeaders(t, resp, false)
		for _, ck := range resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(ck, "x=") {
				t.Errorf("hostile file name set a cookie: %q", ck)
			}
		}
	}
	if hostile != len(files) {
		t.Errorf("served %d hostile documents, want %d", hostile, len(files))
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	all := d.vouchers(db.VoucherFilter{})
	count := map[string]int{}
	for _, v := range all {
		count[db.NumberKey(v.Number)]++
	}
	var one, several db.Voucher
	for _, v := range all {
		if count[db.NumberKey(v.Number)] == 1 && one.ID == 0 {
			one = v
		}
		if count[db.NumberKey(v.Number)] > 1 && several.ID == 0 {
			several = v
		}
	}
	base := fmt.Sprintf("/companies/%d/vouchers/lookup", d.fj.ID)
	r := d.viewer.get(base + "?number=" + url.QueryEscape(one.Number) + "&date=" + one.Date.Format("2006-01-02"))
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), fmt.Sprintf("/vouchers/%d", one.ID)) {
		t.Errorf("lookup of one: %d %q, want 303 to the voucher", r.Status, r.Header.Get("Location"))
	}
	if several.ID != 0 {
		r = d.viewer.get(base + "?number=" + url.QueryEscape(several.Number))
		wantStatus(t, "lookup of several", r, http.StatusOK)
		wantText(t, "lookup of several", r, "Several vouchers are numbered")
	}
	r = d.viewer.get(base + "?number=ZZ999999")
	wantStatus(t, "lookup of none", r, http.StatusNotFound)
	wantText(t, "lookup of none", r, "No voucher ZZ999999 was found.", "Search the voucher list")
	r = d.viewer.get("/o/5568123474/vouchers/lookup?number=" + url.QueryEscape(one.Number))
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), fmt.Sprintf("/companies/%d/vouchers/lookup", d.fj.ID)) {
		t.Errorf("lookup by org number: %d %q, want 303 to the company's lookup", r.Status, r.Header.Get("Location"))
	}
}

// TestViewerOfAnotherCompany: a viewer of Fjällbacka asking for Norrsken's
// vouchers and documents by every route gets 404 and nothing upstream.
func TestViewerOfAnotherCompany(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	v := d.vouchers(db.VoucherFilter{HasDocuments: true})[0]
	_, links := d.openVoucher(d.analyst, v)
	if len(links) == 0 {
		t.Fatal("no document links")
	}
	outsider := d.portal.addUser("outsider@firm.test", "Otto Outsider", db.RoleViewer, true)
	d.portal.addCompany("Other AB", "202100-5489", true, outsider)
	b := d.portal.loggedIn(outsider)
	before := d.sb.Stats()
	paths := []string{
		fmt.Sprintf("/companies/%d/vouchers", d.fj.ID),
		fmt.Sprintf("/companies/%d/vouchers/%d", d.fj.ID, v.ID),
		links[0],
		fmt.Sprintf("/companies/%d/vouchers/lookup?number=%s", d.fj.ID, url.QueryEscape(v.Number)),
		"/o/556812-3474/vouchers/lookup?number=" + url.QueryEscape(v.Number),
		fmt.Sprintf("/companies/%d/sync/status", d.fj.ID),
	}
	for _, p := range paths {
		if r := b.get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s as outsider = %d, want 404", p, r.Status)
		}
	}
	after := d.sb.Stats()
	if sumCalls(after) != sumCalls(before) || after.FileDownloads != before.FileDownloads {
		t.Errorf("outsider's requests reached the upstream")
	}
}

// TestStreamingKeepsMemoryFlat streams a 200 MB attachment through the
// document route and measures the heap.
func TestStreamingKeepsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MB")
	}
	d := newDocEnv(t)
	v := d.vouchers(db.VoucherFilter{})[0]
	const size = 200 << 20
	chunk := bytes.Repeat([]byte("%PDF-1.4 big stream of bytes\n"), 2048)
	gen := func(w io.Writer) error {
		for n := 0; n < size; {
			k := min(len(chunk), size-n)
			if _, err := w.Write(chunk[:k]); err != nil {
				return err
			}
			n += k
		}
		return nil
	}
	if _, err := d.sb.AddAttachment("556812-3474", upstreamID(v), sandbox.File{Name: "huge.pdf", ContentType: "application/pdf", Size: size, Generate: gen}); err != nil {
		t.Fatal(err)
	}
	_, links := d.openVoucher(d.viewer, v)
	// HeapAlloc counts garbage not yet collected too, which with the
	// default GOGC grows with the live heap of everything else in the
	// process; a frequent GC leaves what the stream keeps.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	var got int64
	for _, l := range links {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, d.portal.abs(l), nil)
		resp, err := d.viewer.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got = max(got, n)
	}
	close(done)
	if got != size {
		t.Fatalf("streamed %d bytes, want %d", got, size)
	}
	growth := int64(peak.Load()) - int64(base)
	t.Logf("heap growth while streaming 200 MB: %.1f MB", float64(growth)/(1<<20))
	if growth > 16<<20 {
		t.Errorf("heap grew %d MB, want under 16 MB", growth>>20)
	}
}
