package server_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"bilag/connectors/enterprise/sandbox"
	"bilag/db"
)

// csvFieldsOK checks the raw lines of a CSV Bilag hands out: a field that
// holds ";" or "," is quoted (Nordic Excel splits on ";", others on ","),
// and no unquoted field starts as a formula.
func csvFieldsOK(t *testing.T, what string, body string, comma rune) [][]string {
	t.Helper()
	rd := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	rd.Comma, rd.FieldsPerRecord = comma, -1
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("%s: CSV does not parse: %v\n%s", what, err, body)
	}
	for _, rec := range recs {
		for _, f := range rec {
			if strings.ContainsAny(f, ";,") && !strings.Contains(body, `"`+strings.ReplaceAll(f, `"`, `""`)+`"`) {
				t.Errorf("%s: field %q holds a separator and is not quoted:\n%s", what, f, body)
			}
			if f != "" && strings.ContainsRune("=+-@\t\r\x00", rune(f[0])) && !regexp.MustCompile(`^-?\d+([.,]\d+)?$`).MatchString(f) {
				t.Errorf("%s: field %q starts as a formula", what, f)
			}
		}
	}
	return recs
}

// TestAuditCSVSeparators (issue 25 item 16): "Matti;=1+2;" as an actor was
// written unquoted, so Nordic Excel split it into "Matti" and a formula.
func TestAuditCSVSeparators(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.auditSeed(
		db.AuditEvent{Action: db.AuditLoginFailed, Actor: "Matti;=1+2;", RemoteIP: "192.0.2.7"},
		db.AuditEvent{Action: db.AuditDocumentOpen, Actor: e.analyst.Email, Target: "Faktura, mars.pdf", Detail: "voucher=A;=1+2 document=3"},
	)
	r := e.loggedIn(e.admin).get("/companies/" + itoa(e.fj.ID) + "/audit.csv")
	wantStatus(t, "audit CSV", r, http.StatusOK)
	recs := csvFieldsOK(t, "audit CSV", r.Body, ',')
	if !strings.Contains(r.Body, `,"Matti;=1+2;",`) {
		t.Errorf("the actor Matti;=1+2; is not one quoted field:\n%s", r.Body)
	}
	if !slices.ContainsFunc(recs, func(rec []string) bool { return len(rec) == 6 && rec[1] == "Matti;=1+2;" }) {
		t.Errorf("no row keeps the actor as written: %q", recs)
	}
}

// TestInvoiceOrderTemplateCSV (issue 25 item 16): the example upload's
// decimal commas ("123,56") are quoted, so a spreadsheet splitting on ","
// keeps each in one cell, and the template still reads back as an upload.
func TestInvoiceOrderTemplateCSV(t *testing.T) {
	t.Parallel()
	e, _, root := withEnterprise(t)
	admin := e.loggedIn(e.admin)
	wantStatus(t, "allow the host", admin.post("/companies/"+itoa(e.fj.ID)+"/hosts", url.Values{"hosts": {"127.0.0.1"}}), http.StatusSeeOther)
	link := admin.createLink(e.fj, "")
	acc := e.browser()
	acc.get(link)
	wantStatus(t, "connect", acc.post(link, url.Values{"url": {root}, "user": {sandbox.DefaultUser}, "password": {sandbox.DefaultPassword},
		"company": {"1"}, "system": {"WS"}, "confirm": {"yes"}, "approver_name": {"Kari Nordmann"}}), http.StatusSeeOther)

	tpl := admin.get("/companies/" + itoa(e.fj.ID) + "/imports/template.csv?connector=enterprise")
	wantStatus(t, "template", tpl, http.StatusOK)
	if !strings.HasPrefix(tpl.Body, "externalSystem;company;division;orderId") {
		t.Errorf("template does not start with its header: %q", tpl.Body)
	}
	csvFieldsOK(t, "template", tpl.Body, ';')
	if !strings.Contains(tpl.Body, `;"123,56";`) {
		t.Errorf("the price 123,56 is not quoted:\n%s", tpl.Body)
	}
	r := admin.uploadOrders(e.fj, "template.csv", tpl.Body)
	wantStatus(t, "the template uploaded as it is", r, http.StatusSeeOther)
	wantText(t, "the template uploaded", admin.follow(r), "12345-A2")
}

// TestCompanyImportExampleCSV (issue 25 item 16): the company import's
// example file quotes its members, which are separated by ";".
func TestCompanyImportExampleCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.loggedIn(e.admin).get("/admin/companies/import")
	wantStatus(t, "import page", r, http.StatusOK)
	m := regexp.MustCompile(`(?s)<pre class="csv-example"[^>]*>(.*?)</pre>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("the import page shows no example file")
	}
	example := html.UnescapeString(m[1])
	recs := csvFieldsOK(t, "company import example", example, ',')
	if !slices.ContainsFunc(recs, func(rec []string) bool { return len(rec) == 4 && strings.Contains(rec[3], ";") }) {
		t.Errorf("the example has no row with several members: %q", recs)
	}
}
