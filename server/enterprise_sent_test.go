package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	entsandbox "bilag/connectors/enterprise/sandbox"
)

// An order whose customer, principal, commodity and serial number went to
// the company's Enterprise in an earlier upload is warned about on the
// batch page, naming that upload, and may still be sent.
func TestEnterpriseSerialSentBefore(t *testing.T) {
	t.Parallel()
	e, _, root := withEnterprise(t)
	admin := e.loggedIn(e.admin)
	analyst := e.loggedIn(e.analyst)
	wantStatus(t, "allow the host", admin.post("/companies/"+itoa(e.fj.ID)+"/hosts", url.Values{"hosts": {"127.0.0.1"}}), http.StatusSeeOther)
	link := analyst.createLink(e.fj, "")
	acc := e.browser()
	acc.get(link)
	form := url.Values{"url": {root}, "user": {entsandbox.DefaultUser}, "password": {entsandbox.DefaultPassword}, "company": {"1"}, "system": {"WS"}, "confirm": {"yes"}, "approver_name": {"Kari Nordmann"}}
	wantStatus(t, "connect", acc.post(link, form), http.StatusSeeOther)

	imports := "/companies/" + itoa(e.fj.ID) + "/imports"
	analyst.get(imports)
	r := analyst.uploadOrders(e.fj, "orders.csv", ordersFixed)
	first := batchLocation.FindStringSubmatch(r.Location())[1]
	analyst.post(imports+"/"+first+"/send", nil)
	e.svc.Wait()

	// A new order number, the first line's serial again.
	again := ordersHeader + "G-1;04057912345;Olsen Petter;0277;NO;20;100;1;10;1;10;;;\n"
	r = analyst.uploadOrders(e.fj, "more.csv", again)
	wantStatus(t, "upload", r, http.StatusSeeOther)
	page := analyst.follow(r)
	warning := strings.Replace(tr("enterprise.imports.f.sent_before"), "%s", first+" (orders.csv): F-1 / 1", 1)
	wantText(t, "serial sent before", page, warning, tr("imports.status.ready"))
}
