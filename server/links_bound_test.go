package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bilag/db"
)

// A link expects its own company's organisation number, from the company
// record: an analyst of one company cannot make a link that binds another
// client's bookkeeping to it by typing that client's number.
func TestLinkExpectsItsCompanysNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	only := e.addUser("norrsken-only@firm.test", "Nora Norrsken", db.RoleAnalyst, true)
	if err := e.db.SetMembers(t.Context(), e.norrsken.ID, []int64{e.analyst.ID, only.ID}); err != nil {
		t.Fatal(err)
	}
	b := e.loggedIn(only)
	page := b.get("/companies/" + itoa(e.norrsken.ID))
	wantStatus(t, "company page", page, http.StatusOK)
	if strings.Contains(page.Body, `name="expected_org"`) {
		t.Error("the link form still asks for an organisation number")
	}
	r := b.post("/companies/"+itoa(e.norrsken.ID)+"/links", url.Values{"expected_org": {e.fj.OrgNumber}})
	wantStatus(t, "POST links with another company's number", r, http.StatusSeeOther)
	links, err := e.db.LinksForCompany(t.Context(), e.norrsken.ID, 10)
	if err != nil || len(links) != 1 {
		t.Fatalf("links of Norrsken = %+v, %v; want the one made", links, err)
	}
	if got := links[0].ExpectedOrgNumber; got != e.norrsken.OrgNumber {
		t.Errorf("the link expects %q, want Norrsken's own %q", got, e.norrsken.OrgNumber)
	}
	// The database keeps to the company record whatever a caller asks.
	l := &db.ConsentLink{CompanyID: e.norrsken.ID, Connector: links[0].Connector, CreatedByID: only.ID, ExpectedOrgNumber: e.fj.OrgNumber, ExpiresAt: links[0].ExpiresAt}
	if err := e.db.CreateLink(t.Context(), l, "another-secret"); err != nil {
		t.Fatal(err)
	}
	if stored, err := e.db.Link(t.Context(), l.ID); err != nil || stored.ExpectedOrgNumber != e.norrsken.OrgNumber {
		t.Errorf("CreateLink with Fjällbacka's number stored %+v, %v; want Norrsken's number", stored, err)
	}
}
