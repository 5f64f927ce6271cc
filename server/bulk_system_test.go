package server_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/server"
	"bilag/server/connections"
)

// With two systems offered in a country, a bulk request makes each link
// for the system picked, or for the system a company is connected with
// (when a re-approval is asked for: a connected company is skipped
// otherwise), and never guesses for a company that has none.
func TestBulkLinksWithSeveralSystems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connectFJ(e.loggedIn(e.analyst)) // Fjällbacka is connected with eAccounting
	other := connectortest.Full{Upstream: &connectortest.Upstream{Name: "other", GrantTTL: time.Hour, Now: e.clock.Now}}
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String())
	srv, _ := newPortal(t, server.Options{DB: e.db, Logger: e.logger, BaseURL: base, SecretKey: e.secret, FirmName: firmName, AdminSecondFactorOptional: true, Now: e.clock.Now},
		connections.Options{DB: e.db, Logger: e.logger, Now: e.clock.Now,
			Connectors: map[string]connectors.Connector{e.conn.Name(): e.conn, "other": other},
			Countries:  map[string][]string{e.conn.Name(): {"SE"}, "other": {"SE"}}})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	p := *e
	p.url, p.srv = base.String(), srv
	analyst := p.loggedIn(e.analyst)

	dash := analyst.get("/")
	for _, want := range []string{`<select id="bulk-connector" name="connector">`, `<option value="other">`, html.EscapeString(tr("dash.bulk.system.own"))} {
		if !strings.Contains(dash.Body, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
	r := analyst.post("/links/bulk", url.Values{"company": {itoa(e.fj.ID), itoa(e.kafe.ID)}, "reapprove": {"1"}})
	wantStatus(t, "bulk without a system", r, http.StatusOK)
	wantText(t, "bulk without a system", r, tr("bulk.summary", 1, 2), tr("link.connector.pick"))
	if ls, _ := e.db.LinksForCompany(t.Context(), e.fj.ID, 5); len(ls) != 2 || ls[0].Connector != e.conn.Name() {
		t.Errorf("connected company's links = %+v, want a new one (beside the one it was connected by) for its own system %s", ls, e.conn.Name())
	}
	if ls, _ := e.db.LinksForCompany(t.Context(), e.kafe.ID, 5); len(ls) != 0 {
		t.Errorf("an unconnected company got a link for a guessed system: %+v", ls)
	}

	r = analyst.post("/links/bulk", url.Values{"company": {itoa(e.kafe.ID)}, "connector": {"other"}})
	wantText(t, "bulk with a system", r, tr("bulk.summary", 1, 1))
	if ls, _ := e.db.LinksForCompany(t.Context(), e.kafe.ID, 5); len(ls) != 1 || ls[0].Connector != "other" {
		t.Errorf("links after picking other = %+v, want one for other", ls)
	}
	r = analyst.post("/links/bulk", url.Values{"company": {itoa(e.kafe.ID)}, "connector": {"nosuch"}})
	wantText(t, "bulk with an unknown system", r, tr("bulk.summary", 0, 1), tr("link.connector.pick"))
}
