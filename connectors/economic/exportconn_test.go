package economic

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/economic/sandbox"
	"bilag/connectors/invoice"
	"bilag/connectors/samplepdf"
)

// The export as a receiving connector, against the sandbox: pairing,
// pre-flight, the invoice method, the voucher method and lost answers.

func date(t *testing.T, s string) connectors.Date {
	t.Helper()
	d, ok := connectors.ParseDate(s)
	if !ok {
		t.Fatalf("date %q", s)
	}
	return d
}

// srcInvoice is a front system's invoice to a Danish customer: net 30
// days, a line per sales account at 25 % VAT.
func srcInvoice(t *testing.T, number, cvr, name string, accounts ...string) connectors.Invoice {
	inv := connectors.Invoice{Number: number, InvoiceDate: date(t, "2025-03-10"), DueDate: date(t, "2025-04-09"),
		Customer: connectors.Customer{Name: name, OrgNumber: cvr, Address: []string{"Strandvejen 1"}, Postcode: "2100", City: "København Ø", Country: "DK", Currency: "DKK"}}
	for _, a := range accounts {
		inv.Lines = append(inv.Lines, connectors.InvoiceLine{Text: "Salg " + a, Quantity: 20000, UnitPrice: 1000000, SalesAccount: a, VATCode: "25"})
	}
	return inv
}

// pairedAsSuggested is the pairing a person makes by taking every
// suggestion of the demo agreement.
func pairedAsSuggested() connectors.Pairing {
	return connectors.Pairing{
		TableSalesAccount:  {"1010": "1", "1020": "2", "1030": "3"},
		TablePaymentTerm:   {"net:14": "2", "net:30": "3", "currentMonth:30": "4"},
		TableCustomerGroup: {ZoneDomestic: "1", ZoneEU: "2", ZoneAbroad: "2"},
		TableVatZone:       {ZoneDomestic: "1", ZoneEU: "2", ZoneAbroad: "3"},
		TableLayout:        {KeyDefault: "1"},
	}
}

func row(t *testing.T, tables []connectors.PairingTable, table, key string) connectors.PairingRow {
	t.Helper()
	for _, tb := range tables {
		if tb.Name != table {
			continue
		}
		for _, r := range tb.Rows {
			if r.Key == key {
				return r
			}
		}
	}
	t.Fatalf("no row %s/%s", table, key)
	return connectors.PairingRow{}
}

func TestExportPairingTables(t *testing.T) {
	e := newExportEnv(t, exportApp)
	x := e.c.Export()
	if x == nil || x.Name() != "economic-export" {
		t.Fatalf("Export() = %v", x)
	}
	month := srcInvoice(t, "7", "12345674", "Fjordfragt A/S", "1020")
	month.Extensions = connectors.Extensions{ExportName: json.RawMessage(`{"paymentTerms":"currentMonth:30"}`)}
	seen := []connectors.Invoice{srcInvoice(t, "1", "12345674", "Fjordfragt A/S", "1010", "3010"), srcInvoice(t, "2", "", "X", "1010"), month}
	tables, err := x.PairingTables(e.ctx, e.g, connectors.Pairing{TableLayout: {KeyDefault: "2"}}, seen)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		table, key, suggested, value string
		uses                         int
	}{
		{TableSalesAccount, "1010", "1", "", 2},
		{TableSalesAccount, "1020", "2", "", 1},
		{TableSalesAccount, "3010", "", "", 1}, // no group named 3010, none with that account
		{TableProduct, "3010", "", "", 1},
		{TablePaymentTerm, "net:30", "3", "", 2}, // net 30 days, not "current month + 30"
		{TablePaymentTerm, "currentMonth:30", "4", "", 1},
		{TableVatCode, "25", "U25", "", 3},
		{TableVatZone, ZoneDomestic, "1", "", 0},
		{TableVatZone, ZoneEU, "2", "", 0},
		{TableVatZone, ZoneAbroad, "3", "", 0},
		{TableCustomerGroup, ZoneDomestic, "1", "", 0},
		{TableCustomerGroup, ZoneEU, "2", "", 0},
		{TableLayout, KeyDefault, "", "2", 0},
		{TableCurrency, KeyDefault, "DKK", "", 0},
		{TableSetting, SettingMethod, MethodInvoice, "", 0},
		{TableSetting, SettingJournal, "1", "", 0},
	}
	for _, tt := range tests {
		r := row(t, tables, tt.table, tt.key)
		if r.Suggested != tt.suggested || r.Value != tt.value || r.Uses != tt.uses {
			t.Errorf("%s/%s = %+v, want suggested %q value %q uses %d", tt.table, tt.key, r, tt.suggested, tt.value, tt.uses)
		}
	}
	if r := row(t, tables, TableProduct, "3010"); r.Label != "economic-export.pairing.product.new" {
		t.Errorf("product row label %q, want the words for a product Bilag creates", r.Label)
	}
	for _, tb := range tables {
		if open := tb.Name == TableSalesAccount || tb.Name == TableProduct || tb.Name == TablePaymentTerm || tb.Name == TableVatCode; open != tb.Open {
			t.Errorf("table %s open = %v", tb.Name, tb.Open)
		}
		if tb.Name == TableSalesAccount && (len(tb.Options) != 3 || tb.Options[0].Label != "1 · 1010 Salg af varer") {
			t.Errorf("product group options %+v", tb.Options)
		}
	}
}

func findingOf(fs []connectors.PreflightFinding, code string) (connectors.PreflightFinding, bool) {
	for _, f := range fs {
		if f.Code == code {
			return f, true
		}
	}
	return connectors.PreflightFinding{}, false
}

// Pre-flight names everything at once: a sales account without a product
// group, a payment term e-conomic has not, a line whose VAT e-conomic
// would compute otherwise, a due date it would compute otherwise, and
// nothing is written.
func TestExportPreflight(t *testing.T) {
	e := newExportEnv(t, exportApp)
	x := e.c.Export()
	net45 := srcInvoice(t, "3", "12345674", "Fjordfragt A/S", "1010")
	net45.DueDate = date(t, "2025-04-24")
	// 1030 is VAT-free in e-conomic; the source charged 25 %.
	vatFree := srcInvoice(t, "4", "12345674", "Fjordfragt A/S", "1030")
	// Current month + 30 by its extension, but the source's due date is
	// net 30's.
	month := srcInvoice(t, "5", "12345674", "Fjordfragt A/S", "1020")
	month.Extensions = connectors.Extensions{ExportName: json.RawMessage(`{"paymentTerms":"currentMonth:30"}`)}
	batch := []connectors.Invoice{
		srcInvoice(t, "1", "12345674", "Fjordfragt A/S", "1010", "3010"),
		srcInvoice(t, "2", "31415926", "Kattegat Transport ApS", "3020", "3010"),
		net45, vatFree, month,
	}
	before := sum(e.sb.Stats())
	fs, err := x.Preflight(e.ctx, e.g, pairedAsSuggested(), batch)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]connectors.PreflightFinding{
		PreflightGroupsMissing:        {Args: []string{"3010, 3020", "2"}, Invoices: []int{0, 1}},
		PreflightTermMissing + ".net": {Args: []string{"45", "1"}, Invoices: []int{2}},
		PreflightVatMismatch:          {Args: []string{"1030", "Domestic", "0 %", "25", "1"}, Invoices: []int{3}},
		PreflightDueDiffers:           {Args: []string{"Løbende måned + 30 dage", "1"}, Invoices: []int{4}},
	}
	for code, w := range want {
		f, ok := findingOf(fs, code)
		if !ok || !slices.Equal(f.Args, w.Args) || !slices.Equal(f.Invoices, w.Invoices) {
			t.Errorf("finding %s = %+v (found %v), want %+v", code, f, ok, w)
		}
	}
	if len(fs) != len(want) {
		t.Errorf("findings %+v, want only %d", fs, len(want))
	}
	for name, n := range e.sb.Stats().Calls {
		if !strings.HasPrefix(name, "GET ") && n > 0 {
			t.Errorf("pre-flight wrote: %s ×%d", name, n)
		}
	}
	if sum(e.sb.Stats()) == before {
		t.Error("pre-flight read nothing live")
	}

	// Unpaired: every suggestion waits for a person, the defaults a new
	// customer needs too.
	fs, err = x.Preflight(e.ctx, e.g, nil, batch[1:2])
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{PreflightGroupsMissing, PreflightTermsUnpaired, "customer_defaults.vatZone.domestic",
		"customer_defaults.customerGroup.domestic", "customer_defaults.layout.default"} {
		if _, ok := findingOf(fs, code); !ok {
			t.Errorf("unpaired: no %s in %+v", code, fs)
		}
	}
	// 1010 has a suggestion, so it is unpaired rather than missing.
	if f, ok := findingOf(mustPreflight(t, x, e, nil, batch[:1]), PreflightAccountsUnpaired); !ok || f.Args[0] != "1010" {
		t.Errorf("unpaired 1010: %+v", f)
	}

	// The voucher method: the PDF and the VAT codes.
	p := pairedAsSuggested()
	p.Set(TableSetting, SettingMethod, MethodVoucher)
	fs = mustPreflight(t, x, e, p, batch[:1])
	for _, code := range []string{PreflightPDFMissing, PreflightVatUnpaired} {
		if _, ok := findingOf(fs, code); !ok {
			t.Errorf("voucher method: no %s in %+v", code, fs)
		}
	}
	p.Set(TableSetting, SettingJournal, "2")
	if f, ok := findingOf(mustPreflight(t, x, e, p, batch[:1]), PreflightJournalRestricted); !ok || f.Args[0] != "2" {
		t.Errorf("journal 2 (payments only): %+v", f)
	}
	p.Set(TableSetting, SettingMethod, "fax")
	if fs := mustPreflight(t, x, e, p, batch); len(fs) != 1 || fs[0].Code != PreflightSettingInvalid {
		t.Errorf("an unknown method: %+v", fs)
	}
}

func mustPreflight(t *testing.T, x *Export, e *exportEnv, p connectors.Pairing, batch []connectors.Invoice) []connectors.PreflightFinding {
	t.Helper()
	fs, err := x.Preflight(e.ctx, e.g, p, batch)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestExportValidate(t *testing.T) {
	e := newExportEnv(t, exportApp)
	x := e.c.Export()
	ok := srcInvoice(t, "20250001", "12345674", "Fjordfragt A/S", "1010")
	tests := []struct {
		name   string
		change func(*connectors.Invoice)
		line   int
		field  string
		code   string
		warn   bool
	}{
		{"valid", func(*connectors.Invoice) {}, 0, "", "", false},
		{"no number", func(i *connectors.Invoice) { i.Number = "" }, 0, "number", "invoice.required", false},
		{"letters", func(i *connectors.Invoice) { i.Number = "F-12" }, 0, "number", CodeNumber, false},
		{"leading zero", func(i *connectors.Invoice) { i.Number = "0012" }, 0, "number", CodeNumber, false},
		{"ten digits", func(i *connectors.Invoice) { i.Number = "1234567890" }, 0, "number", CodeNumber, false},
		{"no date", func(i *connectors.Invoice) { i.InvoiceDate = connectors.Date{} }, 0, "invoiceDate", "invoice.required", false},
		{"no due date", func(i *connectors.Invoice) { i.DueDate = connectors.Date{} }, 0, "dueDate", "invoice.required", false},
		{"due before", func(i *connectors.Invoice) { i.DueDate = date(t, "2025-03-01") }, 0, "dueDate", "invoice.due_before", false},
		{"terms", func(i *connectors.Invoice) {
			i.Extensions = connectors.Extensions{ExportName: json.RawMessage(`{"paymentTerms":"net:thirty"}`)}
		}, 0, "extensions.economic-export.paymentTerms", CodePaymentTerms, false},
		{"unknown extension field", func(i *connectors.Invoice) {
			i.Extensions = connectors.Extensions{ExportName: json.RawMessage(`{"layout":2}`)}
		}, 0, "extensions.economic-export", CodeExtension, false},
		{"no name", func(i *connectors.Invoice) { i.Customer.Name = " " }, 0, "customer.name", "invoice.required", false},
		{"CVR", func(i *connectors.Invoice) { i.Customer.OrgNumber = "1234567" }, 0, "customer.orgNumber", CodeCVR, false},
		{"currency", func(i *connectors.Invoice) { i.Customer.Currency = "kr" }, 0, "customer.currency", "invoice.currency", false},
		{"country", func(i *connectors.Invoice) { i.Customer.Country = "Danmark" }, 0, "customer.country", "invoice.country", false},
		{"customer number", func(i *connectors.Invoice) { i.Customer.Number = "K-1" }, 0, "customer.number", CodeCustomerNumber, true},
		{"no lines", func(i *connectors.Invoice) { i.Lines = nil }, 0, "lines", CodeNoLines, false},
		{"no account", func(i *connectors.Invoice) { i.Lines[0].SalesAccount = "" }, 1, "salesAccount", "invoice.required", false},
		{"price decimals", func(i *connectors.Invoice) { i.Lines[0].UnitPrice = 12345 }, 1, "unitPrice", CodeDecimals, false},
		{"quantity decimals", func(i *connectors.Invoice) { i.Lines[0].Quantity = 15 }, 1, "quantity", CodeDecimals, false},
		{"amount", func(i *connectors.Invoice) { a := connectors.Decimal(10); i.Lines[0].Amount = &a }, 1, "amount", CodeAmount, false},
		{"not a PDF", func(i *connectors.Invoice) { i.PDF = &connectors.InvoicePDF{FileName: "x.pdf", Data: []byte("<html>")} }, 0, "pdf", "invoice.pdf", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := ok
			inv.Lines = slices.Clone(ok.Lines)
			inv.Customer = ok.Customer
			tt.change(&inv)
			checks, err := x.ValidateInvoices(e.ctx, e.g, []connectors.Invoice{inv})
			if err != nil || len(checks) != 1 {
				t.Fatalf("ValidateInvoices = %v, %v", checks, err)
			}
			c := checks[0]
			if tt.code == "" {
				if len(c.Findings) != 0 || !c.Sendable() || c.Key != "20250001" || c.Digest == "" {
					t.Errorf("valid invoice: %+v", c)
				}
				return
			}
			if len(c.Findings) != 1 || c.Findings[0] != (connectors.InvoiceFinding{Line: tt.line, Field: tt.field, Code: tt.code, Warning: tt.warn, Arg: c.Findings[0].Arg}) {
				t.Errorf("findings %+v, want %s %s on line %d", c.Findings, tt.field, tt.code, tt.line)
			}
			if c.Sendable() != tt.warn {
				t.Errorf("sendable %v with %+v", c.Sendable(), c.Findings)
			}
		})
	}
	twice, err := x.ValidateInvoices(e.ctx, e.g, []connectors.Invoice{ok, ok})
	if err != nil || twice[0].Sendable() != true || twice[1].Sendable() || twice[1].Findings[0].Code != CodeNumberTwice || twice[1].Findings[0].Arg != "1" {
		t.Errorf("the same number twice: %+v, %v", twice, err)
	}
}

func posts(e *exportEnv) int {
	n := 0
	for name, c := range e.sb.Stats().Calls {
		if !strings.HasPrefix(name, "GET ") {
			n += c
		}
	}
	return n
}

// The invoice method: a new customer and Bilag's product for a sales
// account are made, the draft is booked with the source's number; sent
// again, it is already booked and nothing is written; the number taken by
// another invoice says so.
func TestExportSendBooksWithTheSourcesNumber(t *testing.T) {
	e := newExportEnv(t, exportApp)
	x := e.c.Export()
	p := pairedAsSuggested()
	inv := srcInvoice(t, "20250001", "31415926", "Kattegat Transport ApS", "1010", "1020")
	credit := srcInvoice(t, "20250002", "12345674", "Fjordfragt A/S", "1010")
	credit.Lines[0].Quantity = -20000
	batch := []connectors.Invoice{inv, credit}
	if fs := mustPreflight(t, x, e, p, batch); len(fs) != 0 {
		t.Fatalf("pre-flight %+v", fs)
	}
	for _, in := range batch {
		ans, err := x.SendInvoice(e.ctx, e.g, p, in)
		if err != nil || !ans.Accepted || ans.Code != AnswerBooked || ans.Reference != in.Number {
			t.Fatalf("send %s: %+v, %v", in.Number, ans, err)
		}
	}
	b, err := e.x.BookedInvoice(e.ctx, e.g, 20250001)
	// 2 × 100.00 on each of two lines, 25 % VAT on both.
	if err != nil || b.NetAmount != 40000 || b.GrossAmount != 50000 || b.References.Other != "bilag:20250001" || len(b.Lines) != 2 ||
		b.Lines[0].Product.ProductNumber != "bilag-1010" || b.DueDate != "2025-04-09" {
		t.Errorf("booked 20250001: %+v, %v", b, err)
	}
	if cs, err := e.x.FindCustomers(e.ctx, e.g, CustomerQuery{CorporateIdentificationNumber: "31415926"}); err != nil || len(cs) != 1 ||
		cs[0].VatZone.VatZoneNumber != sandbox.VatZoneDomestic || cs[0].PaymentTerms.PaymentTermsNumber != 3 {
		t.Errorf("the new customer: %+v, %v", cs, err)
	}
	if b, err := e.x.BookedInvoice(e.ctx, e.g, 20250002); err != nil || b.NetAmount != -20000 || b.Customer.CustomerNumber != 1 {
		t.Errorf("the credit note, to the existing customer 1: %+v, %v", b, err)
	}

	// The same again: already booked, nothing written.
	before := posts(e)
	ans, err := x.SendInvoice(e.ctx, e.g, p, inv)
	if err != nil || ans.Accepted || ans.Code != AnswerAlreadyBooked || !strings.Contains(ans.Message, "booked already") {
		t.Errorf("sent again: %+v, %v", ans, err)
	}
	if posts(e) != before {
		t.Errorf("sending again wrote %d times", posts(e)-before)
	}
	// Another invoice with a number e-conomic has booked: taken.
	other := srcInvoice(t, "20250001", "12345674", "Fjordfragt A/S", "1030")
	ans, err = x.SendInvoice(e.ctx, e.g, p, other)
	if err != nil || ans.Accepted || ans.Code != AnswerNumberTaken || posts(e) != before {
		t.Errorf("a number taken by another invoice: %+v, %v", ans, err)
	}
	if ans, found, err := x.LookUpInvoice(e.ctx, e.g, p, other); err != nil || !found || ans.Accepted || ans.Code != AnswerNumberTaken {
		t.Errorf("LookUpInvoice(other) = %+v, %v, %v", ans, found, err)
	}
	if ans, found, err := x.LookUpInvoice(e.ctx, e.g, p, inv); err != nil || !found || !ans.Accepted || ans.Reference != "20250001" {
		t.Errorf("LookUpInvoice(sent) = %+v, %v, %v", ans, found, err)
	}
	if _, found, err := x.LookUpInvoice(e.ctx, e.g, p, srcInvoice(t, "20250003", "12345674", "Fjordfragt A/S", "1010")); err != nil || found {
		t.Errorf("LookUpInvoice(unsent) = %v, %v", found, err)
	}
}

// A lost answer is settled by looking the invoice up; sent again, what
// the first send made (the draft) is used, never made twice.
func TestExportLostAnswers(t *testing.T) {
	e := newExportEnv(t, exportApp)
	x := e.c.Export()
	p := pairedAsSuggested()
	count := func(name string) int { return e.sb.Stats().Calls[name] }

	inv := srcInvoice(t, "20250010", "12345674", "Fjordfragt A/S", "1020")
	e.net.once("POST /invoices/booked", dropAnswer)
	if _, err := x.SendInvoice(e.ctx, e.g, p, inv); !connectors.AnswerLost(err) {
		t.Fatalf("a lost booking: %v", err)
	}
	ans, found, err := x.LookUpInvoice(e.ctx, e.g, p, inv)
	if err != nil || !found || !ans.Accepted || ans.Reference != "20250010" {
		t.Errorf("look-up after a lost booking: %+v, %v, %v", ans, found, err)
	}
	if count("POST /invoices/booked") != 1 || count("POST /invoices/drafts") != 1 {
		t.Errorf("booked %d, drafted %d times", count("POST /invoices/booked"), count("POST /invoices/drafts"))
	}

	inv = srcInvoice(t, "20250011", "12345674", "Fjordfragt A/S", "1020")
	e.net.once("POST /invoices/drafts", dropAnswer)
	if _, err := x.SendInvoice(e.ctx, e.g, p, inv); !connectors.AnswerLost(err) {
		t.Fatalf("a lost draft: %v", err)
	}
	if _, found, err := x.LookUpInvoice(e.ctx, e.g, p, inv); err != nil || found {
		t.Fatalf("look-up after a lost draft: %v, %v", found, err)
	}
	ans, err = x.SendInvoice(e.ctx, e.g, p, inv)
	if err != nil || !ans.Accepted || count("POST /invoices/drafts") != 2 || count("POST /invoices/booked") != 2 {
		t.Errorf("sent again after a lost draft: %+v, %v; drafts %d, bookings %d (want the left draft used)", ans, err,
			count("POST /invoices/drafts"), count("POST /invoices/booked"))
	}
	if ds, err := e.x.FindDraftInvoices(e.ctx, e.g, "bilag:20250011"); err != nil || len(ds) != 0 {
		t.Errorf("drafts left: %+v, %v", ds, err)
	}
}

// The voucher method: a voucher with the PDF in journal 1, left there;
// sent again, it is there already; a lost answer is settled by the
// journal.
func TestExportVoucherMethod(t *testing.T) {
	e := newExportEnv(t, exportApp)
	x := e.c.Export()
	p := pairedAsSuggested()
	p.Set(TableSetting, SettingMethod, MethodVoucher)
	p.Set(TableVatCode, "25", "U25")
	withPDF := func(inv connectors.Invoice) connectors.Invoice {
		inv.PDF = &connectors.InvoicePDF{FileName: "faktura-" + inv.Number + ".pdf", Data: samplepdf.Page([]string{"Faktura " + inv.Number}, 0)}
		return inv
	}
	inv := withPDF(srcInvoice(t, "1001", "12345674", "Fjordfragt A/S", "1010", "1020"))
	if fs := mustPreflight(t, x, e, p, []connectors.Invoice{inv}); len(fs) != 0 {
		t.Fatalf("pre-flight %+v", fs)
	}
	ans, err := x.SendInvoice(e.ctx, e.g, p, inv)
	if err != nil || !ans.Accepted || ans.Code != AnswerInJournal || ans.Reference != "2025-41" || !strings.Contains(ans.Message, "bilag:1001") {
		t.Fatalf("voucher: %+v, %v", ans, err)
	}
	vs, err := e.x.JournalVouchers(e.ctx, e.g, 1)
	if err != nil || len(vs) != 1 || len(vs[0].Entries) != 2 || vs[0].Entries[0].Amount != 25000 || vs[0].Entries[0].ContraAccount.AccountNumber != 1010 ||
		vs[0].Entries[1].ContraAccount.AccountNumber != 1020 || vs[0].Entries[0].ContraVatAccount.VatCode != "U25" {
		t.Errorf("the journal: %+v, %v", vs, err)
	}
	if a, err := e.x.VoucherAttachment(e.ctx, e.g, 1, "2025", 41); err != nil || a.Pages != 1 {
		t.Errorf("the voucher's PDF: %+v, %v", a, err)
	}
	if _, err := e.x.BookedInvoice(e.ctx, e.g, 1001); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("the voucher method booked an invoice: %v", err)
	}
	before := posts(e)
	if ans, err := x.SendInvoice(e.ctx, e.g, p, inv); err != nil || ans.Accepted || ans.Code != AnswerAlreadyInJournal || posts(e) != before {
		t.Errorf("sent again: %+v, %v", ans, err)
	}

	// The voucher's answer lost: found in the journal without its file,
	// so not found; sent again, only the file is attached.
	lost := withPDF(srcInvoice(t, "1002", "12345674", "Fjordfragt A/S", "1010"))
	e.net.once("POST /journals/1/vouchers", dropAnswer)
	if _, err := x.SendInvoice(e.ctx, e.g, p, lost); !connectors.AnswerLost(err) {
		t.Fatalf("a lost voucher: %v", err)
	}
	if _, found, err := x.LookUpInvoice(e.ctx, e.g, p, lost); err != nil || found {
		t.Errorf("look-up of a voucher without its file: %v, %v", found, err)
	}
	ans, err = x.SendInvoice(e.ctx, e.g, p, lost)
	if err != nil || !ans.Accepted || e.sb.Stats().Calls["POST /journals/{j}/vouchers"] != 2 {
		t.Errorf("sent again: %+v, %v; vouchers posted %d times, want 2 (1001 and 1002 once each)", ans, err, e.sb.Stats().Calls["POST /journals/{j}/vouchers"])
	}
	if ans, found, err := x.LookUpInvoice(e.ctx, e.g, p, lost); err != nil || !found || !ans.Accepted {
		t.Errorf("look-up of the voucher with its file: %+v, %v, %v", ans, found, err)
	}
}

// A 429 and a 401 give a clear error and change nothing.
func TestExportSendRefusedByQuotaOrGrant(t *testing.T) {
	inv := srcInvoice(t, "20250020", "12345674", "Fjordfragt A/S", "1010")
	p := pairedAsSuggested()
	// How many calls the approval and the pre-flight take.
	probe := newExportEnv(t, exportApp)
	mustPreflight(t, probe.c.Export(), probe, p, []connectors.Invoice{inv})
	used := sum(probe.sb.Stats())

	e := newExportEnv(t, exportApp, sandbox.WithDailyLimit(used))
	x := e.c.Export()
	mustPreflight(t, x, e, p, []connectors.Invoice{inv})
	_, err := x.SendInvoice(e.ctx, e.g, p, inv)
	if f := connectors.Classify(err); f.Class != connectors.ClassRateLimited || connectors.AnswerLost(err) {
		t.Errorf("over the quota: %v (%+v)", err, f)
	}
	if posts(e) != 0 || e.sb.Stats().RateLimited != 1 {
		t.Errorf("over the quota: %d writes, %d refusals", posts(e), e.sb.Stats().RateLimited)
	}

	e = newExportEnv(t, exportApp)
	x = e.c.Export()
	bad := connectors.Grant{Data: []byte(`{"t":"not-a-grant","a":7001011,"c":"DK","cur":"DKK"}`)}
	if _, err := x.SendInvoice(e.ctx, bad, p, inv); !errors.Is(err, connectors.ErrUnauthorized) || connectors.AnswerLost(err) {
		t.Errorf("a revoked grant: %v", err)
	}
	if _, _, err := x.LookUpInvoice(e.ctx, bad, p, inv); !errors.Is(err, connectors.ErrUnauthorized) {
		t.Errorf("look-up with a revoked grant: %v", err)
	}
	if posts(e) != 0 {
		t.Errorf("a revoked grant wrote %d times", posts(e))
	}
}

// The export's grant and role check.
func TestExportGrantAndRole(t *testing.T) {
	e := newExportEnv(t, exportApp)
	x := e.c.Export()
	login, err := x.LoginURLIn("https://bilag.example/oauth/economic-export/callback", "st", "", "da")
	if err != nil || !strings.Contains(login, "appPublicToken=bilag-export-public") || !strings.Contains(login, "locale=da-DK") {
		t.Errorf("login url %s, %v", login, err)
	}
	v, err := x.Check(e.ctx, e.g)
	if err != nil || !v.OK() || v.Company.OrgNumber != "35121005" {
		t.Errorf("a SuperUser export grant: %+v, %v", v, err)
	}
	if got := x.InvoiceTarget(e.g); got != "Visma e-conomic, agreement 7001011" {
		t.Errorf("InvoiceTarget = %q", got)
	}
	sales := newExportEnv(t, sandbox.App{Name: "Sales export", PublicToken: "sales-export", SecretToken: "sales-export-secret-0123", Role: sandbox.RoleSales})
	if v, err := sales.c.Export().Check(sales.ctx, sales.g); err != nil || v.OK() || v.Problems[0].Code != ProblemMissingRole {
		t.Errorf("a Sales export grant: %+v, %v", v, err)
	}
	checks, err := x.ValidateInvoices(e.ctx, e.g, []connectors.Invoice{x.ExampleInvoice()})
	if err != nil || !checks[0].Sendable() {
		t.Errorf("the example invoice: %+v, %v", checks, err)
	}
}

// The demo's sample period reads as Bilag's invoice format, validates,
// and pre-flight names the one sales account the demo agreement has no
// product group for; paired, the whole period is booked.
func TestExportDemoPeriod(t *testing.T) {
	parsed, err := invoice.ParseJSON(DemoPeriod())
	if err != nil || len(parsed) != 20 {
		t.Fatalf("the demo period: %d invoices, %v", len(parsed), err)
	}
	var batch []connectors.Invoice
	for _, p := range parsed {
		if len(p.Findings) != 0 {
			t.Errorf("invoice %s: %+v", p.Invoice.Number, p.Findings)
		}
		batch = append(batch, p.Invoice)
	}
	e := newExportEnv(t, exportApp)
	x := e.c.Export()
	checks, err := x.ValidateInvoices(e.ctx, e.g, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range checks {
		if !c.Sendable() {
			t.Errorf("invoice %s: %+v", batch[i].Number, c.Findings)
		}
	}
	p := pairedAsSuggested()
	fs := mustPreflight(t, x, e, p, batch)
	if len(fs) != 1 || fs[0].Code != PreflightGroupsMissing || !slices.Equal(fs[0].Args, []string{"3010", "3"}) {
		t.Fatalf("pre-flight of the demo period: %+v", fs)
	}
	p.Set(TableSalesAccount, "3010", "2")
	if fs := mustPreflight(t, x, e, p, batch); len(fs) != 0 {
		t.Fatalf("pre-flight once paired: %+v", fs)
	}
	for _, inv := range batch {
		if ans, err := x.SendInvoice(e.ctx, e.g, p, inv); err != nil || !ans.Accepted || ans.Reference != inv.Number {
			t.Errorf("send %s: %+v, %v", inv.Number, ans, err)
		}
	}
}
