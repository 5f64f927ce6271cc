package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/budget"
	"bilag/connectors/eaccounting"
	"bilag/connectors/eaccounting/sandbox"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/doccache"
	"bilag/db/seal"
	"bilag/server"
	"bilag/server/connections"
)

// This file holds the scenarios of issue 18 part B: documents fetched
// ahead of the click (uncached vs prefetched first open), and three
// instances on one PostgreSQL sharing one rate budget.

// instance is one Bilag process of several: its own database handle,
// connector, rate budget, document cache and portal, sharing the database
// and the sandbox with the others.
type instance struct {
	st      *stand // portal, sbURL, db and load only: for the browser helpers
	svc     *connections.Service
	closers []func()
}

type instanceConfig struct {
	DBURL      string
	Keys       *seal.Keyring
	Secret     []byte
	SandboxURL string
	Dir        string
	RateLimit  int
	// Shared: the rate budget is counted in the database (PostgreSQL).
	Shared   bool
	OnGrant  func(key string, p connectors.Priority, company string, waited time.Duration)
	Prefetch connections.PrefetchLimits
}

func startInstance(ctx context.Context, cfg instanceConfig) (in *instance, err error) {
	in = &instance{}
	defer func() {
		if err != nil {
			in.Close()
			in = nil
		}
	}()
	d, err := db.Open(ctx, cfg.DBURL, db.Options{Keys: cfg.Keys})
	if err != nil {
		return in, err
	}
	in.closers = append(in.closers, func() { d.Close() })
	bo := budget.Options{OnGrant: cfg.OnGrant}
	if cfg.Shared {
		bo.Store = d
	}
	conn, err := eaccounting.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: cfg.SandboxURL + "/connect/authorize", TokenURL: cfg.SandboxURL + "/connect/token", RevokeURL: cfg.SandboxURL + "/connect/revocation",
		Issuer: cfg.SandboxURL, APIURL: cfg.SandboxURL + "/v2", RateLimit: cfg.RateLimit, Budget: budget.New(bo),
	}.Open(nil, upstreamClient())
	if err != nil {
		return in, err
	}
	cache, err := doccache.Open(filepath.Join(cfg.Dir, "cache"), 512<<20, cfg.Keys)
	if err != nil {
		return in, err
	}
	svc, err := connections.New(connections.Options{DB: d, Cache: cache, Prefetch: cfg.Prefetch,
		Connectors: map[string]connectors.Connector{conn.Name(): conn}, Countries: map[string][]string{conn.Name(): {"SE", "NO"}}})
	if err != nil {
		return in, err
	}
	in.svc = svc
	pl, err := listen()
	if err != nil {
		svc.Close()
		return in, err
	}
	portal := "http://" + pl.Addr().String()
	base, _ := url.Parse(portal)
	srv, err := server.New(server.Options{DB: d, BaseURL: base, SecretKey: cfg.Secret, Connections: svc, FirmName: "Bänkbyrån AB",
		FormOrigins: []string{cfg.SandboxURL}})
	if err != nil {
		svc.Close()
		pl.Close()
		return in, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(pl)
	in.closers = append(in.closers, func() { hs.Close() }, svc.Close)
	in.st = &stand{portal: portal, sbURL: cfg.SandboxURL, db: d, load: loadClient()}
	return in, nil
}

func (in *instance) Close() {
	for i := len(in.closers) - 1; i >= 0; i-- {
		in.closers[i]()
	}
	in.closers = nil
}

// multiStand is a sandbox and n instances of Bilag on one database, with
// a firm whose analyst and viewer see every company.
type multiStand struct {
	sb      *sandbox.Sandbox
	sbURL   string
	insts   []*instance
	analyst person
	viewer  person
	closers []func()
}

func (m *multiStand) Close() {
	for _, in := range m.insts {
		in.Close()
	}
	for i := len(m.closers) - 1; i >= 0; i-- {
		m.closers[i]()
	}
}

// newMultiStand starts the sandbox (its redirect URI is instance 0's) and
// n instances on dbURL; every instance gets the same secret, as instances
// of one deployment do.
func newMultiStand(ctx context.Context, dir, dbURL string, n int, sbOpts []sandbox.Option, cfg instanceConfig) (m *multiStand, err error) {
	m = &multiStand{}
	defer func() {
		if err != nil {
			m.Close()
			m = nil
		}
	}()
	secret := make([]byte, 32)
	rand.Read(secret)
	keys, err := seal.NewKeyring(secret)
	if err != nil {
		return m, err
	}
	// The sandbox must know instance 0's callback before it starts, and
	// instance 0 must know the sandbox: the sandbox sits behind a handler
	// set once both exist.
	var handler atomic.Pointer[http.Handler]
	sbTS := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }))
	m.closers = append(m.closers, sbTS.Close)
	m.sbURL = sbTS.URL
	cfg.DBURL, cfg.Keys, cfg.Secret, cfg.SandboxURL = dbURL, keys, secret, m.sbURL
	for i := range n {
		c := cfg
		c.Dir = filepath.Join(dir, fmt.Sprintf("instance%d", i))
		in, err := startInstance(ctx, c)
		if err != nil {
			return m, fmt.Errorf("instance %d: %w", i, err)
		}
		m.insts = append(m.insts, in)
	}
	m.sb = sandbox.New(append([]sandbox.Option{
		sandbox.WithClient(sandbox.Client{ID: clientID, Secret: clientSecret, RedirectURIs: []string{m.insts[0].st.portal + "/oauth/eaccounting/callback"}}),
	}, sbOpts...)...)
	var h http.Handler = m.sb
	handler.Store(&h)
	st := m.insts[0].st
	ap, _, err := st.addUser(ctx, "analyst@bench.test", db.RoleAnalyst)
	if err != nil {
		return m, err
	}
	vp, _, err := st.addUser(ctx, "viewer@bench.test", db.RoleViewer)
	if err != nil {
		return m, err
	}
	m.analyst, m.viewer = ap, vp
	return m, nil
}

// addCompany makes co in the portal, with the analyst and viewer as
// members, and connects it through instance 0 as email picking pick at
// the sandbox; it waits for the first sync.
func (m *multiStand) addCompany(ctx context.Context, co *db.Company, email, password, pick string) error {
	st := m.insts[0].st
	if err := st.db.CreateCompany(ctx, co); err != nil {
		return err
	}
	var ids []int64
	for _, p := range []person{m.analyst, m.viewer} {
		u, err := st.db.UserByEmail(ctx, p.email)
		if err != nil {
			return err
		}
		ids = append(ids, u.ID)
	}
	if err := st.db.SetMembers(ctx, co.ID, ids); err != nil {
		return err
	}
	analyst, err := st.login(ctx, m.analyst)
	if err != nil {
		return err
	}
	if err := st.connectAs(ctx, analyst, co, email, password, pick); err != nil {
		return err
	}
	return st.waitSync(ctx, co.ID)
}

// partB is how this file's scenarios are scaled.
type partB struct {
	// Latency of every sandbox answer in the prefetch scenario; Pages
	// list pages viewed each way, PerPage vouchers opened on each.
	Latency        time.Duration
	Pages, PerPage int
	// Quota is the scaled-down limit a minute per endpoint, Duration the
	// measured stretch, Vouchers each large company's size.
	Quota    int
	Duration time.Duration
	Vouchers int
}

var (
	fullB = partB{Latency: 40 * time.Millisecond, Pages: 8, PerPage: 5, Quota: 120, Duration: 3*time.Minute + 10*time.Second, Vouchers: 10_000}
	tinyB = partB{Latency: 5 * time.Millisecond, Pages: 1, PerPage: 2, Quota: 600, Duration: 5 * time.Second, Vouchers: 1500}
)

// partBMarkdown is this file's section of results.md.
func (rep *report) partBMarkdown() string {
	var b strings.Builder
	b.WriteString("## Documents fetched ahead, and three instances on one budget\n\n")
	fmt.Fprintf(&b, "- %s\n- %s\n", rep.Prefetch, rep.Instances)
	return b.String()
}

// --- uncached vs prefetched first open ---

// prefetchResult compares the first open of a document on a voucher a
// person reached from the list, without and with the list's prefetch.
type prefetchResult struct {
	Latency    time.Duration
	Uncached   sample
	Prefetched sample
	// PageFetch is how long a page view's prefetch took, for the time a
	// person must take before clicking to find the documents ready.
	PageFetch sample
}

func (r prefetchResult) p50Ratio() float64 {
	return float64(r.Prefetched.pct(50)) / float64(max(r.Uncached.pct(50), 1))
}

var docLinkRe = regexp.MustCompile(`href="\?doc=(\d+)"`)

// prefetchScenario: one instance (SQLite) against the sandbox with latency
// added to every answer. A viewer opens list pages; on each, the first
// vouchers with documents are opened (the voucher page, then its first
// document, which is what is timed). Pages 1..pages are viewed with the
// company's prefetching off, the next ones with it on, after the page's
// prefetch has finished (PageFetch says how long that took).
func prefetchScenario(ctx context.Context, latency time.Duration, pages, perPage int) (prefetchResult, error) {
	res := prefetchResult{Latency: latency}
	dir, err := os.MkdirTemp("", "bilag-bench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	m, err := newMultiStand(ctx, dir, "sqlite://"+filepath.Join(dir, "bilag.db"), 1,
		[]sandbox.Option{sandbox.WithLatency(latency), sandbox.WithRateLimit(1 << 30), sandbox.WithVoucherCount(fjOrg, 50*2*pages+100)},
		instanceConfig{RateLimit: 1 << 30})
	if err != nil {
		return res, err
	}
	defer m.Close()
	co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "5568123474", Active: true}
	if err := m.addCompany(ctx, co, "anna.lindqvist@example.se", "anna123", fjCompany); err != nil {
		return res, err
	}
	in := m.insts[0]
	viewer, err := in.st.login(ctx, m.viewer)
	if err != nil {
		return res, err
	}
	for page := 1; page <= 2*pages; page++ {
		prefetch := page > pages
		co.NoPrefetch = !prefetch
		if _, err := in.st.db.UpdateCompany(ctx, co, db.AuditEvent{Actor: "bench"}); err != nil {
			return res, err
		}
		start := time.Now()
		if _, err := viewer.want(ctx, http.MethodGet, fmt.Sprintf("/companies/%d/vouchers?page=%d", co.ID, page), nil, http.StatusOK); err != nil {
			return res, err
		}
		if prefetch {
			in.svc.PrefetchWait()
			res.PageFetch.lat = append(res.PageFetch.lat, time.Since(start))
		}
		l, err := in.st.db.Vouchers(ctx, co.ID, db.VoucherFilter{Page: page})
		if err != nil {
			return res, err
		}
		opened := 0
		for _, v := range l.Vouchers {
			if !v.HasDocuments || opened == perPage {
				continue
			}
			pg, err := viewer.want(ctx, http.MethodGet, fmt.Sprintf("/companies/%d/vouchers/%d", co.ID, v.ID), nil, http.StatusOK)
			if err != nil {
				return res, err
			}
			mm := docLinkRe.FindStringSubmatch(pg.body)
			if mm == nil {
				continue
			}
			opened++
			t0 := time.Now()
			n, err := get(ctx, in.st.load, viewer.cookieHeader(), fmt.Sprintf("%s/companies/%d/vouchers/%d/documents/%s", in.st.portal, co.ID, v.ID, mm[1]))
			d := time.Since(t0)
			s := &res.Uncached
			if prefetch {
				s = &res.Prefetched
			}
			if err != nil {
				s.errs++
				if s.first == nil {
					s.first = err
				}
				continue
			}
			s.lat = append(s.lat, d)
			s.bytes += n
		}
	}
	if len(res.Uncached.lat) == 0 || len(res.Prefetched.lat) == 0 {
		return res, errors.New("no voucher with documents on the pages")
	}
	return res, errOf(res.Uncached, res.Prefetched)
}

// --- three instances, one PostgreSQL, one budget ---

// instancesResult is the multi-instance scenario's figures.
type instancesResult struct {
	// Skipped says why the scenario did not run ("" when it ran).
	Skipped   string
	Instances int
	Quota     int // calls a minute per endpoint, the sandbox's and Bilag's
	Took      time.Duration
	// Limited is the number of 429 answers during the run.
	Limited int
	// SyncCalls is GET /vouchers calls the sandbox answered during the
	// run; Use is their share of the quota over Took.
	SyncCalls int
	Use       float64
	// PerCompany is each company's share of the sync calls Bilag's
	// budgets granted, by company id.
	PerCompany map[string]int
	// Opens are a person's document opens during the syncs; Waits the
	// person's calls' waits for their turn in the budget.
	Opens sample
	Waits sample
	// SyncWaits are the sync calls' waits for their turn: near zero when
	// the syncs, not the quota, set the pace.
	SyncWaits sample
	// SyncErrors counts syncs that failed; SyncErr is the first.
	SyncErrors int
	SyncErr    error
}

// pgURL is a fresh database on a PostgreSQL the bench starts itself (as the
// tests do, through dbtest), or "" and why not.
func pgURL() (u, why string) {
	tb := &benchTB{}
	defer func() {
		if r := recover(); r != nil {
			if r != errSkip {
				panic(r)
			}
			u, why = "", tb.skipped+tb.failed
		}
	}()
	return dbtest.PostgresURL(tb), ""
}

var errSkip = errors.New("skip")

// benchTB is the little of testing.TB that dbtest.PostgresURL uses.
type benchTB struct {
	testing.TB
	skipped, failed string
}

func (t *benchTB) Helper()                      {}
func (t *benchTB) Cleanup(func())               {}
func (t *benchTB) Logf(string, ...any)          {}
func (t *benchTB) Skip(args ...any)             { t.skipped = fmt.Sprint(args...); panic(errSkip) }
func (t *benchTB) Fatalf(f string, args ...any) { t.failed = fmt.Sprintf(f, args...); panic(errSkip) }

// instancesScenario: three instances on one PostgreSQL, each syncing one
// of three large companies in full over and over (as after the upstream
// refused the incremental filter), against a sandbox whose quota is
// scaled down to quota calls a minute per endpoint, and Bilag's budget
// set to the same. Meanwhile a person opens a never-opened document every
// few seconds, on each instance in turn, and the viewer on every instance
// views voucher lists, so that prefetching competes with the person for
// the documents' endpoints.
func instancesScenario(ctx context.Context, quota int, dur time.Duration, vouchers int) (instancesResult, error) {
	res := instancesResult{Instances: 3, Quota: quota, PerCompany: map[string]int{}}
	u, why := pgURL()
	if u == "" {
		res.Skipped = why
		return res, nil
	}
	dir, err := os.MkdirTemp("", "bilag-bench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	var mu sync.Mutex
	measuring := atomic.Bool{}
	onGrant := func(key string, p connectors.Priority, company string, waited time.Duration) {
		if !measuring.Load() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case p == connectors.PriorityInteractive:
			res.Waits.lat = append(res.Waits.lat, waited)
		case strings.HasSuffix(key, ":GET /vouchers"):
			res.PerCompany[company]++
			res.SyncWaits.lat = append(res.SyncWaits.lat, waited)
		}
	}
	orgs := []struct{ org, name, country, email, password, pick string }{
		{"556812-3474", "Fjällbacka Snickeri AB", "SE", "anna.lindqvist@example.se", "anna123", "1180442"},
		{"559104-3210", "Norrsken Design AB", "SE", "anna.lindqvist@example.se", "anna123", "1297315"},
		{"915238475", "Nordlys Fiske AS", "NO", "ingrid.nilsen@example.no", "ingrid123", "2204561"},
	}
	sbOpts := []sandbox.Option{sandbox.WithRateLimit(quota)}
	for _, o := range orgs {
		sbOpts = append(sbOpts, sandbox.WithVoucherCount(o.org, vouchers))
	}
	m, err := newMultiStand(ctx, dir, u, res.Instances, sbOpts,
		instanceConfig{RateLimit: quota, Shared: true, OnGrant: onGrant, Prefetch: connections.PrefetchLimits{Documents: 5}})
	if err != nil {
		return res, err
	}
	defer m.Close()
	var cos []*db.Company
	for _, o := range orgs {
		co := &db.Company{Name: o.name, Country: o.country, OrgNumber: strings.ReplaceAll(o.org, "-", ""), Active: true}
		if err := m.addCompany(ctx, co, o.email, o.password, o.pick); err != nil {
			return res, fmt.Errorf("connect %s: %w", o.name, err)
		}
		cos = append(cos, co)
	}
	// Every sync from now on is a full one, as after the upstream refused
	// the incremental filter: three large companies syncing all along.
	raw, err := sql.Open("pgx", u)
	if err != nil {
		return res, err
	}
	_, err = raw.ExecContext(ctx, "UPDATE sync_states SET full_sync_until = $1", time.Now().Add(24*time.Hour).UTC())
	raw.Close()
	if err != nil {
		return res, err
	}
	run, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for i, co := range cos {
		in := m.insts[i]
		wg.Go(func() {
			for run.Err() == nil {
				conn, err := in.svc.Current(run, co.ID)
				if err != nil {
					return
				}
				if _, err := in.svc.Sync(run, conn); err != nil && run.Err() == nil && !errors.Is(err, connections.ErrSyncRunning) {
					mu.Lock()
					res.SyncErrors++
					if res.SyncErr == nil {
						res.SyncErr = fmt.Errorf("sync %s: %w", co.Name, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	// Lists viewed on every instance: prefetching in the background.
	for i, in := range m.insts {
		wg.Go(func() {
			b, err := in.st.login(run, m.viewer)
			if err != nil {
				return
			}
			for page := 1; run.Err() == nil; page++ {
				co := cos[(i+page)%len(cos)]
				b.do(run, http.MethodGet, fmt.Sprintf("/companies/%d/vouchers?page=%d", co.ID, page), nil)
				in.svc.PrefetchWait()
				// A person reads a page a while: on two shared cores,
				// back-to-back views would take the CPU the syncs need.
				select {
				case <-time.After(3 * time.Second):
				case <-run.Done():
				}
			}
		})
	}
	// Let the syncs reach their pace before measuring.
	select {
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	before := m.sb.Stats()
	measuring.Store(true)
	start := time.Now()
	person, err := m.insts[0].st.login(ctx, m.analyst)
	if err != nil {
		return res, err
	}
	personOpens(ctx, m, cos, person, start.Add(dur), &res.Opens)
	if rest := time.Until(start.Add(dur)); rest > 0 {
		select {
		case <-time.After(rest):
		case <-ctx.Done():
		}
	}
	measuring.Store(false)
	after := m.sb.Stats()
	res.Took = time.Since(start)
	stop()
	wg.Wait()
	res.Limited = after.RateLimited - before.RateLimited
	res.SyncCalls = after.APIRequests["GET /v2/vouchers"] - before.APIRequests["GET /v2/vouchers"]
	res.Use = float64(res.SyncCalls) / (float64(quota) * res.Took.Minutes())
	if res.Opens.errs > 0 {
		return res, res.Opens.first
	}
	if res.SyncErr != nil {
		return res, res.SyncErr
	}
	return res, ctx.Err()
}

// personOpens has a person open, every few seconds until end, the first
// document of a voucher never opened, through each instance in turn.
func personOpens(ctx context.Context, m *multiStand, cos []*db.Company, analyst *browser, end time.Time, s *sample) {
	seen := map[int64]bool{}
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
		in := m.insts[i%len(m.insts)]
		co := cos[i%len(cos)]
		// Deep in the list, where the prefetches have not been yet.
		l, err := in.st.db.Vouchers(ctx, co.ID, db.VoucherFilter{Page: 150 + i, HasDocuments: true, PageSize: 10})
		if err != nil || len(l.Vouchers) == 0 {
			continue
		}
		var v *db.Voucher
		for j := range l.Vouchers {
			if !seen[l.Vouchers[j].ID] {
				v = &l.Vouchers[j]
				break
			}
		}
		if v == nil {
			continue
		}
		seen[v.ID] = true
		t0 := time.Now()
		pg, err := analyst.do(ctx, http.MethodGet, in.st.portal+fmt.Sprintf("/companies/%d/vouchers/%d", co.ID, v.ID), nil)
		if err == nil && pg.status == http.StatusOK {
			if mm := docLinkRe.FindStringSubmatch(pg.body); mm != nil {
				_, err = get(ctx, in.st.load, analyst.cookieHeader(), fmt.Sprintf("%s/companies/%d/vouchers/%d/documents/%s", in.st.portal, co.ID, v.ID, mm[1]))
			}
		} else if err == nil {
			err = fmt.Errorf("voucher page: %d", pg.status)
		}
		if err != nil {
			s.errs++
			if s.first == nil {
				s.first = err
			}
		} else {
			s.lat = append(s.lat, time.Since(t0))
		}
		select {
		case <-time.After(3 * time.Second):
		case <-ctx.Done():
		}
	}
}

// verdict says met / missed for a goal.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// summary lines for the log and for the lead's results table.
func (r prefetchResult) String() string {
	return fmt.Sprintf("first open from the list, +%v: uncached p50 %v (n=%d), prefetched p50 %v (n=%d), ratio %.2f (goal ≤ 0.2: %s); a page's prefetch took p50 %v",
		r.Latency, r.Uncached.pct(50).Round(100*time.Microsecond), len(r.Uncached.lat), r.Prefetched.pct(50).Round(100*time.Microsecond),
		len(r.Prefetched.lat), r.p50Ratio(), verdict(r.p50Ratio() <= 0.2), r.PageFetch.pct(50).Round(time.Millisecond))
}

func (r instancesResult) String() string {
	if r.Skipped != "" {
		return "three instances on one PostgreSQL: skipped (" + r.Skipped + ")"
	}
	var shares []string
	for co, n := range r.PerCompany {
		shares = append(shares, fmt.Sprintf("company %s %d", co, n))
	}
	slices.Sort(shares)
	ok := r.Limited == 0 && r.Use >= 0.85 && len(r.Waits.lat) > 0 && r.Waits.pct(100) < time.Second
	return fmt.Sprintf("%d instances, quota %d/min per endpoint, %v: %d × 429, GET /vouchers %d calls = %.1f %% of the quota; sync calls granted: %s; "+
		"sync calls' budget wait p50 %v; person's opens n=%d p50 %v max %v; their calls' budget wait n=%d p50 %v max %v (goals: no 429, use ≥ 85 %%, wait < 1 s: %s)",
		r.Instances, r.Quota, r.Took.Round(time.Second), r.Limited, r.SyncCalls, r.Use*100, strings.Join(shares, ", "), r.SyncWaits.pct(50).Round(time.Millisecond),
		len(r.Opens.lat), r.Opens.pct(50).Round(time.Millisecond), r.Opens.pct(100).Round(time.Millisecond),
		len(r.Waits.lat), r.Waits.pct(50).Round(time.Millisecond), r.Waits.pct(100).Round(time.Millisecond), verdict(ok))
}
