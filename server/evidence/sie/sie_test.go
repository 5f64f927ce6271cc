package sie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/server/evidence/book"
)

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

// testBook is a year with accounts of every kind, names with characters
// code page 437 has and lacks, and n generated vouchers after two made by
// hand (one with a row both debit and credit, one with a quoted text).
func testBook(n int) (book.Book, []connectors.Voucher) {
	vs := []connectors.Voucher{
		{Number: "A1", Series: "A", Date: day(2024, 1, 3), Text: `Faktura "Åre" ø`, Rows: []connectors.VoucherRow{
			{Account: "1510", Debit: 12500}, {Account: "3010", Credit: 10000, Text: "Försäljning"}, {Account: "2611", Credit: 2500},
		}},
		{Number: "B7", Series: "B", Date: day(2024, 1, 9), Text: `C:\tmp\`, Rows: []connectors.VoucherRow{
			{Account: "1930", Debit: 500, Credit: 200}, {Account: "6570", Credit: 300, AccountName: "Bankkostnader"},
		}},
	}
	for i := range n {
		amt := int64(1000 + i*7)
		vs = append(vs, connectors.Voucher{Number: fmt.Sprintf("C%d", i+1), Series: "C", Date: day(2024, time.Month(1+i%12), 1+i%28), Text: "Leverantörsfaktura 🧾",
			Rows: []connectors.VoucherRow{{Account: "4010", Debit: amt}, {Account: "2641", Debit: amt / 4}, {Account: "2440", Credit: amt + amt/4}}})
	}
	b := book.Book{
		Company: connectors.Company{Name: "Övningsbolaget AB", OrgNumber: "555555-5555", Country: "SE"},
		From:    day(2024, 1, 1), To: day(2024, 12, 31),
		FiscalYear: connectors.FiscalYear{ID: "2024", StartDate: day(2024, 1, 1), EndDate: day(2024, 12, 31)},
		Ledger: connectors.Ledger{Currency: "SEK", Accounts: []connectors.Account{
			{Number: "1510", Name: "Kundfordringar", Kind: connectors.AccountAsset, Opening: 50000},
			{Number: "1930", Name: "Företagskonto", Kind: connectors.AccountAsset, Opening: 100000},
			{Number: "2081", Name: "Aktiekapital", Kind: connectors.AccountEquity, Opening: -50000},
			{Number: "2440", Name: "Leverantörsskulder", Kind: connectors.AccountLiability, Opening: -100000},
			{Number: "2611", Name: "Utgående moms 25 %", Kind: connectors.AccountLiability},
			{Number: "2641", Name: "Ingående moms"},
			{Number: "3010", Name: "Försäljning", Kind: connectors.AccountIncome},
			{Number: "4010", Name: "Inköp – Bjørn «AS»", Kind: connectors.AccountExpense},
		}},
		Made:     day(2025, 2, 1),
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

func TestCharsetIsCodePage437(t *testing.T) {
	cs := newCharset()
	for b, want := range map[byte]rune{0x84: 'ä', 0x86: 'å', 0x8E: 'Ä', 0x8F: 'Å', 0x94: 'ö', 0x99: 'Ö', 0x82: 'é', 0xE1: 'ß', 0xFF: '\u00a0'} {
		if got := cs.toRune[b-0x80]; got != want {
			t.Errorf("byte %#x = %q, want %q", b, got, want)
		}
	}
	if got := string(cs.encode(nil, `Bjørn "AS" 🧾 é`)); got != "Bj\x94rn \\\"AS\\\" ? \x82" {
		t.Errorf("encode = %q", got)
	}
}

// TestExampleFiles reads the specification's published example files:
// every voucher balances, and each account's balances move by exactly its
// rows (UB − IB, or RES, equals the sum of its #TRANS).
func TestExampleFiles(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.se")
	if len(paths) == 0 {
		t.Fatal("no example files in testdata")
	}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"as stored": raw, "CRLF": bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))} {
			t.Run(filepath.Base(path)+"/"+name, func(t *testing.T) { checkExample(t, data) })
		}
	}
}

func checkExample(t *testing.T, data []byte) {
	f, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != "4" || f.Format != "PC8" || len(f.Vouchers) == 0 || len(f.Accounts) == 0 {
		t.Fatalf("type %q format %q, %d vouchers, %d accounts", f.Type, f.Format, len(f.Vouchers), len(f.Accounts))
	}
	moved := map[string]int64{}
	for _, v := range f.Vouchers {
		if v.Sum() != 0 {
			t.Errorf("voucher %s %s does not balance: %d", v.Series, v.Number, v.Sum())
		}
		for _, tr := range v.Trans {
			moved[tr.Account] += tr.Amount
		}
	}
	for n, a := range f.Accounts {
		ib, hasIB := a.IB[0]
		if res, ok := a.RES[0]; ok && res != moved[n] {
			t.Errorf("account %s: #RES %d, rows %d", n, res, moved[n])
		}
		if ub, ok := a.UB[0]; ok && hasIB && ub-ib != moved[n] {
			t.Errorf("account %s: #UB−#IB %d, rows %d", n, ub-ib, moved[n])
		}
	}
}

func TestMagentaExampleContent(t *testing.T) {
	raw, err := os.ReadFile("testdata/magenta_bokforing_SIE4E.se")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if f.CompanyName != "TESTFÖRETAGET AB" || f.OrgNumber != "112233-4567" || len(f.Vouchers) != 19 {
		t.Fatalf("name %q orgnr %q vouchers %d", f.CompanyName, f.OrgNumber, len(f.Vouchers))
	}
	if a := f.Accounts["1510"]; a.Name != "Kundfordringar" || a.IB[0] != 9552900 || a.UB[0] != 18099600 {
		t.Errorf("1510 = %+v", a)
	}
	if v := f.Vouchers[15]; v.Number != "16" || v.Text != "Inköp varor" || v.Trans[5].Amount != 25 {
		t.Errorf("voucher 16 = %+v", v)
	}
}

// TestRoundTrip writes a book and reads it back: the same accounts,
// balances and vouchers, debit equal to credit, the totals the book's.
func TestRoundTrip(t *testing.T) {
	b, vs := testBook(40)
	f, err := Parse(bytes.NewReader(write(t, b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != "4" || f.Format != "PC8" || f.Flag != "0" || f.Program != [2]string{"Bilag", "1.2.3"} || f.CompanyName != "Övningsbolaget AB" || f.OrgNumber != "555555-5555" {
		t.Fatalf("header = %+v", f)
	}
	if y := f.Years[0]; !y[0].Equal(day(2024, 1, 1)) || !y[1].Equal(day(2024, 12, 31)) {
		t.Errorf("#RAR 0 = %v", y)
	}
	checkAccounts(t, b, vs, f)
	checkVouchers(t, vs, f)
}

func checkAccounts(t *testing.T, b book.Book, vs []connectors.Voucher, f *File) {
	moved := map[string]int64{}
	for _, v := range vs {
		for _, r := range v.Rows {
			moved[r.Account] += r.Debit - r.Credit
		}
	}
	names := map[string]string{"4010": "Inköp - Björn «AS»", "6570": "Bankkostnader"}
	for _, a := range b.Ledger.Accounts {
		if names[a.Number] == "" {
			names[a.Number] = a.Name
		}
	}
	for n, want := range names {
		a := f.Accounts[n]
		if a == nil || a.Name != want {
			t.Fatalf("account %s = %+v, want name %q", n, a, want)
		}
	}
	open := map[string]int64{}
	for _, a := range b.Ledger.Accounts {
		open[a.Number] = a.Opening
	}
	for n, a := range f.Accounts {
		if res, ok := a.RES[0]; ok {
			if res != open[n]+moved[n] {
				t.Errorf("%s #RES %d, want %d", n, res, open[n]+moved[n])
			}
		} else if a.IB[0] != open[n] || a.UB[0] != open[n]+moved[n] {
			t.Errorf("%s #IB %d #UB %d, want %d and %d", n, a.IB[0], a.UB[0], open[n], open[n]+moved[n])
		}
	}
	if f.Accounts["2641"].Type != "S" || f.Accounts["4010"].Type != "K" || f.Accounts["1510"].Type != "T" {
		t.Errorf("#KTYP: 2641 %q 4010 %q 1510 %q", f.Accounts["2641"].Type, f.Accounts["4010"].Type, f.Accounts["1510"].Type)
	}
}

func checkVouchers(t *testing.T, vs []connectors.Voucher, f *File) {
	if len(f.Vouchers) != len(vs) {
		t.Fatalf("%d vouchers, want %d", len(f.Vouchers), len(vs))
	}
	var bookDebit, bookCredit, fileDebit, fileCredit int64
	for i, v := range vs {
		got := f.Vouchers[i]
		if got.Series+got.Number != v.Number || !got.Date.Equal(v.Date) || got.Sum() != 0 {
			t.Errorf("voucher %d = %s%s %v sum %d, want %s %v", i, got.Series, got.Number, got.Date, got.Sum(), v.Number, v.Date)
		}
		for _, r := range v.Rows {
			bookDebit, bookCredit = bookDebit+r.Debit, bookCredit+r.Credit
		}
		for _, tr := range got.Trans {
			if tr.Amount > 0 {
				fileDebit += tr.Amount
			} else {
				fileCredit -= tr.Amount
			}
		}
	}
	if fileDebit != fileCredit || fileDebit != bookDebit || fileCredit != bookCredit {
		t.Errorf("file debit %d credit %d, book debit %d credit %d", fileDebit, fileCredit, bookDebit, bookCredit)
	}
	if got := f.Vouchers[0].Text; got != `Faktura "Åre" ö` {
		t.Errorf("quoted text = %q", got)
	}
	if got := f.Vouchers[1].Text; got != `C:\tmp/` {
		t.Errorf("trailing backslash = %q", got)
	}
	if got := f.Vouchers[2].Text; got != "Leverantörsfaktura ?" {
		t.Errorf("text outside code page 437 = %q", got)
	}
}

func TestWriteIsCodePage437WithCRLF(t *testing.T) {
	b, _ := testBook(1)
	out := write(t, b)
	for _, want := range []string{"#FNAMN \"\x99vningsbolaget AB\"\r\n", "#SIETYP 4\r\n", "#FORMAT PC8\r\n", "#VER \"A\" \"1\" 20240103 \"Faktura \\\"\x8Fre\\\" \x94\"\r\n", "   #TRANS 1930 {} 5.00\r\n", "   #TRANS 1930 {} -2.00\r\n"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("file lacks %q", want)
		}
	}
	if bytes.Contains(out, []byte("\xc3")) {
		t.Error("file holds UTF-8")
	}
}

// TestBadInput: an unbalanced voucher and a failing read are errors, and
// nothing is written.
func TestBadInput(t *testing.T) {
	boom := errors.New("upstream down")
	b, vs := testBook(0)
	unbalanced := b
	unbalanced.Vouchers = seq(append(vs, connectors.Voucher{Number: "X1", Date: day(2024, 2, 1), Rows: []connectors.VoucherRow{{Account: "1930", Debit: 100}}}))
	failing := b
	failing.Vouchers = func(yield func(connectors.Voucher, error) bool) { yield(connectors.Voucher{}, boom) }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, c := range map[string]struct {
		ctx  context.Context
		b    book.Book
		want error
	}{"unbalanced": {context.Background(), unbalanced, ErrUnbalanced}, "read fails": {context.Background(), failing, boom}, "cancelled": {ctx, b, context.Canceled}} {
		var buf bytes.Buffer
		err := Write(c.ctx, &buf, c.b)
		if !errors.Is(err, c.want) || buf.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes written", name, err, buf.Len())
		}
	}
}

func TestPartialPeriodSaysSo(t *testing.T) {
	b, _ := testBook(1)
	b.From, b.To = day(2024, 3, 1), day(2024, 3, 31)
	b.Ledger.Missing = []string{"parties"}
	f, err := Parse(bytes.NewReader(write(t, b)))
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(f.Notes, "|")
	if !strings.Contains(notes, "2024-03-01") || !strings.Contains(notes, "parties") {
		t.Errorf("#PROSA = %q", notes)
	}
	if !bytes.Contains(write(t, b), []byte("#OMFATTN 20240331\r\n")) {
		t.Error("no #OMFATTN for a period ending before the year")
	}
}

// TestMidYearIB: for a period after the year's first day, #IB is the
// year's opening (what an importing program takes it for), #UB and #RES
// the balances when the period ends; without the year's openings, #IB is
// the period's and the file says so.
func TestMidYearIB(t *testing.T) {
	b, vs := testBook(0)
	b.From, b.To = day(2024, 1, 2), day(2024, 1, 31)
	for i := range b.Ledger.Accounts {
		a := &b.Ledger.Accounts[i]
		a.YearOpening, a.Opening = a.Opening, a.Opening+700
	}
	b.Ledger.YearOpenings = true
	f, err := Parse(bytes.NewReader(write(t, b)))
	if err != nil {
		t.Fatal(err)
	}
	moved := map[string]int64{}
	for _, v := range vs {
		for _, r := range v.Rows {
			moved[r.Account] += r.Debit - r.Credit
		}
	}
	for _, a := range b.Ledger.Accounts {
		got := f.Accounts[a.Number]
		if res, ok := got.RES[0]; ok {
			if res != a.Opening+moved[a.Number] {
				t.Errorf("%s #RES %d, want %d", a.Number, res, a.Opening+moved[a.Number])
			}
			continue
		}
		if got.IB[0] != a.YearOpening || got.UB[0] != a.Opening+moved[a.Number] {
			t.Errorf("%s #IB %d #UB %d, want the year's %d and the period's end %d", a.Number, got.IB[0], got.UB[0], a.YearOpening, a.Opening+moved[a.Number])
		}
	}
	if notes := strings.Join(f.Notes, "|"); !strings.Contains(notes, "räkenskapsårets början") || !strings.Contains(notes, "2024-01-02 till 2024-01-31") {
		t.Errorf("#PROSA = %q", notes)
	}
	b.Ledger.YearOpenings = false
	if f, err = Parse(bytes.NewReader(write(t, b))); err != nil {
		t.Fatal(err)
	}
	if got := f.Accounts["1930"].IB[0]; got != 100700 || !strings.Contains(strings.Join(f.Notes, "|"), "periodens början 2024-01-02") {
		t.Errorf("without the year's openings: #IB 1930 %d, #PROSA %q; want the period's 100700, said so", got, f.Notes)
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
