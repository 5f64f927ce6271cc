package connections_test

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/db/doccache/s3cache"
	"bilag/db/seal"
	"bilag/server/connections"
)

// Offboarding on instance A revokes the grant, deletes the index and A's
// cached copy at once; instance B, with a cache of its own, deletes its
// copy when it applies the purge, and serves the document no more.
func TestOffboardPurgesEveryInstance(t *testing.T) {
	e := newDocEnv(t)
	ctx := t.Context()
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{4}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cacheB, err := doccache.Open(t.TempDir(), 1<<20, keys)
	if err != nil {
		t.Fatal(err)
	}
	b, err := connections.New(connections.Options{DB: e.d, Connectors: map[string]connectors.Connector{"full": e.c}, Cache: cacheB, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if _, err := e.open(); err != nil {
		t.Fatal(err)
	}
	d, err := b.OpenDocument(ctx, e.co.ID, &e.doc)
	if err != nil {
		t.Fatal(err)
	}
	d.Close(true)

	r, err := e.svc.Offboard(ctx, e.co.ID, db.AuditEvent{Actor: "admin@firm.test"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ended != 1 || r.Revoked != 1 || r.Cached != 1 || r.Vouchers != 1 || r.Documents != 1 {
		t.Errorf("Offboard() = %+v; want one connection ended and revoked, one cached document, one voucher and document", r)
	}
	if n, err := e.d.CountVouchers(ctx, e.co.ID); err != nil || n != 0 {
		t.Errorf("vouchers after offboarding = %d, %v", n, err)
	}
	if _, _, _, ok, _ := cacheB.Get(cacheKeyOf(t, e)); !ok {
		t.Fatal("B's copy went before B applied the purge: the test proves nothing")
	}
	if n, err := b.ApplyCachePurges(ctx); err != nil || n != 1 {
		t.Errorf("B applying the purge = %d, %v; want its one copy deleted", n, err)
	}
	if _, _, _, ok, _ := cacheB.Get(cacheKeyOf(t, e)); ok {
		t.Error("B still caches the offboarded company's document")
	}
	if n, err := b.ApplyCachePurges(ctx); err != nil || n != 0 {
		t.Errorf("B applying again = %d, %v; want nothing more", n, err)
	}
	if _, err := b.OpenDocument(ctx, e.co.ID, &e.doc); !errors.Is(err, db.ErrNeedsReapproval) {
		t.Errorf("OpenDocument on B after offboarding = %v; want ErrNeedsReapproval", err)
	}
}

// cacheKeyOf finds the one key cached of e's company, through the prefix
// both instances use (connector/company/).
func cacheKeyOf(t *testing.T, e *docEnv) string {
	t.Helper()
	return connections.CacheKeyForTest(e.conn, &e.doc)
}

// With the cache shared in an object store, offboarding removes the
// company's objects and their index rows.
func TestOffboardSharedCache(t *testing.T) {
	e := newLCEnv(t)
	ctx := t.Context()
	backend := s3mem.New()
	if err := backend.CreateBucket("bilag"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	secret := bytes.Repeat([]byte{3}, 32)
	keys, err := seal.NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := s3cache.ParseURL("s3://bilag/docs?endpoint=" + ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := s3cache.Open(s3cache.Config{Location: loc, AccessKey: "AK", SecretKey: "SK", MaxBytes: 1 << 20, Keys: keys,
		NameKey: seal.DeriveKey(secret, "names"), DB: e.d, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cache.Put(ctx, "full/"+strconv.FormatInt(e.co.ID, 10)+"/1/attachment/d1", doccache.Meta{ContentType: "application/pdf"}, bytes.NewReader(docPDF)); err != nil {
		t.Fatal(err)
	}
	svc, err := connections.New(connections.Options{DB: e.d, Cache: cache, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	e.connect("full", connectors.Grant{Data: []byte("g"), Expiry: e.clock.Now().Add(time.Hour)})
	r, err := svc.Offboard(ctx, e.co.ID, db.AuditEvent{Actor: "admin@firm.test"})
	if err != nil || r.Cached != 1 {
		t.Fatalf("Offboard() = %+v, %v; want the one cached document deleted", r, err)
	}
	raw, err := minio.New(loc.Endpoint, &minio.Options{Creds: credentials.NewStaticV4("AK", "SK", ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	for o := range raw.ListObjects(ctx, "bilag", minio.ListObjectsOptions{Recursive: true}) {
		t.Errorf("object %q (%v) still in the store after offboarding", o.Key, o.Err)
	}
	if n, entries, err := e.d.CacheObjectBytes(ctx); err != nil || entries != 0 {
		t.Errorf("cache index after offboarding: %d entries (%d bytes), %v; want none", entries, n, err)
	}
}

// A sync running when the company is offboarded: the offboarding waits
// for it to stop, so no page it read lands in the index after the delete.
func TestOffboardWaitsForARunningSync(t *testing.T) {
	e := newLCEnv(t)
	ctx := t.Context()
	up := &connectortest.Upstream{Name: "reader"}
	up.AddVoucher(connectors.Voucher{Ref: "v1", Number: "A1", Date: e.clock.Now()})
	r := gatedReader{Bare: connectortest.Bare{U: up}, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	svc := e.service(map[string]connectors.Connector{"reader": r})
	conn := e.connect("reader", liveGrant(t, r))
	if err := svc.StartSync(conn); err != nil {
		t.Fatal(err)
	}
	<-r.entered
	var once sync.Once
	openGate := func() { once.Do(func() { close(r.gate) }) }
	t.Cleanup(openGate) // before the service's Close, which waits for the sync
	done := make(chan error, 1)
	go func() {
		_, err := svc.Offboard(ctx, e.co.ID, db.AuditEvent{Actor: "admin@firm.test"})
		done <- err
	}()
	for {
		c, err := e.d.ConnectionByID(ctx, conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status == db.ConnDisconnected {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("Offboard() = %v before the running sync stopped", err)
	case <-time.After(50 * time.Millisecond):
	}
	openGate()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	svc.Wait()
	if n, err := e.d.CountVouchers(ctx, e.co.ID); err != nil || n != 0 {
		t.Errorf("vouchers after offboarding during a sync = %d, %v; want 0", n, err)
	}
}
