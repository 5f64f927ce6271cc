package economic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"bilag/connectors"
)

// Exporter is the low-level client of the invoice export (issue 26, seed
// 001): Bilag's second e-conomic app, which writes a front system's
// invoices into an agreement's books, either as booked invoices (the
// invoice method) or as journal vouchers with the invoice's PDF left for
// the bookkeeper (the voucher method). It knows e-conomic's endpoints and
// nothing of Bilag's pipeline; every endpoint, field and error comes from
// e-conomic's documentation (export_types.go names the sources).
//
// Reads are retried within the caller's backoff like every other call of
// the connector. A write is sent once and never retried: its answer is the
// object made, a *Refusal (nothing made), or connectors.ErrAnswerLost, when
// e-conomic may have made it and the caller must look it up (each write's
// comment names the look-up) before anything is sent again.
//
// Its grants are the export app's own (a grant of the reading app is
// refused by e-conomic: another app's token). Every call counts against
// the agreement's fair-use day with the reading app's, as e-conomic counts
// them per agreement.
type Exporter struct {
	c *Connector
}

// Exporter is the export's client, nil when Config names no export app.
func (c *Connector) Exporter() *Exporter { return c.export }

// newExporter is the export app's side of c: the same endpoints, client,
// logger and call counter, the export app's tokens.
func newExporter(c *Connector) *Exporter {
	cfg := c.cfg
	cfg.AppPublicToken, cfg.AppSecretToken = c.cfg.ExportAppPublicToken, c.cfg.ExportAppSecretToken
	return &Exporter{c: &Connector{cfg: cfg, client: c.client, logger: c.logger.With("app", "export"), sleep: c.sleep, calls: c.calls,
		docs: map[docsKey]docsIndex{}, yearsOf: map[int64]yearsIndex{}}}
}

// LoginURLIn is the export app's requestaccess.aspx, as the reading app's
// (see Connector.LoginURLIn).
func (x *Exporter) LoginURLIn(callbackURL, state, lang string) (string, error) {
	return x.c.LoginURLIn(callbackURL, state, "", lang)
}

// HandleCallback takes the grant token e-conomic appended to the redirect
// URL for the export app and learns its agreement (GET /self). A token of
// another app is refused here, before it is stored.
func (x *Exporter) HandleCallback(ctx context.Context, query url.Values) (connectors.Grant, error) {
	tok, err := callbackToken(query)
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("economic: export callback: %w", err)
	}
	g := &grantData{Token: tok}
	var self selfJSON
	if err := x.c.get(ctx, g, restAPI, "GET /self", "/self", nil, &self); err != nil {
		return connectors.Grant{}, fmt.Errorf("economic: export callback: get self: %w", err)
	}
	if self.Application.AppPublicToken != x.c.cfg.AppPublicToken {
		return connectors.Grant{}, fmt.Errorf("economic: export callback: token of application %q: %w", clip(self.Application.Name, 80), connectors.ErrBadCallback)
	}
	g.Agreement, g.Country, g.Currency = self.AgreementNumber, self.country(), self.Settings.BaseCurrency
	data, err := json.Marshal(g)
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("economic: export callback: %w", err)
	}
	return connectors.Grant{Data: data, Scopes: []string{"export"}}, nil
}

// Check reads whom the export grant belongs to (GET /self) and probes,
// without writing, what the export needs: customers and invoices (the
// Sales or SuperUser role, e-conomic's permissions page) and journals
// (Bookkeeping or SuperUser). A 403 is a missing role in that area; the
// invoice method needs the first, the voucher method both.
func (x *Exporter) Check(ctx context.Context, g connectors.Grant) (connectors.Verdict, error) {
	d, err := readGrant(g)
	if err != nil {
		return connectors.Verdict{}, fmt.Errorf("economic: export check: %w", err)
	}
	var s selfJSON
	if err := x.c.get(ctx, d, restAPI, "GET /self", "/self", nil, &s); err != nil {
		return connectors.Verdict{}, fmt.Errorf("economic: export check: get self: %w", err)
	}
	v := connectors.Verdict{
		Company: connectors.Company{ExternalID: strconv.FormatInt(s.AgreementNumber, 10), Name: s.Company.Name,
			OrgNumber: strings.TrimSpace(s.Company.CompanyIdentificationNumber), Country: s.country()},
		Approver: s.approver(),
	}
	if s.Application.AppPublicToken != x.c.cfg.AppPublicToken {
		v.Problems = append(v.Problems, connectors.Problem{Code: ProblemWrongApp, Upstream: "application " + clip(s.Application.Name, 80)})
		return v, nil
	}
	one := url.Values{"pagesize": {"1"}}
	for _, p := range []struct{ endpoint, path, area string }{
		{"GET /customers", "/customers", "customer_invoices"},
		{"GET /journals", "/journals", "journals"},
	} {
		switch err := x.c.get(ctx, d, restAPI, p.endpoint, p.path, one, nil); {
		case err == nil:
		case errors.Is(err, connectors.ErrForbidden):
			v.Problems = append(v.Problems, connectors.Problem{Code: ProblemMissingRole, Area: p.area, Upstream: "HTTP 403"})
		default:
			return connectors.Verdict{}, fmt.Errorf("economic: export check: probe %s: %w", p.endpoint, err)
		}
	}
	return v, nil
}

// list reads every page of a collection (pagesize 1000, following
// pagination.nextPage).
func list[T any](ctx context.Context, x *Exporter, g connectors.Grant, endpoint, path string, q url.Values) ([]T, error) {
	d, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("economic: %s: %w", endpoint, err)
	}
	if q == nil {
		q = url.Values{}
	}
	q.Set("pagesize", strconv.Itoa(maxPageSize))
	next := x.c.url(restAPI, path, q)
	var out []T
	for range maxPages {
		var page struct {
			Collection []T         `json:"collection"`
			Pagination *pagination `json:"pagination"`
		}
		if err := x.c.getURL(ctx, d, endpoint, next, &page); err != nil {
			return nil, fmt.Errorf("economic: %s: %w", endpoint, err)
		}
		out = append(out, page.Collection...)
		if page.Pagination == nil || page.Pagination.NextPage == "" || len(page.Collection) == 0 {
			break
		}
		next = page.Pagination.NextPage
	}
	return out, nil
}

// one reads one resource.
func one[T any](ctx context.Context, x *Exporter, g connectors.Grant, endpoint, path string) (T, error) {
	var out T
	d, err := readGrant(g)
	if err != nil {
		return out, fmt.Errorf("economic: %s: %w", endpoint, err)
	}
	if err := x.c.get(ctx, d, restAPI, endpoint, path, nil, &out); err != nil {
		return out, fmt.Errorf("economic: %s: %w", endpoint, err)
	}
	return out, nil
}

// --- the lists a company's pairing is made from ---

// ProductGroups lists the product groups (GET /product-groups); seed 001
// names them after the front system's sales accounts.
func (x *Exporter) ProductGroups(ctx context.Context, g connectors.Grant) ([]ProductGroup, error) {
	return list[ProductGroup](ctx, x, g, "GET /product-groups", "/product-groups", nil)
}

// SalesAccounts lists a product group's sales account per VAT zone, with
// its VAT code (GET /product-groups/{n}/sales-accounts): from these and the
// customer's VAT zone follows each line's VAT.
func (x *Exporter) SalesAccounts(ctx context.Context, g connectors.Grant, productGroup int64) ([]SalesAccount, error) {
	return list[SalesAccount](ctx, x, g, "GET /product-groups/{n}/sales-accounts",
		"/product-groups/"+strconv.FormatInt(productGroup, 10)+"/sales-accounts", nil)
}

// Products lists the products (GET /products).
func (x *Exporter) Products(ctx context.Context, g connectors.Grant) ([]Product, error) {
	return list[Product](ctx, x, g, "GET /products", "/products", nil)
}

// Product reads one product (GET /products/{productNumber}, the number
// written with e-conomic's self-link encoding); connectors.ErrNotFound
// when there is none.
func (x *Exporter) Product(ctx context.Context, g connectors.Grant, number string) (Product, error) {
	seg, err := selfSegment(number)
	if err != nil {
		return Product{}, fmt.Errorf("economic: get product: %w", connectors.ErrNotFound)
	}
	return one[Product](ctx, x, g, "GET /products/{productNumber}", "/products/"+seg)
}

// VatAccounts lists the VAT accounts (GET /vat-accounts): the voucher
// method's VAT codes.
func (x *Exporter) VatAccounts(ctx context.Context, g connectors.Grant) ([]VatAccount, error) {
	return list[VatAccount](ctx, x, g, "GET /vat-accounts", "/vat-accounts", nil)
}

// VatZones lists the VAT zones (GET /vat-zones).
func (x *Exporter) VatZones(ctx context.Context, g connectors.Grant) ([]VatZone, error) {
	return list[VatZone](ctx, x, g, "GET /vat-zones", "/vat-zones", nil)
}

// PaymentTerms lists the payment terms (GET /payment-terms), each with its
// type and days: pair on both.
func (x *Exporter) PaymentTerms(ctx context.Context, g connectors.Grant) ([]PaymentTerm, error) {
	return list[PaymentTerm](ctx, x, g, "GET /payment-terms", "/payment-terms", nil)
}

// Layouts lists the layouts (GET /layouts).
func (x *Exporter) Layouts(ctx context.Context, g connectors.Grant) ([]Layout, error) {
	return list[Layout](ctx, x, g, "GET /layouts", "/layouts", nil)
}

// CustomerGroups lists the customer groups (GET /customer-groups).
func (x *Exporter) CustomerGroups(ctx context.Context, g connectors.Grant) ([]CustomerGroup, error) {
	return list[CustomerGroup](ctx, x, g, "GET /customer-groups", "/customer-groups", nil)
}

// Journals lists the journals (GET /journals); seed 001's default is 1,
// "Daily".
func (x *Exporter) Journals(ctx context.Context, g connectors.Grant) ([]Journal, error) {
	return list[Journal](ctx, x, g, "GET /journals", "/journals", nil)
}

// --- customers and products ---

// CustomerQuery finds customers by CVR (corporateIdentificationNumber), by
// number, by name, or by several; all are filterable (_customers.md).
type CustomerQuery struct {
	CorporateIdentificationNumber string
	CustomerNumber                int64
	Name                          string
}

// FindCustomers lists the customers q matches.
func (x *Exporter) FindCustomers(ctx context.Context, g connectors.Grant, q CustomerQuery) ([]Customer, error) {
	var preds []string
	if q.CorporateIdentificationNumber != "" {
		preds = append(preds, "corporateIdentificationNumber$eq:"+escapeFilter(q.CorporateIdentificationNumber))
	}
	if q.CustomerNumber != 0 {
		preds = append(preds, "customerNumber$eq:"+strconv.FormatInt(q.CustomerNumber, 10))
	}
	if q.Name != "" {
		preds = append(preds, "name$eq:"+escapeFilter(q.Name))
	}
	if len(preds) == 0 {
		return nil, errors.New("economic: find customers: a CVR, a customer number or a name is required")
	}
	return list[Customer](ctx, x, g, "GET /customers", "/customers", url.Values{"filter": {strings.Join(preds, "$and:")}})
}

// CreateCustomer creates c (POST /customers). A lost answer
// (connectors.ErrAnswerLost) is settled by FindCustomers with c's CVR, or
// its number when it named one.
func (x *Exporter) CreateCustomer(ctx context.Context, g connectors.Grant, c Customer) (Customer, error) {
	if err := required(map[string]bool{"name": c.Name != "", "currency": c.Currency != "", "customerGroup": c.CustomerGroup != nil,
		"paymentTerms": c.PaymentTerms != nil, "vatZone": c.VatZone != nil}); err != nil {
		return Customer{}, fmt.Errorf("economic: create customer: %w", err)
	}
	var out Customer
	if err := x.write(ctx, g, "POST", "POST /customers", "/customers", c, &out); err != nil {
		return Customer{}, fmt.Errorf("economic: create customer: %w", err)
	}
	return out, nil
}

// CreateProduct creates p (POST /products): name, product number and
// product group are required, and a group that does not exist is refused
// (E06000). A lost answer is settled by Product with p's number, which
// the caller chose.
func (x *Exporter) CreateProduct(ctx context.Context, g connectors.Grant, p Product) (Product, error) {
	if err := required(map[string]bool{"productNumber": p.ProductNumber != "", "name": p.Name != "", "productGroup": p.ProductGroup != nil}); err != nil {
		return Product{}, fmt.Errorf("economic: create product: %w", err)
	}
	var out Product
	if err := x.write(ctx, g, "POST", "POST /products", "/products", p, &out); err != nil {
		return Product{}, fmt.Errorf("economic: create product: %w", err)
	}
	return out, nil
}

// --- the invoice method ---

// CreateDraftInvoice creates a draft (POST /invoices/drafts), which books
// nothing. Put Bilag's reference in References.Other: a lost answer is
// settled by FindDraftInvoices with it (a draft left twice is harmless
// until booked, and is better not left).
func (x *Exporter) CreateDraftInvoice(ctx context.Context, g connectors.Grant, inv NewDraftInvoice) (DraftInvoice, error) {
	if err := required(map[string]bool{"currency": inv.Currency != "", "customer": inv.Customer != nil, "date": inv.Date != "",
		"layout": inv.Layout != nil, "paymentTerms": inv.PaymentTerms != nil, "recipient": inv.Recipient != nil,
		"recipient.name": inv.Recipient != nil && inv.Recipient.Name != "", "recipient.vatZone": inv.Recipient != nil && inv.Recipient.VatZone != nil}); err != nil {
		return DraftInvoice{}, fmt.Errorf("economic: create draft invoice: %w", err)
	}
	var out DraftInvoice
	if err := x.write(ctx, g, "POST", "POST /invoices/drafts", "/invoices/drafts", inv, &out); err != nil {
		return DraftInvoice{}, fmt.Errorf("economic: create draft invoice: %w", err)
	}
	return out, nil
}

// FindDraftInvoices lists the drafts whose references.other is other
// (filterable, _invoices.md).
func (x *Exporter) FindDraftInvoices(ctx context.Context, g connectors.Grant, other string) ([]DraftInvoice, error) {
	if other == "" {
		return nil, errors.New("economic: find draft invoices: a reference is required")
	}
	return list[DraftInvoice](ctx, x, g, "GET /invoices/drafts", "/invoices/drafts", url.Values{"filter": {"references.other$eq:" + escapeFilter(other)}})
}

// BookInvoice books a draft with the number the source gave the invoice
// (POST /invoices/booked with draftInvoice and bookWithNumber) and never
// sends it (no sendBy: the source sent it already). The number is
// required: a lost answer is settled by BookedInvoice(bookWithNumber) —
// found, it is booked; connectors.ErrNotFound, it is not, and the draft is
// still there. A number booked already is refused.
func (x *Exporter) BookInvoice(ctx context.Context, g connectors.Grant, draftInvoiceNumber, bookWithNumber int64) (BookedInvoice, error) {
	if draftInvoiceNumber < 1 || bookWithNumber < 1 {
		return BookedInvoice{}, errors.New("economic: book invoice: a draft and the number to book it with are required")
	}
	req := struct {
		DraftInvoice struct {
			DraftInvoiceNumber int64 `json:"draftInvoiceNumber"`
		} `json:"draftInvoice"`
		BookWithNumber int64 `json:"bookWithNumber"`
	}{BookWithNumber: bookWithNumber}
	req.DraftInvoice.DraftInvoiceNumber = draftInvoiceNumber
	var out BookedInvoice
	if err := x.write(ctx, g, "POST", "POST /invoices/booked", "/invoices/booked", req, &out); err != nil {
		return BookedInvoice{}, fmt.Errorf("economic: book invoice %d: %w", bookWithNumber, err)
	}
	return out, nil
}

// BookedInvoice reads a booked invoice (GET /invoices/booked/{n});
// connectors.ErrNotFound when no invoice has that number.
func (x *Exporter) BookedInvoice(ctx context.Context, g connectors.Grant, number int64) (BookedInvoice, error) {
	return one[BookedInvoice](ctx, x, g, "GET /invoices/booked/{n}", "/invoices/booked/"+strconv.FormatInt(number, 10))
}

// --- the voucher method ---

// CreateJournalVoucher creates a voucher of manual customer invoices in a
// journal (POST /journals/{n}/vouchers), left there for the bookkeeper:
// e-conomic documents no call that books a journal. Store its year and
// number before attaching its file. A lost answer is settled by
// JournalVouchers and FindVoucher on the entry's customer invoice number.
func (x *Exporter) CreateJournalVoucher(ctx context.Context, g connectors.Grant, journal int64, v NewJournalVoucher) (JournalVoucher, error) {
	if journal < 1 || v.AccountingYear == "" || len(v.Entries) == 0 {
		return JournalVoucher{}, errors.New("economic: create journal voucher: a journal, an accounting year and an entry are required")
	}
	var req voucherJSON
	req.AccountingYear.Year = v.AccountingYear
	req.Journal = &struct {
		JournalNumber int64 `json:"journalNumber"`
	}{journal}
	req.VoucherNumber = v.VoucherNumber
	req.Entries.ManualCustomerInvoices = v.Entries
	var out voucherJSON
	path := "/journals/" + strconv.FormatInt(journal, 10) + "/vouchers"
	if err := x.write(ctx, g, "POST", "POST /journals/{n}/vouchers", path, req, &out); err != nil {
		return JournalVoucher{}, fmt.Errorf("economic: create journal voucher: %w", err)
	}
	return out.voucher(journal), nil
}

// JournalVouchers lists a journal's vouchers (GET /journals/{n}/vouchers,
// which documents no filter).
func (x *Exporter) JournalVouchers(ctx context.Context, g connectors.Grant, journal int64) ([]JournalVoucher, error) {
	vs, err := list[voucherJSON](ctx, x, g, "GET /journals/{n}/vouchers", "/journals/"+strconv.FormatInt(journal, 10)+"/vouchers", nil)
	if err != nil {
		return nil, err
	}
	out := make([]JournalVoucher, len(vs))
	for i, v := range vs {
		out[i] = v.voucher(journal)
	}
	return out, nil
}

// FindVoucher is the voucher of vs with a manual customer invoice entry
// for customerInvoice and, when customer is not 0, that customer.
func FindVoucher(vs []JournalVoucher, customerInvoice, customer int64) (JournalVoucher, bool) {
	for _, v := range vs {
		for _, e := range v.Entries {
			if e.CustomerInvoice == customerInvoice && (customer == 0 || (e.Customer != nil && e.Customer.CustomerNumber == customer)) {
				return v, true
			}
		}
	}
	return JournalVoucher{}, false
}

// maxAttachment: "Maximum file size is 9.0 MB per request" (_journals.md).
const maxAttachment = 9 << 20

// voucherPath is /journals/{n}/vouchers/{year}-{number}.
func voucherPath(journal int64, year string, number int64) (string, error) {
	y, err := pathYear(year)
	if err != nil {
		return "", err
	}
	return "/journals/" + strconv.FormatInt(journal, 10) + "/vouchers" + y + "-" + strconv.FormatInt(number, 10), nil
}

// AttachVoucherPDF uploads a voucher's file, the invoice's PDF (POST
// …/vouchers/{year}-{number}/attachment/file, multipart/form-data as
// e-conomic's own example, at most 9.0 MB). A file that is no PDF or is
// too large is not sent. A lost answer is settled by VoucherAttachment:
// connectors.ErrNotFound, it is not there.
func (x *Exporter) AttachVoucherPDF(ctx context.Context, g connectors.Grant, journal int64, year string, number int64, filename string, pdf []byte) (VoucherAttachment, error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return VoucherAttachment{}, errors.New("economic: attach voucher file: not a PDF")
	}
	if len(pdf) > maxAttachment-64<<10 {
		return VoucherAttachment{}, fmt.Errorf("economic: attach voucher file: %d bytes, more than e-conomic's 9.0 MB", len(pdf))
	}
	path, err := voucherPath(journal, year, number)
	if err != nil {
		return VoucherAttachment{}, fmt.Errorf("economic: attach voucher file: %w", err)
	}
	if filename == "" || !strings.HasSuffix(strings.ToLower(filename), ".pdf") {
		filename += ".pdf"
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	// The part's name is empty, as in e-conomic's examples (form.append("", …)).
	h.Set("Content-Disposition", `form-data; name=""; filename="`+strings.NewReplacer(`"`, "", "\r", "", "\n", "", `\`, "").Replace(filename)+`"`)
	h.Set("Content-Type", "application/pdf")
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(pdf)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return VoucherAttachment{}, fmt.Errorf("economic: attach voucher file: %w", err)
	}
	d, err := readGrant(g)
	if err != nil {
		return VoucherAttachment{}, fmt.Errorf("economic: attach voucher file: %w", err)
	}
	var out VoucherAttachment
	if err := x.c.send(ctx, d, "POST", "POST /journals/{n}/vouchers/{id}/attachment/file", path+"/attachment/file", w.FormDataContentType(), body.Bytes(), &out); err != nil {
		return VoucherAttachment{}, fmt.Errorf("economic: attach voucher file: %w", err)
	}
	return out, nil
}

// VoucherAttachment reads a voucher's file's metadata (GET
// …/attachment); connectors.ErrNotFound when it has none.
func (x *Exporter) VoucherAttachment(ctx context.Context, g connectors.Grant, journal int64, year string, number int64) (VoucherAttachment, error) {
	path, err := voucherPath(journal, year, number)
	if err != nil {
		return VoucherAttachment{}, fmt.Errorf("economic: get voucher attachment: %w", err)
	}
	return one[VoucherAttachment](ctx, x, g, "GET /journals/{n}/vouchers/{id}/attachment", path+"/attachment")
}

// required names the documented required properties that are missing,
// in order; nil when none is.
func required(present map[string]bool) error {
	var missing []string
	for k, ok := range present {
		if !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return fmt.Errorf("%w: %s", ErrIncomplete, strings.Join(missing, ", "))
}

// write is one JSON write of the export's grant.
func (x *Exporter) write(ctx context.Context, g connectors.Grant, method, endpoint, path string, v, out any) error {
	d, err := readGrant(g)
	if err != nil {
		return err
	}
	return x.c.sendJSON(ctx, d, method, endpoint, path, v, out)
}
