package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
)

// TestConnectionTest: "Test connection" makes one harmless call per
// capability and says how it went in words: all passing, a call the
// upstream did not answer, and a problem the check found. Viewers cannot
// test; each test is in the audit trail.
func TestConnectionTest(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	e.connectFake()
	e.svc.Wait()
	path := "/companies/" + itoa(e.fj.ID) + "/connection/test"
	analyst := e.loggedIn(e.analyst)
	wantText(t, "company page", analyst.get("/companies/"+itoa(e.fj.ID)), "Test connection")
	vouchers, years := up.Calls(connectortest.OpVouchers), up.Calls(connectortest.OpFiscalYears)

	r := analyst.post(path, nil)
	wantStatus(t, "test", r, http.StatusOK)
	wantText(t, "test", r, "The connection works: all 4 checks passed.", "Reading vouchers: works", "Reading the accounting years: works")
	if up.Calls(connectortest.OpVouchers) != vouchers+1 || up.Calls(connectortest.OpFiscalYears) != years+1 {
		t.Errorf("a test made %d voucher and %d year calls, want one each", up.Calls(connectortest.OpVouchers)-vouchers, up.Calls(connectortest.OpFiscalYears)-years)
	}

	up.FailNext(connectortest.OpFiscalYears, fmt.Errorf("years: %w", connectors.ErrUnavailable))
	r = analyst.post(path, nil)
	wantText(t, "years down", r, "1 of 4 checks failed", "Reading the accounting years: "+tr("sync.reason.unavailable"), "Reading vouchers: works")

	up.Problems = []connectors.Problem{{Code: connectors.ProblemPermission, Area: "vouchers"}}
	r = analyst.post(path, nil)
	wantText(t, "problem", r, "1 of 4 checks failed", "What the permission reaches: "+tr("reason.permission"))
	up.Problems = nil

	wantStatus(t, "viewer test", e.loggedIn(e.viewer).post(path, nil), http.StatusForbidden)
	events, err := e.db.CompanyAudit(t.Context(), db.AuditFilter{CompanyID: e.fj.ID, Action: db.AuditConnectionTest}, 0, 10)
	if err != nil || len(events) != 3 {
		t.Fatalf("connection_test events = %d, %v; want 3", len(events), err)
	}
	if events[0].Detail != "check: permission" || events[2].Detail != "ok" {
		t.Errorf("details = %q … %q, want the failure named and ok", events[0].Detail, events[2].Detail)
	}
}
