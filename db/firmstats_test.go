package db_test

import (
	"bytes"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
)

// TestFirmStats asserts every figure of the firm's statistics against a
// seeded history: links, documents opened, invoices sent and syncs, two
// companies counted and a third left out.
func TestFirmStats(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, testFirmStats)
}

func testFirmStats(t *testing.T, url string) {
	ctx := t.Context()
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	clock := dbtest.NewClock(now)
	keys, _ := seal.NewKeyring(bytes.Repeat([]byte{3}, 32))
	d, err := db.Open(ctx, url, db.Options{Keys: keys, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var cos []*db.Company
	for i, org := range []string{"5568123474", "5591043210", "5567319057"} {
		co := &db.Company{Name: "Co " + org, Country: "SE", OrgNumber: org, Active: true}
		if err := d.CreateCompany(ctx, co); err != nil {
			t.Fatalf("company %d: %v", i, err)
		}
		cos = append(cos, co)
	}
	a, b, other := cos[0].ID, cos[1].ID, cos[2].ID
	seedFirmHistory(t, d, a, b, other)

	st, err := d.FirmStats(ctx, []int64{a, b}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("FirmStats() = %v", err)
	}
	wantLinks := []db.LinkMonth{{Month: "2026-01", Made: 2, Opened: 1}, {Month: "2026-02", Made: 1, Opened: 1, Approved: 2}, {Month: "2026-03"}}
	if len(st.Links) != 3 {
		t.Fatalf("Links = %+v, want 3 months", st.Links)
	}
	for i, w := range wantLinks {
		if st.Links[i] != w {
			t.Errorf("Links[%d] = %+v, want %+v", i, st.Links[i], w)
		}
	}
	if got := []int64{st.Opens[0].Count, st.Opens[1].Count, st.Opens[2].Count}; got[0] != 0 || got[1] != 2 || got[2] != 1 {
		t.Errorf("Opens = %v, want [0 2 1]", got)
	}
	if st.OpensBy[a] != 2 || st.OpensBy[b] != 1 || st.OpensBy[other] != 0 {
		t.Errorf("OpensBy = %v, want a:2 b:1", st.OpensBy)
	}
	wantInv := []db.InvoiceMonth{{Month: "2026-02", Connector: "economic", Sent: 2, Refused: 1}, {Month: "2026-03", Connector: "economic", Unknown: 1}, {Month: "2026-03", Connector: "netvisor", Sent: 1}}
	if len(st.Invoices) != len(wantInv) {
		t.Fatalf("Invoices = %+v, want %+v", st.Invoices, wantInv)
	}
	for i, w := range wantInv {
		if st.Invoices[i] != w {
			t.Errorf("Invoices[%d] = %+v, want %+v", i, st.Invoices[i], w)
		}
	}
	ha, hb := st.Sync[a], st.Sync[b]
	if ha.LastSuccess == nil || !ha.LastSuccess.Equal(now.Add(-2*time.Hour)) || ha.Failures7d != 1 {
		t.Errorf("Sync[a] = %+v, want last success 2h ago and 1 failure", ha)
	}
	if hb.LastSuccess == nil || !hb.LastSuccess.Equal(now.Add(-10*24*time.Hour)) || hb.Failures7d != 2 {
		t.Errorf("Sync[b] = %+v, want last success 10 days ago and 2 failures", hb)
	}
	if _, ok := st.Sync[other]; ok {
		t.Errorf("Sync holds a company not asked for")
	}
}

// seedFirmHistory writes the history TestFirmStats counts; other's rows
// would change every figure if they were counted.
func seedFirmHistory(t *testing.T, d *db.DB, a, b, other int64) {
	g := db.RawGorm(d)
	day := func(m, dd int) time.Time { return time.Date(2026, time.Month(m), dd, 10, 0, 0, 0, time.UTC) }
	n := 0
	link := func(co int64, made time.Time, opened, approved *time.Time) {
		n++
		l := db.ConsentLink{CompanyID: co, Connector: "economic", SecretHash: string(rune('a'+n)) + "hash", ExpectedOrgNumber: "x", Status: db.LinkCreated,
			CreatedByID: 1, CreatedAt: made, ExpiresAt: made.Add(time.Hour), OpenedAt: opened}
		if approved != nil {
			l.Status, l.FinishedAt = db.LinkConnected, approved
		}
		if err := g.Create(&l).Error; err != nil {
			t.Fatalf("link: %v", err)
		}
	}
	link(a, day(1, 5), ptr(day(1, 6)), ptr(day(2, 1)))
	link(b, day(1, 7), nil, nil)
	link(b, day(2, 3), ptr(day(2, 3)), ptr(day(2, 4)))
	link(other, day(2, 3), ptr(day(2, 3)), ptr(day(2, 4)))
	link(a, day(12, 1).AddDate(-1, 0, 0), nil, nil) // before the months asked for
	for _, ev := range []struct {
		co int64
		at time.Time
	}{{a, day(2, 2)}, {a, day(2, 9)}, {b, day(3, 1)}, {other, day(3, 1)}} {
		co := ev.co
		if err := g.Create(&db.AuditEvent{At: ev.at, Action: db.AuditDocumentOpen, CompanyID: &co, Actor: "x"}).Error; err != nil {
			t.Fatal(err)
		}
	}
	seedOrders(t, d, a, b, other, day)
	seedRuns(t, d, a, b, other)
}

func seedOrders(t *testing.T, d *db.DB, a, b, other int64, day func(m, dd int) time.Time) {
	g := db.RawGorm(d)
	batch := db.ImportBatch{CompanyID: a, Connector: "economic"}
	if err := g.Create(&batch).Error; err != nil {
		t.Fatal(err)
	}
	for i, o := range []struct {
		co           int64
		conn, status string
		sent         *time.Time
	}{
		{a, "economic", db.ImportAccepted, ptr(day(2, 10))}, {b, "economic", db.ImportAccepted, ptr(day(2, 11))},
		{a, "economic", db.ImportRefused, ptr(day(2, 12))}, {a, "economic", db.ImportUnknown, ptr(day(3, 2))},
		{b, "netvisor", db.ImportAccepted, ptr(day(3, 3))}, {a, "economic", db.ImportReady, nil},
		{other, "economic", db.ImportAccepted, ptr(day(3, 3))},
	} {
		row := db.ImportOrder{BatchID: batch.ID, CompanyID: o.co, Connector: o.conn, OrderKey: string(rune('a' + i)), Position: i, Status: o.status, SentAt: o.sent}
		if err := g.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func ptr(t time.Time) *time.Time { return &t }

func seedRuns(t *testing.T, d *db.DB, a, b, other int64) {
	g := db.RawGorm(d)
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		co     int64
		status string
		ago    time.Duration
	}{
		{a, db.SyncOK, 50 * time.Hour}, {a, db.SyncOK, 2 * time.Hour}, {a, db.SyncFailed, time.Hour}, {a, db.SyncFailed, 8 * 24 * time.Hour},
		{b, db.SyncOK, 10 * 24 * time.Hour}, {b, db.SyncFailed, 3 * 24 * time.Hour}, {b, db.SyncFailed, 24 * time.Hour},
		{other, db.SyncFailed, time.Hour},
	} {
		at := now.Add(-r.ago)
		if err := g.Create(&db.SyncRun{CompanyID: r.co, ConnectionID: 1, Status: r.status, StartedAt: at.Add(-time.Minute), FinishedAt: &at}).Error; err != nil {
			t.Fatal(err)
		}
	}
}
