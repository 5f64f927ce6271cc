package db_test

import (
	"errors"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/dbtest"
)

// TestConsentLinkLifecycle: an attempt's callback is taken once; revoked,
// used and expired links take none.
func TestConsentLinkLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, testConsentLinkLifecycle)
}

func testConsentLinkLifecycle(t *testing.T, url string) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	d, err := db.Open(t.Context(), url, db.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { d.Close() })
	ctx := t.Context()
	co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	if err := d.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	newLink := func(secret string, ttl time.Duration) *db.ConsentLink {
		l := &db.ConsentLink{CompanyID: co.ID, Connector: "eaccounting", ExpectedOrgNumber: co.OrgNumber, CreatedByID: 1, ExpiresAt: now.Add(ttl)}
		if err := d.CreateLink(ctx, l, secret); err != nil {
			t.Fatalf("CreateLink() = %v", err)
		}
		return l
	}

	l := newLink("secret-one", time.Hour)
	if l.SecretHash == "secret-one" || l.SecretHash != db.HashSecret("secret-one") {
		t.Errorf("SecretHash = %q, want the hash of the secret", l.SecretHash)
	}
	if got, err := d.LinkBySecret(ctx, "secret-one"); err != nil || got.ID != l.ID {
		t.Fatalf("LinkBySecret() = %v, %v; want link %d", got, err, l.ID)
	}
	if _, err := d.LinkBySecret(ctx, "secret-two"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("LinkBySecret(unknown) = %v, want ErrNotFound", err)
	}
	if err := d.StartLinkLogin(ctx, l.ID, "attempt-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TakeLinkAttempt(ctx, l.ID, "attempt-2"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("TakeLinkAttempt(other attempt) = %v, want ErrNotFound", err)
	}
	if _, err := d.TakeLinkAttempt(ctx, l.ID, "attempt-1"); err != nil {
		t.Fatalf("TakeLinkAttempt() = %v", err)
	}
	if _, err := d.TakeLinkAttempt(ctx, l.ID, "attempt-1"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("TakeLinkAttempt() again = %v, want ErrNotFound", err)
	}

	tests := []struct {
		name  string
		setup func(l *db.ConsentLink)
		state string
	}{
		{"revoked", func(l *db.ConsentLink) {
			if err := d.RevokeLink(ctx, co.ID, l.ID); err != nil {
				t.Fatal(err)
			}
		}, db.LinkRevoked},
		{"expired", func(l *db.ConsentLink) { now = now.Add(2 * time.Hour) }, db.LinkExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLink("secret-"+tt.name, time.Hour)
			if err := d.StartLinkLogin(ctx, l.ID, "a"); err != nil {
				t.Fatal(err)
			}
			tt.setup(l)
			if _, err := d.TakeLinkAttempt(ctx, l.ID, "a"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("TakeLinkAttempt() = %v, want ErrNotFound", err)
			}
			if err := d.StartLinkLogin(ctx, l.ID, "b"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("StartLinkLogin() = %v, want ErrNotFound", err)
			}
			got, err := d.Link(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s := got.State(now); s != tt.state || got.Usable(now) {
				t.Errorf("State() = %q, Usable() = %t; want %q, false", s, got.Usable(now), tt.state)
			}
		})
	}
	if err := d.RevokeLink(ctx, co.ID+1, l.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("RevokeLink(another company) = %v, want ErrNotFound", err)
	}
}

// TestConnectedLinkStartsNoLogin: a link that has connected its company
// does not start another login, so a second tab pressing "give
// permission" after the first connected cannot reopen the link (its
// callback would replace the company's connection through a used link).
// StartLinkLogin's WHERE is the atomic guard behind the handler's check of
// the link's state.
func TestConnectedLinkStartsNoLogin(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		e := newLCDB(t, url)
		ctx := t.Context()
		conn := e.connect(fjallbacka(), "c1", connectors.Grant{Data: []byte("g")})
		if err := e.d.StartLinkLogin(ctx, conn.LinkID, "second-tab"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("StartLinkLogin(connected link) = %v, want ErrNotFound", err)
		}
		l, err := e.d.Link(ctx, conn.LinkID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Status != db.LinkConnected || l.AttemptHash == db.HashSecret("second-tab") {
			t.Errorf("link = {%s, attempt %q}, want still connected, not bound to the second attempt", l.Status, l.AttemptHash)
		}
	})
}
