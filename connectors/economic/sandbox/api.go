package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"bilag/connectors/samplepdf"
)

// endpoint is one route of either API.
type endpoint struct {
	pattern string
	// name is the template counted in Stats ("GET /self").
	name string
	// roles reach it; none means any grant.
	roles  []string
	cost   int
	handle func(s *Sandbox, c *call)
}

// call is one API request being answered.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	s     *Sandbox
	docs  bool
	grant *grant
	ag    *agreement
	base  string
}

func (c *call) json(status int, v any) {
	c.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_ = json.NewEncoder(c.w).Encode(v)
}

// fail answers an error in the shape of the API asked: the REST API's
// annotated error, the Documents API's problem+json.
func (c *call) fail(status int, message string) {
	logID := randomToken()[:16]
	if c.docs {
		c.w.Header().Set("Content-Type", "application/problem+json")
		c.w.WriteHeader(status)
		_ = json.NewEncoder(c.w).Encode(map[string]any{
			"type": "https://apis.e-conomic.com/problems/" + strconv.Itoa(status), "title": http.StatusText(status),
			"status": status, "detail": message, "traceId": logID,
		})
		return
	}
	c.json(status, map[string]any{
		"message": message, "developerHint": hint(status), "logId": logID, "httpStatusCode": status,
		"logTime": c.s.now().Format("2006-01-02T15:04:05"), "errors": map[string]any{},
	})
}

func hint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Supply valid X-AppSecretToken and X-AgreementGrantToken headers; use the word demo for both tokens to try the demo agreement."
	case http.StatusForbidden:
		return "The role of the app does not give access to this resource."
	case http.StatusTooManyRequests:
		return "You are over your quota; see the response headers."
	case http.StatusBadRequest:
		return "Please check your request data."
	case http.StatusNotFound:
		return "Use the links the API provides; you should never need to concatenate URLs."
	case http.StatusMethodNotAllowed:
		return "This endpoint does not support this HTTP method."
	case http.StatusUnsupportedMediaType:
		return "The REST API is a JSON API; a voucher's file is uploaded as multipart/form-data."
	}
	return "See the API documentation."
}

// api wraps an endpoint with the checks every call meets: the two tokens,
// GET only for the demo tokens, the fair-use count, the role.
func (s *Sandbox) api(e endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, s: s, docs: strings.HasPrefix(r.URL.Path, DocumentsPrefix+"/") || r.URL.Path == DocumentsPrefix, base: s.base(r)}
		if s.cfg.latency > 0 {
			time.Sleep(s.cfg.latency)
		}
		secret, token := r.Header.Get("X-AppSecretToken"), r.Header.Get("X-AgreementGrantToken")
		s.mu.Lock()
		defer s.mu.Unlock()
		s.stats.Calls[e.name]++
		switch {
		case secret == "demo" && token == "demo":
			if r.Method != http.MethodGet {
				c.fail(http.StatusForbidden, "The demo agreement is read only.")
				return
			}
			c.grant = &grant{agreement: AgreementNordlys, app: App{Name: "Demo", PublicToken: "demo", Role: RoleSuperUser}, role: RoleSuperUser, login: "demo"}
		default:
			// The two tokens are checked apart (not documented): the
			// secret names an app, the grant token an agreement's grant.
			_, okApp := s.appBySecret(secret)
			g := s.grants[token]
			if secret == "" || token == "" || !okApp || g == nil {
				c.fail(http.StatusUnauthorized, "Invalid X-AppSecretToken or X-AgreementGrantToken, or the agreement has revoked the grant.")
				return
			}
			c.grant = g
		}
		c.ag = s.world.agreement(c.grant.agreement)
		day := c.grant.agreement
		key := itoa(day) + "@" + s.now().Format(time.DateOnly)
		s.counts[key]++
		if s.counts[key] > s.cfg.dailyLimit {
			s.stats.RateLimited++
			y, m, d := s.now().Date()
			wait := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Sub(s.now())
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			c.fail(http.StatusTooManyRequests, "Fair use: the agreement is over its quota of API calls.")
			return
		}
		if len(e.roles) > 0 && !slices.Contains(e.roles, c.grant.role) {
			c.fail(http.StatusForbidden, "The app's role does not give access to this resource.")
			return
		}
		cost := e.cost
		if cost == 0 {
			cost = 1
		}
		w.Header().Set("X-Callcost", strconv.Itoa(cost))
		e.handle(s, c)
	})
}

var (
	bookkeeping = []string{RoleSuperUser, RoleBookkeeping}
	sales       = []string{RoleSuperUser, RoleSales}
)

func endpoints() []endpoint {
	read := []endpoint{
		{pattern: "GET /self", name: "GET /self", handle: (*Sandbox).self},
		{pattern: "GET /accounting-years", name: "GET /accounting-years", roles: bookkeeping, handle: (*Sandbox).years},
		{pattern: "GET /accounting-years/{year}/entries", name: "GET /accounting-years/{year}/entries", roles: bookkeeping, cost: 3, handle: (*Sandbox).entries},
		{pattern: "GET /invoices/booked", name: "GET /invoices/booked", roles: sales, handle: (*Sandbox).bookedInvoices},
		{pattern: "GET /invoices/booked/{n}", name: "GET /invoices/booked/{n}", roles: sales, handle: (*Sandbox).bookedInvoice},
		{pattern: "GET /invoices/booked/{n}/pdf", name: "GET /invoices/booked/{n}/pdf", roles: sales, cost: 13, handle: (*Sandbox).bookedInvoicePDF},
		{pattern: "GET " + DocumentsPrefix + "/AttachedDocuments", name: "GET /AttachedDocuments", roles: bookkeeping, handle: (*Sandbox).attached},
		{pattern: "GET " + DocumentsPrefix + "/AttachedDocuments/paged", name: "GET /AttachedDocuments/paged", roles: bookkeeping, handle: (*Sandbox).attachedPaged},
		{pattern: "GET " + DocumentsPrefix + "/AttachedDocuments/count", name: "GET /AttachedDocuments/count", roles: bookkeeping, handle: (*Sandbox).attachedCount},
		{pattern: "GET " + DocumentsPrefix + "/AttachedDocuments/{n}", name: "GET /AttachedDocuments/{n}", roles: bookkeeping, handle: (*Sandbox).attachedOne},
		{pattern: "GET " + DocumentsPrefix + "/AttachedDocuments/{n}/pdf", name: "GET /AttachedDocuments/{n}/pdf", roles: bookkeeping, cost: 13, handle: (*Sandbox).attachedPDF},
	}
	return append(append(read, exportEndpoints()...), ledgerEndpoints()...)
}

func (s *Sandbox) self(c *call) {
	a, g := c.ag, c.grant
	u := s.world.user(g.login)
	usr := map[string]any{"loginId": g.login, "agreementNumber": a.Number}
	if u != nil {
		usr["name"], usr["email"] = u.name, u.email
	}
	company := map[string]any{"name": a.Name, "country": "Danmark", "city": "København", "zip": "1000", "addressLine1": "Demovej 1"}
	if a.OrgNumber != "" {
		// e-conomic omits what is empty.
		company["companyIdentificationNumber"] = a.OrgNumber
	}
	c.json(http.StatusOK, map[string]any{
		"agreementNumber":    a.Number,
		"agreementType":      map[string]any{"agreementTypeNumber": 1, "name": a.typeName},
		"companyAffiliation": "E-conomic",
		"company":            company,
		"user":               usr,
		"application": map[string]any{"appNumber": 1, "appPublicToken": g.app.PublicToken, "name": g.app.Name,
			"requiredRoles": []any{map[string]any{"name": g.app.Role}}},
		"settings": map[string]any{"baseCurrency": "DKK"},
		"self":     c.base + "/self",
	})
}

// yearPathID reads a year id written with e-conomic's custom escape.
func yearPathID(p string) string {
	return strings.NewReplacer("_6_", "/", "_9_", " ", "_8_", "_").Replace(p)
}

// yearSelf writes a year id as e-conomic's self links do.
func yearSelf(id string) string {
	return strings.NewReplacer("_", "_8_", "/", "_6_", " ", "_9_").Replace(id)
}

func (s *Sandbox) years(c *call) {
	var items []map[string]any
	for _, y := range c.ag.years {
		it := map[string]any{"year": y.id, "fromDate": y.from, "toDate": y.to,
			"entries": c.base + "/accounting-years/" + yearSelf(y.id) + "/entries",
			"self":    c.base + "/accounting-years/" + yearSelf(y.id)}
		if y.closed {
			it["closed"] = true
		}
		items = append(items, it)
	}
	fields := map[string]func(map[string]any) string{"year": func(m map[string]any) string { return m["year"].(string) }}
	c.collection(items, fields, "/accounting-years")
}

func (s *Sandbox) entries(c *call) {
	id := yearPathID(c.r.PathValue("year"))
	var y *year
	for _, yy := range c.ag.years {
		if yy.id == id {
			y = yy
		}
	}
	if y == nil {
		c.fail(http.StatusNotFound, "Accounting year not found.")
		return
	}
	items := make([]map[string]any, 0, len(y.entries))
	for _, e := range y.entries {
		it := map[string]any{"entryNumber": e.number, "entryType": e.entryType, "voucherNumber": e.voucher,
			"date": e.date, "text": e.text, "amount": e.amount, "amountInBaseCurrency": e.amount, "currency": "DKK",
			"account":        map[string]any{"accountNumber": e.account, "self": c.base + "/accounts/" + itoa(e.account)},
			"accountingYear": map[string]any{"year": y.id, "self": c.base + "/accounting-years/" + yearSelf(y.id)},
			"self":           c.base + "/accounting-years/" + yearSelf(y.id) + "/entries/" + itoa(e.number)}
		if e.bookedInvoice > 0 {
			it["bookedInvoiceNumber"] = e.bookedInvoice
		}
		if e.department > 0 {
			// An entry's departmentalDistribution, as e-conomic's REST
			// entry schema and its clients give it
			// (departmentalDistributionNumber, distributionType, self).
			it["departmentalDistribution"] = map[string]any{"departmentalDistributionNumber": e.department, "distributionType": "department",
				"self": c.base + "/departmental-distributions/departments/" + itoa(e.department)}
		}
		items = append(items, it)
	}
	num := func(k string) func(map[string]any) string {
		return func(m map[string]any) string { return fmt.Sprint(m[k]) }
	}
	fields := map[string]func(map[string]any) string{
		"voucherNumber": num("voucherNumber"), "entryNumber": num("entryNumber"), "date": num("date"), "entryType": num("entryType"),
	}
	c.collection(items, fields, "/accounting-years/"+yearSelf(y.id)+"/entries")
}

func (s *Sandbox) invoiceJSON(c *call, inv *bookedInvoice) map[string]any {
	n := itoa(inv.number)
	m := map[string]any{"bookedInvoiceNumber": inv.number, "date": inv.date, "grossAmount": inv.gross, "currency": "DKK",
		"pdf": map[string]any{"download": c.base + "/invoices/booked/" + n + "/pdf"}, "self": c.base + "/invoices/booked/" + n}
	// An invoice booked through the API shows what it was booked with.
	s.bookedDetail(c, inv, m)
	return m
}

func (s *Sandbox) findInvoice(c *call) *bookedInvoice {
	n, err := strconv.ParseInt(c.r.PathValue("n"), 10, 64)
	if err != nil {
		return nil
	}
	for _, inv := range c.ag.invoices {
		if inv.number == n {
			return inv
		}
	}
	return nil
}

func (s *Sandbox) bookedInvoices(c *call) {
	items := make([]map[string]any, 0, len(c.ag.invoices))
	for _, inv := range c.ag.invoices {
		items = append(items, s.invoiceJSON(c, inv))
	}
	// Filterable (_invoices.md, GET /invoices/booked), as far as the
	// sandbox keeps them.
	fields := map[string]func(map[string]any) string{
		"bookedInvoiceNumber":     func(m map[string]any) string { return fmt.Sprint(m["bookedInvoiceNumber"]) },
		"date":                    func(m map[string]any) string { return fmt.Sprint(m["date"]) },
		"currency":                num("currency"),
		"customer.customerNumber": nested("customer", "customerNumber"),
		"references.other":        nested("references", "other"),
	}
	c.collection(items, fields, "/invoices/booked")
}

func (s *Sandbox) bookedInvoice(c *call) {
	inv := s.findInvoice(c)
	if inv == nil {
		c.fail(http.StatusNotFound, "Booked invoice not found.")
		return
	}
	c.json(http.StatusOK, s.invoiceJSON(c, inv))
}

func (s *Sandbox) bookedInvoicePDF(c *call) {
	inv := s.findInvoice(c)
	if inv == nil {
		c.fail(http.StatusNotFound, "Booked invoice not found.")
		return
	}
	c.pdf(fmt.Sprintf("Faktura %d", inv.number), c.ag.Name, inv.name, fmt.Sprintf("Beløb DKK %.2f", inv.gross), inv.date)
}

func (c *call) pdf(lines ...string) {
	b := samplepdf.Page(lines, 0)
	c.w.Header().Set("Content-Type", "application/pdf")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b)
}

// collection answers a REST collection: filter, sort, then skippages and
// pagesize, with e-conomic's pagination object.
func (c *call) collection(items []map[string]any, fields map[string]func(map[string]any) string, path string) {
	q := c.r.URL.Query()
	all := len(items)
	if f := q.Get("filter"); f != "" {
		pred, err := parseFilter(f, fields)
		if err != nil {
			c.fail(http.StatusBadRequest, err.Error())
			return
		}
		items = slices.DeleteFunc(items, func(m map[string]any) bool { return !pred(m) })
	}
	if sv := q.Get("sort"); sv != "" {
		if err := sortItems(items, sv, fields); err != nil {
			c.fail(http.StatusBadRequest, err.Error())
			return
		}
	}
	size, skip := 20, 0
	if v := q.Get("pagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			c.fail(http.StatusBadRequest, "pagesize must be between 1 and 1000.")
			return
		}
		size = n
	}
	if v := q.Get("skippages"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.fail(http.StatusBadRequest, "skippages must be 0 or more.")
			return
		}
		skip = n
	}
	link := func(p int) string {
		lq := url.Values{}
		for k, v := range q {
			lq[k] = v
		}
		lq.Set("skippages", strconv.Itoa(p))
		lq.Set("pagesize", strconv.Itoa(size))
		return c.base + path + "?" + lq.Encode()
	}
	lastPage := max((len(items)+size-1)/size-1, 0)
	from := min(skip*size, len(items))
	to := min(from+size, len(items))
	pg := map[string]any{"maxPageSizeAllowed": 1000, "skipPages": skip, "pageSize": size, "results": len(items),
		"resultsWithoutFilter": all, "firstPage": link(0), "lastPage": link(lastPage)}
	if skip < lastPage {
		pg["nextPage"] = link(skip + 1)
	}
	c.json(http.StatusOK, map[string]any{"collection": items[from:to], "pagination": pg, "self": c.base + c.r.URL.RequestURI()})
}

// --- Documents API ---

func (c *call) docsOfAgreement() []map[string]any {
	out := make([]map[string]any, 0, len(c.ag.docs))
	for _, d := range c.ag.docs {
		out = append(out, map[string]any{"number": d.number, "voucherNumber": d.voucher, "accountingYear": d.year, "pageCount": 1, "note": d.note})
	}
	return out
}

var docFields = sync.OnceValue(func() map[string]func(map[string]any) string {
	return map[string]func(map[string]any) string{
		"number":         func(m map[string]any) string { return fmt.Sprint(m["number"]) },
		"voucherNumber":  func(m map[string]any) string { return fmt.Sprint(m["voucherNumber"]) },
		"accountingYear": func(m map[string]any) string { return fmt.Sprint(m["accountingYear"]) },
	}
})

func (c *call) filteredDocs() ([]map[string]any, bool) {
	items := c.docsOfAgreement()
	if f := c.r.URL.Query().Get("filter"); f != "" {
		pred, err := parseFilter(f, docFields())
		if err != nil {
			c.fail(http.StatusBadRequest, err.Error())
			return nil, false
		}
		items = slices.DeleteFunc(items, func(m map[string]any) bool { return !pred(m) })
	}
	return items, true
}

func (s *Sandbox) attached(c *call) {
	items, ok := c.filteredDocs()
	if !ok {
		return
	}
	from := 0
	if cur := c.r.URL.Query().Get("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(items) {
			c.fail(http.StatusBadRequest, "Invalid cursor.")
			return
		}
		from = n
	}
	to := min(from+s.cfg.docsPage, len(items))
	out := map[string]any{"items": items[from:to]}
	if to < len(items) {
		out["cursor"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(to)))
	}
	c.json(http.StatusOK, out)
}

func (s *Sandbox) attachedPaged(c *call) {
	items, ok := c.filteredDocs()
	if !ok {
		return
	}
	q := c.r.URL.Query()
	size, skip := 20, 0
	if v := q.Get("pagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			c.fail(http.StatusBadRequest, "pagesize must be between 1 and 100.")
			return
		}
		size = n
	}
	if v := q.Get("skippages"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.fail(http.StatusBadRequest, "skippages must be 0 or more.")
			return
		}
		skip = n
	}
	if v := q.Get("sort"); v != "" {
		if err := sortItems(items, v, docFields()); err != nil {
			c.fail(http.StatusBadRequest, err.Error())
			return
		}
	}
	// Only the first 10,000 items are reachable through /paged.
	items = items[:min(len(items), 10000)]
	from := min(skip*size, len(items))
	c.json(http.StatusOK, items[from:min(from+size, len(items))])
}

func (s *Sandbox) attachedCount(c *call) {
	items, ok := c.filteredDocs()
	if !ok {
		return
	}
	c.json(http.StatusOK, len(items))
}

func (c *call) doc() *attachedDoc {
	n, err := strconv.ParseInt(c.r.PathValue("n"), 10, 64)
	if err != nil {
		return nil
	}
	for _, d := range c.ag.docs {
		if d.number == n {
			return d
		}
	}
	return nil
}

func (s *Sandbox) attachedOne(c *call) {
	d := c.doc()
	if d == nil {
		c.fail(http.StatusNotFound, "Attached document not found.")
		return
	}
	c.json(http.StatusOK, map[string]any{"number": d.number, "voucherNumber": d.voucher, "accountingYear": d.year, "pageCount": 1, "note": d.note})
}

func (s *Sandbox) attachedPDF(c *call) {
	d := c.doc()
	if d == nil {
		c.fail(http.StatusNotFound, "Attached document not found.")
		return
	}
	if d.hostile {
		// A file that is no PDF, served as one.
		c.w.Header().Set("Content-Type", "application/pdf")
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write([]byte("<html><script>alert(document.cookie)</script></html>"))
		return
	}
	c.pdf(fmt.Sprintf("Bilag %d (%s)", d.voucher, d.year), c.ag.Name, d.note, fmt.Sprintf("Dokument %d", d.number))
}
