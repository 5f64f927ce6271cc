package netvisor

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

func pairing() connectors.Pairing {
	return connectors.Pairing{TableVATCode: {"25.5": "KOMY:25.5", "0": "EUMY:0"}, TableSetting: {SettingState: "unsent"}}
}

func invoicesOf(e *testEnv) []sandbox.SalesInvoice { return e.sb.SalesInvoices(sandbox.DemoOrgID) }

func byNumber(e *testEnv, n string) *sandbox.SalesInvoice {
	for _, si := range invoicesOf(e) {
		if si.Number == n {
			return &si
		}
	}
	return nil
}

// The pre-flight names an unknown customer, an unknown product and an
// unpaired VAT code at once, each with the invoices it concerns, and
// sends nothing.
func TestPreflightListsEverythingAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	good, bad := exampleInvoice(), exampleInvoice()
	bad.Number, bad.Customer.Number = "1202", "9999"
	bad.Lines[1].ProductNumber = "EI-OLE"
	bad.Lines[0].VATCode = "14"
	fs, err := e.conn.Preflight(context.Background(), g, pairing(), []connectors.Invoice{good, bad, bad})
	if err != nil {
		t.Fatal(err)
	}
	want := []connectors.PreflightFinding{
		{Code: PreCustomer, Args: []string{"9999"}, Invoices: []int{1, 2}},
		{Code: PreVAT, Args: []string{"14"}, Invoices: []int{1, 2}},
		{Code: PreProduct, Args: []string{"EI-OLE"}, Invoices: []int{1, 2}},
	}
	if len(fs) != len(want) {
		t.Fatalf("findings = %+v, want %+v", fs, want)
	}
	for i := range want {
		if fs[i].Code != want[i].Code || !slices.Equal(fs[i].Args, want[i].Args) || !slices.Equal(fs[i].Invoices, want[i].Invoices) {
			t.Errorf("finding %d = %+v, want %+v", i, fs[i], want[i])
		}
	}
	if n := e.sb.Calls("salesinvoice.nv"); n != 0 {
		t.Errorf("salesinvoice.nv called %d times by a pre-flight", n)
	}
	// A deleted product is not there; one linked by key is.
	del := exampleInvoice()
	del.Lines[0].ProductNumber = "VANHA"
	del.Lines[1].ProductNumber = ""
	withLineExt(&del, 1, func(l *LineExt) { l.ProductNetvisorKey = "22" })
	withExt(&del, func(x *InvoiceExt) { x.CustomerNetvisorKey = "12" })
	del.Customer.Number = ""
	fs, err = e.conn.Preflight(context.Background(), g, pairing(), []connectors.Invoice{del})
	if err != nil || len(fs) != 1 || fs[0].Code != PreProduct || fs[0].Args[0] != "VANHA" {
		t.Fatalf("findings = %+v, %v; want only the deleted product", fs, err)
	}
}

// A send imports the invoice as the seed describes it and answers with
// Netvisor's key; the books hold the invoice as sent.
func TestSendInvoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	inv := exampleInvoice()
	inv.PDF = &connectors.InvoicePDF{FileName: "lasku-1201.pdf", Data: []byte("%PDF-1.4 lasku")}
	ans, err := e.conn.SendInvoice(context.Background(), g, pairing(), inv)
	if err != nil || !ans.Accepted || ans.Reference == "" {
		t.Fatalf("SendInvoice = %+v, %v", ans, err)
	}
	si := byNumber(e, "1201")
	if si == nil || ans.Reference != itoa(si.Key) {
		t.Fatalf("invoice in Netvisor = %+v, reference %q", si, ans.Reference)
	}
	// 4 × 185,00 + 6 × 62,50 = 1 115,00 net; 25,5 % VAT line by line:
	// 188,70 + 95,63 = 284,33; total 1 399,33.
	if si.Amount != 139933 || si.Status != "unsent" || si.CustomerCode != "1001" || si.Reference != "12014" {
		t.Errorf("invoice = amount %d, status %s, customer %s, reference %s", si.Amount, si.Status, si.CustomerCode, si.Reference)
	}
	if l := si.Lines[0]; l.VatCode != "KOMY" || l.VatPercent != "25,5" || l.UnitPrice != "185" || l.VatSum != 18870 || l.LineSum != 92870 {
		t.Errorf("line 1 = %+v", l)
	}
	if !strings.Contains(si.PrivateComment, "bilag:"+mark(inv)) {
		t.Errorf("private comment %q lacks Bilag's mark", si.PrivateComment)
	}
	if len(si.Attachments) != 1 || si.Attachments[0].FileName != "lasku-1201.pdf" || string(si.Attachments[0].Data) != "%PDF-1.4 lasku" {
		t.Errorf("attachments = %+v", si.Attachments)
	}
	// A credit note: negative quantities, negative sums and total.
	cn := exampleInvoice()
	cn.Number = "1202"
	for i := range cn.Lines {
		cn.Lines[i].Quantity = -cn.Lines[i].Quantity
	}
	if ans, err := e.conn.SendInvoice(context.Background(), g, pairing(), cn); err != nil || !ans.Accepted {
		t.Fatalf("credit note: %+v, %v", ans, err)
	}
	if si := byNumber(e, "1202"); si.Amount != -139933 || si.Lines[1].LineSum != -47063 {
		t.Errorf("credit note = %d, line 2 %d", si.Amount, si.Lines[1].LineSum)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A lost answer is settled by listing: the invoice is found by its
// number and Bilag's mark, and nothing is sent twice.
func TestLostAnswerSettledByListing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	inv := exampleInvoice()
	e.sb.LoseNextAnswer("salesinvoice.nv")
	_, err := e.conn.SendInvoice(context.Background(), g, pairing(), inv)
	if !errors.Is(err, connectors.ErrAnswerLost) || !connectors.AnswerLost(err) {
		t.Fatalf("SendInvoice = %v, want ErrAnswerLost", err)
	}
	ans, found, err := e.conn.LookUpInvoice(context.Background(), g, pairing(), inv)
	if err != nil || !found || ans.Reference != itoa(byNumber(e, "1201").Key) {
		t.Fatalf("LookUpInvoice = %+v, %v, %v", ans, found, err)
	}
	if n := e.sb.Calls("salesinvoice.nv"); n != 1 {
		t.Errorf("salesinvoice.nv called %d times, want 1", n)
	}
	if n := len(invoicesOf(e)); n != 6 {
		t.Errorf("%d invoices in Netvisor, want the demo's five and one", n)
	}
	// An invoice never sent is not found: it may be sent.
	other := exampleInvoice()
	other.Number = "1299"
	if _, found, err := e.conn.LookUpInvoice(context.Background(), g, pairing(), other); err != nil || found {
		t.Fatalf("LookUpInvoice(never sent) = %v, %v", found, err)
	}
	// A number Netvisor holds for an invoice without Bilag's mark is not
	// taken for Bilag's: the outcome stays unknown.
	taken := exampleInvoice()
	taken.Number = "1042"
	if _, found, err := e.conn.LookUpInvoice(context.Background(), g, pairing(), taken); !errors.Is(err, ErrNumberTaken) || found {
		t.Fatalf("LookUpInvoice(taken) = %v, %v", found, err)
	}
}

// When the number no longer finds it (a person renumbered the invoice in
// Netvisor), the mark is found among the customer's invoices modified
// lately: the second look.
func TestLookUpByCustomerAndMark(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	inv := exampleInvoice()
	ans, err := e.conn.SendInvoice(context.Background(), g, pairing(), inv)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := strconv.Atoi(ans.Reference)
	e.sb.Renumber(sandbox.DemoOrgID, key, "77")
	before := e.sb.Calls("salesinvoicelist.nv")
	got, found, err := e.conn.LookUpInvoice(context.Background(), g, pairing(), inv)
	if err != nil || !found || got.Reference != ans.Reference || got.Message != "unsent" {
		t.Fatalf("LookUpInvoice = %+v, %v, %v", got, found, err)
	}
	if n := e.sb.Calls("salesinvoicelist.nv") - before; n != 2 {
		t.Errorf("salesinvoicelist.nv called %d times, want 2 (number, then customer)", n)
	}
}

// Netvisor's refusals: a refusal of the data is an answer and changes
// nothing; a 5xx may have made the change (lost, for the lookup); a
// refused MAC, maintenance and a refused resource are errors, nothing
// sent.
func TestSendFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	before := len(invoicesOf(e))
	inv := exampleInvoice()
	inv.Customer.Number = "9999" // past the pre-flight
	ans, err := e.conn.SendInvoice(context.Background(), g, pairing(), inv)
	if err != nil || ans.Accepted || ans.Code != "INVALID_DATA" || !strings.Contains(ans.Message, "9999") {
		t.Fatalf("unknown customer: %+v, %v", ans, err)
	}
	e.sb.FailNext("salesinvoice.nv", "TECHNICAL_ERROR")
	if _, err := e.conn.SendInvoice(context.Background(), g, pairing(), exampleInvoice()); !errors.Is(err, connectors.ErrAnswerLost) {
		t.Fatalf("TECHNICAL_ERROR: %v, want lost (the change may be made)", err)
	}
	e.sb.FailNext("salesinvoice.nv", "SYSTEM_MAINTENANCE")
	if _, err := e.conn.SendInvoice(context.Background(), g, pairing(), exampleInvoice()); err == nil || connectors.AnswerLost(err) || !errors.Is(err, connectors.ErrUnavailable) {
		t.Fatalf("maintenance: %v, want unavailable, not lost", err)
	}
	e.sb.Deny(sandbox.DemoCustomer().ID, "salesinvoice.nv")
	if _, err := e.conn.SendInvoice(context.Background(), g, pairing(), exampleInvoice()); !errors.Is(err, connectors.ErrForbidden) || connectors.AnswerLost(err) {
		t.Fatalf("resource denied: %v", err)
	}
	e.sb.Allow(sandbox.DemoCustomer().ID, "salesinvoice.nv")
	bad := e.cfg
	bad.PartnerKey = "wrong"
	if _, err := e.open(t, bad).SendInvoice(context.Background(), g, pairing(), exampleInvoice()); !errors.Is(err, connectors.ErrGrantRevoked) || connectors.AnswerLost(err) {
		t.Fatalf("refused MAC: %v", err)
	}
	unpaired := exampleInvoice()
	unpaired.Lines[0].VATCode = "14"
	if _, err := e.conn.SendInvoice(context.Background(), g, pairing(), unpaired); !errors.Is(err, errNotValid) {
		t.Fatalf("unpaired VAT code: %v", err)
	}
	if n := len(invoicesOf(e)); n != before {
		t.Errorf("%d invoices after the failures, want %d", n, before)
	}
	// The sandbox counts the requests it authenticated and allowed: the
	// refusal, the 5xx and the maintenance, each once (no retries).
	if n := e.sb.Calls("salesinvoice.nv"); n != 3 {
		t.Errorf("salesinvoice.nv called %d times, want 3 (no retries)", n)
	}
}

// The sandbox refuses what the seed forbids even when a client sends it.
func TestSandboxRefusesPrintByDefaultWithFinvoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant(t)
	cr, _ := readGrant(g)
	inv := exampleInvoice()
	withExt(&inv, func(x *InvoiceExt) {
		x.Attachments = []Attachment{{MimeType: "application/pdf", Description: "Tuntilista", FileName: "t.pdf", Data: []byte{1}, Type: "finvoice"}}
	})
	body, err := importXML(inv, pairing())
	if err != nil {
		t.Fatal(err)
	}
	body = []byte(strings.Replace(string(body), `</documentdata>`, `</documentdata><printbydefault>1</printbydefault>`, 1))
	_, err = e.conn.write(context.Background(), cr, "POST", "salesinvoice.nv", []param{{"method", "add"}}, body)
	if ae, ok := errors.AsType[*APIError](err); !ok || ae.Code != "INVALID_DATA" || !strings.Contains(ae.Message, "printbydefault") {
		t.Fatalf("write = %v", err)
	}
}

// The import is ISO-8859-15 with decimal commas, and never lets Netvisor
// compute prices (no pricetype "netvisor").
func TestImportXML(t *testing.T) {
	t.Parallel()
	inv := exampleInvoice()
	withExt(&inv, func(x *InvoiceExt) { x.YourReference = "Päivi € Šolta" })
	b, err := importXML(inv, pairing())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"<root><salesinvoice><salesinvoicenumber>1201</salesinvoicenumber>", `<salesinvoicedate format="ansi">2026-06-01</salesinvoicedate>`,
		`<salesinvoiceamount iso4217currencycode="EUR">1399,33</salesinvoiceamount>`, `<salesinvoicestatus type="netvisor">unsent</salesinvoicestatus>`,
		`<invoicingcustomeridentifier type="customer">1001</invoicingcustomeridentifier>`, `<productunitprice type="net">62,5</productunitprice>`,
		`<productvatpercentage vatcode="KOMY">25,5</productvatpercentage>`, `<salesinvoiceproductlinevatsum>95,63</salesinvoiceproductlinevatsum>`,
		`<dimension><dimensionname>Projekti</dimensionname><dimensionitem>Keittiöt 2026</dimensionitem></dimension>`} {
		if !strings.Contains(latin9String(b), want) {
			t.Errorf("import lacks %s", want)
		}
	}
	if strings.Contains(s, "netvisor\"") && strings.Contains(s, "pricetype") {
		t.Error("import lets Netvisor price the lines")
	}
	if !strings.Contains(s, "P\xe4ivi \xa4 \xa6olta") {
		t.Error("text not encoded as ISO-8859-15")
	}
}

func latin9String(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(latin9Rune(c))
	}
	return sb.String()
}

// The pairing page's tables: the VAT codes the invoices use with the
// seed's codes to choose from and a suggestion where the percent says it;
// the status on arrival, open unless chosen.
func TestPairingTables(t *testing.T) {
	t.Parallel()
	var c Connector
	inv := exampleInvoice()
	inv.Lines[1].VATCode = "EUMY"
	ts, err := c.PairingTables(context.Background(), connectors.Grant{}, connectors.Pairing{TableVATCode: {"10": "KOMY:10"}}, []connectors.Invoice{inv, inv})
	if err != nil || len(ts) != 2 {
		t.Fatal(ts, err)
	}
	vat := ts[0]
	if vat.Name != TableVATCode || !vat.Open || len(vat.Rows) != 3 {
		t.Fatalf("vat table = %+v", vat)
	}
	rows := map[string]connectors.PairingRow{}
	for _, r := range vat.Rows {
		rows[r.Key] = r
	}
	if r := rows["25.5"]; r.Suggested != "KOMY:25.5" || r.Uses != 2 {
		t.Errorf("25.5 = %+v", r)
	}
	if r := rows["EUMY"]; r.Suggested != "EUMY:0" {
		t.Errorf("EUMY = %+v", r)
	}
	if r := rows["10"]; r.Value != "KOMY:10" || r.Suggested != "" {
		t.Errorf("10 = %+v", r)
	}
	opts := map[string]bool{}
	for _, o := range vat.Options {
		opts[o.Value] = true
	}
	if !opts["KOMY:24"] || !opts["EUPM309:14"] || opts["EUMY:24"] || opts["KAVE:24"] {
		t.Errorf("options = %v", vat.Options)
	}
	if s := ts[1]; s.Name != TableSetting || s.Rows[0].Key != SettingState || s.Rows[0].Suggested != "open" || len(s.Options) != 2 {
		t.Errorf("setting = %+v", s)
	}
	if statusOf(nil) != "open" || statusOf(pairing()) != "unsent" {
		t.Error("statusOf")
	}
}

// Sends from two instances keep to one request at a time per
// organisation: the sandbox sees no overlap.
func TestSendsOneAtATime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.cfg.Leases, e.cfg.Sleep = connectors.NewMemoryLeases(), yield
	a, b := e.open(t, e.cfg), e.open(t, e.cfg)
	g := e.grant(t)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for i := range 8 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Go(func() {
			inv := exampleInvoice()
			inv.Number = strconv.Itoa(3000 + i)
			_, err := c.SendInvoice(context.Background(), g, pairing(), inv)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := e.sb.Overlaps(); n != 0 {
		t.Errorf("%d overlapping requests", n)
	}
	if n := len(invoicesOf(e)); n != 13 {
		t.Errorf("%d invoices, want the demo's five and eight", n)
	}
}
