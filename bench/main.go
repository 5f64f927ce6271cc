// Command bench measures Bilag on this machine, in one go: document opens
// through the portal against a bare handler that makes the same upstream
// calls, the cache, memory while streaming, a refresh storm, the voucher
// index at a million rows, the consent flow, and 1,000 invoices sent to
// the e-conomic sandbox through Bilag beside the connector alone (send.go).
// Everything runs in-process on loopback against the sandboxes. It prints a table and writes
// bench/results.md and bench/results.svg.
//
//	go run -tags sqlite_fts5 ./bench [-out bench] [-tiny]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", "bench", "directory for results.md and results.svg")
	small := flag.Bool("tiny", false, "run every scenario once at a tiny size (a smoke test)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	only := flag.String("only", "", "run only these scenarios, comma-separated ("+strings.Join(scenarioNames, ",")+"); the report then lacks the others")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	s := full
	if *small {
		s = tiny
	}
	if *only != "" {
		s.Only = map[string]bool{}
		for _, name := range strings.Split(*only, ",") {
			if !slices.Contains(scenarioNames, name) {
				fmt.Fprintf(os.Stderr, "bench: no scenario %q (%s)\n", name, strings.Join(scenarioNames, ","))
				os.Exit(2)
			}
			s.Only[name] = true
		}
	}
	if os.Getenv("BILAG_BENCH_PROFILE") != "" {
		// Only 1 MB first opens at 0 ms, for a profile of the hot path.
		s = tiny
		s.Files, s.Concurrency, s.Latencies, s.Rounds = []int64{1 << 20}, []int{1}, []time.Duration{0}, 2
		s.Requests = func(int64, int, time.Duration) int { return 400 }
	}
	// Every load is bounded in count; this bounds the whole run in time.
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	rep, err := run(ctx, s, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
	md := rep.markdown()
	fmt.Print(md)
	if err := os.WriteFile(filepath.Join(*out, "results.md"), []byte(md), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(*out, "results.svg"), []byte(rep.svg()), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// report is everything one run measured.
type report struct {
	Started  time.Time
	Took     time.Duration
	Machine  string
	Uncached []openRow
	Cached   []openRow
	Memory   memoryResult
	Storm    stormResult
	Index    indexResult
	Consent  consentResult
	// Prefetch and Instances are issue 18's (instances.go).
	Prefetch  prefetchResult
	Instances instancesResult
	// Issue 18.
	OwnCost   ownCostResult
	Version   versionResult
	IndexPG   indexResult
	PGSkipped string
	S3Cached  []openRow
	// Send is issue 26's: invoices sent to e-conomic (send.go).
	Send sendResult
	// Pack is issue 29's: an evidence pack built (pack.go).
	Pack packResult
	// Load is the machine's load average at the start and the end.
	Load string
}

// scenarioNames are what -only picks from.
var scenarioNames = []string{"uncached", "cached", "memory", "storm", "index", "consent", "owncost", "version", "index-pg", "s3", "prefetch", "instances", "send", "pack"}

// run builds one stand per sandbox latency and runs every scenario; progress
// goes to logw.
func run(ctx context.Context, s sizes, logw io.Writer) (*report, error) {
	loadStart := loadAvg()
	rep := &report{Started: time.Now(), Machine: fmt.Sprintf("%s/%s, %d CPU, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	step := func(format string, args ...any) {
		fmt.Fprintf(logw, "[%6.1fs] %s\n", time.Since(rep.Started).Seconds(), fmt.Sprintf(format, args...))
	}
	var stands []*stand
	defer func() {
		for _, st := range stands {
			st.Close()
		}
	}()
	// The eAccounting stands serve the document, index and consent
	// scenarios; the others build their own.
	latencies := s.Latencies
	if !slices.ContainsFunc([]string{"uncached", "cached", "owncost", "memory", "storm", "index", "consent"}, s.want) {
		latencies = nil
	}
	for _, lat := range latencies {
		dir, err := os.MkdirTemp("", "bilag-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		step("stand with %v added latency", lat)
		st, err := newStand(ctx, standConfig{Dir: dir, Latency: lat, CacheBytes: 512 << 20})
		if err != nil {
			return nil, fmt.Errorf("stand (%v): %w", lat, err)
		}
		stands = append(stands, st)
	}
	for _, st := range stands {
		if !s.want("uncached") {
			break
		}
		for _, size := range s.Files {
			for _, conc := range s.Concurrency {
				n := s.Requests(size, conc, st.cfg.Latency)
				row, err := openUncached(ctx, st, size, conc, n, s.Rounds)
				if err != nil {
					return nil, fmt.Errorf("open %s at %d (%v): %w", human(size), conc, st.cfg.Latency, err)
				}
				step("uncached %-6s c=%-2d +%-4v  bilag p50 %-9v bare p50 %-9v p50 ×%.2f  rps ×%.2f", human(size), conc, st.cfg.Latency,
					row.Bilag.pct(50).Round(10*time.Microsecond), row.Bare.pct(50).Round(10*time.Microsecond), row.p50Ratio(), row.rpsRatio())
				rep.Uncached = append(rep.Uncached, row)
			}
		}
	}
	for _, size := range s.Files {
		if !s.want("cached") {
			break
		}
		slow := stands[len(stands)-1]
		row, err := openCached(ctx, slow, size, s.Cached, s.Rounds)
		if err != nil {
			return nil, fmt.Errorf("cached %s: %w", human(size), err)
		}
		step("cached   %-6s c=1  +%-4v  bilag p50 %-9v bare p50 %-9v p50 ×%.2f", human(size), slow.cfg.Latency,
			row.Bilag.pct(50).Round(10*time.Microsecond), row.Bare.pct(50).Round(10*time.Microsecond), row.p50Ratio())
		rep.Cached = append(rep.Cached, row)
	}
	var fast *stand
	if len(stands) > 0 {
		fast = stands[0]
	}
	var err error
	if s.want("owncost") {
		if rep.OwnCost, err = ownCost(ctx, fast, 3, s.Requests(10<<10, 1, 0)); err != nil {
			return nil, fmt.Errorf("own cost: %w", err)
		}
		step("owncost  10 KB c=1 +0s: Bilag p50 − bare p50 %v, median %v; CPU per open, Bilag − bare %v, median %v",
			rep.OwnCost.Runs, rep.OwnCost.median(), rep.OwnCost.CPU, median(rep.OwnCost.CPU))
	}
	if s.want("memory") {
		if rep.Memory, err = memory(ctx, fast, s); err != nil {
			return nil, fmt.Errorf("memory: %w", err)
		}
		step("memory   %s: +%s heap; %d × %s: +%s heap", human(rep.Memory.BigFile), human(rep.Memory.BigGrowth),
			rep.Memory.Parallel, human(rep.Memory.ParallelFile), human(rep.Memory.ParGrowth))
	}
	if s.want("storm") {
		if rep.Storm, err = storm(ctx, fast, s.Storm); err != nil {
			return nil, fmt.Errorf("refresh storm: %w", err)
		}
		step("storm    %d requests, %d refresh(es), added p50 %v p99 %v", rep.Storm.N, rep.Storm.Refreshes, rep.Storm.AddedP50, rep.Storm.AddedP99)
	}
	if s.want("index") {
		step("index    filling %d vouchers", s.Vouchers)
		if rep.Index, err = index(ctx, fast, s); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		for _, r := range rep.Index.Rows {
			step("index    %-22s p50 %-9v p99 %v", r.Name, r.S.pct(50).Round(10*time.Microsecond), r.S.pct(99).Round(10*time.Microsecond))
		}
	}
	if s.want("index-pg") {
		if rep.IndexPG, rep.PGSkipped, err = postgresIndex(ctx, s, step); err != nil {
			return nil, fmt.Errorf("index on PostgreSQL: %w", err)
		}
		if rep.PGSkipped != "" {
			step("index-pg skipped: %s", rep.PGSkipped)
		}
		for _, r := range rep.IndexPG.Rows {
			step("index-pg %-22s p50 %-9v p99 %v", r.Name, r.S.pct(50).Round(10*time.Microsecond), r.S.pct(99).Round(10*time.Microsecond))
		}
	}
	if s.want("s3") {
		if rep.S3Cached, err = s3Cached(ctx, s, step); err != nil {
			return nil, fmt.Errorf("S3 cache: %w", err)
		}
	}
	if s.want("version") && s.VersionRuns > 0 {
		dir, err := os.MkdirTemp("", "bilag-bench-version-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if rep.Version, err = versionCost(ctx, dir, s.VersionRuns); err != nil {
			return nil, fmt.Errorf("bilag version: %w", err)
		}
		step("version  %d runs: p50 %v, peak RSS %s %s", rep.Version.N, rep.Version.Wall.pct(50), human(rep.Version.MaxRSS), rep.Version.Skipped)
	}
	if s.want("consent") {
		if rep.Consent, err = consent(ctx, fast, s.ConsentFlows, s.ConsentConc); err != nil {
			return nil, fmt.Errorf("consent: %w", err)
		}
		step("consent  %d flows at %d: %.1f flows/s", rep.Consent.Flows, rep.Consent.Conc, rep.Consent.S.rps())
	}
	b := fullB
	if s.Vouchers <= tiny.Vouchers {
		b = tinyB
	}
	if s.want("prefetch") {
		if rep.Prefetch, err = prefetchScenario(ctx, b.Latency, b.Pages, b.PerPage); err != nil {
			return nil, fmt.Errorf("prefetch: %w", err)
		}
		step("prefetch %s", rep.Prefetch)
	}
	if s.want("instances") {
		step("instances: %d instances syncing for %v against %d calls/min", 3, b.Duration, b.Quota)
		if rep.Instances, err = instancesScenario(ctx, b.Quota, b.Duration, b.Vouchers); err != nil {
			return nil, fmt.Errorf("instances: %w", err)
		}
		step("instances %s", rep.Instances)
	}
	if s.want("send") {
		if rep.Send, err = sendScenario(ctx, s.SendInvoices, s.SendLatency, step); err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
		step("send     %s", rep.Send)
	}
	if s.want("pack") && s.PackVouchers > 0 {
		if rep.Pack, err = packScenario(ctx, s.PackVouchers, s.PackLatency); err != nil {
			return nil, fmt.Errorf("pack: %w", err)
		}
		step("pack     %s", rep.Pack)
	}
	rep.Took = time.Since(rep.Started)
	rep.Load = loadStart + " / " + loadAvg()
	return rep, nil
}

func human(n int64) string {
	neg := ""
	if n < 0 {
		neg, n = "-", -n
	}
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%s%d MB", neg, n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%s%.1f MB", neg, float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%s%d KB", neg, n>>10)
	}
	return fmt.Sprintf("%s%d B", neg, n)
}

// loadAvg is /proc/loadavg's three averages, or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}
