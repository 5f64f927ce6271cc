package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/db"
)

// seedMissing indexes vouchers of fj (a Swedish company: BAS defaults)
// of every case the missing-documents list tells apart.
func (e *env) seedMissing(t *testing.T) {
	t.Helper()
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	vs := []db.Voucher{
		{Ref: "m1", Number: "A101", Date: day("2024-03-20"), Text: "Kontorsmaterial", Amount: 49900, Kind: "manual", Accounts: ",5460,2640,1930,"},
		{Ref: "m2", Number: "B202", Date: day("2024-03-02"), Text: "Leverantör AB", Amount: 125000, Kind: "supplier_invoice", Accounts: ",2440,"},
		{Ref: "m3", Number: "A103", Date: day("2024-02-01"), Text: "Försäljning", Amount: 80000, Kind: "manual", Accounts: ",1930,3001,"},
		{Ref: "m4", Number: "B204", Date: day("2024-02-10"), Text: "Okänt underlag", Amount: 1000, Kind: "supplier_invoice", Accounts: ",4010,", HasDocuments: true, DocsUnknown: true},
		{Ref: "m5", Number: "A105", Date: day("2024-01-09"), Text: "Hyra", Amount: 1200000, Kind: "manual", Accounts: ",5010,", HasDocuments: true},
	}
	for i := range vs {
		vs[i].CompanyID = e.fj.ID
	}
	if err := e.db.UpsertVouchers(t.Context(), vs); err != nil {
		t.Fatal(err)
	}
}

func TestMissingDocuments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedMissing(t)
	base := "/companies/" + itoa(e.fj.ID) + "/missing"
	analyst := e.loggedIn(e.analyst)

	r := analyst.get(base)
	wantStatus(t, "the list", r, http.StatusOK)
	wantText(t, "the list", r, "2 vouchers lack a document", "A101", "B202", "1 more vouchers may lack a document", "2024-03", "The defaults for Sweden")
	for _, not := range []string{"A103", "B204", "A105"} {
		if strings.Contains(r.Text(), not) {
			t.Errorf("the list shows %s, which needs no document, has one or cannot be told", not)
		}
	}

	csv := analyst.get(base + ".csv")
	wantStatus(t, "the CSV", csv, http.StatusOK)
	if lines := strings.Split(strings.TrimSpace(csv.Body), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "A101") || !strings.Contains(lines[1], "5460 2640 1930") || !strings.Contains(lines[2], "B202") {
		t.Errorf("CSV =\n%s", csv.Body)
	}

	dash := analyst.get("/")
	wantText(t, "the dashboard", dash, "2 vouchers lack a document across these companies")

	// The next sync brings a document: the voucher leaves the list.
	if err := e.db.UpsertVouchers(t.Context(), []db.Voucher{{CompanyID: e.fj.ID, Ref: "m2", Number: "B202", Date: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), Kind: "supplier_invoice", HasDocuments: true}}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "after a sync", analyst.get(base), "1 vouchers lack a document")
}

func TestMissingDocumentRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedMissing(t)
	base := "/companies/" + itoa(e.fj.ID) + "/missing"

	viewer := e.loggedIn(e.viewer)
	wantStatus(t, "a viewer reads", viewer.get(base), http.StatusOK)
	if strings.Contains(viewer.get(base).Body, `id="missing-rules"`) {
		t.Error("a viewer is offered the rules' form")
	}
	wantStatus(t, "a viewer sets rules", viewer.post(base+"/rules", url.Values{"accounts": {"3000-3999"}}), http.StatusForbidden)

	analyst := e.loggedIn(e.analyst)
	analyst.get(base)
	for _, bad := range []url.Values{{"accounts": {"6999-4000"}}, {"accounts": {"x"}}, {"kind": {"bank"}}} {
		wantStatus(t, "bad rules "+bad.Encode(), analyst.post(base+"/rules", bad), http.StatusUnprocessableEntity)
	}
	if _, ok, err := e.db.DocumentRules(t.Context(), e.fj.ID); err != nil || ok {
		t.Fatalf("after bad input the company has rules (%v, %v)", ok, err)
	}

	// Sales need a document, nothing else: A103 only.
	r := analyst.post(base+"/rules", url.Values{"accounts": {"3000-3999"}})
	wantStatus(t, "an analyst sets rules", r, http.StatusSeeOther)
	r = analyst.get(base)
	wantText(t, "after the rules", r, "1 vouchers lack a document", "A103", "own rules, last set by analyst@firm.test")
	if strings.Contains(r.Text(), "A101") {
		t.Error("A101 (5460) is still listed under rules for 3000-3999")
	}
	es, err := e.db.AuditEvents(t.Context(), e.fj.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 || es[0].Action != db.AuditDocumentRules || es[0].Actor != e.analyst.Email || !strings.Contains(es[0].Detail, "3000-3999") {
		t.Errorf("newest audit event = %+v, want the rules' change by the analyst", es[0])
	}
	wantText(t, "the audit trail", analyst.get("/companies/"+itoa(e.fj.ID)+"/audit"), "changed which vouchers need a document")

	// A member analyst of another company cannot see this one's.
	wantStatus(t, "a company one is not a member of", analyst.get("/companies/"+itoa(e.hidden.ID)+"/missing"), http.StatusNotFound)
}
