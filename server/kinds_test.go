package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
)

// Item 13: a voucher of a kind Bilag has no word for (a connector's new
// kind, or Visma's type -2147483648 as an upstream type name) shows a
// neutral word on the list and the voucher page, never a translation key.
func TestUnknownVoucherKindShowsAWord(t *testing.T) {
	t.Parallel()
	e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
	up.AddVoucher(connectors.Voucher{Ref: "v2", FiscalYear: "fy2026", Number: "A2", Series: "A", Text: "Okänd sort", Kind: connectors.VoucherKind("travel_claim"),
		UpstreamType: "Type -2147483648", Date: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), ModifiedAt: e.clock.Now().Add(-time.Hour), Amount: 100}, nil)
	conn := e.connectFake()
	e.waitSync(conn)
	var id int64
	for _, v := range e.indexed(e.fj) {
		if v.Number == "A2" {
			id = v.ID
		}
	}
	if id == 0 {
		t.Fatal("voucher A2 was not indexed")
	}
	b := e.loggedIn(e.viewer)
	for _, path := range []string{fmt.Sprintf("/companies/%d/vouchers", e.fj.ID), fmt.Sprintf("/companies/%d/vouchers/%d", e.fj.ID, id)} {
		r := b.get(path)
		wantStatus(t, path, r, http.StatusOK)
		for _, key := range []string{"vkind.", "vtype."} {
			if strings.Contains(r.Body, key) {
				i := strings.Index(r.Body, key)
				t.Errorf("%s shows a translation key: %q", path, r.Body[max(0, i-40):min(len(r.Body), i+40)])
			}
		}
		wantText(t, path, r, "Other")
	}
}
