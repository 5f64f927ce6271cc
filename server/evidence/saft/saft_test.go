package saft

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/server/evidence/book"
)

const xsd = "testdata/Norwegian_SAF-T_Financial_Schema_v_1.30.xsd"

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func seq(vs []connectors.Voucher) iter.Seq2[connectors.Voucher, error] {
	return func(yield func(connectors.Voucher, error) bool) {
		for _, v := range vs {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// testBook is a Norwegian year: accounts of every kind (one only a row
// names), customers and suppliers (one repeated, one without an ID), a row
// both debit and credit, a repeated voucher number, text that needs
// escaping and cutting, and n generated vouchers.
func testBook(n int) (book.Book, []connectors.Voucher) {
	vs := []connectors.Voucher{
		{Number: "1", Series: "A", Date: day(2025, 1, 3), Text: `Faktura <Ørsta & "Co">`, UpstreamType: "Utgående faktura", ModifiedAt: day(2025, 1, 4),
			Rows: []connectors.VoucherRow{{Account: "1500", Debit: 12500}, {Account: "3000", Credit: 10000, Text: "Salg"}, {Account: "2700", Credit: 2500}}},
		{Number: "1", Series: "B", Date: day(2025, 1, 9), Text: strings.Repeat("lang tekst ", 40),
			Rows: []connectors.VoucherRow{{Account: "1920", Debit: 500, Credit: 200}, {Account: "7770", Credit: 300, AccountName: "Bankgebyr"}}},
	}
	for i := range n {
		amt := int64(1000 + i*7)
		vs = append(vs, connectors.Voucher{Number: fmt.Sprintf("C%d", i+1), Series: "C", Date: day(2025, time.Month(1+i%12), 1+i%28), Text: "Leverandørfaktura\x01",
			Rows: []connectors.VoucherRow{{Account: "4300", Debit: amt}, {Account: "2710", Debit: amt / 4}, {Account: "2400", Credit: amt + amt/4}}})
	}
	b := book.Book{
		Company: connectors.Company{Name: "Eksempel AS", OrgNumber: "999999999", Country: "NO"},
		From:    day(2025, 1, 1), To: day(2025, 12, 31),
		FiscalYear: connectors.FiscalYear{ID: "2025", StartDate: day(2025, 1, 1), EndDate: day(2025, 12, 31)},
		Ledger: connectors.Ledger{Currency: "NOK", Missing: []string{"opening_balances"}, Accounts: []connectors.Account{
			{Number: "1500", Name: "Kundefordringer", Kind: connectors.AccountAsset, Opening: 50000},
			{Number: "1920", Name: "Bankinnskudd", Kind: connectors.AccountAsset, Opening: 100000},
			{Number: "2000", Name: "Aksjekapital", Kind: connectors.AccountEquity, Opening: -50000},
			{Number: "2400", Name: "Leverandørgjeld", Kind: connectors.AccountLiability, Opening: -100000},
			{Number: "2700", Name: "Utgående merverdiavgift", Kind: connectors.AccountLiability},
			{Number: "2710", Name: "Inngående merverdiavgift"},
			{Number: "3000", Name: "Salgsinntekt", Kind: connectors.AccountIncome},
			{Number: "4300", Name: "Innkjøp av varer", Kind: connectors.AccountExpense},
			{Number: "SPECIAL", Name: "Eget konto", Kind: connectors.AccountExpense},
		}, Parties: []connectors.Party{
			{Role: connectors.PartyCustomer, ID: "10001", Name: "Kunde AS", OrgNumber: "888888888", Country: "NO"},
			{Role: connectors.PartyCustomer, ID: "10001", Name: "Kunde AS (dobbel)"},
			{Role: connectors.PartyCustomer, Name: "Uten nummer"},
			{Role: connectors.PartySupplier, ID: "20001", Name: "Leverandør & Sønn"},
		}},
		Made:     day(2026, 2, 1),
		Software: "Bilag 1.2.3",
	}
	b.Vouchers = seq(vs)
	return b, vs
}

func write(t testing.TB, b book.Book) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, b); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// validate runs xmllint against Skatteetaten's XSD and returns its output
// and whether the file is valid. CI installs libxml2-utils (.ci/run).
func validate(t *testing.T, doc []byte) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils); the schema check cannot run")
	}
	path := filepath.Join(t.TempDir(), "saft.xml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", xsd, path).CombinedOutput()
	return string(out), err == nil
}

func TestValidatesAgainstSkatteetatensXSD(t *testing.T) {
	b, _ := testBook(30)
	if out, ok := validate(t, write(t, b)); !ok {
		t.Fatalf("xmllint rejects the file:\n%s", out)
	}
	minimal := b
	minimal.Ledger = connectors.Ledger{}
	minimal.FiscalYear = connectors.FiscalYear{}
	minimal.Software = ""
	if out, ok := validate(t, write(t, minimal)); !ok {
		t.Fatalf("xmllint rejects a file with no chart, parties or currency:\n%s", out)
	}
}

// TestBrokenFileFails shows the check can fail: each change breaks a rule
// of the XSD, and xmllint says so. (The XSD's xs:key and xs:keyref — unique
// TransactionIDs, Lines naming known accounts — use XPaths without a
// namespace prefix, which in XSD 1.0 select nothing in a namespaced file,
// so no validator enforces them; TestReferences checks them instead.)
func TestBrokenFileFails(t *testing.T) {
	b, _ := testBook(2)
	doc := string(write(t, b))
	for name, broken := range map[string]string{
		"basis not A":         strings.Replace(doc, "<TaxAccountingBasis>A<", "<TaxAccountingBasis>B<", 1),
		"element renamed":     strings.Replace(doc, "<GroupingCode>", "<GroupCode>", 1),
		"line without amount": strings.Replace(doc, "<CreditAmount>\n<Amount>", "<CreditAmount>\n<Sum>", 1),
		"registration gone":   strings.Replace(doc, "<RegistrationNumber>999999999</RegistrationNumber>\n", "", 1),
		"amount three digits": strings.Replace(doc, "<TotalDebit>", "<TotalDebit>0.001", 1),
	} {
		if broken == doc {
			t.Fatalf("%s: the change did not apply", name)
		}
		if _, ok := validate(t, []byte(broken)); ok {
			t.Errorf("%s: xmllint accepts the broken file", name)
		}
	}
}

// totals reads back what the file says: its stated totals and entry
// count, and the sums of its Lines' amounts.
type totals struct {
	statedDebit, statedCredit, lineDebit, lineCredit int64
	entries, transactions                            int
}

func readTotals(t *testing.T, doc []byte) totals {
	var tt totals
	d := xml.NewDecoder(bytes.NewReader(doc))
	var path []string
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch x := tok.(type) {
		case xml.StartElement:
			path = append(path, x.Name.Local)
			if x.Name.Local == "Transaction" {
				tt.transactions++
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			tt.add(t, strings.Join(path, "/"), strings.TrimSpace(string(x)))
		}
	}
	return tt
}

func (tt *totals) add(t *testing.T, path, s string) {
	cents := func() int64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s = %q: %v", path, s, err)
		}
		return int64(f*100 + 0.5*sign(f))
	}
	switch {
	case strings.HasSuffix(path, "GeneralLedgerEntries/TotalDebit"):
		tt.statedDebit = cents()
	case strings.HasSuffix(path, "GeneralLedgerEntries/TotalCredit"):
		tt.statedCredit = cents()
	case strings.HasSuffix(path, "GeneralLedgerEntries/NumberOfEntries"):
		tt.entries, _ = strconv.Atoi(s)
	case strings.HasSuffix(path, "Line/DebitAmount/Amount"):
		tt.lineDebit += cents()
	case strings.HasSuffix(path, "Line/CreditAmount/Amount"):
		tt.lineCredit += cents()
	}
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// TestTotalsAreTheBooks: debit equals credit, and the stated totals, the
// Lines' sums and the book's rows agree.
func TestTotalsAreTheBooks(t *testing.T) {
	b, vs := testBook(100)
	tt := readTotals(t, write(t, b))
	var debit, credit int64
	for _, v := range vs {
		for _, r := range v.Rows {
			debit, credit = debit+r.Debit, credit+r.Credit
		}
	}
	if tt.statedDebit != tt.statedCredit || tt.statedDebit != debit || tt.statedCredit != credit {
		t.Errorf("stated debit %d credit %d, book %d and %d", tt.statedDebit, tt.statedCredit, debit, credit)
	}
	if tt.lineDebit != debit || tt.lineCredit != credit {
		t.Errorf("lines debit %d credit %d, book %d and %d", tt.lineDebit, tt.lineCredit, debit, credit)
	}
	if tt.entries != len(vs) || tt.transactions != len(vs) {
		t.Errorf("NumberOfEntries %d, %d Transactions, want %d", tt.entries, tt.transactions, len(vs))
	}
}

func TestContent(t *testing.T) {
	b, _ := testBook(0)
	doc := string(write(t, b))
	for _, want := range []string{
		"<AuditFileVersion>1.30</AuditFileVersion>", "<AuditFileCountry>NO</AuditFileCountry>",
		"<SelectionStartDate>2025-01-01</SelectionStartDate>", "<SelectionEndDate>2025-12-31</SelectionEndDate>",
		"<AccountID>1920</AccountID>\n<AccountDescription>Bankinnskudd</AccountDescription>\n<GroupingCategory>balanseverdiForOmloepsmiddel</GroupingCategory>\n<GroupingCode>1920</GroupingCode>",
		"<AccountID>2400</AccountID>\n<AccountDescription>Leverandørgjeld</AccountDescription>\n<GroupingCategory>kortsiktigGjeld</GroupingCategory>\n<GroupingCode>2400</GroupingCode>\n<AccountType>GL</AccountType>\n<OpeningCreditBalance>1000.00</OpeningCreditBalance>",
		"<AccountID>7770</AccountID>\n<AccountDescription>Bankgebyr</AccountDescription>\n<GroupingCategory>annenDriftskostnad</GroupingCategory>\n<GroupingCode>7700</GroupingCode>",
		"<AccountID>SPECIAL</AccountID>\n<AccountDescription>Eget konto</AccountDescription>\n<GroupingCategory>annenDriftskostnad</GroupingCategory>",
		"<Description>Faktura &lt;Ørsta &amp; \"Co\"&gt;</Description>", "<TransactionID>1#1</TransactionID>", "<TransactionID>1#2</TransactionID>",
		"<Name>Leverandør &amp; Sønn</Name>", "<HeaderComment>Not given by the upstream system: opening_balances</HeaderComment>",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("file lacks %q", want)
		}
	}
	if strings.Count(doc, "<CustomerID>10001</CustomerID>") != 1 || strings.Contains(doc, "Uten nummer") {
		t.Error("customers are not each written once, or one without an ID was written")
	}
}

// TestBadInput: no organisation number, an unbalanced voucher, a failing
// read and a cancelled context are errors, and nothing is written.
func TestBadInput(t *testing.T) {
	boom := errors.New("upstream down")
	b, vs := testBook(0)
	noOrg := b
	noOrg.Company.OrgNumber = " "
	unbalanced := b
	unbalanced.Vouchers = seq(append(vs, connectors.Voucher{Number: "X1", Date: day(2025, 2, 1), Rows: []connectors.VoucherRow{{Account: "1920", Debit: 100}}}))
	failing := b
	failing.Vouchers = func(yield func(connectors.Voucher, error) bool) { yield(connectors.Voucher{}, boom) }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, c := range map[string]struct {
		ctx  context.Context
		b    book.Book
		want error
	}{"no orgnr": {context.Background(), noOrg, ErrNoOrgNumber}, "unbalanced": {context.Background(), unbalanced, ErrUnbalanced}, "read fails": {context.Background(), failing, boom}, "cancelled": {ctx, b, context.Canceled}} {
		var buf bytes.Buffer
		err := Write(c.ctx, &buf, c.b)
		if !errors.Is(err, c.want) || buf.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes written", name, err, buf.Len())
		}
	}
}

// TestReferences checks what the XSD's keys mean but cannot enforce:
// every Line's AccountID is an account of MasterFiles, and TransactionIDs
// are unique.
func TestReferences(t *testing.T) {
	b, _ := testBook(50)
	doc := string(write(t, b))
	master, entries, ok := strings.Cut(doc, "<GeneralLedgerEntries>")
	if !ok {
		t.Fatal("no GeneralLedgerEntries")
	}
	ids := map[string]bool{}
	for _, part := range strings.Split(entries, "<TransactionID>")[1:] {
		id, _, _ := strings.Cut(part, "<")
		if ids[id] {
			t.Errorf("TransactionID %q repeats", id)
		}
		ids[id] = true
	}
	for _, part := range strings.Split(entries, "<AccountID>")[1:] {
		acc, _, _ := strings.Cut(part, "<")
		if !strings.Contains(master, "<AccountID>"+acc+"</AccountID>") {
			t.Errorf("a Line names account %q, which MasterFiles lacks", acc)
		}
	}
}

func TestPeriod(t *testing.T) {
	for _, c := range []struct {
		start, d time.Time
		want     int
	}{{day(2025, 1, 1), day(2025, 3, 5), 3}, {day(2024, 7, 1), day(2025, 2, 1), 8}, {time.Time{}, day(2025, 11, 30), 11}} {
		if got := period(c.start, c.d); got != c.want {
			t.Errorf("period(%v, %v) = %d, want %d", c.start, c.d, got, c.want)
		}
	}
}

func BenchmarkWrite1000(b *testing.B) {
	bk, _ := testBook(1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(context.Background(), discard{}, bk); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
