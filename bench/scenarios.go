package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
	"bilag/db"
)

// sizes is how a run is scaled: the full run, and the tiny one the tests
// use so the bench cannot rot.
type sizes struct {
	Files       []int64
	Concurrency []int
	Latencies   []time.Duration
	// Requests per side (Bilag, bare) of one cell.
	Requests func(size int64, conc int, latency time.Duration) int
	Rounds   int
	// Cached is the number of second opens per size.
	Cached int
	// Memory scenario.
	BigFile      int64
	ParallelFile int64
	Parallel     int
	// Refresh storm.
	Storm int
	// Index.
	Vouchers      int
	IndexRequests int
	IndexBudget   time.Duration
	// Consent.
	ConsentFlows int
	// ConsentConc is 1: the flows are of one company, and a connection
	// closes the company\'s other open links, so concurrent flows would
	// revoke each other\'s links.
	ConsentConc int
	// VersionRuns is how many times `bilag version` is started.
	VersionRuns int
	// SendInvoices are sent to e-conomic through Bilag, and again by the
	// connector alone, each call answered after SendLatency (issue 26).
	SendInvoices int
	SendLatency  time.Duration
	// PackVouchers are packed into one evidence pack, each upstream call
	// answered after PackLatency (issue 29).
	PackVouchers int
	PackLatency  time.Duration
	// Only, when set, names the scenarios to run.
	Only map[string]bool
}

func (s sizes) want(name string) bool { return s.Only == nil || s.Only[name] }

var full = sizes{
	Files:       []int64{10 << 10, 1 << 20, 20 << 20},
	Concurrency: []int{1, 32},
	Latencies:   []time.Duration{0, 40 * time.Millisecond},
	Requests: func(size int64, conc int, lat time.Duration) int {
		type k struct {
			size int64
			conc int
			slow bool
		}
		return map[k]int{
			{10 << 10, 1, false}: 400, {10 << 10, 32, false}: 1600,
			{1 << 20, 1, false}: 160, {1 << 20, 32, false}: 480,
			{20 << 20, 1, false}: 20, {20 << 20, 32, false}: 96,
			{10 << 10, 1, true}: 60, {10 << 10, 32, true}: 640,
			{1 << 20, 1, true}: 40, {1 << 20, 32, true}: 320,
			{20 << 20, 1, true}: 12, {20 << 20, 32, true}: 64,
		}[k{size, conc, lat > 0}]
	},
	Rounds:        4,
	Cached:        40,
	BigFile:       200 << 20,
	ParallelFile:  20 << 20,
	Parallel:      32,
	Storm:         200,
	Vouchers:      1_000_000,
	IndexRequests: 200,
	IndexBudget:   15 * time.Second,
	ConsentFlows:  48,
	ConsentConc:   1,
	VersionRuns:   20,
	SendInvoices:  1000,
	SendLatency:   40 * time.Millisecond,
	PackVouchers:  1000,
	PackLatency:   40 * time.Millisecond,
}

var tiny = sizes{
	Files:         []int64{10 << 10, 256 << 10},
	Concurrency:   []int{1, 4},
	Latencies:     []time.Duration{0, 5 * time.Millisecond},
	Requests:      func(int64, int, time.Duration) int { return 4 },
	Rounds:        2,
	Cached:        4,
	BigFile:       4 << 20,
	ParallelFile:  256 << 10,
	Parallel:      4,
	Storm:         10,
	Vouchers:      1000,
	IndexRequests: 5,
	IndexBudget:   5 * time.Second,
	ConsentFlows:  2,
	ConsentConc:   1,
	// No `bilag version`: building the binary from a test would compile
	// SQLite once more under the test's flags.
	VersionRuns:  0,
	SendInvoices: 6,
	SendLatency:  40 * time.Millisecond,
	PackVouchers: 12,
	PackLatency:  2 * time.Millisecond,
}

// openRow compares Bilag's document route with the bare handler.
type openRow struct {
	Latency time.Duration
	Size    int64
	Conc    int
	Cached  bool
	Bilag   sample
	Bare    sample
}

func (r openRow) p50Ratio() float64 {
	return float64(r.Bilag.pct(50)) / float64(max(r.Bare.pct(50), 1))
}
func (r openRow) p99Ratio() float64 {
	return float64(r.Bilag.pct(99)) / float64(max(r.Bare.pct(99), 1))
}
func (r openRow) rpsRatio() float64 { return r.Bilag.rps() / max(r.Bare.rps(), 1e-9) }

func (st *stand) docURLs(docs []doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = st.portal + d.Path
	}
	return out
}

func (st *stand) bareURLs(d doc, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = st.bare + "/?id=" + url.QueryEscape(d.ExternalID)
	}
	return out
}

// openUncached measures first opens: every Bilag request is a document
// never opened before, so it goes upstream and into the cache. Bilag and
// bare take turns in rounds (ABBA), so a noisy neighbour hurts both alike.
func openUncached(ctx context.Context, st *stand, size int64, conc, n, rounds int) (openRow, error) {
	row := openRow{Latency: st.cfg.Latency, Size: size, Conc: conc}
	docs, err := st.addDocs(ctx, n, size)
	if err != nil {
		return row, err
	}
	bare, err := st.addDocs(ctx, 1, size)
	if err != nil {
		return row, err
	}
	// Warm both paths (connections, the first grant read).
	warm, err := st.addDocs(ctx, 1, size)
	if err != nil {
		return row, err
	}
	cookie := st.viewer.cookieHeader()
	fire(ctx, st.load, cookie, st.docURLs(warm), 1, size)
	fire(ctx, st.load, "", st.bareURLs(bare[0], 1), 1, size)
	per := max(1, n/rounds)
	for r := 0; r*per < n; r++ {
		part := docs[r*per : min(n, (r+1)*per)]
		b := func() { row.Bilag.add(fire(ctx, st.load, cookie, st.docURLs(part), conc, size)) }
		a := func() { row.Bare.add(fire(ctx, st.load, "", st.bareURLs(bare[0], len(part)), conc, size)) }
		if r%2 == 0 {
			b()
			a()
		} else {
			a()
			b()
		}
	}
	return row, errOf(row.Bilag, row.Bare)
}

// openCached measures second opens, served from the encrypted cache,
// against the bare upstream cost.
func openCached(ctx context.Context, st *stand, size int64, n, rounds int) (openRow, error) {
	row := openRow{Latency: st.cfg.Latency, Size: size, Conc: 1, Cached: true}
	docs, err := st.addDocs(ctx, n, size)
	if err != nil {
		return row, err
	}
	bare, err := st.addDocs(ctx, 1, size)
	if err != nil {
		return row, err
	}
	cookie := st.viewer.cookieHeader()
	if s := fire(ctx, st.load, cookie, st.docURLs(docs), 4, size); s.errs > 0 {
		return row, s.first
	}
	fire(ctx, st.load, "", st.bareURLs(bare[0], 1), 1, size)
	per := max(1, n/rounds)
	for r := 0; r*per < n; r++ {
		part := docs[r*per : min(n, (r+1)*per)]
		b := func() { row.Bilag.add(fire(ctx, st.load, cookie, st.docURLs(part), 1, size)) }
		a := func() { row.Bare.add(fire(ctx, st.load, "", st.bareURLs(bare[0], len(part)), 1, size)) }
		if r%2 == 0 {
			b()
			a()
		} else {
			a()
			b()
		}
	}
	return row, errOf(row.Bilag, row.Bare)
}

func errOf(ss ...sample) error {
	for _, s := range ss {
		if s.errs > 0 {
			return fmt.Errorf("%d request(s) failed, first: %w", s.errs, s.first)
		}
	}
	return nil
}

// memoryResult is the heap growth of the two memory scenarios.
type memoryResult struct {
	BigFile, ParallelFile int64
	Parallel              int
	BigGrowth, ParGrowth  int64
	BigWall               time.Duration
}

func memory(ctx context.Context, st *stand, s sizes) (memoryResult, error) {
	res := memoryResult{BigFile: s.BigFile, ParallelFile: s.ParallelFile, Parallel: s.Parallel}
	big, err := st.addDocs(ctx, 1, s.BigFile)
	if err != nil {
		return res, err
	}
	par, err := st.addDocs(ctx, s.Parallel, s.ParallelFile)
	if err != nil {
		return res, err
	}
	cookie := st.viewer.cookieHeader()
	res.BigGrowth, err = heapPeak(func() error {
		smp := fire(ctx, st.load, cookie, st.docURLs(big), 1, s.BigFile)
		res.BigWall = smp.wall
		return errOf(smp)
	})
	if err != nil {
		return res, err
	}
	res.ParGrowth, err = heapPeak(func() error {
		return errOf(fire(ctx, st.load, cookie, st.docURLs(par), s.Parallel, s.ParallelFile))
	})
	return res, err
}

// stormResult: n requests at once at an expired token.
type stormResult struct {
	N                   int
	Refreshes           int
	Base, Storm         sample
	AddedP50, AddedP99  time.Duration
	TokenRequestsDuring int
}

func storm(ctx context.Context, st *stand, n int) (stormResult, error) {
	res := stormResult{N: n}
	base, err := st.addDocs(ctx, n, 10<<10)
	if err != nil {
		return res, err
	}
	during, err := st.addDocs(ctx, n, 10<<10)
	if err != nil {
		return res, err
	}
	warm, err := st.addDocs(ctx, n, 10<<10)
	if err != nil {
		return res, err
	}
	cookie := st.viewer.cookieHeader()
	// A first burst opens the connections; the baseline is the second.
	if err := errOf(fire(ctx, st.load, cookie, st.docURLs(warm), n, 10<<10)); err != nil {
		return res, err
	}
	res.Base = fire(ctx, st.load, cookie, st.docURLs(base), n, 10<<10)
	if err := errOf(res.Base); err != nil {
		return res, err
	}
	// The access token lives an hour: ninety minutes on, every request
	// finds it expired, and the viewer's session (2 h idle) still holds.
	st.clock.Advance(90 * time.Minute)
	before := st.sb.Stats()
	res.Storm = fire(ctx, st.load, cookie, st.docURLs(during), n, 10<<10)
	after := st.sb.Stats()
	res.Refreshes = after.Refreshes - before.Refreshes
	res.TokenRequestsDuring = after.TokenRequests["refresh_token"] - before.TokenRequests["refresh_token"]
	res.AddedP50 = res.Storm.pct(50) - res.Base.pct(50)
	res.AddedP99 = res.Storm.pct(99) - res.Base.pct(99)
	if err := errOf(res.Storm); err != nil {
		return res, err
	}
	return res, st.useCurrentToken(ctx)
}

// indexRow is one kind of index query.
type indexRow struct {
	Name   string
	Target time.Duration
	S      sample
}

type indexResult struct {
	Vouchers         int
	UpsertPerSec     float64
	BulkInsert       time.Duration
	Rows             []indexRow
	CompanyID        int64
	SampledUpsertRow int
}

// index fills a company with n vouchers and measures the list page, its
// filters and a lookup by number through the portal.
func index(ctx context.Context, st *stand, s sizes) (indexResult, error) {
	res := indexResult{Vouchers: s.Vouchers}
	co := &db.Company{Name: "Storbolaget AB", Country: "SE", OrgNumber: "5560160680", Active: true}
	if err := st.db.CreateCompany(ctx, co); err != nil {
		return res, err
	}
	res.CompanyID = co.ID
	viewer, err := st.db.UserByEmail(ctx, "viewer@bench.test")
	if err != nil {
		return res, err
	}
	if err := st.db.SetMembers(ctx, co.ID, []int64{viewer.ID}); err != nil {
		return res, err
	}
	var fys []db.FiscalYear
	for y := 2016; y < 2026; y++ {
		fys = append(fys, db.FiscalYear{CompanyID: co.ID, ExternalID: fmt.Sprintf("fy-%d", y),
			StartDate: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)})
	}
	if err := st.db.UpsertFiscalYears(ctx, fys); err != nil {
		return res, err
	}
	// The index's own writer first, to say what a sync's insert costs.
	viaUpsert := min(s.Vouchers, 20_000)
	t0 := time.Now()
	for i := 0; i < viaUpsert; i += 1000 {
		batch := make([]db.Voucher, 0, 1000)
		for j := i; j < min(viaUpsert, i+1000); j++ {
			batch = append(batch, benchVoucher(co.ID, j, s.Vouchers))
		}
		if err := st.db.UpsertVouchers(ctx, batch); err != nil {
			return res, err
		}
	}
	res.UpsertPerSec = float64(viaUpsert) / time.Since(t0).Seconds()
	res.SampledUpsertRow = viaUpsert
	t0 = time.Now()
	if err := bulkInsert(ctx, st.dbURL, co.ID, viaUpsert, s.Vouchers); err != nil {
		return res, err
	}
	res.BulkInsert = time.Since(t0)

	cookie := st.viewer.cookieHeader()
	base := fmt.Sprintf("%s/companies/%d/vouchers", st.portal, co.ID)
	mid := benchVoucher(co.ID, s.Vouchers/2, s.Vouchers)
	queries := []struct {
		name   string
		target time.Duration
		url    func(i int) string
	}{
		{"list, page 1", 20 * time.Millisecond, func(int) string { return base }},
		{"list, page 100", 20 * time.Millisecond, func(int) string { return base + "?page=100" }},
		{"filter: fiscal year", 20 * time.Millisecond, func(i int) string { return base + "?fiscal_year=fy-" + strconv.Itoa(2016+i%10) }},
		{"filter: one month", 20 * time.Millisecond, func(i int) string {
			d := time.Date(2016+i%10, time.Month(1+i%12), 1, 0, 0, 0, 0, time.UTC)
			return base + "?from=" + d.Format("2006-01-02") + "&to=" + d.AddDate(0, 1, -1).Format("2006-01-02")
		}},
		{"filter: number", 20 * time.Millisecond, func(i int) string {
			return base + "?number=" + url.QueryEscape(benchVoucher(co.ID, (i*7919)%s.Vouchers, s.Vouchers).Number)
		}},
		{"filter: text", textTarget, func(i int) string { return base + "?text=" + url.QueryEscape(mid.Text[:12]) }},
		{"lookup by number", 5 * time.Millisecond, func(i int) string {
			v := benchVoucher(co.ID, (i*7919)%s.Vouchers, s.Vouchers)
			return base + "/lookup?number=" + url.QueryEscape(v.Number)
		}},
	}
	for _, q := range queries {
		row := indexRow{Name: q.name, Target: q.target}
		deadline := time.Now().Add(s.IndexBudget)
		for i := 0; i < s.IndexRequests && time.Now().Before(deadline); i++ {
			t := time.Now()
			err := getStatus(ctx, st, cookie, q.url(i))
			if err != nil {
				return res, fmt.Errorf("%s: %w", q.name, err)
			}
			row.S.lat = append(row.S.lat, time.Since(t))
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// getStatus reads a page; a lookup answers 303 to the voucher.
func getStatus(ctx context.Context, st *stand, cookie, u string) error {
	_, err := get(ctx, st.load, cookie, u)
	if err != nil && strings.Contains(err.Error(), "= 303") {
		return nil
	}
	return err
}

var words = []string{"Hyra", "Material", "Frakt", "Konsult", "Kontorsmaterial", "Reparation", "Programvara", "Resor", "Telefoni", "Försäkring", "Bränsle", "Representation"}

var kinds = connectors.Kinds()

// benchVoucher is the i-th of n generated vouchers: five series, ten
// years, text drawn from a few words.
func benchVoucher(companyID int64, i, n int) db.Voucher {
	series := string(rune('A' + i%5))
	day := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*3650/max(n, 1))
	return db.Voucher{
		CompanyID: companyID, ConnectionID: companyID, Ref: fmt.Sprintf("v-%08d", i), FiscalYearID: fmt.Sprintf("fy-%d", day.Year()),
		Number: fmt.Sprintf("%s %d", series, i/5+1), Series: series, Date: day,
		Text: fmt.Sprintf("%s %s leverantör %d", words[i%len(words)], words[(i/7)%len(words)], i%997), Amount: int64(i%100000) * 100,
		Kind: string(kinds[i%len(kinds)]), UpstreamType: "Manuell", HasDocuments: i%3 == 0, ModifiedAt: day,
	}
}

// bulkInsert writes vouchers [from, to) with multi-row INSERTs in one
// transaction: the index as a sync would leave it, in seconds rather than
// the minutes the ORM's upsert would take.
func bulkInsert(ctx context.Context, dbURL string, companyID int64, from, to int) error {
	if from >= to {
		return nil
	}
	driver, dsn := "pgx", dbURL
	if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		driver, dsn = "sqlite3", "file:"+path+"?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL"
	}
	sdb, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer sdb.Close()
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const cols = "company_id, connection_id, ref, fiscal_year_id, number, number_key, series, date, text, text_key, amount, kind, upstream_type, has_documents, modified_at"
	const per = 500
	values := func(k int) string {
		if driver == "sqlite3" {
			return strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),", k), ",")
		}
		var b strings.Builder
		for r := range k {
			if r > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := range 15 {
				if c > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "$%d", r*15+c+1)
			}
			b.WriteByte(')')
		}
		return b.String()
	}
	stmts := map[int]*sql.Stmt{}
	prep := func(k int) (*sql.Stmt, error) {
		if s, ok := stmts[k]; ok {
			return s, nil
		}
		s, err := tx.PrepareContext(ctx, "INSERT INTO vouchers ("+cols+") VALUES "+values(k))
		stmts[k] = s
		return s, err
	}
	args := make([]any, 0, per*15)
	for i := from; i < to; i += per {
		k := min(per, to-i)
		args = args[:0]
		for j := i; j < i+k; j++ {
			v := benchVoucher(companyID, j, to)
			args = append(args, v.CompanyID, v.ConnectionID, v.Ref, v.FiscalYearID, v.Number, db.NumberKey(v.Number), v.Series, v.Date, v.Text,
				strings.ToLower(v.Text), v.Amount, v.Kind, v.UpstreamType, v.HasDocuments, v.ModifiedAt)
		}
		s, err := prep(k)
		if err != nil {
			return err
		}
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if driver == "pgx" {
		// What autovacuum does within a minute of a load this size: the
		// planner needs statistics of the new rows, and the trigram
		// index's pending entries belong in the index proper.
		_, err = sdb.ExecContext(ctx, "VACUUM ANALYZE vouchers")
	}
	return err
}

// consentResult is link → approval → connected flows per second.
type consentResult struct {
	Flows int
	Conc  int
	S     sample
}

func consent(ctx context.Context, st *stand, flows, conc int) (consentResult, error) {
	res := consentResult{Flows: flows, Conc: conc}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
		next  = make(chan int, flows)
	)
	for i := range flows {
		next <- i
	}
	close(next)
	// A browser is one person's: each worker logs its analyst in.
	analysts := make([]*browser, conc)
	for i := range analysts {
		var err error
		if analysts[i], err = st.login(ctx, st.analystP); err != nil {
			return res, err
		}
	}
	start := time.Now()
	for _, analyst := range analysts {
		wg.Go(func() {
			for range next {
				t := time.Now()
				err := st.connect(ctx, analyst, st.company)
				mu.Lock()
				if err != nil {
					res.S.errs++
					if first == nil {
						first = err
					}
				} else {
					res.S.lat = append(res.S.lat, time.Since(t))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.S.wall = time.Since(start)
	res.S.first = first
	// Let the syncs that connecting started finish before the stand closes.
	_ = st.waitSync(ctx, st.company.ID)
	return res, errOf(res.S)
}
