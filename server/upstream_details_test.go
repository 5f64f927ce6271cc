package server_test

import (
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
)

// TestUpstreamDetails: at approval the name the system holds is stored and
// shown beside the firm's; a difference is flagged and the firm's record
// is left as it was.
func TestUpstreamDetails(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	e.connectFakeAs(up, e.norrsken) // the system's name is the firm's
	page := e.loggedIn(e.admin).get("/companies/" + itoa(e.norrsken.ID))
	wantText(t, "same name", page, "In the firm's records", "Norrsken Design AB (559104-3210)")
	if strings.Contains(page.Text(), "Differs") {
		t.Errorf("the same name is flagged as differing")
	}

	e.connectFakeAsNamed(up, e.fj, "Fjällbacka Snickeri & Bygg AB")
	page = e.loggedIn(e.admin).get("/companies/" + itoa(e.fj.ID))
	wantText(t, "other name", page, "In the firm's records", "Fjällbacka Snickeri AB (556812-3474)",
		"Fjällbacka Snickeri & Bygg AB (556812-3474)", "Differs", "The name in the accounting system differs from the firm's record", "Edit the company")
	co, err := e.db.Company(t.Context(), e.fj.ID)
	if err != nil || co.Name != "Fjällbacka Snickeri AB" {
		t.Errorf("the firm's record = %+v, %v; want its name kept", co, err)
	}
	conn, err := e.db.Connection(t.Context(), e.fj.ID, "fake")
	if err != nil || conn.ExternalName != "Fjällbacka Snickeri & Bygg AB" {
		t.Errorf("stored upstream name = %q, %v", conn.ExternalName, err)
	}
	// An analyst sees the flag, without the admin's edit link.
	page = e.loggedIn(e.analyst).get("/companies/" + itoa(e.fj.ID))
	wantText(t, "analyst", page, "Differs")
	if strings.Contains(page.Text(), "Edit the company") {
		t.Errorf("an analyst is offered the admin's edit link")
	}
}

// TestUpstreamAddress (issue 28): the address the system gives at approval
// (eAccounting's company settings) is stored with the connection and shown
// beside the firm's record; the firm's record is not touched.
func TestUpstreamAddress(t *testing.T) {
	e := newEnv(t)
	e.connectFJ(e.loggedIn(e.analyst))
	conn, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
	if err != nil {
		t.Fatal(err)
	}
	want := connectors.Address{Line1: "Hamngatan 12", PostalCode: "457 40", City: "Fjällbacka", Country: "SE"}
	if got := conn.Address(); got != want {
		t.Errorf("stored address = %+v, want %+v", got, want)
	}
	page := e.loggedIn(e.analyst).get("/companies/" + itoa(e.fj.ID))
	wantText(t, "company page", page, "Address in Visma eAccounting", "Hamngatan 12", "457 40 Fjällbacka")
	if strings.Contains(page.Text(), tr("upstream.differs")) {
		t.Errorf("the same country is flagged as differing")
	}
}
