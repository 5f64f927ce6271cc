package main

import (
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
)

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func mark(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// markdown is the report: the table printed and written to results.md.
func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Bilag bench results\n\n")
	if r.Load != "" {
		w("Load average (1, 5, 15 min) at the start and the end: %s. On a machine shared with other work, latencies (p99 above all) measure the neighbours too.\n\n", r.Load)
	}
	w("`make bench` on %s, %s, took %s. Everything in one process on loopback: the portal (SQLite, encrypted document cache), the eAccounting sandbox, the bare handler and the load clients share the machine's cores.\n\n",
		r.Machine, r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second))

	if len(r.Uncached) > 0 {
		r.uncachedSection(w)
	}
	if len(r.Cached) > 0 {
		r.cachedSection(w)
	}
	if r.Memory.BigFile > 0 {
		r.memorySection(w)
	}
	if r.Storm.N > 0 {
		r.stormSection(w)
	}
	if r.Index.Vouchers > 0 {
		w("\n## 5. Voucher index, %d vouchers (SQLite)\n\n", r.Index.Vouchers)
		r.Index.section(w)
	}
	if r.Consent.Flows > 0 {
		r.consentSection(w)
	}
	r.scaleSections(w)
	if len(r.Prefetch.Prefetched.lat) > 0 || r.Instances.Instances > 0 || r.Instances.Skipped != "" {
		w("\n%s", r.partBMarkdown())
	}
	if r.Send.Invoices > 0 {
		r.Send.section(w)
	}
	if r.Pack.Vouchers > 0 {
		r.Pack.section(w)
	}
	return b.String()
}

func (r *report) uncachedSection(w func(string, ...any)) {
	w("## 1. Document open, uncached\n\n")
	w("Bilag: session, access check, token, `GET /attachments/{id}`, file, stream with SHA-256 and encrypted cache write, hash and audit rows. ")
	w("Bare: a Go handler doing the same two upstream calls with a fixed token and `io.Copy`. Interleaved in rounds (ABBA); every Bilag request is a document never opened before.\n\n")
	w("| added latency | size | conc | n | Bilag p50 | Bilag p99 | Bilag req/s | bare p50 | bare p99 | bare req/s | p50 ratio | p99 ratio | req/s ratio |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, o := range r.Uncached {
		w("| %v | %s | %d | %d | %s | %s | %.1f | %s | %s | %.1f | %.2f | %.2f | %.2f |\n", o.Latency, human(o.Size), o.Conc, len(o.Bilag.lat),
			ms(o.Bilag.pct(50)), ms(o.Bilag.pct(99)), o.Bilag.rps(), ms(o.Bare.pct(50)), ms(o.Bare.pct(99)), o.Bare.rps(),
			o.p50Ratio(), o.p99Ratio(), o.rpsRatio())
	}
	w("\nTarget at 0 ms, 1 MB: p50 ratio ≤ 1.15 and req/s ratio ≥ 0.85.\n\n")
	for _, o := range r.Uncached {
		if o.Latency == 0 && o.Size == 1<<20 {
			w("- 1 MB, concurrency %d: p50 ratio %.2f (%s), req/s ratio %.2f (%s)\n", o.Conc, o.p50Ratio(), mark(o.p50Ratio() <= 1.15), o.rpsRatio(), mark(o.rpsRatio() >= 0.85))
		}
	}

}

func (r *report) cachedSection(w func(string, ...any)) {
	w("\n## 2. Document open, cached (second open)\n\n")
	w("| added latency | size | n | Bilag p50 | Bilag p99 | bare p50 | bare p99 | p50 ratio | target ≤ 0.2 |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, o := range r.Cached {
		w("| %v | %s | %d | %s | %s | %s | %s | %.3f | %s |\n", o.Latency, human(o.Size), len(o.Bilag.lat), ms(o.Bilag.pct(50)), ms(o.Bilag.pct(99)),
			ms(o.Bare.pct(50)), ms(o.Bare.pct(99)), o.p50Ratio(), mark(o.p50Ratio() <= 0.2))
	}

}

func (r *report) memorySection(w func(string, ...any)) {
	m := r.Memory
	w("\n## 3. Memory\n\n")
	w("Peak growth of the process's HeapAlloc over its level before (after a GC), sampled every 2 ms; it includes the sandbox and the clients, so it bounds the portal's share from above.\n\n")
	w("| scenario | heap growth | target |\n|---|---|---|\n")
	w("| one %s document (%s, %.0f MB/s) | %s | < 16 MB: %s |\n", human(m.BigFile), ms(m.BigWall), float64(m.BigFile)/(1<<20)/max(m.BigWall.Seconds(), 1e-9), human(m.BigGrowth), mark(m.BigGrowth < 16<<20))
	w("| %d clients × %s at once | %s | < 64 MB: %s |\n", m.Parallel, human(m.ParallelFile), human(m.ParGrowth), mark(m.ParGrowth < 64<<20))

}

func (r *report) stormSection(w func(string, ...any)) {
	s := r.Storm
	w("\n## 4. Refresh storm\n\n")
	w("%d concurrent document opens (10 KB, uncached, 0 ms added latency) at an expired access token, against the same %d at a fresh token just before.\n\n", s.N, s.N)
	w("| | p50 | p99 |\n|---|---|---|\n")
	w("| fresh token | %s | %s |\n| expired token | %s | %s |\n| added | %s | %s |\n\n", ms(s.Base.pct(50)), ms(s.Base.pct(99)), ms(s.Storm.pct(50)), ms(s.Storm.pct(99)), ms(s.AddedP50), ms(s.AddedP99))
	w("Refresh calls at the sandbox: **%d** (target 1: %s).\n", s.Refreshes, mark(s.Refreshes == 1))

}

// section is the table of one index run.
func (x indexResult) section(w func(string, ...any)) {
	w("Filled with `db.UpsertVouchers` for the first %d (%.0f vouchers/s, the rate a sync writes at) and a multi-row INSERT for the rest (%s). Measured through the portal (HTTP, session, access check, render), one request at a time.\n\n",
		x.SampledUpsertRow, x.UpsertPerSec, x.BulkInsert.Round(time.Millisecond))
	w("| query | n | p50 | p99 | target p99 |\n|---|---|---|---|---|\n")
	for _, q := range x.Rows {
		w("| %s | %d | %s | %s | < %s: %s |\n", q.Name, len(q.S.lat), ms(q.S.pct(50)), ms(q.S.pct(99)), ms(q.Target), mark(q.S.pct(99) < q.Target))
	}

}

func (r *report) consentSection(w func(string, ...any)) {
	c := r.Consent
	w("\n## 6. Consent throughput\n\n")
	w("Complete flows (analyst makes a link; the accountant opens it, logs in at the sandbox, picks the company, approves; the portal exchanges the code, checks the grant, stores it and starts a sync), %d at concurrency %d, 0 ms added latency: **%.1f flows/s**, p50 %s, p99 %s per flow.\n",
		c.Flows, c.Conc, c.S.rps(), ms(c.S.pct(50)), ms(c.S.pct(99)))
}

// svg is a bar chart of the Bilag/bare ratios of the uncached and cached
// opens, with the targets as lines.
func (r *report) svg() string {
	type bar struct {
		label string
		p50   float64
		rps   float64
	}
	var bars []bar
	for _, o := range r.Uncached {
		bars = append(bars, bar{fmt.Sprintf("%s c%d +%dms", human(o.Size), o.Conc, o.Latency.Milliseconds()), o.p50Ratio(), o.rpsRatio()})
	}
	for _, o := range r.Cached {
		bars = append(bars, bar{fmt.Sprintf("cached %s +%dms", human(o.Size), o.Latency.Milliseconds()), o.p50Ratio(), -1})
	}
	const (
		left, top, rowH, barH, width = 170, 50, 34, 12, 460
	)
	maxV := 2.0
	for _, b := range bars {
		maxV = max(maxV, b.p50, b.rps)
	}
	x := func(v float64) float64 { return left + v/maxV*width }
	h := top + len(bars)*rowH + 50
	var s strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&s, format, args...) }
	w(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", left+width+60, h)
	w(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	w(`<text x="10" y="20" font-size="14" font-weight="bold">Bilag / bare upstream: p50 latency ratio (blue, lower is better) and req/s ratio (green, higher is better)</text>` + "\n")
	for _, t := range []struct {
		v     float64
		label string
	}{{1, "1.0"}, {1.15, "1.15"}, {0.85, "0.85"}, {0.2, "0.2"}} {
		w(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999" stroke-dasharray="3,3"/>`+"\n", x(t.v), top-10, x(t.v), top+len(bars)*rowH)
		w(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", x(t.v), top-14, t.label)
	}
	for i, b := range bars {
		y := top + i*rowH
		w(`<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+barH+4, html.EscapeString(b.label))
		w(`<rect x="%d" y="%d" width="%.1f" height="%d" fill="#3b6fb6"/>`+"\n", left, y, x(b.p50)-left, barH)
		w(`<text x="%.1f" y="%d">%.2f</text>`+"\n", x(b.p50)+3, y+barH-2, b.p50)
		if b.rps >= 0 {
			w(`<rect x="%d" y="%d" width="%.1f" height="%d" fill="#4a9a5a"/>`+"\n", left, y+barH+2, x(b.rps)-left, barH)
			w(`<text x="%.1f" y="%d">%.2f</text>`+"\n", x(b.rps)+3, y+2*barH, b.rps)
		}
	}
	w(`<text x="10" y="%d" fill="#555">Targets: uncached at 0 ms, 1 MB: p50 ≤ 1.15, req/s ≥ 0.85; cached at 40 ms: p50 ≤ 0.2.</text>`+"\n", h-20)
	w("</svg>\n")
	return s.String()
}

// textTarget is issue 18's goal for the text filter's p99 on 1,000,000
// vouchers, on SQLite and on PostgreSQL.
const textTarget = 10 * time.Millisecond

func (x indexResult) row(name string) (indexRow, bool) {
	for _, q := range x.Rows {
		if q.Name == name {
			return q, true
		}
	}
	return indexRow{}, false
}

// scaleSections are issue 18's figures and its table of goals.
func (r *report) scaleSections(w func(string, ...any)) {
	if r.IndexPG.Vouchers > 0 {
		w("\n## 5b. Voucher index, %d vouchers (PostgreSQL)\n\n", r.IndexPG.Vouchers)
		w("The same as section 5 with the portal on a PostgreSQL server the bench starts on loopback (fsync off, as the tests run it).\n\n")
		r.IndexPG.section(w)
	} else if r.PGSkipped != "" {
		w("\n## 5b. Voucher index on PostgreSQL\n\nskipped: %s\n", r.PGSkipped)
	}
	if len(r.S3Cached) > 0 {
		w("\n## 7. Document open from the S3-backed cache (second open)\n\n")
		w("`BILAG_CACHE_URL=s3://…`: sealed objects in an S3-compatible store (gofakes3 in this process, speaking the real protocol over loopback HTTP), their index in the database; as section 2 otherwise.\n\n")
		w("| added latency | size | n | Bilag p50 | Bilag p99 | bare p50 | bare p99 | p50 ratio | target ≤ 0.2 |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, o := range r.S3Cached {
			w("| %v | %s | %d | %s | %s | %s | %s | %.3f | %s |\n", o.Latency, human(o.Size), len(o.Bilag.lat), ms(o.Bilag.pct(50)), ms(o.Bilag.pct(99)),
				ms(o.Bare.pct(50)), ms(o.Bare.pct(99)), o.p50Ratio(), mark(o.p50Ratio() <= 0.2))
		}
	}
	if len(r.OwnCost.Runs) > 0 {
		w("\n## 8. Bilag's own cost per open\n\n")
		w("Uncached open, 10 KB, 0 ms added latency, one at a time: Bilag p50 − bare p50, in %d runs of section 1's cell: ", len(r.OwnCost.Runs))
		for i, d := range r.OwnCost.Runs {
			if i > 0 {
				w(", ")
			}
			w("%s", ms(d))
		}
		w("; median **%s**", ms(r.OwnCost.median()))
		if ownCostBefore > 0 {
			w(" (before issue 18: %s; goal ≤ %s)", ms(ownCostBefore), ms(ownCostBefore/2))
		}
		w(". The process's CPU time per open, Bilag less bare (the same runs): ")
		for i, d := range r.OwnCost.CPU {
			if i > 0 {
				w(", ")
			}
			w("%s", ms(d))
		}
		w("; median %s.\n", ms(median(r.OwnCost.CPU)))
	}
	if r.Version.N > 0 || r.Version.Skipped != "" {
		w("\n## 9. `bilag version`\n\n")
		if r.Version.Skipped != "" {
			w("skipped: %s\n", r.Version.Skipped)
		} else {
			w("The binary as `make build` makes it, started %d times: wall time p50 %s, p99 %s; peak resident memory %s.\n",
				r.Version.N, ms(r.Version.Wall.pct(50)), ms(r.Version.Wall.pct(99)), human(r.Version.MaxRSS))
		}
	}
	r.goals(w)
}

// goals is issue 18's table: each goal, its figure, met or missed.
func (r *report) goals(w func(string, ...any)) {
	w("\n## Issue 18 goals\n\n| goal | figure | target | |\n|---|---|---|---|\n")
	for _, o := range r.Uncached {
		if o.Latency == 40*time.Millisecond && o.Size == 1<<20 && o.Conc == 32 {
			w("| uncached open, 40 ms, 1 MB, 32 concurrent: p50 ratio Bilag/bare | %.2f | ≤ 1.15 | %s |\n", o.p50Ratio(), mark(o.p50Ratio() <= 1.15))
			w("| same, requests/s ratio | %.2f | ≥ 0.85 | %s |\n", o.rpsRatio(), mark(o.rpsRatio() >= 0.85))
		}
	}
	if len(r.OwnCost.Runs) > 0 {
		status := "no baseline"
		if ownCostBefore > 0 {
			status = mark(r.OwnCost.median() <= ownCostBefore/2)
		}
		w("| Bilag's own cost per open (10 KB, 0 ms, 1 at a time): p50 − bare p50, median of %d | %s | ≤ %s (half of %s) | %s |\n",
			len(r.OwnCost.Runs), ms(r.OwnCost.median()), ms(ownCostBefore/2), ms(ownCostBefore), status)
	}
	if q, ok := r.Index.row("filter: text"); ok {
		w("| text filter on %d vouchers, p99, SQLite | %s | < %s | %s |\n", r.Index.Vouchers, ms(q.S.pct(99)), ms(textTarget), mark(q.S.pct(99) < textTarget))
	}
	if q, ok := r.IndexPG.row("filter: text"); ok {
		w("| text filter on %d vouchers, p99, PostgreSQL | %s | < %s | %s |\n", r.IndexPG.Vouchers, ms(q.S.pct(99)), ms(textTarget), mark(q.S.pct(99) < textTarget))
	} else if r.PGSkipped != "" {
		w("| text filter, p99, PostgreSQL | — | < %s | skipped (no PostgreSQL server binaries) |\n", ms(textTarget))
	}
	if p := r.Prefetch; len(p.Prefetched.lat) > 0 {
		w("| first open of a document on a voucher reached from the list, %v: p50 ratio prefetched/uncached | %.2f | ≤ 0.2 | %s |\n", p.Latency, p.p50Ratio(), mark(p.p50Ratio() <= 0.2))
	} else {
		w("| first open of a document on a voucher reached from the list, 40 ms: p50 ratio | see scale-b | ≤ 0.2 | see scale-b |\n")
	}
	switch in := r.Instances; {
	case in.Skipped != "":
		w("| three instances on one PostgreSQL, shared budget: 429s, budget use, interactive wait | — | 0, ≥ 85 %%, < 1 s | skipped (%s) |\n", in.Skipped)
	case in.Instances > 0:
		ok := in.Limited == 0 && in.Use >= 0.85 && len(in.Waits.lat) > 0 && in.Waits.pct(100) < time.Second
		w("| %d instances on one PostgreSQL, shared budget (%d calls/min): 429s, budget use, a person's longest wait | %d, %.1f %%, %s | 0, ≥ 85 %%, < 1 s | %s |\n",
			in.Instances, in.Quota, in.Limited, in.Use*100, ms(in.Waits.pct(100)), mark(ok))
	default:
		w("| three instances on one PostgreSQL, shared budget: 429s, budget use, interactive wait | see scale-b | 0, ≥ 85 %%, < 1 s | see scale-b |\n")
	}
	for _, o := range r.S3Cached {
		if o.Size == 1<<20 {
			w("| cached open from the S3-backed cache, %v, 1 MB: p50 ratio | %.3f | ≤ 0.2 (as the disk cache) | %s |\n", o.Latency, o.p50Ratio(), mark(o.p50Ratio() <= 0.2))
		}
	}
	if r.Version.N > 0 {
		w("| `bilag version`: start-up time p50, peak memory | %s, %s | (a figure) | |\n", ms(r.Version.Wall.pct(50)), human(r.Version.MaxRSS))
	}
}

// section is issue 26's figure: invoices sent to e-conomic through Bilag,
// its own time beside the upstream's, and the connector alone.
func (x sendResult) section(w func(string, ...any)) {
	n, b, a := x.Invoices, x.Bilag, x.Bare
	w("\n## 10. Sending %d invoices to e-conomic (issue 26)\n\n", n)
	w("A front system posts %d invoices (two lines at most, a PDF each) to `POST /api/v1/companies/{id}/invoices` with a send-only token; the company sends API batches at once. ", n)
	w("Bilag reads, validates, runs the pre-flight against the agreement's lists, stores the batch sealed, runs the pre-flight again and queues it; its sender then sends one invoice after the other ")
	w("through the `economic-export` connector (invoice method: booked number looked up, customer found, draft looked up and made, booked with the source's number) and records each answer. ")
	w("The e-conomic sandbox answers every call after **%v** (a delay in front of its handler). Wall time runs from the request to the last answer recorded; ", x.Latency)
	w("the upstream's time is the time at least one call was on the wire (from the request to its answer's body closed), measured in the connector's transport. ")
	w("Bare: the same invoices sent one after the other by the connector's own `SendInvoice`, with the same pairing, transport and sandbox, and no Bilag around it (no API, database, queue, lease or stored answer).\n\n")
	w("| | wall | invoices/s | calls | calls/invoice | upstream/invoice | calls × %v/invoice | own time/invoice | own share |\n|---|---|---|---|---|---|---|---|---|\n", x.Latency)
	for _, r := range []struct {
		name string
		run  sendRun
	}{{"Bilag", b}, {"bare", a}} {
		per := float64(r.run.Calls) / float64(max(n, 1))
		w("| %s | %s | %.2f | %d | %.2f | %s | %s | %s | %.2f %% |\n", r.name, r.run.Wall.Round(time.Millisecond), float64(n)/max(r.run.Wall.Seconds(), 1e-9),
			r.run.Calls, per, ms(r.run.per(r.run.Upstream, n)), ms(time.Duration(per*float64(x.Latency))), ms(r.run.per(r.run.own(), n)), 100*r.run.share())
	}
	w("\nBilag / bare wall time: **×%.3f**. The API answered 202 after %s; %d invoices booked. ", x.ratio(), x.Upload.Round(time.Millisecond), x.Booked)
	w("Bilag's own share of the send: **%.2f %%** (goal < %.0f %%: %s).\n", 100*b.share(), 100*sendGoal, mark(b.share() < sendGoal))
	if len(x.Endpoint) > 0 {
		keys := make([]string, 0, len(x.Endpoint))
		for k := range x.Endpoint {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w("\nCalls the sandbox served during Bilag's run: ")
		for i, k := range keys {
			if i > 0 {
				w(", ")
			}
			w("`%s` %d", k, x.Endpoint[k])
		}
		w(".\n")
	}
}
