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

// TestKeyFormAsksTheApprover (issue 25, item 5): a connection granted by
// pasted keys names the person who pasted them, not the API identifier:
// the key form asks the approver's name (required, bounded), and every
// place that shows an approver shows that name, escaped: the result page,
// the link reopened, the company page, its link history (who tried), the
// audit trail and the notifications.
func TestKeyFormAsksTheApprover(t *testing.T) {
	t.Parallel()
	e := newNetvisorEnv(t)
	host := e.svc.Connector("netvisor").(*netvisor.Connector).Hosts()[0]
	dc := nvsandbox.DemoCustomer()
	analyst := e.loggedIn(e.analyst)
	link := analyst.createLink(e.co, "")
	acc := e.browser()
	page := acc.get(link)
	wantStatus(t, "key form", page, http.StatusOK)
	if !strings.Contains(page.Body, `name="approver_name" type="text"`) {
		t.Fatalf("the key form asks no approver's name")
	}
	form := func(name, key string) url.Values {
		v := url.Values{netvisor.FieldCustomerID: {dc.ID}, netvisor.FieldCustomerKey: {key}, netvisor.FieldHost: {host}}
		if name != "" {
			v.Set("approver_name", name)
		}
		return v
	}
	stored := func(what string) {
		t.Helper()
		if c, err := e.svc.Current(t.Context(), e.co.ID); err == nil {
			t.Fatalf("%s stored a connection (%s)", what, c.Status)
		}
	}

	// Without a name, or with one too long: refused beside the field,
	// before Netvisor is asked.
	for _, tc := range []struct{ name, want string }{{"", tr("err.required")}, {"  ", tr("err.required")}, {strings.Repeat("A", 101), tr("err.toolong")}} {
		r := acc.post(link, form(tc.name, dc.Key))
		wantStatus(t, "approver "+tc.name, r, http.StatusUnprocessableEntity)
		if got := fieldErrors(r.Body)["approver_name"]; got != tc.want {
			t.Errorf("approver %q: field error %q, want %q", tc.name, got, tc.want)
		}
		stored("a refused name")
	}
	if n := e.sb.Calls("accountingledger.nv"); n != 0 {
		t.Errorf("Netvisor was asked %d times before a name was given", n)
	}

	// Wrong keys: who tried is the name typed, escaped.
	const script = `Aino<script>alert(1)</script>`
	wantStatus(t, "wrong keys", acc.post(link, form(script, "not-the-key")), http.StatusUnprocessableEntity)
	stored("wrong keys")
	co := analyst.get("/companies/" + itoa(e.co.ID))
	wantText(t, "link history", co, tr("share.tried.by", script))
	if strings.Contains(co.Body, "<script>alert(1)") {
		t.Error("the company page shows the typed name unescaped")
	}

	// The right keys: the person approved, not the API identifier.
	const anna = "Aino Virtanen"
	r := acc.post(link, form(" "+anna+" ", dc.Key))
	wantStatus(t, "right keys", r, http.StatusSeeOther)
	conn, err := e.svc.Current(t.Context(), e.co.ID)
	if err != nil || conn.Status != db.ConnActive || conn.ApprovedBy != anna {
		t.Fatalf("Current() = %+v, %v; want an active connection approved by %s", conn, err, anna)
	}
	pages := map[string]*response{
		"result page":   acc.get("/connect-result"),
		"link reopened": e.browser().get(link),
		"company page":  analyst.get("/companies/" + itoa(e.co.ID)),
		"audit trail":   analyst.get("/companies/" + itoa(e.co.ID) + "/audit"),
		"notifications": analyst.get("/notifications"),
	}
	for what, p := range pages {
		wantStatus(t, what, p, http.StatusOK)
		wantText(t, what, p, anna)
		if strings.Contains(p.Text(), dc.ID) {
			t.Errorf("%s names the API identifier %s as the approver", what, dc.ID)
		}
	}
	wantText(t, "result page", pages["result page"], tr("accountant.ok.by", anna))
}
