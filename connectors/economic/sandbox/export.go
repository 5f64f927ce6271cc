package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The export endpoints: what a front system's invoices need (seed 001),
// written from e-conomic's documentation and nothing else:
//
//   - e-conomic/slate:source/includes/_product-groups.md, _products.md,
//     _vat-accounts.md, _vat-zones.md, _payment-terms.md, _layouts.md,
//     _customer-groups.md, _customers.md, _invoices.md, _journals.md (the
//     versions with the schema tables: required, filterable and read-only
//     properties), _introduction.md (annotated errors, status codes,
//     filtering, paging, self-link encoding, nulls, demo tokens);
//   - spysystem/economic-rest:e-conomic.openapi.yaml (community; the
//     journals under /journals/… rather than the 2020 docs'
//     /journals-experimental/…, the Voucher and ManualCustomerInvoiceEntry
//     schemas, PaymentTerm, VatAccount, VATZone, CustomerGroup);
//   - e-conomic/eco-api-ex:examples/REST/VoucherAttachmentUpload (e-conomic's
//     own example: /journals/{j}/vouchers/{year}-{n}/attachment/file,
//     multipart);
//   - e-conomic's developer page on app roles (e-conomic.com/developer/
//     permissions): journals and their vouchers reach SuperUser and
//     Bookkeeping; customers, customer groups and invoices SuperUser and
//     Sales.
//
// Where they are silent the sandbox makes a choice, marked "not
// documented" where it is made: the role of products, product groups,
// layouts, payment terms and VAT zones (Sales, as the rest of the sales
// side) and of VAT accounts (Bookkeeping, as accounts); the words of an
// error with no documented code (a missing property, a number taken twice);
// that a booked invoice's date must fall in an open accounting year, that
// booking posts its ledger entries there; that a voucher's file is refused
// when it has one already (PATCH adds pages, and the sandbox does not
// implement it); the answers to a voucher file's POST (201 with the file's
// metadata) and to a bulk POST of vouchers (an array).

func exportEndpoints() []endpoint {
	// Not documented: which role reaches these lists; the sales side's.
	salesLists := sales
	return []endpoint{
		{pattern: "GET /product-groups", name: "GET /product-groups", roles: salesLists, handle: (*Sandbox).productGroups},
		{pattern: "GET /product-groups/{n}", name: "GET /product-groups/{n}", roles: salesLists, handle: (*Sandbox).productGroupOne},
		{pattern: "GET /product-groups/{n}/sales-accounts", name: "GET /product-groups/{n}/sales-accounts", roles: salesLists, handle: (*Sandbox).salesAccounts},
		{pattern: "GET /products", name: "GET /products", roles: salesLists, handle: (*Sandbox).productList},
		{pattern: "GET /products/{productNumber}", name: "GET /products/{productNumber}", roles: salesLists, handle: (*Sandbox).productOne},
		{pattern: "POST /products", name: "POST /products", roles: salesLists, handle: (*Sandbox).createProduct},
		// Not documented: VAT accounts as accounts, Bookkeeping's.
		{pattern: "GET /vat-accounts", name: "GET /vat-accounts", roles: bookkeeping, handle: (*Sandbox).vatAccounts},
		{pattern: "GET /vat-zones", name: "GET /vat-zones", roles: salesLists, handle: (*Sandbox).vatZones},
		{pattern: "GET /payment-terms", name: "GET /payment-terms", roles: salesLists, handle: (*Sandbox).paymentTermList},
		{pattern: "GET /layouts", name: "GET /layouts", roles: salesLists, handle: (*Sandbox).layoutList},
		{pattern: "GET /customer-groups", name: "GET /customer-groups", roles: sales, handle: (*Sandbox).customerGroupList},
		{pattern: "GET /customers", name: "GET /customers", roles: sales, handle: (*Sandbox).customerList},
		{pattern: "GET /customers/{n}", name: "GET /customers/{n}", roles: sales, handle: (*Sandbox).customerOne},
		{pattern: "POST /customers", name: "POST /customers", roles: sales, handle: (*Sandbox).createCustomer},
		{pattern: "GET /invoices/drafts", name: "GET /invoices/drafts", roles: sales, handle: (*Sandbox).draftList},
		{pattern: "GET /invoices/drafts/{n}", name: "GET /invoices/drafts/{n}", roles: sales, handle: (*Sandbox).draftOne},
		{pattern: "POST /invoices/drafts", name: "POST /invoices/drafts", roles: sales, handle: (*Sandbox).createDraft},
		{pattern: "POST /invoices/booked", name: "POST /invoices/booked", roles: sales, handle: (*Sandbox).book},
		// PUT with the number in the path is the documented alternative
		// to POST; a booked invoice itself is never changed or deleted.
		{pattern: "PUT /invoices/booked/{n}", name: "PUT /invoices/booked/{n}", roles: sales, handle: (*Sandbox).book},
		{pattern: "DELETE /invoices/booked/{n}", name: "DELETE /invoices/booked/{n}", roles: sales, handle: (*Sandbox).bookedImmutable},
		{pattern: "PATCH /invoices/booked/{n}", name: "PATCH /invoices/booked/{n}", roles: sales, handle: (*Sandbox).bookedImmutable},
		{pattern: "GET /journals", name: "GET /journals", roles: bookkeeping, handle: (*Sandbox).journalList},
		{pattern: "GET /journals/{j}", name: "GET /journals/{j}", roles: bookkeeping, handle: (*Sandbox).journalOne},
		{pattern: "GET /journals/{j}/vouchers", name: "GET /journals/{j}/vouchers", roles: bookkeeping, handle: (*Sandbox).voucherList},
		{pattern: "POST /journals/{j}/vouchers", name: "POST /journals/{j}/vouchers", roles: bookkeeping, handle: (*Sandbox).createVouchers},
		{pattern: "GET /journals/{j}/vouchers/{yv}", name: "GET /journals/{j}/vouchers/{yv}", roles: bookkeeping, handle: (*Sandbox).voucherOne},
		{pattern: "GET /journals/{j}/vouchers/{yv}/attachment", name: "GET /journals/{j}/vouchers/{yv}/attachment", roles: bookkeeping, handle: (*Sandbox).attachmentMeta},
		{pattern: "GET /journals/{j}/vouchers/{yv}/attachment/file", name: "GET /journals/{j}/vouchers/{yv}/attachment/file", roles: bookkeeping, cost: 13, handle: (*Sandbox).attachmentFile},
		{pattern: "POST /journals/{j}/vouchers/{yv}/attachment/file", name: "POST /journals/{j}/vouchers/{yv}/attachment/file", roles: bookkeeping, handle: (*Sandbox).attachFile},
		// Documented, not implemented by the sandbox: 501, e-conomic's
		// own answer for what it has not implemented.
		{pattern: "PATCH /journals/{j}/vouchers/{yv}/attachment/file", name: "PATCH /journals/{j}/vouchers/{yv}/attachment/file", roles: bookkeeping, handle: notImplemented},
		{pattern: "DELETE /journals/{j}/vouchers/{yv}/attachment/file", name: "DELETE /journals/{j}/vouchers/{yv}/attachment/file", roles: bookkeeping, handle: notImplemented},
	}
}

func notImplemented(_ *Sandbox, c *call) {
	c.fail(http.StatusNotImplemented, "Not implemented by the sandbox.")
}

// --- self links and their custom encoding ---

// selfEncoding is e-conomic's replacement of characters in a resource's
// self link (_introduction.md, "Custom resource self-link encoding"); all
// other characters are URL-encoded as usual.
var selfEncoding = []struct{ char, code string }{
	{"<", "_0_"}, {">", "_1_"}, {"*", "_2_"}, {"%", "_3_"}, {":", "_4_"}, {"&", "_5_"}, {"/", "_6_"}, {"\\", "_7_"},
	{"_", "_8_"}, {" ", "_9_"}, {"?", "_10_"}, {".", "_11_"}, {"#", "_12_"}, {"+", "_13_"},
}

func selfEncode(s string) string {
	var b strings.Builder
	for _, r := range s {
		done := false
		for _, e := range selfEncoding {
			if string(r) == e.char {
				b.WriteString(e.code)
				done = true
				break
			}
		}
		if !done {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func selfDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '_' {
			matched := false
			for _, e := range selfEncoding {
				if strings.HasPrefix(s[i:], e.code) {
					b.WriteString(e.char)
					i += len(e.code)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func (c *call) link(path string) string { return c.base + path }

func (c *call) pathInt(name string) (int64, bool) {
	n, err := strconv.ParseInt(c.r.PathValue(name), 10, 64)
	return n, err == nil
}

func num(k string) func(map[string]any) string {
	return func(m map[string]any) string { return fmt.Sprint(m[k]) }
}

func nested(k1, k2 string) func(map[string]any) string {
	return func(m map[string]any) string {
		if o, ok := m[k1].(map[string]any); ok {
			return fmt.Sprint(o[k2])
		}
		return ""
	}
}

// noFields is the filterable fields of a collection filterable on none (nil, never written).
var noFields map[string]func(map[string]any) string

// --- lists of pairing ---

func (s *Sandbox) productGroupJSON(c *call, g *productGroup) map[string]any {
	p := "/product-groups/" + itoa(g.number)
	return map[string]any{"productGroupNumber": g.number, "name": g.name, "salesAccounts": c.link(p + "/sales-accounts"),
		"products": c.link(p + "/products"), "self": c.link(p)}
}

// productGroups: _product-groups.md documents no filterable property.
func (s *Sandbox) productGroups(c *call) {
	b := c.ag.books
	items := make([]map[string]any, 0, len(b.productGroups))
	for i := range b.productGroups {
		items = append(items, s.productGroupJSON(c, &b.productGroups[i]))
	}
	c.collection(items, noFields, "/product-groups")
}

func (s *Sandbox) productGroupOne(c *call) {
	n, ok := c.pathInt("n")
	g := c.ag.books.productGroup(n)
	if !ok || g == nil {
		c.fail(http.StatusNotFound, "Product group not found.")
		return
	}
	c.json(http.StatusOK, s.productGroupJSON(c, g))
}

// salesAccounts: a product group's sales account per VAT zone, each with
// its VAT account (_product-groups.md, …/sales-accounts): what decides an
// invoice line's VAT.
func (s *Sandbox) salesAccounts(c *call) {
	n, ok := c.pathInt("n")
	b := c.ag.books
	g := b.productGroup(n)
	if !ok || g == nil {
		c.fail(http.StatusNotFound, "Product group not found.")
		return
	}
	path := "/product-groups/" + itoa(g.number) + "/sales-accounts"
	var items []map[string]any
	for _, z := range b.vatZones {
		a := b.account(g.sales[z.number])
		if a == nil {
			continue
		}
		sa := map[string]any{"accountNumber": a.number, "name": a.name, "accountType": "profitAndLoss", "debitCredit": "credit",
			"self": c.link("/accounts/" + itoa(a.number))}
		if a.vatCode != "" {
			sa["vatAccount"] = map[string]any{"vatCode": a.vatCode, "self": c.link("/vat-accounts/" + selfEncode(a.vatCode))}
		}
		items = append(items, map[string]any{"salesAccount": sa, "vatZone": s.vatZoneJSON(c, &z), "self": c.link(path)})
	}
	num := func(m map[string]any) string { return nested("salesAccount", "accountNumber")(m) }
	c.collection(items, map[string]func(map[string]any) string{"salesAccount.accountNumber": num}, path)
}

func (s *Sandbox) productJSON(c *call, p *product) map[string]any {
	b := c.ag.books
	g := b.productGroup(p.group)
	m := map[string]any{"productNumber": p.number, "name": p.name, "salesPrice": p.salesPrice, "costPrice": p.costPrice,
		"productGroup": map[string]any{"productGroupNumber": p.group, "self": c.link("/product-groups/" + itoa(p.group))},
		"invoices":     map[string]any{"booked": c.link("/products/" + selfEncode(p.number) + "/invoices/booked"), "drafts": c.link("/products/" + selfEncode(p.number) + "/invoices/drafts")},
		"self":         c.link("/products/" + selfEncode(p.number))}
	if g != nil {
		m["productGroup"].(map[string]any)["name"] = g.name
	}
	if p.description != "" {
		m["description"] = p.description
	}
	if p.barred {
		// e-conomic omits false booleans (_introduction.md, "Booleans").
		m["barred"] = true
	}
	if u := b.unit(p.unit); u != nil {
		m["unit"] = map[string]any{"unitNumber": u.number, "name": u.name, "self": c.link("/units/" + itoa(u.number))}
	}
	return m
}

// productFields() are filterable (_products.md).
var productFields = sync.OnceValue(func() map[string]func(map[string]any) string {
	return map[string]func(map[string]any) string{
		"productNumber": num("productNumber"), "name": num("name"), "salesPrice": num("salesPrice"), "costPrice": num("costPrice"),
		"description": num("description"), "barred": num("barred"), "productGroup.productGroupNumber": nested("productGroup", "productGroupNumber"),
	}
})

func (s *Sandbox) productList(c *call) {
	items := make([]map[string]any, 0, len(c.ag.books.products))
	for _, p := range c.ag.books.products {
		items = append(items, s.productJSON(c, p))
	}
	c.collection(items, productFields(), "/products")
}

func (s *Sandbox) productOne(c *call) {
	p := c.ag.books.product(selfDecode(c.r.PathValue("productNumber")))
	if p == nil {
		c.fail(http.StatusNotFound, "Product not found.")
		return
	}
	c.json(http.StatusOK, s.productJSON(c, p))
}

// createProduct: POST /products; required name, productGroup,
// productNumber (_products.md). A product without its group, or with one
// that does not exist, is the documented annotated 400.
func (s *Sandbox) createProduct(c *call) {
	d, ok := c.object()
	if !ok {
		return
	}
	b := c.ag.books
	a := &annotated{}
	nulls(a, "", map[string]any(d))
	p := &product{}
	if !d.has("productNumber") {
		a.missing("productNumber")
	} else if n, ok := text(a, d, "productNumber", "productNumber", 25); ok {
		switch {
		case n == "":
			a.invalid("productNumber", "Property productNumber must have at least 1 character.", n)
		case b.product(n) != nil:
			// Not documented: the words of a number taken.
			a.invalid("productNumber", "A product with number "+n+" already exists.", n)
		}
		p.number = n
	}
	if !d.has("name") {
		a.missing("name")
	} else if n, ok := text(a, d, "name", "name", 300); ok {
		if n == "" {
			a.invalid("name", "Property name must have at least 1 character.", n)
		}
		p.name = n
	}
	p.description, _ = text(a, d, "description", "description", 500)
	switch g, present, ok := ref(a, d, "productGroup", "productGroup", "productGroupNumber", "product-groups"); {
	case !present:
		a.missing("productGroup")
	case ok && b.productGroup(g) == nil:
		a.notExist("productGroup", g, "product-groups")
	case ok:
		p.group = g
	}
	if u, present, ok := ref(a, d, "unit", "unit", "unitNumber", "units"); present && ok {
		if b.unit(u) == nil {
			a.notExist("unit", u, "units")
		}
		p.unit = u
	}
	for _, k := range []string{"salesPrice", "costPrice", "recommendedPrice"} {
		if d.has(k) {
			if f, ok := twoDecimals(a, d, k, k); ok && k == "salesPrice" {
				p.salesPrice = f
			} else if ok && k == "costPrice" {
				p.costPrice = f
			}
		}
	}
	p.barred = d.boolean("barred")
	if !a.empty() {
		c.refuse(a)
		return
	}
	b.products = append(b.products, p)
	m := s.productJSON(c, p)
	c.created(m["self"].(string), m)
}

func (s *Sandbox) vatAccountJSON(c *call, v *vatAccount) map[string]any {
	m := map[string]any{"vatCode": v.code, "name": v.name, "ratePercentage": v.rate,
		"vatType": map[string]any{"vatTypeNumber": v.vatType, "name": v.vatTypeName, "self": c.link("/vat-types/" + itoa(v.vatType))},
		"account": map[string]any{"accountNumber": v.account, "self": c.link("/accounts/" + itoa(v.account))},
		"self":    c.link("/vat-accounts/" + selfEncode(v.code))}
	if v.contraAccount != 0 {
		m["contraAccount"] = map[string]any{"accountNumber": v.contraAccount, "self": c.link("/accounts/" + itoa(v.contraAccount))}
	}
	return m
}

func (s *Sandbox) vatAccounts(c *call) {
	b := c.ag.books
	items := make([]map[string]any, 0, len(b.vatAccounts))
	for i := range b.vatAccounts {
		items = append(items, s.vatAccountJSON(c, &b.vatAccounts[i]))
	}
	c.collection(items, noFields, "/vat-accounts")
}

func (s *Sandbox) vatZoneJSON(c *call, z *vatZone) map[string]any {
	return map[string]any{"vatZoneNumber": z.number, "name": z.name, "enabledForCustomer": true, "enabledForSupplier": true,
		"self": c.link("/vat-zones/" + itoa(z.number))}
}

func (s *Sandbox) vatZones(c *call) {
	b := c.ag.books
	items := make([]map[string]any, 0, len(b.vatZones))
	for i := range b.vatZones {
		items = append(items, s.vatZoneJSON(c, &b.vatZones[i]))
	}
	c.collection(items, noFields, "/vat-zones")
}

func (s *Sandbox) paymentTermJSON(c *call, t *paymentTerm) map[string]any {
	m := map[string]any{"paymentTermsNumber": t.number, "name": t.name, "paymentTermsType": t.kind,
		"self": c.link("/payment-terms/" + itoa(t.number))}
	if t.kind == "net" || t.kind == "invoiceMonth" || t.days > 0 {
		m["daysOfCredit"] = t.days
	}
	return m
}

func (s *Sandbox) paymentTermList(c *call) {
	b := c.ag.books
	items := make([]map[string]any, 0, len(b.paymentTerms))
	for i := range b.paymentTerms {
		items = append(items, s.paymentTermJSON(c, &b.paymentTerms[i]))
	}
	c.collection(items, noFields, "/payment-terms")
}

func (s *Sandbox) layoutList(c *call) {
	b := c.ag.books
	items := make([]map[string]any, 0, len(b.layouts))
	for _, l := range b.layouts {
		items = append(items, map[string]any{"layoutNumber": l.number, "name": l.name, "self": c.link("/layouts/" + itoa(l.number))})
	}
	c.collection(items, noFields, "/layouts")
}

func (s *Sandbox) customerGroupList(c *call) {
	b := c.ag.books
	items := make([]map[string]any, 0, len(b.customerGroups))
	for _, g := range b.customerGroups {
		items = append(items, map[string]any{"customerGroupNumber": g.number, "name": g.name,
			"account":   map[string]any{"accountNumber": g.account, "self": c.link("/accounts/" + itoa(g.account))},
			"layout":    map[string]any{"layoutNumber": g.layout, "self": c.link("/layouts/" + itoa(g.layout))},
			"customers": c.link("/customer-groups/" + itoa(g.number) + "/customers"),
			"self":      c.link("/customer-groups/" + itoa(g.number))})
	}
	c.collection(items, map[string]func(map[string]any) string{
		"customerGroupNumber": num("customerGroupNumber"), "name": num("name"), "account.accountNumber": nested("account", "accountNumber"),
	}, "/customer-groups")
}

func (s *Sandbox) journalJSON(c *call, j *journal) map[string]any {
	p := "/journals/" + itoa(j.number)
	contra := map[string]any{"accountNumber": j.contra, "self": c.link("/accounts/" + itoa(j.contra))}
	settings := map[string]any{
		"voucherNumbers": map[string]any{"minimumVoucherNumber": 1, "maximumVoucherNumber": 999999999},
		"contraAccounts": map[string]any{"customerPayments": contra, "financeVouchers": contra, "supplierPayments": contra},
	}
	if j.restrictedTo != "" {
		settings["entryTypeRestrictedTo"] = j.restrictedTo
	}
	return map[string]any{"journalNumber": j.number, "name": j.name, "settings": settings,
		"templates": map[string]any{"financeVoucher": c.link(p + "/templates/financeVoucher"),
			"manualCustomerInvoice": c.link(p + "/templates/manualCustomerInvoice"), "self": c.link(p + "/templates")},
		"vouchers": c.link(p + "/vouchers"), "entries": c.link(p + "/entries"), "self": c.link(p)}
}

func (s *Sandbox) journalList(c *call) {
	b := c.ag.books
	items := make([]map[string]any, 0, len(b.journals))
	for i := range b.journals {
		items = append(items, s.journalJSON(c, &b.journals[i]))
	}
	c.collection(items, map[string]func(map[string]any) string{"journalNumber": num("journalNumber"), "name": num("name")}, "/journals")
}

func (s *Sandbox) journalOne(c *call) {
	n, ok := c.pathInt("j")
	j := c.ag.books.journal(n)
	if !ok || j == nil {
		c.fail(http.StatusNotFound, "Journal not found.")
		return
	}
	c.json(http.StatusOK, s.journalJSON(c, j))
}

// --- customers ---

func (s *Sandbox) customerJSON(c *call, cu *customer) map[string]any {
	p := "/customers/" + itoa(cu.number)
	m := map[string]any{"customerNumber": cu.number, "name": cu.name, "currency": cu.currency,
		"customerGroup": map[string]any{"customerGroupNumber": cu.group, "self": c.link("/customer-groups/" + itoa(cu.group))},
		"paymentTerms":  map[string]any{"paymentTermsNumber": cu.terms, "self": c.link("/payment-terms/" + itoa(cu.terms))},
		"vatZone":       map[string]any{"vatZoneNumber": cu.zone, "self": c.link("/vat-zones/" + itoa(cu.zone))},
		"invoices":      map[string]any{"booked": c.link(p + "/invoices/booked"), "drafts": c.link(p + "/invoices/drafts"), "self": c.link(p + "/invoices")},
		"self":          c.link(p)}
	if cu.layout != 0 {
		m["layout"] = map[string]any{"layoutNumber": cu.layout, "self": c.link("/layouts/" + itoa(cu.layout))}
	}
	for k, v := range map[string]string{"corporateIdentificationNumber": cu.cvr, "address": cu.address, "zip": cu.zip, "city": cu.city,
		"country": cu.country, "email": cu.email, "ean": cu.ean, "vatNumber": cu.vatNum} {
		if v != "" {
			m[k] = v
		}
	}
	if cu.barred {
		m["barred"] = true
	}
	return m
}

// customerFields() are filterable (_customers.md, GET /customers).
var customerFields = sync.OnceValue(func() map[string]func(map[string]any) string {
	return map[string]func(map[string]any) string{
		"customerNumber": num("customerNumber"), "corporateIdentificationNumber": num("corporateIdentificationNumber"), "name": num("name"),
		"email": num("email"), "currency": num("currency"), "country": num("country"), "city": num("city"), "zip": num("zip"),
		"address": num("address"), "ean": num("ean"), "vatNumber": num("vatNumber"), "barred": num("barred"),
	}
})

func (s *Sandbox) customerList(c *call) {
	cs := c.ag.books.sortedCustomers()
	items := make([]map[string]any, 0, len(cs))
	for _, cu := range cs {
		items = append(items, s.customerJSON(c, cu))
	}
	c.collection(items, customerFields(), "/customers")
}

func (s *Sandbox) customerOne(c *call) {
	n, ok := c.pathInt("n")
	cu := c.ag.books.customer(n)
	if !ok || cu == nil {
		c.fail(http.StatusNotFound, "Customer not found.")
		return
	}
	c.json(http.StatusOK, s.customerJSON(c, cu))
}

// createCustomer: POST /customers; required currency, customerGroup,
// name, paymentTerms, vatZone (_customers.md).
func (s *Sandbox) createCustomer(c *call) {
	d, ok := c.object()
	if !ok {
		return
	}
	b := c.ag.books
	a := &annotated{}
	nulls(a, "", map[string]any(d))
	cu := &customer{}
	if !d.has("name") {
		a.missing("name")
	} else if n, ok := text(a, d, "name", "name", 255); ok {
		if n == "" {
			a.invalid("name", "Property name must have at least 1 character.", n)
		}
		cu.name = n
	}
	if !d.has("currency") {
		a.missing("currency")
	} else if cur, ok := d.str("currency"); !ok || b.currencies[cur] == 0 {
		// The documented example (_introduction.md): E06000.
		a.add("currency", "E06000", "currency does not exist.", d["currency"], "Find a list of currencies at https://restapi.e-conomic.com/currencies.")
	} else {
		cu.currency = cur
	}
	refs := []struct {
		key, id, coll string
		exists        func(int64) bool
		set           *int64
		required      bool
	}{
		{"customerGroup", "customerGroupNumber", "customer-groups", func(n int64) bool { return b.customerGroup(n) != nil }, &cu.group, true},
		{"paymentTerms", "paymentTermsNumber", "payment-terms", func(n int64) bool { return b.paymentTerm(n) != nil }, &cu.terms, true},
		{"vatZone", "vatZoneNumber", "vat-zones", func(n int64) bool { return b.vatZone(n) != nil }, &cu.zone, true},
		{"layout", "layoutNumber", "layouts", func(n int64) bool { return b.layout(n) != nil }, &cu.layout, false},
	}
	for _, r := range refs {
		n, present, ok := ref(a, d, r.key, r.key, r.id, r.coll)
		switch {
		case !present && r.required:
			a.missing(r.key)
		case ok && !r.exists(n):
			a.notExist(r.key, n, r.coll)
		case ok:
			*r.set = n
		}
	}
	if d.has("customerNumber") {
		n, ok := d.int("customerNumber")
		switch {
		case !ok || n < 1 || n > 999999999:
			a.invalid("customerNumber", "Property customerNumber must be between 1 and 999999999.", d["customerNumber"])
		case b.customer(n) != nil:
			// Not documented: the words of a number taken.
			a.invalid("customerNumber", "A customer with number "+itoa(n)+" already exists.", n)
		default:
			cu.number = n
		}
	}
	for _, f := range []struct {
		key string
		max int
		to  *string
	}{{"corporateIdentificationNumber", 40, &cu.cvr}, {"address", 510, &cu.address}, {"zip", 30, &cu.zip}, {"city", 50, &cu.city},
		{"country", 50, &cu.country}, {"email", 255, &cu.email}, {"ean", 40, &cu.ean}, {"vatNumber", 50, &cu.vatNum}} {
		*f.to, _ = text(a, d, f.key, f.key, f.max)
	}
	cu.barred = d.boolean("barred")
	if !a.empty() {
		c.refuse(a)
		return
	}
	if cu.number == 0 {
		cu.number = b.nextCustomerNumber()
	}
	b.customers = append(b.customers, cu)
	m := s.customerJSON(c, cu)
	c.created(m["self"].(string), m)
}

// --- draft and booked invoices ---

// dueDate as e-conomic computes it from the payment terms: net N days
// from the invoice date; invoiceMonth ("løbende måned + N") N days from
// the end of the invoice's month; cash and prepaid on the day; dueDate
// the date given. Not documented beyond the type names: the sandbox's
// reading of them.
func dueDate(dateStr string, t *paymentTerm, given string) string {
	d, err := time.Parse(time.DateOnly, dateStr)
	if err != nil || t == nil {
		return given
	}
	switch t.kind {
	case "dueDate":
		return given
	case "invoiceMonth":
		end := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC)
		return end.AddDate(0, 0, int(t.days)).Format(time.DateOnly)
	case "paidInCash", "prepaid", "creditcard":
		return dateStr
	}
	return d.AddDate(0, 0, int(t.days)).Format(time.DateOnly)
}

func (s *Sandbox) draftJSON(c *call, d *draft, withLines bool) map[string]any {
	b := c.ag.books
	net, vat := b.totals(d)
	t := b.paymentTerm(d.terms)
	p := "/invoices/drafts/" + itoa(d.number)
	m := s.invoiceBody(c, d, net, vat, t)
	m["draftInvoiceNumber"] = d.number
	m["pdf"] = map[string]any{"self": c.link(p + "/pdf")}
	m["templates"] = map[string]any{"bookingInstructions": c.link(p + "/templates/booking-instructions"), "self": c.link(p + "/templates")}
	m["self"] = c.link(p)
	if withLines {
		m["lines"] = s.linesJSON(c, d, false)
	}
	return m
}

// invoiceBody is what a draft and a booked invoice share.
func (s *Sandbox) invoiceBody(c *call, d *draft, net, vat float64, t *paymentTerm) map[string]any {
	rate := d.exchangeRate
	m := map[string]any{"date": d.date, "currency": d.currency, "exchangeRate": rate,
		"netAmount": net, "vatAmount": vat, "grossAmount": round2(net + vat), "roundingAmount": 0,
		"netAmountInBaseCurrency": round2(net * rate / 100), "grossAmountInBaseCurrency": round2((net + vat) * rate / 100),
		"customer": map[string]any{"customerNumber": d.customer, "self": c.link("/customers/" + itoa(d.customer))},
		"layout":   map[string]any{"layoutNumber": d.layout, "self": c.link("/layouts/" + itoa(d.layout))},
	}
	if due := dueDate(d.date, t, d.dueDate); due != "" {
		m["dueDate"] = due
	}
	if t != nil {
		m["paymentTerms"] = map[string]any{"paymentTermsNumber": t.number, "name": t.name, "paymentTermsType": t.kind,
			"daysOfCredit": t.days, "self": c.link("/payment-terms/" + itoa(t.number))}
	}
	rc := map[string]any{"name": d.recipientName, "vatZone": map[string]any{"vatZoneNumber": d.recipientZone, "self": c.link("/vat-zones/" + itoa(d.recipientZone))}}
	for k, v := range map[string]string{"address": d.recipientAddress, "zip": d.recipientZip, "city": d.recipientCity, "country": d.recipientCountry} {
		if v != "" {
			rc[k] = v
		}
	}
	m["recipient"] = rc
	if d.other != "" {
		m["references"] = map[string]any{"other": d.other}
	}
	notes := map[string]any{}
	for k, v := range map[string]string{"heading": d.heading, "textLine1": d.text1, "textLine2": d.text2} {
		if v != "" {
			notes[k] = v
		}
	}
	if len(notes) > 0 {
		m["notes"] = notes
	}
	return m
}

func (s *Sandbox) linesJSON(c *call, d *draft, booked bool) []map[string]any {
	b := c.ag.books
	out := make([]map[string]any, 0, len(d.lines))
	for _, l := range d.lines {
		net, vat, rate, _ := b.lineTotals(l, d.recipientZone)
		m := map[string]any{"lineNumber": l.lineNumber, "sortKey": l.sortKey, "description": l.description,
			"product":  map[string]any{"productNumber": l.product, "self": c.link("/products/" + selfEncode(l.product))},
			"quantity": l.quantity, "unitNetPrice": l.price, "totalNetAmount": net}
		if l.discount != 0 {
			m["discountPercentage"] = l.discount
		}
		if u := b.unit(l.unit); u != nil {
			m["unit"] = map[string]any{"unitNumber": u.number, "name": u.name, "self": c.link("/units/" + itoa(u.number))}
		}
		if booked {
			m["vatRate"] = rate
			m["vatAmount"] = vat
		}
		out = append(out, m)
	}
	return out
}

// draftFields() are filterable (_invoices.md, GET /invoices/drafts).
var draftFields = sync.OnceValue(func() map[string]func(map[string]any) string {
	return map[string]func(map[string]any) string{
		"draftInvoiceNumber": num("draftInvoiceNumber"), "date": num("date"), "currency": num("currency"),
		"customer.customerNumber": nested("customer", "customerNumber"), "references.other": nested("references", "other"),
		"recipient.name": nested("recipient", "name"),
	}
})

func (s *Sandbox) draftList(c *call) {
	b := c.ag.books
	items := make([]map[string]any, 0, len(b.drafts))
	for _, d := range b.drafts {
		items = append(items, s.draftJSON(c, d, false))
	}
	c.collection(items, draftFields(), "/invoices/drafts")
}

func (s *Sandbox) draftOne(c *call) {
	n, ok := c.pathInt("n")
	d := c.ag.books.draft(n)
	if !ok || d == nil {
		c.fail(http.StatusNotFound, "Draft invoice not found.")
		return
	}
	c.json(http.StatusOK, s.draftJSON(c, d, true))
}

// createDraft: POST /invoices/drafts; required currency, customer, date,
// layout, paymentTerms, recipient, recipient.name, recipient.vatZone
// (_invoices.md). It creates the draft and books nothing.
func (s *Sandbox) createDraft(c *call) {
	body, ok := c.object()
	if !ok {
		return
	}
	b := c.ag.books
	a := &annotated{}
	nulls(a, "", map[string]any(body))
	d := &draft{}
	if !body.has("date") {
		a.missing("date")
	} else {
		d.date, _ = date(a, body, "date", "date")
	}
	if !body.has("currency") {
		a.missing("currency")
	} else if cur, ok := body.str("currency"); !ok || b.currencies[cur] == 0 {
		a.add("currency", "E06000", "currency does not exist.", body["currency"], "Find a list of currencies at https://restapi.e-conomic.com/currencies.")
	} else {
		d.currency = cur
		d.exchangeRate = b.currencies[cur]
	}
	if body.has("exchangeRate") {
		if f, ok := body.float("exchangeRate"); ok && f > 0 && f <= 999999999999 {
			d.exchangeRate = f
		} else {
			a.invalid("exchangeRate", "Property exchangeRate must be a positive number.", body["exchangeRate"])
		}
	}
	refs := []struct {
		key, id, coll string
		exists        func(int64) bool
		set           *int64
	}{
		{"customer", "customerNumber", "customers", func(n int64) bool { return b.customer(n) != nil }, &d.customer},
		{"layout", "layoutNumber", "layouts", func(n int64) bool { return b.layout(n) != nil }, &d.layout},
		{"paymentTerms", "paymentTermsNumber", "payment-terms", func(n int64) bool { return b.paymentTerm(n) != nil }, &d.terms},
	}
	for _, r := range refs {
		n, present, ok := ref(a, body, r.key, r.key, r.id, r.coll)
		switch {
		case !present:
			a.missing(r.key)
		case ok && !r.exists(n):
			a.notExist(r.key, n, r.coll)
		case ok:
			*r.set = n
		}
	}
	d.dueDate, _ = date(a, body, "dueDate", "dueDate")
	if t := b.paymentTerm(d.terms); t != nil && t.kind == "dueDate" && d.dueDate == "" && !body.has("dueDate") {
		// "Only used if the terms of payment is of type 'duedate', in
		// which case it is mandatory."
		a.missing("dueDate")
	}
	if !body.has("recipient") {
		a.missing("recipient")
	} else if rc, ok := body.obj("recipient"); !ok {
		a.invalid("recipient", "Property recipient must be an object.", nil)
	} else {
		if !rc.has("name") {
			a.missing("recipient.name")
		} else {
			d.recipientName, _ = text(a, rc, "recipient.name", "name", 250)
		}
		d.recipientAddress, _ = text(a, rc, "recipient.address", "address", 250)
		d.recipientZip, _ = text(a, rc, "recipient.zip", "zip", 50)
		d.recipientCity, _ = text(a, rc, "recipient.city", "city", 250)
		d.recipientCountry, _ = text(a, rc, "recipient.country", "country", 50)
		switch z, present, ok := ref(a, rc, "recipient.vatZone", "vatZone", "vatZoneNumber", "vat-zones"); {
		case !present:
			a.missing("recipient.vatZone")
		case ok && b.vatZone(z) == nil:
			a.notExist("recipient.vatZone", z, "vat-zones")
		case ok:
			d.recipientZone = z
		}
	}
	if r, ok := body.obj("references"); ok {
		d.other, _ = text(a, r, "references.other", "other", 250)
	}
	if n, ok := body.obj("notes"); ok {
		d.heading, _ = text(a, n, "notes.heading", "heading", 250)
		d.text1, _ = text(a, n, "notes.textLine1", "textLine1", 1000)
		d.text2, _ = text(a, n, "notes.textLine2", "textLine2", 1000)
	}
	if body.has("lines") {
		arr, ok := body["lines"].([]any)
		if !ok {
			a.invalid("lines", "Property lines must be an array.", nil)
		}
		for i, v := range arr {
			if l, ok := s.draftLine(a, b, i, v); ok {
				d.lines = append(d.lines, l)
			}
		}
	}
	if !a.empty() {
		c.refuse(a)
		return
	}
	d.number = b.nextDraft
	b.nextDraft++
	b.drafts = append(b.drafts, d)
	m := s.draftJSON(c, d, true)
	c.created(m["self"].(string), m)
}

func (s *Sandbox) draftLine(a *annotated, b *books, i int, v any) (invoiceLine, bool) {
	path := fmt.Sprintf("lines[%d]", i)
	l := invoiceLine{lineNumber: int64(i + 1), sortKey: int64(i + 1)}
	m, ok := v.(map[string]any)
	if !ok {
		a.invalid(path, "An invoice line must be an object.", nil)
		return l, false
	}
	d := doc(m)
	before := a.count
	if n, ok := d.int("lineNumber"); ok {
		l.lineNumber = n
	}
	if n, ok := d.int("sortKey"); ok {
		l.sortKey = n
	}
	l.description, _ = text(a, d, path+".description", "description", 2500)
	if !d.has("product") {
		// Not documented: the sandbox needs a product on every line to
		// find its sales account and VAT, as e-conomic does.
		a.missing(path + ".product")
		return l, false
	}
	pr, isObj := d.obj("product")
	switch pn, isStr := pr.str("productNumber"); {
	case !isObj:
		a.invalid(path+".product", "Property product must be an object.", nil)
	case isStr && pn != "":
		l.product = pn
	case pr.has("self"):
		self, _ := pr.str("self")
		l.product = selfDecode(self[strings.LastIndex(self, "/")+1:])
	default:
		a.noIdentifiers(path+".product", "productNumber", "products")
	}
	p := b.product(l.product)
	if l.product != "" && p == nil {
		a.notExist(path+".product", l.product, "products")
	}
	if p != nil && !d.has("description") {
		// "when setting existing products, description field is required"
		a.missing(path + ".description")
	}
	if !d.has("quantity") {
		a.add(path+".quantity", "E04730", "Property quantity must have a value when product is set.", nil, "Please check your request data.")
	} else if q, ok := d.float("quantity"); ok {
		l.quantity = q
	} else {
		a.invalid(path+".quantity", "Property quantity must be a number.", d["quantity"])
	}
	if d.has("unitNetPrice") {
		l.price, _ = twoDecimals(a, d, path+".unitNetPrice", "unitNetPrice")
	} else if p != nil {
		// Not documented: the product's sales price when none is given.
		l.price = p.salesPrice
	}
	if d.has("discountPercentage") {
		if f, ok := d.float("discountPercentage"); ok {
			l.discount = f
		} else {
			a.invalid(path+".discountPercentage", "Property discountPercentage must be a number.", d["discountPercentage"])
		}
	}
	if u, present, ok := ref(a, d, path+".unit", "unit", "unitNumber", "units"); present && ok {
		if b.unit(u) == nil {
			a.add(path+".unit", "E06000", "unit does not exist.", u, "Find a list of units at https://restapi.e-conomic.com/units.")
		}
		l.unit = u
	} else if p != nil {
		l.unit = p.unit
	}
	return l, a.count == before
}

// bookedDetail is the content of an invoice booked through the API.
func (s *Sandbox) bookedDetail(c *call, inv *bookedInvoice, m map[string]any) {
	b := c.ag.books
	d := b.bookedDrafts[inv.number]
	if d == nil {
		return
	}
	net, vat := b.totals(d)
	for k, v := range s.invoiceBody(c, d, net, vat, b.paymentTerm(d.terms)) {
		m[k] = v
	}
	m["lines"] = s.linesJSON(c, d, true)
	m["remainder"] = round2(net + vat)
	m["remainderInBaseCurrency"] = round2((net + vat) * d.exchangeRate / 100)
}

// book: POST /invoices/booked with {draftInvoice, bookWithNumber,
// sendBy}, or PUT /invoices/booked/{bookWithNumber} (_invoices.md). It
// returns the full booked invoice; the draft is gone. A number taken is
// refused: e-conomic keeps one invoice per number, and a booked invoice is
// never changed.
func (s *Sandbox) book(c *call) {
	body, ok := c.object()
	if !ok {
		return
	}
	b := c.ag.books
	a := &annotated{}
	nulls(a, "", map[string]any(body))
	var want int64
	if body.has("bookWithNumber") {
		n, ok := body.int("bookWithNumber")
		if !ok || n < 1 || n > 999999999 {
			a.invalid("bookWithNumber", "Property bookWithNumber must be an integer between 1 and 999999999.", body["bookWithNumber"])
		}
		want = n
	}
	if c.r.Method == http.MethodPut {
		n, ok := c.pathInt("n")
		switch {
		case !ok || n < 1:
			c.fail(http.StatusNotFound, "The requested resource was not found.")
			return
		case want != 0 && want != n:
			// "This number must match the number specified in the JSON
			// body of your request, if specified."
			a.invalid("bookWithNumber", "bookWithNumber does not match the number in the URL.", want)
		}
		want = n
	}
	if s, ok := body.str("sendBy"); ok && !strings.EqualFold(s, "none") {
		// EAN needs "a paying customer (non-demo)": never in a sandbox.
		a.invalid("sendBy", "The sandbox sends no invoice; only \"none\" is accepted.", s)
	}
	var d *draft
	switch n, present, ok := ref(a, body, "draftInvoice", "draftInvoice", "draftInvoiceNumber", "invoices/drafts"); {
	case !present:
		a.missing("draftInvoice")
	case ok:
		if d = b.draft(n); d == nil {
			a.notExist("draftInvoice", n, "invoices/drafts")
		}
	}
	if want != 0 && s.findBooked(c, want) != nil {
		// Not documented: the words of a number already booked.
		a.invalid("bookWithNumber", fmt.Sprintf("An invoice with number %d is already booked.", want), want)
	}
	var y *year
	if d != nil {
		for i, l := range d.lines {
			if p := b.product(l.product); p != nil && p.barred {
				// "If this value is true, then the product can no longer be
				// sold, and trying to book an invoice with this product will
				// not be possible." (_products.md)
				a.invalid(fmt.Sprintf("lines[%d].product", i), "The product "+p.number+" is barred.", p.number)
			}
		}
		if cu := b.customer(d.customer); cu != nil && cu.barred {
			a.invalid("customer", "The customer is barred from invoicing.", cu.number)
		}
		// Not documented: a booked invoice's date lies in an open
		// accounting year, whose ledger gets its entries.
		y = c.ag.yearOf(d.date)
		switch {
		case y == nil:
			a.invalid("date", "No accounting year covers the invoice date "+d.date+".", d.date)
		case y.closed:
			a.invalid("date", "The accounting year "+y.id+" is closed.", d.date)
		}
	}
	if !a.empty() {
		c.refuse(a)
		return
	}
	n := want
	if n == 0 {
		for _, inv := range c.ag.invoices {
			n = max(n, inv.number)
		}
		n++
	}
	net, vat := b.totals(d)
	gross := round2(net + vat)
	name := ""
	if cu := b.customer(d.customer); cu != nil {
		name = cu.name
	}
	inv := &bookedInvoice{number: n, date: d.date, gross: gross, name: fmt.Sprintf("Faktura %d, %s", n, name)}
	c.ag.invoices = append(c.ag.invoices, inv)
	b.bookedDrafts[n] = d
	b.drafts = slices.DeleteFunc(b.drafts, func(x *draft) bool { return x == d })
	c.ag.post(y, d, inv)
	m := s.invoiceJSON(c, inv)
	c.created(m["self"].(string), m)
}

func (s *Sandbox) findBooked(c *call, n int64) *bookedInvoice {
	for _, inv := range c.ag.invoices {
		if inv.number == n {
			return inv
		}
	}
	return nil
}

// bookedImmutable: "Once you book the invoice you can no longer edit it"
// (_invoices.md); nothing changes or deletes a booked invoice. 405 is
// the documented status of a method an endpoint does not support.
func (s *Sandbox) bookedImmutable(c *call) {
	c.w.Header().Set("Allow", "GET, PUT")
	c.fail(http.StatusMethodNotAllowed, "A booked invoice cannot be changed or deleted.")
}

// yearOf is the accounting year whose dates hold day.
func (ag *agreement) yearOf(day string) *year {
	for _, y := range ag.years {
		if y.from <= day && day <= y.to {
			return y
		}
	}
	return nil
}

// nextVoucher is the next voucher number of a year: after its booked
// entries and its journals' vouchers (not documented: one series a year).
func (ag *agreement) nextVoucher(y *year) int64 {
	n := int64(0)
	for _, e := range y.entries {
		n = max(n, e.voucher)
	}
	for _, v := range ag.books.vouchers {
		if v.year == y.id {
			n = max(n, v.number)
		}
	}
	return n + 1
}

// post writes a booked invoice's ledger entries (in base currency): the
// customer group's account debited with the gross amount, each line's
// sales account and the VAT account credited. Not documented how; the
// double entry is the sandbox's.
func (ag *agreement) post(y *year, d *draft, inv *bookedInvoice) {
	b := ag.books
	entryNo := int64(0)
	for _, yy := range ag.years {
		for _, e := range yy.entries {
			entryNo = max(entryNo, e.number)
		}
	}
	voucher := ag.nextVoucher(y)
	text := inv.name
	add := func(account int64, amount float64) {
		if amount == 0 {
			return
		}
		entryNo++
		y.entries = append(y.entries, &entry{number: entryNo, entryType: "customerInvoice", voucher: voucher, date: d.date, text: text,
			amount: round2(amount), account: account, bookedInvoice: inv.number, year: y.id})
	}
	base := func(x float64) float64 { return x * d.exchangeRate / 100 }
	receivable := int64(5600)
	if cu := b.customer(d.customer); cu != nil {
		if g := b.customerGroup(cu.group); g != nil {
			receivable = g.account
		}
	}
	net, vat := b.totals(d)
	add(receivable, base(net+vat))
	sales := map[int64]float64{}
	var order []int64
	vatBy := map[int64]float64{}
	for _, l := range d.lines {
		n, v, _, acc := b.lineTotals(l, d.recipientZone)
		if _, seen := sales[acc]; !seen {
			order = append(order, acc)
		}
		sales[acc] += n
		if a := b.account(acc); a != nil && a.vatCode != "" {
			if va := b.vatAccount(a.vatCode); va != nil {
				vatBy[va.account] += v
			}
		}
	}
	for _, acc := range order {
		add(acc, -base(sales[acc]))
	}
	for _, acc := range slices.Sorted(maps.Keys(vatBy)) {
		add(acc, -base(vatBy[acc]))
	}
}
