package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"bilag/connectors/connectortest"
	"bilag/connectors/samplepdf"
)

// exportSpec is the test data written from e-conomic's documents for the
// export endpoints.
var exportSpec = connectortest.OpenAPI("../testdata/economic-export.openapi.yaml")

var exportApp = App{Name: "Bilag export", PublicToken: "exp-pub", SecretToken: "exp-sec", Role: RoleSuperUser}

// exporter is a grant of the export app (SuperUser) for Nordlys.
type exporter struct {
	t      *testing.T
	srv    *httptest.Server
	sb     *Sandbox
	secret string
	token  string
}

func newExporter(t *testing.T, opts ...Option) *exporter {
	t.Helper()
	sb := New(append([]Option{WithApp(exportApp)}, opts...)...)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	tok, ok := sb.GrantFor(exportApp.PublicToken, "revisor@demo.dk", AgreementNordlys)
	if !ok {
		t.Fatal("no grant")
	}
	return &exporter{t: t, srv: srv, sb: sb, secret: exportApp.SecretToken, token: tok}
}

// call sends a JSON request, checks a JSON request against the spec's
// request schema and the answer against its response (a success) or the
// annotated error shape (an error), and decodes the answer.
func (e *exporter) call(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	st, b, _ := e.raw(method, path, "application/json", raw, body != nil)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return st, m
}

func (e *exporter) raw(method, path, contentType string, raw []byte, checkRequest bool) (int, []byte, http.Header) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(raw))
	req.Header.Set("X-AppSecretToken", e.secret)
	req.Header.Set("X-AgreementGrantToken", e.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if checkRequest && resp.StatusCode < 300 {
		// What the sandbox accepts must be a documented request.
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(raw))
		if ok, errs := exportSpec(e.t).ValidateHttpRequest(clone); !ok {
			for _, ve := range errs {
				e.t.Errorf("accepted request %s %s does not match the spec: %s (%s) %v", method, path, ve.Message, ve.Reason, ve.SchemaValidationErrors)
			}
		}
	}
	check := &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(b)), Request: req}
	switch {
	case resp.StatusCode < 300 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		if ok, errs := exportSpec(e.t).ValidateHttpResponse(req, check); !ok {
			for _, ve := range errs {
				e.t.Errorf("answer to %s %s (%d) does not match the spec: %s (%s) %v", method, path, resp.StatusCode, ve.Message, ve.Reason, ve.SchemaValidationErrors)
			}
		}
	case resp.StatusCode >= 400:
		var a struct {
			Message        string `json:"message"`
			DeveloperHint  string `json:"developerHint"`
			LogID          string `json:"logId"`
			HTTPStatusCode int    `json:"httpStatusCode"`
		}
		if json.Unmarshal(b, &a) != nil || a.Message == "" || a.LogID == "" || a.DeveloperHint == "" || a.HTTPStatusCode != resp.StatusCode {
			e.t.Errorf("%s %s: error %d is not the annotated shape: %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, b, resp.Header
}

// fieldErrors reads an annotated error's errors at a dotted path
// ("lines.1.product" reads the line whose arrayIndex is 1).
func fieldErrors(m map[string]any, path string) []map[string]any {
	var cur any = m["errors"]
	for _, k := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[k]
		case []any:
			var found any
			for _, item := range x {
				if im, ok := item.(map[string]any); ok && fmt.Sprint(im["arrayIndex"]) == k {
					found = im
				}
			}
			cur = found
		default:
			return nil
		}
	}
	node, _ := cur.(map[string]any)
	list, _ := node["errors"].([]any)
	var out []map[string]any
	for _, e := range list {
		if em, ok := e.(map[string]any); ok {
			out = append(out, em)
		}
	}
	return out
}

func TestExportListsRolesAndDemo(t *testing.T) {
	e := newExporter(t)
	for _, p := range []string{"/product-groups", "/product-groups/1", "/product-groups/1/sales-accounts", "/products", "/vat-accounts", "/vat-zones",
		"/payment-terms", "/layouts", "/customer-groups", "/customers", "/journals", "/journals/1", "/invoices/drafts", "/products/2"} {
		if st, _ := e.call("GET", p, nil); st != 200 {
			t.Errorf("GET %s: %d", p, st)
		}
	}
	_, m := e.call("GET", "/journals/1", nil)
	if m["name"] != "Daily" {
		t.Errorf("journal 1 = %v, want Daily (seed 001)", m["name"])
	}
	_, m = e.call("GET", "/payment-terms?pagesize=100", nil)
	kinds := map[string]bool{}
	for _, it := range m["collection"].([]any) {
		kinds[it.(map[string]any)["paymentTermsType"].(string)] = true
	}
	if !kinds["net"] || !kinds["invoiceMonth"] {
		t.Errorf("payment term kinds %v: want net days and current month + N", kinds)
	}
	_, m = e.call("GET", "/vat-zones", nil)
	if n := len(m["collection"].([]any)); n != 3 {
		t.Errorf("%d VAT zones, want domestic, EU, abroad", n)
	}
	// Product groups document no filterable property: a filter is a 400.
	if st, _ := e.call("GET", "/product-groups?filter="+url.QueryEscape("name$eq:x"), nil); st != 400 {
		t.Errorf("a filter on product groups: %d", st)
	}

	// Write access follows the app's role: a Bookkeeping grant reaches the
	// journals, not the customers; a Sales grant the reverse.
	book := App{Name: "Book", PublicToken: "b-pub", SecretToken: "b-sec", Role: RoleBookkeeping}
	sale := App{Name: "Sale", PublicToken: "s-pub", SecretToken: "s-sec", Role: RoleSales}
	sb := New(WithApp(book), WithApp(sale))
	srv := httptest.NewServer(sb)
	defer srv.Close()
	bt, _ := sb.GrantFor("b-pub", "revisor@demo.dk", AgreementNordlys)
	stt, _ := sb.GrantFor("s-pub", "revisor@demo.dk", AgreementNordlys)
	bk := &exporter{t: t, srv: srv, sb: sb, secret: "b-sec", token: bt}
	sl := &exporter{t: t, srv: srv, sb: sb, secret: "s-sec", token: stt}
	if st, _ := bk.call("POST", "/customers", map[string]any{"name": "X"}); st != 403 {
		t.Errorf("a Bookkeeping grant creates a customer: %d", st)
	}
	if st, _ := sl.call("GET", "/journals/1/vouchers", nil); st != 403 {
		t.Errorf("a Sales grant reads a journal: %d", st)
	}
	// The demo tokens read, and write nothing.
	demo := &exporter{t: t, srv: srv, sb: sb, secret: "demo", token: "demo"}
	if st, _ := demo.call("GET", "/product-groups", nil); st != 200 {
		t.Errorf("demo reads product groups: %d", st)
	}
	if st, _, _ := demo.raw("POST", "/products", "application/json", []byte(`{"productNumber":"9","name":"x","productGroup":{"productGroupNumber":1}}`), false); st != 403 {
		t.Errorf("demo creates a product: %d", st)
	}
}

func TestExportCustomersAndProducts(t *testing.T) {
	e := newExporter(t)
	newCustomer := map[string]any{"name": "Kattegat Transport ApS", "corporateIdentificationNumber": "31415926", "currency": "DKK",
		"customerGroup": map[string]any{"customerGroupNumber": 1}, "paymentTerms": map[string]any{"paymentTermsNumber": 3},
		"vatZone": map[string]any{"vatZoneNumber": 1}, "address": "Strandvejen 1", "zip": "2100", "city": "København Ø"}
	st, m := e.call("POST", "/customers", newCustomer)
	if st != 201 || m["customerNumber"] != float64(3) {
		t.Fatalf("create customer: %d %v", st, m)
	}
	st, m = e.call("GET", "/customers?filter="+url.QueryEscape("corporateIdentificationNumber$eq:31415926"), nil)
	if st != 200 || len(m["collection"].([]any)) != 1 {
		t.Errorf("find by CVR: %d %v", st, m)
	}
	st, m = e.call("GET", "/customers?filter="+url.QueryEscape("customerNumber$eq:3"), nil)
	if st != 200 || len(m["collection"].([]any)) != 1 {
		t.Errorf("find by number: %d %v", st, m)
	}
	// Every documented required property missing at once, each named.
	st, m = e.call("POST", "/customers", map[string]any{"name": "Uden alt"})
	if st != 400 || m["message"] != "Validation error." {
		t.Fatalf("customer without its required properties: %d %v", st, m)
	}
	for _, f := range []string{"currency", "customerGroup", "paymentTerms", "vatZone"} {
		if len(fieldErrors(m, f)) != 1 {
			t.Errorf("no annotated error on %s: %v", f, m["errors"])
		}
	}
	// null is refused; the property is left out instead.
	if st, _, _ := e.raw("POST", "/customers", "application/json", []byte(`{"name":"N","currency":"DKK","customerGroup":{"customerGroupNumber":1},"paymentTerms":{"paymentTermsNumber":1},"vatZone":{"vatZoneNumber":1},"email":null}`), false); st != 400 {
		t.Errorf("a null: %d", st)
	}
	if st, _, _ := e.raw("POST", "/customers", "text/plain", []byte(`x`), false); st != 415 {
		t.Errorf("not JSON: %d", st)
	}

	// A product without a product group, and one with a group that does
	// not exist: the documented annotated 400.
	st, m = e.call("POST", "/products", map[string]any{"productNumber": "3010", "name": "Fragt 3010"})
	if es := fieldErrors(m, "productGroup"); st != 400 || len(es) != 1 {
		t.Fatalf("product without a group: %d %v", st, m)
	}
	st, m = e.call("POST", "/products", map[string]any{"productNumber": "3010", "name": "Fragt 3010", "productGroup": map[string]any{"productGroupNumber": 3010}})
	es := fieldErrors(m, "productGroup")
	if st != 400 || len(es) != 1 || es[0]["errorCode"] != "E06000" || es[0]["message"] != "productGroup does not exist." || es[0]["value"] != float64(3010) {
		t.Fatalf("product with a group that does not exist: %d %v", st, m)
	}
	st, m = e.call("POST", "/products", map[string]any{"productNumber": "3010", "name": "Fragt 3010", "productGroup": map[string]any{"productGroupNumber": 2}, "salesPrice": 100})
	if st != 201 || m["productNumber"] != "3010" {
		t.Fatalf("create product: %d %v", st, m)
	}
	if st, _ := e.call("POST", "/products", map[string]any{"productNumber": "3010", "name": "Igen", "productGroup": map[string]any{"productGroupNumber": 2}}); st != 400 {
		t.Errorf("a product number twice: %d", st)
	}
	// A product number with characters of the custom self-link encoding.
	st, m = e.call("POST", "/products", map[string]any{"productNumber": "A/B 1", "name": "Skråstreg", "productGroup": map[string]any{"productGroupNumber": 1}})
	if st != 201 || !strings.HasSuffix(m["self"].(string), "/products/A_6_B_9_1") {
		t.Fatalf("self link of A/B 1: %d %v", st, m["self"])
	}
	if st, _ := e.call("GET", "/products/A_6_B_9_1", nil); st != 200 {
		t.Errorf("GET by the encoded self link: %d", st)
	}
}

func draftBody(customer int64, date string, terms, zone int64, lines ...map[string]any) map[string]any {
	ls := make([]any, len(lines))
	for i, l := range lines {
		ls[i] = l
	}
	return map[string]any{"date": date, "currency": "DKK", "customer": map[string]any{"customerNumber": customer},
		"layout": map[string]any{"layoutNumber": 1}, "paymentTerms": map[string]any{"paymentTermsNumber": terms},
		"recipient":  map[string]any{"name": "Fjordfragt A/S", "vatZone": map[string]any{"vatZoneNumber": zone}},
		"references": map[string]any{"other": "OPTER-" + date}, "lines": ls}
}

func line(product string, qty, price float64) map[string]any {
	return map[string]any{"product": map[string]any{"productNumber": product}, "description": "Linje " + product, "quantity": qty, "unitNetPrice": price}
}

func TestExportDraftBookAndImmutability(t *testing.T) {
	e := newExporter(t)
	st, m := e.call("POST", "/invoices/drafts", draftBody(1, "2025-03-10", 4, VatZoneDomestic, line("1", 2, 500), line("2", 4, 25.5)))
	if st != 201 {
		t.Fatalf("draft: %d %v", st, m)
	}
	draft := int64(m["draftInvoiceNumber"].(float64))
	// 1,000 + 102 net, VAT 25 % from the groups' domestic sales accounts;
	// løbende måned + 30: 31 March + 30 days.
	if m["netAmount"] != 1102.0 || m["vatAmount"] != 275.5 || m["grossAmount"] != 1377.5 || m["dueDate"] != "2025-04-30" {
		t.Errorf("draft totals: net %v vat %v gross %v due %v", m["netAmount"], m["vatAmount"], m["grossAmount"], m["dueDate"])
	}
	// The documented line errors: quantity with a product, two decimals.
	st, m = e.call("POST", "/invoices/drafts", draftBody(1, "2025-03-10", 3, 1,
		map[string]any{"product": map[string]any{"productNumber": "1"}, "description": "x", "unitNetPrice": 10.123},
		map[string]any{"product": map[string]any{}, "quantity": 1}))
	if st != 400 || len(fieldErrors(m, "lines.0.quantity")) != 1 || fieldErrors(m, "lines.0.unitNetPrice")[0]["errorCode"] != "E04740" ||
		fieldErrors(m, "lines.1.product")[0]["errorCode"] != "E04500" {
		t.Errorf("line errors: %d %v", st, m["errors"])
	}
	st, m = e.call("POST", "/invoices/drafts", map[string]any{"currency": "ZUL"})
	if st != 400 || fieldErrors(m, "currency")[0]["errorCode"] != "E06000" || len(fieldErrors(m, "recipient")) != 1 || len(fieldErrors(m, "layout")) != 1 {
		t.Errorf("draft without its required properties: %d %v", st, m["errors"])
	}

	// Book with the source's number: the full booked invoice.
	st, m = e.call("POST", "/invoices/booked", map[string]any{"draftInvoice": map[string]any{"draftInvoiceNumber": draft}, "bookWithNumber": 7001})
	if st != 201 || m["bookedInvoiceNumber"] != float64(7001) || m["grossAmount"] != 1377.5 {
		t.Fatalf("book: %d %v", st, m)
	}
	lines := m["lines"].([]any)
	if l := lines[0].(map[string]any); l["vatRate"] != 25.0 || l["vatAmount"] != 250.0 {
		t.Errorf("booked line: %v", l)
	}
	if st, _ := e.call("GET", fmt.Sprintf("/invoices/drafts/%d", draft), nil); st != 404 {
		t.Errorf("the booked draft is still a draft: %d", st)
	}
	if st, m := e.call("GET", "/invoices/booked/7001", nil); st != 200 || m["references"].(map[string]any)["other"] != "OPTER-2025-03-10" {
		t.Errorf("GET booked 7001: %d %v", st, m)
	}
	// Booking the same draft again: it is gone.
	st, m = e.call("POST", "/invoices/booked", map[string]any{"draftInvoice": map[string]any{"draftInvoiceNumber": draft}, "bookWithNumber": 7002})
	if st != 400 || fieldErrors(m, "draftInvoice")[0]["errorCode"] != "E06000" {
		t.Errorf("the draft booked twice: %d %v", st, m)
	}
	// Another draft with the same number: refused.
	_, m = e.call("POST", "/invoices/drafts", draftBody(2, "2025-03-11", 3, VatZoneEU, line("1", 1, 100)))
	second := m["draftInvoiceNumber"]
	st, m = e.call("POST", "/invoices/booked", map[string]any{"draftInvoice": map[string]any{"draftInvoiceNumber": second}, "bookWithNumber": 7001})
	if st != 400 || len(fieldErrors(m, "bookWithNumber")) != 1 {
		t.Errorf("bookWithNumber taken twice: %d %v", st, m)
	}
	// The same number by PUT (the documented alternative): refused too;
	// a free one books, EU with no VAT.
	if st, _ := e.call("PUT", "/invoices/booked/7001", map[string]any{"draftInvoice": map[string]any{"draftInvoiceNumber": second}}); st != 400 {
		t.Errorf("PUT on a booked number: %d", st)
	}
	st, m = e.raw2("PUT", "/invoices/booked/7002", map[string]any{"draftInvoice": map[string]any{"draftInvoiceNumber": second}})
	if st != 201 || m["bookedInvoiceNumber"] != float64(7002) || m["vatAmount"] != 0.0 {
		t.Errorf("PUT books: %d %v", st, m)
	}
	// A booked invoice is immutable.
	for _, method := range []string{"DELETE", "PATCH"} {
		if st, _ := e.call(method, "/invoices/booked/7001", nil); st != 405 {
			t.Errorf("%s a booked invoice: %d", method, st)
		}
	}
	// Booking wrote the ledger: voucher 41 of 2025 holds invoice 7001.
	resp, body := do(t, e.srv, "GET", "/accounting-years/2025/entries?filter="+url.QueryEscape("voucherNumber$eq:41"), e.secret, e.token)
	if resp.StatusCode != 200 || !strings.Contains(body, `"bookedInvoiceNumber":7001`) || !strings.Contains(body, `"amount":1377.5`) {
		t.Errorf("entries of the booked invoice: %d %s", resp.StatusCode, body)
	}
	// A barred product, a closed year: no booking.
	_, m = e.call("POST", "/invoices/drafts", draftBody(1, "2025-05-01", 3, 1, line("99", 1, 10)))
	st, m = e.call("POST", "/invoices/booked", map[string]any{"draftInvoice": map[string]any{"draftInvoiceNumber": m["draftInvoiceNumber"]}})
	if st != 400 || len(fieldErrors(m, "lines.0.product")) != 1 {
		t.Errorf("a barred product booked: %d %v", st, m)
	}
	_, m = e.call("POST", "/invoices/drafts", draftBody(1, "2024-05-01", 3, 1, line("1", 1, 10)))
	if st, m := e.call("POST", "/invoices/booked", map[string]any{"draftInvoice": map[string]any{"draftInvoiceNumber": m["draftInvoiceNumber"]}}); st != 400 || len(fieldErrors(m, "date")) != 1 {
		t.Errorf("booked into the closed 2024: %d %v", st, m)
	}
}

// raw2 is call for a method the spec documents differently (PUT booking).
func (e *exporter) raw2(method, path string, body any) (int, map[string]any) {
	raw, _ := json.Marshal(body)
	st, b, _ := e.raw(method, path, "application/json", raw, false)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return st, m
}

func voucherBody(year string, customer, invoice int64, amount float64) map[string]any {
	return map[string]any{"accountingYear": map[string]any{"year": year}, "journal": map[string]any{"journalNumber": 1},
		"entries": map[string]any{"manualCustomerInvoices": []any{map[string]any{
			"customer": map[string]any{"customerNumber": customer}, "customerInvoice": invoice, "text": fmt.Sprintf("Faktura %d (bilag:abc)", invoice),
			"amount": amount, "contraAccount": map[string]any{"accountNumber": 1010}, "contraVatAccount": map[string]any{"vatCode": "U25"},
			"currency": map[string]any{"code": "DKK"}, "date": "2025-06-02", "dueDate": "2025-07-02"}}}}
}

func TestExportJournalVoucherAndAttachment(t *testing.T) {
	e := newExporter(t)
	st, m := e.call("POST", "/journals/1/vouchers", voucherBody("2025", 1, 1001, 1250))
	if st != 201 || m["voucherNumber"] != float64(41) {
		t.Fatalf("voucher: %d %v", st, m)
	}
	self := m["self"].(string)
	if !strings.HasSuffix(self, "/journals/1/vouchers/2025-41") {
		t.Errorf("voucher self %s", self)
	}
	st, m = e.call("GET", "/journals/1/vouchers", nil)
	if st != 200 || len(m["collection"].([]any)) != 1 {
		t.Errorf("journal's vouchers: %d %v", st, m)
	}
	// Unbooked: the ledger has no voucher 41.
	if resp, body := do(t, e.srv, "GET", "/accounting-years/2025/entries?filter="+url.QueryEscape("voucherNumber$eq:41"), e.secret, e.token); resp.StatusCode != 200 || !strings.Contains(body, `"results":0`) {
		t.Errorf("a journal voucher is in the ledger: %s", body)
	}
	// The documented errors of an entry, with their arrayIndex.
	bad := voucherBody("2025", 99, 1002, 10)
	bad["entries"].(map[string]any)["manualCustomerInvoices"].([]any)[0].(map[string]any)["contraVatAccount"] = map[string]any{"vatCode": "ZZ"}
	st, m = e.call("POST", "/journals/1/vouchers", bad)
	if st != 400 || fieldErrors(m, "entries.manualCustomerInvoices.0.customer")[0]["errorCode"] != "E06000" ||
		len(fieldErrors(m, "entries.manualCustomerInvoices.0.contraVatAccount")) != 1 {
		t.Errorf("bad entry: %d %v", st, m["errors"])
	}
	if st, _ := e.call("POST", "/journals/1/vouchers", voucherBody("2024", 1, 1003, 10)); st != 400 {
		t.Errorf("a voucher in the closed 2024: %d", st)
	}
	if st, _ := e.raw2("POST", "/journals/2/vouchers", voucherBody("2025", 1, 1004, 10)); st != 400 {
		t.Errorf("a customer invoice in the payments-only journal 2: %d", st)
	}
	if st, _ := e.call("POST", "/journals/9/vouchers", voucherBody("2025", 1, 1005, 10)); st != 404 {
		t.Errorf("journal 9: %d", st)
	}

	// The invoice PDF on the voucher.
	pdf := samplepdf.Page([]string{"Faktura 1001"}, 0)
	upload := func(name string, data []byte) (int, map[string]any) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		fw, _ := w.CreateFormFile("", name)
		_, _ = fw.Write(data)
		_ = w.Close()
		st, b, _ := e.raw("POST", "/journals/1/vouchers/2025-41/attachment/file", w.FormDataContentType(), buf.Bytes(), false)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return st, m
	}
	if st, _, _ := e.raw("POST", "/journals/1/vouchers/2025-41/attachment/file", "application/json", []byte(`{}`), false); st != 415 {
		t.Errorf("a JSON upload: %d", st)
	}
	if st, _ := upload("faktura.txt", []byte("hello")); st != 400 {
		t.Errorf("a text file: %d", st)
	}
	if st, m := upload("faktura-1001.pdf", pdf); st != 201 || m["pages"] != float64(1) {
		t.Fatalf("upload: %d %v", st, m)
	}
	if st, _ := upload("faktura-1001.pdf", pdf); st != 400 {
		t.Errorf("a second file: %d", st)
	}
	if st, m := e.call("GET", "/journals/1/vouchers/2025-41/attachment", nil); st != 200 || m["pages"] != float64(1) {
		t.Errorf("attachment: %d %v", st, m)
	}
	if st, b, h := e.raw("GET", "/journals/1/vouchers/2025-41/attachment/file", "", nil, false); st != 200 || !bytes.Equal(b, pdf) || h.Get("Content-Type") != "application/pdf" {
		t.Errorf("the file back: %d %s", st, h.Get("Content-Type"))
	}

	// Bulk creation: an array, answered with an array.
	raw, _ := json.Marshal([]any{voucherBody("2025", 1, 1006, 10), voucherBody("2025", 2, 1007, 20)})
	st, b, _ := e.raw("POST", "/journals/1/vouchers", "application/json", raw, false)
	var arr []map[string]any
	if st != 201 || json.Unmarshal(b, &arr) != nil || len(arr) != 2 || arr[1]["voucherNumber"] != float64(43) {
		t.Errorf("bulk: %d %s", st, b)
	}
}
