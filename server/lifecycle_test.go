package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/views"
)

// Item 3: the company page says in words why a sync failed, not "see the
// log".
func TestFailedSyncSaysWhy(t *testing.T) {
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	conn := e.connectFake()
	e.svc.Wait()
	up.FailNext(connectortest.OpVouchers, fmt.Errorf("fake: %w", connectors.ErrUnavailable))
	if _, err := e.svc.Sync(t.Context(), conn); err == nil {
		t.Fatal("Sync() = nil error, want the upstream's failure")
	}
	page := e.loggedIn(e.analyst).get("/companies/" + itoa(e.fj.ID))
	wantStatus(t, "company page", page, http.StatusOK)
	want := views.Translate("en", "sync.reason.unavailable")
	if want == "sync.reason.unavailable" || !strings.Contains(page.Text(), want) {
		t.Errorf("company page does not say why the sync failed (%q):\n%s", want, page.Text())
	}
	if strings.Contains(page.Text(), views.Translate("en", "sync.error")) {
		t.Errorf("company page says %q", views.Translate("en", "sync.error"))
	}
}
