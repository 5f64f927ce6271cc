package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
)

// TestConsentCheckFailures (issue 25, item 2): the upstream fails while
// Bilag checks the access just given (the code exchange, or the check of
// the grant). A refusal that another try cannot change (a 400, an answer
// Bilag cannot use) says so and offers no "try again"; only a fault that
// passes (no answer, a rate limit) invites a retry. The analyst reads
// the same difference on the company page.
func TestConsentCheckFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		op     string
		err    error
		text   string // what the result page says
		retry  bool   // it offers "try again"
		reason string // recorded on the link
	}{
		{"a 400 at the code exchange", connectortest.OpCallback, errors.New("fake: token: 400 Bad Request: invalid_client"), tr("result.upstream_error"), false, "upstream_error"},
		{"a 400 at the check", connectortest.OpCheck, errors.New("fake: GET /company: 400 Bad Request"), tr("result.upstream_error"), false, "upstream_error"},
		{"an unusable answer at the check", connectortest.OpCheck, fmt.Errorf("fake: GET /company: %w", connectors.ErrBadAnswer), tr("result.upstream_error"), false, "upstream_error"},
		{"no answer at the check", connectortest.OpCheck, fmt.Errorf("fake: GET /company: %w", connectors.ErrUnavailable), tr("result.upstream"), true, "upstream"},
		{"a rate limit at the code exchange", connectortest.OpCallback, &connectors.RateLimitError{RetryAfter: time.Minute}, tr("result.upstream"), true, "upstream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, up := newEnv(t).withFake(func(u *connectortest.Upstream) connectors.Connector { return connectortest.Full{Upstream: u} })
			up.FailNext(tc.op, tc.err)
			analyst := e.loggedIn(e.analyst)
			link := analyst.createLink(e.fj, "")
			acc := e.browser()
			wantStatus(t, "consent page", acc.get(link), http.StatusOK)
			r := acc.post(link, nil)
			wantStatus(t, "give permission", r, http.StatusSeeOther)
			auth, err := url.Parse(r.Location())
			if err != nil {
				t.Fatal(err)
			}
			q := auth.Query()
			res := acc.finish(q.Get("redirect_uri") + "?" + url.Values{"code": {"ok"}, "state": {q.Get("state")}}.Encode())
			wantStatus(t, "result page", res, http.StatusBadGateway)
			wantText(t, "result page", res, tr("result.bad.title"), tc.text)
			if retry := strings.Contains(res.Body, `action="/connect/`+secretOf(link)+`"`); retry != tc.retry {
				t.Errorf("result page offers try again: %t, want %t", retry, tc.retry)
			}
			if !tc.retry && strings.Contains(res.Text(), tr("result.upstream")) {
				t.Errorf("result page of a permanent refusal says %q", tr("result.upstream"))
			}
			if l := e.linkOf(t, link); l.Reason != tc.reason {
				t.Errorf("link reason = %q, want %q", l.Reason, tc.reason)
			}
			wantText(t, "company page", analyst.get("/companies/"+itoa(e.fj.ID)), tr("reason."+tc.reason))
		})
	}
}
