package db_test

import (
	"errors"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/dbtest"
)

// TestLinkSecondStep (issue 26, "Access"): a link of two steps connects its
// first step as any link does; the second is started, taken once (a replay
// finds nothing), refused without touching the first and tried again, and
// connects its own connection on the same link. A revoke or a connection
// through another link closes a second step still open; expiry ends it.
func TestLinkSecondStep(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects() {
		t.Run(dialect.Name, func(t *testing.T) {
			e := newLCDB(t, dialect.URL(t))
			ctx := t.Context()
			co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
			if err := e.d.CreateCompany(ctx, co); err != nil {
				t.Fatal(err)
			}
			l := &db.ConsentLink{CompanyID: co.ID, Connector: "fake", ThenConnector: "fake-export", CreatedByID: 1, ExpiresAt: e.clock.Now().Add(time.Hour)}
			if err := e.d.CreateLink(ctx, l, "secret-two-steps-0123456789"); err != nil {
				t.Fatal(err)
			}
			now := e.clock.Now()
			if got := l.ThenState(now); got != db.LinkWaiting {
				t.Errorf("second step of a new link = %q, want %q", got, db.LinkWaiting)
			}
			// The second step cannot start before the first is connected.
			if err := e.d.StartThenLogin(ctx, l.ID, "early"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("StartThenLogin before the first step = %v, want ErrNotFound", err)
			}
			e.connectStep(l.ID, "fake", "first")
			got := e.link(l.ID)
			if got.Status != db.LinkConnected || got.ThenState(now) != db.LinkWaiting || !got.ThenUsable(now) {
				t.Fatalf("after the first step: %s, second %q usable %t; want connected, waiting, usable", got.Status, got.ThenState(now), got.ThenUsable(now))
			}

			// Refused: the first step stands, the second may be tried again.
			if err := e.d.StartThenLogin(ctx, l.ID, "a1"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.d.TakeThenAttempt(ctx, l.ID, "a1"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.d.TakeThenAttempt(ctx, l.ID, "a1"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("a replayed second step = %v, want ErrNotFound", err)
			}
			if err := e.d.FailThen(ctx, l.ID, "denied", ""); err != nil {
				t.Fatal(err)
			}
			got = e.link(l.ID)
			if got.Status != db.LinkConnected || got.ThenState(now) != db.LinkFailed || got.ThenReason != "denied" || !got.ThenUsable(now) {
				t.Errorf("after a refusal: %s, second %q %q usable %t; want connected, failed denied, usable", got.Status, got.ThenState(now), got.ThenReason, got.ThenUsable(now))
			}

			// Again, and connected.
			e.connectStep(l.ID, "fake-export", "second")
			got = e.link(l.ID)
			if got.Status != db.LinkConnected || got.ThenState(now) != db.LinkConnected || got.ThenReason != "" || got.ThenFinishedAt == nil || got.ThenUsable(now) {
				t.Errorf("after the second step: %s, second %q %q; want both connected", got.Status, got.ThenState(now), got.ThenReason)
			}
			if err := e.d.StartThenLogin(ctx, l.ID, "a3"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("StartThenLogin after both steps = %v, want ErrNotFound", err)
			}
			for _, name := range []string{"fake", "fake-export"} {
				if c, err := e.d.Connection(ctx, co.ID, name); err != nil || c.LinkID != l.ID {
					t.Errorf("Connection(%s) = %+v, %v; want one of link %d", name, c, err, l.ID)
				}
			}
		})
	}
}

// TestLinkSecondStepClosed: a revoke closes a half-done link's second step
// (its first stays connected); so does another link's connection; and the
// link's expiry ends it.
func TestLinkSecondStepClosed(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects() {
		t.Run(dialect.Name, func(t *testing.T) {
			e := newLCDB(t, dialect.URL(t))
			ctx := t.Context()
			co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
			if err := e.d.CreateCompany(ctx, co); err != nil {
				t.Fatal(err)
			}
			mk := func(secret string) *db.ConsentLink {
				l := &db.ConsentLink{CompanyID: co.ID, Connector: "fake", ThenConnector: "fake-export", CreatedByID: 1, ExpiresAt: e.clock.Now().Add(time.Hour)}
				if err := e.d.CreateLink(ctx, l, secret); err != nil {
					t.Fatal(err)
				}
				e.connectStep(l.ID, "fake", secret)
				return l
			}
			revoked := mk("secret-revoked-0123456789")
			if err := e.d.RevokeLink(ctx, co.ID, revoked.ID); err != nil {
				t.Fatal(err)
			}
			if got := e.link(revoked.ID); got.Status != db.LinkConnected || got.ThenState(e.clock.Now()) != db.LinkRevoked {
				t.Errorf("revoked half-done link = %s, second %q; want connected, revoked", got.Status, got.ThenState(e.clock.Now()))
			}
			if err := e.d.RevokeLink(ctx, co.ID, revoked.ID); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("revoking it again = %v, want ErrNotFound", err)
			}
			older, newer := mk("secret-older-0123456789"), mk("secret-newer-0123456789")
			if n, err := e.d.CloseOtherLinks(ctx, co.ID, newer.ID); err != nil || n != 1 {
				t.Errorf("CloseOtherLinks() = %d, %v; want the older link's second step", n, err)
			}
			if got := e.link(older.ID); got.ThenStatus != db.LinkRevoked || got.ThenReason != "superseded" {
				t.Errorf("older link's second step = %q %q, want revoked, superseded", got.ThenStatus, got.ThenReason)
			}
			e.clock.Advance(2 * time.Hour)
			if got := e.link(newer.ID); got.ThenState(e.clock.Now()) != db.LinkExpired || got.ThenUsable(e.clock.Now()) {
				t.Errorf("second step after expiry = %q, want expired", got.ThenState(e.clock.Now()))
			}
			if err := e.d.StartThenLogin(ctx, newer.ID, "late"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("StartThenLogin after expiry = %v, want ErrNotFound", err)
			}
		})
	}
}

// connectStep walks link id's next step for connector through login,
// attempt and approval to a stored connection.
func (e *lcDB) connectStep(id int64, connector, attempt string) {
	t := e.t
	t.Helper()
	ctx := t.Context()
	l := e.link(id)
	first := l.Status != db.LinkConnected
	var err error
	if first {
		if err = e.d.StartLinkLogin(ctx, id, attempt); err == nil {
			_, err = e.d.TakeLinkAttempt(ctx, id, attempt)
		}
		if err == nil {
			err = e.d.ApproveLink(ctx, id)
		}
	} else {
		if err = e.d.StartThenLogin(ctx, id, attempt); err == nil {
			_, err = e.d.TakeThenAttempt(ctx, id, attempt)
		}
		if err == nil {
			err = e.d.ApproveThen(ctx, id)
		}
	}
	if err != nil {
		t.Fatalf("step of %s on link %d: %v", connector, id, err)
	}
	conn := &db.Connection{CompanyID: l.CompanyID, Connector: connector, ExternalID: "c1", ExternalName: "Fjällbacka", OrgNumber: "556812-3474"}
	if _, err := e.d.ConnectReplacing(ctx, id, conn, connectors.Grant{Data: []byte("g-" + attempt)}, nil); err != nil {
		t.Fatalf("ConnectReplacing(%s) = %v", connector, err)
	}
}

func (e *lcDB) link(id int64) *db.ConsentLink {
	e.t.Helper()
	l, err := e.d.Link(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}
