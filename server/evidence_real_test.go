package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/server"
	"bilag/server/evidence"
	"bilag/server/evidence/saft"
	"bilag/server/evidence/sie"
)

// The evidence pack end to end with the real standard-file writers: a
// company connected through the consent flow to the eAccounting sandbox,
// synced, packed through the connections service; the ZIP read back by
// what the writers did not write (sie.Parse, xmllint with Skatteetaten's
// XSD, the sandbox's own vouchers summed here).

// upstreamSums are the sandbox's voucher rows of a period, summed from
// its API with the connection's token: no Bilag code in between.
type upstreamSums struct {
	vouchers      int
	debit, credit int64
	// movement is debit minus credit per account.
	movement map[string]int64
}

func (e *env) upstreamSums(t *testing.T, conn *db.Connection, from, to time.Time) upstreamSums {
	t.Helper()
	g, err := e.db.Grant(t.Context(), conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(g.Data, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("the grant holds no access token (%v)", err)
	}
	s := upstreamSums{movement: map[string]int64{}}
	for page := 1; ; page++ {
		var resp struct {
			Meta struct{ TotalNumberOfPages int }
			Data []struct {
				VoucherDate string
				Rows        []struct {
					AccountNumber             int64
					DebitAmount, CreditAmount float64
				}
			}
		}
		q := url.Values{"$page": {strconv.Itoa(page)}, "$pagesize": {"1000"}}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.sbURL+"/v2/vouchers?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		res, err := e.sbHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(res.Body).Decode(&resp)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /v2/vouchers: %d %v", res.StatusCode, err)
		}
		for _, v := range resp.Data {
			d, err := time.Parse(time.DateOnly, v.VoucherDate[:10])
			if err != nil {
				t.Fatal(err)
			}
			if d.Before(from) || d.After(to) {
				continue
			}
			s.vouchers++
			for _, r := range v.Rows {
				dr, cr := int64(math.Round(r.DebitAmount*100)), int64(math.Round(r.CreditAmount*100))
				s.debit, s.credit = s.debit+dr, s.credit+cr
				s.movement[strconv.FormatInt(r.AccountNumber, 10)] += dr - cr
			}
		}
		if page >= resp.Meta.TotalNumberOfPages {
			return s
		}
	}
}

// realPack builds a pack of period with the real writers and returns the
// ZIP's files by name.
func (e *env) realPack(t *testing.T, co *db.Company, period evidence.Period) map[string][]byte {
	t.Helper()
	p, err := evidence.New(evidence.Options{DB: e.db, Upstream: evidence.ServiceUpstream{Service: e.svc}, Dir: t.TempDir(), Now: e.clock.Now,
		Logger: e.logger, Software: "Bilag 1.0.0", Writers: evidence.Writers{SIE: sie.Write, SAFT: saft.Write}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	pk, err := p.Start(t.Context(), co.ID, period, db.AuditEvent{UserID: &e.analyst.ID, Actor: e.analyst.Name})
	if err != nil {
		t.Fatal(err)
	}
	p.Wait()
	if pk, err = e.db.Pack(t.Context(), co.ID, pk.ID); err != nil {
		t.Fatal(err)
	}
	if pk.State != db.PackReady {
		t.Fatalf("pack %s: %s (%s)", pk.State, pk.Reason, pk.Error)
	}
	zr, err := zip.OpenReader(pk.FilePath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
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
		files[f.Name] = b
	}
	checkIndex(t, files)
	return files
}

// checkIndex: every document in the ZIP is in index.csv with its size and
// SHA-256, and every "ok" row of the index is in the ZIP.
func checkIndex(t *testing.T, files map[string][]byte) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(files["index.csv"])).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("index.csv: %d rows, %v", len(rows), err)
	}
	listed := map[string]bool{}
	for _, r := range rows[1:] {
		if r[6] != "ok" {
			continue
		}
		listed[r[2]] = true
		b, ok := files[r[2]]
		sum := sha256.Sum256(b)
		if !ok || hex.EncodeToString(sum[:]) != r[4] || strconv.Itoa(len(b)) != r[3] {
			t.Errorf("index row %v: in ZIP %v, %d bytes, sha256 %x", r, ok, len(b), sum)
		}
	}
	docs := 0
	for name := range files {
		if strings.HasPrefix(name, "documents/") {
			docs++
			if !listed[name] {
				t.Errorf("%s is in the ZIP but not in index.csv", name)
			}
		}
	}
	if docs == 0 {
		t.Error("the pack holds no documents; the sandbox's vouchers have attachments")
	}
}

func TestEvidencePackSIEAgainstTheSandbox(t *testing.T) {
	e := newEnv(t)
	conn := e.connectFJ(e.loggedIn(e.analyst))
	e.waitSync(conn)
	// A mid-year quarter of the second fiscal year: #IB is the year's
	// opening, #UB and #RES the balances when the quarter ends.
	from, to := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	files := e.realPack(t, e.fj, evidence.Period{Kind: evidence.PeriodQuarter, From: from, To: to})
	f, err := sie.Parse(bytes.NewReader(files["sie4e.se"]))
	if err != nil {
		t.Fatalf("sie.Parse(sie4e.se) = %v", err)
	}
	up := e.upstreamSums(t, conn, from, to)
	if len(f.Vouchers) != up.vouchers || up.vouchers == 0 {
		t.Errorf("#VER: %d, the sandbox has %d in the quarter", len(f.Vouchers), up.vouchers)
	}
	var debit, credit int64
	movement := map[string]int64{}
	for _, v := range f.Vouchers {
		if v.Sum() != 0 {
			t.Errorf("#VER %s %s does not balance: %d", v.Series, v.Number, v.Sum())
		}
		for _, tr := range v.Trans {
			if tr.Amount > 0 {
				debit += tr.Amount
			} else {
				credit -= tr.Amount
			}
			movement[tr.Account] += tr.Amount
		}
	}
	if debit != credit || debit != up.debit || credit != up.credit {
		t.Errorf("#TRANS debit %d, credit %d; the sandbox's rows %d and %d", debit, credit, up.debit, up.credit)
	}
	if f.OrgNumber != "556812-3474" || f.Years[0] != [2]time.Time{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)} {
		t.Errorf("#ORGNR %q, #RAR 0 %v; want the firm's record and the fiscal year 2025", f.OrgNumber, f.Years[0])
	}
	// The year's opening is the sandbox's balance the day before the year;
	// each balance account's #UB is where the quarter ends.
	before := e.upstreamSums(t, conn, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), from.AddDate(0, 0, -1))
	yearStart := e.upstreamSums(t, conn, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC))
	ytd := e.upstreamSums(t, conn, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), to)
	for num, a := range f.Accounts {
		if a.Type == "I" || a.Type == "K" {
			if a.RES[0] != ytd.movement[num] {
				t.Errorf("#RES 0 %s = %d, want the year's result to the quarter's end, %d", num, a.RES[0], ytd.movement[num])
			}
			continue
		}
		if a.IB[0] != yearStart.movement[num] {
			t.Errorf("#IB 0 %s = %d, want the balance when 2025 opens, %d", num, a.IB[0], yearStart.movement[num])
		}
		if want := before.movement[num] + up.movement[num]; a.UB[0] != want {
			t.Errorf("#UB 0 %s = %d, want the balance when the quarter ends, %d", num, a.UB[0], want)
		}
		if up.movement[num] != movement[num] {
			t.Errorf("movement of %s = %d, the sandbox's %d", num, movement[num], up.movement[num])
		}
	}
}

func TestEvidencePackSAFTAgainstTheSandbox(t *testing.T) {
	e := newEnv(t)
	co := &db.Company{Name: "Nordlys Fiske AS", Country: "NO", OrgNumber: "915238475", Active: true}
	if err := e.db.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMembers(t.Context(), co.ID, []int64{e.analyst.ID}); err != nil {
		t.Fatal(err)
	}
	analyst := e.loggedIn(e.analyst)
	acc := e.browser()
	res := acc.finish(acc.consent(analyst.createLink(co, ""), approval{email: "ingrid.nilsen@example.no", password: "ingrid123"}).Location())
	wantStatus(t, "result page", res, http.StatusOK)
	conn, err := e.db.Connection(t.Context(), co.ID, "eaccounting")
	if err != nil {
		t.Fatal(err)
	}
	e.waitSync(conn)
	from, to := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)
	files := e.realPack(t, co, evidence.Period{Kind: evidence.PeriodMonth, From: from, To: to})
	doc := files["saf-t.xml"]
	if doc == nil {
		t.Fatalf("the pack of a Norwegian company has no saf-t.xml: %v", fileNames(files))
	}
	if bin, err := exec.LookPath("xmllint"); err == nil {
		path := filepath.Join(t.TempDir(), "saf-t.xml")
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		xsd, _ := filepath.Glob("evidence/saft/testdata/*.xsd")
		if out, err := exec.Command(bin, "--noout", "--schema", xsd[0], path).CombinedOutput(); err != nil {
			t.Errorf("xmllint rejects the pack's SAF-T file: %v\n%s", err, out)
		}
	} else {
		t.Log("xmllint not installed: the schema check is skipped")
	}
	var x struct {
		Header struct {
			Company struct{ RegistrationNumber string }
		}
		Entries struct {
			NumberOfEntries         int
			TotalDebit, TotalCredit float64
			Journal                 []struct {
				Transaction []struct {
					Line []struct {
						DebitAmount, CreditAmount struct{ Amount float64 }
					}
				}
			}
		} `xml:"GeneralLedgerEntries"`
	}
	if err := xml.Unmarshal(doc, &x); err != nil {
		t.Fatal(err)
	}
	up := e.upstreamSums(t, conn, from, to)
	cents := func(f float64) int64 { return int64(math.Round(f * 100)) }
	var debit, credit int64
	var n int
	for _, j := range x.Entries.Journal {
		for _, tr := range j.Transaction {
			n++
			var d, c int64
			for _, l := range tr.Line {
				d, c = d+cents(l.DebitAmount.Amount), c+cents(l.CreditAmount.Amount)
			}
			if d != c {
				t.Errorf("a Transaction does not balance: debit %d, credit %d", d, c)
			}
			debit, credit = debit+d, credit+c
		}
	}
	if x.Header.Company.RegistrationNumber != "915238475" {
		t.Errorf("RegistrationNumber = %q, want the firm's record 915238475", x.Header.Company.RegistrationNumber)
	}
	if n != up.vouchers || x.Entries.NumberOfEntries != up.vouchers || up.vouchers == 0 {
		t.Errorf("%d Transactions, NumberOfEntries %d; the sandbox has %d vouchers in March", n, x.Entries.NumberOfEntries, up.vouchers)
	}
	if debit != up.debit || credit != up.credit || cents(x.Entries.TotalDebit) != up.debit || cents(x.Entries.TotalCredit) != up.credit {
		t.Errorf("lines debit %d credit %d, stated %v %v; the sandbox's rows %d and %d", debit, credit, x.Entries.TotalDebit, x.Entries.TotalCredit, up.debit, up.credit)
	}
}

func fileNames(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// laterUpstream is the connections service of an env built after the
// server's options are (newEnvWith builds the service after tweak).
type laterUpstream struct{ e **env }

func (l laterUpstream) LiveVoucher(ctx context.Context, companyID int64, v *db.Voucher) ([]connectors.VoucherRow, []db.VoucherDocument, error) {
	return evidence.ServiceUpstream{Service: (*l.e).svc}.LiveVoucher(ctx, companyID, v)
}

func (l laterUpstream) OpenDocument(ctx context.Context, companyID int64, doc *db.VoucherDocument) (evidence.Document, error) {
	return evidence.ServiceUpstream{Service: (*l.e).svc}.OpenDocument(ctx, companyID, doc)
}

func (l laterUpstream) Ledger(ctx context.Context, companyID int64, from, to time.Time) (connectors.Ledger, error) {
	return evidence.ServiceUpstream{Service: (*l.e).svc}.Ledger(ctx, companyID, from, to)
}

// TestEvidenceNeedsTheOrgNumber: a Norwegian company whose record has no
// organisation number gets no SAF-T pack: the form says why, and nothing
// is queued or read.
func TestEvidenceNeedsTheOrgNumber(t *testing.T) {
	var e *env
	e = newEnvWith(t, "", func(o *server.Options) {
		p, err := evidence.New(evidence.Options{DB: o.DB, Upstream: laterUpstream{&e}, Dir: t.TempDir(), Now: o.Now,
			Writers: evidence.Writers{SIE: sie.Write, SAFT: saft.Write}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		o.Packs = p
	})
	co := &db.Company{Name: "Nordlys Fiske AS", Country: "NO", Active: true}
	if err := e.db.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMembers(t.Context(), co.ID, []int64{e.analyst.ID}); err != nil {
		t.Fatal(err)
	}
	r := e.loggedIn(e.analyst).post("/companies/"+itoa(co.ID)+"/evidence", url.Values{"kind": {"month"}, "month": {"2025-03"}})
	wantStatus(t, "POST evidence without an organisation number", r, http.StatusUnprocessableEntity)
	wantText(t, "the form", r, "needs its organisation number")
	if ps, err := e.db.Packs(t.Context(), co.ID, 10); err != nil || len(ps) != 0 {
		t.Errorf("Packs = %d, %v; want none", len(ps), err)
	}
}
