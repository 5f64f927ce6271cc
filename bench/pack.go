package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/evidence"
)

// This file is issue 29's scenario: an evidence pack of a period of
// PackVouchers vouchers, one document each, every upstream call (a
// voucher's rows and documents, a document's bytes, the ledger) answered
// after PackLatency. It prints the wall time and the peak heap while the
// pack is built, which the pack keeps bounded by reading the period into
// a file and streaming the ZIP from it.

// packResult is what the pack scenario measured.
type packResult struct {
	Vouchers int
	Latency  time.Duration
	Calls    int64
	Wall     time.Duration
	// PeakHeap is the most heap in use while the pack was built, above
	// what was in use before; Size the ZIP's bytes.
	PeakHeap int64
	Size     int64
}

func (x packResult) String() string {
	return fmt.Sprintf("%d vouchers at %v per call: %d calls, %s, peak heap +%s, ZIP %s", x.Vouchers, x.Latency, x.Calls,
		x.Wall.Round(time.Millisecond), human(x.PeakHeap), human(x.Size))
}

func (x packResult) section(w func(string, ...any)) {
	w("\n## 11. Evidence pack of %d vouchers (issue 29)\n\n", x.Vouchers)
	w("One company's month: every voucher read again from the upstream with its rows and documents, then one ZIP streamed from disk ")
	w("(the CSV journal, one 64 KB PDF per voucher hashed as it is written, index.csv). Every upstream call is answered after **%v**.\n\n", x.Latency)
	w("| vouchers | calls | wall | calls × latency | peak heap (above start) | ZIP |\n|---|---|---|---|---|---|\n")
	w("| %d | %d | %s | %s | %s | %s |\n", x.Vouchers, x.Calls, x.Wall.Round(time.Millisecond), (time.Duration(x.Calls) * x.Latency).Round(time.Millisecond), human(x.PeakHeap), human(x.Size))
}

// slowUpstream answers every call after latency.
type slowUpstream struct {
	d       *db.DB
	latency time.Duration
	calls   atomic.Int64
	doc     []byte
}

func (u *slowUpstream) wait(ctx context.Context) error {
	u.calls.Add(1)
	t := time.NewTimer(u.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (u *slowUpstream) LiveVoucher(ctx context.Context, companyID int64, v *db.Voucher) ([]connectors.VoucherRow, []db.VoucherDocument, error) {
	if err := u.wait(ctx); err != nil {
		return nil, nil, err
	}
	rows := []connectors.VoucherRow{{Account: "5010", Debit: v.Amount}, {Account: "1930", Credit: v.Amount}}
	docs, err := u.d.SetVoucherDocuments(ctx, companyID, v.ID, []db.VoucherDocument{{ConnectionID: v.ConnectionID, Kind: "attachment", ExternalID: v.Ref, FileName: "invoice.pdf", ContentType: "application/pdf"}})
	return rows, docs, err
}

type benchDoc struct{ io.Reader }

func (benchDoc) Close(bool) (string, error) { return "", nil }

func (u *slowUpstream) OpenDocument(ctx context.Context, companyID int64, doc *db.VoucherDocument) (evidence.Document, error) {
	if err := u.wait(ctx); err != nil {
		return nil, err
	}
	return benchDoc{bytes.NewReader(u.doc)}, nil
}

func (u *slowUpstream) Ledger(ctx context.Context, companyID int64, from, to time.Time) (connectors.Ledger, error) {
	return connectors.Ledger{}, u.wait(ctx)
}

// packScenario builds one pack and measures it.
func packScenario(ctx context.Context, vouchers int, latency time.Duration) (packResult, error) {
	res := packResult{Vouchers: vouchers, Latency: latency}
	dir, err := os.MkdirTemp("", "bilag-bench-pack-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	d, co, err := packCompany(ctx, dir, vouchers)
	if err != nil {
		return res, err
	}
	defer d.Close()
	up := &slowUpstream{d: d, latency: latency, doc: append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 64<<10)...)}
	p, err := evidence.New(evidence.Options{DB: d, Upstream: up, Dir: filepath.Join(dir, "packs")})
	if err != nil {
		return res, err
	}
	defer p.Close()
	period, _ := evidence.ParsePeriod(evidence.PeriodMonth, "2025-03", nil)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak, stop := packHeapPeak()
	start := time.Now()
	pk, err := p.Start(ctx, co.ID, period, db.AuditEvent{Actor: "bench"})
	if err != nil {
		stop()
		return res, err
	}
	p.Wait()
	res.Wall = time.Since(start)
	stop()
	res.PeakHeap, res.Calls = int64(peak.Load())-int64(before.HeapAlloc), up.calls.Load()
	got, err := d.Pack(ctx, co.ID, pk.ID)
	if err != nil {
		return res, err
	}
	if got.State != db.PackReady {
		return res, fmt.Errorf("pack is %s: %s", got.State, got.Error)
	}
	res.Size = got.Size
	return res, nil
}

// packHeapPeak samples the heap in use every few milliseconds until stopped.
func packHeapPeak() (*atomic.Uint64, func()) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return &peak, func() { close(done); <-finished }
}

// packCompany is a database with one company of vouchers in March 2025.
func packCompany(ctx context.Context, dir string, n int) (*db.DB, *db.Company, error) {
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(dir, "bilag.db"), db.Options{})
	if err != nil {
		return nil, nil, err
	}
	co := &db.Company{Name: "Bench AB", Country: "FI", OrgNumber: "0000000-0", Active: true}
	if err := d.CreateCompany(ctx, co); err != nil {
		d.Close()
		return nil, nil, err
	}
	vs := make([]db.Voucher, 0, n)
	for i := range n {
		vs = append(vs, db.Voucher{CompanyID: co.ID, ConnectionID: 1, Ref: "v" + strconv.Itoa(i), Number: "A" + strconv.Itoa(i),
			Date: time.Date(2025, 3, 1+i%31, 0, 0, 0, 0, time.UTC), Amount: int64(1000 + i), Kind: "supplier_invoice", HasDocuments: true})
	}
	for len(vs) > 0 {
		k := min(len(vs), 500)
		if err := d.UpsertVouchers(ctx, vs[:k]); err != nil {
			d.Close()
			return nil, nil, err
		}
		vs = vs[k:]
	}
	return d, co, nil
}
