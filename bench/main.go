// Command bench measures Bilag on this machine, in one go: document opens
// through the portal against a bare handler that makes the same upstream
// calls, the cache, memory while streaming, a refresh storm, the voucher
// index at a million rows and the consent flow. Everything runs in-process
// on loopback against the eAccounting sandbox. It prints a table and writes
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
	"time"
)

func main() {
	out := flag.String("out", "bench", "directory for results.md and results.svg")
	small := flag.Bool("tiny", false, "run every scenario once at a tiny size (a smoke test)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
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
}

// run builds one stand per sandbox latency and runs every scenario; progress
// goes to logw.
func run(ctx context.Context, s sizes, logw io.Writer) (*report, error) {
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
	for _, lat := range s.Latencies {
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
	slow := stands[len(stands)-1]
	for _, size := range s.Files {
		row, err := openCached(ctx, slow, size, s.Cached, s.Rounds)
		if err != nil {
			return nil, fmt.Errorf("cached %s: %w", human(size), err)
		}
		step("cached   %-6s c=1  +%-4v  bilag p50 %-9v bare p50 %-9v p50 ×%.2f", human(size), slow.cfg.Latency,
			row.Bilag.pct(50).Round(10*time.Microsecond), row.Bare.pct(50).Round(10*time.Microsecond), row.p50Ratio())
		rep.Cached = append(rep.Cached, row)
	}
	fast := stands[0]
	var err error
	if rep.Memory, err = memory(ctx, fast, s); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	step("memory   %s: +%s heap; %d × %s: +%s heap", human(rep.Memory.BigFile), human(rep.Memory.BigGrowth),
		rep.Memory.Parallel, human(rep.Memory.ParallelFile), human(rep.Memory.ParGrowth))
	if rep.Storm, err = storm(ctx, fast, s.Storm); err != nil {
		return nil, fmt.Errorf("refresh storm: %w", err)
	}
	step("storm    %d requests, %d refresh(es), added p50 %v p99 %v", rep.Storm.N, rep.Storm.Refreshes, rep.Storm.AddedP50, rep.Storm.AddedP99)
	step("index    filling %d vouchers", s.Vouchers)
	if rep.Index, err = index(ctx, fast, s); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	for _, r := range rep.Index.Rows {
		step("index    %-22s p50 %-9v p99 %v", r.Name, r.S.pct(50).Round(10*time.Microsecond), r.S.pct(99).Round(10*time.Microsecond))
	}
	if rep.Consent, err = consent(ctx, fast, s.ConsentFlows, s.ConsentConc); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	step("consent  %d flows at %d: %.1f flows/s", rep.Consent.Flows, rep.Consent.Conc, rep.Consent.S.rps())
	b := fullB
	if s.Vouchers <= tiny.Vouchers {
		b = tinyB
	}
	if rep.Prefetch, err = prefetchScenario(ctx, b.Latency, b.Pages, b.PerPage); err != nil {
		return nil, fmt.Errorf("prefetch: %w", err)
	}
	step("prefetch %s", rep.Prefetch)
	step("instances: %d instances syncing for %v against %d calls/min", 3, b.Duration, b.Quota)
	if rep.Instances, err = instancesScenario(ctx, b.Quota, b.Duration, b.Vouchers); err != nil {
		return nil, fmt.Errorf("instances: %w", err)
	}
	step("instances %s", rep.Instances)
	rep.Took = time.Since(rep.Started)
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
