package server_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/economic"
	economicsandbox "bilag/connectors/economic/sandbox"
	"bilag/connectors/invoice"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
	"bilag/server"
	"bilag/server/connections"
)

// Issue 26 end to end: the e-conomic export of seed 001 through the
// portal, against the e-conomic sandbox, with the real connectors.

// storyNet is the network between Bilag and the e-conomic sandbox: it can
// lose the answer to one request after the sandbox did it, refuse every
// call to a path, and make every call slow.
type storyNet struct {
	base  http.RoundTripper
	mu    sync.Mutex
	drop  map[string]bool // "POST /invoices/booked": the next answer is lost
	down  bool            // every API call answers 503
	delay time.Duration
}

func (n *storyNet) dropOnce(endpoint string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.drop[endpoint] = true
}

func (n *storyNet) set(down bool, delay time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down, n.delay = down, delay
}

func (n *storyNet) RoundTrip(req *http.Request) (*http.Response, error) {
	n.mu.Lock()
	key := req.Method + " " + req.URL.Path
	drop, down, delay := n.drop[key], n.down, n.delay
	delete(n.drop, key)
	n.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	if down && !strings.HasPrefix(req.URL.Path, "/secure/") {
		// e-conomic's answer when it is down (_introduction.md: 503).
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"message":"Service unavailable.","httpStatusCode":503,"logId":"x-503"}`))}, nil
	}
	resp, err := n.base.RoundTrip(req)
	if err != nil || !drop {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, io.ErrUnexpectedEOF
}

// exportStory is the portal with e-conomic's reading connector and its
// export, both on one sandbox, the export the reading one's companion.
type exportStory struct {
	*env
	sb        *economicsandbox.Sandbox
	net       *storyNet
	conn      *economic.Connector
	exportApp economicsandbox.App
	nordlys   *db.Company
	admin     person
}

func newExportStory(t *testing.T, opts connections.Options) *exportStory {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, clock: dbtest.NewClock(time.Now().UTC().Truncate(time.Second)), logs: &syncBuffer{}, faults: &faults{}}
	e.logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.secret = make([]byte, 32)
	rand.Read(e.secret)
	var err error
	if e.keys, err = seal.NewKeyring(e.secret); err != nil {
		t.Fatal(err)
	}
	e.db, err = db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "bilag.db"), db.Options{Keys: e.keys, Now: e.clock.Now, Logger: e.logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	portal := httptest.NewUnstartedServer(nil)
	e.url = "http://" + portal.Listener.Addr().String()
	base, _ := url.Parse(e.url)

	read := economicsandbox.App{Name: "Bilag", PublicToken: "bilag-public", SecretToken: "bilag-secret-token-0123", Role: economicsandbox.RoleBookkeeping}
	export := economicsandbox.App{Name: "Bilag export", PublicToken: "bilag-export-public", SecretToken: "bilag-export-secret-0123", Role: economicsandbox.RoleSuperUser}
	sb := economicsandbox.New(economicsandbox.WithApp(read), economicsandbox.WithApp(export))
	sbTS := httptest.NewServer(sb)
	t.Cleanup(sbTS.Close)
	net := &storyNet{base: sbTS.Client().Transport, drop: map[string]bool{}}
	conn, err := economic.Config{AppPublicToken: read.PublicToken, AppSecretToken: read.SecretToken,
		ExportAppPublicToken: export.PublicToken, ExportAppSecretToken: export.SecretToken,
		GrantURL: sbTS.URL + "/secure/api1/requestaccess.aspx", APIURL: sbTS.URL, DocumentsAPIURL: sbTS.URL + economicsandbox.DocumentsPrefix,
		Calls: e.db, Now: e.clock.Now, Sleep: noWait}.Open(e.logger, &http.Client{Transport: net})
	if err != nil {
		t.Fatal(err)
	}
	opts.DB, opts.Logger, opts.Now = e.db, e.logger, e.clock.Now
	opts.Connectors = map[string]connectors.Connector{conn.Name(): conn, economic.ExportName: conn.Export()}
	opts.Companions = map[string]string{conn.Name(): economic.ExportName}
	opts.Countries = map[string][]string{conn.Name(): {"DK"}, economic.ExportName: {"DK"}}
	e.srv, e.svc = newPortal(t,
		server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, FormOrigins: []string{sbTS.URL}, Now: e.clock.Now,
			AdminSecondFactorOptional: true, FirmContact: firmContact, FirmPrivacyURL: firmPrivacyURL,
			DemoInvoices: map[string][]byte{economic.ExportName: economic.DemoPeriod()}}, opts)
	portal.Config.Handler = e.srv
	portal.Start()
	t.Cleanup(portal.Close)
	t.Cleanup(func() {
		if t.Failed() {
			logs := e.logs.String()
			t.Logf("logs:\n%s", logs[max(0, len(logs)-6000):])
		}
	})
	e.analyst = e.addUser("analyst@firm.test", "Anders Analytiker", db.RoleAnalyst, true)
	admin := e.addUser("admin@firm.test", "Astrid Admin", db.RoleAdmin, true)
	nordlys := &db.Company{Name: "Nordlys Bogføring ApS", Country: "DK", OrgNumber: "35121005", Active: true}
	if err := e.db.CreateCompany(ctx, nordlys); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMembers(ctx, nordlys.ID, []int64{e.analyst.ID}); err != nil {
		t.Fatal(err)
	}
	return &exportStory{env: e, sb: sb, net: net, conn: conn, exportApp: export, nordlys: nordlys, admin: admin}
}

// grantStep presses the link's button and, at the sandbox's grant page,
// logs in as the demo accountant (SuperUser of Nordlys) and adds the app.
func (s *exportStory) grantStep(acc *browser, link string) *response {
	t := s.t
	t.Helper()
	r := acc.post(link, nil)
	wantStatus(t, "give permission", r, http.StatusSeeOther)
	grant := r.Location()
	wantStatus(t, "grant page", acc.get(grant), http.StatusOK)
	wantStatus(t, "grant login", acc.do(http.MethodPost, grant, url.Values{"action": {"login"}, "email": {"revisor@demo.dk"}, "password": {"revisor-demo"}}, nil),
		http.StatusSeeOther)
	r = acc.do(http.MethodPost, grant, url.Values{"action": {"approve"}, "agreement": {itoa(economicsandbox.AgreementNordlys)}}, nil)
	wantStatus(t, "add app", r, http.StatusSeeOther)
	return acc.finish(r.Location())
}

// connectBoth: the analyst's link of two steps, read then export, both
// approved by the accountant.
func (s *exportStory) connectBoth() {
	t := s.t
	t.Helper()
	analyst := s.loggedIn(s.analyst)
	link := analyst.createLinkWith(s.nordlys, url.Values{"then": {economic.ExportName}})
	acc := s.browser()
	wantText(t, "consent page", acc.get(link), tr("accountant.steps.title"), tr("economic-export.accountant.access"))
	first := s.grantStep(acc, link)
	wantText(t, "first step", first, tr("accountant.step.connected"), tr("accountant.step.start", tr("connector.economic-export")))
	second := s.grantStep(acc, link)
	wantStatus(t, "second step", second, http.StatusOK)
	if n := strings.Count(second.Body, `class="step-connected"`); n != 2 {
		t.Fatalf("the second step's result shows %d steps done, want 2:\n%s", n, second.Text())
	}
	for _, name := range []string{"economic", economic.ExportName} {
		if c, err := s.db.Connection(t.Context(), s.nordlys.ID, name); err != nil || c.Status != db.ConnActive || c.ExternalID != "7001011" {
			t.Fatalf("connection %s = %+v, %v", name, c, err)
		}
	}
}

// writes counts the sandbox's calls that are not reads.
func (s *exportStory) writes() int {
	n := 0
	for name, c := range s.sb.Stats().Calls {
		if !strings.HasPrefix(name, "GET ") {
			n += c
		}
	}
	return n
}

// exporter is the export app's client with a grant of its own, to look
// into the sandbox as e-conomic would answer.
func (s *exportStory) exporter() (*economic.Exporter, connectors.Grant) {
	t := s.t
	t.Helper()
	tok, ok := s.sb.GrantFor(s.exportApp.PublicToken, "revisor@demo.dk", economicsandbox.AgreementNordlys)
	if !ok {
		t.Fatal("no grant")
	}
	x := s.conn.Exporter()
	g, err := x.HandleCallback(t.Context(), url.Values{"token": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	return x, g
}

var useSuggestion = regexp.MustCompile(`name="t" value="([^"]*)"><input type="hidden" name="k" value="([^"]*)"><input type="hidden" name="v" value="([^"]*)"><button type="submit" class="use-suggestion">`)

// takeSuggestions saves every suggestion the pairing page offers, as a
// person pressing each "use" would; it returns how many.
func takeSuggestions(t *testing.T, b *browser, page string) int {
	t.Helper()
	p := b.get(page)
	wantStatus(t, "pairing page", p, http.StatusOK)
	form := url.Values{}
	ms := useSuggestion.FindAllStringSubmatch(p.Body, -1)
	for _, m := range ms {
		form.Add("t", html.UnescapeString(m[1]))
		form.Add("k", html.UnescapeString(m[2]))
		form.Add("v", html.UnescapeString(m[3]))
	}
	if len(ms) > 0 {
		wantStatus(t, "take the suggestions", b.post(page, form), http.StatusSeeOther)
	}
	return len(ms)
}

// period is n invoices of the demo period (all when n is 0), their numbers
// moved by shift, as an upload and as read.
func period(t *testing.T, n int, shift int) (string, []connectors.Invoice) {
	t.Helper()
	var raw []map[string]any
	if err := json.Unmarshal(economic.DemoPeriod(), &raw); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		raw = raw[:n]
	}
	for _, inv := range raw {
		var num int
		fmt.Sscan(inv["number"].(string), &num)
		inv["number"] = fmt.Sprint(num + shift)
	}
	body, _ := json.Marshal(raw)
	parsed, err := invoice.ParseJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	var out []connectors.Invoice
	for _, p := range parsed {
		out = append(out, p.Invoice)
	}
	return string(body), out
}

var batchLink = regexp.MustCompile(`/companies/\d+/imports/(\d+)$`)

// TestEconomicExportStory walks seed 001 through the portal: the two-step
// link, the pairing page, the demo period's pre-flight that sends nothing,
// the pairing that settles it, the send with its counts and booked
// numbers, the same invoices again, a lost answer settled by look-up, the
// voucher method, and the API.
func TestEconomicExportStory(t *testing.T) {
	t.Parallel()
	s := newExportStory(t, connections.Options{})
	ctx := t.Context()
	s.connectBoth()
	analyst := s.loggedIn(s.analyst)
	pairing := "/companies/" + itoa(s.nordlys.ID) + "/pairing/" + economic.ExportName

	// The pairing page: the agreement's product groups and the rest, with
	// suggestions; the analyst takes them.
	page := analyst.get(pairing)
	wantStatus(t, "pairing page", page, http.StatusOK)
	wantText(t, "pairing page", page, tr("economic-export.pairing.salesAccount"), "1010 Salg af varer", "1020 Salg af ydelser", "1030 Momsfrit salg",
		tr("economic-export.pairing.paymentTerm"), tr("economic-export.pairing.customerGroup"), tr("economic-export.pairing.layout"))
	if n := takeSuggestions(t, analyst, pairing); n == 0 {
		t.Fatal("the pairing page suggests nothing")
	}

	// The demo period, downloaded from the imports page as demo mode offers
	// it: sales account 3010 has no product group. The pre-flight says so
	// in the seed's words, and nothing is sent.
	imports := "/companies/" + itoa(s.nordlys.ID) + "/imports"
	wantText(t, "imports page", analyst.get(imports+"?connector="+economic.ExportName), tr("imports.demo"), tr("economic-export.imports.demo.help"))
	sample := analyst.get(imports + "/demo.json?connector=" + economic.ExportName)
	wantStatus(t, "the demo period", sample, http.StatusOK)
	body, invoices := period(t, 0, 0)
	if sample.Body != string(economic.DemoPeriod()) {
		t.Fatal("the demo period downloaded is not the connector's")
	}
	wantStatus(t, "no sample for another connector", analyst.get(imports+"/demo.json?connector=economic"), http.StatusNotFound)
	body = sample.Body
	r0 := analyst.uploadInvoices(s.nordlys, economic.ExportName, "marts.json", body)
	wantStatus(t, "upload", r0, http.StatusSeeOther)
	batchURL := r0.Location()
	batchID := batchLink.FindStringSubmatch(batchURL)[1]
	wantText(t, "pre-flight", analyst.follow(r0), tr("imports.preflight.heading"), "Product groups missing for sales accounts 3010 (used by 3 invoices)")
	// The batch's own codes are paired on its pairing page, as suggested;
	// 3010 has no group to suggest and stands.
	if n := takeSuggestions(t, analyst, pairing+"?batch="+batchID); n == 0 {
		t.Fatal("the batch's pairing page suggests nothing")
	}
	// The page shows the findings of the last check; Send checks again:
	// only 3010 stands, and nothing is written.
	writes := s.writes()
	page = analyst.follow(analyst.post(batchURL+"/send", nil))
	s.svc.Wait()
	wantText(t, "blocked", page, tr("imports.preflight.blocked"), "Product groups missing for sales accounts 3010 (used by 3 invoices): create them")
	if strings.Contains(page.Text(), "not paired") || strings.Contains(page.Text(), tr("imports.preflight.invoices", 3)) {
		t.Errorf("the pre-flight still finds unpaired codes, or counts twice:\n%s", page.Text()[strings.Index(page.Text(), tr("imports.preflight.heading")):][:600])
	}
	if n := s.writes(); n != writes {
		t.Fatalf("a blocked batch wrote %d times into e-conomic", n-writes)
	}

	// Paired on the page (reached from the batch), sent; the answer of the
	// first booking is lost after e-conomic booked it.
	wantText(t, "pairing page of the batch", analyst.get(pairing+"?batch="+batchID), "3010")
	wantStatus(t, "pair 3010", analyst.post(pairing+"?batch="+batchID, pair(economic.TableSalesAccount, "3010", "2")), http.StatusSeeOther)
	s.net.dropOnce("POST /invoices/booked")
	wantStatus(t, "send", analyst.post(batchURL+"/send", nil), http.StatusSeeOther)
	s.svc.Wait()
	// The lost answer stops the sending: the invoice is unknown, the rest
	// wait.
	page = analyst.get(batchURL)
	wantText(t, "sent", page, tr("imports.counts", 20, 0, 0, 1), tr("imports.counts.notsent", 19), tr("imports.status.unknown"),
		tr("imports.attempt.send.unknown"))
	if n := s.sb.Stats().Calls["POST /invoices/booked"]; n != 1 {
		t.Fatalf("%d bookings before the lost answer was settled, want the one", n)
	}

	// Sent again: the unknown one looked up, found booked, not booked
	// twice; the rest sent, each with its booked number (the source's).
	m := againBox.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatal("no send-again box for the invoice whose answer was lost")
	}
	analyst.post(batchURL+"/send", url.Values{"again": {m[1]}})
	s.svc.Wait()
	page = analyst.get(batchURL)
	wantText(t, "looked up", page, tr("imports.counts", 20, 20, 0, 0), tr("imports.attempt.lookup.found"))
	for _, inv := range invoices {
		wantText(t, "booked number "+inv.Number, page, tr("imports.attempt.ref", inv.Number))
	}
	if n := s.sb.Stats().Calls["POST /invoices/booked"]; n != 20 {
		t.Errorf("%d bookings of 20 invoices", n)
	}

	// In e-conomic: each invoice booked with the source's number and amount.
	x, g := s.exporter()
	for _, inv := range invoices {
		var n int64
		fmt.Sscan(inv.Number, &n)
		b, err := x.BookedInvoice(ctx, g, n)
		if err != nil || int64(b.NetAmount) != inv.Total() {
			t.Errorf("booked %s: net %d, %v; want %d", inv.Number, b.NetAmount, err, inv.Total())
		}
	}

	// The same invoices again: each found sent before; forced with "send
	// again", e-conomic's look-up finds it booked, and nothing is written.
	writes = s.writes()
	r1 := analyst.uploadInvoices(s.nordlys, economic.ExportName, "marts-igen.json", body)
	wantStatus(t, "upload again", r1, http.StatusSeeOther)
	again := analyst.follow(r1)
	if n := strings.Count(again.Text(), tr("imports.status.duplicate")); n < 20 {
		t.Errorf("the same invoices again: %d sent before, want 20", n)
	}
	wantText(t, "nothing to send", analyst.follow(analyst.post(r1.Location()+"/send", nil)), tr("imports.send.none"))
	var boxes []string
	for _, m := range againBox.FindAllStringSubmatch(again.Body, -1) {
		boxes = append(boxes, m[1])
	}
	analyst.post(r1.Location()+"/send", url.Values{"again": boxes})
	s.svc.Wait()
	if n := s.writes(); n != writes || len(boxes) != 20 {
		t.Errorf("the same %d invoices again wrote %d times", len(boxes), n-writes)
	}
	again = analyst.get(r1.Location())
	wantText(t, "forced again", again, tr("imports.counts", 20, 20, 0, 0), tr("imports.attempt.lookup.found"))

	s.voucherMethod(analyst, pairing)
	s.viaAPI()
}

// voucherMethod: the pairing switched to vouchers; a new period goes in
// as vouchers with their PDFs, left in journal 1.
func (s *exportStory) voucherMethod(analyst *browser, pairing string) {
	t := s.t
	ctx := t.Context()
	wantStatus(t, "voucher method", analyst.post(pairing, pair(economic.TableSetting, economic.SettingMethod, economic.MethodVoucher)), http.StatusSeeOther)
	body, invoices := period(t, 3, 100)
	r := analyst.uploadInvoices(s.nordlys, economic.ExportName, "april.json", body)
	wantStatus(t, "upload vouchers", r, http.StatusSeeOther)
	batchID := batchLink.FindStringSubmatch(r.Location())[1]
	// The voucher method books with VAT codes: paired as suggested.
	takeSuggestions(t, analyst, pairing+"?batch="+batchID)
	analyst.post(r.Location()+"/send", nil)
	s.svc.Wait()
	wantText(t, "vouchers sent", analyst.get(r.Location()), tr("imports.counts", 3, 3, 0, 0))
	x, g := s.exporter()
	vs, err := x.JournalVouchers(ctx, g, 1)
	if err != nil || len(vs) != 3 {
		t.Fatalf("journal 1 holds %d vouchers, %v; want 3", len(vs), err)
	}
	for _, v := range vs {
		if a, err := x.VoucherAttachment(ctx, g, 1, v.AccountingYear, v.VoucherNumber); err != nil || a.Pages < 1 {
			t.Errorf("voucher %d's PDF: %+v, %v", v.VoucherNumber, a, err)
		}
	}
	for _, inv := range invoices {
		var n int64
		fmt.Sscan(inv.Number, &n)
		if _, err := x.BookedInvoice(ctx, g, n); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("the voucher method booked invoice %s: %v", inv.Number, err)
		}
	}
	wantStatus(t, "invoice method", analyst.post(pairing, pair(economic.TableSetting, economic.SettingMethod, economic.MethodInvoice)), http.StatusSeeOther)
}

// viaAPI: a front system's batch with an integration token and an
// Idempotency-Key, sent at once and booked; the same key is the same
// batch, another body 422; the send-only token reads no vouchers.
func (s *exportStory) viaAPI() {
	t := s.t
	admin := s.loggedIn(s.admin)
	tok := admin.createIntegrationToken(s.nordlys, "Fakturasystemet", economic.ExportName)
	wantStatus(t, "send at once", admin.post("/companies/"+itoa(s.nordlys.ID)+"/integrations/sending", url.Values{"sending": {"at_once"}}), http.StatusSeeOther)
	raw, invoices := period(t, 2, 200)
	body := `{"invoices": ` + raw + `}`
	res := s.apiSend(t, tok, sendPath(s.nordlys), "maj-1", strings.NewReader(body))
	wantStatus(t, "API batch", res, http.StatusAccepted)
	b := decode[apiBatch](t, res)
	s.svc.Wait()
	got := decode[apiBatch](t, s.api(t, tok, strings.TrimPrefix(b.URL, s.url)))
	if got.Status != "done" || got.Counts.Sent != 2 {
		t.Errorf("API batch %+v", got)
	}
	x, g := s.exporter()
	for _, inv := range invoices {
		var n int64
		fmt.Sscan(inv.Number, &n)
		if bi, err := x.BookedInvoice(t.Context(), g, n); err != nil || int64(bi.NetAmount) != inv.Total() {
			t.Errorf("booked %s through the API: %+v, %v", inv.Number, bi, err)
		}
	}
	writes := s.writes()
	same := s.apiSend(t, tok, sendPath(s.nordlys), "maj-1", strings.NewReader(body))
	wantStatus(t, "same key", same, http.StatusAccepted)
	if decode[apiBatch](t, same).ID != b.ID {
		t.Error("the same key made another batch")
	}
	s.svc.Wait()
	if n := s.writes(); n != writes {
		t.Errorf("a repeated key wrote %d times", n-writes)
	}
	wantAPIError(t, "same key, other body", s.apiSend(t, tok, sendPath(s.nordlys), "maj-1", strings.NewReader(strings.Replace(body, invoices[0].Number, "999999", 1))),
		http.StatusUnprocessableEntity, "idempotency_key_reused")
	wantAPIError(t, "vouchers with a send-only token", s.api(t, tok, "/api/v1/companies/"+itoa(s.nordlys.ID)+"/vouchers"), http.StatusForbidden, "send_only_token")
}

// TestEconomicExportSlowOrDown walks the pairing page, the upload and the
// send while e-conomic answers not at all, then slowly (a second a call):
// a person is told so in words on the page they were on, never a 500;
// nothing is written while it is down, and a slow e-conomic still gets
// the batch, the lists read a few at a time.
// Not parallel: it bounds the send's wall time against a second a call.
func TestEconomicExportSlowOrDown(t *testing.T) {
	s := newExportStory(t, connections.Options{PairingWait: 1500 * time.Millisecond})
	s.connectBoth()
	analyst := s.loggedIn(s.analyst)
	pairing := "/companies/" + itoa(s.nordlys.ID) + "/pairing/" + economic.ExportName
	body, _ := period(t, 2, 0)
	r0 := analyst.uploadInvoices(s.nordlys, economic.ExportName, "marts.json", body)
	wantStatus(t, "upload", r0, http.StatusSeeOther)
	batchURL := r0.Location()
	batchID := batchLink.FindStringSubmatch(batchURL)[1]
	takeSuggestions(t, analyst, pairing+"?batch="+batchID)
	writes := s.writes()
	notAnswering := "The accounting system is not answering right now."

	s.net.set(true, 0)
	page := analyst.get(pairing + "?batch=" + batchID)
	wantStatus(t, "pairing page, down", page, http.StatusOK)
	if !strings.Contains(page.Body, `id="pairing-problem"`) {
		t.Errorf("the pairing page does not say e-conomic is not answering:\n%s", page.Text())
	}
	res := analyst.post(batchURL+"/send", nil)
	wantStatus(t, "send, down", res, http.StatusSeeOther)
	wantText(t, "send, down", analyst.follow(res), notAnswering)
	up := analyst.uploadInvoices(s.nordlys, economic.ExportName, "again.json", body)
	wantStatus(t, "upload, down", up, http.StatusServiceUnavailable)
	if !strings.Contains(up.Body, `id="imports-error"`) || !strings.Contains(up.Text(), notAnswering) {
		t.Errorf("the upload's page does not say e-conomic is not answering")
	}
	s.svc.Wait()
	if n := s.writes(); n != writes {
		t.Errorf("%d writes while e-conomic was down", n-writes)
	}

	// Slow: the pairing page waits PairingWait and says so; the send waits
	// for the check before it (13 reads, four at a time), then sends.
	s.net.set(false, time.Second)
	page = analyst.get(pairing + "?batch=" + batchID)
	wantText(t, "pairing page, slow", page, tr("pairing.slow", tr("connector.economic-export"), 2))
	start := time.Now()
	res = analyst.post(batchURL+"/send", nil)
	wantStatus(t, "send, slow", res, http.StatusSeeOther)
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("Send took %v against a second a call", d)
	}
	s.svc.Wait()
	s.net.set(false, 0)
	wantText(t, "sent, slowly", analyst.get(batchURL), tr("imports.counts", 2, 2, 0, 0))
}
