package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"bilag/connectors/samplepdf"
)

type voucherOut struct {
	Id, VoucherDate, VoucherText, ModifiedUtc string
	VoucherType                               int
	SourceId                                  *string
	NumberAndNumberSeries                     string
	Rows                                      []struct {
		AccountNumber             int64
		DebitAmount, CreditAmount float64
	}
	Attachments struct {
		DocumentId    string
		DocumentType  int
		AttachmentIds []string
	}
}

type page[T any] struct {
	Meta struct {
		CurrentPage, PageSize, TotalNumberOfPages, TotalNumberOfResults int
	}
	Data []T
}

type attachmentOut struct {
	Id, ContentType, FileName string
	TemporaryUrl              *string
	DocumentId                *string
	AttachmentStatus          int
}

// TestValidatorCatchesMismatch proves the validating transport is not a
// no-op: a body that breaks the document is reported.
func TestValidatorCatchesMismatch(t *testing.T) {
	t.Parallel()
	sp := loadSpec(t)
	req := httptestRequest(t, "https://eaccountingapi.vismaonline.com/v2/companysettings")
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"Name": 5, "Unknown": true}`)), Request: req}
	if ok, _ := sp.v.ValidateHttpResponse(req, resp); ok {
		t.Fatal("a body with a wrong type and an unknown field passed validation")
	}
}

func httptestRequest(t *testing.T, u string) *http.Request {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func download(t *testing.T, e *env, u string) (int, string, []byte) {
	t.Helper()
	// No bearer token: a TemporaryUrl works on its own.
	resp, err := e.hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func TestBookkeepingWalkthrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.connect("anna.lindqvist@example.se", "556812-3474", allScopes).AccessToken

	var users page[struct {
		Email         string
		IsCurrentUser bool
	}]
	if st, ae := e.get(tok, "/v2/users", &users); st != 200 {
		t.Fatalf("users = %d %+v", st, ae)
	}
	var me string
	for _, u := range users.Data {
		if u.IsCurrentUser {
			me = u.Email
		}
	}
	if me != "anna.lindqvist@example.se" {
		t.Errorf("IsCurrentUser is %q, want Anna", me)
	}

	var fys page[struct{ Id, StartDate string }]
	if st, _ := e.get(tok, "/v2/fiscalyears", &fys); st != 200 || len(fys.Data) != 2 {
		t.Fatalf("fiscalyears = %d %d", st, len(fys.Data))
	}

	var all page[voucherOut]
	if st, ae := e.get(tok, "/v2/vouchers?$pagesize=1000", &all); st != 200 {
		t.Fatalf("vouchers = %d %+v", st, ae)
	}
	if n := all.Meta.TotalNumberOfResults; n < 200 || n != len(all.Data) {
		t.Fatalf("vouchers: %d results, %d on the page", n, len(all.Data))
	}
	var withFiles, supplier, customer *voucherOut
	for i := range all.Data {
		v := &all.Data[i]
		var d, c float64
		for _, r := range v.Rows {
			d += r.DebitAmount
			c += r.CreditAmount
		}
		if fmt.Sprintf("%.2f", d) != fmt.Sprintf("%.2f", c) {
			t.Errorf("voucher %s is not balanced: debit %.2f credit %.2f", v.NumberAndNumberSeries, d, c)
		}
		switch {
		case withFiles == nil && len(v.Attachments.AttachmentIds) > 0:
			withFiles = v
		case supplier == nil && v.VoucherType == vtSupplierInvoice:
			supplier = v
		case customer == nil && v.VoucherType == vtCustomerInvoice:
			customer = v
		}
	}
	if withFiles == nil || supplier == nil || customer == nil {
		t.Fatal("the demo company lacks a voucher with files, a supplier invoice or a customer invoice")
	}

	var fy1 page[voucherOut]
	if st, _ := e.get(tok, "/v2/vouchers/"+fys.Data[0].Id+"?$pagesize=5&$page=2", &fy1); st != 200 || len(fy1.Data) != 5 || fy1.Meta.CurrentPage != 2 {
		t.Errorf("vouchers by fiscal year page 2 = %d %+v", st, fy1.Meta)
	}

	// One voucher needs its fiscal year id too.
	fyOf := func(v *voucherOut) string {
		if strings.HasPrefix(v.VoucherDate, "2024") {
			return fys.Data[0].Id
		}
		return fys.Data[1].Id
	}
	var one voucherOut
	if st, ae := e.get(tok, "/v2/vouchers/"+fyOf(withFiles)+"/"+withFiles.Id, &one); st != 200 || one.Id != withFiles.Id {
		t.Fatalf("voucher = %d %+v", st, ae)
	}
	if st, ae := e.get(tok, "/v2/vouchers/"+fyOf(withFiles)+"/"+supplier.Id[:35]+"0", nil); st != 404 || ae.ErrorCode != 3000 {
		t.Errorf("unknown voucher = %d %d, want 404 3000", st, ae.ErrorCode)
	}

	var att attachmentOut
	if st, ae := e.get(tok, "/v2/attachments/"+one.Attachments.AttachmentIds[0], &att); st != 200 || att.TemporaryUrl == nil {
		t.Fatalf("attachment = %d %+v", st, ae)
	}
	st, ct, body := download(t, e, *att.TemporaryUrl)
	if st != 200 || ct != att.ContentType || len(body) == 0 {
		t.Fatalf("download = %d %s (%d bytes), want %s", st, ct, len(body), att.ContentType)
	}

	// Supplier-invoice files hang on the invoice, not on the voucher.
	if len(supplier.Attachments.AttachmentIds) != 0 || supplier.SourceId == nil {
		t.Errorf("supplier voucher %+v should have no own attachments and a SourceId", supplier.Attachments)
	}
	var si struct {
		Id, InvoiceNumber, SupplierName, VoucherId string
		TotalAmount                                float64
		Attachments                                []string
	}
	if st, ae := e.get(tok, "/v2/supplierinvoices/"+*supplier.SourceId, &si); st != 200 || si.VoucherId != supplier.Id {
		t.Fatalf("supplier invoice = %d %+v %+v", st, ae, si)
	}
	// The list holds the same invoice; validated against the document too.
	var sis struct {
		Meta struct{ TotalNumberOfResults int }
		Data []struct{ Id, VoucherId string }
	}
	if st, ae := e.get(tok, "/v2/supplierinvoices?$page=1&$pagesize=1000", &sis); st != 200 || sis.Meta.TotalNumberOfResults == 0 {
		t.Fatalf("supplier invoice list = %d %+v (%d results)", st, ae, sis.Meta.TotalNumberOfResults)
	}
	listed := false
	for _, x := range sis.Data {
		listed = listed || (x.Id == si.Id && x.VoucherId == supplier.Id)
	}
	if !listed {
		t.Errorf("supplier invoice %s is not in GET /v2/supplierinvoices", si.Id)
	}
	if len(si.Attachments) > 0 {
		var sa attachmentOut
		e.get(tok, "/v2/attachments/"+si.Attachments[0], &sa)
		if _, ct, b := download(t, e, *sa.TemporaryUrl); ct == "application/pdf" {
			checkPDF(t, b)
			if !bytes.Contains(b, []byte(samplepdf.Text(si.InvoiceNumber))) {
				t.Errorf("the invoice PDF does not print invoice number %s", si.InvoiceNumber)
			}
		}
	}

	var pdf struct{ Url string }
	if st, ae := e.get(tok, "/v2/customerinvoices/"+*customer.SourceId+"/pdf", &pdf); st != 200 {
		t.Fatalf("customer invoice pdf = %d %+v", st, ae)
	}
	if st, ct, b := download(t, e, pdf.Url); st != 200 || ct != "application/pdf" {
		t.Errorf("customer invoice download = %d %s", st, ct)
	} else {
		checkPDF(t, b)
	}

	var bal page[struct {
		AccountNumber int64
		Balance       float64
	}]
	if st, ae := e.get(tok, "/v2/accountbalances/2025-06-30T00:00:00Z", &bal); st != 200 || len(bal.Data) == 0 {
		t.Errorf("account balances = %d %+v", st, ae)
	}
	if e.vt.n < 10 {
		t.Errorf("only %d API responses were validated", e.vt.n)
	}
	if e.sb.Stats().FileDownloads < 2 {
		t.Errorf("FileDownloads = %d", e.sb.Stats().FileDownloads)
	}
}

// checkPDF checks the header, the trailer and that every xref offset points
// at its object.
func checkPDF(t *testing.T, b []byte) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.4")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		t.Fatalf("not a PDF: %q", b[:min(len(b), 20)])
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	off, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(b[off:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the xref table", off)
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(b[off:], -1)
	for i, en := range entries {
		o, _ := strconv.Atoi(string(en[1]))
		if want := fmt.Sprintf("%d 0 obj", i+1); !bytes.HasPrefix(b[o:], []byte(want)) {
			t.Errorf("xref entry %d points at %q", i+1, b[o:o+10])
		}
	}
}

func TestFileFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.connect("anna.lindqvist@example.se", "556812-3474", allScopes).AccessToken
	var atts page[attachmentOut]
	if st, ae := e.get(tok, "/v2/attachments?$pagesize=1000", &atts); st != 200 {
		t.Fatalf("attachments = %d %+v", st, ae)
	}
	seen := map[string]bool{}
	for _, a := range atts.Data {
		if seen[a.ContentType] {
			continue
		}
		seen[a.ContentType] = true
		st, ct, b := download(t, e, *a.TemporaryUrl)
		if st != 200 || ct != a.ContentType {
			t.Fatalf("%s: %d %s", a.FileName, st, ct)
		}
		switch ct {
		case "application/pdf":
			checkPDF(t, b)
		case "image/jpeg":
			if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("%s: %v", a.FileName, err)
			}
		case "image/png":
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("%s: %v", a.FileName, err)
			}
		case "image/tiff":
			checkTIFF(t, b)
		}
	}
	for _, ct := range []string{"application/pdf", "image/jpeg", "image/png", "image/tiff"} {
		if !seen[ct] {
			t.Errorf("no %s attachment in the demo company", ct)
		}
	}
}

func checkTIFF(t *testing.T, b []byte) {
	t.Helper()
	le := binary.LittleEndian
	if string(b[:2]) != "II" || le.Uint16(b[2:]) != 42 {
		t.Fatal("bad TIFF header")
	}
	ifd := le.Uint32(b[4:])
	n := int(le.Uint16(b[ifd:]))
	tags := map[uint16]uint32{}
	for i := range n {
		p := int(ifd) + 2 + 12*i
		tag, typ := le.Uint16(b[p:]), le.Uint16(b[p+2:])
		v := le.Uint32(b[p+8:])
		if typ == 3 {
			v = uint32(le.Uint16(b[p+8:]))
		}
		tags[tag] = v
	}
	w, h := tags[256], tags[257]
	if w == 0 || h == 0 || tags[258] != 8 || tags[259] != 1 || int(tags[273]+tags[279]) > len(b) || tags[279] != w*h {
		t.Errorf("TIFF tags = %v", tags)
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.connect("anna.lindqvist@example.se", "556812-3474", allScopes).AccessToken
	count := func(filter string) (int, int, int) {
		var p page[voucherOut]
		st, ae := e.get(tok, "/v2/vouchers?$pagesize=1&$filter="+url.QueryEscape(filter), &p)
		return st, ae.ErrorCode, p.Meta.TotalNumberOfResults
	}
	_, _, total := count("VoucherType ge 0")
	tests := []struct {
		filter     string
		wantStatus int
		wantCode   int
		check      func(n int) bool
	}{
		{"VoucherDate ge 2024-01-01 and VoucherDate le 2024-12-31", 200, 0, func(n int) bool { return n > 0 && n < total }},
		{"VoucherDate ge 2024-01-01T00:00:00Z and VoucherDate lt 2025-01-01T00:00:00Z", 200, 0, func(n int) bool { return n > 0 && n < total }},
		{"ModifiedUtc gt 2025-06-01T00:00:00Z", 200, 0, func(n int) bool { return n > 0 && n < total }},
		{"ModifiedUtc gt 2030-01-01T00:00:00Z", 200, 0, func(n int) bool { return n == 0 }},
		{"(VoucherType eq 12 or VoucherType eq 13) and VoucherDate ge 2025-01-01", 200, 0, func(n int) bool { return n > 0 }},
		{"ModifiedUtc gt '2025-06-01'", 400, 6001, nil},
		{"ModifiedUtc gt 2025-13-45", 400, 6001, nil},
		{"Nonsense gt 1", 400, 6000, nil},
		{"VoucherDate between 1 and 2", 400, 6000, nil},
		{"VoucherDate ge", 400, 6000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			st, code, n := count(tt.filter)
			if st != tt.wantStatus || code != tt.wantCode {
				t.Fatalf("got %d/%d, want %d/%d", st, code, tt.wantStatus, tt.wantCode)
			}
			if tt.check != nil && !tt.check(n) {
				t.Errorf("%d results of %d", n, total)
			}
		})
	}
}

func TestPermissionsAndVariants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	attach := map[string]any{"ContentType": "application/pdf", "FileName": "kvitto.pdf", "Data": base64.StdEncoding.EncodeToString(samplepdf.Page([]string{"x"}, 0))}
	full := "ea:api offline_access ea:accounting ea:purchase ea:sales"
	tests := []struct {
		name, email, org, scope string
		method, path            string
		body                    any
		wantStatus, wantCode    int
	}{
		{"read-only bookkeeping may read", "erik.berg@example.se", "559104-3210", allScopes, "GET", "/v2/vouchers", nil, 200, 0},
		{"read-only bookkeeping may not write", "erik.berg@example.se", "559104-3210", full, "POST", "/v2/attachments", attach, 403, 4019},
		{"no bookkeeping permission", "sara.holm@example.se", "559104-3210", allScopes, "GET", "/v2/vouchers", nil, 403, 4007},
		{"no bookkeeping permission, attachments", "sara.holm@example.se", "559104-3210", allScopes, "GET", "/v2/attachments", nil, 403, 4007},
		{"no bookkeeping permission still reads settings", "sara.holm@example.se", "559104-3210", allScopes, "GET", "/v2/companysettings", nil, 200, 0},
		{"invoicing variant has no account balances", "maja.ek@example.se", "556731-9057", allScopes, "GET", "/v2/accountbalances/2025-01-31T00:00:00Z", nil, 403, 4009},
		{"invoicing variant has no supplier invoices", "maja.ek@example.se", "556731-9057", allScopes, "GET", "/v2/supplierinvoices/5f0c4a3e-0000-4000-8000-000000000000", nil, 403, 4009},
		{"invoicing variant has no supplier invoice list", "maja.ek@example.se", "556731-9057", allScopes, "GET", "/v2/supplierinvoices", nil, 403, 4009},
		{"invoicing variant has vouchers", "maja.ek@example.se", "556731-9057", allScopes, "GET", "/v2/vouchers", nil, 200, 0},
		{"bookkeeping variant has no customer invoice pdf", "anna.lindqvist@example.se", "559104-3210", allScopes, "GET", "/v2/customerinvoices/5f0c4a3e-0000-4000-8000-000000000000/pdf", nil, 403, 4009},
		{"inactive company", "olof.strand@example.se", "556240-1181", allScopes, "GET", "/v2/companysettings", nil, 403, 4004},
		{"no eAccounting access in the company", "lars.lon@example.se", "556812-3474", allScopes, "GET", "/v2/companysettings", nil, 403, 4011},
		{"missing accounting scope", "anna.lindqvist@example.se", "556812-3474", "ea:api ea:sales_readonly", "GET", "/v2/vouchers", nil, 403, 4006},
		{"missing sales scope", "anna.lindqvist@example.se", "556812-3474", "ea:api ea:accounting_readonly", "GET", "/v2/companysettings", nil, 403, 4006},
		{"readonly scope cannot write", "anna.lindqvist@example.se", "556812-3474", allScopes, "POST", "/v2/attachments", attach, 403, 4006},
		{"full permission writes", "anna.lindqvist@example.se", "556812-3474", full, "POST", "/v2/attachments", attach, 201, 0},
		{"upload refuses html", "anna.lindqvist@example.se", "556812-3474", full, "POST", "/v2/attachments",
			map[string]any{"ContentType": "text/html", "FileName": "x.html", "Data": "PGI+"}, 400, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := e.connect(tt.email, tt.org, tt.scope).AccessToken
			st, ae := e.do(tt.method, tok, tt.path, tt.body, nil)
			if st != tt.wantStatus || ae.ErrorCode != tt.wantCode {
				t.Errorf("%s %s = %d/%d (%s), want %d/%d", tt.method, tt.path, st, ae.ErrorCode, ae.DeveloperErrorMessage, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, WithRateLimit(5), WithClock(clk.Now))
	tok := e.connect("ingrid.nilsen@example.no", "915238475", allScopes).AccessToken
	for i := range 5 {
		if st, ae := e.get(tok, "/v2/companysettings", nil); st != 200 {
			t.Fatalf("request %d = %d %+v", i, st, ae)
		}
	}
	clk.Advance(10 * time.Second)
	st, ae := e.get(tok, "/v2/companysettings", nil)
	if st != http.StatusTooManyRequests || ae.ErrorCode != 4010 || !strings.Contains(ae.DeveloperErrorMessage, "Try again in 50 seconds") {
		t.Errorf("over the limit = %d %d %q", st, ae.ErrorCode, ae.DeveloperErrorMessage)
	}
	// The limit is per endpoint: another endpoint still answers.
	if st, _ := e.get(tok, "/v2/fiscalyears", nil); st != 200 {
		t.Errorf("other endpoint = %d", st)
	}
	clk.Advance(51 * time.Second)
	if st, _ := e.get(tok, "/v2/companysettings", nil); st != 200 {
		t.Errorf("after the window = %d", st)
	}
	if s := e.sb.Stats(); s.RateLimited != 1 || s.APIRequests["GET /v2/companysettings"] != 7 {
		t.Errorf("stats = %+v", s)
	}
}

func TestFailuresAreDeterministic(t *testing.T) {
	t.Parallel()
	run := func() []int {
		e := newEnv(t, WithFailures(0.3, http.StatusServiceUnavailable))
		tok := e.connect("ingrid.nilsen@example.no", "915238475", allScopes).AccessToken
		var out []int
		for range 20 {
			st, _ := e.get(tok, "/v2/fiscalyears", nil)
			out = append(out, st)
		}
		return out
	}
	a, b := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("failure pattern differs between runs: %v vs %v", a, b)
	}
	fails := strings.Count(fmt.Sprint(a), "503")
	if fails == 0 || fails == 20 {
		t.Errorf("failures = %d of 20 at share 0.3", fails)
	}
}

func TestTemporaryURLExpires(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, WithClock(clk.Now))
	tok := e.connect("anna.lindqvist@example.se", "556812-3474", allScopes).AccessToken
	var atts page[attachmentOut]
	e.get(tok, "/v2/attachments?$pagesize=1", &atts)
	u := *atts.Data[0].TemporaryUrl
	if st, _, _ := download(t, e, u); st != 200 {
		t.Fatalf("fresh url = %d", st)
	}
	if st, _, _ := download(t, e, strings.Replace(u, "sig=", "sig=0", 1)); st != 403 {
		t.Errorf("tampered url = %d", st)
	}
	clk.Advance(16 * time.Minute)
	if st, _, _ := download(t, e, u); st != 403 {
		t.Errorf("expired url = %d, want 403", st)
	}
	var none page[attachmentOut]
	e.get(tok, "/v2/attachments?$pagesize=1&includeTemporaryUrl=false", &none)
	if none.Data[0].TemporaryUrl != nil {
		t.Error("includeTemporaryUrl=false still returned a url")
	}
}

func TestUploadAndLink(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t, WithClock(clk.Now))
	tok := e.connect("anna.lindqvist@example.se", "556812-3474", "ea:api ea:accounting ea:sales_readonly").AccessToken
	var created attachmentOut
	st, ae := e.do("POST", tok, "/v2/attachments", map[string]any{"ContentType": "image/png", "FileName": "kvitto_(1).png",
		"Data": base64.StdEncoding.EncodeToString([]byte("\x89PNG fake"))}, &created)
	if st != 201 || created.AttachmentStatus != 1 {
		t.Fatalf("upload = %d %+v %+v", st, ae, created)
	}
	var vs page[voucherOut]
	e.get(tok, "/v2/vouchers?$pagesize=1", &vs)
	v := vs.Data[0]
	clk.Advance(30 * time.Minute)
	st, ae = e.do("POST", tok, "/v2/attachmentlinks", map[string]any{"DocumentId": v.Id, "DocumentType": 3, "AttachmentIds": []string{created.Id}}, nil)
	if st != 200 {
		t.Fatalf("link = %d %+v", st, ae)
	}
	var changed page[voucherOut]
	e.get(tok, "/v2/vouchers?$filter="+url.QueryEscape("ModifiedUtc gt "+clk.Now().Add(-time.Minute).Format(time.RFC3339)), &changed)
	if len(changed.Data) != 1 || changed.Data[0].Id != v.Id || !strings.Contains(fmt.Sprint(changed.Data[0].Attachments.AttachmentIds), created.Id) {
		t.Errorf("linked voucher not found by ModifiedUtc: %+v", changed.Data)
	}
	if st, ae := e.do("POST", tok, "/v2/attachmentlinks", map[string]any{"DocumentId": v.Id, "DocumentType": 3, "AttachmentIds": []string{created.Id}}, nil); st != 400 || ae.ErrorCode != 4000 {
		t.Errorf("linking twice = %d %d", st, ae.ErrorCode)
	}
}

func TestAddAttachmentHugeFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.connect("anna.lindqvist@example.se", "556812-3474", allScopes).AccessToken
	var vs page[voucherOut]
	e.get(tok, "/v2/vouchers?$pagesize=1", &vs)
	const size = 200 << 20
	id, err := e.sb.AddAttachment("556812-3474", vs.Data[0].Id, File{Name: "huge.pdf", ContentType: "application/pdf", Size: size,
		Generate: func(w io.Writer) error {
			chunk := bytes.Repeat([]byte{'x'}, 1<<20)
			for range size >> 20 {
				if _, err := w.Write(chunk); err != nil {
					return err
				}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	var a attachmentOut
	e.get(tok, "/v2/attachments/"+id, &a)
	resp, err := e.hc.Get(*a.TemporaryUrl)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != size || resp.ContentLength != size {
		t.Errorf("downloaded %d bytes (Content-Length %d), err %v", n, resp.ContentLength, err)
	}
	if _, err := e.sb.AddAttachment("000000-0000", vs.Data[0].Id, File{}); err == nil {
		t.Error("unknown company accepted")
	}
}

func TestManyVouchers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, WithVoucherCount("559104-3210", 100000))
	tok := e.connect("anna.lindqvist@example.se", "559104-3210", allScopes).AccessToken
	var p page[voucherOut]
	if st, ae := e.get(tok, "/v2/vouchers?$pagesize=1000&$page=100", &p); st != 200 {
		t.Fatalf("vouchers = %d %+v", st, ae)
	}
	if p.Meta.TotalNumberOfResults != 100000 || p.Meta.TotalNumberOfPages != 100 || len(p.Data) != 1000 {
		t.Errorf("meta = %+v, %d on page", p.Meta, len(p.Data))
	}
}

func TestDeterministicWorld(t *testing.T) {
	t.Parallel()
	first := func(opts ...Option) string {
		e := newEnv(t, opts...)
		tok := e.connect("anna.lindqvist@example.se", "556812-3474", allScopes).AccessToken
		var p page[voucherOut]
		e.get(tok, "/v2/vouchers?$pagesize=3", &p)
		b, _ := json.Marshal(p.Data)
		return string(b)
	}
	if a, b := first(), first(); a != b {
		t.Error("the same seed gave different vouchers")
	}
	if a, b := first(), first(WithSeed(42)); a == b {
		t.Error("a different seed gave the same vouchers")
	}
}

func TestDemoOrgNumbersAreValid(t *testing.T) {
	t.Parallel()
	for _, c := range DemoCompanies() {
		digits := strings.ReplaceAll(c.OrgNumber, "-", "")
		var ok bool
		switch c.Country {
		case "SE":
			ok = len(digits) == 10 && c.OrgNumber[6] == '-' && luhnOK(digits)
		case "NO":
			ok = len(digits) == 9 && mod11OK(digits)
		}
		if !ok {
			t.Errorf("%s: org number %s is not valid for %s", c.Name, c.OrgNumber, c.Country)
		}
	}
}

func luhnOK(s string) bool {
	sum := 0
	for i, r := range s {
		d := int(r - '0')
		if i%2 == 0 {
			d *= 2
		}
		sum += d/10 + d%10
	}
	return sum%10 == 0
}

func mod11OK(s string) bool {
	w := []int{3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, x := range w {
		sum += int(s[i]-'0') * x
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && c == int(s[8]-'0')
}
