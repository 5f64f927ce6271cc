package connections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"bilag/connectors"
	"bilag/db"
)

const (
	// syncLease is how long a sync may go without extending its claim; a
	// crashed instance's sync is taken over after it.
	syncLease = 2 * time.Minute
	// syncPageSize is the page a sync asks for: the largest an upstream
	// is known to give, so that a sync takes few requests. A connector
	// may give less, or page its own way.
	syncPageSize = 1000
	// syncOverlap re-reads a little of what the last sync saw, because
	// upstream clocks and commit order are not exact; upserts make it safe.
	syncOverlap = 5 * time.Minute
	// fullSyncFor is how long a connection whose upstream refused the
	// incremental filter syncs in full before trying the filter again: a
	// full sync every hour would spend a large company's request quota.
	fullSyncFor = 24 * time.Hour
)

// ErrSyncRunning is returned when another sync of the connection runs.
var ErrSyncRunning = errors.New("connections: a sync of this connection is already running")

// ErrNoVouchers is returned for a connection whose connector reads no vouchers.
var ErrNoVouchers = errors.New("connections: the connector reads no vouchers")

// SyncResult is what one sync did.
type SyncResult struct {
	Full     bool
	Fetched  int
	Total    int
	Upserted int
}

// Reads reports whether conn's connector reads vouchers and their
// documents, which is what the voucher pages and syncing need.
func (s *Service) Reads(conn *db.Connection) bool {
	_, vr := s.connectors[conn.Connector].(connectors.VoucherReader)
	_, dr := s.connectors[conn.Connector].(connectors.DocumentReader)
	return vr && dr
}

// StartSync takes conn's sync lease now and syncs in the background,
// bounded by the service's life; ErrSyncRunning when a sync holds the
// lease (here or on another instance), so a second press of "Sync now"
// starts nothing and can say so.
func (s *Service) StartSync(conn *db.Connection) error {
	vr, ok := s.connectors[conn.Connector].(connectors.VoucherReader)
	if !ok {
		return fmt.Errorf("sync %s connection %d: %w", conn.Connector, conn.ID, ErrNoVouchers)
	}
	lease, err := s.takeSyncLease(s.bg, conn)
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if _, err := s.syncLeased(s.bg, vr, conn, lease); err != nil {
			s.log.Warn("background sync", "connection_id", conn.ID, "err", err)
		}
	}()
	return nil
}

func (s *Service) takeSyncLease(ctx context.Context, conn *db.Connection) (*db.SyncLease, error) {
	lease, err := s.db.TakeSyncLease(ctx, conn.ID, syncLease)
	if err != nil {
		return nil, err
	}
	if lease == nil {
		return nil, ErrSyncRunning
	}
	return lease, nil
}

// Sync brings a connection's voucher index up to date: fully the first
// time, then only what was modified since the last sync. Only one sync of
// a connection runs at a time, across goroutines and instances (a lease in
// the database); ErrSyncRunning when another holds it. Its calls retry
// within the background policy.
func (s *Service) Sync(ctx context.Context, conn *db.Connection) (SyncResult, error) {
	vr, ok := s.connectors[conn.Connector].(connectors.VoucherReader)
	if !ok {
		return SyncResult{}, fmt.Errorf("sync %s connection %d: %w", conn.Connector, conn.ID, ErrNoVouchers)
	}
	lease, err := s.takeSyncLease(ctx, conn)
	if err != nil {
		return SyncResult{}, err
	}
	return s.syncLeased(ctx, vr, conn, lease)
}

// syncLeased is Sync under a lease already taken; it releases it.
func (s *Service) syncLeased(ctx context.Context, vr connectors.VoucherReader, conn *db.Connection, lease *db.SyncLease) (SyncResult, error) {
	var res SyncResult
	ctx = connectors.WithBackoff(ctx, connectors.Background())
	// In the rate budget a sync waits behind people, taking turns with
	// other companies' syncs.
	ctx = connectors.WithCaller(ctx, connectors.PriorityBackground, strconv.FormatInt(conn.CompanyID, 10))
	state, err := s.db.SyncStateOf(ctx, conn.ID)
	if err != nil {
		s.db.ReleaseSyncLease(context.WithoutCancel(ctx), lease, nil)
		return res, err
	}
	res.Full = state.SyncedThrough == nil || (state.FullSyncUntil != nil && s.now().Before(*state.FullSyncUntil))
	if res.Full {
		state.SyncedThrough = nil
	}
	run := &db.SyncRun{CompanyID: conn.CompanyID, ConnectionID: conn.ID, Full: res.Full}
	if err := s.db.StartSyncRun(ctx, run); err != nil {
		s.db.ReleaseSyncLease(context.WithoutCancel(ctx), lease, nil)
		return res, err
	}
	started := s.now().UTC()
	err = s.syncPages(ctx, vr, conn, lease, state, run, &res)
	if err == nil {
		err = s.syncInvoiceStates(ctx, conn, state.SyncedThrough)
	}
	errText, reason := "", ""
	var through *time.Time
	if err != nil {
		errText, reason = err.Error(), syncReason(err)
	} else {
		t := started.Add(-syncOverlap)
		through = &t
	}
	bg := context.WithoutCancel(ctx)
	if ferr := s.db.FinishSyncRun(bg, run.ID, reason, errText); ferr != nil {
		s.log.Error("finish sync run", "run_id", run.ID, "err", ferr)
	}
	if rerr := s.db.ReleaseSyncLease(bg, lease, through); rerr != nil {
		s.log.Error("release sync lease", "connection_id", conn.ID, "err", rerr)
	}
	if err != nil {
		s.notify(bg, Event{Kind: db.NotifySyncFailing, CompanyID: conn.CompanyID, Connection: conn, Reason: reason})
	}
	s.log.Info("sync finished", "company_id", conn.CompanyID, "connection_id", conn.ID, "full", res.Full,
		"fetched", res.Fetched, "total", res.Total, "upserted", res.Upserted, "err", errText)
	return res, err
}

// syncReason is the class of a sync's failure that the company page puts
// in words.
func syncReason(err error) string {
	switch {
	case errors.Is(err, connectors.ErrGrantRevoked), errors.Is(err, db.ErrNeedsReapproval):
		return db.SyncReasonReapproval
	case errors.Is(err, connectors.ErrRateLimited):
		return db.SyncReasonRateLimited
	case errors.Is(err, context.Canceled):
		return db.SyncReasonStopped
	case errors.Is(err, connectors.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return db.SyncReasonUnavailable
	case errors.Is(err, connectors.ErrForbidden), errors.Is(err, connectors.ErrUnauthorized):
		return db.SyncReasonRefused
	}
	return db.SyncReasonOther
}

func (s *Service) syncPages(ctx context.Context, vr connectors.VoucherReader, conn *db.Connection, lease *db.SyncLease, state db.SyncState, run *db.SyncRun, res *SyncResult) error {
	if err := s.syncFiscalYears(ctx, conn); err != nil {
		return err
	}
	q := connectors.VoucherQuery{PageSize: syncPageSize}
	if state.SyncedThrough != nil {
		q.ModifiedSince = *state.SyncedThrough
	}
	for pages := 0; ; pages++ {
		var page connectors.VoucherPage
		err := s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) (err error) {
			page, err = vr.Vouchers(ctx, g, q)
			return err
		})
		if errors.Is(err, connectors.ErrFilterRejected) && !q.ModifiedSince.IsZero() {
			// The upstream cannot read "modified since": read everything,
			// and keep doing so for a while rather than fail every sync.
			s.log.Warn("upstream rejected the incremental sync filter; syncing in full", "company_id", conn.CompanyID,
				"connection_id", conn.ID, "connector", conn.Connector, "retry_filter_after", fullSyncFor, "err", err)
			if err := s.db.FallBackToFullSync(ctx, conn.ID, run.ID, s.now().Add(fullSyncFor)); err != nil {
				return err
			}
			res.Full = true
			q.ModifiedSince, q.Cursor = time.Time{}, ""
			pages = -1
			continue
		}
		if err != nil {
			return fmt.Errorf("read vouchers page %d: %w", pages+1, err)
		}
		batch := make([]db.Voucher, len(page.Vouchers))
		for i, v := range page.Vouchers {
			batch[i] = indexEntry(conn, v)
		}
		if err := s.db.UpsertVouchers(ctx, batch); err != nil {
			return err
		}
		res.Fetched += len(page.Vouchers)
		res.Upserted += len(batch)
		res.Total = max(page.Total, res.Fetched) // -1, when unknown, gives way
		if err := s.db.SyncProgress(ctx, run.ID, res.Fetched, res.Total, res.Upserted); err != nil {
			return err
		}
		s.metrics.SyncProgress(conn.CompanyID, res.Fetched, res.Total)
		if ok, err := s.db.ExtendSyncLease(ctx, lease, syncLease); err != nil || !ok {
			return fmt.Errorf("sync lease lost: %w", errors.Join(err, ErrSyncRunning))
		}
		if page.Next == "" || len(page.Vouchers) == 0 {
			return nil
		}
		q.Cursor = page.Next
	}
}

// syncFiscalYears keeps the company's fiscal years, when its upstream has
// them.
func (s *Service) syncFiscalYears(ctx context.Context, conn *db.Connection) error {
	fl, ok := s.connectors[conn.Connector].(connectors.FiscalYearLister)
	if !ok {
		return nil
	}
	var fys []connectors.FiscalYear
	err := s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) (err error) {
		fys, err = fl.FiscalYears(ctx, g)
		return err
	})
	if err != nil {
		return fmt.Errorf("read fiscal years: %w", err)
	}
	rows := make([]db.FiscalYear, len(fys))
	for i, fy := range fys {
		rows[i] = db.FiscalYear{CompanyID: conn.CompanyID, ConnectionID: conn.ID, ExternalID: fy.ID, StartDate: fy.StartDate, EndDate: fy.EndDate}
	}
	return s.db.UpsertFiscalYears(ctx, rows)
}

// syncInvoiceStates keeps the status and open sum of the customer invoices
// modified since the last sync (all, on a full one), when the connector
// reads them in one pass. An upstream that refuses the read (the company
// lacks the right) leaves them unknown rather than failing the sync.
func (s *Service) syncInvoiceStates(ctx context.Context, conn *db.Connection, since *time.Time) error {
	sr, ok := s.connectors[conn.Connector].(connectors.InvoiceStateReader)
	if !ok {
		return nil
	}
	var from time.Time
	if since != nil {
		from = *since
	}
	var states []connectors.InvoiceState
	err := s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) (err error) {
		states, err = sr.InvoiceStates(ctx, g, from)
		return err
	})
	if errors.Is(err, connectors.ErrForbidden) {
		s.log.Warn("invoice states not readable; left unknown", "company_id", conn.CompanyID, "connection_id", conn.ID, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read invoice states: %w", err)
	}
	rows := make([]db.InvoiceState, len(states))
	for i, st := range states {
		rows[i] = db.InvoiceState{Kind: st.Kind, ExternalID: st.ID, Status: st.Status, OpenSum: st.OpenSum}
	}
	return s.db.SetInvoiceStates(ctx, conn.CompanyID, conn.ID, rows)
}

// indexEntry turns an upstream voucher into its index entry: metadata only;
// the connector's Data is not kept (a voucher page re-reads the voucher).
func indexEntry(conn *db.Connection, v connectors.Voucher) db.Voucher {
	kind := v.Kind
	if kind == "" {
		kind = connectors.KindOther
	}
	return db.Voucher{
		CompanyID: conn.CompanyID, ConnectionID: conn.ID, Ref: v.Ref, FiscalYearID: v.FiscalYear, Number: v.Number, Series: v.Series,
		Date: v.Date, Text: v.Text, Amount: v.Amount, Kind: string(kind), UpstreamType: v.UpstreamType,
		HasDocuments: v.HasDocuments, ModifiedAt: v.ModifiedAt, DocsUnknown: v.DocumentsUnknown, Accounts: accountsOf(v.Rows),
		Dimensions: dimensionsOf(v.Rows),
	}
}

// dimensionsOf are the dimensions a voucher's rows are booked on, as the
// index keeps them for the vouchers filter (it keeps each once).
func dimensionsOf(rows []connectors.VoucherRow) []db.VoucherDimension {
	var out []db.VoucherDimension
	for _, r := range rows {
		for _, d := range r.Dimensions {
			out = append(out, db.VoucherDimension{Kind: string(d.Kind), Code: d.Code, Name: d.Name})
		}
	}
	return out
}

// accountsOf are the accounts a voucher's rows book on, as the index
// keeps them, for the missing-documents rules.
func accountsOf(rows []connectors.VoucherRow) string {
	as := make([]string, len(rows))
	for i, r := range rows {
		as[i] = r.Account
	}
	return db.JoinAccounts(as)
}

// ErrSyncAllRunning: a firm-wide sync is already running, on this
// instance or another; it is the answer to a second one.
var ErrSyncAllRunning = errors.New("connections: a firm-wide sync is already running")

// SyncAllBy says who started a firm-wide sync: a person at the firm, the
// schedule or the command line (db.SyncAll…), for its run's history.
type SyncAllBy struct {
	Trigger string
	By      string
}

// syncAllLease is how long the firm-wide sync's lease lasts unrenewed; it
// is renewed after each company, and a company's sync renews its own
// lease, so a crashed run frees the button within this.
const syncAllLease = 10 * time.Minute

// SyncAll syncs every active connection of an active company once, one
// run at a time across instances (ErrSyncAllRunning otherwise), recording
// each company's outcome in the run's history and calling report after
// each (report may be nil).
func (s *Service) SyncAll(ctx context.Context, by SyncAllBy, report func(co *db.Company, res SyncResult, err error)) error {
	run, lease, conns, err := s.beginSyncAll(ctx, by)
	if err != nil {
		return err
	}
	return s.runSyncAll(ctx, run, lease, conns, report)
}

// beginSyncAll takes the firm-wide sync's lease and records a run of the
// connections it will sync, each waiting.
func (s *Service) beginSyncAll(ctx context.Context, by SyncAllBy) (*db.SyncAllRun, *db.SyncAllLease, []db.Connection, error) {
	conns, err := s.readingConnections(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	ids := make([]int64, len(conns))
	for i, c := range conns {
		ids[i] = c.CompanyID
	}
	run, lease, err := s.db.StartSyncAll(ctx, by.Trigger, by.By, ids, syncAllLease)
	if err != nil {
		return nil, nil, nil, err
	}
	if run == nil {
		return nil, nil, nil, ErrSyncAllRunning
	}
	return run, lease, conns, nil
}

// runSyncAll syncs the connections of run, one after the other, and ends
// the run however it stops.
func (s *Service) runSyncAll(ctx context.Context, run *db.SyncAllRun, lease *db.SyncAllLease, conns []db.Connection, report func(*db.Company, SyncResult, error)) error {
	defer func() {
		if err := s.db.FinishSyncAll(ctx, run, lease); err != nil {
			s.log.Warn("finish sync-all run", "run_id", run.ID, "err", err)
		}
	}()
	for i := range conns {
		if err := s.syncOneOfAll(ctx, run, lease, &conns[i], report); err != nil {
			return err
		}
	}
	return nil
}

// readingConnections are the active connections whose connector reads
// vouchers: an import-only connection has no index to keep.
func (s *Service) readingConnections(ctx context.Context) ([]db.Connection, error) {
	conns, err := s.db.ActiveConnections(ctx)
	if err != nil {
		return nil, err
	}
	out := conns[:0]
	for _, c := range conns {
		if _, ok := s.connectors[c.Connector].(connectors.VoucherReader); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// syncOneOfAll syncs one company of a firm-wide run and records how it
// ended; an error stops the run (the context ended, or storage failed).
func (s *Service) syncOneOfAll(ctx context.Context, run *db.SyncAllRun, lease *db.SyncAllLease, conn *db.Connection, report func(*db.Company, SyncResult, error)) error {
	co, err := s.db.Company(ctx, conn.CompanyID)
	if err != nil {
		return err
	}
	res, serr := s.Sync(ctx, conn)
	status, reason, detail := db.SyncItemDone, "", ""
	switch {
	case errors.Is(serr, ErrSyncRunning):
		status = db.SyncItemSkipped
	case serr != nil:
		status, reason, detail = db.SyncItemFailed, syncReason(serr), serr.Error()
	}
	if err := s.db.SyncAllItemDone(context.WithoutCancel(ctx), run.ID, co.ID, status, reason, detail); err != nil {
		return err
	}
	if report != nil {
		report(co, res, serr)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if ok, err := s.db.ExtendSyncAllLease(ctx, lease, syncAllLease); err != nil || !ok {
		return cmp.Or(err, errors.New("connections: the sync-all lease was lost"))
	}
	return nil
}

// StartSyncAll runs SyncAll in the background, as the person by asked;
// ErrSyncAllRunning when a run already holds the lease. The run's history
// (db.LatestSyncAll) shows its progress.
func (s *Service) StartSyncAll(by string) error {
	run, lease, conns, err := s.beginSyncAll(s.bg, SyncAllBy{Trigger: db.SyncAllManual, By: by})
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.runSyncAll(s.bg, run, lease, conns, nil); err != nil {
			s.log.Warn("sync all", "run_id", run.ID, "err", err)
		}
	}()
	return nil
}
