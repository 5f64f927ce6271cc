package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/doccache"
)

// documentOpens counts the audit trail's document opens of co.
func (d *docEnv) documentOpens(co *db.Company) int {
	d.t.Helper()
	evs, err := d.db.AuditEvents(d.t.Context(), co.ID, 1000)
	if err != nil {
		d.t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Action == db.AuditDocumentOpen {
			n++
		}
	}
	return n
}

// firstWithDocuments is the first voucher of the list's first page that
// has documents.
func (d *docEnv) firstWithDocuments() db.Voucher {
	d.t.Helper()
	for _, v := range d.vouchers(db.VoucherFilter{}) {
		if v.HasDocuments {
			return v
		}
	}
	d.t.Fatal("no voucher with documents")
	return db.Voucher{}
}

// TestListViewPrefetchesDocuments: a viewer looking at the voucher list
// makes Bilag fetch the page's documents; opening a voucher from it then
// serves its document from the cache, without a download. The fetching
// ahead is no open in the audit trail; the viewer's open is.
func TestListViewPrefetchesDocuments(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	before := d.sb.Stats().FileDownloads
	wantStatus(t, "voucher list", d.viewer.get(fmt.Sprintf("/companies/%d/vouchers", d.fj.ID)), http.StatusOK)
	d.portal.svc.PrefetchWait()
	fetched := d.sb.Stats().FileDownloads - before
	if fetched == 0 || fetched > 20 {
		t.Fatalf("documents fetched ahead = %d, want 1 to 20", fetched)
	}
	if n := d.documentOpens(d.fj); n != 0 {
		t.Errorf("audit trail has %d document opens after only viewing the list, want 0", n)
	}
	_, links := d.openVoucher(d.viewer, d.firstWithDocuments())
	if len(links) == 0 {
		t.Fatal("the voucher page links no document")
	}
	r := d.viewer.get(links[0])
	wantStatus(t, "document", r, http.StatusOK)
	if got := d.sb.Stats().FileDownloads - before; got != fetched {
		t.Errorf("downloads = %d after opening a prefetched document, want still %d", got, fetched)
	}
	if n := d.documentOpens(d.fj); n != 1 {
		t.Errorf("audit trail has %d document opens, want the viewer's one", n)
	}
	// The first open read the document whole, from the cache: its hash is
	// known now, as after an open that downloaded it.
	page, _ := d.openVoucher(d.viewer, d.firstWithDocuments())
	if sha := r.Header.Get("X-Bilag-Sha256"); len(sha) != 64 || !strings.Contains(page.Body, sha) {
		t.Errorf("voucher page after the first (prefetched) open does not show the document's SHA-256 %q", sha)
	}
}

// TestPrefetchSettingOff: an admin turns fetching ahead off on the
// company's settings page; viewing the list then fetches nothing.
func TestPrefetchSettingOff(t *testing.T) {
	t.Parallel()
	d := newDocEnv(t)
	// The first portal: the second asks admins for a second factor.
	admin := d.env.loggedIn(d.admin)
	page := admin.get(fmt.Sprintf("/admin/companies/%d", d.fj.ID))
	wantStatus(t, "company settings", page, http.StatusOK)
	r := admin.post(fmt.Sprintf("/admin/companies/%d", d.fj.ID), url.Values{
		"name": {d.fj.Name}, "country": {d.fj.Country}, "org_number": {d.fj.OrgNumber}, "active": {"1"},
		"members": {fmt.Sprint(d.env.analyst.ID), fmt.Sprint(d.env.viewer.ID)},
	})
	wantStatus(t, "save company", r, http.StatusSeeOther)
	co, err := d.db.Company(t.Context(), d.fj.ID)
	if err != nil || !co.NoPrefetch {
		t.Fatalf("company after saving without the box = %+v, %v; want NoPrefetch", co, err)
	}
	before := d.sb.Stats()
	wantStatus(t, "voucher list", d.viewer.get(fmt.Sprintf("/companies/%d/vouchers", d.fj.ID)), http.StatusOK)
	d.portal.svc.PrefetchWait()
	after := d.sb.Stats()
	if after.FileDownloads != before.FileDownloads {
		t.Errorf("documents fetched with the setting off = %d, want 0", after.FileDownloads-before.FileDownloads)
	}
	for k, n := range after.APIRequests {
		if n != before.APIRequests[k] {
			t.Errorf("%s called %d times with the setting off", k, n-before.APIRequests[k])
		}
	}
}

// oneAtATime is the fake connector of an upstream that answers one request
// at a time per customer.
type oneAtATime struct{ connectortest.Full }

func (oneAtATime) OneRequestAtATime() {}

// TestNoPrefetchOneAtATime: viewing the list fetches documents ahead for a
// connector whose upstream takes many requests at once, and none for one
// that takes one at a time (a prefetch would hold the person's turn).
func TestNoPrefetchOneAtATime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		kind   func(*connectortest.Upstream) connectors.Connector
		opened bool
	}{
		{"many at once", func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} }, true},
		{"one at a time", func(u *connectortest.Upstream) connectors.Connector {
			return oneAtATime{connectortest.Full{Upstream: u}}
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := newEnv(t)
			cache, err := doccache.Open(filepath.Join(t.TempDir(), "cache"), 64<<20, base.keys)
			if err != nil {
				t.Fatal(err)
			}
			e, up := base.withFakeCache(tt.kind, cache)
			e.connectFake()
			e.svc.Wait()
			wantStatus(t, "voucher list", e.loggedIn(e.viewer).get(fmt.Sprintf("/companies/%d/vouchers", e.fj.ID)), http.StatusOK)
			e.svc.PrefetchWait()
			if got := up.Calls(connectortest.OpOpen) > 0; got != tt.opened {
				t.Errorf("documents opened ahead: %v, want %v", got, tt.opened)
			}
		})
	}
}
