package accountant

import (
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
)

// TestNewResult: the result page's model, from what the request knows of
// its link and what the attempt came to. The pages themselves are driven
// over HTTP in package server's tests; this pins the mapping alone.
func TestNewResult(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	finished := now.Add(-time.Hour)
	h := &Handler{firm: Firm{Name: "Revisor AB"}, now: func() time.Time { return now }}
	v := visit{
		Link:    &db.ConsentLink{ID: 7, Connector: "x", ExpectedOrgNumber: "556677-8899", ExpiresAt: now.Add(24 * time.Hour), FinishedAt: &finished},
		Company: &db.Company{ID: 3, Name: "Fjällbacka Snickeri AB", OrgNumber: "556677-8899", Country: "SE"},
		Asker:   asker{Firm: "Revisor AB", SenderName: "Ann"},
		Secret:  "s3cret",
	}
	conn := &db.Connection{ExternalName: "Fjällbacka Snickeri", OrgNumber: "5566778899", ApprovedBy: "Anna Lindqvist <anna@example.se>", ApprovedAt: finished}
	seen := connectors.Company{Name: "Other AB", OrgNumber: "111111-1111"}

	tests := []struct {
		name    string
		out     connections.Outcome
		granted bool
		check   func(t *testing.T, r result)
	}{
		{"connected", connections.Outcome{Connection: conn, Seen: seen}, true, func(t *testing.T, r result) {
			if !r.OK || r.Done || r.Retry != "" || r.Granted || r.Approver != "Anna Lindqvist" || r.Got != seen.Name {
				t.Errorf("got %+v", r)
			}
		}},
		{"refused after the grant", connections.Outcome{Reason: "org_mismatch", Seen: seen}, true, func(t *testing.T, r result) {
			if r.OK || !r.Granted || r.Retry != "s3cret" || r.Got != seen.Name || r.Expected != "556677-8899" {
				t.Errorf("got %+v", r)
			}
		}},
		{"refused before any grant", connections.Outcome{Reason: "denied"}, false, func(t *testing.T, r result) {
			if r.OK || r.Granted || r.Retry != "s3cret" || r.Reason != "denied" {
				t.Errorf("got %+v", r)
			}
		}},
		{"connected already", connections.Outcome{Reason: "used"}, false, func(t *testing.T, r result) {
			if !r.OK || !r.Done || r.Retry != "" || r.Got != v.Company.Name || r.GotOrg != "556677-8899" || !r.At.Equal(finished) || r.Approver != "" {
				t.Errorf("got %+v", r)
			}
		}},
		{"connected already, with its connection", connections.Outcome{Reason: "used", Connection: conn}, false, func(t *testing.T, r result) {
			if !r.OK || !r.Done || r.Got != conn.ExternalName || r.GotOrg != conn.OrgNumber || r.Approver != "Anna Lindqvist" {
				t.Errorf("got %+v", r)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.newResult(v, tc.out, tc.granted)
			if r.Firm != "Revisor AB" || r.Asker.SenderName != "Ann" || r.Connector != "x" || r.Country != "SE" || r.Company != v.Company.Name {
				t.Errorf("newResult(%s) lost the visit: %+v", tc.name, r)
			}
			tc.check(t, r)
		})
	}
}

// TestUnusable: a link that can take no answer says where it stands, and
// offers no "try again" even when the request held its secret.
func TestUnusable(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	h := &Handler{firm: Firm{Name: "Revisor AB"}, now: func() time.Time { return now }}
	co := &db.Company{Name: "Norrsken Design", Country: "SE"}
	for _, tc := range []struct {
		status  string
		expires time.Time
		want    string
	}{
		{db.LinkLoginStarted, now.Add(time.Hour), "replayed"},
		{db.LinkLoginStarted, now.Add(-time.Hour), "expired"},
		{db.LinkRevoked, now.Add(time.Hour), "revoked"},
		{db.LinkConnected, now.Add(time.Hour), "used"},
	} {
		v := visit{Link: &db.ConsentLink{Status: tc.status, ExpiresAt: tc.expires}, Company: co, Secret: "s3cret"}
		r := h.unusable(v)
		if r.Reason != tc.want || r.Retry != "" || r.Granted {
			t.Errorf("unusable(%s, expires %v) = %+v, want reason %q and no retry", tc.status, tc.expires, r, tc.want)
		}
	}
}
