package server_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/enterprise"
	entsandbox "bilag/connectors/enterprise/sandbox"
	"bilag/db"
	"bilag/server"
	"bilag/server/connections"
)

// withEnterprise is a portal whose one connector is Visma Enterprise's
// order import, and the Enterprise sandbox behind https on loopback (so an
// admin must allow 127.0.0.1 for the company first).
func withEnterprise(t *testing.T) (*env, *entsandbox.Sandbox, string) {
	t.Helper()
	e := newEnv(t)
	box := entsandbox.New()
	up := httptest.NewTLSServer(box)
	t.Cleanup(up.Close)
	conn, err := enterprise.Config{PrivateHosts: e.db, Sent: e.db, TLS: up.Client().Transport.(*http.Transport).TLSClientConfig}.Open()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, AdminSecondFactorOptional: true, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{conn.Name(): conn}, Now: e.clock.Now})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	return &p, box, up.URL + entsandbox.Root
}

// uploadOrders posts a file to a company's import page.
func (b *browser) uploadOrders(co *db.Company, name, content string) *response {
	b.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", b.csrf)
	_ = w.WriteField("connector", "enterprise")
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

const ordersHeader = "orderId;customerNumber;name;zipCode;nationCode;principalNumber;commodityNumber;serialNumber;price;quantity;amount;accountId1;vatCode;lineText1\n"

// Two orders; the first has three errors and a warning, the second none.
const ordersWithErrors = ordersHeader +
	"F-1;0405791234X;Olsen Petter;277;NO;20;100;1;123,56;21,32;2634,30;000000001610;;Husleie\n" +
	"F-1;0405791234X;Olsen Petter;277;NO;20;200;1;10;2;25;;;\n" +
	"F-2;923456783;Fjordlys AS;0277;NO;30;300;1;100;1;100;;;Konsulent\n"

const ordersFixed = ordersHeader +
	"F-1;04057912345;Olsen Petter;0277;NO;20;100;1;123,56;21,32;2634,30;000000001610;100;Husleie\n" +
	"F-1;04057912345;Olsen Petter;0277;NO;20;200;1;10;2;20;;;\n" +
	"F-2;923456783;Fjordlys AS;0277;NO;30;300;1;100;1;100;;;Konsulent\n"

var batchLocation = regexp.MustCompile(`/companies/\d+/imports/(\d+)$`)

// The whole story against the sandbox: an admin allows the customer's
// private host, the approver connects through the key form (a wrong
// password first; no order is ever posted to check), the analyst uploads
// orders with errors and sees them all, fixes them, sends, reads the
// history; the same orders again need "send again" and Enterprise refuses
// the repeated serial numbers; a lost answer leaves an order unknown.
func TestEnterpriseImportStory(t *testing.T) {
	t.Parallel()
	e, box, root := withEnterprise(t)
	ctx := t.Context()
	admin := e.loggedIn(e.admin)
	analyst := e.loggedIn(e.analyst)
	acc := e.browser()

	// Connecting before the admin allowed the host: refused, nothing called.
	link := analyst.createLink(e.fj, "")
	// The message that carries the link says the connection sends invoice
	// orders; it promises no read-only access it would not keep.
	msg := analyst.get("/companies/" + itoa(e.fj.ID))
	wantText(t, "the link's message", msg, "can create invoice orders", "web-service user set up for Bilag")
	if strings.Contains(msg.Body, "You give read access only") {
		t.Error("the link's message for invoice orders promises read access only")
	}
	form := url.Values{"url": {root}, "user": {entsandbox.DefaultUser}, "password": {entsandbox.DefaultPassword}, "company": {"1"}, "system": {"WS"}, "confirm": {"yes"}, "approver_name": {"Kari Nordmann"}}
	page := acc.get(link)
	wantStatus(t, "key form", page, http.StatusOK)
	wantText(t, "key form", page, "Fakturering: Import av fakturagrunnlag", "Fakturering: INSERT", "ws_fakturainfo_", access("enterprise"), e.fj.OrgNumber, tr("enterprise.field.confirm"))
	if strings.Contains(page.Text(), tr("form.read.vouchers")) {
		t.Error("the Enterprise key form says Bilag reads vouchers")
	}
	r := acc.post(link, form)
	wantStatus(t, "private host not allowed", r, http.StatusUnprocessableEntity)
	wantText(t, "private host not allowed", r, tr("enterprise.form.url_private"))

	wantStatus(t, "allow the host", admin.post("/companies/"+itoa(e.fj.ID)+"/hosts", url.Values{"hosts": {"127.0.0.1"}}), http.StatusSeeOther)
	link = analyst.createLink(e.fj, "")
	acc.get(link)
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("password", "wrong")
	r = acc.post(link, bad)
	wantStatus(t, "wrong password", r, http.StatusUnprocessableEntity)
	wantText(t, "wrong password", r, tr("enterprise.form.credentials"))
	r = acc.post(link, form)
	wantStatus(t, "right password", r, http.StatusSeeOther)
	conn, err := e.svc.Current(ctx, e.fj.ID)
	if err != nil || conn.Connector != "enterprise" || conn.Status != db.ConnActive {
		t.Fatalf("connection %+v %v", conn, err)
	}
	if n := box.Posts(); n != 0 {
		t.Fatalf("connecting posted %d orders", n)
	}

	// Upload with errors: every one shown at once, nothing sent.
	imports := "/companies/" + itoa(e.fj.ID) + "/imports"
	analyst.get(imports)
	r = analyst.uploadOrders(e.fj, "orders.csv", ordersWithErrors)
	wantStatus(t, "upload with errors", r, http.StatusSeeOther)
	page = analyst.follow(r)
	wantStatus(t, "batch with errors", page, http.StatusOK)
	wantText(t, "batch with errors", page, "F-1", "F-2", tr("enterprise.imports.f.zip"), tr("enterprise.imports.f.vat_required"),
		strings.Replace(tr("enterprise.imports.f.amount"), "%s", "20.00", 1), tr("imports.status.invalid"), tr("imports.status.ready"))
	if !strings.Contains(page.Body, "customer.customerNumber") || !strings.Contains(page.Body, tr("imports.line", 1)) {
		t.Error("the errors do not say where (line and field)")
	}
	if box.Posts() != 0 {
		t.Fatal("an upload sent something")
	}

	// Fixed: sent one by one; the history says who sent what where.
	r = analyst.uploadOrders(e.fj, "orders.csv", ordersFixed)
	page = analyst.follow(r)
	wantText(t, "fixed batch", page, tr("imports.send.help", 2))
	batch := batchLocation.FindStringSubmatch(r.Location())[1]
	r = analyst.post(imports+"/"+batch+"/send", nil)
	wantStatus(t, "send", r, http.StatusSeeOther)
	e.svc.Wait()
	page = analyst.get(imports + "/" + batch)
	if got := strings.Count(page.Body, `badge-imp-accepted`); got != 2 {
		t.Errorf("%d orders accepted, want 2", got)
	}
	if acc := box.Accepted(); len(acc) != 2 || acc[0].Order.Customer.CustomerNumber != "04057912345" || acc[0].Order.Customer.ZipCode != "0277" {
		t.Fatalf("the sandbox holds %+v", acc)
	}
	hist := analyst.get(imports)
	wantText(t, "history", hist, "F-1", "F-2", e.analyst.Name, root, tr("imports.status.accepted"))

	// The same file again: duplicates, sent only when asked, then refused
	// by Enterprise (the serial numbers exist), beside the order.
	r = analyst.uploadOrders(e.fj, "orders.csv", ordersFixed)
	page = analyst.follow(r)
	wantText(t, "duplicates", page, tr("imports.status.duplicate"), tr("imports.again"))
	batch = batchLocation.FindStringSubmatch(r.Location())[1]
	posts := box.Posts()
	analyst.post(imports+"/"+batch+"/send", nil)
	e.svc.Wait()
	if box.Posts() != posts {
		t.Fatal("a duplicate was sent without \"send again\"")
	}
	m := regexp.MustCompile(`name="again" value="(\d+)"`).FindStringSubmatch(analyst.get(imports + "/" + batch).Body)
	if m == nil {
		t.Fatal("no send-again box")
	}
	analyst.post(imports+"/"+batch+"/send", url.Values{"again": {m[1]}})
	e.svc.Wait()
	page = analyst.get(imports + "/" + batch)
	host := strings.TrimSuffix(strings.TrimPrefix(root, "https://"), entsandbox.Root)
	wantText(t, "refused", page, tr("imports.status.refused"), strings.Replace(tr("enterprise.imports.refused"), "%s", host, 1), "løpenummer")
	if box.Posts() != posts+1 {
		t.Errorf("%d posts for one order sent again, want 1", box.Posts()-posts)
	}

	// A lost answer: unknown, check in Enterprise before resending; sent once.
	lost := ordersHeader + "LOST-1;04057912345;Olsen Petter;0277;NO;20;300;7;10;1;10;;;\n"
	r = analyst.uploadOrders(e.fj, "lost.csv", lost)
	batch = batchLocation.FindStringSubmatch(r.Location())[1]
	posts = box.Posts()
	analyst.post(imports+"/"+batch+"/send", nil)
	e.svc.Wait()
	page = analyst.get(imports + "/" + batch)
	wantText(t, "lost answer", page, tr("imports.status.unknown"), tr("imports.unknown", tr("connector.enterprise")))
	if box.Posts() != posts+1 || len(box.Accepted()) != 3 {
		t.Errorf("posts %d, accepted %d: want one post, stored", box.Posts()-posts, len(box.Accepted()))
	}

	// A viewer sees the history and cannot upload or send.
	viewer := e.loggedIn(e.viewer)
	wantStatus(t, "viewer history", viewer.get(imports), http.StatusOK)
	wantStatus(t, "viewer upload", viewer.uploadOrders(e.fj, "orders.csv", ordersFixed), http.StatusForbidden)
	wantStatus(t, "viewer send", viewer.post(imports+"/"+batch+"/send", nil), http.StatusForbidden)
	wantStatus(t, "viewer disconnect", viewer.post(imports+"/disconnect", url.Values{"connector": {"enterprise"}, "confirm": {"yes"}}), http.StatusForbidden)

	// Ending the connection: the history stays, nothing can be sent.
	r = analyst.post(imports+"/disconnect", url.Values{"connector": {"enterprise"}, "confirm": {"yes"}})
	wantStatus(t, "disconnect", r, http.StatusSeeOther)
	page = analyst.follow(r)
	wantText(t, "disconnected", page, tr("imports.none"), "F-1", tr("imports.status.accepted"))
	if c, _ := e.db.Connection(ctx, e.fj.ID, "enterprise"); c == nil || c.Status != db.ConnDisconnected || len(c.TokenSealed) != 0 {
		t.Errorf("after disconnect: %+v", c)
	}
}

// The one-order form and a file Bilag cannot read: the form's values go
// through the same checks; a broken file is refused as a whole.
func TestEnterpriseImportFormAndBadFile(t *testing.T) {
	t.Parallel()
	e, _, root := withEnterprise(t)
	admin := e.loggedIn(e.admin)
	wantStatus(t, "allow the host", admin.post("/companies/"+itoa(e.fj.ID)+"/hosts", url.Values{"hosts": {"127.0.0.1"}}), http.StatusSeeOther)
	link := admin.createLink(e.fj, "")
	acc := e.browser()
	acc.get(link)
	// The organisation number must be confirmed: an unticked box is refused
	// by the form, before Enterprise is called.
	unticked := url.Values{"url": {root}, "user": {entsandbox.DefaultUser}, "password": {entsandbox.DefaultPassword}, "company": {"1"}, "system": {"WS"}, "approver_name": {"Kari Nordmann"}}
	r := acc.post(link, unticked)
	wantStatus(t, "unticked", r, http.StatusUnprocessableEntity)
	if errs := fieldErrors(r.Body); errs["confirm"] == "" {
		t.Errorf("no error beside the box: %v", errs)
	}
	unticked.Set("confirm", "yes")
	wantStatus(t, "connect", acc.post(link, unticked), http.StatusSeeOther)

	imports := "/companies/" + itoa(e.fj.ID) + "/imports"
	page := admin.get(imports)
	wantText(t, "imports page", page, tr("imports.one"), tr("enterprise.imports.rules"), tr("imports.template"))
	tpl := admin.get(imports + "/template.csv?connector=enterprise")
	if tpl.Status != http.StatusOK || !strings.HasPrefix(tpl.Body, "externalSystem;company;division;orderId") {
		t.Errorf("template %d %q", tpl.Status, tpl.Body)
	}
	// The one-invoice form offers Enterprise's own fields beside Bilag's,
	// and its invoice is checked by the same rules as an upload.
	wantText(t, "imports page", page, tr("imports.field.customer.orgNumber"), "principalNumber", "serialNumber")
	const ext = "line.extensions.enterprise."
	r = admin.post(imports, url.Values{"mode": {"form"}, "connector": {"enterprise"}, "f_number": {"S-1"}, "f_customer.orgNumber": {"0101"},
		"f_customer.postcode": {"0277"}, "f1_" + ext + "principalNumber": {"20"}, "f1_" + ext + "commodityNumber": {"100"}, "f1_" + ext + "serialNumber": {"3"},
		"f1_line.unitPrice": {"5"}, "f1_line.quantity": {"2"}, "f1_line.amount": {"10,00"}, "f_customer.email": {"not-an-address"}})
	wantStatus(t, "one invoice typed", r, http.StatusSeeOther)
	page = admin.follow(r)
	wantText(t, "one invoice typed", page, "S-1", tr("enterprise.imports.f.email"), "customer.email")
	if strings.Contains(page.Text(), tr("enterprise.imports.f.required")) {
		t.Error("the typed invoice lacks a field that was typed")
	}

	// The seed's example, made valid JSON, is ready to send as it is.
	r = admin.uploadOrders(e.fj, "seed.json", seedExampleJSON)
	wantStatus(t, "the seed's example", r, http.StatusSeeOther)
	page = admin.follow(r)
	wantText(t, "the seed's example", page, "12345-A2", "04057912345 Olsen Petter", tr("imports.status.ready"), tr("imports.send.help", 1))

	r = admin.uploadOrders(e.fj, "orders.json", `{"orderId": "1", "orderLines": [{"profile": "X",}]}`)
	wantStatus(t, "broken JSON", r, http.StatusUnprocessableEntity)
	wantText(t, "broken JSON", r, strings.SplitN(tr("imports.file.json"), "(", 2)[0])
}

// A sender that stopped (a restart) left one order "sending" and one
// waiting: the next look at the upload resumes it; the order that was
// being sent is unknown (it may have arrived), the waiting one is sent;
// two senders never send one order.
func TestEnterpriseImportResumes(t *testing.T) {
	t.Parallel()
	e, box, root := withEnterprise(t)
	ctx := t.Context()
	admin := e.loggedIn(e.admin)
	wantStatus(t, "allow the host", admin.post("/companies/"+itoa(e.fj.ID)+"/hosts", url.Values{"hosts": {"127.0.0.1"}}), http.StatusSeeOther)
	link := admin.createLink(e.fj, "")
	acc := e.browser()
	acc.get(link)
	wantStatus(t, "connect", acc.post(link, url.Values{"url": {root}, "user": {entsandbox.DefaultUser}, "password": {entsandbox.DefaultPassword}, "company": {"1"}, "system": {"WS"}, "confirm": {"yes"}, "approver_name": {"Kari Nordmann"}}), http.StatusSeeOther)
	imports := "/companies/" + itoa(e.fj.ID) + "/imports"
	admin.get(imports)
	r := admin.uploadOrders(e.fj, "orders.csv", ordersFixed)
	batch := batchLocation.FindStringSubmatch(r.Location())[1]
	b, orders, err := e.db.ImportBatchOf(ctx, e.fj.ID, mustInt(t, batch))
	if err != nil || len(orders) != 2 {
		t.Fatal(err)
	}
	// The stopped sender: both queued, the first claimed, then nothing.
	if _, err := e.db.QueueImportOrders(ctx, b.ID, nil, &e.admin.ID, e.admin.Name); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.db.ClaimImportOrder(ctx, orders[0].ID, root); err != nil || !ok {
		t.Fatal(err)
	}
	wantText(t, "waiting", admin.get(imports+"/"+batch), tr("imports.progress", 2, 2))
	e.svc.Wait()
	_, orders, _ = e.db.ImportBatchOf(ctx, e.fj.ID, b.ID)
	if orders[0].Status != db.ImportUnknown || orders[1].Status != db.ImportAccepted {
		t.Fatalf("after resuming: %s, %s; want unknown, accepted", orders[0].Status, orders[1].Status)
	}
	if box.Posts() != 1 || orders[1].SentByName != e.admin.Name {
		t.Errorf("posts %d, sent by %q", box.Posts(), orders[1].SentByName)
	}
	// Pressing Send twice at once sends nothing twice.
	r = admin.uploadOrders(e.fj, "orders.csv", strings.ReplaceAll(ordersFixed, "F-", "G-"))
	batch = batchLocation.FindStringSubmatch(r.Location())[1]
	admin.get(imports + "/" + batch)
	done := make(chan struct{})
	go func() { admin.post(imports+"/"+batch+"/send", nil); close(done) }()
	admin2 := e.loggedIn(e.admin)
	admin2.get(imports + "/" + batch)
	admin2.post(imports+"/"+batch+"/send", nil)
	<-done
	e.svc.Wait()
	if acc := box.Accepted(); len(acc) != 2 {
		t.Errorf("the sandbox took %d orders, want F-2 and G-1 (G-2 repeats F-2's serial: refused)", len(acc))
	}
	if box.Posts() != 3 {
		t.Errorf("%d posts, want 3 (each order once)", box.Posts())
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// seedExampleJSON is the seed's JSON example with its two lines, made valid.
const seedExampleJSON = `{"externalSystem": "WS", "company": 1, "division": 0, "orderId": "12345-A2",
 "customer": {"customerNumber": "04057912345", "name": "Olsen Petter", "address1": "Lerkestien 4", "address2": "Postboks 28",
  "zipCode": 1661, "cellPhone": "004798000001", "emailAddress": "petterolsen@offline.no", "nationCode": "NO"},
 "orderLines": [
  {"principalNumber": 20, "commodityNumber": 100, "serialNumber": 1, "price": 123.56, "quantity": 21.32, "amount": 2634.3,
   "accountId1": "000000001610", "accountId2": "", "accountId3": "000000003010", "accountId4": "", "vatCode": 100,
   "profile": "XGHK231", "yourRef": "Lars Gundersen", "orderRef": "THF", "lineText": ["Dette er en ordrelinje", "som er sendt inn", "via WS"]},
  {"principalNumber": 20, "commodityNumber": 200, "serialNumber": 2, "price": 13.56, "quantity": 21, "amount": 284.76,
   "internalInvoice": true, "accountId1": "000000001010", "accountId3": "000000003010", "vatCode": 100, "profile": "CG3231",
   "yourRef": "Lars Gundersen", "orderRef": "ADS", "lineText": ["Dette er nok en", "ordrelinje som er sendt", "inn via WS"]}]}`
