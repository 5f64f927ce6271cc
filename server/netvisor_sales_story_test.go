package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/netvisor"
	nvsandbox "bilag/connectors/netvisor/sandbox"
	"bilag/db"
)

// connectNetvisor connects the Finnish company with the sandbox's demo
// keys through a link and waits for its first sync.
func (e *nvEnv) connectNetvisor(t *testing.T) *db.Connection {
	t.Helper()
	host := e.svc.Connector("netvisor").(*netvisor.Connector).Hosts()[0]
	link := e.loggedIn(e.analyst).createLink(e.co, "")
	acc := e.browser()
	acc.get(link)
	dc := nvsandbox.DemoCustomer()
	r := acc.post(link, url.Values{netvisor.FieldCustomerID: {dc.ID}, netvisor.FieldCustomerKey: {dc.Key}, netvisor.FieldHost: {host}, "approver_name": {"Aino Virtanen"}})
	wantStatus(t, "connect", r, http.StatusSeeOther)
	conn, err := e.svc.Current(t.Context(), e.co.ID)
	if err != nil || conn.Status != db.ConnActive {
		t.Fatalf("Current() = %+v, %v", conn, err)
	}
	e.waitSync(conn)
	return conn
}

// nvInvoices is a batch in Bilag's JSON format: the connector's example
// invoice under each number, edited by edit.
func nvInvoices(t *testing.T, e *nvEnv, numbers []string, edit func(i int, inv *connectors.Invoice)) string {
	t.Helper()
	var out []connectors.Invoice
	for i, n := range numbers {
		inv := e.svc.Connector("netvisor").(*netvisor.Connector).ExampleInvoice()
		inv.Number = n
		inv.Extensions = nil // the reference number is the example's own
		if edit != nil {
			edit(i, &inv)
		}
		out = append(out, inv)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sandboxInvoice is the sandbox's sales invoice of number n; ok false
// when it has none.
func (e *nvEnv) sandboxInvoice(n string) (nvsandbox.SalesInvoice, int) {
	var got nvsandbox.SalesInvoice
	count := 0
	for _, si := range e.sb.SalesInvoices(nvsandbox.DemoOrgID) {
		if si.Number == n {
			got, count = si, count+1
		}
	}
	return got, count
}

var orderRefRe = regexp.MustCompile(`id="order-(\d+)"`)

// orderIDs are the order ids of a batch page, in order.
func orderIDs(page *response) []string {
	var out []string
	for _, m := range orderRefRe.FindAllStringSubmatch(page.Body, -1) {
		out = append(out, m[1])
	}
	return out
}

// Seed 004 through the portal against the Netvisor sandbox: VAT codes
// paired; an upload with a validation error and an unknown customer
// reported whole and nothing sent; fixed, sent with Netvisor's keys stored
// and shown; a status change and a comment confirmed, seen in the
// sandbox and audited, a viewer seeing no buttons and refused; a lost
// answer settled by the list on "send again", not resent.
func TestNetvisorSalesStory(t *testing.T) {
	t.Parallel()
	e := newNetvisorEnv(t)
	e.connectNetvisor(t)
	analyst := e.loggedIn(e.analyst)
	base := "/companies/" + itoa(e.co.ID)

	// Pairing: the seed's VAT code for 25.5 %, unsent on arrival.
	res := analyst.post(base+"/pairing/netvisor", url.Values{"t": {netvisor.TableVATCode, netvisor.TableSetting},
		"k": {"25.5", netvisor.SettingState}, "v": {"KOMY:25.5", "unsent"}})
	wantStatus(t, "pair", res, http.StatusSeeOther)

	// An upload with errors: a number Netvisor does not take and an
	// unknown customer. Everything reported, nothing sent.
	bad := nvInvoices(t, e, []string{"F-12", "1202", "1203"}, func(i int, inv *connectors.Invoice) {
		if i == 1 {
			inv.Customer.Number = "9999"
		}
	})
	r0 := analyst.uploadInvoices(e.co, "netvisor", "kesakuu.json", bad)
	wantStatus(t, "upload with errors", r0, http.StatusSeeOther)
	page := analyst.follow(r0)
	wantText(t, "findings and pre-flight", page, tr("imports.preflight.heading"), "9999", tr("imports.errors", 1))
	analyst.post(r0.Location()+"/send", nil)
	e.svc.Wait()
	if n := e.sb.Calls("salesinvoice.nv"); n != 0 {
		t.Fatalf("%d imports sent from a batch with an unknown customer", n)
	}

	// Fixed: sent, Netvisor's keys stored and shown.
	r1 := analyst.uploadInvoices(e.co, "netvisor", "kesakuu-2.json", nvInvoices(t, e, []string{"1202", "1203"}, nil))
	wantStatus(t, "fixed upload", r1, http.StatusSeeOther)
	batchURL := r1.Location()
	analyst.post(batchURL+"/send", nil)
	e.svc.Wait()
	page = analyst.get(batchURL)
	wantText(t, "sent", page, tr("imports.counts", 2, 2, 0, 0))
	si, n := e.sandboxInvoice("1202")
	if n != 1 || si.Status != "unsent" {
		t.Fatalf("sandbox invoice 1202: %d, status %q; want one, unsent", n, si.Status)
	}
	key := strconv.Itoa(si.Key)
	wantText(t, "the key shown", page, tr("imports.attempt.ref", key))
	ids := orderIDs(page)
	if len(ids) != 2 {
		t.Fatalf("batch page lists %d orders", len(ids))
	}
	act := batchURL + "/orders/" + ids[0] + "/act"
	wantText(t, "the actions offered", page, tr("imports.act.heading", tr("connector.netvisor")), tr("netvisor.imports.act.open"), tr("netvisor.imports.act.comment"))

	nvInvoiceActions(t, e, act, batchURL, key)
	nvLostAnswer(t, e, analyst)
}

// nvInvoiceActions walks the actions on the sent invoice key (order act):
// a viewer has no buttons and is refused; each action needs its confirm
// step, reads the status there, is taken once, seen in the sandbox and
// audited; one not allowed now is refused before anything is sent.
func nvInvoiceActions(t *testing.T, e *nvEnv, act, batchURL, key string) {
	t.Helper()
	analyst := e.loggedIn(e.analyst)
	viewer := e.loggedIn(e.viewer)
	vp := viewer.get(batchURL)
	wantStatus(t, "viewer's batch page", vp, http.StatusOK)
	if strings.Contains(vp.Body, "/act\"") || strings.Contains(vp.Body, tr("netvisor.imports.act.open")) {
		t.Error("a viewer sees the actions")
	}
	wantStatus(t, "viewer acts", viewer.post(act, url.Values{"action": {"open"}, "confirm": {"yes"}}), http.StatusForbidden)
	writes := func() int { return e.sb.Calls("updatesalesinvoicestatus.nv") + e.sb.Calls("salesinvoicecomment.nv") }

	// The confirm step: the status read now, nothing written.
	conf := analyst.post(act, url.Values{"action": {"open"}})
	wantStatus(t, "confirm page", conf, http.StatusOK)
	wantText(t, "confirm page", conf, tr("imports.act.status", tr("connector.netvisor"), tr("netvisor.imports.status.unsent")), tr("imports.act.yes", tr("netvisor.imports.act.open")))
	if writes() != 0 {
		t.Fatal("the confirm step wrote to Netvisor")
	}
	wrongCSRF := url.Values{"_csrf": {"not-the-token"}, "action": {"open"}, "confirm": {"yes"}}
	wantStatus(t, "without the CSRF token", analyst.post(act, wrongCSRF), http.StatusForbidden)
	wantStatus(t, "an action not offered", analyst.post(act, url.Values{"action": {"paid"}}), http.StatusNotFound)
	done := analyst.follow(analyst.post(act, url.Values{"action": {"open"}, "confirm": {"yes"}}))
	wantText(t, "opened", done, tr("imports.act.done", tr("netvisor.imports.act.open")), tr("imports.act.outcome.accepted", tr("netvisor.imports.act.open")))
	if si, _ := e.sandboxInvoice("1202"); si.Status != "open" {
		t.Fatalf("sandbox status after open = %q", si.Status)
	}
	// Open again: the confirm page says it is not allowed; confirmed
	// anyway, nothing is sent.
	wantText(t, "open again", analyst.post(act, url.Values{"action": {"open"}}), tr("imports.act.notallowed", tr("connector.netvisor"), tr("netvisor.imports.act.open")))
	before := writes()
	wantText(t, "open again confirmed", analyst.follow(analyst.post(act, url.Values{"action": {"open"}, "confirm": {"yes"}})), tr("imports.act.input"))
	if writes() != before {
		t.Error("an action not allowed was sent")
	}

	comment := "Asiakas pyysi maksuaikaa 30 päivää"
	conf = analyst.post(act, url.Values{"action": {"comment"}, "text": {comment}})
	wantText(t, "comment confirm", conf, comment)
	analyst.post(act, url.Values{"action": {"comment"}, "text": {comment}, "confirm": {"yes"}})
	if si, _ := e.sandboxInvoice("1202"); !slices.Contains(si.Comments, comment) {
		t.Fatalf("sandbox comments = %q", si.Comments)
	}
	evs, err := e.db.AuditEvents(t.Context(), e.co.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var acted []string
	for _, ev := range evs {
		if ev.Action == db.AuditInvoiceAction {
			acted = append(acted, ev.Detail)
		}
	}
	if len(acted) != 2 || !strings.Contains(acted[len(acted)-1], "key="+key+" action=open outcome=accepted") {
		t.Errorf("audit of the actions = %q", acted)
	}
	wantText(t, "audit trail", analyst.get("/companies/"+itoa(e.co.ID)+"/audit"), tr("audit.action.invoice_action"))
}

// nvLostAnswer: an import whose answer is lost is unknown; "send again"
// finds it with salesinvoicelist.nv and does not send it a second time.
func nvLostAnswer(t *testing.T, e *nvEnv, analyst *browser) {
	t.Helper()
	r := analyst.uploadInvoices(e.co, "netvisor", "heinakuu.json", nvInvoices(t, e, []string{"1204"}, nil))
	batchURL := r.Location()
	e.sb.LoseNextAnswer("salesinvoice.nv")
	analyst.post(batchURL+"/send", nil)
	e.svc.Wait()
	page := analyst.get(batchURL)
	wantText(t, "lost", page, tr("imports.counts", 1, 0, 0, 1))
	if _, n := e.sandboxInvoice("1204"); n != 1 {
		t.Fatalf("the lost import made %d invoices", n)
	}
	imports := e.sb.Calls("salesinvoice.nv")
	ids := orderIDs(page)
	analyst.post(batchURL+"/send", url.Values{"again": {ids[0]}})
	e.svc.Wait()
	page = analyst.get(batchURL)
	wantText(t, "settled by the list", page, tr("imports.attempt.lookup.found"), tr("imports.counts", 1, 1, 0, 0))
	if n := e.sb.Calls("salesinvoice.nv"); n != imports {
		t.Errorf("send again imported %d more times", n-imports)
	}
	if _, n := e.sandboxInvoice("1204"); n != 1 {
		t.Errorf("after send again Netvisor has %d invoices 1204", n)
	}
}

// The actions against a failing Netvisor: the confirm page and a
// confirmed action each a clear message, never a 500, nothing retried; a
// delete whose answer is lost is recorded unknown; Netvisor's refusal of
// a delete is shown as its answer.
func TestNetvisorInvoiceActionsFail(t *testing.T) {
	t.Parallel()
	e := newNetvisorEnv(t)
	e.connectNetvisor(t)
	analyst := e.loggedIn(e.analyst)
	base := "/companies/" + itoa(e.co.ID)
	analyst.post(base+"/pairing/netvisor", url.Values{"t": {netvisor.TableVATCode, netvisor.TableSetting},
		"k": {"25.5", netvisor.SettingState}, "v": {"KOMY:25.5", "open"}})
	r := analyst.uploadInvoices(e.co, "netvisor", "elokuu.json", nvInvoices(t, e, []string{"1301", "1302"}, nil))
	batchURL := r.Location()
	analyst.post(batchURL+"/send", nil)
	e.svc.Wait()
	ids := orderIDs(analyst.get(batchURL))
	if len(ids) != 2 {
		t.Fatalf("batch lists %d orders", len(ids))
	}
	act := batchURL + "/orders/" + ids[0] + "/act"
	unavailable := "TECHNICAL_ERROR"

	e.sb.FailNext("getsalesinvoice.nv", unavailable, unavailable, unavailable)
	conf := analyst.post(act, url.Values{"action": {"creditloss"}})
	wantStatus(t, "confirm page, Netvisor failing", conf, http.StatusServiceUnavailable)
	if strings.Contains(conf.Body, tr("err.500")) {
		t.Error("the confirm page against a failing Netvisor is a 500")
	}

	calls := e.sb.Calls("salesinvoicecomment.nv")
	// Maintenance: Netvisor did nothing (a technical error on a write
	// would leave it unknown).
	e.sb.FailNext("salesinvoicecomment.nv", "SYSTEM_MAINTANANCE")
	res := analyst.post(act, url.Values{"action": {"comment"}, "text": {"Soitettu"}, "confirm": {"yes"}})
	wantStatus(t, "comment, Netvisor failing", res, http.StatusServiceUnavailable)
	if n := e.sb.Calls("salesinvoicecomment.nv") - calls; n != 1 {
		t.Errorf("a failed comment was sent %d times, want once (never retried)", n)
	}

	// Written off, Netvisor refuses to delete it: its answer is shown.
	// Failures in a row pause the organisation: the next action is told
	// to wait, with Netvisor's words, and nothing is sent.
	paused := analyst.post(act, url.Values{"action": {"creditloss"}, "confirm": {"yes"}})
	wantStatus(t, "paused", paused, http.StatusTooManyRequests)
	e.clock.Advance(6 * time.Minute)
	analyst.post(act, url.Values{"action": {"creditloss"}, "confirm": {"yes"}})
	if si, _ := e.sandboxInvoice("1301"); si.Status != "creditloss" {
		t.Fatalf("status after credit loss = %q", si.Status)
	}
	page := analyst.follow(analyst.post(act, url.Values{"action": {"delete"}, "confirm": {"yes"}}))
	wantText(t, "delete refused", page, tr("imports.act.outcome.refused", tr("netvisor.imports.act.delete")), "cannot be deleted")
	if _, n := e.sandboxInvoice("1301"); n != 1 {
		t.Fatal("a refused delete deleted the invoice")
	}

	// A delete whose answer is lost: unknown, for a person to look at.
	act2 := batchURL + "/orders/" + ids[1] + "/act"
	e.clock.Advance(time.Second) // a fresh TransactionId: the test's clock stands still
	e.sb.LoseNextAnswer("deletesalesinvoice.nv")
	page = analyst.follow(analyst.post(act2, url.Values{"action": {"delete"}, "confirm": {"yes"}}))
	wantText(t, "delete lost", page, tr("imports.act.unknown", tr("connector.netvisor")), tr("imports.act.outcome.unknown", tr("netvisor.imports.act.delete")))
}
