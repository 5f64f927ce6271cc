// Package connections is the work done to a company's connection, without
// HTTP: approving a fresh grant, keeping it fresh, syncing the voucher index,
// reading a voucher live and opening its documents. The web server and the
// command line both drive it; which connectors exist is told to it, never
// known by it.
package connections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/server/metrics"
)

// Options are what a Service is built from.
type Options struct {
	DB *db.DB
	// Connectors by name.
	Connectors map[string]connectors.Connector
	// Countries are the ISO 3166-1 countries each connector's system serves,
	// by connector name; a connector without an entry is offered nowhere.
	Countries map[string][]string
	// Companions name, by connector, the connector a consent link may
	// approve after it as its second step (e-conomic's export after its
	// reading); a pair one of whose connectors is not in Connectors is
	// dropped. A companion is offered only as a second step.
	Companions map[string]string
	// Cache keeps opened documents (on disk, or in an object store shared
	// by instances); nil disables caching.
	Cache doccache.Store
	// Metrics records Prometheus metrics; nil turns them off.
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	// Notifier hears of approvals, failed links, ended connections and
	// failed syncs; nil is nobody (see also SetNotifier).
	Notifier Notifier
	// Prefetch bounds what a view of a voucher list fetches ahead.
	Prefetch PrefetchLimits
	// PairingWait is how long the pairing page waits for the target's
	// lists (a person is waiting); 0 means 15 seconds.
	PairingWait time.Duration
}

// Service does the work on connections. It is safe for concurrent use.
type Service struct {
	db *db.DB
	// rows reads companies' connections: db, or in a test a double that
	// counts the reads (a document open reads them once).
	rows       connectionRows
	connectors map[string]connectors.Connector
	countries  map[string][]string
	companions map[string]string
	cache      doccache.Store
	metrics    *metrics.Metrics
	log        *slog.Logger
	now        func() time.Time
	// bg bounds background syncs; Close cancels it and waits.
	bg       context.Context
	bgcancel context.CancelFunc
	wg       sync.WaitGroup
	breaker  breaker
	notifier atomic.Pointer[notifierRef]

	// Fetching documents ahead (prefetch.go): the limits, each company's
	// running prefetch, the documents in flight.
	prefetch    PrefetchLimits
	pairingWait time.Duration
	prefetchMu  sync.Mutex
	prefetching map[int64]*prefetchRun
	pwg         sync.WaitGroup
	flights     flights

	// The cache purges this instance has applied (offboard.go): through
	// the one with this id.
	purgeMu       sync.Mutex
	purgedThrough int64
}

// connectionRows is the read of companies' connections.
type connectionRows interface {
	ConnectionsForCompanies(ctx context.Context, companyIDs []int64) ([]db.Connection, error)
}

// New builds a Service.
func New(opt Options) (*Service, error) {
	if opt.DB == nil {
		return nil, errors.New("connections: DB is required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.PairingWait <= 0 {
		opt.PairingWait = 15 * time.Second
	}
	if c, ok := opt.Cache.(*doccache.Cache); ok && c == nil {
		opt.Cache = nil // a nil disk cache is no cache, not a broken one
	}
	s := &Service{db: opt.DB, rows: opt.DB, connectors: opt.Connectors, countries: opt.Countries, cache: opt.Cache, metrics: opt.Metrics, log: opt.Logger, now: opt.Now,
		prefetch: opt.Prefetch.withDefaults(), pairingWait: opt.PairingWait, prefetching: make(map[int64]*prefetchRun)}
	s.companions = map[string]string{}
	for name, then := range opt.Companions {
		if opt.Connectors[name] != nil && opt.Connectors[then] != nil && then != name {
			s.companions[name] = then
		}
	}
	s.SetNotifier(opt.Notifier)
	s.bg, s.bgcancel = context.WithCancel(context.Background())
	return s, nil
}

// Close stops background syncs and waits for them.
func (s *Service) Close() {
	s.bgcancel()
	s.wg.Wait()
}

// Wait waits for the background syncs started so far, without stopping
// them.
func (s *Service) Wait() { s.wg.Wait() }

// Connector is the registered connector of that name, nil when there is none.
func (s *Service) Connector(name string) connectors.Connector { return s.connectors[name] }

// Companion is the connector a link for name may approve as its second
// step, "" for none.
func (s *Service) Companion(name string) string { return s.companions[name] }

// isCompanion reports whether name is another connector's companion.
func (s *Service) isCompanion(name string) bool {
	for _, then := range s.companions {
		if then == name {
			return true
		}
	}
	return false
}

// Offered names the connectors a company of country may be connected
// through, in name order. A companion is not among them: it is approved
// as the second step of a link for its connector.
func (s *Service) Offered(country string) []string {
	var out []string
	for name := range s.connectors {
		if slices.Contains(s.countries[name], country) && !s.isCompanion(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Names are every connector's name, sorted.
func (s *Service) Names() []string {
	out := slices.Collect(maps.Keys(s.connectors))
	slices.Sort(out)
	return out
}

// Current is the company's connection, whichever connector it uses;
// db.ErrNotFound when the company was never connected.
func (s *Service) Current(ctx context.Context, companyID int64) (*db.Connection, error) {
	cur, err := s.CurrentConnections(ctx, []int64{companyID})
	if err != nil {
		return nil, err
	}
	if c, ok := cur[companyID]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("connection of company %d: %w", companyID, db.ErrNotFound)
}

// CurrentConnections is Current for many companies at once; a company
// never connected has no entry. A company has at most one active reading
// connection (where its vouchers and documents come from), and an
// import-only one may sit beside it: the reading one is current, active
// before ended, the one approved last before older ones.
func (s *Service) CurrentConnections(ctx context.Context, companyIDs []int64) (map[int64]*db.Connection, error) {
	conns, err := s.rows.ConnectionsForCompanies(ctx, companyIDs)
	if err != nil {
		return nil, err
	}
	return s.current(conns), nil
}

// current picks each company's current connection among conns.
func (s *Service) current(conns []db.Connection) map[int64]*db.Connection {
	cur := make(map[int64]*db.Connection, len(conns))
	for i := range conns {
		c := &conns[i]
		if old, ok := cur[c.CompanyID]; !ok || s.moreCurrent(c, old) {
			cur[c.CompanyID] = c
		}
	}
	return cur
}

// currentFor is Current for a read of something found through the
// company's connection connID (a voucher, a document), with connID's
// connector, from the same read of the company's connections. The current
// connection does the read; connID's connector names its failure
// (UpstreamError), "" when the company has no connection connID.
func (s *Service) currentFor(ctx context.Context, companyID, connID int64) (cur *db.Connection, connector string, err error) {
	conns, err := s.rows.ConnectionsForCompanies(ctx, []int64{companyID})
	if err != nil {
		return nil, "", err
	}
	for _, c := range conns {
		if c.ID == connID {
			connector = c.Connector
		}
	}
	cur, ok := s.current(conns)[companyID]
	if !ok {
		return nil, "", fmt.Errorf("connection of company %d: %w", companyID, db.ErrNotFound)
	}
	return cur, connector, nil
}

func (s *Service) moreCurrent(a, b *db.Connection) bool {
	if ra, rb := s.Reads(a), s.Reads(b); ra != rb {
		return ra
	}
	if (a.Status == db.ConnActive) != (b.Status == db.ConnActive) {
		return a.Status == db.ConnActive
	}
	if !a.ApprovedAt.Equal(b.ApprovedAt) {
		return a.ApprovedAt.After(b.ApprovedAt)
	}
	return a.ID > b.ID
}

// active is the company's connection, if it can be used now.
func (s *Service) active(ctx context.Context, companyID int64) (*db.Connection, error) {
	conn, err := s.Current(ctx, companyID)
	if err != nil {
		return nil, err
	}
	if err := usable(conn); err != nil {
		return nil, err
	}
	return conn, nil
}

// usable is db.ErrNeedsReapproval for a connection that cannot be used now.
func usable(conn *db.Connection) error {
	if conn.Status != db.ConnActive {
		return fmt.Errorf("connection %d is %s: %w", conn.ID, conn.Status, db.ErrNeedsReapproval)
	}
	return nil
}

// use runs op with a usable grant of conn. It is the one place that decides
// a connection has ended: whatever says connectors.ErrGrantRevoked (a
// refresh refused, an ordinary call refused for good) ends it here.
func (s *Service) use(ctx context.Context, conn *db.Connection, op func(ctx context.Context, g connectors.Grant) error) error {
	return s.useWithin(ctx, conn, refreshMargin, op)
}

// useWithin is use with a grant valid for at least margin.
func (s *Service) useWithin(ctx context.Context, conn *db.Connection, margin time.Duration, op func(ctx context.Context, g connectors.Grant) error) error {
	g, err := s.grant(ctx, conn, margin)
	if err == nil {
		err = op(ctx, g)
	}
	if errors.Is(err, connectors.ErrGrantRevoked) {
		s.end(ctx, conn, err)
	}
	return err
}

// end marks conn as needing re-approval, once however many requests saw
// its grant die, with one audit row.
func (s *Service) end(ctx context.Context, conn *db.Connection, cause error) {
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	failure := failureOf(cause)
	if v := s.breaker.record(conn.Connector, failure, conn.ID, s.now()); v.hold {
		if v.justTripped {
			s.log.Error("configuration error: connections of one connector are refused alike; not marking them for re-approval",
				"connector", conn.Connector, "connections", len(v.takeBack)+1, "within", breakerWindow, "failure", failure)
			for _, id := range v.takeBack {
				s.revive(bg, id, failure)
			}
		}
		return
	}
	ended, err := s.db.EndConnection(bg, conn.ID, cause.Error())
	if err != nil {
		s.log.Error("end connection", "connection_id", conn.ID, "err", err)
		return
	}
	if !ended {
		return
	}
	s.forgetDocuments(conn)
	s.log.Warn("connection needs re-approval", "company_id", conn.CompanyID, "connection_id", conn.ID, "connector", conn.Connector, "err", cause)
	_ = s.db.Audit(bg, db.AuditEvent{Action: db.AuditConnectionEnded, CompanyID: &conn.CompanyID, Actor: conn.Connector,
		Target: conn.Connector, Detail: cause.Error()})
	s.notify(bg, Event{Kind: db.NotifyReapproval, CompanyID: conn.CompanyID, Connection: conn, Reason: failure})
}

// revive takes back the end of connection id, which the breaker found to
// be a misconfiguration of Bilag's.
func (s *Service) revive(ctx context.Context, id int64, failure string) {
	c, err := s.db.ConnectionByID(ctx, id)
	if err == nil {
		err = s.db.ReviveConnection(ctx, id)
	}
	if err != nil {
		s.log.Error("take back the end of a connection", "connection_id", id, "err", err)
		return
	}
	_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditConnectionRevived, CompanyID: &c.CompanyID, Actor: c.Connector,
		Target: c.Connector, Detail: "misconfiguration suspected: " + failure})
}
