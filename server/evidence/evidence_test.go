package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/server/evidence"
	"bilag/server/evidence/journal"
)

// fakeUpstream is a company's upstream: each voucher balanced, one or two
// documents each (one of them HTML, which a pack refuses). Failures and a
// gate are set per test.
type fakeUpstream struct {
	d        *db.DB
	reads    atomic.Int64
	opens    atomic.Int64
	mu       sync.Mutex
	failFrom int // LiveVoucher fails from this call on (1-based); 0 never
	// gate, when set, is waited for by call number gateAt.
	gate   chan struct{}
	gateAt int64
}

func pdf(n int64) []byte { return []byte(fmt.Sprintf("%%PDF-1.4\n%% document %d\n%%%%EOF\n", n)) }

func (f *fakeUpstream) LiveVoucher(ctx context.Context, companyID int64, v *db.Voucher) ([]connectors.VoucherRow, []db.VoucherDocument, error) {
	n := f.reads.Add(1)
	if f.gate != nil && n == f.gateAt {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	f.mu.Lock()
	fail := f.failFrom
	f.mu.Unlock()
	if fail > 0 && n >= int64(fail) {
		return nil, nil, fmt.Errorf("fake: get voucher: %w", connectors.ErrUnavailable)
	}
	rows := []connectors.VoucherRow{{Account: "5010", AccountName: "Lokalhyra", Debit: v.Amount}, {Account: "1930", Credit: v.Amount}}
	docs := []db.VoucherDocument{{ConnectionID: v.ConnectionID, Kind: "attachment", ExternalID: v.Ref + "-a", FileName: "faktura 1.pdf", ContentType: "application/pdf"}}
	if v.Number == "A3" {
		docs = append(docs, db.VoucherDocument{ConnectionID: v.ConnectionID, Kind: "attachment", ExternalID: v.Ref + "-b", FileName: "faktura 1.pdf", ContentType: "application/pdf"},
			db.VoucherDocument{ConnectionID: v.ConnectionID, Kind: "attachment", ExternalID: v.Ref + "-h", FileName: "../x.html", ContentType: "text/html"})
	}
	stored, err := f.d.SetVoucherDocuments(ctx, companyID, v.ID, docs)
	return rows, stored, err
}

type fakeDoc struct{ io.Reader }

func (fakeDoc) Close(bool) (string, error) { return "", nil }

func (f *fakeUpstream) OpenDocument(ctx context.Context, companyID int64, doc *db.VoucherDocument) (evidence.Document, error) {
	f.opens.Add(1)
	if strings.HasSuffix(doc.ExternalID, "-h") {
		return fakeDoc{strings.NewReader("<html><script>alert(1)</script></html>")}, nil
	}
	return fakeDoc{bytes.NewReader(pdf(doc.ID))}, nil
}

func (f *fakeUpstream) Ledger(ctx context.Context, companyID int64, from, to time.Time) (connectors.Ledger, error) {
	return connectors.Ledger{Accounts: []connectors.Account{{Number: "1930", Name: "Företagskonto", Kind: connectors.AccountAsset, Opening: 100000},
		{Number: "5010", Name: "Lokalhyra", Kind: connectors.AccountExpense}}, Currency: "SEK"}, nil
}

type env struct {
	t     *testing.T
	d     *db.DB
	clock *dbtest.Clock
	dir   string
	co    *db.Company
	user  *db.User
	up    *fakeUpstream
}

const vouchers = 30

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, clock: dbtest.NewClock(time.Date(2025, 4, 2, 9, 0, 0, 0, time.UTC)), dir: t.TempDir()}
	var err error
	e.d, err = db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "bilag.db"), db.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.d.Close() })
	e.co = &db.Company{Name: "Fjällbacka Snickeri AB", Country: "FI", OrgNumber: "1234567-8", Active: true}
	e.user = &db.User{Email: "anna@firm.test", Name: "Anna Lindqvist", Role: db.RoleAnalyst, Active: true, PasswordHash: "x"}
	if err := e.d.CreateCompany(ctx, e.co); err != nil {
		t.Fatal(err)
	}
	if err := e.d.CreateUser(ctx, e.user); err != nil {
		t.Fatal(err)
	}
	var vs []db.Voucher
	for i := range vouchers + 2 {
		// Two vouchers fall outside March: the pack leaves them out.
		date := time.Date(2025, 3, 1+i%31, 0, 0, 0, 0, time.UTC)
		if i >= vouchers {
			date = time.Date(2025, 4, 1+i-vouchers, 0, 0, 0, 0, time.UTC)
		}
		vs = append(vs, db.Voucher{CompanyID: e.co.ID, ConnectionID: 1, Ref: "v" + strconv.Itoa(i), Number: "A" + strconv.Itoa(i),
			Date: date, Amount: int64(1000 + i*37), Kind: "supplier_invoice", HasDocuments: true})
	}
	if err := e.d.UpsertVouchers(ctx, vs); err != nil {
		t.Fatal(err)
	}
	e.up = &fakeUpstream{d: e.d}
	return e
}

func (e *env) packer() *evidence.Packer {
	e.t.Helper()
	p, err := evidence.New(evidence.Options{DB: e.d, Upstream: e.up, Dir: e.dir, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(p.Close)
	return p
}

func (e *env) start(p *evidence.Packer) *db.Pack {
	e.t.Helper()
	period, err := evidence.ParsePeriod(evidence.PeriodMonth, "2025-03", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	pk, err := p.Start(e.t.Context(), e.co.ID, period, db.AuditEvent{UserID: &e.user.ID, Actor: e.user.Email})
	if err != nil {
		e.t.Fatal(err)
	}
	return pk
}

func (e *env) pack(id int64) *db.Pack {
	e.t.Helper()
	pk, err := e.d.Pack(e.t.Context(), e.co.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return pk
}

// TestPackOfAPeriod opens the ZIP and checks what the packer did not
// write itself: each document's SHA-256 against the index, and the
// journal's debits against its credits.
func TestPackOfAPeriod(t *testing.T) {
	e := newEnv(t)
	p := e.packer()
	pk := e.start(p)
	p.Wait()
	pk = e.pack(pk.ID)
	if pk.State != db.PackReady || pk.ExpiresAt == nil || !pk.ExpiresAt.Equal(e.clock.Now().Add(evidence.DefaultTTL)) {
		t.Fatalf("pack = %s (%s %s), expires %v; want ready in 7 days", pk.State, pk.Reason, pk.Error, pk.ExpiresAt)
	}
	if got := e.up.reads.Load(); got != vouchers {
		t.Errorf("upstream voucher reads = %d, want %d (the period's vouchers, once each)", got, vouchers)
	}
	files := readZip(t, pk.FilePath)
	rows := readCSV(t, files["index.csv"])
	if strings.Join(rows[0], ",") != strings.Join(evidence.IndexHeader(), ",") {
		t.Fatalf("index header = %v", rows[0])
	}
	ok, refused := 0, 0
	for _, r := range rows[1:] {
		if r[6] == "refused" {
			refused++
			if _, in := files[r[2]]; in || strings.Contains(r[2], "/") && files[r[2]] != nil {
				t.Errorf("refused document %q is in the ZIP", r[2])
			}
			continue
		}
		ok++
		sum := sha256.Sum256(files[r[2]])
		if hex.EncodeToString(sum[:]) != r[4] || strconv.Itoa(len(files[r[2]])) != r[3] {
			t.Errorf("%s: index says %s bytes, sha256 %s; the ZIP holds %d bytes, %x", r[2], r[3], r[4], len(files[r[2]]), sum)
		}
		if !strings.HasPrefix(r[2], "documents/2025-03-") {
			t.Errorf("document name %q, want documents/<date>_<number>_<name>", r[2])
		}
	}
	if ok != vouchers+1 || refused != 1 {
		t.Errorf("index: %d documents, %d refused; want %d and 1", ok, refused, vouchers+1)
	}
	if _, in := files["documents/2025-03-04_A3_faktura_1_2.pdf"]; !in {
		t.Errorf("the second document of one name is missing: %v", keys(files))
	}
	checkJournal(t, files["journal.csv"])

	// Anna opens A5's document; the next pack's index names her.
	doc := docOf(t, e, rows, "A5")
	if err := e.d.Audit(t.Context(), db.AuditEvent{Action: db.AuditDocumentOpen, CompanyID: &e.co.ID, UserID: &e.user.ID, Actor: e.user.Email,
		Detail: "voucher=A5 document=" + doc + " kind=attachment bytes=1"}); err != nil {
		t.Fatal(err)
	}
	again := e.start(p)
	p.Wait()
	for _, r := range readCSV(t, readZip(t, e.pack(again.ID).FilePath)["index.csv"]) {
		if r[0] == "A5" && r[5] != "Anna Lindqvist 2025-04-02 09:00 UTC" {
			t.Errorf("A5's opened_by = %q, want Anna and when", r[5])
		}
	}
}

// docOf is the id of the document of voucher number in the index rows.
func docOf(t *testing.T, e *env, rows [][]string, number string) string {
	t.Helper()
	vs, err := e.d.LookupVouchers(t.Context(), e.co.ID, number, time.Time{}, "")
	if err != nil || len(vs) != 1 {
		t.Fatalf("LookupVouchers(%s) = %v, %v", number, vs, err)
	}
	docs, err := e.d.VoucherDocuments(t.Context(), e.co.ID, vs[0].ID)
	if err != nil || len(docs) == 0 {
		t.Fatalf("VoucherDocuments(%s) = %v, %v", number, docs, err)
	}
	return strconv.FormatInt(docs[0].ID, 10)
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func checkJournal(t *testing.T, b []byte) {
	t.Helper()
	rows := readCSV(t, b)
	if strings.Join(rows[0], ",") != strings.Join(journal.Header(), ",") {
		t.Fatalf("journal header = %v", rows[0])
	}
	var debit, credit float64
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		d, _ := strconv.ParseFloat(r[6], 64)
		c, _ := strconv.ParseFloat(r[7], 64)
		debit, credit = debit+d, credit+c
		seen[r[1]] = true
	}
	if debit == 0 || fmt.Sprintf("%.2f", debit) != fmt.Sprintf("%.2f", credit) {
		t.Errorf("journal debit %.2f, credit %.2f; want equal and not zero", debit, credit)
	}
	if len(seen) != vouchers {
		t.Errorf("journal has %d vouchers, want %d", len(seen), vouchers)
	}
}

func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("open ZIP: %v", err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("CSV: %v (%d rows)", err, len(rows))
	}
	return rows
}

// TestRestartResumes stops the packer in the middle of reading; a new
// one (the next start) continues after the last voucher read.
func TestRestartResumes(t *testing.T) {
	e := newEnv(t)
	e.up.gate, e.up.gateAt = make(chan struct{}), 12
	p := e.packer()
	pk := e.start(p)
	for e.up.reads.Load() < 12 {
		time.Sleep(time.Millisecond)
	}
	p.Close() // the process stops while voucher 12 is being read
	if got := e.pack(pk.ID); got.State != db.PackReading {
		t.Fatalf("after a stop the pack is %s, want reading (unfinished)", got.State)
	}
	e.up.gate = nil
	p2 := e.packer()
	if err := p2.Resume(t.Context()); err != nil {
		t.Fatal(err)
	}
	p2.Wait()
	got := e.pack(pk.ID)
	if got.State != db.PackReady {
		t.Fatalf("resumed pack = %s (%s), want ready", got.State, got.Error)
	}
	// 11 read before the stop, the 12th cut off and read again, then the rest.
	if n := e.up.reads.Load(); n != vouchers+1 {
		t.Errorf("upstream voucher reads = %d, want %d: the resumed pack read again what it had", n, vouchers+1)
	}
	checkJournal(t, readZip(t, got.FilePath)["journal.csv"])
}

// TestExpiryDeletes: the sweeper deletes a pack's file once its time is up.
func TestExpiryDeletes(t *testing.T) {
	e := newEnv(t)
	p := e.packer()
	pk := e.start(p)
	p.Wait()
	pk = e.pack(pk.ID)
	if n, err := p.Sweep(t.Context()); n != 0 || err != nil {
		t.Fatalf("Sweep() before expiry = %d, %v", n, err)
	}
	e.clock.Advance(evidence.DefaultTTL + time.Minute)
	if n, err := p.Sweep(t.Context()); n != 1 || err != nil {
		t.Fatalf("Sweep() after expiry = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(pk.FilePath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("expired pack's file: %v, want gone", err)
	}
	got := e.pack(pk.ID)
	if _, err := p.Open(got); got.State != db.PackExpired || !errors.Is(err, db.ErrNotFound) {
		t.Errorf("expired pack = %s, Open() = %v; want expired, not found", got.State, err)
	}
}

// TestFailingUpstream: an upstream failing mid-period fails the pack with
// its reason and offers no ZIP; trying again continues where it stopped.
func TestFailingUpstream(t *testing.T) {
	e := newEnv(t)
	e.up.failFrom = 8
	p := e.packer()
	pk := e.start(p)
	p.Wait()
	got := e.pack(pk.ID)
	if got.State != db.PackFailed || got.Reason != db.SyncReasonUnavailable || !strings.Contains(got.Error, "A7") {
		t.Fatalf("pack = %s, reason %q, error %q; want failed, unavailable, naming voucher A7", got.State, got.Reason, got.Error)
	}
	if _, err := p.Open(got); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("Open(failed pack) = %v, want not found", err)
	}
	matches, _ := filepath.Glob(filepath.Join(e.dir, "*", "pack.zip*"))
	if len(matches) != 0 {
		t.Errorf("a failed pack left %v on disk", matches)
	}
	e.up.mu.Lock()
	e.up.failFrom = 0
	e.up.mu.Unlock()
	if err := p.Retry(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	if got = e.pack(pk.ID); got.State != db.PackReady {
		t.Fatalf("retried pack = %s (%s)", got.State, got.Error)
	}
	if n := e.up.reads.Load(); n != vouchers+1 {
		t.Errorf("voucher reads = %d, want %d (7 before the failure are not read again)", n, vouchers+1)
	}
}
