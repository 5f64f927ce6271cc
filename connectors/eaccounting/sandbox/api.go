package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Product variants (CompanySettingsApi.ProductVariant).
const (
	pvStandard    = 1
	pvInvoicing   = 2
	pvBookkeeping = 3
	pvSolo        = 4
	pvPro         = 5
)

// endpoint is one operation of the API with the rules Visma's documents
// state for it: the scopes from the OpenAPI description ("Requires any of the
// following scopes"), the product variants from the 2020 swagger ("Available
// in any of the following variants"), and the program area whose permission
// level applies.
type endpoint struct {
	pattern  string
	scopes   []string
	variants []int // nil: every variant
	area     string
	write    bool
	handle   func(s *Sandbox, c *call)
}

// customerInvoicePDFPattern is the endpoint that opens a customer invoice; the
// demo world gives customer invoices only to the variants it serves.
const customerInvoicePDFPattern = "GET /v2/customerinvoices/{invoiceId}/pdf"

// endpointTable lists the operations the sandbox serves.
func endpointTable() []endpoint {
	scAccountingRead := []string{"ea:accounting", "ea:accounting_readonly"}
	scAttachmentRead := []string{"ea:purchase", "ea:purchase_readonly", "ea:accounting", "ea:accounting_readonly"}
	return []endpoint{
		{pattern: "GET /v2/companysettings", scopes: []string{"ea:sales", "ea:sales_readonly"}, handle: (*Sandbox).getCompanySettings},
		{pattern: "GET /v2/users", scopes: []string{"ea:sales", "ea:sales_readonly", "ea:purchase", "ea:purchase_readonly", "ea:accounting", "ea:accounting_readonly"}, handle: (*Sandbox).getUsers},
		{pattern: "GET /v2/fiscalyears", scopes: []string{"ea:sales", "ea:sales_readonly", "ea:accounting", "ea:accounting_readonly"}, handle: (*Sandbox).getFiscalYears},
		{pattern: "GET /v2/fiscalyears/{id}", scopes: []string{"ea:sales", "ea:sales_readonly", "ea:accounting", "ea:accounting_readonly"}, handle: (*Sandbox).getFiscalYear},
		{pattern: "GET /v2/vouchers", scopes: scAccountingRead, area: areaBookkeeping, handle: (*Sandbox).getVouchers},
		{pattern: "GET /v2/vouchers/{fiscalyearId}", scopes: scAccountingRead, area: areaBookkeeping, handle: (*Sandbox).getVouchers},
		{pattern: "GET /v2/vouchers/{fiscalyearId}/{voucherId}", scopes: scAccountingRead, area: areaBookkeeping, handle: (*Sandbox).getVoucher},
		{pattern: "GET /v2/attachments", scopes: scAttachmentRead, area: areaBookkeeping, handle: (*Sandbox).getAttachments},
		{pattern: "GET /v2/attachments/{attachmentId}", scopes: scAttachmentRead, area: areaBookkeeping, handle: (*Sandbox).getAttachment},
		{pattern: "POST /v2/attachments", scopes: []string{"ea:purchase", "ea:accounting"}, area: areaBookkeeping, write: true, handle: (*Sandbox).postAttachment},
		{pattern: "POST /v2/attachmentlinks", scopes: []string{"ea:accounting", "ea:purchase"}, area: areaBookkeeping, write: true, handle: (*Sandbox).postAttachmentLink},
		{pattern: "GET /v2/supplierinvoices", scopes: []string{"ea:purchase", "ea:purchase_readonly"}, variants: []int{pvPro, pvStandard, pvBookkeeping, pvSolo}, area: areaPurchase, handle: (*Sandbox).getSupplierInvoices},
		{pattern: "GET /v2/supplierinvoices/{id}", scopes: []string{"ea:purchase", "ea:purchase_readonly"}, variants: []int{pvPro, pvStandard, pvBookkeeping, pvSolo}, area: areaPurchase, handle: (*Sandbox).getSupplierInvoice},
		{pattern: customerInvoicePDFPattern, scopes: []string{"ea:sales", "ea:sales_readonly"}, variants: []int{pvPro, pvStandard, pvInvoicing, pvSolo}, area: areaSales, handle: (*Sandbox).getCustomerInvoicePDF},
		{pattern: "GET /v2/accountbalances/{date}", scopes: scAccountingRead, variants: []int{pvPro, pvStandard, pvBookkeeping, pvSolo}, area: areaBookkeeping, handle: (*Sandbox).getAccountBalances},
		// The ledger a period's standard file needs (ledger.go); scopes
		// as the OpenAPI document lists them for each operation.
		{pattern: "GET /v2/accounts/{fiscalyearId}", scopes: scAccountingRead, area: areaBookkeeping, handle: (*Sandbox).getAccounts},
		{pattern: "GET /v2/fiscalyears/openingbalances", scopes: []string{"ea:sales", "ea:sales_readonly", "ea:accounting", "ea:accounting_readonly"}, handle: (*Sandbox).getOpeningBalances},
		// Cost centres and projects: scopes from the OpenAPI document,
		// variants from the 2020 swagger (Pro, Standard, Bookkeeping,
		// Invoicing: not Solo).
		{pattern: "GET /v2/costcenters", scopes: []string{"ea:accounting", "ea:accounting_readonly", "ea:sales", "ea:sales_readonly", "vls:api"}, variants: []int{pvPro, pvStandard, pvBookkeeping, pvInvoicing}, handle: (*Sandbox).getCostCenters},
		{pattern: "GET /v2/projects", scopes: []string{"ea:accounting", "ea:accounting_readonly", "ea:sales", "ea:sales_readonly", "ea:purchase", "ea:purchase_readonly"}, variants: []int{pvPro, pvStandard, pvBookkeeping, pvInvoicing}, handle: (*Sandbox).getProjects},
		// A customer invoice, for its payment status; variants as its PDF's.
		{pattern: "GET /v2/customerinvoices", scopes: []string{"ea:sales", "ea:sales_readonly"}, variants: []int{pvPro, pvStandard, pvInvoicing, pvSolo}, area: areaSales, handle: (*Sandbox).getCustomerInvoices},
		{pattern: "GET /v2/customerinvoices/{invoiceId}", scopes: []string{"ea:sales", "ea:sales_readonly"}, variants: []int{pvPro, pvStandard, pvInvoicing, pvSolo}, area: areaSales, handle: (*Sandbox).getCustomerInvoice},
		{pattern: "GET /v2/customers", scopes: []string{"ea:sales", "ea:sales_readonly"}, area: areaSales, handle: (*Sandbox).getCustomers},
		{pattern: "GET /v2/suppliers", scopes: []string{"ea:purchase", "ea:purchase_readonly"}, area: areaPurchase, handle: (*Sandbox).getSuppliers},
	}
}

// call is one authorised API request.
type call struct {
	s       *Sandbox
	w       http.ResponseWriter
	r       *http.Request
	grant   *grant
	company *company
	base    string
}

type commonError struct {
	Field     *string `json:"Field"`
	ErrorCode *string `json:"ErrorCode"`
	Message   *string `json:"Message"`
	Key       *string `json:"Key"`
}

// apiError is CommonExtendedBadRequest, the body of every API error.
type apiError struct {
	ErrorCode             int           `json:"ErrorCode"`
	DeveloperErrorMessage string        `json:"DeveloperErrorMessage"`
	ErrorID               string        `json:"ErrorId"`
	Errors                []commonError `json:"Errors"`
}

func (c *call) fail(status, code int, msg string, errs ...commonError) {
	writeAPIError(c.w, status, code, msg, errs...)
}

func writeAPIError(w http.ResponseWriter, status, code int, msg string, errs ...commonError) {
	writeJSON(w, status, apiError{ErrorCode: code, DeveloperErrorMessage: msg, ErrorID: randomUUID().String(), Errors: errs})
}

func fieldError(field, msg string) commonError {
	return commonError{Field: &field, Message: &msg}
}

func (c *call) json(status int, v any) { writeJSON(c.w, status, v) }

// sleep waits d unless the request is abandoned first.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

type rateWindow struct {
	start time.Time
	count int
}

// api wraps an endpoint in the checks Visma applies, in this order: the
// bearer token, the rate limit (per client and endpoint), the company's
// status, the user's access to the company, the token's scopes, the
// company's product variant and the user's permission in the program area.
func (s *Sandbox) api(e endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sleep(r.Context(), s.cfg.latency)
		s.mu.Lock()
		s.stats.APIRequests[e.pattern]++
		if s.cfg.failShare > 0 && s.failRNG.Float64() < s.cfg.failShare {
			s.mu.Unlock()
			if s.cfg.failStatus == http.StatusServiceUnavailable {
				writeAPIError(w, http.StatusServiceUnavailable, 5001, "CantReachSystemDependendency - The service is temporarily unavailable.")
			} else {
				writeAPIError(w, s.cfg.failStatus, 0, "An error has occurred.")
			}
			return
		}
		at, challenge := s.bearer(r)
		if at == nil || !slices.Contains(at.grant.scopes, "ea:api") {
			s.mu.Unlock()
			if challenge == "" {
				challenge = "Bearer"
			}
			w.Header().Set("WWW-Authenticate", challenge)
			writeAPIError(w, http.StatusUnauthorized, 4005, "AuthorizationException - Authorization has been denied for this request.")
			return
		}
		g := at.grant
		key := g.clientID + " " + e.pattern
		now := s.now()
		win := s.windows[key]
		if win == nil || now.Sub(win.start) >= time.Minute {
			win = &rateWindow{start: now}
			s.windows[key] = win
		}
		win.count++
		if win.count > s.cfg.rateLimit {
			s.stats.RateLimited++
			wait := int((win.start.Add(time.Minute).Sub(now) + time.Second - 1) / time.Second)
			s.mu.Unlock()
			writeAPIError(w, http.StatusTooManyRequests, 4010,
				fmt.Sprintf("API calls quota exceeded! maximum admitted %d per Minute. Try again in %d seconds.", s.cfg.rateLimit, max(wait, 1)))
			return
		}
		comp := g.company
		m := g.user.membership(comp)
		s.ensure(comp)
		s.mu.Unlock()

		c := &call{s: s, w: w, r: r, grant: g, company: comp, base: s.baseURL(r)}
		switch {
		case !comp.Active:
			c.fail(http.StatusForbidden, 4004, "ForbiddenRequestException - The company is not active.")
			return
		case m == nil || !m.eaccounting:
			c.fail(http.StatusForbidden, 4011, "ForbiddenRequestException - The authenticated user has no access to Visma eAccounting in this company.")
			return
		}
		if e.scopes != nil && !slices.ContainsFunc(e.scopes, func(sc string) bool { return slices.Contains(g.scopes, sc) }) {
			c.fail(http.StatusForbidden, 4006, "ForbiddenRequestException - The access token has none of the scopes this endpoint requires: "+strings.Join(e.scopes, ", "))
			return
		}
		if e.variants != nil && !slices.Contains(e.variants, comp.ProductVariant) {
			c.fail(http.StatusForbidden, 4009, "ForbiddenRequestException - This endpoint is not included in the company's product variant.")
			return
		}
		if e.area != "" {
			switch lv := m.perms[e.area]; {
			case lv == levelNone:
				c.fail(http.StatusForbidden, 4007, "ForbiddenRequestException - The user does not have sufficient permissions for this endpoint.")
				return
			case e.write && lv == levelReadOnly:
				c.fail(http.StatusForbidden, 4019, "ForbiddenRequestException - The user has read-only permission.")
				return
			}
		}
		e.handle(s, c)
	})
}

// paging reads $page and $pagesize (1-based; default page size 50). The
// largest page size Visma allows is not documented; clients use 1000, and
// the sandbox caps there.
func (c *call) paging() (page, size int, ok bool) {
	page, size = 1, 50
	q := c.r.URL.Query()
	if v := q.Get("$page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			c.fail(http.StatusBadRequest, 6000, "QueryParameterError - $page must be a positive integer.")
			return 0, 0, false
		}
		page = n
	}
	if v := q.Get("$pagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			c.fail(http.StatusBadRequest, 6000, "QueryParameterError - $pagesize must be a positive integer.")
			return 0, 0, false
		}
		size = min(n, 1000)
	}
	return page, size, true
}

type meta struct {
	CurrentPage          int    `json:"CurrentPage"`
	PageSize             int    `json:"PageSize"`
	TotalNumberOfPages   int    `json:"TotalNumberOfPages"`
	TotalNumberOfResults int    `json:"TotalNumberOfResults"`
	ServerTimeUtc        string `json:"ServerTimeUtc"`
}

type paginated[T any] struct {
	Meta meta `json:"Meta"`
	Data []T  `json:"Data"`
}

// list filters, orders and pages n items, then renders the page.
func list[T any](c *call, n int, fields map[string]fieldKind, get func(i int, field string) value, render func(i int) T) {
	page, size, ok := c.paging()
	if !ok {
		return
	}
	q := c.r.URL.Query()
	idx := make([]int, 0, n)
	if f := q.Get("$filter"); f != "" {
		expr, ferr := parseFilter(f, fields)
		if ferr != nil {
			c.fail(http.StatusBadRequest, ferr.code, ferr.msg)
			return
		}
		for i := range n {
			if expr.eval(func(field string) value { return get(i, field) }) {
				idx = append(idx, i)
			}
		}
	} else {
		for i := range n {
			idx = append(idx, i)
		}
	}
	if ob := q.Get("$orderby"); ob != "" {
		parts := strings.Fields(ob)
		desc := len(parts) == 2 && strings.EqualFold(parts[1], "desc")
		if len(parts) == 0 || len(parts) > 2 || (len(parts) == 2 && !desc && !strings.EqualFold(parts[1], "asc")) {
			c.fail(http.StatusBadRequest, 6000, "QueryParameterError - Error parsing $orderby.")
			return
		}
		field, known := canonicalField(fields, parts[0])
		if !known {
			c.fail(http.StatusBadRequest, 6000, "QueryParameterError - Could not find a property named '"+parts[0]+"'.")
			return
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			r := compareValues(get(a, field), get(b, field))
			if desc {
				return -r
			}
			return r
		})
	}
	total := len(idx)
	pages := (total + size - 1) / size
	out := paginated[T]{Meta: meta{CurrentPage: page, PageSize: size, TotalNumberOfPages: pages, TotalNumberOfResults: total,
		ServerTimeUtc: c.s.now().Format(time.RFC3339)}, Data: []T{}}
	start := (page - 1) * size
	for i := start; i < total && i < start+size; i++ {
		out.Data = append(out.Data, render(idx[i]))
	}
	c.json(http.StatusOK, out)
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func unixISO(sec int64) string { return isoTime(time.Unix(sec, 0)) }

func strp(s string) *string { return &s }

// --- company settings and users

func (s *Sandbox) getCompanySettings(c *call) {
	co := c.company
	status := 1
	if !co.Active {
		status = 0
	}
	currency, vat, digits := "SEK", "SE"+strings.ReplaceAll(co.OrgNumber, "-", "")+"01", 4
	var bankgiro *string
	if co.Country == "NO" {
		currency, vat = "NOK", "NO"+co.OrgNumber+"MVA"
	} else {
		bankgiro = strp(fmt.Sprintf("%03d-%04d", 500+co.idx*37, 1000+co.idx*713))
	}
	modules := []string{"api_standard"}
	if co.ProductVariant != pvInvoicing {
		modules = append(modules, "bookkeeping")
	}
	s.mu.Lock()
	termsID := co.fiscalYears[0].id // any stable id; the sandbox has no terms of payment
	s.mu.Unlock()
	body := map[string]any{
		"Name": co.Name, "Email": nilIfEmpty(co.addr.email), "Phone": nilIfEmpty(co.addr.phone), "MobilePhone": nil,
		"Address1": co.addr.street, "Address2": nil, "CountryCode": co.Country, "PostalCode": co.addr.postal, "City": co.addr.city,
		"Website": nil, "OurReference": nil, "CurrencyCode": currency, "TermsOfPaymentId": termsID.String(),
		"CorporateIdentityNumber": co.OrgNumber, "PeppolId": nil, "VatCode": vat, "BankGiro": bankgiro, "PlusGiro": nil,
		"BankAccount": nil, "Iban": nil, "AccountNumberDigits": digits, "AccountingLockedTo": "2024-12-31T00:00:00Z",
		"AccountingLockInterval": 3, "Gln": nil, "ProductVariant": co.ProductVariant, "TypeOfBusiness": 1, "VatPeriod": 3,
		"ActivatedModules": modules, "NextCustomerNumber": 101, "NextSupplierNumber": 51, "NextCustomerInvoiceNumber": 250001,
		"NextQuoteNumber": 1, "NextOrderNumber": 1, "NextArticleNumber": nil, "ShowPricesExclVatPC": false,
		"ShowContributionMargin": false, "HasProportionalVatEnabled": false, "ProportionalVatValue": nil, "IsPayslipActivated": false,
		"UsesCostCenter": true, "UsesProject": true, "UsesMoss": false, "UsesPaymentReferenceNumber": true,
		"UsesSupplierInvoiceEdit": nil, "UseAdvancedMode": nil, "DomesticCurrencyRounding": 1, "UsesReverseConstructionVat": false,
		"UsesRotReducedInvoicing": false, "CompanyStatus": status, "CompanyIdentifier": co.CompanyIdentifier,
		"BankgiroNumberPrint": nil, "KeepOriginalDraftDate": nil, "UsePaymentFilesForOutgoingPayments": false,
		"UseAutomaticVatCalculation": nil, "ShowCostCenterReminder": false, "ShowProjectReminder": false, "UsesGreenTechnology": false,
		"UsesVatTriangulationRules": false, "Swish": nil, "CompanyEmailForUpload": nil, "VismaWebshopStatus": 0,
		"UsesTransactionText": false, "FirstPaymentReminderWithoutFee": nil, "LatePaymentFee": nil, "DefaultBackgroundId": nil,
		"InvoicePrintSettingsType": 1,
	}
	c.json(http.StatusOK, body)
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type userJSON struct {
	ID                                    string  `json:"Id"`
	Email                                 *string `json:"Email"`
	FirstName                             *string `json:"FirstName"`
	LastName                              *string `json:"LastName"`
	IsActive                              bool    `json:"IsActive"`
	IsCurrentUser                         bool    `json:"IsCurrentUser"`
	IsConsultant                          bool    `json:"IsConsultant"`
	HasPurchaseInvoicesApprovalPermission bool    `json:"HasPurchaseInvoicesApprovalPermission"`
	HasVATReportsApprovalPermission       bool    `json:"HasVATReportsApprovalPermission"`
}

func (s *Sandbox) getUsers(c *call) {
	type entry struct {
		u *user
		m *membership
	}
	var us []entry
	for _, u := range s.users {
		if m := u.membership(c.company); m != nil && m.eaccounting {
			us = append(us, entry{u, m})
		}
	}
	fields := map[string]fieldKind{"Id": kGUID, "Email": kString, "FirstName": kString, "LastName": kString, "IsActive": kBool, "IsCurrentUser": kBool}
	list(c, len(us), fields, func(i int, f string) value {
		u := us[i].u
		switch f {
		case "Id":
			return value{kind: kGUID, g: u.id}
		case "Email":
			return value{kind: kString, s: u.Email}
		case "FirstName":
			return value{kind: kString, s: u.first}
		case "LastName":
			return value{kind: kString, s: u.last}
		case "IsActive":
			return value{kind: kBool, b: true}
		default:
			return value{kind: kBool, b: u == c.grant.user}
		}
	}, func(i int) userJSON {
		u, m := us[i].u, us[i].m
		return userJSON{ID: u.id.String(), Email: strp(u.Email), FirstName: strp(u.first), LastName: strp(u.last), IsActive: true,
			IsCurrentUser: u == c.grant.user, IsConsultant: m.consultant,
			HasPurchaseInvoicesApprovalPermission: m.perms[areaPurchase] == levelFull,
			HasVATReportsApprovalPermission:       m.perms[areaBookkeeping] == levelFull}
	})
}

// --- fiscal years

type fiscalYearJSON struct {
	ID                    string `json:"Id"`
	StartDate             string `json:"StartDate"`
	EndDate               string `json:"EndDate"`
	IsLockedForAccounting bool   `json:"IsLockedForAccounting"`
	BookkeepingMethod     int    `json:"BookkeepingMethod"`
}

func renderFY(fy fiscalYear) fiscalYearJSON {
	return fiscalYearJSON{ID: fy.id.String(), StartDate: isoTime(fy.start), EndDate: isoTime(fy.end), IsLockedForAccounting: fy.locked}
}

func (s *Sandbox) getFiscalYears(c *call) {
	fys := c.company.fiscalYears
	fields := map[string]fieldKind{"Id": kGUID, "StartDate": kTime, "EndDate": kTime, "IsLockedForAccounting": kBool}
	list(c, len(fys), fields, func(i int, f string) value {
		switch f {
		case "Id":
			return value{kind: kGUID, g: fys[i].id}
		case "StartDate":
			return value{kind: kTime, t: fys[i].start}
		case "EndDate":
			return value{kind: kTime, t: fys[i].end}
		default:
			return value{kind: kBool, b: fys[i].locked}
		}
	}, func(i int) fiscalYearJSON { return renderFY(fys[i]) })
}

func (s *Sandbox) getFiscalYear(c *call) {
	id, ok := parseUID(c.r.PathValue("id"))
	if ok {
		for _, fy := range c.company.fiscalYears {
			if fy.id == id {
				c.json(http.StatusOK, renderFY(fy))
				return
			}
		}
	}
	c.fail(http.StatusNotFound, 3001, "FiscalYearDoesNotExist - The fiscal year does not exist.")
}

// --- vouchers

type rowJSON struct {
	AccountNumber      int64    `json:"AccountNumber"`
	AccountDescription *string  `json:"AccountDescription"`
	DebitAmount        float64  `json:"DebitAmount"`
	CreditAmount       float64  `json:"CreditAmount"`
	TransactionText    *string  `json:"TransactionText"`
	CostCenterItemId1  *string  `json:"CostCenterItemId1"`
	CostCenterItemId2  *string  `json:"CostCenterItemId2"`
	CostCenterItemId3  *string  `json:"CostCenterItemId3"`
	VatCodeId          *string  `json:"VatCodeId"`
	VatCodeAndPercent  *string  `json:"VatCodeAndPercent"`
	VatAmount          *float64 `json:"VatAmount"`
	Quantity           *float64 `json:"Quantity"`
	Weight             *float64 `json:"Weight"`
	DeliveryDate       *string  `json:"DeliveryDate"`
	HarvestYear        *int     `json:"HarvestYear"`
	ProjectId          *string  `json:"ProjectId"`
}

type attachmentLinkJSON struct {
	DocumentID    string   `json:"DocumentId"`
	DocumentType  int      `json:"DocumentType"`
	AttachmentIDs []string `json:"AttachmentIds"`
}

type voucherJSON struct {
	ID                    string             `json:"Id"`
	VoucherDate           string             `json:"VoucherDate"`
	VoucherText           string             `json:"VoucherText"`
	Rows                  []rowJSON          `json:"Rows"`
	NumberAndNumberSeries *string            `json:"NumberAndNumberSeries"`
	NumberSeries          *string            `json:"NumberSeries"`
	ImportedVoucherNumber *string            `json:"ImportedVoucherNumber"`
	Attachments           attachmentLinkJSON `json:"Attachments"`
	ModifiedUtc           *string            `json:"ModifiedUtc"`
	VoucherType           int                `json:"VoucherType"`
	SourceID              *string            `json:"SourceId"`
	CreatedUtc            string             `json:"CreatedUtc"`
}

func cents(n int64) float64 { return float64(n) / 100 }

// renderVoucher must be called with s.mu held (attachments can change).
func (co *company) renderVoucher(i int32) voucherJSON {
	v := &co.vouchers[i]
	var rows []rowJSON
	text := co.voucherText(v)
	if len(text) > 60 {
		text = text[:60]
	}
	cc1, cc2, project := co.rowDims(i, v)
	for _, r := range co.rows(v) {
		row := rowJSON{AccountNumber: r.acct.number, AccountDescription: strp(r.acct.name),
			DebitAmount: cents(r.debit), CreditAmount: cents(r.credit), TransactionText: strp(text)}
		if r.acct.number >= 3000 {
			// Cost centres and projects book results, not balances.
			row.CostCenterItemId1, row.CostCenterItemId2, row.ProjectId = cc1, cc2, project
		}
		rows = append(rows, row)
	}
	// A voucher's own Attachments list; the files of a supplier invoice hang
	// on the invoice (GET /supplierinvoices/{SourceId}), not here.
	link := attachmentLinkJSON{DocumentID: v.id.String(), DocumentType: docTypeVoucher, AttachmentIDs: []string{}}
	for _, ai := range v.files {
		link.AttachmentIDs = append(link.AttachmentIDs, co.atts[ai].id.String())
	}
	num := fmt.Sprintf("%c%d", v.series, v.number)
	series := string(v.series)
	out := voucherJSON{
		ID: v.id.String(), VoucherDate: isoTime(v.day()), VoucherText: co.voucherText(v), Rows: rows,
		NumberAndNumberSeries: &num, NumberSeries: &series, Attachments: link, ModifiedUtc: strp(unixISO(v.modified)),
		VoucherType: int(v.typ), CreatedUtc: unixISO(v.created),
	}
	if !v.source.IsZero() {
		out.SourceID = strp(v.source.String())
	}
	return out
}

func voucherFields() map[string]fieldKind {
	return map[string]fieldKind{"Id": kGUID, "VoucherDate": kTime, "ModifiedUtc": kTime, "CreatedUtc": kTime, "VoucherType": kNumber,
		"NumberSeries": kString, "NumberAndNumberSeries": kString, "VoucherText": kString, "SourceId": kGUID}
}

func (co *company) voucherValue(i int32, f string) value {
	v := &co.vouchers[i]
	switch f {
	case "Id":
		return value{kind: kGUID, g: v.id}
	case "VoucherDate":
		return value{kind: kTime, t: v.day()}
	case "ModifiedUtc":
		return value{kind: kTime, t: time.Unix(v.modified, 0).UTC()}
	case "CreatedUtc":
		return value{kind: kTime, t: time.Unix(v.created, 0).UTC()}
	case "VoucherType":
		return value{kind: kNumber, n: float64(v.typ)}
	case "NumberSeries":
		return value{kind: kString, s: string(v.series)}
	case "NumberAndNumberSeries":
		return value{kind: kString, s: fmt.Sprintf("%c%d", v.series, v.number)}
	case "VoucherText":
		return value{kind: kString, s: co.voucherText(v)}
	default:
		if v.source.IsZero() {
			return value{kind: kNull}
		}
		return value{kind: kGUID, g: v.source}
	}
}

func (s *Sandbox) fiscalYearIndex(c *call) (int, bool) {
	id, ok := parseUID(c.r.PathValue("fiscalyearId"))
	if ok {
		for i, fy := range c.company.fiscalYears {
			if fy.id == id {
				return i, true
			}
		}
	}
	c.fail(http.StatusBadRequest, 3001, "FiscalYearDoesNotExist - The fiscal year does not exist.")
	return 0, false
}

func (s *Sandbox) getVouchers(c *call) {
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	var sel []int32
	if c.r.PathValue("fiscalyearId") != "" {
		fy, ok := s.fiscalYearIndex(c)
		if !ok {
			return
		}
		for i := range co.vouchers {
			if int(co.vouchers[i].fy) == fy {
				sel = append(sel, int32(i))
			}
		}
	} else {
		sel = make([]int32, len(co.vouchers))
		for i := range sel {
			sel[i] = int32(i)
		}
	}
	list(c, len(sel), voucherFields(), func(i int, f string) value { return co.voucherValue(sel[i], f) },
		func(i int) voucherJSON { return co.renderVoucher(sel[i]) })
}

func (s *Sandbox) getVoucher(c *call) {
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	fy, ok := s.fiscalYearIndex(c)
	if !ok {
		return
	}
	id, ok := parseUID(c.r.PathValue("voucherId"))
	i, found := co.voucherByID[id]
	if !ok || !found || int(co.vouchers[i].fy) != fy {
		c.fail(http.StatusNotFound, 3000, "ResourceNotFound - Voucher not found.")
		return
	}
	c.json(http.StatusOK, co.renderVoucher(i))
}

// --- account balances (Bookkeeping only)

type accountBalanceJSON struct {
	AccountNumber          int64   `json:"AccountNumber"`
	AccountName            *string `json:"AccountName"`
	Balance                float64 `json:"Balance"`
	AccountType            int     `json:"AccountType"`
	AccountTypeDescription *string `json:"AccountTypeDescription"`
}

func (s *Sandbox) getAccountBalances(c *call) {
	raw := c.r.PathValue("date")
	var at time.Time
	var err error
	if at, err = time.Parse("2006-01-02", raw); err != nil {
		if at, err = time.Parse(time.RFC3339, raw); err != nil {
			c.fail(http.StatusBadRequest, 6001, "InvalidInput - The date must be in the format yyyy-MM-dd.")
			return
		}
	}
	co := c.company
	s.mu.Lock()
	bal := map[int64]int64{}
	names := map[int64]string{}
	for i := range co.vouchers {
		v := &co.vouchers[i]
		if v.day().After(at) {
			break
		}
		for _, r := range co.rows(v) {
			bal[r.acct.number] += r.debit - r.credit
			names[r.acct.number] = r.acct.name
		}
	}
	s.mu.Unlock()
	nums := make([]int64, 0, len(bal))
	for n := range bal {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	fields := map[string]fieldKind{"AccountNumber": kNumber, "Balance": kNumber}
	list(c, len(nums), fields, func(i int, f string) value {
		if f == "AccountNumber" {
			return value{kind: kNumber, n: float64(nums[i])}
		}
		return value{kind: kNumber, n: cents(bal[nums[i]])}
	}, func(i int) accountBalanceJSON {
		n := nums[i]
		return accountBalanceJSON{AccountNumber: n, AccountName: strp(names[n]), Balance: cents(bal[n]), AccountType: int(n / 1000)}
	})
}

// --- supplier and customer invoices

func (s *Sandbox) getSupplierInvoice(c *call) {
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := parseUID(c.r.PathValue("id"))
	i, found := co.sourceByID[id]
	if !ok || !found || (co.vouchers[i].typ != vtSupplierInvoice && co.vouchers[i].typ != vtSupplierCredit) {
		c.fail(http.StatusNotFound, 3000, "ResourceNotFound - Supplier invoice not found.")
		return
	}
	c.json(http.StatusOK, co.supplierInvoiceJSON(i, s.now()))
}

// getSupplierInvoices lists the company's supplier invoices
// (PaginatedResponseOfSupplierInvoiceApi).
func (s *Sandbox) getSupplierInvoices(c *call) {
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	var idx []int32
	for i := range co.vouchers {
		if t := co.vouchers[i].typ; t == vtSupplierInvoice || t == vtSupplierCredit {
			idx = append(idx, int32(i))
		}
	}
	list(c, len(idx), map[string]fieldKind{}, func(int, string) value { return value{} },
		func(i int) map[string]any { return co.supplierInvoiceJSON(idx[i], s.now()) })
}

// supplierInvoiceJSON renders SupplierInvoiceApi for the voucher at i.
func (co *company) supplierInvoiceJSON(i int32, now time.Time) map[string]any {
	v := &co.vouchers[i]
	sign := 1.0
	credit := v.typ == vtSupplierCredit
	if credit {
		sign = -1
	}
	atts := []string{}
	for _, ai := range v.srcFiles {
		atts = append(atts, co.atts[ai].id.String())
	}
	currency := "SEK"
	if co.Country == "NO" {
		currency = "NOK"
	}
	invDate := v.day()
	supplierID := derivedUID(co.id, uint64(v.party)+1)
	vn := fmt.Sprintf("%c%d", v.series, v.number)
	due := invDate.AddDate(0, 0, 30)
	remaining, status, paid := co.supplierPayment(i, due, now)
	body := map[string]any{
		"Id": v.source.String(), "SupplierId": supplierID.String(), "OffsetInvoiceIds": []string{},
		"BankAccountId": derivedUID(co.id, 9999).String(), "InvoiceDate": isoTime(invDate),
		"PaymentDate": nil, "DueDate": isoTime(due),
		"InvoiceNumber": v.invoiceNumber(), "TotalAmount": sign * cents(v.gross), "Vat": sign * cents(v.vat()),
		"VatHigh": 0, "VatMedium": 0, "VatLow": 0, "IsCreditInvoice": credit, "CurrencyCode": currency, "CurrencyRate": 1,
		"OcrNumber": v.invoiceNumber() + "7", "Message": nil, "CreatedUtc": unixISO(v.created), "ModifiedUtc": unixISO(v.modified),
		"PlusGiroNumber": nil, "BankGiroNumber": nil, "Rows": nil, "SupplierName": co.partyName(v),
		"SupplierNumber": strconv.Itoa(int(v.party) + 1), "IsQuickInvoice": false, "IsDomestic": true,
		"RemainingAmount": remaining, "RemainingAmountInvoiceCurrency": remaining, "Number": int(v.number), "NumberSeries": string(v.series),
		"VoucherNumber": vn, "VoucherId": v.id.String(), "CreatedFromDraftId": nil, "SelfEmployedWithoutFixedAddress": false,
		"AllocationPeriods": nil, "AutoCreditDebitPairing": false, "SupplierInvoiceOrigin": 0, "Attachments": atts,
		"MessageThreads": []string{}, "Notes": []string{}, "SetOffAmountInvoiceCurrency": 0, "Status": 1, "PaymentStatus": status,
		"PaymentFileStatus": 0, "SkipSendToBank": nil, "AccountingTemplateId": nil, "IsIncludedInVatReport": v.fy == 0,
		"VatReportId": nil,
	}
	if paid != nil {
		body["PaymentDate"] = isoTime(*paid)
	}
	return body
}

// derivedUID makes a stable id for things the sandbox does not model
// (suppliers, bank accounts) from a parent id and a number.
func derivedUID(parent uid, n uint64) uid {
	u := parent
	for i := range 8 {
		u[8+i] ^= byte(n >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (s *Sandbox) getCustomerInvoicePDF(c *call) {
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := parseUID(c.r.PathValue("invoiceId"))
	i, found := co.sourceByID[id]
	if !ok || !found || (co.vouchers[i].typ != vtCustomerInvoice && co.vouchers[i].typ != vtCustomerCredit) {
		c.fail(http.StatusNotFound, 3000, "ResourceNotFound - Customer invoice not found.")
		return
	}
	v := &co.vouchers[i]
	u := s.signedURL(c.base, co, id, "Faktura_"+v.invoiceNumber()+".pdf")
	c.json(http.StatusOK, map[string]any{"Url": u})
}

// --- helpers used by handlers that parse JSON bodies

func decodeBody(c *call, v any, limit int64) bool {
	dec := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, limit))
	if err := dec.Decode(v); err != nil {
		c.fail(http.StatusBadRequest, 2000, "DataModelValidationError - The request body is not valid JSON: "+err.Error())
		return false
	}
	return true
}
