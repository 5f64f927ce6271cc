package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
)

// Item 3: the company page says in words why a sync failed, not "see the
// log".
func TestFailedSyncSaysWhy(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	conn := e.connectFake()
	e.svc.Wait()
	up.FailNext(connectortest.OpVouchers, fmt.Errorf("fake: %w", connectors.ErrUnavailable))
	if _, err := e.svc.Sync(t.Context(), conn); err == nil {
		t.Fatal("Sync() = nil error, want the upstream's failure")
	}
	page := e.loggedIn(e.analyst).get("/companies/" + itoa(e.fj.ID))
	wantStatus(t, "company page", page, http.StatusOK)
	want := words().Translate("en", "sync.reason.unavailable")
	if want == "sync.reason.unavailable" || !strings.Contains(page.Text(), want) {
		t.Errorf("company page does not say why the sync failed (%q):\n%s", want, page.Text())
	}
	if strings.Contains(page.Text(), words().Translate("en", "sync.error")) {
		t.Errorf("company page says %q", words().Translate("en", "sync.error"))
	}
}

// Misconfiguration: when one connector's connections are refused alike,
// admins see a banner naming it; others do not.
func TestMisconfigurationBanner(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	full := connectortest.Full{Upstream: up}
	var conns []*db.Connection
	for i, co := range []*db.Company{e.fj, e.norrsken, e.kafe} {
		l := &db.ConsentLink{CompanyID: co.ID, Connector: "fake", ExpectedOrgNumber: co.OrgNumber, CreatedByID: e.analyst.ID, ExpiresAt: e.clock.Now().Add(time.Hour)}
		if err := e.db.CreateLink(t.Context(), l, fmt.Sprintf("banner-link-%d", i)); err != nil {
			t.Fatal(err)
		}
		if err := e.db.StartLinkLogin(t.Context(), l.ID, "attempt"); err != nil {
			t.Fatal(err)
		}
		g, err := full.HandleCallback(t.Context(), "", url.Values{"code": {"ok"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		conn := &db.Connection{CompanyID: co.ID, Connector: "fake", ExternalName: co.Name, OrgNumber: co.OrgNumber}
		if err := e.db.Connect(t.Context(), l.ID, conn, g); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	banner := words().Translate("en", "admin.misconfigured", "fake")
	if page := e.loggedIn(e.admin).get("/"); strings.Contains(page.Text(), banner) {
		t.Fatal("the banner shows before anything failed")
	}
	e.clock.Advance(2 * time.Hour)
	for _, conn := range conns {
		up.FailNext(connectortest.OpRefresh, fmt.Errorf("identity server: status 401, invalid_client: %w", connectors.ErrGrantRevoked))
		if _, err := e.svc.Grant(t.Context(), conn); err == nil {
			t.Fatal("Grant() = nil error")
		}
	}
	page := e.loggedIn(e.admin).get("/")
	wantStatus(t, "admin's start page", page, http.StatusOK)
	if !strings.Contains(page.Text(), banner) {
		t.Errorf("the admin's page has no misconfiguration banner (%q):\n%s", banner, page.Text())
	}
	if page := e.loggedIn(e.analyst).get("/"); strings.Contains(page.Text(), banner) {
		t.Error("an analyst sees the admin's misconfiguration banner")
	}
}

// gatedFull is a full fake whose voucher pages wait for a gate.
type gatedFull struct {
	connectortest.Full
	entered chan struct{}
	gate    chan struct{}
}

func (g gatedFull) Vouchers(ctx context.Context, gr connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.gate
	return g.Full.Vouchers(ctx, gr, q)
}

// Item 3: pressing "Sync now" while a sync runs says so, with its
// progress, and leaves no failed run.
func TestSyncNowWhileSyncing(t *testing.T) {
	t.Parallel()
	g := gatedFull{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	e, _ := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector {
		g.Full = connectortest.Full{Upstream: u}
		return g
	})
	e.connectFake() // starts the first sync, which waits at its first page
	<-g.entered
	b := e.loggedIn(e.analyst)
	for range 2 {
		r := b.post("/companies/"+itoa(e.fj.ID)+"/sync", nil)
		wantStatus(t, "sync now", r, http.StatusSeeOther)
		page := b.get(r.Location())
		if want := words().Translate("en", "sync.alreadyrunning", 0, 0); !strings.Contains(page.Text(), want) {
			t.Errorf("the page after a second Sync now does not say %q:\n%s", want, page.Text())
		}
	}
	close(g.gate)
	e.svc.Wait()
	runs, err := e.db.SyncRuns(t.Context(), e.fj.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != db.SyncOK {
		t.Errorf("sync runs = %+v; want one, ok", runs)
	}
}
