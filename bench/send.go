package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"bilag/connectors"
	"bilag/connectors/economic"
	economicsandbox "bilag/connectors/economic/sandbox"
	"bilag/connectors/invoice"
	"bilag/connectors/samplepdf"
	"bilag/db"
	"bilag/db/seal"
	"bilag/server"
	"bilag/server/connections"
)

// This file is issue 26's scenario: a front system's invoices sent
// through Bilag's pipeline (the API for front systems, validation,
// pre-flight, the queue, one send after the other with its answer stored)
// into the e-conomic sandbox by the economic-export connector, every call
// answered after a fixed delay; beside it, the same invoices sent by the
// connector alone, with no Bilag around it.

// sendResult is what the send scenario measured. Bilag's figures are from
// the API request to the last answer recorded; the upstream's are the
// calls made meanwhile and the time at least one was on the wire.
type sendResult struct {
	Invoices int
	Latency  time.Duration
	// Booked is how many invoices e-conomic booked (Bilag's run).
	Booked int
	// Upload is how long the API took to answer 202 (read, validate,
	// pre-flight, store, queue).
	Upload   time.Duration
	Bilag    sendRun
	Bare     sendRun
	Endpoint map[string]int // Bilag's run: calls by method and path shape
}

// sendRun is one side's wall time and its upstream's share of it.
type sendRun struct {
	Wall     time.Duration
	Calls    int
	Upstream time.Duration
}

func (r sendRun) per(d time.Duration, n int) time.Duration { return d / time.Duration(max(n, 1)) }
func (r sendRun) own() time.Duration                       { return max(r.Wall-r.Upstream, 0) }

// share is the part of the wall time that is not the upstream's.
func (r sendRun) share() float64 { return float64(r.own()) / max(float64(r.Wall), 1) }

func (r sendResult) rate() float64     { return float64(r.Invoices) / max(r.Bilag.Wall.Seconds(), 1e-9) }
func (r sendResult) ratio() float64    { return float64(r.Bilag.Wall) / max(float64(r.Bare.Wall), 1) }
func (r sendResult) callsPer() float64 { return float64(r.Bilag.Calls) / float64(max(r.Invoices, 1)) }
func (r sendResult) nominal() time.Duration {
	return time.Duration(r.callsPer() * float64(r.Latency))
}

func (r sendResult) String() string {
	return fmt.Sprintf("%d invoices at +%v: %s wall, %.1f invoices/s, %.1f calls/invoice, upstream %s/invoice, Bilag %s/invoice (%.1f %%); bare %s wall, ratio ×%.3f",
		r.Invoices, r.Latency, r.Bilag.Wall.Round(time.Millisecond), r.rate(), r.callsPer(), ms(r.Bilag.per(r.Bilag.Upstream, r.Invoices)),
		ms(r.Bilag.per(r.Bilag.own(), r.Invoices)), 100*r.Bilag.share(), r.Bare.Wall.Round(time.Millisecond), r.ratio())
}

// sendGoal is issue 26's: Bilag's own share of a send under 5 %.
const sendGoal = 0.05

// meter is a transport that counts calls and the time at least one call
// was in flight, from the request to the answer's body closed: the time
// the upstream (and the wire) held the sender up.
type meter struct {
	base http.RoundTripper
	// now is the clock, time.Now when nil; its test steps one by hand.
	now func() time.Time

	mu       sync.Mutex
	calls    int
	inFlight int
	since    time.Time
	busy     time.Duration
}

func (m *meter) begin() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.inFlight == 0 {
		m.since = m.clock()
	}
	m.inFlight++
}

func (m *meter) clock() time.Time {
	if m.now == nil {
		return time.Now()
	}
	return m.now()
}

func (m *meter) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inFlight--
	if m.inFlight == 0 {
		m.busy += m.clock().Sub(m.since)
	}
}

// reset starts counting afresh; read says what was counted.
func (m *meter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls, m.busy = 0, 0
}

func (m *meter) read() (int, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls, m.busy
}

func (m *meter) RoundTrip(r *http.Request) (*http.Response, error) {
	m.begin()
	resp, err := m.base.RoundTrip(r)
	if err != nil {
		m.end()
		return resp, err
	}
	resp.Body = &meteredBody{ReadCloser: resp.Body, done: m.end}
	return resp, nil
}

// meteredBody ends its call when it is closed.
type meteredBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *meteredBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// delayed answers every request after d, as a distant e-conomic would:
// the open scenarios delay their upstream the same way.
func delayed(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		h.ServeHTTP(w, r)
	})
}

// The bench's e-conomic apps: the reading one (required by the connector)
// and the export's own.
var (
	sendReadApp   = economicsandbox.App{Name: "Bilag bench", PublicToken: "bench-read-public", SecretToken: "bench-read-secret-0123456789", Role: economicsandbox.RoleSuperUser}
	sendExportApp = economicsandbox.App{Name: "Bilag bench export", PublicToken: "bench-export-public", SecretToken: "bench-export-secret-0123456789", Role: economicsandbox.RoleSuperUser}
)

// Nordlys Bogføring ApS, the demo agreement the export writes into.
const (
	sendCVR       = "35121005"
	sendApprover  = "revisor@demo.dk"
	sendTokenName = "Bench front system"
)

// sendPairing is what a person pairs on the demo agreement by taking its
// suggestions: the sales accounts' product groups, net 30 days, a new
// customer's defaults, the invoice method.
var sendPairing = []db.PairChange{
	{Table: economic.TableSalesAccount, Key: "1010", Value: "1"},
	{Table: economic.TableSalesAccount, Key: "1020", Value: "2"},
	{Table: economic.TablePaymentTerm, Key: "net:30", Value: "3"},
	{Table: economic.TableCustomerGroup, Key: economic.ZoneDomestic, Value: "1"},
	{Table: economic.TableVatZone, Key: economic.ZoneDomestic, Value: "1"},
	{Table: economic.TableLayout, Key: economic.KeyDefault, Value: "1"},
	{Table: economic.TableSetting, Key: economic.SettingMethod, Value: economic.MethodInvoice},
}

// sendCustomers are Danish customers with valid CVRs: the first is in
// the demo agreement already, the others are created by the first
// invoice that names them and found by the rest.
var sendCustomers = []struct{ name, cvr, street, zip, city string }{
	{"Fjordfragt A/S", "12345674", "Havnegade 4", "8000", "Aarhus C"},
	{"Kattegat Transport ApS", "31415926", "Strandvejen 1", "2100", "København Ø"},
	{"Aarhus Byg ApS", "29876543", "Industrivej 12", "8200", "Aarhus N"},
}

// sendInvoices is a front system's n invoices in Bilag's JSON format (a
// list), numbered from first: net 30 days, one or two lines on the sales
// accounts 1010 and 1020 at 25 % VAT, each with its PDF as sent.
func sendInvoices(n, first int) []byte {
	type line struct {
		Text         string  `json:"text"`
		Quantity     float64 `json:"quantity"`
		UnitPrice    float64 `json:"unitPrice"`
		SalesAccount string  `json:"salesAccount"`
		VATCode      string  `json:"vatCode"`
	}
	invs := make([]map[string]any, n)
	day := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	for i := range invs {
		c := sendCustomers[i%len(sendCustomers)]
		num := strconv.Itoa(first + i)
		d := day.AddDate(0, 0, i%25)
		lines := []line{{"Fragt " + num, float64(1 + i%4), 125 + float64(i%50), "1020", "25"}}
		if i%2 == 0 {
			lines = append(lines, line{"Emballage", 10, 25, "1010", "25"})
		}
		pdf := samplepdf.Page([]string{"Faktura " + num, c.name, "CVR " + c.cvr}, 0)
		invs[i] = map[string]any{"number": num, "invoiceDate": d.Format(time.DateOnly), "dueDate": d.AddDate(0, 0, 30).Format(time.DateOnly),
			"customer": map[string]any{"name": c.name, "orgNumber": c.cvr, "address": []string{c.street}, "postcode": c.zip, "city": c.city,
				"country": "DK", "currency": "DKK"},
			"lines": lines, "pdf": map[string]string{"fileName": "faktura-" + num + ".pdf", "data": base64.StdEncoding.EncodeToString(pdf)}}
	}
	b, _ := json.Marshal(invs)
	return b
}

// sendStand is a portal with the economic-export connector, its sandbox
// behind the delay and the meter, and Nordlys paired and connected.
type sendStand struct {
	db      *db.DB
	sb      *economicsandbox.Sandbox
	sbURL   string
	meter   *meter
	conn    *economic.Connector
	company *db.Company
	portal  string
	token   string
	load    *http.Client
	closers []func()
}

func (ss *sendStand) Close() {
	for i := len(ss.closers) - 1; i >= 0; i-- {
		ss.closers[i]()
	}
	ss.closers = nil
}

// openEconomic is the connector with both apps against the sandbox, its
// calls through m; calls counts its fair-use calls (nil: in memory).
func openEconomic(sbURL string, m *meter, calls connectors.CallCounter) (*economic.Connector, error) {
	return economic.Config{AppPublicToken: sendReadApp.PublicToken, AppSecretToken: sendReadApp.SecretToken,
		ExportAppPublicToken: sendExportApp.PublicToken, ExportAppSecretToken: sendExportApp.SecretToken,
		GrantURL: sbURL + "/secure/api1/requestaccess.aspx", APIURL: sbURL, DocumentsAPIURL: sbURL + economicsandbox.DocumentsPrefix,
		Calls: calls}.Open(slog.New(slog.DiscardHandler), &http.Client{Timeout: 60 * time.Second, Transport: m})
}

// exportGrant is a grant of the export app for Nordlys, as the approval
// would store it.
func exportGrant(ctx context.Context, sb *economicsandbox.Sandbox, c *economic.Connector) (connectors.Grant, error) {
	tok, ok := sb.GrantFor(sendExportApp.PublicToken, sendApprover, economicsandbox.AgreementNordlys)
	if !ok {
		return connectors.Grant{}, errors.New("the sandbox grants the export app nothing")
	}
	return c.Export().HandleCallback(ctx, "", url.Values{"token": {tok}}, "")
}

func newSendStand(ctx context.Context, dir string, latency time.Duration) (ss *sendStand, err error) {
	ss = &sendStand{load: loadClient()}
	defer func() {
		if err != nil {
			ss.Close()
			ss = nil
		}
	}()
	secret := make([]byte, 32)
	rand.Read(secret)
	keys, err := seal.NewKeyring(secret)
	if err != nil {
		return ss, err
	}
	logger := slog.New(slog.DiscardHandler)
	if ss.db, err = db.Open(ctx, "sqlite://"+filepath.Join(dir, "bilag.db"), db.Options{Keys: keys, Logger: logger}); err != nil {
		return ss, err
	}
	ss.closers = append(ss.closers, func() { ss.db.Close() })
	ss.sb = economicsandbox.New(economicsandbox.WithApp(sendReadApp), economicsandbox.WithApp(sendExportApp))
	sbTS := httptest.NewServer(delayed(ss.sb, latency))
	ss.closers = append(ss.closers, sbTS.Close)
	ss.sbURL = sbTS.URL
	ss.meter = &meter{base: upstreamClient().Transport}
	// The fair-use count in the database, as main keeps it.
	if ss.conn, err = openEconomic(ss.sbURL, ss.meter, ss.db); err != nil {
		return ss, err
	}
	x := ss.conn.Export()
	svc, err := connections.New(connections.Options{DB: ss.db, Logger: logger,
		Connectors: map[string]connectors.Connector{ss.conn.Name(): ss.conn, x.Name(): x},
		Countries:  map[string][]string{ss.conn.Name(): {"DK"}, x.Name(): {"DK"}}})
	if err != nil {
		return ss, err
	}
	pl, err := listen()
	if err != nil {
		return ss, err
	}
	ss.portal = "http://" + pl.Addr().String()
	base, _ := url.Parse(ss.portal)
	srv, err := server.New(server.Options{DB: ss.db, Logger: logger, BaseURL: base, SecretKey: secret, Connections: svc, FirmName: "Bænkbureauet ApS",
		FormOrigins: []string{ss.sbURL}})
	if err != nil {
		svc.Close()
		return ss, err
	}
	portal := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go portal.Serve(pl)
	ss.closers = append(ss.closers, func() { portal.Close() }, svc.Close)
	return ss, ss.seed(ctx)
}

// seed makes Nordlys with an admin, connects it to the export with a
// grant the sandbox made, pairs it, sends its API batches at once and
// makes the front system's integration token.
func (ss *sendStand) seed(ctx context.Context) error {
	hash, err := fastHasher.Hash("bench-admin-password-long")
	if err != nil {
		return err
	}
	admin := &db.User{Email: "admin@bench.test", Name: "Admin", Role: db.RoleAdmin, PasswordHash: hash, Active: true}
	if err := ss.db.CreateUser(ctx, admin); err != nil {
		return err
	}
	ss.company = &db.Company{Name: "Nordlys Bogføring ApS", Country: "DK", OrgNumber: sendCVR, Active: true}
	if err := ss.db.CreateCompany(ctx, ss.company); err != nil {
		return err
	}
	g, err := exportGrant(ctx, ss.sb, ss.conn)
	if err != nil {
		return fmt.Errorf("export grant: %w", err)
	}
	l := &db.ConsentLink{CompanyID: ss.company.ID, Connector: economic.ExportName, ExpectedOrgNumber: sendCVR, CreatedByID: admin.ID, ExpiresAt: time.Now().Add(time.Hour)}
	if err := ss.db.CreateLink(ctx, l, "bench-send-link"); err != nil {
		return err
	}
	if err := ss.db.StartLinkLogin(ctx, l.ID, "bench-attempt"); err != nil {
		return err
	}
	c := &db.Connection{CompanyID: ss.company.ID, Connector: economic.ExportName, ExternalName: ss.company.Name, OrgNumber: sendCVR}
	if err := ss.db.Connect(ctx, l.ID, c, g); err != nil {
		return err
	}
	if _, err := ss.db.SetPairs(ctx, ss.company.ID, economic.ExportName, sendPairing, db.AuditEvent{UserID: &admin.ID, Actor: admin.Email}); err != nil {
		return err
	}
	if err := ss.db.SetAPISendAtOnce(ctx, ss.company.ID, true); err != nil {
		return err
	}
	b := make([]byte, 32)
	rand.Read(b)
	ss.token = "bilag_send_" + base64.RawURLEncoding.EncodeToString(b)
	return ss.db.CreateIntegrationToken(ctx, &db.IntegrationToken{CompanyID: ss.company.ID, Name: sendTokenName, Connector: economic.ExportName,
		CreatedBy: &admin.ID, CreatedByName: admin.Name}, ss.token)
}

// apiBatchState is what the bench reads of the API's batch.
type apiBatchState struct {
	ID     int64
	URL    string
	Status string
	Counts struct {
		Invoices, Invalid, Duplicate int
		ToSend                       int `json:"to_send"`
		Sent, Refused, Unknown       int
		NotSent                      int `json:"not_sent"`
	}
	Preflight []struct{ Code, Message string }
}

// call sends one API request with the integration token.
func (ss *sendStand) call(ctx context.Context, method, target, key string, body []byte) (*apiBatchState, int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+ss.token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := ss.load.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, resp.StatusCode, err
	}
	var st apiBatchState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s %s = %d: %.300s", method, target, resp.StatusCode, raw)
	}
	return &st, resp.StatusCode, nil
}

// sendScenario sends n invoices through Bilag (the API, at once) and the
// same number by the connector alone, each upstream call answered after
// latency. A few invoices sent first make the customers and products both
// runs find, so that neither makes more calls than the other for them.
func sendScenario(ctx context.Context, n int, latency time.Duration, step func(string, ...any)) (sendResult, error) {
	res := sendResult{Invoices: n, Latency: latency}
	dir, err := os.MkdirTemp("", "bilag-bench-send-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	ss, err := newSendStand(ctx, dir, latency)
	if err != nil {
		return res, fmt.Errorf("stand: %w", err)
	}
	defer ss.Close()
	bm := &meter{base: ss.meter.base}
	bare, err := openEconomic(ss.sbURL, bm, nil)
	if err != nil {
		return res, err
	}
	g, err := exportGrant(ctx, ss.sb, bare)
	if err != nil {
		return res, fmt.Errorf("bare grant: %w", err)
	}
	p := connectors.Pairing{}
	for _, c := range sendPairing {
		p.Set(c.Table, c.Key, c.Value)
	}
	if _, err := sendBare(ctx, bare.Export(), g, p, len(sendCustomers), 900001); err != nil {
		return res, fmt.Errorf("warm-up: %w", err)
	}
	step("send     %d invoices through Bilag's API at +%v per call", n, latency)
	if err := ss.sendBilag(ctx, &res, 100001); err != nil {
		return res, fmt.Errorf("through Bilag: %w", err)
	}
	step("send     %d invoices by the connector alone", n)
	bm.reset()
	if res.Bare.Wall, err = sendBare(ctx, bare.Export(), g, p, n, 500001); err != nil {
		return res, fmt.Errorf("bare: %w", err)
	}
	res.Bare.Calls, res.Bare.Upstream = bm.read()
	return res, nil
}

// sendBare sends n invoices numbered from first with the connector alone,
// one after the other, and says how long it took; each must be booked.
func sendBare(ctx context.Context, x *economic.Export, g connectors.Grant, p connectors.Pairing, n, first int) (time.Duration, error) {
	parsed, err := invoice.ParseJSON(sendInvoices(n, first))
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	for _, inv := range parsed {
		ans, err := x.SendInvoice(ctx, g, p, inv.Invoice)
		if err != nil {
			return 0, fmt.Errorf("invoice %s: %w", inv.Invoice.Number, err)
		}
		if !ans.Accepted {
			return 0, fmt.Errorf("invoice %s: %s %s", inv.Invoice.Number, ans.Code, ans.Message)
		}
	}
	return time.Since(t0), nil
}

// sendPoll is how often the front system asks how its batch is doing.
const sendPoll = 500 * time.Millisecond

// sendBilag posts the batch to the API, polls it until nothing is left to
// send, and takes the wall time to the last answer Bilag recorded.
func (ss *sendStand) sendBilag(ctx context.Context, res *sendResult, first int) error {
	body := append(append([]byte(`{"invoices":`), sendInvoices(res.Invoices, first)...), '}')
	before := ss.sb.Stats()
	ss.meter.reset()
	t0 := time.Now()
	st, code, err := ss.call(ctx, http.MethodPost, ss.portal+"/api/v1/companies/"+strconv.FormatInt(ss.company.ID, 10)+"/invoices", "bench-1", body)
	if err != nil {
		return err
	}
	res.Upload = time.Since(t0)
	if code != http.StatusAccepted {
		return fmt.Errorf("POST invoices = %d, want 202", code)
	}
	// Bounded: every invoice takes a handful of calls; four times that, and
	// a minute, is a pipeline that stopped.
	deadline := time.Now().Add(time.Duration(res.Invoices)*24*res.Latency + time.Minute)
	for st.Status != "done" {
		if st.Status == "blocked" || st.Status == "held" {
			return fmt.Errorf("batch %s: %+v", st.Status, st.Preflight)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("batch still %s after %v: %+v", st.Status, time.Since(t0).Round(time.Second), st.Counts)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sendPoll):
		}
		if st, _, err = ss.call(ctx, http.MethodGet, st.URL, "", nil); err != nil {
			return err
		}
	}
	if st.Counts.Sent != res.Invoices {
		return fmt.Errorf("booked %d of %d: %+v", st.Counts.Sent, res.Invoices, st.Counts)
	}
	res.Booked = st.Counts.Sent
	res.Bilag.Calls, res.Bilag.Upstream = ss.meter.read()
	attempts, err := ss.db.ImportAttemptsOf(ctx, st.ID)
	if err != nil {
		return err
	}
	var last time.Time
	for _, a := range attempts {
		if a.At.After(last) {
			last = a.At
		}
	}
	res.Bilag.Wall = last.Sub(t0)
	after := ss.sb.Stats()
	res.Endpoint = map[string]int{}
	for k, v := range after.Calls {
		if d := v - before.Calls[k]; d > 0 {
			res.Endpoint[k] = d
		}
	}
	return nil
}
