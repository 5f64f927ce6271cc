package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Document opens are recorded by group commit (issue 30): the audit rows
// (and first hashes) of opens that finish together are written in one
// transaction, where each had a transaction of its own, which was about a
// third of Bilag's own cost per open. Nothing is lost for it: an open
// returns only once the transaction holding its row has committed, and a
// failed commit is every waiter's error.

// ErrClosed is returned for a record asked for after Close.
var ErrClosed = errors.New("database closed")

const (
	// openBatch bounds the rows of one transaction, so that a burst does
	// not hold SQLite's one writer for long.
	openBatch = 64
	// openCommitTimeout bounds one shared transaction. It is not a
	// waiter's context: one reader who went away must not undo the others.
	openCommitTimeout = 30 * time.Second
)

// openRecord is one open waiting for its transaction.
type openRecord struct {
	docID int64
	sha   string
	size  int64
	e     AuditEvent
	done  chan error
}

// groupCommit is the committer: a goroutine that takes what is queued,
// up to max, commits it, answers every waiter, and goes on; it flushes as
// soon as it is idle, so a lone open waits for no one.
type groupCommit struct {
	commit func(ctx context.Context, batch []*openRecord) error
	max    int
	ch     chan *openRecord
	// mu makes Close wait for senders: none sends on a closed channel.
	mu      sync.RWMutex
	closed  bool
	started sync.Once
	done    chan struct{}
}

func newGroupCommit(max int, commit func(ctx context.Context, batch []*openRecord) error) *groupCommit {
	return &groupCommit{commit: commit, max: max, ch: make(chan *openRecord, max), done: make(chan struct{})}
}

// add queues r and waits until its transaction commits, or ctx ends.
func (g *groupCommit) add(ctx context.Context, r *openRecord) error {
	r.done = make(chan error, 1)
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrClosed
	}
	g.started.Do(func() { go g.run() })
	g.ch <- r
	g.mu.RUnlock()
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("waiting for the record to commit: %w", ctx.Err())
	}
}

func (g *groupCommit) run() {
	defer close(g.done)
	batch := make([]*openRecord, 0, g.max)
	for r := range g.ch {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < g.max {
			select {
			case r, ok := <-g.ch:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), openCommitTimeout)
		err := g.commit(ctx, batch)
		cancel()
		for _, r := range batch {
			r.done <- err
		}
		clear(batch)
	}
}

// close refuses new records, lets the queued ones commit and waits for the
// committer to end.
func (g *groupCommit) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	close(g.ch)
	g.mu.Unlock()
	started := true
	g.started.Do(func() { started = false })
	if started {
		<-g.done
	}
}

// DocumentOpened records an open: the audit event and, when the bytes were
// read whole (sha not empty), their hash and size, in a transaction it
// may share with other opens. It returns once that transaction committed.
func (d *DB) DocumentOpened(ctx context.Context, docID int64, sha string, size int64, e AuditEvent) error {
	e.At = d.now().UTC()
	e.Actor, e.Target, e.Detail = truncate(e.Actor, 254), truncate(e.Target, 254), truncate(e.Detail, 1000)
	if err := d.openLog.add(ctx, &openRecord{docID: docID, sha: sha, size: size, e: e}); err != nil {
		return fmt.Errorf("record open of document %d: %w", docID, err)
	}
	return nil
}

// commitOpens writes a batch of opens in one transaction.
func (d *DB) commitOpens(ctx context.Context, batch []*openRecord) (err error) {
	hash, err := d.hot.stmt(ctx, qDocumentHash)
	if err != nil {
		return err
	}
	insert, err := d.hot.stmt(ctx, qAuditInsert)
	if err != nil {
		return err
	}
	tx, err := d.hot.pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	hash, insert = tx.StmtContext(ctx, hash), tx.StmtContext(ctx, insert)
	for _, r := range batch {
		if r.sha != "" {
			if _, err := hash.ExecContext(ctx, r.sha, r.size, r.docID); err != nil {
				return fmt.Errorf("record hash of document %d: %w", r.docID, err)
			}
		}
		e := &r.e
		if _, err := insert.ExecContext(ctx, e.At, e.UserID, e.Actor, e.Action, e.CompanyID, e.Target, e.Detail, e.RemoteIP); err != nil {
			return fmt.Errorf("audit open of document %d: %w", r.docID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
