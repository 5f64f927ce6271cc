package connections_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/server/connections"
)

// T3: an open of a TIFF scan reads the company's connections once, though
// it also looks for the scan's converted copy and, on a first open, keeps
// one: the opened document carries its connection and cache key. The
// server does the same per open (server/convert.go writeConverted).
func TestFirstOpenOfAScanReadsConnectionsOnce(t *testing.T) {
	e := newDocEnv(t)
	reads := connections.CountConnectionReads(e.svc)
	ctx := t.Context()
	png := []byte("\x89PNG\r\n\x1a\n a converted scan")
	for i, want := range []struct {
		cached, converted bool
	}{{false, false}, {true, true}} {
		reads.Store(0)
		d, err := e.svc.OpenDocument(ctx, e.co.ID, &e.doc)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		if d.Cached != want.cached || d.Connector != "full" || d.ConnectionID != e.conn.ID {
			t.Errorf("open %d: cached %v through %q %d, want cached %v through %q %d", i+1, d.Cached, d.Connector, d.ConnectionID, want.cached, "full", e.conn.ID)
		}
		if _, err := io.ReadAll(d); err != nil {
			t.Fatal(err)
		}
		body, size, ok := d.Converted(ctx)
		if ok != want.converted {
			t.Errorf("open %d: Converted() ok = %v, want %v", i+1, ok, want.converted)
		}
		if ok {
			got, err := io.ReadAll(body)
			body.Close()
			if err != nil || !bytes.Equal(got, png) || size != int64(len(png)) {
				t.Errorf("open %d: converted copy = %q (size %d), %v; want the one kept", i+1, got, size, err)
			}
		} else {
			d.KeepConverted(ctx, png)
		}
		if _, err := d.Close(true); err != nil {
			t.Fatal(err)
		}
		if n := reads.Load(); n != 1 {
			t.Errorf("open %d read the company's connections %d times, want 1", i+1, n)
		}
	}
}

// A failed read of a voucher or document names the connector of the
// connection it was found through, so that the person is told in that
// connector's words; the error still says what failed.
func TestFailedReadsNameTheirConnector(t *testing.T) {
	e := newDocEnv(t)
	ctx := t.Context()
	v := db.Voucher{ID: e.doc.VoucherID, CompanyID: e.co.ID, ConnectionID: e.conn.ID, Ref: "v1"}
	wantVia := func(what string, err error, connector string, target error) {
		t.Helper()
		ue, ok := errors.AsType[*connections.UpstreamError](err)
		if !ok || ue.Connector != connector || !errors.Is(err, target) {
			t.Errorf("%s = %v (%T), want an UpstreamError through %q that is %v", what, err, err, connector, target)
		}
	}

	// The connection ended.
	if err := e.d.SetConnectionStatus(ctx, e.conn.ID, db.ConnNeedsReapproval); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.OpenDocument(ctx, e.co.ID, &e.doc)
	wantVia("OpenDocument of an ended connection", err, "full", db.ErrNeedsReapproval)
	_, _, err = e.svc.LiveVoucher(ctx, e.co.ID, &v)
	wantVia("LiveVoucher of an ended connection", err, "full", db.ErrNeedsReapproval)
	if err := e.d.SetConnectionStatus(ctx, e.conn.ID, db.ConnActive); err != nil {
		t.Fatal(err)
	}

	// The company is now read through another connector: what was found
	// through the first is named by the first.
	svc := e.service(map[string]connectors.Connector{"full": e.c, "other": connectortest.Full{Upstream: &connectortest.Upstream{Name: "other"}}})
	if other := e.connect("other", connectors.Grant{Data: []byte("g")}); other.ID == e.conn.ID {
		t.Fatal("the second connection replaced the first")
	}
	if cur, err := svc.Current(ctx, e.co.ID); err != nil || cur.Connector != "other" {
		t.Fatalf("Current() = %v, %v; want the connection through other", cur, err)
	}
	_, err = svc.OpenDocument(ctx, e.co.ID, &e.doc)
	wantVia("OpenDocument found through the replaced connection", err, "full", connectors.ErrNotFound)
	_, _, err = svc.LiveVoucher(ctx, e.co.ID, &v)
	wantVia("LiveVoucher found through the replaced connection", err, "full", connectors.ErrNotFound)
}
