// Package evidence builds evidence packs: one company's bookkeeping for a
// period in the country's standard file, every document behind its
// vouchers, and an index of them with their hashes and who at the firm
// opened them, in one ZIP. A pack is a background job: it reads the
// period's vouchers from the upstream into a file on disk, then streams
// the ZIP from that file, so memory stays bounded however large the
// period; it continues after a restart from what it has on disk.
package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
	"bilag/connectors/orgnr"
	"bilag/db"
	"bilag/server/evidence/book"
	"bilag/server/evidence/journal"
)

// DefaultTTL is how long a ready pack stays downloadable.
const DefaultTTL = 7 * 24 * time.Hour

// WriteFunc writes a standard file of a book: the shape of sie.Write,
// saft.Write and journal.Write.
type WriteFunc func(ctx context.Context, w io.Writer, b book.Book) error

// Writers are the standard files' writers. A nil writer falls back to the
// journal, so that a pack is never without its bookkeeping.
type Writers struct {
	SIE  WriteFunc // Sweden: SIE 4E
	SAFT WriteFunc // Norway: SAF-T Financial 1.30
	// DanishSAFT writes Denmark's SAF-T where a Danish schema is
	// supported; nil gives Danish companies the journal.
	DanishSAFT WriteFunc
}

// Document is an opened document: read it, then Close it, saying whether
// every byte was read (connections.Document).
type Document interface {
	io.Reader
	Close(complete bool) (sha string, err error)
}

// Upstream is what a pack reads through the company's connection
// (connections.Service, by ServiceUpstream). Every call is made under the
// background caller the pack's context carries.
type Upstream interface {
	LiveVoucher(ctx context.Context, companyID int64, v *db.Voucher) ([]connectors.VoucherRow, []db.VoucherDocument, error)
	OpenDocument(ctx context.Context, companyID int64, doc *db.VoucherDocument) (Document, error)
	Ledger(ctx context.Context, companyID int64, from, to time.Time) (connectors.Ledger, error)
}

// Options are what a Packer is built from.
type Options struct {
	DB       *db.DB
	Upstream Upstream
	Writers  Writers
	// Dir holds each pack's working files and its ZIP.
	Dir string
	// TTL is how long a ready pack stays; 0 is DefaultTTL.
	TTL    time.Duration
	Now    func() time.Time
	Logger *slog.Logger
	// Software names Bilag and its version in the standard files.
	Software string
}

// Packer builds packs in the background. It is safe for concurrent use.
type Packer struct {
	db       *db.DB
	up       Upstream
	writers  Writers
	dir      string
	ttl      time.Duration
	now      func() time.Time
	log      *slog.Logger
	software string

	bg       context.Context
	bgcancel context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	running  map[int64]bool
}

// New builds a Packer.
func New(opt Options) (*Packer, error) {
	if opt.DB == nil || opt.Upstream == nil || opt.Dir == "" {
		return nil, errors.New("evidence: DB, Upstream and Dir are required")
	}
	if opt.TTL <= 0 {
		opt.TTL = DefaultTTL
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Software == "" {
		opt.Software = "Bilag"
	}
	p := &Packer{db: opt.DB, up: opt.Upstream, writers: opt.Writers, dir: opt.Dir, ttl: opt.TTL, now: opt.Now, log: opt.Logger,
		software: opt.Software, running: map[int64]bool{}}
	p.bg, p.bgcancel = context.WithCancel(context.Background())
	return p, nil
}

// Close stops the packs being built and waits for them; their work stays
// on disk for the next start.
func (p *Packer) Close() {
	p.bgcancel()
	p.wg.Wait()
}

// Wait waits for the packs started so far.
func (p *Packer) Wait() { p.wg.Wait() }

// TTL is how long a ready pack stays.
func (p *Packer) TTL() time.Duration { return p.ttl }

// ErrNoOrgNumber is a company whose standard file needs its organisation
// number (SAF-T's Header/Company/RegistrationNumber) while the firm's
// record of it has none: the pack is refused before anything is read.
var ErrNoOrgNumber = errors.New("evidence: the company's standard file needs its organisation number")

// Start queues a pack of the company for period and builds it in the
// background. by is the person who asked, for the pack and its audit.
func (p *Packer) Start(ctx context.Context, companyID int64, period Period, by db.AuditEvent) (*db.Pack, error) {
	co, err := p.db.Company(ctx, companyID)
	if err != nil {
		return nil, err
	}
	if err := p.checkCompany(co); err != nil {
		return nil, err
	}
	pk := &db.Pack{CompanyID: companyID, Period: period.Kind, PeriodFrom: period.From, PeriodTo: period.To, CreatedBy: by.UserID, CreatedByName: by.Actor}
	by.Action, by.CompanyID, by.Target = db.AuditPackCreate, &companyID, period.String()
	if err := p.db.CreatePack(ctx, pk, by); err != nil {
		return nil, err
	}
	p.launch(*pk)
	return pk, nil
}

// Retry queues a failed pack again: it continues from what it had read.
func (p *Packer) Retry(ctx context.Context, pk *db.Pack) error {
	if pk.State != db.PackFailed {
		return nil
	}
	pk.State, pk.Reason, pk.Error = db.PackQueued, "", ""
	if err := p.db.UpdatePack(ctx, pk); err != nil {
		return err
	}
	p.launch(*pk)
	return nil
}

// Resume starts every unfinished pack this process is not building (after
// a restart). A pack is claimed in the database first, so that of several
// instances one builds it.
func (p *Packer) Resume(ctx context.Context) error {
	ps, err := p.db.UnfinishedPacks(ctx)
	if err != nil {
		return err
	}
	for _, pk := range ps {
		p.launch(pk)
	}
	return nil
}

// Run resumes unfinished packs and sweeps expired ones every interval
// until ctx ends.
func (p *Packer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := p.Resume(ctx); err != nil {
			p.log.Warn("resume evidence packs", "err", err)
		}
		if _, err := p.Sweep(ctx); err != nil {
			p.log.Warn("sweep evidence packs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// claimTTL is how long one instance's claim on a pack lasts between its
// renewals (one per voucher or document, and at least every minute).
const claimTTL = 5 * time.Minute

func claimName(id int64) string { return "evidence-pack:" + strconv.FormatInt(id, 10) }

// launch builds pk in the background unless this process already is.
func (p *Packer) launch(pk db.Pack) {
	p.mu.Lock()
	if p.running[pk.ID] {
		p.mu.Unlock()
		return
	}
	p.running[pk.ID] = true
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		defer func() {
			p.mu.Lock()
			delete(p.running, pk.ID)
			p.mu.Unlock()
		}()
		if ok, err := p.db.ClaimJob(p.bg, claimName(pk.ID), claimTTL); err != nil || !ok {
			return // another instance builds it
		}
		p.build(p.bg, &pk)
	}()
}

// Sweep deletes the files of packs whose time ran out and marks them
// expired; it returns how many.
func (p *Packer) Sweep(ctx context.Context) (int, error) {
	ps, err := p.db.ExpiredPacks(ctx, p.now())
	if err != nil {
		return 0, err
	}
	for i := range ps {
		pk := &ps[i]
		if err := os.RemoveAll(p.packDir(pk.ID)); err != nil {
			p.log.Warn("delete expired evidence pack", "pack_id", pk.ID, "err", err)
			continue
		}
		pk.State, pk.FilePath = db.PackExpired, ""
		if err := p.db.UpdatePack(ctx, pk); err != nil {
			return i, err
		}
		p.log.Info("evidence pack expired", "pack_id", pk.ID, "company_id", pk.CompanyID)
	}
	return len(ps), nil
}

// packDir is where a pack's working files and ZIP are.
func (p *Packer) packDir(id int64) string {
	return filepath.Join(p.dir, "pack-"+strconv.FormatInt(id, 10))
}

// Open opens a ready pack's ZIP for download; db.ErrNotFound when it is
// not ready (or its file is gone).
func (p *Packer) Open(pk *db.Pack) (*os.File, error) {
	if pk.State != db.PackReady || pk.FilePath == "" {
		return nil, fmt.Errorf("pack %d is %s: %w", pk.ID, pk.State, db.ErrNotFound)
	}
	f, err := os.Open(pk.FilePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("pack %d's file: %w", pk.ID, db.ErrNotFound)
	}
	return f, err
}

// checkCompany refuses a company its standard file cannot be written for.
// The organisation number is the firm's record of the company (what the
// firm checked when it added it, and what consent links are bound to),
// not the upstream's.
func (p *Packer) checkCompany(co *db.Company) error {
	_, name := p.writerFor(co.Country)
	if name == "saf-t.xml" && strings.TrimSpace(co.OrgNumber) == "" {
		return fmt.Errorf("company %d: %w", co.ID, ErrNoOrgNumber)
	}
	return nil
}

// orgNumber is the company's organisation number as its country's
// standard file writes it: the normalised form (orgnr) when the firm's
// record is valid, else as recorded.
func orgNumber(co *db.Company) string {
	if n, err := orgnr.Validate(co.Country, co.OrgNumber); err == nil {
		return n
	}
	return strings.TrimSpace(co.OrgNumber)
}

// writerFor is the standard file of a country and its name in the ZIP.
func (p *Packer) writerFor(country string) (WriteFunc, string) {
	switch {
	case country == "SE" && p.writers.SIE != nil:
		return p.writers.SIE, "sie4e.se"
	case country == "NO" && p.writers.SAFT != nil:
		return p.writers.SAFT, "saf-t.xml"
	case country == "DK" && p.writers.DanishSAFT != nil:
		return p.writers.DanishSAFT, "saf-t.xml"
	}
	return journal.Write, "journal.csv"
}
