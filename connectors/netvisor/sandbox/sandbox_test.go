package sandbox

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// get signs a request by the documented rules, independently of the
// connector, and returns the status and the raw body.
func get(t *testing.T, srv *httptest.Server, path, tid string, edit func(http.Header)) (int, []byte) {
	t.Helper()
	c := DemoCustomer()
	now := time.Now().UTC()
	ts := now.Format("2006-01-02 15:04:05.000")
	unix := strconv.FormatInt(now.Unix(), 10)
	u := srv.URL + path
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	h := req.Header
	h.Set(hSender, "Test")
	h.Set(hCustomerID, c.ID)
	h.Set(hPartnerID, DefaultPartnerID)
	h.Set(hTimestamp, ts)
	h.Set(hTimestampUnix, unix)
	h.Set(hTransactionID, tid)
	h.Set(hLanguage, "FI")
	h.Set(hOrganisation, DemoOrgID)
	h.Set(hAlgorithm, "HMACSHA256")
	h.Set(hStatusCodes, "1")
	h.Set(hMAC, mac([]string{u, "Test", c.ID, ts, "FI", DemoOrgID, tid, unix}, c.Key, DefaultPartnerKey))
	if edit != nil {
		edit(h)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Netvisor's XML: ISO-8859-15 bytes, decimal commas, d.M.yyyy in the
// ledger and format="ansi" on invoice dates, classes in the interface
// language.
func TestWritesXMLAsNetvisor(t *testing.T) {
	srv := httptest.NewServer(New(WithLargeAttachment(0)))
	defer srv.Close()
	status, body := get(t, srv, "/accountingledger.nv?netvisorkey=1002", "t1", nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	for _, want := range [][]byte{[]byte(`encoding="ISO-8859-15"`), []byte("Koivu &amp; M\xe4nty"), []byte("<VoucherDate>3.2.2026</VoucherDate>"),
		[]byte("<LineSum>-1860,00</LineSum>"), []byte("<VoucherClass>Ostolasku</VoucherClass>"), []byte(`<LinkedSourceNetvisorKey type="purchaseinvoice">502</LinkedSourceNetvisorKey>`)} {
		if !bytes.Contains(body, want) {
			t.Errorf("ledger lacks %q:\n%s", want, body)
		}
	}
	_, body = get(t, srv, "/purchaseinvoicelist.nv?begininvoicedate=2026-01-01&endinvoicedate=2026-12-31", "t2", nil)
	if !bytes.Contains(body, []byte(`<PurchaseInvoiceDate format="ansi">2026-01-12</PurchaseInvoiceDate>`)) {
		t.Errorf("purchase list lacks an ansi date:\n%s", body)
	}
}

func TestRefusesAsNetvisor(t *testing.T) {
	srv := httptest.NewServer(New(WithLargeAttachment(0)))
	defer srv.Close()
	path := "/accountingledger.nv?netvisorkey=1002"
	for _, tc := range []struct {
		name   string
		tid    string
		edit   func(http.Header)
		status int
		want   string
	}{
		{"missing header", "a1", func(h http.Header) { h.Del(hSender) }, 401, "AUTHENTICATION_FAILED :: Missing header"},
		{"wrong MAC", "a2", func(h http.Header) { h.Set(hMAC, strings.Repeat("0", 64)) }, 401,
			"Use the following string to calculate the MAC: " + srv.URL + path + "&amp;Test&amp;BILAG-DEMO-USER&amp;"},
		{"legacy algorithm", "a3", func(h http.Header) { h.Set(hAlgorithm, "SHA256") }, 401, "AUTHENTICATION_FAILED"},
		{"ok", "a4", nil, 200, "<Status>OK</Status>"},
		{"reused transaction id", "a4", nil, 409, "REQUEST_NOT_UNIQUE ::"},
	} {
		status, body := get(t, srv, path, tc.tid, tc.edit)
		if status != tc.status || !bytes.Contains(body, []byte(tc.want)) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, status, body, tc.status, tc.want)
		}
		if bytes.Contains(body, []byte(DemoCustomer().Key)) || bytes.Contains(body, []byte(DefaultPartnerKey)) {
			t.Errorf("%s: the answer shows a key", tc.name)
		}
	}
}

func TestLargePDFIsExactAndValid(t *testing.T) {
	f := largePDF("x.pdf", 1<<20+37, "A")
	b := f.Bytes()
	if int64(len(b)) != 1<<20+37 || f.Size() != int64(len(b)) {
		t.Fatalf("size %d, Size() %d", len(b), f.Size())
	}
	i := bytes.LastIndex(b, []byte("startxref\n"))
	off, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b[i+10:]), "\n", 2)[0]))
	if !bytes.HasPrefix(b[off:], []byte("xref\n")) || !bytes.HasPrefix(b, []byte("%PDF-1.4")) {
		t.Error("startxref does not point at the cross-reference table")
	}
}
