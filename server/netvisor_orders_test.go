package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bilag/connectors/netvisor"
	nvsandbox "bilag/connectors/netvisor/sandbox"
	"bilag/db"
)

// orderRecord opens voucher 1011 (advance invoice 1043) as the viewer,
// which lists its documents, and returns the voucher page's URL and the
// act URL of its related order 5001 (undelivered).
func (e *nvEnv) orderRecord(t *testing.T) (string, string) {
	t.Helper()
	vs, err := e.db.Vouchers(t.Context(), e.co.ID, db.VoucherFilter{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	var v db.Voucher
	for _, x := range vs.Vouchers {
		if x.Ref == "1011" {
			v = x
		}
	}
	page := "/companies/" + itoa(e.co.ID) + "/vouchers/" + itoa(v.ID)
	wantText(t, "voucher 1011", e.loggedIn(e.viewer).get(page), tr("record.order", "5001"), tr("invoice.status.overdue"))
	docs, err := e.db.VoucherDocuments(t.Context(), e.co.ID, v.ID)
	if err != nil || len(docs) != 2 || docs[1].Kind != netvisor.KindSalesOrder {
		t.Fatalf("voucher 1011 documents = %+v, %v; want the PDF and order 5001", docs, err)
	}
	return page, page + "/documents/" + itoa(docs[1].ID)
}

// Order invoicing from the order's page: a viewer sees no button and is
// refused; the analyst's button leads to a confirm page that reads the
// order and sends nothing; confirmed, the order is billed once, audited,
// and the page offers nothing more; asked again, nothing is sent.
func TestNetvisorOrderInvoicing(t *testing.T) {
	e := newNetvisorEnv(t)
	e.connectNetvisor(t)
	_, doc := e.orderRecord(t)
	act := doc + "/act"
	viewer, analyst := e.loggedIn(e.viewer), e.loggedIn(e.analyst)
	if r := viewer.get(doc + "/view"); strings.Contains(r.Body, "/act\"") || strings.Contains(r.Body, tr("netvisor.record.act.bill")) {
		t.Error("a viewer sees the order's actions")
	}
	wantStatus(t, "viewer acts", viewer.post(act, url.Values{"action": {"bill"}, "confirm": {"yes"}}), http.StatusForbidden)
	framed := analyst.get(doc + "/view")
	wantText(t, "the analyst's order page", framed, tr("netvisor.record.act.bill"), tr("netvisor.record.act.deliver"))
	if !strings.Contains(framed.Body, `target="_top"`) || !strings.Contains(framed.Body, `name="_csrf" value="`) {
		t.Error("the framed order page's forms lack target=_top or the CSRF token")
	}

	conf := analyst.post(act, url.Values{"action": {"bill"}})
	wantStatus(t, "confirm page", conf, http.StatusOK)
	wantText(t, "confirm page", conf, tr("record.status.undelivered"), tr("imports.act.yes", tr("netvisor.record.act.bill")))
	if n := e.sb.Calls("salesorderinvoicing.nv"); n != 0 {
		t.Fatal("the confirm step wrote to Netvisor")
	}
	wantStatus(t, "an action Bilag does not offer", analyst.post(act, url.Values{"action": {"cancel"}}), http.StatusNotFound)
	wantStatus(t, "without the CSRF token", analyst.post(act, url.Values{"_csrf": {"x"}, "action": {"bill"}, "confirm": {"yes"}}), http.StatusForbidden)

	done := analyst.follow(analyst.post(act, url.Values{"action": {"bill"}, "confirm": {"yes"}}))
	wantText(t, "billed", done, tr("record.act.done", tr("record.order", "5001"), tr("connector.netvisor")))
	if o := e.sb.Order(nvsandbox.DemoOrgID, 801); o.Status != "billed" {
		t.Fatalf("order 801 is %s, want billed", o.Status)
	}
	if r := analyst.get(doc + "/view"); strings.Contains(r.Body, tr("netvisor.record.act.bill")) || !strings.Contains(r.Body, tr("record.status.billed")) {
		t.Error("the billed order still offers billing, or does not say billed")
	}
	wantText(t, "bill again", analyst.post(act, url.Values{"action": {"bill"}}), tr("record.act.notallowed", tr("connector.netvisor"), tr("netvisor.record.act.bill")))
	wantText(t, "bill again confirmed", analyst.follow(analyst.post(act, url.Values{"action": {"bill"}, "confirm": {"yes"}})), tr("record.act.input", tr("connector.netvisor")))
	if n := e.sb.Calls("salesorderinvoicing.nv"); n != 1 {
		t.Errorf("salesorderinvoicing.nv called %d times, want 1", n)
	}
	wantRecordAudit(t, e, []string{"action=bill outcome=accepted settled=false"})
	wantText(t, "audit trail", analyst.get("/companies/"+itoa(e.co.ID)+"/audit"), tr("audit.action.record_action"))
}

// Netvisor's refusal is shown in its words and changes nothing; a lost
// answer is settled by reading the order (getorder.nv), never by sending
// again; the order unreadable then is said so, recorded unknown.
func TestNetvisorOrderInvoicingRefusedAndLost(t *testing.T) {
	e := newNetvisorEnv(t)
	e.connectNetvisor(t)
	_, doc := e.orderRecord(t)
	act := doc + "/act"
	analyst := e.loggedIn(e.analyst)
	e.sb.FailNext("salesorderinvoicing.nv", "INVALID_DATA")
	r := analyst.follow(analyst.post(act, url.Values{"action": {"deliver"}, "confirm": {"yes"}}))
	wantText(t, "refused", r, tr("imports.act.refused", tr("connector.netvisor"), "Injected failure"))
	if o := e.sb.Order(nvsandbox.DemoOrgID, 801); o.Status != "undelivered" {
		t.Fatalf("after a refusal order 801 is %s", o.Status)
	}
	e.sb.LoseNextAnswer("salesorderinvoicing.nv")
	reads := e.sb.Calls("getorder.nv")
	r = analyst.follow(analyst.post(act, url.Values{"action": {"deliver"}, "confirm": {"yes"}}))
	wantText(t, "lost, settled", r, tr("record.act.settled", tr("connector.netvisor")))
	if n := e.sb.Calls("getorder.nv") - reads; n < 2 {
		t.Errorf("%d getorder.nv calls for a lost answer, want the check and the settling read", n)
	}
	if n := e.sb.Calls("salesorderinvoicing.nv"); n != 2 {
		t.Errorf("salesorderinvoicing.nv called %d times, want 2 (the refusal, the lost one)", n)
	}
	if o := e.sb.Order(nvsandbox.DemoOrgID, 801); o.Status != "delivered" {
		t.Errorf("order 801 is %s, want delivered", o.Status)
	}
	wantRecordAudit(t, e, []string{"action=deliver outcome=refused settled=false", "action=deliver outcome=accepted settled=true"})
}

// wantRecordAudit: the company's record actions audited, oldest first,
// each detail ending as want says.
func wantRecordAudit(t *testing.T, e *nvEnv, want []string) {
	t.Helper()
	evs, err := e.db.AuditEvents(t.Context(), e.co.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Action == db.AuditRecordAction {
			got = append([]string{ev.Detail}, got...) // newest first
		}
	}
	if len(got) != len(want) {
		t.Fatalf("record actions audited = %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], "record=5001 key=801 ") || !strings.HasSuffix(got[i], want[i]) {
			t.Errorf("audit %d = %q, want …%s", i, got[i], want[i])
		}
	}
}

// The order's page and its action against a failing Netvisor: the page
// in the frame and the confirm page each say Netvisor is unavailable (no
// 500, nothing sent); a write Netvisor answers with maintenance is not
// retried and leaves the order as it was.
func TestNetvisorOrderFailingUpstream(t *testing.T) {
	e := newNetvisorEnv(t)
	e.connectNetvisor(t)
	_, doc := e.orderRecord(t)
	analyst := e.loggedIn(e.analyst)
	e.sb.FailNext("salesorderinvoicing.nv", "SYSTEM_MAINTANANCE")
	res := analyst.post(doc+"/act", url.Values{"action": {"bill"}, "confirm": {"yes"}})
	wantStatus(t, "bill, Netvisor in maintenance", res, http.StatusServiceUnavailable)
	if n := e.sb.Calls("salesorderinvoicing.nv"); n != 1 {
		t.Errorf("salesorderinvoicing.nv called %d times, want once (never retried)", n)
	}
	if o := e.sb.Order(nvsandbox.DemoOrgID, 801); o.Status != "undelivered" {
		t.Errorf("order 801 is %s after maintenance", o.Status)
	}
	// Failing reads: the frame shows Netvisor's trouble in words (it is
	// frameable, else the voucher page shows a blocked frame); the confirm
	// page too, or, the organisation paused after failures in a row, that
	// it must wait. Nothing is sent.
	const down = "TECHNICAL_ERROR"
	e.sb.FailNext("getorder.nv", down, down, down)
	r := analyst.get(doc + "/view")
	if r.Status < 500 && r.Status != http.StatusTooManyRequests || strings.Contains(r.Body, tr("err.500")) || r.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("the failing order's frame: %d, X-Frame-Options %q", r.Status, r.Header.Get("X-Frame-Options"))
	}
	conf := analyst.post(doc+"/act", url.Values{"action": {"bill"}})
	if conf.Status != http.StatusServiceUnavailable && conf.Status != http.StatusTooManyRequests || strings.Contains(conf.Body, tr("err.500")) {
		t.Errorf("confirm page, Netvisor failing: %d", conf.Status)
	}
	if n := e.sb.Calls("salesorderinvoicing.nv"); n != 1 {
		t.Errorf("salesorderinvoicing.nv called %d times after the failing reads", n)
	}
}
