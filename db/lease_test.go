package db

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db/dbtest"
	"bilag/db/seal"
)

// openLeaseTest opens a handle on url with clock and keys, as one process
// of several sharing the database.
func openLeaseTest(t *testing.T, url string, clock *dbtest.Clock, keys *seal.Keyring, log *slog.Logger) *DB {
	t.Helper()
	d, err := Open(t.Context(), url, Options{Keys: keys, Now: clock.Now, Logger: log})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestLease: a lease is taken, refused to a second owner while it runs,
// renewed by its owner, taken over when it runs out; the former owner's
// release then finds it not held and writes nothing.
func TestLease(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		clock := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		a := openLeaseTest(t, url, clock, nil, nil)
		b := openLeaseTest(t, url, clock, nil, nil)
		ctx := t.Context()
		// A sync_states row: a lease whose row take makes, and a column
		// (synced_through) for release to write.
		of := func(d *DB) lease {
			return lease{model: &SyncState{}, keyColumn: "connection_id", key: int64(7), owner: d.owner, ttl: time.Minute, insert: true}
		}
		take := func(name string, d *DB, want bool) {
			t.Helper()
			if ok, err := d.take(ctx, of(d)); err != nil || ok != want {
				t.Fatalf("%s: take() = %v, %v; want %v", name, ok, err, want)
			}
		}
		state := func() SyncState {
			t.Helper()
			s, err := a.SyncStateOf(ctx, 7)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}

		take("a takes a free lease", a, true)
		take("b while a holds it", b, false)
		clock.Advance(50 * time.Second)
		take("a renews its own", a, true)
		clock.Advance(50 * time.Second)
		take("b before the renewed lease runs out", b, false)
		clock.Advance(11 * time.Second)
		take("b after it ran out", b, true)
		take("a while b holds it", a, false)
		if s := state(); s.LeaseOwner != b.owner || s.LeaseUntil == nil || !s.LeaseUntil.Equal(clock.Now().Add(time.Minute)) {
			t.Errorf("row = {%q until %v}, want b's until %v", s.LeaseOwner, s.LeaseUntil, clock.Now().Add(time.Minute))
		}

		through := clock.Now().Add(-time.Hour)
		set := map[string]any{"synced_through": through}
		if held, err := a.release(ctx, of(a), set); err != nil || held {
			t.Errorf("release() by the former holder = %v, %v; want not held", held, err)
		}
		if ok, err := a.renew(ctx, of(a)); err != nil || ok {
			t.Errorf("renew() by the former holder = %v, %v; want false", ok, err)
		}
		if s := state(); s.LeaseOwner != b.owner || s.SyncedThrough != nil {
			t.Errorf("after the former holder's release: row = {%q, synced through %v}, want b's, nothing written", s.LeaseOwner, s.SyncedThrough)
		}
		if held, err := b.release(ctx, of(b), set); err != nil || !held {
			t.Errorf("release() by the holder = %v, %v; want held", held, err)
		}
		if s := state(); s.LeaseOwner != "" || s.LeaseUntil != nil || s.SyncedThrough == nil || !s.SyncedThrough.Equal(through) {
			t.Errorf("after release: row = {%q until %v, synced through %v}, want free, synced through %v", s.LeaseOwner, s.LeaseUntil, s.SyncedThrough, through)
		}
		take("a after the release", a, true)

		// once: a take of a token never renews, even with that token.
		once := lease{model: &SyncState{}, keyColumn: "connection_id", key: int64(8), owner: "token", ttl: time.Minute, insert: true, once: true}
		for i, want := range []bool{true, false} {
			if ok, err := a.take(ctx, once); err != nil || ok != want {
				t.Errorf("take(once) #%d = %v, %v; want %v", i+1, ok, err, want)
			}
		}
	})
}

// TestRefreshKeepsNoGrantAfterLosingItsLease: a refresh whose lease ran
// out and was taken over while the upstream answered stores nothing of its
// rotated grant, hands it to no one, and says so (the write fence). On
// SQLite FreshGrant refreshes this way; the fence is the same SQL on
// PostgreSQL, so it runs there too.
func TestRefreshKeepsNoGrantAfterLosingItsLease(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		clock := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		keys, err := seal.NewKeyring(bytes.Repeat([]byte{3}, 32))
		if err != nil {
			t.Fatal(err)
		}
		var logs syncBuffer
		a := openLeaseTest(t, url, clock, keys, slog.New(slog.NewTextHandler(&logs, nil)))
		b := openLeaseTest(t, url, clock, keys, nil)
		ctx := t.Context()
		connID := connectForTest(t, a, connectors.Grant{Data: []byte("old"), Expiry: clock.Now().Add(time.Hour)})
		clock.Advance(59 * time.Minute)

		g, done, err := a.refreshUnderLease(ctx, connID, 2*time.Minute, func(context.Context, connectors.Grant) (connectors.Grant, error) {
			// The upstream is slow: a's lease runs out and b takes it.
			clock.Advance(leaseTime + time.Second)
			if ok, err := b.take(ctx, b.grantLease(connID)); err != nil || !ok {
				t.Fatalf("b: take() of the run-out lease = %v, %v", ok, err)
			}
			return connectors.Grant{Data: []byte("rotated"), Expiry: clock.Now().Add(time.Hour)}, nil
		})
		if !errors.Is(err, ErrLeaseLost) || !done || g.Data != nil {
			t.Errorf("refreshUnderLease() = %q, %v, %v; want no grant, done, ErrLeaseLost", g.Data, done, err)
		}
		conn, err := b.ConnectionByID(ctx, connID)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := b.grantOf(conn)
		if err != nil || string(stored.Data) != "old" || conn.RefreshedAt != nil {
			t.Errorf("stored grant = %q (refreshed at %v), %v; want the old one, untouched", stored.Data, conn.RefreshedAt, err)
		}
		if conn.LeaseOwner != b.owner {
			t.Errorf("lease owner = %q, want b's %q still", conn.LeaseOwner, b.owner)
		}
		if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "save refreshed grant") {
			t.Errorf("log = %q, want an error about the refreshed grant", l)
		}
	})
}

// connectForTest stores g as the connection of a new company and returns
// its id.
func connectForTest(t *testing.T, d *DB, g connectors.Grant) int64 {
	t.Helper()
	ctx := t.Context()
	co := &Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	if err := d.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	l := &ConsentLink{CompanyID: co.ID, Connector: "fake", ExpectedOrgNumber: co.OrgNumber, CreatedByID: 1, ExpiresAt: d.now().Add(time.Hour)}
	if err := d.CreateLink(ctx, l, "link-secret"); err != nil {
		t.Fatal(err)
	}
	if err := d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
		t.Fatal(err)
	}
	conn := &Connection{CompanyID: co.ID, Connector: "fake", ExternalID: "c1", ExternalName: co.Name, OrgNumber: co.OrgNumber}
	if err := d.Connect(ctx, l.ID, conn, g); err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	return conn.ID
}

// syncBuffer is a bytes.Buffer a logger may write to from any goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
