package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/connectors/enterprise"
	entsandbox "bilag/connectors/enterprise/sandbox"
	"bilag/connectors/invoice"
	"bilag/db"
	"bilag/server"
	"bilag/server/connections"
)

// receiving is a portal with two connectors that receive invoices: the
// fake Receiver (which books invoices and can look one up) and Visma
// Enterprise's order import against its sandbox, with opts for the
// connection service (a pre-flight).
type receiving struct {
	*env
	fake *connectortest.Upstream
	box  *entsandbox.Sandbox
	root string
}

// wrap, when given, makes the fake receiver into another connector (a
// Pairer, say).
func withReceivers(t *testing.T, opts connections.Options, wrap ...func(connectortest.Receiver) connectors.Connector) *receiving {
	t.Helper()
	e := newEnv(t)
	box := entsandbox.New()
	up := httptest.NewTLSServer(box)
	t.Cleanup(up.Close)
	ent, err := enterprise.Config{PrivateHosts: e.db, Sent: e.db, TLS: up.Client().Transport.(*http.Transport).TLSClientConfig}.Open()
	if err != nil {
		t.Fatal(err)
	}
	fake := &connectortest.Upstream{Name: "fake", Now: e.clock.Now, Company: connectors.Company{Name: e.fj.Name, OrgNumber: e.fj.OrgNumber, Country: "SE"}}
	opts.DB, opts.Logger, opts.Now = e.db, e.logger, e.clock.Now
	var recv connectors.Connector = connectortest.Receiver{U: fake}
	for _, w := range wrap {
		recv = w(connectortest.Receiver{U: fake})
	}
	opts.Connectors = map[string]connectors.Connector{ent.Name(): ent, "fake": recv}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName,
		AdminSecondFactorOptional: true, FormOrigins: []string{"https://fake.example"}, Now: e.clock.Now}, opts)
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	return &receiving{env: &p, fake: fake, box: box, root: up.URL + entsandbox.Root}
}

// connect stores co's connection to connector with a grant it made, as the
// key form would.
func (r *receiving) connect(co *db.Company, connector string, values map[string]string) *db.Connection {
	t := r.t
	t.Helper()
	ctx := connectors.WithCompany(t.Context(), co.ID)
	g, err := r.svc.Connector(connector).(connectors.CredentialConnector).Connect(ctx, values)
	if err != nil {
		t.Fatalf("connect %s: %v", connector, err)
	}
	l := &db.ConsentLink{CompanyID: co.ID, Connector: connector, ExpectedOrgNumber: co.OrgNumber, CreatedByID: r.analyst.ID, ExpiresAt: r.clock.Now().Add(time.Hour)}
	if err := r.db.CreateLink(t.Context(), l, "receiving-"+connector); err != nil {
		t.Fatal(err)
	}
	if err := r.db.StartLinkLogin(t.Context(), l.ID, "attempt"); err != nil {
		t.Fatal(err)
	}
	conn := &db.Connection{CompanyID: co.ID, Connector: connector, ExternalName: co.Name, OrgNumber: co.OrgNumber}
	if err := r.db.Connect(t.Context(), l.ID, conn, g); err != nil {
		t.Fatal(err)
	}
	return conn
}

func (r *receiving) connectFake() *db.Connection {
	return r.connect(r.fj, "fake", map[string]string{"user": "u", "key": "right-key"})
}

// uploadInvoices posts a file in Bilag's invoice format to connector.
func (b *browser) uploadInvoices(co *db.Company, connector, name, content string) *response {
	b.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", b.csrf)
	_ = w.WriteField("connector", connector)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write([]byte(content))
	w.Close()
	req, _ := http.NewRequestWithContext(b.e.t.Context(), http.MethodPost, b.e.abs("/companies/"+itoa(co.ID)+"/imports"), &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body.String(), URL: req.URL.String()}
}

var invoicePDF = []byte("%PDF-1.4\n% invoice 1002\n%%EOF\n")

// threeInvoices: one with errors (a date that does not exist, a line
// without a price, and no customer's name for the fake), one to send, and
// one whose answer is lost; the one to send carries its PDF.
var threeInvoices = `[
 {"number": "1001", "invoiceDate": "2026-02-30", "customer": {"orgNumber": "35121005"}, "lines": [{"text": "Konsulent", "quantity": 2}]},
 {"number": "1002", "invoiceDate": "2026-01-31", "dueDate": "2026-03-02", "customer": {"name": "Nordlys Bogføring ApS", "orgNumber": "35121005", "country": "DK", "currency": "DKK"},
  "lines": [{"text": "Konsulent, januar", "quantity": "7,5", "unitPrice": 950, "salesAccount": "1010", "vatCode": "U25"},
            {"text": "Kørsel", "quantity": 120, "unitPrice": "3.81", "salesAccount": "1020", "vatCode": "U25"}],
  "pdf": {"fileName": "1002.pdf", "data": "` + base64.StdEncoding.EncodeToString(invoicePDF) + `"}},
 {"number": "` + connectortest.LoseAnswer + `-1003", "customer": {"name": "Fjordkaffe ApS", "orgNumber": "29871000"}, "lines": [{"text": "Kaffe", "quantity": 1, "unitPrice": 100}]}]`

var againBox = regexp.MustCompile(`name="again" value="(\d+)"`)

// The pipeline for a receiving connector that can look an invoice up: an
// upload in Bilag's invoice format is read and checked all at once, shown
// with a preview, sent one by one by an analyst (a viewer sees and cannot
// send) with the counts; the invoice whose answer was lost is looked up
// when it is sent again, found, and not sent a second time; every send is
// audited and every exchange is in the invoice's history.
func TestInvoicePipelineStory(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	r.connectFake()
	ctx := t.Context()
	analyst := r.loggedIn(r.analyst)
	viewer := r.loggedIn(r.viewer)
	imports := "/companies/" + itoa(r.fj.ID) + "/imports"

	page := analyst.get(imports + "?connector=fake")
	wantStatus(t, "imports page", page, http.StatusOK)
	wantText(t, "imports page", page, tr("imports.template.csv"), tr("imports.template.json"), tr("imports.one"), "costCentre", "layout")
	if strings.Contains(page.Body, `id="imports-demo"`) {
		t.Error("outside demo mode the imports page offers a sample period")
	}
	wantStatus(t, "no sample outside demo mode", analyst.get(imports+"/demo.json?connector=fake"), http.StatusNotFound)
	// The templates are written from the connector's example, with its
	// extension, and read back without a finding.
	for _, format := range []string{"csv", "json"} {
		tpl := analyst.get(imports + "/invoices." + format + "?connector=fake")
		wantStatus(t, "template "+format, tpl, http.StatusOK)
		ps, err := invoice.Parse(format, []byte(tpl.Body))
		if err != nil || len(ps) != 1 || len(ps[0].Findings) != 0 || !strings.Contains(tpl.Body, "costCentre") {
			t.Errorf("the %s template reads as %+v, %v:\n%s", format, ps, err, tpl.Body)
		}
	}
	wantStatus(t, "viewer template", viewer.get(imports+"/invoices.csv?connector=fake"), http.StatusForbidden)

	r0 := analyst.uploadInvoices(r.fj, "fake", "januar.json", threeInvoices)
	wantStatus(t, "upload", r0, http.StatusSeeOther)
	batchURL := r0.Location()
	page = analyst.follow(r0)
	wantText(t, "checked", page, "1001", "1002", "LOST-1003", tr("imports.f.invoice.date"), tr("imports.f.invoice.required"), "customer.name", "unitPrice",
		tr("imports.status.invalid"), tr("imports.status.ready"), tr("imports.send.help", 2),
		// The preview: lines as they will be sent, and the PDF kept.
		tr("imports.preview"), "Konsulent, januar", "7.50", "457,20", tr("imports.pdf", "1002.pdf", len(invoicePDF)))
	if n := len(r.fake.Received()); n != 0 {
		t.Fatalf("an upload sent %d invoices", n)
	}
	if strings.Contains(page.Body, "1002.pdf\"") || strings.Contains(page.Body, base64.StdEncoding.EncodeToString(invoicePDF)) {
		t.Error("the page carries the PDF")
	}

	// A viewer sees the upload and cannot send it.
	wantStatus(t, "viewer batch", viewer.get(batchURL), http.StatusOK)
	wantStatus(t, "viewer send", viewer.post(batchURL+"/send", nil), http.StatusForbidden)
	if strings.Contains(viewer.get(batchURL).Body, `id="send-button"`) {
		t.Error("a viewer is offered Send")
	}

	wantStatus(t, "send", analyst.post(batchURL+"/send", nil), http.StatusSeeOther)
	r.svc.Wait()
	page = analyst.get(batchURL)
	wantText(t, "sent", page, tr("imports.counts", 2, 1, 0, 1), tr("imports.status.accepted"), tr("imports.status.unknown"),
		tr("imports.unknown.lookup", "fake"), tr("imports.attempt.send.accepted"), tr("imports.attempt.ref", "B-1"), tr("imports.attempt.send.unknown"))
	got := r.fake.Received()
	if len(got) != 2 || got[0].Number != "1002" || got[0].Lines[1].UnitPrice.String() != "3.81" || got[0].PDF == nil || !bytes.Equal(got[0].PDF.Data, invoicePDF) {
		t.Fatalf("the fake received %+v", got)
	}
	sends := r.fake.Calls(connectortest.OpSend)

	// Sent again: looked up first, found, settled; nothing sent twice.
	m := againBox.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatal("no send-again box for the unknown invoice")
	}
	analyst.post(batchURL+"/send", url.Values{"again": {m[1]}})
	r.svc.Wait()
	if n := r.fake.Calls(connectortest.OpSend); n != sends {
		t.Errorf("%d sends after the look-up found the invoice, want none", n-sends)
	}
	if n := r.fake.Calls(connectortest.OpLookup); n != 1 {
		t.Errorf("%d look-ups, want 1", n)
	}
	page = analyst.get(batchURL)
	wantText(t, "looked up", page, tr("imports.counts", 2, 2, 0, 0), tr("imports.attempt.lookup.found"), tr("imports.attempt.ref", "B-2"))
	if strings.Contains(page.Body, `name="again"`) {
		t.Error("a settled invoice can still be sent again")
	}

	// The history: who sent what, where, with the answers; the audit.
	hist := viewer.get(imports)
	wantText(t, "history", hist, "1002", "LOST-1003", r.analyst.Name, connectortest.ReceiverTarget)
	events, err := r.db.CompanyAudit(ctx, db.AuditFilter{CompanyID: r.fj.ID, Action: db.AuditImportSend}, 0, 100)
	if err != nil || len(events) != 2 {
		t.Errorf("%d send events, %v; want one per send", len(events), err)
	}
	b, orders, _ := r.db.ImportBatchOf(ctx, r.fj.ID, mustInt(t, batchLocation.FindStringSubmatch(batchURL)[1]))
	if b.Format != "invoice.json" || orders[1].AnswerRef != "B-1" {
		t.Errorf("batch %+v, order %+v", b, orders[1])
	}
}

// A look-up that fails leaves the invoice unknown and sends nothing; one
// that finds nothing lets the invoice be sent.
func TestInvoiceLookupFailsOrFindsNothing(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	r.connectFake()
	analyst := r.loggedIn(r.analyst)
	lost := `{"number": "` + connectortest.LoseAnswer + `-7", "customer": {"name": "Fjordkaffe ApS"}, "lines": [{"quantity": 1, "unitPrice": 100}]}`
	r0 := analyst.uploadInvoices(r.fj, "fake", "lost.json", lost)
	batchURL := r0.Location()
	analyst.post(batchURL+"/send", nil)
	r.svc.Wait()
	again := func() {
		m := againBox.FindStringSubmatch(analyst.get(batchURL).Body)
		if m == nil {
			t.Fatal("no send-again box")
		}
		analyst.post(batchURL+"/send", url.Values{"again": {m[1]}})
		r.svc.Wait()
	}
	r.fake.FailNext(connectortest.OpLookup, errors.New("upstream down"))
	again()
	if n := r.fake.Calls(connectortest.OpSend); n != 1 {
		t.Fatalf("%d sends after a failed look-up, want the first only", n)
	}
	wantText(t, "look-up failed", analyst.get(batchURL), tr("imports.status.unknown"), tr("imports.attempt.lookup.unknown"))

	// The upstream lost the invoice after all: the look-up finds nothing,
	// and it is sent.
	r.fake.Forget(connectortest.LoseAnswer + "-7")
	again()
	if n := r.fake.Calls(connectortest.OpSend); n != 2 {
		t.Errorf("%d sends, want the invoice sent again once it was not found", n)
	}
	wantText(t, "not found, sent", analyst.get(batchURL), tr("imports.attempt.lookup.absent"), tr("imports.counts", 1, 0, 0, 1))
}

// flagPreflight is a receiver whose pre-flight finds one gap until it is
// settled.
type flagPreflight struct {
	connectortest.Receiver
	settled *atomic.Bool
}

func (p flagPreflight) PairingTables(context.Context, connectors.Grant, connectors.Pairing, []connectors.Invoice) ([]connectors.PairingTable, error) {
	return nil, nil
}

func (p flagPreflight) Preflight(_ context.Context, _ connectors.Grant, _ connectors.Pairing, batch []connectors.Invoice) ([]connectors.PreflightFinding, error) {
	if p.settled.Load() {
		return nil, nil
	}
	all := make([]int, len(batch))
	for i := range all {
		all[i] = i
	}
	return []connectors.PreflightFinding{{Code: "gap", Args: []string{"3010"}, Invoices: all}}, nil
}

// The pre-flight hook: what it finds is listed on the upload, and nothing
// is sent while it stands; settled, the same upload is sent.
func TestInvoicePreflight(t *testing.T) {
	t.Parallel()
	settled := &atomic.Bool{}
	r := withReceivers(t, connections.Options{}, func(r connectortest.Receiver) connectors.Connector { return flagPreflight{r, settled} })
	r.connectFake()
	analyst := r.loggedIn(r.analyst)
	inv := `{"number": "2001", "customer": {"name": "Fjordkaffe ApS"}, "lines": [{"quantity": 1, "unitPrice": 100, "salesAccount": "3010"}]}`
	r0 := analyst.uploadInvoices(r.fj, "fake", "gap.json", inv)
	batchURL := r0.Location()
	wantText(t, "pre-flight", analyst.follow(r0), tr("imports.preflight.heading"), tr("imports.preflight.other", "gap"), tr("imports.preflight.invoices", 1))
	res := analyst.post(batchURL+"/send", nil)
	wantText(t, "blocked", analyst.follow(res), tr("imports.preflight.blocked"))
	r.svc.Wait()
	if n := r.fake.Calls(connectortest.OpSend); n != 0 {
		t.Fatalf("%d sends while the pre-flight found a gap", n)
	}
	settled.Store(true)
	analyst.post(batchURL+"/send", nil)
	r.svc.Wait()
	page := analyst.get(batchURL)
	if n := r.fake.Calls(connectortest.OpSend); n != 1 || strings.Contains(page.Body, `id="imports-preflight"`) {
		t.Errorf("%d sends after the gap was settled; the page still lists it: %v", n, strings.Contains(page.Body, `id="imports-preflight"`))
	}
}

// A company with two receiving connections picks one; Enterprise takes
// Bilag's invoice format as well as its own, and its sandbox receives the
// orders the invoices map to.
func TestEnterpriseReceivesNeutralInvoices(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	if err := r.db.SetPrivateHosts(t.Context(), r.fj.ID, []string{"127.0.0.1"}, "admin"); err != nil {
		t.Fatal(err)
	}
	r.connectFake()
	r.connect(r.fj, "enterprise", map[string]string{"url": r.root, "user": entsandbox.DefaultUser, "password": entsandbox.DefaultPassword,
		"company": "1", "system": "WS", "confirm": "yes"})
	analyst := r.loggedIn(r.analyst)
	imports := "/companies/" + itoa(r.fj.ID) + "/imports"
	page := analyst.get(imports)
	wantText(t, "two receivers", page, tr("imports.connection"), "fake", tr("connector.enterprise"))
	if !strings.Contains(page.Body, `id="imp-connector"`) {
		t.Error("no choice of connection")
	}
	page = analyst.get(imports + "?connector=enterprise")
	if !strings.Contains(page.Body, `value="enterprise"`) || !strings.Contains(page.Body, "principalNumber") || !strings.Contains(page.Body, `id="tpl-own"`) {
		t.Error("choosing Enterprise does not offer its form fields and own template")
	}
	csv := string(invoice.WriteCSV([]connectors.Invoice{{Number: "N-1", Customer: connectors.Customer{Name: "Fjordlys AS", OrgNumber: "923 456 783",
		Address: []string{"Lerkestien 4"}, Postcode: "0277", City: "Oslo", Country: "NO", Currency: "NOK"},
		Lines: []connectors.InvoiceLine{{Text: "Husleie januar", Quantity: 10000, UnitPrice: 12500000, VATCode: "100", ProductNumber: "100",
			Extensions: connectors.Extensions{"enterprise": json.RawMessage(`{"principalNumber":20,"serialNumber":31}`)}}}}}))
	r0 := analyst.uploadInvoices(r.fj, "enterprise", "invoices.csv", csv)
	wantStatus(t, "upload", r0, http.StatusSeeOther)
	page = analyst.follow(r0)
	wantText(t, "checked", page, "N-1", tr("imports.status.ready"), tr("imports.send.help", 1))
	analyst.post(r0.Location()+"/send", nil)
	r.svc.Wait()
	acc := r.box.Accepted()
	if len(acc) != 1 {
		t.Fatalf("the sandbox holds %d orders", len(acc))
	}
	var o struct {
		OrderID  string `json:"orderId"`
		Customer struct {
			CustomerNumber, ZipCode, Address1 string
		} `json:"customer"`
		OrderLines []struct {
			PrincipalNumber, CommodityNumber, SerialNumber int
			LineText                                       []string
		} `json:"orderLines"`
	}
	if err := json.Unmarshal(acc[0].Body, &o); err != nil || o.OrderID != "N-1" || o.Customer.CustomerNumber != "923456783" || o.Customer.ZipCode != "0277" ||
		len(o.OrderLines) != 1 || o.OrderLines[0].CommodityNumber != 100 || o.OrderLines[0].SerialNumber != 31 || o.OrderLines[0].LineText[0] != "Husleie januar" {
		t.Errorf("the sandbox holds %s", acc[0].Body)
	}
	if len(r.fake.Received()) != 0 {
		t.Error("the other connection received the invoice")
	}
	if db.BodyInvoice != enterprise.BodyInvoice {
		t.Errorf("the stored format %q is not Enterprise's %q", db.BodyInvoice, enterprise.BodyInvoice)
	}
}

// The one-invoice form: several lines, the connector's extension, and a
// PDF attached; the PDF is kept sealed with the invoice and sent with it.
func TestInvoiceFormWithPDF(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	r.connectFake()
	analyst := r.loggedIn(r.analyst)
	imports := "/companies/" + itoa(r.fj.ID) + "/imports"
	analyst.get(imports + "?connector=fake")
	fields := map[string]string{"mode": "form", "connector": "fake", "f_number": "F-77", "f_customer.name": "Fjordkaffe ApS",
		"f_extensions.fake.layout": "19", "f1_line.text": "Kaffe", "f1_line.quantity": "2", "f1_line.unitPrice": "45,50",
		"f3_line.text": "Frakt", "f3_line.quantity": "1", "f3_line.unitPrice": "79", "f3_line.extensions.fake.costCentre": "7"}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", analyst.csrf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("pdf", "F-77.pdf")
	fw.Write(invoicePDF)
	w.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, r.abs(imports), &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := analyst.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form: status %d", resp.StatusCode)
	}
	batchURL := resp.Header.Get("Location")
	page := analyst.get(batchURL)
	wantText(t, "typed", page, "F-77", tr("imports.status.ready"), "Frakt", "91,00", tr("imports.pdf", "F-77.pdf", len(invoicePDF)))
	analyst.post(batchURL+"/send", nil)
	r.svc.Wait()
	got := r.fake.Received()
	if len(got) != 1 || len(got[0].Lines) != 2 || got[0].PDF == nil || !bytes.Equal(got[0].PDF.Data, invoicePDF) ||
		string(got[0].Lines[1].Extensions["fake"]) != `{"costCentre":"7"}` || string(got[0].Extensions["fake"]) != `{"layout":"19"}` {
		t.Errorf("the fake received %+v", got)
	}
}

// An upload stored before invoices were neutral holds Enterprise's own
// order; it is still previewed and sent as it was checked then.
func TestEnterpriseOrderStoredBefore(t *testing.T) {
	t.Parallel()
	r := withReceivers(t, connections.Options{})
	if err := r.db.SetPrivateHosts(t.Context(), r.fj.ID, []string{"127.0.0.1"}, "admin"); err != nil {
		t.Fatal(err)
	}
	r.connect(r.fj, "enterprise", map[string]string{"url": r.root, "user": entsandbox.DefaultUser, "password": entsandbox.DefaultPassword,
		"company": "1", "system": "WS", "confirm": "yes"})
	old := `{"externalSystem":"WS","company":1,"division":0,"orderId":"OLD-1","customer":{"customerNumber":"04057912345","name":"Olsen Petter",` +
		`"zipCode":"0277","nationCode":"NO"},"orderLines":[{"principalNumber":20,"commodityNumber":100,"serialNumber":41,"price":12.50,"quantity":2.00,` +
		`"amount":25.00,"lineText":["Husleie"]}]}`
	b := &db.ImportBatch{CompanyID: r.fj.ID, Connector: "enterprise", Source: "old.csv", Target: r.root}
	rows := []db.ImportOrder{{OrderKey: "WS/OLD-1", Digest: "d", Label: "OLD-1", Lines: 1, Total: 2500, Status: db.ImportReady}}
	if err := r.db.CreateImportBatch(t.Context(), b, rows, []db.ImportContent{{Body: []byte(old)}}); err != nil {
		t.Fatal(err)
	}
	analyst := r.loggedIn(r.analyst)
	batchURL := "/companies/" + itoa(r.fj.ID) + "/imports/" + itoa(b.ID)
	wantText(t, "preview", analyst.get(batchURL), "OLD-1", tr("imports.preview"), "Husleie")
	analyst.post(batchURL+"/send", nil)
	r.svc.Wait()
	acc := r.box.Accepted()
	if len(acc) != 1 || string(acc[0].Body) != old {
		t.Fatalf("the sandbox holds %+v, want the order as stored", acc)
	}
	wantText(t, "sent", analyst.get(batchURL), tr("imports.counts", 1, 1, 0, 0))
}
