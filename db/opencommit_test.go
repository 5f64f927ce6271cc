package db

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"bilag/db/dbtest"
)

// gatedCommit is a commit that waits for its gate and says what it got.
type gatedCommit struct {
	entered chan int
	gate    chan error
}

func (g gatedCommit) commit(_ context.Context, batch []*openRecord) error {
	g.entered <- len(batch)
	return <-g.gate
}

// waitQueued waits until n records sit in the committer's queue.
func waitQueued(t *testing.T, g *groupCommit, n int) {
	t.Helper()
	for len(g.ch) < n {
		runtime.Gosched()
	}
}

// TestGroupCommitShares: records that arrive while a commit runs share the
// next one; each waiter returns only after its own commit, with its error.
func TestGroupCommitShares(t *testing.T) {
	gc := gatedCommit{entered: make(chan int), gate: make(chan error)}
	g := newGroupCommit(8, gc.commit)
	errs := make(chan error, 20)
	go func() { errs <- g.add(t.Context(), &openRecord{docID: 1}) }()
	if n := <-gc.entered; n != 1 {
		t.Fatalf("first batch = %d, want 1 (a lone record waits for no one)", n)
	}
	for i := range 5 {
		go func() { errs <- g.add(t.Context(), &openRecord{docID: int64(i + 2)}) }()
	}
	waitQueued(t, g, 5)
	select {
	case err := <-errs:
		t.Fatalf("a record returned before its commit: %v", err)
	default:
	}
	gc.gate <- nil
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if n := <-gc.entered; n != 5 {
		t.Fatalf("second batch = %d, want the 5 that waited", n)
	}
	boom := errors.New("disk full")
	gc.gate <- boom
	for range 5 {
		if err := <-errs; !errors.Is(err, boom) {
			t.Errorf("waiter got %v, want the failed commit's error", err)
		}
	}
	g.close()
}

// TestGroupCommitBounded: a batch holds at most max records.
func TestGroupCommitBounded(t *testing.T) {
	gc := gatedCommit{entered: make(chan int), gate: make(chan error)}
	g := newGroupCommit(4, gc.commit)
	var wg sync.WaitGroup
	wg.Go(func() { g.add(t.Context(), &openRecord{}) })
	<-gc.entered
	for range 6 {
		wg.Go(func() { g.add(t.Context(), &openRecord{}) })
	}
	waitQueued(t, g, 4) // the queue holds max; the other 2 wait to send
	gc.gate <- nil
	var sizes []int
	for total := 0; total < 6; {
		n := <-gc.entered
		sizes = append(sizes, n)
		total += n
		gc.gate <- nil
	}
	wg.Wait()
	for _, n := range sizes {
		if n > 4 {
			t.Errorf("batches %v: one is over 4", sizes)
		}
	}
	g.close()
}

// TestGroupCommitClose: Close lets what is queued commit, ends the
// committer, and refuses what comes after.
func TestGroupCommitClose(t *testing.T) {
	gc := gatedCommit{entered: make(chan int), gate: make(chan error)}
	g := newGroupCommit(8, gc.commit)
	errs := make(chan error, 3)
	go func() { errs <- g.add(t.Context(), &openRecord{}) }()
	<-gc.entered
	go func() { errs <- g.add(t.Context(), &openRecord{}) }()
	waitQueued(t, g, 1)
	closed := make(chan struct{})
	go func() { g.close(); close(closed) }()
	gc.gate <- nil
	<-gc.entered
	gc.gate <- nil
	<-closed
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("queued record: %v", err)
		}
	}
	select {
	case <-g.done:
	default:
		t.Error("the committer still runs after Close")
	}
	if err := g.add(t.Context(), &openRecord{}); !errors.Is(err, ErrClosed) {
		t.Errorf("add after Close = %v, want ErrClosed", err)
	}
	// Closing one never started, or twice, is harmless.
	newGroupCommit(1, gc.commit).close()
	g.close()
}

// TestGroupCommitWaiterGivesUp: a waiter whose context ends returns; the
// others' commit goes on.
func TestGroupCommitWaiterGivesUp(t *testing.T) {
	gc := gatedCommit{entered: make(chan int), gate: make(chan error)}
	g := newGroupCommit(8, gc.commit)
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error, 1)
	go func() { errs <- g.add(ctx, &openRecord{}) }()
	<-gc.entered
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Errorf("given up: %v", err)
	}
	gc.gate <- nil
	g.close()
}

// TestDocumentOpenedConcurrent: many opens at once, on both databases:
// every row is written, every hash kept, each open returns after its row
// is there; a commit that fails reaches every waiter of it.
func TestDocumentOpenedConcurrent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		d, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		g := d.gorm.WithContext(ctx)
		co := &Company{Name: "Dok AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
		must(t, g.Create(co).Error)
		const n = 60
		docs := make([]VoucherDocument, n)
		for i := range docs {
			docs[i] = VoucherDocument{CompanyID: co.ID, VoucherID: 1, Kind: "k", ExternalID: fmt.Sprint(i)}
		}
		must(t, g.Create(&docs).Error)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				sha := strings.Repeat(fmt.Sprintf("%x", i%16), 64)
				err := d.DocumentOpened(ctx, docs[i].ID, sha, int64(i), AuditEvent{Action: AuditDocumentOpen, CompanyID: &co.ID, Detail: fmt.Sprint(i)})
				if err == nil {
					// Durable when it returns: another connection sees it.
					var c int64
					err = g.Model(&AuditEvent{}).Where("detail = ?", fmt.Sprint(i)).Count(&c).Error
					if err == nil && c != 1 {
						err = fmt.Errorf("open %d: %d rows after it returned", i, c)
					}
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		var rows, hashed int64
		must(t, g.Model(&AuditEvent{}).Where("action = ?", AuditDocumentOpen).Count(&rows).Error,
			g.Model(&VoucherDocument{}).Where("sha256 <> '' AND size = CAST(external_id AS INTEGER)").Count(&hashed).Error)
		if rows != n || hashed != n {
			t.Errorf("%d audit rows and %d hashes, want %d each", rows, hashed, n)
		}

		// A commit that fails: every waiter hears of it.
		must(t, g.Exec("DROP TABLE audit_events").Error)
		for i := range 8 {
			wg.Go(func() {
				if err := d.DocumentOpened(ctx, docs[i].ID, "", 0, AuditEvent{Action: AuditDocumentOpen}); err == nil {
					t.Error("an open whose commit failed returned no error")
				}
			})
		}
		wg.Wait()
	})
}
