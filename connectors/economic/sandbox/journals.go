package sandbox

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Journal vouchers ("kassekladde"): draft entries left in a journal for
// the bookkeeper to book (e-conomic/slate:source/includes/_journals.md,
// there under /journals-experimental/…; spysystem/economic-rest:
// e-conomic.openapi.yaml and e-conomic/eco-api-ex's upload example under
// /journals/…). e-conomic documents no call that books a journal, and the
// sandbox has none: a voucher stays in its journal.

// voucherPath is a voucher's path: /journals/{j}/vouchers/{year}-{n}, the
// year written with the custom self-link encoding.
func voucherPath(v *journalVoucher) string {
	return "/journals/" + itoa(v.journal) + "/vouchers/" + yearSelf(v.year) + "-" + itoa(v.number)
}

func (s *Sandbox) voucherJSON(c *call, v *journalVoucher) map[string]any {
	p := voucherPath(v)
	yr := map[string]any{"year": v.year, "self": c.link("/accounting-years/" + yearSelf(v.year))}
	jr := map[string]any{"journalNumber": v.journal, "self": c.link("/journals/" + itoa(v.journal))}
	vh := map[string]any{"voucherNumber": v.number, "accountingYear": yr, "self": c.link(p)}
	var mci []map[string]any
	for _, e := range v.entries {
		m := map[string]any{"entryType": "manualCustomerInvoice", "amount": e.amount, "date": e.date, "journal": jr, "voucher": vh,
			"currency": map[string]any{"code": e.currency, "self": c.link("/currencies/" + e.currency)}}
		if e.customer != 0 {
			m["customer"] = map[string]any{"customerNumber": e.customer, "self": c.link("/customers/" + itoa(e.customer))}
		}
		if e.contraAccount != 0 {
			m["contraAccount"] = map[string]any{"accountNumber": e.contraAccount, "self": c.link("/accounts/" + itoa(e.contraAccount))}
		}
		if e.contraVatCode != "" {
			m["contraVatAccount"] = map[string]any{"vatCode": e.contraVatCode, "self": c.link("/vat-accounts/" + selfEncode(e.contraVatCode))}
		}
		if e.customerInvoice != 0 {
			m["customerInvoice"] = e.customerInvoice
		}
		if e.text != "" {
			m["text"] = e.text
		}
		if e.dueDate != "" {
			m["dueDate"] = e.dueDate
		}
		mci = append(mci, m)
	}
	return map[string]any{"accountingYear": yr, "journal": jr, "voucherNumber": v.number,
		"entries": map[string]any{"manualCustomerInvoices": mci}, "attachment": c.link(p + "/attachment"), "self": c.link(p)}
}

func (c *call) journal() *journal {
	n, ok := c.pathInt("j")
	j := c.ag.books.journal(n)
	if !ok || j == nil {
		c.fail(http.StatusNotFound, "Journal not found.")
		return nil
	}
	return j
}

// voucherList: GET /journals/{j}/vouchers; _journals.md documents no
// filterable property of it.
func (s *Sandbox) voucherList(c *call) {
	j := c.journal()
	if j == nil {
		return
	}
	// An empty journal answers an empty collection, never null.
	items := []map[string]any{}
	for _, v := range c.ag.books.vouchers {
		if v.journal == j.number {
			items = append(items, s.voucherJSON(c, v))
		}
	}
	c.collection(items, noFields, "/journals/"+itoa(j.number)+"/vouchers")
}

// voucher finds the voucher named by the path's {year}-{number}.
func (c *call) voucher() *journalVoucher {
	j := c.journal()
	if j == nil {
		return nil
	}
	yv := c.r.PathValue("yv")
	i := strings.LastIndex(yv, "-")
	n, err := strconv.ParseInt(yv[i+1:], 10, 64)
	if i <= 0 || err != nil {
		c.fail(http.StatusNotFound, "Voucher not found.")
		return nil
	}
	v := c.ag.books.voucher(j.number, yearPathID(yv[:i]), n)
	if v == nil {
		c.fail(http.StatusNotFound, "Voucher not found.")
	}
	return v
}

func (s *Sandbox) voucherOne(c *call) {
	if v := c.voucher(); v != nil {
		c.json(http.StatusOK, s.voucherJSON(c, v))
	}
}

// createVouchers: POST /journals/{j}/vouchers, "regardless of the type.
// Bulk creation is supported." Required: accountingYear and each entry's
// amount and date; a manual customer invoice names its customer or its
// contra account ("Either 'customer' or 'contraAccount' is required").
// The sandbox takes manual customer invoices only, the entry the export
// writes. A JSON array is a bulk creation, answered with an array (not
// documented).
func (s *Sandbox) createVouchers(c *call) {
	j := c.journal()
	if j == nil {
		return
	}
	body, ok := c.readBody()
	if !ok {
		return
	}
	a := &annotated{}
	nulls(a, "", body)
	var docs []doc
	var prefixes []string
	switch v := body.(type) {
	case map[string]any:
		docs, prefixes = []doc{v}, []string{""}
	case []any:
		for i, item := range v {
			m, ok := item.(map[string]any)
			if !ok {
				a.invalid(fmt.Sprintf("[%d]", i), "A voucher must be an object.", nil)
				continue
			}
			docs = append(docs, m)
			prefixes = append(prefixes, fmt.Sprintf("[%d].", i))
		}
	}
	var made []*journalVoucher
	for i, d := range docs {
		if v := s.parseVoucher(c, a, j, d, prefixes[i], made); v != nil {
			made = append(made, v)
		}
	}
	if !a.empty() {
		c.refuse(a)
		return
	}
	out := make([]map[string]any, 0, len(made))
	for _, v := range made {
		if v.number == 0 {
			y := c.ag.yearByID(v.year)
			v.number = c.ag.nextVoucher(y)
		}
		c.ag.books.vouchers = append(c.ag.books.vouchers, v)
		out = append(out, s.voucherJSON(c, v))
	}
	if _, bulk := body.([]any); bulk {
		c.json(http.StatusCreated, out)
		return
	}
	c.created(out[0]["self"].(string), out[0])
}

func (ag *agreement) yearByID(id string) *year {
	for _, y := range ag.years {
		if y.id == id {
			return y
		}
	}
	return nil
}

func (s *Sandbox) parseVoucher(c *call, a *annotated, j *journal, d doc, pre string, made []*journalVoucher) *journalVoucher {
	b := c.ag.books
	before := a.count
	v := &journalVoucher{journal: j.number}
	var y *year
	if !d.has("accountingYear") {
		a.missing(pre + "accountingYear")
	} else if ay, ok := d.obj("accountingYear"); !ok {
		a.invalid(pre+"accountingYear", "Property accountingYear must be an object.", nil)
	} else {
		id, _ := ay.str("year")
		if self, ok := ay.str("self"); id == "" && ok {
			id = yearPathID(self[strings.LastIndex(self, "/")+1:])
		}
		switch y = c.ag.yearByID(id); {
		case y == nil:
			a.notExist(pre+"accountingYear", id, "accounting-years")
		case y.closed:
			// Not documented: a closed year takes no new vouchers.
			a.invalid(pre+"accountingYear", "The accounting year "+id+" is closed.", id)
		default:
			v.year = y.id
		}
	}
	if n, present, ok := ref(a, d, pre+"journal", "journal", "journalNumber", "journals"); present && ok && n != j.number {
		a.invalid(pre+"journal", "The journal differs from the journal of the URL.", n)
	}
	if d.has("voucherNumber") {
		n, ok := d.int("voucherNumber")
		if !ok || n < 1 || n > 999999999 {
			a.invalid(pre+"voucherNumber", "Journal voucher number must be between 1-999999999.", d["voucherNumber"])
		}
		v.number = n
	}
	entries, ok := d.obj("entries")
	if !ok {
		a.missing(pre + "entries")
		return nil
	}
	for k, val := range entries {
		if arr, _ := val.([]any); k != "manualCustomerInvoices" && len(arr) > 0 {
			a.invalid(pre+"entries."+k, "The sandbox takes manual customer invoices only.", nil)
		}
	}
	arr, _ := entries["manualCustomerInvoices"].([]any)
	if len(arr) == 0 {
		a.missing(pre + "entries.manualCustomerInvoices")
	}
	if len(arr) > 0 && j.restrictedTo != "" && j.restrictedTo != "manualCustomerInvoice" {
		// Not documented how a journal's entryTypeRestrictedTo refuses.
		a.invalid(pre+"entries.manualCustomerInvoices", "Journal "+itoa(j.number)+" takes "+j.restrictedTo+" entries only.", nil)
	}
	for i, item := range arr {
		p := fmt.Sprintf("%sentries.manualCustomerInvoices[%d]", pre, i)
		m, ok := item.(map[string]any)
		if !ok {
			a.invalid(p, "An entry must be an object.", nil)
			continue
		}
		if e, n, ok := s.parseEntry(a, b, y, doc(m), p); ok {
			if n != 0 {
				if v.number != 0 && v.number != n {
					a.invalid(p+".voucher.voucherNumber", "The entries of one voucher name different voucher numbers.", n)
				}
				v.number = n
			}
			v.entries = append(v.entries, e)
		}
	}
	if v.number != 0 && y != nil {
		taken := c.ag.books.voucher(j.number, y.id, v.number) != nil
		for _, o := range c.ag.books.vouchers {
			taken = taken || (o.year == y.id && o.number == v.number)
		}
		for _, o := range made {
			taken = taken || (o.year == y.id && o.number == v.number)
		}
		for _, e := range y.entries {
			taken = taken || e.voucher == v.number
		}
		if taken {
			// Not documented: the words of a voucher number in use.
			a.invalid(pre+"voucherNumber", fmt.Sprintf("Voucher number %d is already used in %s.", v.number, y.id), v.number)
		}
	}
	if a.count != before {
		return nil
	}
	return v
}

func (s *Sandbox) parseEntry(a *annotated, b *books, y *year, d doc, p string) (voucherEntry, int64, bool) {
	before := a.count
	e := voucherEntry{currency: "DKK"}
	if !d.has("amount") {
		a.missing(p + ".amount")
	} else {
		e.amount, _ = twoDecimals(a, d, p+".amount", "amount")
	}
	if !d.has("date") {
		a.missing(p + ".date")
	} else if e.date, _ = date(a, d, p+".date", "date"); e.date != "" && y != nil && (e.date < y.from || e.date > y.to) {
		// Not documented: an entry's date lies in its voucher's year.
		a.invalid(p+".date", "The date lies outside the accounting year "+y.id+".", e.date)
	}
	e.dueDate, _ = date(a, d, p+".dueDate", "dueDate")
	e.text, _ = text(a, d, p+".text", "text", 250)
	cu, hasCustomer, okC := ref(a, d, p+".customer", "customer", "customerNumber", "customers")
	ca, hasContra, okA := ref(a, d, p+".contraAccount", "contraAccount", "accountNumber", "accounts")
	switch {
	case !hasCustomer && !hasContra:
		a.invalid(p+".customer", "Either 'customer' or 'contraAccount' is required.", nil)
	}
	if hasCustomer && okC {
		if b.customer(cu) == nil {
			a.notExist(p+".customer", cu, "customers")
		}
		e.customer = cu
	}
	if hasContra && okA {
		if b.account(ca) == nil {
			a.notExist(p+".contraAccount", ca, "accounts")
		}
		e.contraAccount = ca
	}
	if cv, ok := d.obj("contraVatAccount"); ok {
		code, _ := cv.str("vatCode")
		if self, ok := cv.str("self"); code == "" && ok {
			code = selfDecode(self[strings.LastIndex(self, "/")+1:])
		}
		switch {
		case code == "":
			a.noIdentifiers(p+".contraVatAccount", "vatCode", "vat-accounts")
		case b.vatAccount(code) == nil:
			a.notExist(p+".contraVatAccount", code, "vat-accounts")
		default:
			e.contraVatCode = b.vatAccount(code).code
		}
	}
	if cur, ok := d.obj("currency"); ok {
		code, _ := cur.str("code")
		if b.currencies[code] == 0 {
			a.add(p+".currency", "E06000", "currency does not exist.", code, "Find a list of currencies at https://restapi.e-conomic.com/currencies.")
		}
		e.currency = code
	}
	if d.has("customerInvoice") {
		n, ok := d.int("customerInvoice")
		if !ok || n < 1 {
			a.invalid(p+".customerInvoice", "Property customerInvoice must be an integer of at least 1.", d["customerInvoice"])
		}
		e.customerInvoice = n
	}
	var number int64
	if vh, ok := d.obj("voucher"); ok {
		if n, ok := vh.int("voucherNumber"); ok {
			if n < 1 || n > 999999999 {
				a.invalid(p+".voucher.voucherNumber", "Journal voucher number must be between 1-999999999.", n)
			}
			number = n
		}
	}
	return e, number, a.count == before
}

// --- a voucher's file ---

// maxAttachment: "Maximum file size is 9.0 MB per request."
const maxAttachment = 9 << 20

var pageRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`/Type\s*/Page[^s]`) })

func (s *Sandbox) attachmentJSON(c *call, v *journalVoucher) map[string]any {
	p := voucherPath(v) + "/attachment"
	return map[string]any{"createdAt": v.file.createdAt, "pages": v.file.pages, "file": c.link(p + "/file"), "self": c.link(p)}
}

// attachmentMeta: GET …/attachment, "file attachment metadata. E.g.
// number of pages"; 404 when the voucher has none (not documented).
func (s *Sandbox) attachmentMeta(c *call) {
	v := c.voucher()
	if v == nil {
		return
	}
	if v.file == nil {
		c.fail(http.StatusNotFound, "The voucher has no attachment.")
		return
	}
	c.json(http.StatusOK, s.attachmentJSON(c, v))
}

// attachmentFile: GET …/attachment/file, "always returned as .pdf". An
// image is served as a generated page naming it (not documented how
// e-conomic converts one).
func (s *Sandbox) attachmentFile(c *call) {
	v := c.voucher()
	if v == nil {
		return
	}
	if v.file == nil {
		c.fail(http.StatusNotFound, "The voucher has no attachment.")
		return
	}
	if !v.file.pdf {
		c.pdf(fmt.Sprintf("Bilag %s-%d", v.year, v.number), c.ag.Name, fmt.Sprintf("Billede, %d bytes", len(v.file.data)))
		return
	}
	c.w.Header().Set("Content-Type", "application/pdf")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(v.file.data)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(v.file.data)
}

// attachFile: POST …/attachment/file, multipart/form-data ("application/
// json is not a valid content-type"), .jpg, .jpeg, .pdf, .gif or .png, at
// most 9.0 MB a request. Not documented: its answer (201 with the file's
// metadata), the status of a file too large (413) or of a kind not
// supported (400), and that a voucher that has a file refuses a second
// (PATCH adds pages).
func (s *Sandbox) attachFile(c *call) {
	v := c.voucher()
	if v == nil {
		return
	}
	mt, params, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" || params["boundary"] == "" {
		c.fail(http.StatusUnsupportedMediaType, "Upload the file as multipart/form-data.")
		return
	}
	r := multipart.NewReader(http.MaxBytesReader(c.w, c.r.Body, maxAttachment), params["boundary"])
	var data []byte
	var name string
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			c.tooLargeOr(err)
			return
		}
		if part.FileName() == "" && data != nil {
			continue
		}
		b, err := io.ReadAll(part)
		if err != nil {
			c.tooLargeOr(err)
			return
		}
		if data == nil || part.FileName() != "" {
			data, name = b, part.FileName()
		}
	}
	a := &annotated{}
	kind := http.DetectContentType(data)
	ext := strings.ToLower(path.Ext(name))
	okExt := name == "" || map[string]bool{".jpg": true, ".jpeg": true, ".pdf": true, ".gif": true, ".png": true}[ext]
	okKind := map[string]bool{"application/pdf": true, "image/jpeg": true, "image/gif": true, "image/png": true}[kind]
	switch {
	case len(data) == 0:
		a.missing("file")
	case !okExt || !okKind:
		a.invalid("file", "Supported formats are: .jpg, .jpeg, .pdf, .gif and .png.", name)
	case v.file != nil:
		a.invalid("file", "The voucher has an attachment already; PATCH adds pages to it.", nil)
	}
	if !a.empty() {
		c.refuse(a)
		return
	}
	f := &attachment{data: data, pdf: kind == "application/pdf", pages: 1, createdAt: s.now().Format("2006-01-02")}
	if f.pdf {
		f.pages = max(1, len(pageRE().FindAll(data, -1)))
	}
	v.file = f
	m := s.attachmentJSON(c, v)
	c.created(m["self"].(string), m)
}

func (c *call) tooLargeOr(err error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		c.fail(http.StatusRequestEntityTooLarge, "Maximum file size is 9.0 MB per request.")
		return
	}
	c.fail(http.StatusBadRequest, "The multipart body cannot be read.")
}
