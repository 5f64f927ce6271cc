package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/netvisor"
	nvsandbox "bilag/connectors/netvisor/sandbox"
	"bilag/db"
	"bilag/server"
	"bilag/server/connections"
)

// nvEnv is a portal whose one connector is Netvisor, talking to its
// sandbox, with a Finnish client company whose Y-tunnus the sandbox knows.
type nvEnv struct {
	*env
	sb *nvsandbox.Sandbox
	co *db.Company
}

func newNetvisorEnv(t *testing.T) *nvEnv {
	t.Helper()
	e := newEnv(t)
	sb := nvsandbox.New(nvsandbox.WithNow(e.clock.Now), nvsandbox.WithLargeAttachment(0),
		nvsandbox.WithLogger(e.logger.With("component", "netvisor-sandbox")))
	sbTS := httptest.NewServer(sb)
	t.Cleanup(sbTS.Close)
	conn, err := netvisor.Config{PartnerID: nvsandbox.DefaultPartnerID, PartnerKey: nvsandbox.DefaultPartnerKey, Sender: "Bilag test",
		Hosts: []string{sbTS.URL}, Leases: e.db, Now: e.clock.Now}.Open(e.logger, sbTS.Client())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, svc := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName,
		AdminSecondFactorOptional: true, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Connectors: map[string]connectors.Connector{conn.Name(): conn}, Now: e.clock.Now,
			Countries: map[string][]string{"netvisor": {"FI"}}})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv, p.svc = base.String(), srv, svc
	co := &db.Company{Name: "Saaristo Puutyö Oy", Country: "FI", OrgNumber: nvsandbox.DemoOrgID, Active: true}
	if err := e.db.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMembers(t.Context(), co.ID, []int64{e.analyst.ID, e.viewer.ID}); err != nil {
		t.Fatal(err)
	}
	return &nvEnv{env: &p, sb: sb, co: co}
}

func nvKeys(id, key string) url.Values {
	return url.Values{netvisor.FieldCustomerID: {id}, netvisor.FieldCustomerKey: {key}, netvisor.FieldHost: {""}, "approver_name": {"Aino Virtanen"}}
}

// The whole story against the sandbox: the form with the company's
// business id read-only and the host from a list; wrong keys, keys that do
// not reach the business id and a resource not allowed each refused with
// their own words and nothing stored; the right keys connect and sync;
// documents of each source open; keys withdrawn in Netvisor make the
// connection need re-approval; new keys on a new link connect it again.
func TestNetvisorStory(t *testing.T) {
	t.Parallel()
	e := newNetvisorEnv(t)
	host := e.svc.Connector("netvisor").(*netvisor.Connector).Hosts()[0]
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.co, "")
	// The message that carries the link asks for identifiers to paste, in
	// Finnish first, never for a login with full permission.
	msg := analyst.get("/companies/" + itoa(e.co.ID))
	wantText(t, "the link's message", msg, "Luo ohjelmistossa", "rajapintatunnisteet", "create API identifiers for Bilag")
	if strings.Contains(msg.Body, "full permission") {
		t.Error("the link's message for Netvisor asks for a login with full permission")
	}
	acc := e.browser()
	page := acc.get(link)
	wantStatus(t, "GET link", page, http.StatusOK)
	wantText(t, "key form", page, "Saaristo Puutyö Oy", tr("netvisor.field.customer_id"), tr("netvisor.field.customer_id.steps"),
		tr("netvisor.field.customer_key.help"), tr("netvisor.field.business_id"))
	for _, want := range []string{
		`name="business_id" type="text" value="` + nvsandbox.DemoOrgID + `" readonly`,
		`<select id="f-host" name="host"`,
		`name="customer_key" type="password"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("key form lacks %s", want)
		}
	}

	dc := nvsandbox.DemoCustomer()
	submit := func(what string, form url.Values, status int, text string) {
		t.Helper()
		form.Set(netvisor.FieldHost, host)
		// The business id comes from the company record, never the POST.
		form.Set(netvisor.FieldBusinessID, nvsandbox.OtherOrgID)
		r := acc.post(link, form)
		wantStatus(t, what, r, status)
		if text != "" {
			wantText(t, what, r, text)
			if c, err := e.svc.Current(t.Context(), e.co.ID); err == nil {
				t.Fatalf("%s stored a connection (%s)", what, c.Status)
			}
		}
	}
	submit("wrong keys", nvKeys(dc.ID, "not-the-key"), http.StatusUnprocessableEntity, tr("netvisor.form.keys"))
	e.sb.AddCustomer(nvsandbox.Customer{ID: "KAAMOS-USER", Key: "kaamos-key", Orgs: []string{nvsandbox.OtherOrgID}})
	submit("keys of another company", nvKeys("KAAMOS-USER", "kaamos-key"), http.StatusUnprocessableEntity, tr("netvisor.form.business_id"))
	e.sb.Deny(dc.ID, "purchaseinvoicelist.nv")
	submit("resource not allowed", nvKeys(dc.ID, dc.Key), http.StatusUnprocessableEntity, tr("netvisor.form.resource"))
	e.sb.Allow(dc.ID, "purchaseinvoicelist.nv")
	if strings.Contains(e.logs.String(), dc.Key) {
		t.Error("the logs show the customer key")
	}

	r := acc.post(link, url.Values{netvisor.FieldCustomerID: {dc.ID}, netvisor.FieldCustomerKey: {dc.Key}, netvisor.FieldHost: {host}, "approver_name": {"Aino Virtanen"}})
	wantStatus(t, "POST right keys", r, http.StatusSeeOther)
	res := acc.get("/connect-result")
	wantText(t, "result page", res, tr("result.ok.title"), "Saaristo Puutyö Oy")
	conn, err := e.svc.Current(t.Context(), e.co.ID)
	if err != nil || conn.Connector != "netvisor" || conn.Status != db.ConnActive {
		t.Fatalf("Current() = %+v, %v; want an active netvisor connection", conn, err)
	}
	e.waitSync(conn)
	vs, err := e.db.Vouchers(t.Context(), e.co.ID, db.VoucherFilter{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]db.Voucher{}
	for _, v := range vs.Vouchers {
		byRef[v.Ref] = v
	}
	if len(byRef) != 13 || byRef["1002"].Kind != string(connectors.KindSupplierInvoice) || !byRef["1002"].HasDocuments {
		t.Fatalf("index = %d vouchers (1002: %+v), want the sandbox's 13", len(byRef), byRef["1002"])
	}

	// Documents of each source, through the voucher page as a viewer.
	viewer := e.loggedIn(e.viewer)
	for _, tc := range []struct {
		ref  string
		want []string // content types, in order
	}{
		{"1002", []string{"image/png", "application/pdf"}}, // its own attachment, then the purchase invoice's image
		{"1003", []string{"application/pdf"}},              // the sales invoice's PDF
		{"1005", []string{"image/png", "application/pdf"}}, // two attachments of its own
	} {
		v := byRef[tc.ref]
		page := viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.co.ID, v.ID))
		wantStatus(t, "voucher page "+tc.ref, page, http.StatusOK)
		docs, err := e.db.VoucherDocuments(t.Context(), e.co.ID, v.ID)
		if err != nil || len(docs) != len(tc.want) {
			t.Fatalf("voucher %s documents = %+v, %v; want %d", tc.ref, docs, err, len(tc.want))
		}
		for i, d := range docs {
			doc := viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", e.co.ID, v.ID, d.ID))
			wantStatus(t, "document "+d.FileName, doc, http.StatusOK)
			if ct := doc.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.want[i]) {
				t.Errorf("voucher %s document %d: Content-Type %q, want %s", tc.ref, i, ct, tc.want[i])
			}
			if tc.want[i] == "application/pdf" && !strings.HasPrefix(doc.Body, "%PDF-") {
				t.Errorf("voucher %s document %d is no PDF", tc.ref, i)
			}
		}
	}
	if n := e.sb.Overlaps(); n != 0 {
		t.Errorf("the sandbox saw %d overlapping requests", n)
	}

	e.salesInvoiceRead(t, viewer, byRef["1004"])

	// A document resource not allowed is a named refusal at the first open.
	e.sb.Deny(dc.ID, "getsalesinvoice.nv")
	v := byRef["1004"]
	wantStatus(t, "voucher page 1004", viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.co.ID, v.ID)), http.StatusOK)
	docs, err := e.db.VoucherDocuments(t.Context(), e.co.ID, v.ID)
	// The PDF is still listed (its attachments, read before, are kept).
	if err != nil || len(docs) == 0 || docs[0].Kind != netvisor.KindSalesInvoice {
		t.Fatalf("voucher 1004 documents = %+v, %v", docs, err)
	}
	refused := viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", e.co.ID, v.ID, docs[0].ID))
	wantStatus(t, "a sales invoice whose resource is not allowed", refused, http.StatusForbidden)
	wantText(t, "refusal", refused, tr("netvisor.upstream.refused.permission"))
	e.sb.Allow(dc.ID, "getsalesinvoice.nv")

	// The keys are withdrawn in Netvisor: the next read ends the
	// connection, which then needs a new approval.
	e.sb.Withdraw(dc.ID)
	ended := viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.co.ID, byRef["1001"].ID))
	wantText(t, "voucher page after the keys were withdrawn", ended, tr("netvisor.upstream.ended.view"))
	conn, err = e.svc.Current(t.Context(), e.co.ID)
	if err != nil || conn.Status != db.ConnNeedsReapproval {
		t.Fatalf("after the keys were withdrawn: %+v, %v; want needs re-approval", conn, err)
	}

	// New keys on a new link.
	e.sb.AddCustomer(nvsandbox.Customer{ID: "SAARISTO-2", Key: "fresh-key", Orgs: []string{nvsandbox.DemoOrgID}})
	link2 := e.loggedIn(e.analyst).createLink(e.co, "")
	acc2 := e.browser()
	acc2.get(link2)
	r = acc2.post(link2, url.Values{netvisor.FieldCustomerID: {"SAARISTO-2"}, netvisor.FieldCustomerKey: {"fresh-key"}, netvisor.FieldHost: {host}, "approver_name": {"Aino Virtanen"}})
	wantStatus(t, "POST new keys", r, http.StatusSeeOther)
	conn, err = e.svc.Current(t.Context(), e.co.ID)
	if err != nil || conn.Status != db.ConnActive {
		t.Fatalf("after new keys: %+v, %v; want active", conn, err)
	}
	doc := viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.co.ID, byRef["1003"].ID))
	wantStatus(t, "voucher page with new keys", doc, http.StatusOK)
}

// salesInvoiceRead: a sales invoice's status and open sum beside its PDF
// on the voucher page and in the API, following Netvisor at each read; its
// own attachments listed after the PDF and opened like every document.
func (e *nvEnv) salesInvoiceRead(t *testing.T, viewer *browser, v db.Voucher) {
	t.Helper()
	page := viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.co.ID, v.ID))
	wantText(t, "voucher page of an open sales invoice", page, tr("invoice.status"), tr("invoice.status.open"), tr("invoice.opensum"), "1\u00a0240,00")
	docs, err := e.db.VoucherDocuments(t.Context(), e.co.ID, v.ID)
	if err != nil || len(docs) != 4 || docs[0].InvoiceStatus != "open" || docs[1].FileName != "tuntilista-1042.pdf" || docs[2].FileName != "lahete-1042.png" || docs[3].Kind != netvisor.KindSalesOrder {
		t.Fatalf("voucher 1004 documents = %+v, %v; want the PDF, the timesheet, the delivery note and the order", docs, err)
	}
	e.relatedOrder(t, viewer, v, docs[3])
	for i, want := range []string{"application/pdf", "image/png"} {
		d := docs[i+1]
		r := viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", e.co.ID, v.ID, d.ID))
		wantStatus(t, "sales invoice attachment "+d.FileName, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, want) {
			t.Errorf("attachment %s: Content-Type %q, want %s", d.FileName, ct, want)
		}
		again, _ := e.db.VoucherDocument(t.Context(), e.co.ID, v.ID, d.ID)
		if again == nil || again.SHA256 == "" {
			t.Errorf("attachment %s: no hash recorded after a whole read", d.FileName)
		}
	}
	// A partial payment, then the reminder: the next sync reads them (one
	// salesinvoicelist.nv), and the page says so without asking Netvisor
	// for them (its one getsalesinvoice.nv lists the attachments).
	e.sb.SetOpenSum(nvsandbox.DemoOrgID, 602, 40000)
	e.sb.SetInvoiceStatus(nvsandbox.DemoOrgID, 602, "reminded")
	conn, err := e.svc.Current(t.Context(), e.co.ID)
	if err != nil {
		t.Fatal(err)
	}
	lists := e.sb.Calls("salesinvoicelist.nv")
	if _, err := e.svc.Sync(t.Context(), conn); err != nil {
		t.Fatalf("Sync() = %v", err)
	}
	if n := e.sb.Calls("salesinvoicelist.nv") - lists; n != 1 {
		t.Errorf("the sync made %d salesinvoicelist.nv calls, want 1", n)
	}
	if docs, _ := e.db.VoucherDocuments(t.Context(), e.co.ID, v.ID); docs[0].InvoiceStatus != "reminded" || docs[0].OpenSumValue() != 40000 {
		t.Errorf("after the sync the index has %+v, want reminded, 400,00", docs[0])
	}
	lists, gets := e.sb.Calls("salesinvoicelist.nv"), e.sb.Calls("getsalesinvoice.nv")
	page = viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.co.ID, v.ID))
	wantText(t, "voucher page after a partial payment", page, tr("invoice.status.reminded"), "400,00")
	if l, g := e.sb.Calls("salesinvoicelist.nv")-lists, e.sb.Calls("getsalesinvoice.nv")-gets; l != 0 || g > 1 {
		t.Errorf("the voucher page made %d salesinvoicelist.nv and %d getsalesinvoice.nv calls, want 0 and at most 1", l, g)
	}
	// The API says the same; its answer is checked against openapi.json.
	r := e.api(t, e.tokenFor(e.viewer), fmt.Sprintf("/api/v1/companies/%d/vouchers/%d", e.co.ID, v.ID))
	wantStatus(t, "API voucher 1004", r, http.StatusOK)
	wantText(t, "API voucher 1004", r, `"invoice_status":"reminded"`, `"open_sum":"400.00"`)
}

// relatedOrder: the order the sales invoice was made from is a tab of the
// voucher page, read with getorder.nv as a page of its lines, amounts and
// status (in the frame and on its own), each read audited as an open; the
// id of another company's voucher is 404 without a call.
func (e *nvEnv) relatedOrder(t *testing.T, viewer *browser, v db.Voucher, order db.VoucherDocument) {
	t.Helper()
	page := viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d", e.co.ID, v.ID))
	wantText(t, "voucher page with its order", page, tr("record.order", "5002"))
	src := fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", e.co.ID, v.ID, order.ID)
	for _, u := range []string{src, src + "/view"} {
		calls := e.sb.Calls("getorder.nv")
		r := viewer.get(u)
		wantStatus(t, "order "+u, r, http.StatusOK)
		wantText(t, "order "+u, r, tr("record.order", "5002"), tr("record.status.billed"), "Baaritiski", "1\u00a0000,00", "1\u00a0240,00", "Ravintola Särö")
		if n := e.sb.Calls("getorder.nv") - calls; n != 1 {
			t.Errorf("order %s: %d getorder.nv calls, want 1", u, n)
		}
	}
	es, err := e.db.CompanyAudit(t.Context(), db.AuditFilter{CompanyID: e.co.ID, Action: db.AuditDocumentOpen}, 0, 100)
	opens := 0
	for _, ev := range es {
		if ev.Target == "5002" && strings.Contains(ev.Detail, "kind=sales_order") {
			opens++
		}
	}
	if err != nil || opens != 2 {
		t.Errorf("audited opens of the order = %d, %v; want 2", opens, err)
	}
	other := &db.Company{Name: "Muu Oy", Country: "FI", Active: true}
	if err := e.db.CreateCompany(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "the order through another company", viewer.get(fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", other.ID, v.ID, order.ID)), http.StatusNotFound)
}
