package db_test

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
)

// TestImportOrders: an upload's orders are stored sealed; a send is
// claimed by one sender only; an order sent before is found by its key and
// digest; "send again" queues only what a person ticked; private hosts are
// per company.
func TestImportOrders(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		keys, err := seal.NewKeyring(bytes.Repeat([]byte{9}, 32))
		if err != nil {
			t.Fatal(err)
		}
		d, err := db.Open(ctx, url, db.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		co := &db.Company{Name: "Fjordlys AS", Country: "NO", OrgNumber: "923456783", Active: true}
		if err := d.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		upload := func() (*db.ImportBatch, []db.ImportOrder) {
			b := &db.ImportBatch{CompanyID: co.ID, Connector: "enterprise", Source: "orders.csv", Target: "https://h/ws"}
			os := []db.ImportOrder{
				{OrderKey: "WS/1", Digest: "d1", Status: db.ImportReady},
				{OrderKey: "WS/2", Status: db.ImportInvalid, Errors: 2},
			}
			if err := d.CreateImportBatch(ctx, b, os, []db.ImportContent{{Body: []byte(`{"orderId":"1","customerNumber":"04057912345"}`)}, {}}); err != nil {
				t.Fatal(err)
			}
			_, stored, err := d.ImportBatchOf(ctx, co.ID, b.ID)
			if err != nil || len(stored) != 2 {
				t.Fatalf("batch %v %v", stored, err)
			}
			return b, stored
		}
		b, os := upload()
		if bytes.Contains(os[0].BodySealed, []byte("04057912345")) {
			t.Fatal("the order is stored in the clear")
		}
		if body, err := d.ImportOrderBody(&os[0]); err != nil || !bytes.Contains(body, []byte("04057912345")) {
			t.Fatalf("body %s %v", body, err)
		}
		if n, err := d.QueueImportOrders(ctx, b.ID, nil, nil, "Anders"); err != nil || n != 1 {
			t.Fatalf("queued %d %v, want the one ready order", n, err)
		}
		var claimed atomic.Int32
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				if ok, err := d.ClaimImportOrder(ctx, os[0].ID, "https://h/ws"); err == nil && ok {
					claimed.Add(1)
				}
			})
		}
		wg.Wait()
		if claimed.Load() != 1 {
			t.Fatalf("%d senders claimed one order", claimed.Load())
		}
		if err := d.FinishImportOrder(ctx, os[0].ID, db.ImportAccepted, "0", "OK"); err != nil {
			t.Fatal(err)
		}
		prev, err := d.PreviousImport(ctx, co.ID, "enterprise", "WS/1", "d1", 0)
		if err != nil || prev == nil || prev.ID != os[0].ID {
			t.Fatalf("previous %+v %v", prev, err)
		}
		if prev, _ := d.PreviousImport(ctx, co.ID, "enterprise", "WS/1", "other", 0); prev != nil {
			t.Error("another digest counts as sent before")
		}
		// A second upload: its ready order is not in the history until sent.
		upload()
		hist, batches, err := d.ImportHistory(ctx, co.ID, 10)
		if err != nil || len(hist) != 1 || len(batches) != 2 || hist[0].SentByName != "Anders" || len(hist[0].BodySealed) != 0 {
			t.Fatalf("history %+v %d %v", hist, len(batches), err)
		}

		if err := d.SetPrivateHosts(ctx, co.ID, []string{"Visma.Example.no", "10.0.0.8"}, "admin@firm"); err != nil {
			t.Fatal(err)
		}
		for host, want := range map[string]bool{"visma.example.no": true, "VISMA.example.no": true, "10.0.0.8": true, "10.0.0.9": false} {
			if got, err := d.PrivateHostAllowed(ctx, co.ID, host); err != nil || got != want {
				t.Errorf("PrivateHostAllowed(%s) = %v %v, want %v", host, got, err, want)
			}
		}
		if got, _ := d.PrivateHostAllowed(ctx, co.ID+1, "10.0.0.8"); got {
			t.Error("a host allowed for one company is allowed for another")
		}
	})
}

// TestQueueImportOrdersSendAgain: an order sent before is queued only when
// a person ticked it.
func TestQueueImportOrdersSendAgain(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		keys, _ := seal.NewKeyring(bytes.Repeat([]byte{9}, 32))
		d, err := db.Open(ctx, url, db.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		b := &db.ImportBatch{CompanyID: 1, Connector: "enterprise"}
		os := []db.ImportOrder{{OrderKey: "WS/1", Status: db.ImportDuplicate}, {OrderKey: "WS/2", Status: db.ImportDuplicate}}
		if err := d.CreateImportBatch(ctx, b, os, []db.ImportContent{{Body: []byte("{}")}, {Body: []byte("{}")}}); err != nil {
			t.Fatal(err)
		}
		if n, _ := d.QueueImportOrders(ctx, b.ID, nil, nil, "Anders"); n != 0 {
			t.Fatalf("queued %d duplicates nobody ticked", n)
		}
		if n, _ := d.QueueImportOrders(ctx, b.ID, []int64{os[1].ID, 999}, nil, "Anders"); n != 1 {
			t.Fatalf("queued %d, want the one ticked", n)
		}
		if err := d.UnqueueImportOrders(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		_, got, _ := d.ImportBatchOf(ctx, 1, b.ID)
		if got[0].Status != db.ImportDuplicate || got[1].Status != db.ImportNotSent {
			t.Errorf("statuses %s %s", got[0].Status, got[1].Status)
		}
	})
}

// TestResealImportOrders: after a key rotation the stored orders are
// re-encrypted under the new key, and open without the old one.
func TestResealImportOrders(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
		k1, _ := seal.NewKeyring(oldKey)
		d1, err := db.Open(ctx, url, db.Options{Keys: k1})
		if err != nil {
			t.Fatal(err)
		}
		b := &db.ImportBatch{CompanyID: 1, Connector: "enterprise"}
		if err := d1.CreateImportBatch(ctx, b, []db.ImportOrder{{OrderKey: "WS/1", Status: db.ImportReady}}, []db.ImportContent{{Body: []byte(`{"orderId":"1"}`), PDFName: "1.pdf", PDF: []byte("%PDF-1.4 one")}}); err != nil {
			t.Fatal(err)
		}
		d1.Close()
		k2, _ := seal.NewKeyring(newKey, oldKey)
		d2, err := db.Open(ctx, url, db.Options{Keys: k2})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := d2.ResealImportOrders(ctx); err != nil || n != 2 {
			t.Fatalf("resealed %d %v, want the order and its PDF", n, err)
		}
		d2.Close()
		k3, _ := seal.NewKeyring(newKey)
		d3, err := db.Open(ctx, url, db.Options{Keys: k3})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d3.Close() })
		_, os, err := d3.ImportBatchOf(ctx, 1, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if body, err := d3.ImportOrderBody(&os[0]); err != nil || string(body) != `{"orderId":"1"}` {
			t.Errorf("after reseal: %s %v", body, err)
		}
		if doc, pdf, err := d3.ImportPDF(ctx, os[0].ID); err != nil || string(pdf) != "%PDF-1.4 one" || doc.FileName != "1.pdf" {
			t.Errorf("PDF after reseal: %q %v", pdf, err)
		}
	})
}

// TestImportAttempts: an order's PDF is kept sealed beside it; every
// exchange about it (a send, a look-up) is its history; a sender that
// stopped leaves its order unknown, and the history says so; a batch's
// pre-flight findings are kept.
func TestImportAttempts(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		keys, _ := seal.NewKeyring(bytes.Repeat([]byte{9}, 32))
		d, err := db.Open(ctx, url, db.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		b := &db.ImportBatch{CompanyID: 1, Connector: "fake", Format: "invoice.json"}
		os := []db.ImportOrder{{OrderKey: "1001", Status: db.ImportReady, BodyFormat: db.BodyInvoice}, {OrderKey: "1002", Status: db.ImportReady, BodyFormat: db.BodyInvoice}}
		pdf := []byte("%PDF-1.4 invoice 1001")
		if err := d.CreateImportBatch(ctx, b, os, []db.ImportContent{{Body: []byte(`{"number":"1001"}`), PDFName: "1001.pdf", PDF: pdf}, {Body: []byte(`{"number":"1002"}`)}}); err != nil {
			t.Fatal(err)
		}
		_, stored, _ := d.ImportBatchOf(ctx, 1, b.ID)
		if stored[0].BodyFormat != db.BodyInvoice {
			t.Errorf("body format %q", stored[0].BodyFormat)
		}
		docs, err := d.ImportDocumentsOf(ctx, b.ID)
		if err != nil || len(docs) != 1 || docs[stored[0].ID].Size != int64(len(pdf)) || len(docs[stored[0].ID].Sealed) != 0 {
			t.Fatalf("documents %+v %v", docs, err)
		}
		var sealed []byte
		if err := db.RawGorm(d).Table("import_documents").Select("sealed").Where("order_id = ?", stored[0].ID).Row().Scan(&sealed); err != nil || bytes.Contains(sealed, []byte("invoice 1001")) {
			t.Fatalf("the PDF is stored in the clear (%v)", err)
		}
		if _, got, err := d.ImportPDF(ctx, stored[0].ID); err != nil || !bytes.Equal(got, pdf) {
			t.Errorf("ImportPDF = %q, %v", got, err)
		}
		if _, _, err := d.ImportPDF(ctx, stored[1].ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("ImportPDF of an order without one = %v, want ErrNotFound", err)
		}

		by := int64(4)
		if n, _ := d.QueueImportOrders(ctx, b.ID, nil, &by, "Anders"); n != 2 {
			t.Fatalf("queued %d", n)
		}
		for _, o := range stored {
			if ok, err := d.ClaimImportOrder(ctx, o.ID, "https://fake.example"); err != nil || !ok {
				t.Fatal(err)
			}
		}
		// The first: a look-up of nothing, then a send the upstream took.
		if err := d.RecordImportAttempt(ctx, &db.ImportAttempt{OrderID: stored[0].ID, BatchID: b.ID, CompanyID: 1, Kind: db.AttemptLookup, Outcome: db.LookupAbsent, ByName: "Anders"}); err != nil {
			t.Fatal(err)
		}
		if err := d.FinishImportSend(ctx, stored[0].ID, db.ImportAccepted, db.ImportAttempt{Kind: db.AttemptSend, Outcome: db.ImportAccepted, Code: "201",
			Reference: "booked 5001", Target: "https://fake.example", ByID: &by, ByName: "Anders"}); err != nil {
			t.Fatal(err)
		}
		// The second: its sender stopped while sending.
		if err := d.UnknownImportSends(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		_, stored, _ = d.ImportBatchOf(ctx, 1, b.ID)
		if stored[0].Status != db.ImportAccepted || stored[0].AnswerRef != "booked 5001" || stored[1].Status != db.ImportUnknown {
			t.Errorf("orders after sending: %+v", stored)
		}
		as, err := d.ImportAttemptsOf(ctx, b.ID)
		if err != nil || len(as) != 3 {
			t.Fatalf("attempts %+v %v", as, err)
		}
		if a := as[0]; a.Kind != db.AttemptLookup || a.Outcome != db.LookupAbsent || a.At.IsZero() {
			t.Errorf("first attempt %+v", a)
		}
		if a := as[1]; a.OrderID != stored[0].ID || a.BatchID != b.ID || a.CompanyID != 1 || a.Outcome != db.ImportAccepted || a.Reference != "booked 5001" || *a.ByID != by {
			t.Errorf("second attempt %+v", a)
		}
		if a := as[2]; a.OrderID != stored[1].ID || a.Outcome != db.ImportUnknown || a.Code != "stopped" || a.ByName != "Anders" || a.Target != "https://fake.example" {
			t.Errorf("the stopped send's attempt %+v", a)
		}

		if err := d.SetImportPreflight(ctx, b.ID, `[{"code":"missing"}]`); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := d.ImportBatchOf(ctx, 1, b.ID); got.Preflight != `[{"code":"missing"}]` || got.Format != "invoice.json" {
			t.Errorf("batch %+v", got)
		}
	})
}
