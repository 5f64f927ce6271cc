package evidence

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/csvout"
	"bilag/server/evidence/book"
	"bilag/server/untrusted"
)

// The pack's files on disk: the ZIP while it is written, then when whole.
const (
	partName = "pack.zip.part"
	zipName  = "pack.zip"
)

// IndexHeader names index.csv's columns.
func IndexHeader() []string {
	return []string{"voucher", "date", "file", "size", "sha256", "opened_by", "status"}
}

// zipRun is one writing of a pack's ZIP.
type zipRun struct {
	pk    *db.Pack
	zw    *zip.Writer
	index *csvout.Writer
	// names are the file names used so far, so that two documents of one
	// voucher with the same name both go in.
	names map[string]bool
	opens map[int64][]db.DocumentOpen
	firm  map[int64]string
	made  time.Time
}

// zip writes the pack's ZIP from its vouchers file: the standard file,
// every document, index.csv. It is written beside its final name and
// renamed when whole, so no half ZIP is ever offered.
func (p *Packer) zip(ctx context.Context, pk *db.Pack, co *db.Company, period Period) error {
	if err := p.checkCompany(co); err != nil {
		return err
	}
	dir := p.packDir(pk.ID)
	ledger, err := p.ledger(ctx, pk, period)
	if err != nil {
		return err
	}
	vouchers := filepath.Join(dir, "vouchers.jsonl")
	if pk.Total, err = countDocuments(vouchers); err != nil {
		return err
	}
	pk.Done = 0
	if err := p.progress(ctx, pk); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, partName))
	if err != nil {
		return fmt.Errorf("pack file: %w", err)
	}
	defer f.Close()
	run, err := p.newZipRun(ctx, pk, f)
	if err != nil {
		return err
	}
	b := book.Book{Company: connectors.Company{Name: co.Name, OrgNumber: orgNumber(co), Country: co.Country}, From: period.From, To: period.To,
		FiscalYear: p.fiscalYear(ctx, co.ID, period), Ledger: ledger, Vouchers: bookVouchers(vouchers), Made: run.made, Software: p.software}
	if err := p.writeStandard(ctx, run, co.Country, b); err != nil {
		return err
	}
	if err := p.writeDocuments(ctx, run, vouchers); err != nil {
		return err
	}
	return p.finish(ctx, pk, f, run, dir)
}

func (p *Packer) newZipRun(ctx context.Context, pk *db.Pack, f *os.File) (*zipRun, error) {
	opens, err := p.db.DocumentOpens(ctx, pk.CompanyID)
	if err != nil {
		return nil, err
	}
	users, err := p.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	firm := map[int64]string{}
	for _, u := range users {
		if !u.IsClient() {
			firm[u.ID] = u.Name
		}
	}
	return &zipRun{pk: pk, zw: zip.NewWriter(f), names: map[string]bool{}, opens: opens, firm: firm, made: p.now().UTC()}, nil
}

// fiscalYear is the indexed fiscal year the period opens in; zero dates
// when the upstream has none.
func (p *Packer) fiscalYear(ctx context.Context, companyID int64, period Period) connectors.FiscalYear {
	years, err := p.db.FiscalYears(ctx, companyID)
	if err != nil {
		return connectors.FiscalYear{}
	}
	for _, y := range years {
		if !period.From.Before(day(y.StartDate)) && !period.From.After(day(y.EndDate)) {
			return connectors.FiscalYear{ID: y.ExternalID, StartDate: day(y.StartDate), EndDate: day(y.EndDate)}
		}
	}
	return connectors.FiscalYear{}
}

// bookVouchers is the vouchers file as the book's vouchers.
func bookVouchers(path string) func(yield func(connectors.Voucher, error) bool) {
	return func(yield func(connectors.Voucher, error) bool) {
		for e, err := range entries(path) {
			if !yield(e.Voucher, err) {
				return
			}
		}
	}
}

func (p *Packer) writeStandard(ctx context.Context, run *zipRun, country string, b book.Book) error {
	write, name := p.writerFor(country)
	w, err := run.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: run.made})
	if err != nil {
		return fmt.Errorf("pack file: %w", err)
	}
	if err := write(ctx, w, b); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// writeDocuments streams every document into the ZIP, hashing it as it
// goes, and writes each one's row of the index to a file beside the ZIP.
func (p *Packer) writeDocuments(ctx context.Context, run *zipRun, vouchers string) error {
	idx, err := os.Create(filepath.Join(p.packDir(run.pk.ID), "index.csv.part"))
	if err != nil {
		return fmt.Errorf("index file: %w", err)
	}
	defer idx.Close()
	run.index = csvout.NewWriter(idx, ',')
	if err := run.index.Write(IndexHeader()); err != nil {
		return fmt.Errorf("index file: %w", err)
	}
	for e, err := range entries(vouchers) {
		if err != nil {
			return err
		}
		for i := range e.Docs {
			if err := p.writeDocument(ctx, run, &e, &e.Docs[i]); err != nil {
				return err
			}
		}
	}
	run.index.Flush()
	if err := run.index.Error(); err != nil {
		return fmt.Errorf("index file: %w", err)
	}
	if _, err := idx.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("index file: %w", err)
	}
	w, err := run.zw.CreateHeader(&zip.FileHeader{Name: "index.csv", Method: zip.Deflate, Modified: run.made})
	if err == nil {
		_, err = io.Copy(w, idx)
	}
	if err != nil {
		return fmt.Errorf("index in pack: %w", err)
	}
	return nil
}

// writeDocument opens one document as a person's open does (the cache,
// else the upstream) and streams it into the ZIP. A document whose bytes
// are not a PDF, JPEG, PNG or TIFF is refused: the index names it, the
// ZIP does not hold it.
func (p *Packer) writeDocument(ctx context.Context, run *zipRun, e *entry, doc *db.VoucherDocument) error {
	d, err := p.up.OpenDocument(ctx, run.pk.CompanyID, doc)
	if err != nil {
		return fmt.Errorf("open document %q of voucher %s: %w", doc.FileName, e.Voucher.Number, err)
	}
	br := bufio.NewReaderSize(d, 64<<10)
	head, _ := br.Peek(untrusted.SniffLen)
	opened := run.openedBy(doc.ID)
	date := e.Voucher.Date.Format(time.DateOnly)
	if untrusted.Sniff(head) == "" {
		_, _ = d.Close(false)
		return run.row(e.Voucher.Number, date, doc.FileName, "", "", opened, "refused")
	}
	name := run.unique("documents/" + safeName(date+"_"+e.Voucher.Number+"_"+doc.FileName))
	w, err := run.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: run.made})
	if err != nil {
		_, _ = d.Close(false)
		return fmt.Errorf("pack file: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), br)
	if _, cerr := d.Close(err == nil); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read document %q of voucher %s: %w", doc.FileName, e.Voucher.Number, err)
	}
	if err := run.row(e.Voucher.Number, date, name, strconv.FormatInt(n, 10), hex.EncodeToString(h.Sum(nil)), opened, "ok"); err != nil {
		return err
	}
	if run.pk.Done++; run.pk.Done%progressEvery == 0 {
		return p.progress(ctx, run.pk)
	}
	return nil
}

func (run *zipRun) row(fields ...string) error {
	if err := run.index.Write(fields); err != nil {
		return fmt.Errorf("index file: %w", err)
	}
	return nil
}

// openedBy names who at the firm opened a document and when ("Anna
// Lindqvist 2026-03-02 09:14 UTC"), oldest first; client users are not
// the firm.
func (run *zipRun) openedBy(docID int64) string {
	var parts []string
	for _, o := range run.opens[docID] {
		if o.UserID == nil || run.firm[*o.UserID] == "" {
			continue
		}
		parts = append(parts, run.firm[*o.UserID]+" "+o.At.UTC().Format("2006-01-02 15:04")+" UTC")
	}
	return strings.Join(parts, "; ")
}

// unique is name, or name with a number before its extension when the ZIP
// already holds one by that name.
func (run *zipRun) unique(name string) string {
	out := name
	ext := filepath.Ext(name)
	for i := 2; run.names[out]; i++ {
		out = strings.TrimSuffix(name, ext) + "_" + strconv.Itoa(i) + ext
	}
	run.names[out] = true
	return out
}

// finish closes the ZIP, moves it to its final name and marks the pack
// ready, with its audit event.
func (p *Packer) finish(ctx context.Context, pk *db.Pack, f *os.File, run *zipRun, dir string) error {
	if err := run.zw.Close(); err != nil {
		return fmt.Errorf("pack file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("pack file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("pack file: %w", err)
	}
	final := filepath.Join(dir, zipName)
	if err := os.Rename(filepath.Join(dir, partName), final); err != nil {
		return fmt.Errorf("pack file: %w", err)
	}
	_ = os.Remove(filepath.Join(dir, "index.csv.part"))
	expires := p.now().Add(p.ttl).UTC()
	pk.State, pk.FilePath, pk.Size, pk.ExpiresAt, pk.Done = db.PackReady, final, st.Size(), &expires, pk.Total
	if err := p.db.UpdatePack(ctx, pk); err != nil {
		return err
	}
	p.log.Info("evidence pack ready", "pack_id", pk.ID, "company_id", pk.CompanyID, "bytes", st.Size())
	return p.db.Audit(ctx, db.AuditEvent{Action: db.AuditPackReady, CompanyID: &pk.CompanyID, Actor: "evidence pack",
		Target: PeriodOf(pk).String() + " #" + strconv.FormatInt(pk.ID, 10), Detail: "bytes=" + strconv.FormatInt(st.Size(), 10)})
}

// countDocuments counts the documents the vouchers file names.
func countDocuments(path string) (int, error) {
	n := 0
	for e, err := range entries(path) {
		if err != nil {
			return 0, err
		}
		n += len(e.Docs)
	}
	return n, nil
}

// safeName is a file name any unzip tool writes as one plain file: letters,
// digits, '.', '-' and '_', no leading dot, at most 150 bytes (keeping the
// extension).
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if out == "" {
		out = "document"
	}
	if len(out) > 150 {
		ext := filepath.Ext(out)
		if len(ext) > 10 {
			ext = ""
		}
		cut := 150 - len(ext)
		for cut > 0 && !utf8Start(out[cut]) {
			cut--
		}
		out = out[:cut] + ext
	}
	return out
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
