package connections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/doccache"
)

// The defaults of PrefetchLimits: the documents of a page of vouchers are
// a handful each, mostly small PDFs and photos.
const (
	DefaultPrefetchDocuments = 20
	DefaultPrefetchBytes     = 64 << 20
	// prefetchWorkers fetch a page's documents side by side, so that
	// they are in before the person has chosen a voucher.
	prefetchWorkers = 4
	// prefetchTimeout bounds one page view's prefetch, budget waits
	// included: a person who has not clicked by then has moved on.
	prefetchTimeout = 2 * time.Minute
)

// PrefetchLimits bound what one view of a voucher list fetches ahead.
type PrefetchLimits struct {
	// Documents is the most documents fetched (0: the default; < 0: none).
	Documents int
	// Bytes is the most bytes fetched; a document that would pass it is
	// dropped (0: the default).
	Bytes int64
}

func (l PrefetchLimits) withDefaults() PrefetchLimits {
	if l.Documents == 0 {
		l.Documents = DefaultPrefetchDocuments
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultPrefetchBytes
	}
	return l
}

// flight is a document being fetched from the upstream into the cache.
type flight struct {
	prefetch bool
	// streaming: the upstream is sending the bytes; before that a
	// prefetch may still be waiting for its turn in the rate budget.
	streaming atomic.Bool
	cancel    context.CancelFunc
	done      chan struct{}
}

// flights are the documents in flight on this instance, by cache key, so
// that no document is fetched twice at once.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// claim marks key in flight; nil when it already is.
func (fs *flights) claim(key string, prefetch bool, cancel context.CancelFunc) *flight {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.m == nil {
		fs.m = make(map[string]*flight)
	}
	if fs.m[key] != nil {
		return nil
	}
	f := &flight{prefetch: prefetch, cancel: cancel, done: make(chan struct{})}
	fs.m[key] = f
	return f
}

func (fs *flights) release(key string, f *flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.m[key] == f {
		delete(fs.m, key)
	}
	close(f.done)
}

func (fs *flights) get(key string) *flight {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.m[key]
}

// joinPrefetch is what a person's open does about a prefetch of the same
// document: wait for one that is already streaming (its copy will be in
// the cache), and call off one still waiting for its turn upstream, which
// the person's own fetch, first in the budget, overtakes.
func (s *Service) joinPrefetch(ctx context.Context, key string) {
	f := s.flights.get(key)
	if f == nil || !f.prefetch {
		return
	}
	if !f.streaming.Load() {
		f.cancel()
	}
	select {
	case <-f.done:
	case <-ctx.Done():
	}
}

// Prefetch starts fetching into the cache the documents of vouchers, a
// page of a company's voucher list a person is looking at, so that
// opening one of them finds its documents there. It returns at once; the
// work runs in the background within the limits, as background calls in
// the rate budget (people's opens go first). A newer page view of the same
// company calls off the older one's. The caller has checked that the
// person may open the company's documents and that the company wants
// prefetching. Nothing is audited: a prefetch is not an open.
func (s *Service) Prefetch(companyID int64, vouchers []db.Voucher) {
	lim := s.prefetch
	if lim.Documents < 0 || s.cache == nil {
		return
	}
	var want []db.Voucher
	for _, v := range vouchers {
		if v.HasDocuments {
			want = append(want, v)
		}
	}
	if len(want) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(s.bg, prefetchTimeout)
	ctx = connectors.WithBackoff(ctx, connectors.Backoff{Attempts: 2, Base: time.Second, Max: 5 * time.Second})
	ctx = connectors.WithCaller(ctx, connectors.PriorityBackground, strconv.FormatInt(companyID, 10))
	run := &prefetchRun{cancel: cancel}
	s.prefetchMu.Lock()
	if old := s.prefetching[companyID]; old != nil {
		old.cancel()
	}
	s.prefetching[companyID] = run
	s.prefetchMu.Unlock()
	s.wg.Add(1)
	s.pwg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.pwg.Done()
		defer cancel()
		n, err := s.prefetchPage(ctx, companyID, want, lim)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("prefetch documents", "company_id", companyID, "err", err)
		}
		s.log.Debug("prefetched documents", "company_id", companyID, "documents", n)
		s.prefetchMu.Lock()
		if s.prefetching[companyID] == run {
			delete(s.prefetching, companyID)
		}
		s.prefetchMu.Unlock()
	}()
}

// prefetchRun is one page view's prefetch.
type prefetchRun struct{ cancel context.CancelFunc }

// PrefetchWait waits for the prefetches started so far (tests and the
// bench; Close stops them).
func (s *Service) PrefetchWait() { s.pwg.Wait() }

// prefetchPage fetches the documents of vouchers in list order, within lim,
// and returns how many it cached.
func (s *Service) prefetchPage(ctx context.Context, companyID int64, vouchers []db.Voucher, lim PrefetchLimits) (int, error) {
	conn, err := s.active(ctx, companyID)
	if err != nil {
		return 0, err
	}
	dr, ok := s.connectors[conn.Connector].(connectors.DocumentReader)
	if _, serial := dr.(connectors.OneAtATime); !ok || serial || !s.Reads(conn) {
		return 0, nil
	}
	var (
		docsLeft  = int64(lim.Documents)
		bytesLeft atomic.Int64
		cached    atomic.Int64
		jobs      = make(chan db.VoucherDocument)
		wg        sync.WaitGroup
	)
	bytesLeft.Store(lim.Bytes)
	for range prefetchWorkers {
		wg.Go(func() {
			for doc := range jobs {
				ok, err := s.prefetchOne(ctx, conn, dr, &doc, &bytesLeft)
				if err != nil && ctx.Err() == nil {
					s.log.Debug("prefetch document", "company_id", companyID, "document_id", doc.ID, "err", err)
				}
				if ok {
					cached.Add(1)
				}
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	// Each voucher has a document at least, so the first Documents
	// vouchers are all that may be needed. What their documents are is
	// asked side by side; the documents then go in list order.
	var mine []*db.Voucher
	for i := range vouchers {
		if vouchers[i].ConnectionID == conn.ID && len(mine) < lim.Documents {
			mine = append(mine, &vouchers[i])
		}
	}
	docsOf := make([][]db.VoucherDocument, len(mine))
	var lookups sync.WaitGroup
	sem := make(chan struct{}, prefetchWorkers)
	for i, v := range mine {
		lookups.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			docs, err := s.db.VoucherDocuments(ctx, companyID, v.ID)
			if err == nil && len(docs) == 0 {
				// Never opened: ask the upstream which documents it
				// has, as the voucher's page would.
				_, docs, err = s.LiveVoucher(ctx, companyID, v)
			}
			if err != nil && ctx.Err() == nil {
				s.log.Debug("prefetch: documents of a voucher", "company_id", companyID, "voucher_id", v.ID, "err", err)
			}
			docsOf[i] = docs
		})
	}
	lookups.Wait()
	for _, docs := range docsOf {
		for _, d := range docs {
			if d.ContentType == connectors.ContentTypeRecord {
				continue // a page read when opened, no file to keep
			}
			if docsLeft <= 0 || bytesLeft.Load() <= 0 {
				return int(cached.Load()), nil
			}
			docsLeft--
			select {
			case jobs <- d:
			case <-ctx.Done():
				return int(cached.Load()), nil
			}
		}
	}
	return int(cached.Load()), nil
}

// errPrefetchTooBig ends a prefetch that would pass its page's bytes.
var errPrefetchTooBig = errors.New("prefetch: over the page's bytes")

// prefetchOne caches one document unless it is cached or in flight;
// true when it cached it.
func (s *Service) prefetchOne(ctx context.Context, conn *db.Connection, dr connectors.DocumentReader, doc *db.VoucherDocument, bytesLeft *atomic.Int64) (bool, error) {
	key := cacheKey(conn, doc)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := s.flights.claim(key, true, cancel)
	if f == nil {
		return false, nil
	}
	defer s.flights.release(key, f)
	if _, _, body, ok, _ := s.cache.Lookup(ctx, key); ok {
		body.Close()
		return false, nil
	}
	var stream *connectors.DocumentStream
	err := s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) (err error) {
		stream, err = dr.OpenDocument(ctx, g, connectors.Document{ID: doc.ExternalID, Kind: doc.Kind, FileName: doc.FileName, ContentType: doc.ContentType})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("open document %d: %w", doc.ID, err)
	}
	f.streaming.Store(true)
	defer stream.Body.Close()
	name := stream.FileName
	if name == "" {
		name = doc.FileName
	}
	e, err := s.cache.Begin(ctx, key, doccache.Meta{ContentType: stream.ContentType, FileName: name, Size: stream.Size})
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(e, &boundedReader{r: stream.Body, left: bytesLeft}); err != nil {
		e.Abort()
		return false, fmt.Errorf("fetch document %d: %w", doc.ID, err)
	}
	if _, err := e.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

// boundedReader reads r while a page's shared byte allowance lasts.
type boundedReader struct {
	r    io.Reader
	left *atomic.Int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 && b.left.Add(-int64(n)) < 0 {
		return n, errPrefetchTooBig
	}
	return n, err
}
