package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/db"
	"bilag/views"
)

// Issue 25 item 2: a company an analyst disconnected says who disconnected
// it and when (in the portal's zone), not that its connection "has ended
// and needs a new approval": on the company page, the voucher list, the
// voucher page, the document frame and route, and in the API.
func TestDisconnectedSaysWhoAndWhen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	e.waitSync(e.connectFJ(analyst))
	viewer := e.loggedIn(e.viewer)
	admin := e.loggedIn(e.admin)
	l, err := e.db.Vouchers(t.Context(), e.fj.ID, db.VoucherFilter{HasDocuments: true, PageSize: 1})
	if err != nil || len(l.Vouchers) == 0 {
		t.Fatalf("Vouchers(fj) = %+v, %v; want a voucher with documents", l, err)
	}
	v := l.Vouchers[0]
	wantStatus(t, "voucher page before", viewer.get(voucherPath(e.fj, v)), http.StatusOK)
	docs, err := e.db.VoucherDocuments(t.Context(), e.fj.ID, v.ID)
	if err != nil || len(docs) == 0 {
		t.Fatalf("VoucherDocuments = %v, %v; want the voucher's documents", docs, err)
	}
	token := e.tokenFor(e.viewer)

	// Some time after the approval, so that its time is not the one shown.
	e.clock.Advance(90 * time.Minute)
	when := views.FormatTime(e.clock.Now(), portalZone(t), "en")
	// An admin, who is no member: the name on the pages is not the
	// reader's in the header, nor one of the company's members.
	r := admin.post("/companies/"+itoa(e.fj.ID)+"/connection/disconnect", url.Values{"confirm": {"yes"}})
	wantStatus(t, "disconnect", r, http.StatusSeeOther)
	e.clock.Advance(time.Hour)
	analyst, viewer = e.loggedIn(e.analyst), e.loggedIn(e.viewer)

	const who = "Astrid Admin"
	says := func(what string, text string) {
		t.Helper()
		text = strings.Join(strings.Fields(text), " ")
		if !strings.Contains(text, who) || !strings.Contains(text, when) {
			t.Errorf("%s says %.400q; want who disconnected the company (%s) and when (%s)", what, text, who, when)
		}
		if strings.Contains(text, "has ended") || strings.Contains(text, "needs a new approval") {
			t.Errorf("%s says the connection ended and needs a new approval: %.400q", what, text)
		}
	}
	page := analyst.get("/companies/" + itoa(e.fj.ID))
	wantStatus(t, "company page", page, http.StatusOK)
	says("company page", page.Text())
	list := viewer.get("/companies/" + itoa(e.fj.ID) + "/vouchers")
	wantStatus(t, "voucher list", list, http.StatusOK)
	says("voucher list", list.Text())
	vp := viewer.get(voucherPath(e.fj, v))
	wantStatus(t, "voucher page", vp, http.StatusOK)
	says("voucher page", vp.Text())
	frame := viewer.get(docPath(e.fj, v, docs[0]) + "/view")
	wantStatus(t, "frame", frame, http.StatusConflict)
	says("frame", frame.Text())
	doc := viewer.get(docPath(e.fj, v, docs[0]))
	wantStatus(t, "document route", doc, http.StatusConflict)
	says("document route", doc.Text())
	for _, path := range []string{"/api/v1" + voucherPath(e.fj, v), "/api/v1" + docPath(e.fj, v, docs[0])} {
		says(path, apiMessage(t, path, e.api(t, token, path), http.StatusConflict, "reapproval_required"))
	}
}
