package db_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestOpenConcurrently: instances starting at once on an empty database
// migrate it once and all open.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				d, err := db.Open(t.Context(), url, db.Options{})
				if err == nil {
					d.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open() #%d = %v", i, err)
			}
		}
	})
}

// TestClaimJob: one handle holds a job's claim and renews it; the others
// get it only after it runs out.
func TestClaimJob(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		clock := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		ctx := t.Context()
		handles := make([]*db.DB, 4)
		for i := range handles {
			d, err := db.Open(ctx, url, db.Options{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			handles[i] = d
		}
		claimAll := func() []int {
			var mu sync.Mutex
			var winners []int
			var wg sync.WaitGroup
			for i, d := range handles {
				wg.Go(func() {
					ok, err := d.ClaimJob(ctx, "sync", time.Minute)
					if err != nil {
						t.Errorf("ClaimJob() = %v", err)
					}
					if ok {
						mu.Lock()
						winners = append(winners, i)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			return winners
		}
		first := claimAll()
		if len(first) != 1 {
			t.Fatalf("handles holding the claim = %v, want exactly one", first)
		}
		holder := handles[first[0]]
		clock.Advance(50 * time.Second)
		if got := claimAll(); len(got) != 1 || got[0] != first[0] {
			t.Fatalf("before expiry: holders = %v, want only the first holder %d (renewing)", got, first[0])
		}
		// The holder stops renewing (it crashed): after the claim runs out
		// exactly one other handle takes it over.
		clock.Advance(61 * time.Second)
		var others []int
		for i, d := range handles {
			if d == holder {
				continue
			}
			if ok, err := d.ClaimJob(ctx, "sync", time.Minute); err != nil {
				t.Fatal(err)
			} else if ok {
				others = append(others, i)
			}
		}
		if len(others) != 1 {
			t.Fatalf("after expiry: new holders = %v, want exactly one", others)
		}
		if ok, _ := holder.ClaimJob(ctx, "sync", time.Minute); ok {
			t.Errorf("the crashed holder got its claim back while another holds it")
		}
		if ok, err := holder.ClaimJob(ctx, "refresh", time.Minute); err != nil || !ok {
			t.Errorf("ClaimJob(another job) = %v, %v; want true", ok, err)
		}
	})
}

// TestSyncLease: one sync at a time per connection; a crashed holder's
// lease is taken over when it runs out.
func TestSyncLease(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		clock := dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		ctx := t.Context()
		a, b := openTestDB(t, url, clock.Now), openTestDB(t, url, clock.Now)
		steps := []struct {
			name    string
			d       *db.DB
			advance time.Duration
			want    bool
		}{
			{"a takes", a, 0, true},
			{"b waits", b, time.Minute, false},
			{"a again", a, 0, false},
			{"b still waits", b, 59 * time.Second, false},
			{"b takes over", b, 2 * time.Second, true},
		}
		var held *db.SyncLease
		for _, st := range steps {
			clock.Advance(st.advance)
			l, err := st.d.TakeSyncLease(ctx, 7, 2*time.Minute)
			if err != nil || (l != nil) != st.want {
				t.Fatalf("%s: TakeSyncLease() = %v, %v; want %v", st.name, l, err, st.want)
			}
			if st.name == "a takes" {
				held = l
			}
		}
		if ok, err := a.ExtendSyncLease(ctx, held, 2*time.Minute); err != nil || ok {
			t.Errorf("ExtendSyncLease(by the old holder) = %v, %v; want false", ok, err)
		}
		bl, err := b.TakeSyncLease(ctx, 8, 2*time.Minute)
		if err != nil || bl == nil {
			t.Fatalf("TakeSyncLease(8) = %v, %v", bl, err)
		}
		if ok, err := b.ExtendSyncLease(ctx, bl, 2*time.Minute); err != nil || !ok {
			t.Errorf("ExtendSyncLease(by the holder) = %v, %v; want true", ok, err)
		}
		through := clock.Now().Add(-5 * time.Minute)
		if err := b.ReleaseSyncLease(ctx, bl, &through); err != nil {
			t.Fatal(err)
		}
		s, err := a.SyncStateOf(ctx, 8)
		if err != nil || s.LeaseOwner != "" || s.SyncedThrough == nil || !s.SyncedThrough.Equal(through) {
			t.Errorf("SyncStateOf() = %+v, %v; want released, synced through %v", s, err, through)
		}
	})
}

// TestVoucherIndex: upserts, filters and look-ups give the same answers on
// both databases, including what only one of them would refuse.
func TestVoucherIndex(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		if strings.HasPrefix(url, "postgres") {
			// A session west of UTC: a year must still be the UTC year.
			url += "&timezone=America/New_York"
		}
		d := openTestDB(t, url, nil)
		ctx := t.Context()
		co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
		if err := d.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		fys := []db.FiscalYear{
			{CompanyID: co.ID, ConnectionID: 1, ExternalID: "fy-2024", StartDate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)},
			{CompanyID: co.ID, ConnectionID: 1, ExternalID: "fy-2025", StartDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)},
		}
		if err := d.UpsertFiscalYears(ctx, fys); err != nil {
			t.Fatal(err)
		}
		day := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC) }
		long := strings.Repeat("å", 1200)   // 2400 bytes, 1200 characters
		longType := strings.Repeat("ö", 40) // 80 bytes
		vs := []db.Voucher{
			{CompanyID: co.ID, ConnectionID: 1, Ref: "v1", FiscalYearID: "fy-2024", Number: "A 1", Date: day(2024, 1, 1), Text: "Hyra 100% januari", HasDocuments: true},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "v2", FiscalYearID: "fy-2024", Number: "A 2", Date: day(2024, 6, 1), Text: "hyra_juni", UpstreamType: longType},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "v3", FiscalYearID: "fy-2025", Number: "A 1", Date: day(2025, 1, 1), Text: long},
			// The same voucher twice in one batch: the later one counts.
			{CompanyID: co.ID, ConnectionID: 1, Ref: "v2", FiscalYearID: "fy-2024", Number: "A 2", Date: day(2024, 6, 1), Text: "Hyra juni (ändrad)", UpstreamType: longType},
		}
		if err := d.UpsertVouchers(ctx, vs); err != nil {
			t.Fatalf("UpsertVouchers() = %v", err)
		}
		// A repeated sync changes nothing in the count.
		if err := d.UpsertVouchers(ctx, vs[3:]); err != nil {
			t.Fatalf("UpsertVouchers() again = %v", err)
		}
		if n, err := d.CountVouchers(ctx, co.ID); err != nil || n != 3 {
			t.Fatalf("CountVouchers() = %d, %v; want 3", n, err)
		}
		all, err := d.Vouchers(ctx, co.ID, db.VoucherFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range all.Vouchers {
			switch v.Ref {
			case "v2":
				if v.Text != "Hyra juni (ändrad)" {
					t.Errorf("v2 text = %q, want the later copy's", v.Text)
				}
				if v.UpstreamType != strings.Repeat("ö", 32) {
					t.Errorf("v2 upstream type = %q, want the first 32 characters (64 bytes)", v.UpstreamType)
				}
			case "v3":
				if v.Text != strings.Repeat("å", 500) {
					t.Errorf("v3 text = %d bytes, want the first 500 characters", len(v.Text))
				}
			}
		}

		filters := []struct {
			name string
			f    db.VoucherFilter
			want []string
		}{
			{"text, case-insensitive", db.VoucherFilter{Text: "HYRA"}, []string{"v2", "v1"}},
			{"percent is literal", db.VoucherFilter{Text: "100%"}, []string{"v1"}},
			{"underscore is literal", db.VoucherFilter{Text: "a_j"}, nil},
			{"fiscal year", db.VoucherFilter{FiscalYear: "fy-2025"}, []string{"v3"}},
			{"date range", db.VoucherFilter{From: day(2024, 1, 1), To: day(2024, 1, 1)}, []string{"v1"}},
			{"number", db.VoucherFilter{Number: "a-1"}, []string{"v3", "v1"}},
			{"has documents", db.VoucherFilter{HasDocuments: true}, []string{"v1"}},
		}
		for _, tt := range filters {
			l, err := d.Vouchers(ctx, co.ID, tt.f)
			if err != nil {
				t.Fatalf("Vouchers(%s) = %v", tt.name, err)
			}
			if got := externalIDs(l.Vouchers); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Vouchers(%s) = %v, want %v", tt.name, got, tt.want)
			}
		}

		lookups := []struct {
			number, year string
			date         time.Time
			want         []string
		}{
			{"A1", "", time.Time{}, []string{"v3", "v1"}},
			{"A1", "2024", time.Time{}, []string{"v1"}},
			{"A1", "2025", time.Time{}, []string{"v3"}},
			{"A1", "fy-2025", time.Time{}, []string{"v3"}},
			{"A1", "2023", time.Time{}, nil},
			{"A1", "", day(2024, 1, 1), []string{"v1"}},
		}
		for _, tt := range lookups {
			got, err := d.LookupVouchers(ctx, co.ID, tt.number, tt.date, tt.year)
			if err != nil {
				t.Fatalf("LookupVouchers(%s, %s) = %v", tt.number, tt.year, err)
			}
			if g := externalIDs(got); strings.Join(g, ",") != strings.Join(tt.want, ",") {
				t.Errorf("LookupVouchers(%q, %v, %q) = %v, want %v", tt.number, tt.date.Format(time.DateOnly), tt.year, g, tt.want)
			}
		}

		v1 := all.Vouchers[len(all.Vouchers)-1]
		docs, err := d.SetVoucherDocuments(ctx, co.ID, v1.ID, []db.VoucherDocument{
			{Kind: "attachment", ExternalID: "d1", FileName: strings.Repeat("ö", 400) + ".pdf", ContentType: "application/pdf"},
		})
		if err != nil || len(docs) != 1 || len(docs[0].FileName) > 300 {
			t.Fatalf("SetVoucherDocuments(long name) = %d docs, %v", len(docs), err)
		}
		if err := d.DocumentOpened(ctx, docs[0].ID, strings.Repeat("a", 64), 10, db.AuditEvent{Action: db.AuditDocumentOpen, CompanyID: &co.ID}); err != nil {
			t.Fatal(err)
		}
		docs, err = d.SetVoucherDocuments(ctx, co.ID, v1.ID, []db.VoucherDocument{{Kind: "attachment", ExternalID: "d1", FileName: "new.pdf"}})
		if err != nil || len(docs) != 1 || docs[0].SHA256 == "" || docs[0].FileName != "new.pdf" {
			t.Errorf("SetVoucherDocuments(again) = %+v, %v; want one document, renamed, hash kept", docs, err)
		}
	})
}

func externalIDs(vs []db.Voucher) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Ref)
	}
	return out
}

// Swedish letters are searched case-insensitively on both databases.
func TestSearchFoldsSwedishLetters(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		ctx := t.Context()
		d, co := openCompany(t, url, db.Options{}, "Å AB")
		vs := []db.Voucher{
			{CompanyID: co.ID, ConnectionID: 1, Ref: "1", Number: "A1", Date: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Text: "Åkes Öl & Bröd"},
			{CompanyID: co.ID, ConnectionID: 1, Ref: "2", Number: "A2", Date: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC), Text: "Kontorsmaterial"},
		}
		if err := d.UpsertVouchers(ctx, vs); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"åke", "ÅKES", "öl", "BRÖD"} {
			l, err := d.Vouchers(ctx, co.ID, db.VoucherFilter{Text: q})
			if err != nil || l.Total != 1 || l.Vouchers[0].Ref != "1" {
				t.Errorf("search %q = %d results, %v; want voucher 1", q, l.Total, err)
			}
		}
	})
}

// TestSyncLeaseIsNotReentrant: a handle that holds a connection's sync
// lease does not get it a second time, so two goroutines of one instance
// (two presses of "Sync now") cannot both sync.
func TestSyncLeaseIsNotReentrant(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		d := openTestDB(t, url, nil)
		ctx := t.Context()
		if l, err := d.TakeSyncLease(ctx, 7, 2*time.Minute); err != nil || l == nil {
			t.Fatalf("TakeSyncLease() = %v, %v; want a lease", l, err)
		}
		if l, err := d.TakeSyncLease(ctx, 7, 2*time.Minute); err != nil || l != nil {
			t.Errorf("TakeSyncLease(again, same instance) = %v, %v; want none", l, err)
		}
	})
}
