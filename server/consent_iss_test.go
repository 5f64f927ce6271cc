package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"bilag/db"
)

// Visma's identity server always says who answered (RFC 9207: its
// discovery document advertises authorization_response_iss_parameter_supported),
// so a callback without iss is refused as one from another issuer: the
// accountant sees the clear failure page, the code is never exchanged and
// nothing is stored.
func TestConsentCallbackWithoutIssuer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.loggedIn(e.analyst).createLink(e.fj, "")
	acc := e.browser()
	cb, err := url.Parse(acc.consent(link, anna).Location())
	if err != nil {
		t.Fatal(err)
	}
	q := cb.Query()
	if q.Get("iss") != e.sbURL {
		t.Fatalf("the sandbox's callback carries iss %q, want %q", q.Get("iss"), e.sbURL)
	}
	q.Del("iss")
	cb.RawQuery = q.Encode()

	res := acc.finish(cb.String())
	wantStatus(t, "result page", res, http.StatusBadRequest)
	wantText(t, "result page", res, tr("result.bad.title"), tr("eaccounting.result.issuer"))
	// No tokens were ever given, so none were withdrawn.
	if strings.Contains(res.Text(), tr("result.nothing.stored")) {
		t.Errorf("result page says access was withdrawn, but no tokens existed")
	}
	e.noConnection(t, e.fj)
	if got := e.sb.Stats().CodeExchanges; got != 0 {
		t.Errorf("code exchanges = %d, want 0", got)
	}
	if l := e.linkOf(t, link); l.Status != db.LinkFailed || l.Reason != "issuer" {
		t.Errorf("link = {%s %q}, want failed for the issuer", l.Status, l.Reason)
	}
	// As after any refused answer, the link stays usable: "try again".
	if !strings.Contains(res.Body, `action="/connect/`+secretOf(link)+`"`) {
		t.Errorf("result page offers no try-again form for the link")
	}
}
