package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTinyRun runs every scenario once at a tiny size, so the bench cannot
// rot. It asserts what was measured exists and that the storm refreshed
// once, never how fast anything was: machines here are shared and noisy.
func TestTinyRun(t *testing.T) {
	if raceEnabled {
		t.Skip("runs in make test's non-race pass")
	}
	rep, err := run(t.Context(), tiny, io.Discard)
	if err != nil {
		t.Fatalf("run(tiny) = %v", err)
	}
	if want := len(tiny.Files) * len(tiny.Concurrency) * len(tiny.Latencies); len(rep.Uncached) != want {
		t.Errorf("uncached rows = %d, want %d", len(rep.Uncached), want)
	}
	for _, r := range append(rep.Uncached, rep.Cached...) {
		if len(r.Bilag.lat) == 0 || len(r.Bare.lat) == 0 {
			t.Errorf("row %s c=%d cached=%v measured nothing", human(r.Size), r.Conc, r.Cached)
		}
	}
	if len(rep.Cached) != len(tiny.Files) {
		t.Errorf("cached rows = %d, want %d", len(rep.Cached), len(tiny.Files))
	}
	if rep.Storm.Refreshes != 1 {
		t.Errorf("refresh storm of %d requests made %d refreshes, want 1", rep.Storm.N, rep.Storm.Refreshes)
	}
	if rep.Pack.Vouchers != tiny.PackVouchers || rep.Pack.Size == 0 || rep.Pack.Calls != int64(2*tiny.PackVouchers+1) {
		t.Errorf("pack = %s; want %d vouchers in a ZIP, two calls each and the ledger's", rep.Pack, tiny.PackVouchers)
	}
	if len(rep.Index.Rows) == 0 {
		t.Error("index measured nothing")
	}
	if len(rep.Consent.S.lat) != tiny.ConsentFlows {
		t.Errorf("consent flows = %d, want %d", len(rep.Consent.S.lat), tiny.ConsentFlows)
	}
	if len(rep.OwnCost.Runs) != 3 {
		t.Errorf("own cost runs = %d, want 3", len(rep.OwnCost.Runs))
	}
	if len(rep.S3Cached) != len(tiny.Files) {
		t.Errorf("S3-cached rows = %d, want %d", len(rep.S3Cached), len(tiny.Files))
	}
	if len(rep.IndexPG.Rows) == 0 && rep.PGSkipped == "" {
		t.Error("the index on PostgreSQL measured nothing and says no reason")
	}
	if x := rep.Send; x.Booked != tiny.SendInvoices || x.Bilag.Calls == 0 || x.Bare.Calls == 0 || x.Bilag.Upstream <= 0 || x.Bare.Wall <= 0 ||
		x.Bilag.Wall < x.Bilag.Upstream/2 {
		t.Errorf("send measured %+v", x)
	}
	md, svg := rep.markdown(), rep.svg()
	if rep.PGSkipped != "" && strings.Contains(md, "PostgreSQL | — | < 10.0 ms | met") {
		t.Error("a skipped PostgreSQL figure reads as met")
	}
	for _, want := range []string{"## 1. Document open, uncached", "## 2.", "## 3. Memory", "## 4. Refresh storm", "## 5. Voucher index", "## 6. Consent", "## 7. Document open from the S3-backed cache", "## 8. Bilag's own cost per open", "## Issue 18 goals", "first open of a document on a voucher reached from the list", "instances on one PostgreSQL", "## 10. Sending 6 invoices to e-conomic", "own share"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(strings.TrimSpace(svg), "</svg>") {
		t.Error("chart is not an SVG document")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "results.svg"), []byte(svg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSkippedPostgresIsNotMet: without PostgreSQL's binaries the text
// filter's PostgreSQL goal reads "skipped", never "met".
func TestSkippedPostgresIsNotMet(t *testing.T) {
	rep := &report{PGSkipped: "no PostgreSQL server binaries"}
	md := rep.markdown()
	var row string
	for _, l := range strings.Split(md, "\n") {
		if strings.Contains(l, "text filter") && strings.Contains(l, "PostgreSQL") {
			row = l
		}
	}
	if !strings.Contains(row, "skipped") || strings.Contains(row, "met") {
		t.Errorf("PostgreSQL row = %q; want it skipped, not met", row)
	}
}
