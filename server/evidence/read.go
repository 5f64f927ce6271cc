package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"bilag/connectors"
	"bilag/db"
)

// entry is one line of a pack's vouchers file: an indexed voucher as the
// upstream gave it when the pack read it, rows included, and its
// documents.
type entry struct {
	ID      int64                `json:"id"`
	Voucher connectors.Voucher   `json:"voucher"`
	Docs    []db.VoucherDocument `json:"docs"`
}

// progressEvery is how many vouchers or documents go between two writes of
// a pack's progress (and renewals of its claim).
const progressEvery = 10

// maxLine bounds one line of the vouchers file (a voucher of thousands of
// rows is some hundred kB).
const maxLine = 16 << 20

// build runs a pack's job to its end: ready, or failed with its reason. A
// stop (the process shutting down) leaves it unfinished for the next
// start.
func (p *Packer) build(ctx context.Context, pk *db.Pack) {
	// In the rate budget a pack waits behind people, taking turns with
	// other companies' background work, and retries as a sync does.
	ctx = connectors.WithBackoff(ctx, connectors.Background())
	ctx = connectors.WithCaller(ctx, connectors.PriorityBackground, strconv.FormatInt(pk.CompanyID, 10))
	err := p.steps(ctx, pk)
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		p.log.Info("evidence pack stopped; it continues on the next start", "pack_id", pk.ID)
		return
	}
	_ = os.Remove(filepath.Join(p.packDir(pk.ID), partName))
	pk.State, pk.Reason, pk.Error = db.PackFailed, Reason(err), err.Error()
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if uerr := p.db.UpdatePack(bg, pk); uerr != nil {
		p.log.Error("record failed evidence pack", "pack_id", pk.ID, "err", uerr)
	}
	p.log.Warn("evidence pack failed", "pack_id", pk.ID, "company_id", pk.CompanyID, "reason", pk.Reason, "err", err)
}

// steps reads what the pack lacks, then writes its ZIP.
func (p *Packer) steps(ctx context.Context, pk *db.Pack) error {
	dir := p.packDir(pk.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pack directory: %w", err)
	}
	co, err := p.db.Company(ctx, pk.CompanyID)
	if err != nil {
		return err
	}
	period := PeriodOf(pk)
	if pk.State != db.PackZipping {
		pk.State = db.PackReading
		if err := p.db.UpdatePack(ctx, pk); err != nil {
			return err
		}
		if _, err := p.ledger(ctx, pk, period); err != nil {
			return err
		}
		if err := p.readVouchers(ctx, pk, period); err != nil {
			return err
		}
		pk.State = db.PackZipping
		if err := p.db.UpdatePack(ctx, pk); err != nil {
			return err
		}
	}
	return p.zip(ctx, pk, co, period)
}

// ledger is the period's ledger, read from the upstream once and kept in
// the pack's directory.
func (p *Packer) ledger(ctx context.Context, pk *db.Pack, period Period) (connectors.Ledger, error) {
	path := filepath.Join(p.packDir(pk.ID), "ledger.json")
	var l connectors.Ledger
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &l); err == nil {
			return l, nil
		}
	}
	l, err := p.up.Ledger(ctx, pk.CompanyID, period.From, period.To)
	if err != nil {
		return l, fmt.Errorf("read ledger: %w", err)
	}
	b, err := json.Marshal(l)
	if err == nil {
		err = writeAtomic(path, b)
	}
	if err != nil {
		return l, fmt.Errorf("keep ledger: %w", err)
	}
	return l, nil
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readVouchers re-reads every indexed voucher of the period from the
// upstream, with its rows and documents, appending each to the vouchers
// file: after a restart it continues after the last voucher written.
func (p *Packer) readVouchers(ctx context.Context, pk *db.Pack, period Period) error {
	path := filepath.Join(p.packDir(pk.ID), "vouchers.jsonl")
	done, last, err := resumePoint(path)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("vouchers file: %w", err)
	}
	defer f.Close()
	total, err := p.db.CountPackVouchers(ctx, pk.CompanyID, period.From, period.To)
	if err != nil {
		return err
	}
	pk.Done, pk.Total = done, max(total, done)
	for {
		vs, err := p.db.PackVouchers(ctx, pk.CompanyID, period.From, period.To, last.Voucher.Date, last.ID, 100)
		if err != nil || len(vs) == 0 {
			return errors.Join(err, p.progress(ctx, pk))
		}
		for i := range vs {
			if last, err = p.readVoucher(ctx, pk, &vs[i], f); err != nil {
				return err
			}
		}
	}
}

// readVoucher reads one voucher and appends it to f.
func (p *Packer) readVoucher(ctx context.Context, pk *db.Pack, v *db.Voucher, f io.Writer) (entry, error) {
	rows, docs, err := p.up.LiveVoucher(ctx, pk.CompanyID, v)
	if err != nil {
		return entry{}, fmt.Errorf("read voucher %s: %w", v.Number, err)
	}
	e := entry{ID: v.ID, Docs: docs, Voucher: connectors.Voucher{Ref: v.Ref, FiscalYear: v.FiscalYearID, Number: v.Number, Series: v.Series,
		Date: v.Date, Text: v.Text, Amount: v.Amount, Kind: connectors.VoucherKind(v.Kind), UpstreamType: v.UpstreamType,
		HasDocuments: v.HasDocuments, ModifiedAt: v.ModifiedAt, Rows: rows}}
	b, err := json.Marshal(e)
	if err != nil {
		return entry{}, fmt.Errorf("voucher %s: %w", v.Number, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return entry{}, fmt.Errorf("vouchers file: %w", err)
	}
	if pk.Done++; pk.Done%progressEvery == 0 {
		return e, p.progress(ctx, pk)
	}
	return e, nil
}

// progress writes a pack's progress and renews this process's claim on
// it; errLost when another instance took it over.
func (p *Packer) progress(ctx context.Context, pk *db.Pack) error {
	if ok, err := p.db.ClaimJob(ctx, claimName(pk.ID), claimTTL); err != nil || !ok {
		return errors.Join(err, errLost)
	}
	return p.db.UpdatePack(ctx, pk)
}

var errLost = errors.New("evidence: another instance took the pack over")

// resumePoint counts the whole lines of the vouchers file, cuts off a
// line half written when the process stopped, and returns the last
// entry; a missing file is a fresh start.
func resumePoint(path string) (n int, last entry, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, entry{}, nil
	}
	if err != nil {
		return 0, entry{}, fmt.Errorf("vouchers file: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var whole int64
	var lastLine []byte
	for {
		line, rerr := r.ReadBytes('\n')
		if rerr != nil {
			break // a tail without '\n' is a line half written
		}
		whole += int64(len(line))
		n++
		lastLine = line
	}
	if err := f.Truncate(whole); err != nil {
		return 0, entry{}, fmt.Errorf("vouchers file: %w", err)
	}
	if lastLine != nil {
		if err := json.Unmarshal(bytes.TrimSpace(lastLine), &last); err != nil {
			return 0, entry{}, fmt.Errorf("vouchers file's last line: %w", err)
		}
	}
	return n, last, nil
}

// entries reads the vouchers file from the start, each time it is ranged
// over.
func entries(path string) iter.Seq2[entry, error] {
	return func(yield func(entry, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(entry{}, fmt.Errorf("vouchers file: %w", err))
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		for sc.Scan() {
			var e entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				yield(entry{}, fmt.Errorf("vouchers file: %w", err))
				return
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(entry{}, fmt.Errorf("vouchers file: %w", err))
		}
	}
}

// ReasonOrgNumber is a pack stopped because the firm's record of the
// company lost its organisation number after the pack was started.
const ReasonOrgNumber = "orgnr"

// Reason is the class of a pack's failure that its page puts in words:
// the sync's classes (db.SyncReason*), and ReasonOrgNumber.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrNoOrgNumber):
		return ReasonOrgNumber
	case errors.Is(err, connectors.ErrGrantRevoked), errors.Is(err, db.ErrNeedsReapproval):
		return db.SyncReasonReapproval
	case errors.Is(err, connectors.ErrRateLimited):
		return db.SyncReasonRateLimited
	case errors.Is(err, connectors.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return db.SyncReasonUnavailable
	case errors.Is(err, connectors.ErrForbidden), errors.Is(err, connectors.ErrUnauthorized):
		return db.SyncReasonRefused
	}
	return db.SyncReasonOther
}
