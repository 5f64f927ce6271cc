package connections_test

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/doccache/s3cache"
	"bilag/db/seal"
	"bilag/server/connections"
)

// Issue 18: with the cache in an object store, a document opened through
// one instance is a hit on another; and once any instance disconnects the
// company, no instance serves it (the status is read before every serve)
// and its objects leave the store.
func TestSharedCacheAcrossInstances(t *testing.T) {
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
	up := &connectortest.Upstream{Name: "full", GrantTTL: time.Hour, Now: e.clock.Now,
		Company: connectors.Company{ExternalID: "c1", Name: e.co.Name, OrgNumber: e.co.OrgNumber, Country: "SE"}}
	up.AddVoucher(connectors.Voucher{Ref: "v1", Number: "A1", Date: e.clock.Now()}, docPDF)
	c := connectortest.Full{Upstream: up}
	instance := func() *connections.Service {
		cache, err := s3cache.Open(s3cache.Config{Location: loc, AccessKey: "AK", SecretKey: "SK", MaxBytes: 1 << 20, Keys: keys,
			NameKey: seal.DeriveKey(secret, "names"), DB: e.d, Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := connections.New(connections.Options{DB: e.d, Connectors: map[string]connectors.Connector{"full": c}, Cache: cache, Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc.Close)
		return svc
	}
	a, b := instance(), instance()
	conn := e.connect("full", liveGrant(t, c))
	if err := e.d.UpsertVouchers(ctx, []db.Voucher{{CompanyID: e.co.ID, ConnectionID: conn.ID, Ref: "v1", Number: "A1", Date: e.clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	l, err := e.d.Vouchers(ctx, e.co.ID, db.VoucherFilter{PageSize: 10})
	if err != nil || len(l.Vouchers) != 1 {
		t.Fatalf("Vouchers() = %v, %v", l.Vouchers, err)
	}
	_, docs, err := a.LiveVoucher(ctx, e.co.ID, &l.Vouchers[0])
	if err != nil || len(docs) != 1 {
		t.Fatalf("LiveVoucher() = %v, %v; want one document", docs, err)
	}
	open := func(svc *connections.Service) (*connections.Document, error) {
		t.Helper()
		d, err := svc.OpenDocument(ctx, e.co.ID, &docs[0])
		if err != nil {
			return nil, err
		}
		got, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(got, docPDF) {
			t.Fatalf("document = %q, %v; want the upstream's", got, err)
		}
		if _, err := d.Close(true); err != nil {
			t.Fatal(err)
		}
		return d, nil
	}
	if d, err := open(a); err != nil || d.Cached {
		t.Fatalf("first open on instance A: %v, cached %v; want a miss", err, d != nil && d.Cached)
	}
	opens := up.Calls(connectortest.OpOpen)
	if d, err := open(b); err != nil || !d.Cached {
		t.Fatalf("open on instance B: %v; want a hit from the shared cache", err)
	}
	if n := up.Calls(connectortest.OpOpen); n != opens {
		t.Errorf("instance B asked the upstream again (%d opens, want %d)", n, opens)
	}

	// A third instance disconnects: only the database knows.
	if _, err := e.d.Disconnect(ctx, conn.ID, nil); err != nil {
		t.Fatal(err)
	}
	if d, err := b.OpenDocument(ctx, e.co.ID, &docs[0]); !errors.Is(err, db.ErrNeedsReapproval) {
		if d != nil {
			d.Close(false)
		}
		t.Errorf("OpenDocument on B after the disconnect = %v; want ErrNeedsReapproval", err)
	}
	if n := up.Calls(connectortest.OpOpen); n != opens {
		t.Error("the upstream was asked for the document after the disconnect")
	}
	raw, err := minio.New(loc.Endpoint, &minio.Options{Creds: credentials.NewStaticV4("AK", "SK", ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	for o := range raw.ListObjects(ctx, "bilag", minio.ListObjectsOptions{Recursive: true}) {
		t.Errorf("object %q (%v) still in the store after the disconnect", o.Key, o.Err)
	}
	if n, entries, err := e.d.CacheObjectBytes(ctx); err != nil || entries != 0 {
		t.Errorf("cache index after the disconnect: %d entries (%d bytes), %v; want none", entries, n, err)
	}
}
