package economic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/connectors/economic/sandbox"
	"bilag/connectors/samplepdf"
)

// exportApp is the export's own app, registered as SuperUser: the
// invoice method needs Sales, the voucher method Bookkeeping (e-conomic's
// permissions page), and no narrower role reaches both.
var exportApp = sandbox.App{Name: "Bilag export", PublicToken: "bilag-export-public", SecretToken: "bilag-export-secret-0123456789", Role: sandbox.RoleSuperUser}

// loadExportSpec is the test-data spec of the export endpoints.
var loadExportSpec = connectortest.OpenAPI("testdata/economic-export.openapi.yaml")

// exportChecking checks every JSON request the client sends against the
// export spec (written from e-conomic's documents), and every answer
// against it (the read side's /self and /accounting-years against the
// read spec).
type exportChecking struct {
	t    *testing.T
	base http.RoundTripper
}

func (ec *exportChecking) RoundTrip(req *http.Request) (*http.Response, error) {
	readSide := req.URL.Path == "/self" || strings.HasPrefix(req.URL.Path, "/accounting-years")
	if req.Body != nil && strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		raw, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(raw))
		clone := req.Clone(context.Background())
		clone.Body = io.NopCloser(bytes.NewReader(raw))
		if ok, errs := loadExportSpec(ec.t).ValidateHttpRequest(clone); !ok {
			for _, e := range errs {
				ec.t.Errorf("request %s %s does not match the documents: %s (%s) %v", req.Method, req.URL.Path, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	}
	resp, err := ec.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	check := &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		v := loadExportSpec(ec.t)
		if readSide {
			v = specV
		}
		if ok, errs := v.ValidateHttpResponse(req, check); !ok {
			for _, e := range errs {
				ec.t.Errorf("answer to %s %s (%d) does not match the documents: %s (%s) %v", req.Method, req.URL.Path, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	case resp.StatusCode >= 400:
		checkErrorShape(ec.t, req, resp, body)
	}
	return resp, nil
}

// faulty plays the network between Bilag and e-conomic: fault, when set,
// decides what happens to a request.
type faulty struct {
	base http.RoundTripper
	mu   sync.Mutex
	// fault names the endpoint ("POST /invoices/booked") whose next
	// request meets what, once.
	fault map[string]string
}

const (
	// dropAnswer: e-conomic processes the request; its answer is lost.
	dropAnswer = "drop answer"
	// neverSent: the connection fails before the request is written.
	neverSent = "never sent"
	// serverError: e-conomic processes the request and answers 500.
	serverError = "500"
)

func (f *faulty) once(endpoint, what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault[endpoint] = what
}

func (f *faulty) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	key := req.Method + " " + req.URL.Path
	what := f.fault[key]
	delete(f.fault, key)
	f.mu.Unlock()
	if what == neverSent {
		return nil, &net0Error{}
	}
	resp, err := f.base.RoundTrip(req)
	if err != nil || what == "" {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if what == serverError {
		return &http.Response{StatusCode: 500, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"message":"Internal server error.","developerHint":"Try again or contact support.","logId":"x-500","httpStatusCode":500}`))}, nil
	}
	return nil, io.ErrUnexpectedEOF
}

// net0Error is a refused connection.
type net0Error struct{}

func (*net0Error) Error() string   { return "dial tcp: connection refused" }
func (*net0Error) Timeout() bool   { return false }
func (*net0Error) Temporary() bool { return false }

type exportEnv struct {
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	c     *Connector
	x     *Exporter
	g     connectors.Grant
	net   *faulty
	logs  *bytes.Buffer
	ctx   context.Context
	token string
}

// newExportEnv connects the export app to Nordlys as the demo accountant
// (SuperUser there) and takes the grant through HandleCallback.
func newExportEnv(t *testing.T, app sandbox.App, opts ...sandbox.Option) *exportEnv {
	t.Helper()
	newEnv(t) // loads the read spec
	sb := sandbox.New(append([]sandbox.Option{sandbox.WithApp(bookkeepingApp), sandbox.WithApp(app)}, opts...)...)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	net := &faulty{fault: map[string]string{}}
	net.base = &exportChecking{t: t, base: srv.Client().Transport}
	logs := &bytes.Buffer{}
	cfg := Config{AppPublicToken: bookkeepingApp.PublicToken, AppSecretToken: bookkeepingApp.SecretToken,
		ExportAppPublicToken: app.PublicToken, ExportAppSecretToken: app.SecretToken,
		GrantURL: srv.URL + "/secure/api1/requestaccess.aspx", APIURL: srv.URL, DocumentsAPIURL: srv.URL + sandbox.DocumentsPrefix,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	c, err := cfg.Open(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), &http.Client{Transport: net})
	if err != nil {
		t.Fatal(err)
	}
	x := c.Exporter()
	if x == nil {
		t.Fatal("no exporter")
	}
	tok, ok := sb.GrantFor(app.PublicToken, "revisor@demo.dk", sandbox.AgreementNordlys)
	if !ok {
		t.Fatal("no grant")
	}
	ctx := connectors.WithBackoff(t.Context(), connectors.Background())
	g, err := x.HandleCallback(ctx, url.Values{"token": {tok}})
	if err != nil {
		t.Fatalf("export callback: %v", err)
	}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), tok) || strings.Contains(logs.String(), app.SecretToken) {
			t.Error("a token in the log")
		}
	})
	return &exportEnv{sb: sb, srv: srv, c: c, x: x, g: g, net: net, logs: logs, ctx: ctx, token: tok}
}

func TestExportConfig(t *testing.T) {
	base := Config{AppPublicToken: "p", AppSecretToken: "s"}
	half := base
	half.ExportAppPublicToken = "xp"
	if _, err := half.Open(nil, nil); err == nil {
		t.Error("an export app with no secret opens")
	}
	same := base
	same.ExportAppPublicToken, same.ExportAppSecretToken = "p", "xs"
	if _, err := same.Open(nil, nil); err == nil {
		t.Error("the reading app as the export app opens")
	}
	c, err := base.Open(nil, nil)
	if err != nil || c.Exporter() != nil {
		t.Errorf("no export app: exporter %v, %v", c.Exporter(), err)
	}
	full := base
	full.ExportAppPublicToken, full.ExportAppSecretToken = "export-public", "export-secret-do-not-print"
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "cfg", full)
	for _, s := range []string{fmt.Sprint(full), fmt.Sprintf("%#v", full), fmt.Sprintf("%+v", full), buf.String()} {
		if strings.Contains(s, "export-secret-do-not-print") || !strings.Contains(s, "export-public") {
			t.Errorf("config printed as %s", s)
		}
	}
}

func TestExportPairingListsAndCheck(t *testing.T) {
	e := newExportEnv(t, exportApp)
	groups, err := e.x.ProductGroups(e.ctx, e.g)
	if err != nil || len(groups) != 3 || groups[0].Name != "1010 Salg af varer" {
		t.Fatalf("product groups %v, %v", groups, err)
	}
	sa, err := e.x.SalesAccounts(e.ctx, e.g, 1)
	if err != nil || len(sa) != 3 || sa[0].VatZone.VatZoneNumber != sandbox.VatZoneDomestic || sa[0].SalesAccount.VatAccount == nil ||
		sa[0].SalesAccount.VatAccount.VatCode != "U25" || sa[2].SalesAccount.VatAccount != nil {
		t.Errorf("sales accounts of group 1: %+v, %v", sa, err)
	}
	terms, err := e.x.PaymentTerms(e.ctx, e.g)
	var net30, month30 bool
	for _, pt := range terms {
		net30 = net30 || (pt.PaymentTermsType == PaymentTermsNet && pt.DaysOfCredit == 30)
		month30 = month30 || (pt.PaymentTermsType == PaymentTermsInvoiceMonth && pt.DaysOfCredit == 30)
	}
	if err != nil || !net30 || !month30 {
		t.Errorf("payment terms %v, %v: want net 30 and current month + 30 apart", terms, err)
	}
	zones, err := e.x.VatZones(e.ctx, e.g)
	if err != nil || len(zones) != 3 {
		t.Errorf("VAT zones %v, %v", zones, err)
	}
	journals, err := e.x.Journals(e.ctx, e.g)
	if err != nil || len(journals) == 0 || journals[0].JournalNumber != 1 || journals[0].Name != "Daily" {
		t.Errorf("journals %v, %v", journals, err)
	}
	for name, f := range map[string]func() (int, error){
		"products":        func() (int, error) { l, err := e.x.Products(e.ctx, e.g); return len(l), err },
		"vat accounts":    func() (int, error) { l, err := e.x.VatAccounts(e.ctx, e.g); return len(l), err },
		"layouts":         func() (int, error) { l, err := e.x.Layouts(e.ctx, e.g); return len(l), err },
		"customer groups": func() (int, error) { l, err := e.x.CustomerGroups(e.ctx, e.g); return len(l), err },
	} {
		if n, err := f(); err != nil || n == 0 {
			t.Errorf("%s: %d, %v", name, n, err)
		}
	}
	v, err := e.x.Check(e.ctx, e.g)
	if err != nil || len(v.Problems) != 0 || v.Company.OrgNumber != "35121005" {
		t.Errorf("check of a SuperUser export grant: %+v, %v", v, err)
	}
	// An export app registered as Sales does not reach the journals.
	sales := newExportEnv(t, sandbox.App{Name: "Sales export", PublicToken: "sales-export", SecretToken: "sales-export-secret-0123", Role: sandbox.RoleSales})
	v, err = sales.x.Check(sales.ctx, sales.g)
	if err != nil || len(v.Problems) != 1 || v.Problems[0].Code != ProblemMissingRole || v.Problems[0].Area != "journals" {
		t.Errorf("check of a Sales export grant: %+v, %v", v, err)
	}
	// The reading app's grant is no export grant.
	if _, err := e.x.HandleCallback(e.ctx, url.Values{"token": {mustGrant(t, e.sb, bookkeepingApp)}}); !errors.Is(err, connectors.ErrUnauthorized) && !errors.Is(err, connectors.ErrBadCallback) {
		t.Errorf("the reading app's token as an export grant: %v", err)
	}
}

func mustGrant(t *testing.T, sb *sandbox.Sandbox, app sandbox.App) string {
	t.Helper()
	tok, ok := sb.GrantFor(app.PublicToken, "revisor@demo.dk", sandbox.AgreementNordlys)
	if !ok {
		t.Fatal("no grant")
	}
	return tok
}

// newCustomer is what the pipeline would make of a source invoice's
// customer with the company's paired defaults.
func newCustomer(cvr string) Customer {
	return Customer{Name: "Kattegat Transport ApS", CorporateIdentificationNumber: cvr, Currency: "DKK", Address: "Strandvejen 1",
		Zip: "2100", City: "København Ø", Country: "Danmark",
		CustomerGroup: &CustomerGroupRef{1}, PaymentTerms: &PaymentTermsRef{3}, VatZone: &VatZoneRef{sandbox.VatZoneDomestic}, Layout: &LayoutRef{1}}
}

func TestExportCustomerThenProductGroupMissing(t *testing.T) {
	e := newExportEnv(t, exportApp)
	found, err := e.x.FindCustomers(e.ctx, e.g, CustomerQuery{CorporateIdentificationNumber: "31415926"})
	if err != nil || len(found) != 0 {
		t.Fatalf("find before: %v, %v", found, err)
	}
	cu, err := e.x.CreateCustomer(e.ctx, e.g, newCustomer("31415926"))
	if err != nil || cu.CustomerNumber == 0 || cu.VatZone == nil || cu.VatZone.VatZoneNumber != 1 {
		t.Fatalf("create customer: %+v, %v", cu, err)
	}
	found, err = e.x.FindCustomers(e.ctx, e.g, CustomerQuery{CorporateIdentificationNumber: "31415926", CustomerNumber: cu.CustomerNumber})
	if err != nil || len(found) != 1 || found[0].Name != cu.Name {
		t.Fatalf("find after: %v, %v", found, err)
	}

	// Seed 001: a sales account of the source (3010) with no product
	// group in e-conomic. A product in it cannot be made: the documented
	// annotated 400, E06000, which is a refusal (nothing made, not lost,
	// not worth retrying).
	_, err = e.x.CreateProduct(e.ctx, e.g, Product{ProductNumber: "3010", Name: "Salg 3010", ProductGroup: &ProductGroupRef{3010}})
	r, ok := errors.AsType[*Refusal](err)
	if !ok || !errors.Is(err, ErrRefused) || r.Status != 400 || r.Message != "Validation error." || r.LogID == "" {
		t.Fatalf("CreateProduct() = %v, want a refusal", err)
	}
	if f, ok := r.Field("productGroup"); !ok || f.Code != "E06000" || f.Message != "productGroup does not exist." || f.Value != "3010" {
		t.Errorf("refusal fields %+v, want productGroup E06000 3010", r.Fields)
	}
	if connectors.AnswerLost(err) || connectors.Transient(err) || errors.Is(err, connectors.ErrForbidden) || errors.Is(err, connectors.ErrBadAnswer) {
		t.Errorf("a refusal counts as something else: %v", err)
	}
	if ans := r.Answer(); ans.Accepted || ans.Code != "E06000" || !strings.Contains(ans.Message, "productGroup does not exist.") {
		t.Errorf("Answer() = %+v", ans)
	}
	// No group at all is not sent: the documents name it required.
	sent := e.sb.Stats().Calls["POST /products"]
	if _, err := e.x.CreateProduct(e.ctx, e.g, Product{ProductNumber: "3010", Name: "Salg 3010"}); !errors.Is(err, ErrIncomplete) ||
		!strings.Contains(err.Error(), "productGroup") || e.sb.Stats().Calls["POST /products"] != sent {
		t.Errorf("a product without a group: %v", err)
	}
	p, err := e.x.CreateProduct(e.ctx, e.g, Product{ProductNumber: "3010", Name: "Salg 3010", ProductGroup: &ProductGroupRef{2}, SalesPrice: 10000})
	if err != nil || p.ProductNumber != "3010" || p.SalesPrice != 10000 {
		t.Fatalf("create product in group 2: %+v, %v", p, err)
	}
	if got, err := e.x.Product(e.ctx, e.g, "3010"); err != nil || got.ProductGroup == nil || got.ProductGroup.ProductGroupNumber != 2 {
		t.Errorf("Product(3010) = %+v, %v", got, err)
	}
	if _, err := e.x.Product(e.ctx, e.g, "nosuch/1"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Product(nosuch/1) = %v, want not found", err)
	}
}

func draftFor(customer int64, ref string, lines ...NewInvoiceLine) NewDraftInvoice {
	return NewDraftInvoice{Date: "2025-03-10", Currency: "DKK", Customer: &CustomerRef{customer}, Layout: &LayoutRef{1},
		PaymentTerms: &PaymentTermsRef{4}, Recipient: &Recipient{Name: "Fjordfragt A/S", VatZone: &VatZoneRef{sandbox.VatZoneDomestic}},
		References: &References{Other: ref}, Lines: lines}
}

func freight(qty float64, price Amount) NewInvoiceLine {
	return NewInvoiceLine{Product: &ProductRef{"1"}, Description: "Fragt Aarhus–Hamburg", Quantity: qty, UnitNetPrice: price}
}

func TestExportDraftBookAndLookUp(t *testing.T) {
	e := newExportEnv(t, exportApp)
	d, err := e.x.CreateDraftInvoice(e.ctx, e.g, draftFor(1, "bilag:inv-1", freight(2, 50000), freight(1, -12550)))
	if err != nil || d.DraftInvoiceNumber == 0 {
		t.Fatalf("draft: %+v, %v", d, err)
	}
	// 1,000.00 − 125.50 net, 25 % VAT from group 2's domestic account;
	// current month + 30 days.
	if d.NetAmount != 87450 || d.VatAmount != 21862 || d.GrossAmount != 109312 || d.DueDate != "2025-04-30" {
		t.Errorf("draft amounts: net %v vat %v gross %v due %s", d.NetAmount, d.VatAmount, d.GrossAmount, d.DueDate)
	}
	b, err := e.x.BookInvoice(e.ctx, e.g, d.DraftInvoiceNumber, 20250001)
	if err != nil || b.BookedInvoiceNumber != 20250001 || b.GrossAmount != d.GrossAmount || len(b.Lines) != 2 || b.Lines[0].VatRate != 25 {
		t.Fatalf("book: %+v, %v", b, err)
	}
	got, err := e.x.BookedInvoice(e.ctx, e.g, 20250001)
	if err != nil || got.GrossAmount != d.GrossAmount || got.References.Other != "bilag:inv-1" || got.Customer.CustomerNumber != 1 {
		t.Errorf("BookedInvoice(20250001) = %+v, %v", got, err)
	}
	if _, err := e.x.BookedInvoice(e.ctx, e.g, 20250002); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("BookedInvoice of a free number = %v, want not found", err)
	}

	// The same number again, from another draft: refused, nothing booked.
	d2, err := e.x.CreateDraftInvoice(e.ctx, e.g, draftFor(1, "bilag:inv-2", freight(1, 10000)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.x.BookInvoice(e.ctx, e.g, d2.DraftInvoiceNumber, 20250001)
	if r, ok := errors.AsType[*Refusal](err); !ok {
		t.Errorf("the same number booked twice: %v", err)
	} else if _, ok := r.Field("bookWithNumber"); !ok {
		t.Errorf("refusal names %+v, want bookWithNumber", r.Fields)
	}
	// The booked draft again: it is gone (E06000).
	_, err = e.x.BookInvoice(e.ctx, e.g, d.DraftInvoiceNumber, 20250003)
	if r, ok := errors.AsType[*Refusal](err); !ok || r.Fields[0].Code != "E06000" {
		t.Errorf("a booked draft booked again: %v", err)
	}
	if _, err := e.x.BookInvoice(e.ctx, e.g, d2.DraftInvoiceNumber, 0); err == nil {
		t.Error("booking without the source's number")
	}
}

func TestExportLostAnswersAreLookedUp(t *testing.T) {
	e := newExportEnv(t, exportApp)
	stats := func(name string) int { return e.sb.Stats().Calls[name] }

	// A draft whose answer is lost: made, and found by its reference.
	e.net.once("POST /invoices/drafts", dropAnswer)
	_, err := e.x.CreateDraftInvoice(e.ctx, e.g, draftFor(1, "bilag:lost-draft", freight(1, 10000)))
	if !errors.Is(err, connectors.ErrAnswerLost) || !connectors.AnswerLost(err) || connectors.Transient(err) {
		t.Fatalf("a lost draft answer: %v", err)
	}
	drafts, err := e.x.FindDraftInvoices(e.ctx, e.g, "bilag:lost-draft")
	if err != nil || len(drafts) != 1 {
		t.Fatalf("look-up of the lost draft: %v, %v", drafts, err)
	}

	// A booking whose answer is lost: sent once, and settled by number.
	before := stats("POST /invoices/booked")
	e.net.once("POST /invoices/booked", dropAnswer)
	_, err = e.x.BookInvoice(e.ctx, e.g, drafts[0].DraftInvoiceNumber, 20250101)
	if !connectors.AnswerLost(err) {
		t.Fatalf("a lost booking answer: %v", err)
	}
	if n := stats("POST /invoices/booked") - before; n != 1 {
		t.Errorf("the booking was sent %d times, want once (never a blind retry)", n)
	}
	b, err := e.x.BookedInvoice(e.ctx, e.g, 20250101)
	if err != nil || b.References.Other != "bilag:lost-draft" || b.GrossAmount != 12500 {
		t.Errorf("look-up of the lost booking: %+v, %v", b, err)
	}

	// A 500 after the write: as lost, not as a fault to retry.
	d, _ := e.x.CreateDraftInvoice(e.ctx, e.g, draftFor(1, "bilag:500", freight(1, 10000)))
	e.net.once("POST /invoices/booked", serverError)
	_, err = e.x.BookInvoice(e.ctx, e.g, d.DraftInvoiceNumber, 20250102)
	if !connectors.AnswerLost(err) || connectors.Transient(err) {
		t.Errorf("a 500 to a booking: %v", err)
	}
	if _, err := e.x.BookedInvoice(e.ctx, e.g, 20250102); err != nil {
		t.Errorf("the booking behind the 500: %v", err)
	}

	// A connection that fails before the request is written: not sent,
	// nothing made, safe to send later.
	d, _ = e.x.CreateDraftInvoice(e.ctx, e.g, draftFor(1, "bilag:unsent", freight(1, 10000)))
	before = stats("POST /invoices/booked")
	e.net.once("POST /invoices/booked", neverSent)
	_, err = e.x.BookInvoice(e.ctx, e.g, d.DraftInvoiceNumber, 20250103)
	if connectors.AnswerLost(err) || !errors.Is(err, connectors.ErrUnavailable) || stats("POST /invoices/booked") != before {
		t.Errorf("a booking never sent: %v", err)
	}
	if _, err := e.x.BookedInvoice(e.ctx, e.g, 20250103); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("an unsent booking is booked: %v", err)
	}
	if _, err := e.x.BookInvoice(e.ctx, e.g, d.DraftInvoiceNumber, 20250103); err != nil {
		t.Errorf("sending it later: %v", err)
	}

	// A customer whose answer is lost: found by CVR.
	e.net.once("POST /customers", dropAnswer)
	if _, err := e.x.CreateCustomer(e.ctx, e.g, newCustomer("27182818")); !connectors.AnswerLost(err) {
		t.Errorf("a lost customer answer: %v", err)
	}
	if cs, err := e.x.FindCustomers(e.ctx, e.g, CustomerQuery{CorporateIdentificationNumber: "27182818"}); err != nil || len(cs) != 1 {
		t.Errorf("look-up of the lost customer: %v, %v", cs, err)
	}
}

// voucherFor is the voucher method's entry for a source invoice: the
// customer's account debited with the gross amount, the sales account and
// its VAT code on the contra side.
func voucherFor(customer, invoice int64) NewJournalVoucher {
	return NewJournalVoucher{AccountingYear: "2025", Entries: []ManualCustomerInvoice{{
		Customer: &CustomerRef{customer}, CustomerInvoice: invoice, Text: fmt.Sprintf("Faktura %d", invoice), Amount: 125000,
		ContraAccount: &AccountRef{1010}, ContraVatAccount: &VatCodeRef{"U25"}, Currency: &CurrencyRef{"DKK"},
		Date: "2025-06-02", DueDate: "2025-07-02",
	}}}
}

func TestExportJournalVoucherWithPDF(t *testing.T) {
	e := newExportEnv(t, exportApp)
	v, err := e.x.CreateJournalVoucher(e.ctx, e.g, 1, voucherFor(1, 1001))
	if err != nil || v.VoucherNumber != 41 || v.AccountingYear != "2025" || v.Journal != 1 || len(v.Entries) != 1 || v.Entries[0].Amount != 125000 {
		t.Fatalf("voucher: %+v, %v", v, err)
	}
	pdf := samplepdf.Page([]string{"Faktura 1001", "Fjordfragt A/S"}, 0)
	a, err := e.x.AttachVoucherPDF(e.ctx, e.g, 1, v.AccountingYear, v.VoucherNumber, "faktura-1001.pdf", pdf)
	if err != nil || a.Pages != 1 {
		t.Fatalf("attach: %+v, %v", a, err)
	}
	if a, err := e.x.VoucherAttachment(e.ctx, e.g, 1, "2025", 41); err != nil || a.Pages != 1 {
		t.Errorf("the attachment: %+v, %v", a, err)
	}
	// A second file is refused (PATCH adds pages, not a second POST).
	if _, err := e.x.AttachVoucherPDF(e.ctx, e.g, 1, "2025", 41, "igen.pdf", pdf); !errors.Is(err, ErrRefused) {
		t.Errorf("a second file: %v", err)
	}
	if _, err := e.x.AttachVoucherPDF(e.ctx, e.g, 1, "2025", 41, "x.pdf", []byte("<html>")); err == nil {
		t.Error("a file that is no PDF is sent")
	}
	vs, err := e.x.JournalVouchers(e.ctx, e.g, 1)
	if err != nil || len(vs) != 1 {
		t.Fatalf("the journal's vouchers: %v, %v", vs, err)
	}
	if got, ok := FindVoucher(vs, 1001, 1); !ok || got.VoucherNumber != 41 {
		t.Errorf("FindVoucher(1001) = %+v, %v", got, ok)
	}
	// Left in the journal: the ledger has no voucher 41.
	d, _ := readGrant(e.g)
	var entries struct {
		Collection []entryJSON `json:"collection"`
	}
	if err := e.x.c.get(e.ctx, d, restAPI, "GET /accounting-years/{year}/entries", "/accounting-years/2025/entries",
		url.Values{"filter": {"voucherNumber$eq:41"}}, &entries); err != nil || len(entries.Collection) != 0 {
		t.Errorf("voucher 41 in the ledger: %v, %v", entries.Collection, err)
	}

	// A voucher whose answer is lost: found in the journal by its
	// invoice number; its file, lost too, found by its metadata.
	e.net.once("POST /journals/1/vouchers", dropAnswer)
	if _, err := e.x.CreateJournalVoucher(e.ctx, e.g, 1, voucherFor(1, 1002)); !connectors.AnswerLost(err) {
		t.Fatalf("a lost voucher answer: %v", err)
	}
	vs, _ = e.x.JournalVouchers(e.ctx, e.g, 1)
	lost, ok := FindVoucher(vs, 1002, 1)
	if !ok {
		t.Fatalf("look-up of the lost voucher in %+v", vs)
	}
	if _, err := e.x.VoucherAttachment(e.ctx, e.g, 1, lost.AccountingYear, lost.VoucherNumber); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("a voucher without a file: %v", err)
	}
	e.net.once(fmt.Sprintf("POST /journals/1/vouchers/2025-%d/attachment/file", lost.VoucherNumber), dropAnswer)
	if _, err := e.x.AttachVoucherPDF(e.ctx, e.g, 1, lost.AccountingYear, lost.VoucherNumber, "f.pdf", pdf); !connectors.AnswerLost(err) {
		t.Fatalf("a lost upload answer: %v", err)
	}
	if a, err := e.x.VoucherAttachment(e.ctx, e.g, 1, lost.AccountingYear, lost.VoucherNumber); err != nil || a.Pages != 1 {
		t.Errorf("look-up of the lost upload: %+v, %v", a, err)
	}

	// A journal that takes payments only refuses the entry.
	if _, err := e.x.CreateJournalVoucher(e.ctx, e.g, 2, voucherFor(1, 1003)); !errors.Is(err, ErrRefused) {
		t.Errorf("a customer invoice in journal 2: %v", err)
	}
}

func TestAmountJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		out  string
	}{
		{"1250", 125000, "1250.00"}, {"-12.5", -1250, "-12.50"}, {"0.005", 1, "0.01"}, {"-0.005", -1, "-0.01"},
		{"218.625", 21863, "218.63"}, {"1e2", 10000, "100.00"}, {"0", 0, "0.00"},
	}
	for _, tt := range tests {
		var a Amount
		if err := json.Unmarshal([]byte(tt.in), &a); err != nil || a != tt.want {
			t.Errorf("Amount(%s) = %d, %v; want %d", tt.in, a, err, tt.want)
		}
		if b, _ := json.Marshal(a); string(b) != tt.out {
			t.Errorf("json(%d) = %s, want %s", a, b, tt.out)
		}
	}
	var a Amount
	if err := json.Unmarshal([]byte(`"12"`), &a); err == nil {
		t.Error("a string is an amount")
	}
}

func TestRefusalOfABulkAnswer(t *testing.T) {
	raw := []byte(`{"message":"Validation error.","developerHint":"h","logId":"l","httpStatusCode":400,"errors":[
	 {"arrayIndex":1,"entries":{"manualCustomerInvoices":[{"arrayIndex":0,"customer":{"errors":[{"errorCode":"E06000","message":"customer does not exist.","value":99}]}}]}}]}`)
	r := newRefusal(400, raw)
	f, ok := r.Field("[1].entries.manualCustomerInvoices[0].customer")
	if !ok || f.Code != "E06000" || f.Value != "99" {
		t.Errorf("fields %+v", r.Fields)
	}
	if got := r.Answer(); got.Code != "E06000" || !strings.Contains(got.Message, "customer does not exist.") {
		t.Errorf("Answer() = %+v", got)
	}
}
