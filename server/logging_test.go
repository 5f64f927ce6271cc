package server_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/db"
)

// TestLogsHoldNoSecrets runs a login and consent flows (a success, a
// tampered state, a replay, a refresh and a disconnect) and checks that
// the logs of the portal, its database, the connector and the sandbox
// contain no password, hash, key, cookie, link secret, code or token.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.loggedIn(e.analyst)
	// A failed login too: the throttle and audit paths log as well.
	bad := e.browser()
	bad.get("/login")
	bad.post("/login", url.Values{"email": {e.viewer.Email}, "password": {e.viewer.Password + "-typo"}})

	link := analyst.createLink(e.fj, "")
	acc := e.browser()
	cb := acc.consent(link, anna).Location()
	flowCookie := acc.cookie("bilag_flow")
	cbURL, _ := url.Parse(cb)
	code, state := cbURL.Query().Get("code"), cbURL.Query().Get("state")
	wantStatus(t, "result", acc.finish(cb), http.StatusOK)
	resultCookie := acc.cookie("bilag_result")
	acc.finish(cb) // replay

	link2 := analyst.createLink(e.norrsken, "")
	acc2 := e.browser()
	cb2, _ := url.Parse(acc2.consent(link2, annaN).Location())
	q := cb2.Query()
	q.Set("state", "tampered")
	cb2.RawQuery = q.Encode()
	acc2.finish(cb2.String())

	conn, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
	if err != nil {
		t.Fatal(err)
	}
	first := e.tokens(t, conn.ID)
	e.clock.Advance(2 * time.Hour)
	if _, err := e.svc.Grant(t.Context(), conn); err != nil {
		t.Fatalf("FreshGrant() = %v", err)
	}
	second := e.tokens(t, conn.ID)
	// A refused refresh logs its error.
	e.sb.RefuseNextRefresh()
	e.clock.Advance(2 * time.Hour)
	e.svc.Grant(t.Context(), conn)
	if err := e.db.SetConnectionStatus(t.Context(), conn.ID, db.ConnActive); err != nil {
		t.Fatal(err)
	}
	// Four hours on, the analyst's session has ended (idle for 2 h).
	analyst = e.loggedIn(e.analyst)
	wantStatus(t, "disconnect", analyst.post("/companies/"+itoa(e.fj.ID)+"/connection/disconnect", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	analyst.post("/logout", nil)

	logs := e.logs.String()
	if !strings.Contains(logs, "msg=request") || !strings.Contains(logs, "consent failed") {
		t.Fatalf("the logs were not captured:\n%s", logs)
	}
	secrets := map[string]string{
		"password":          e.analyst.Password,
		"wrong password":    e.viewer.Password + "-typo",
		"password hash":     e.analyst.PasswordHash,
		"hash key":          e.analyst.PasswordHash[strings.LastIndex(e.analyst.PasswordHash, "$")+1:],
		"secret key":        base64.StdEncoding.EncodeToString(e.secret),
		"secret key (url)":  base64.RawURLEncoding.EncodeToString(e.secret),
		"secret key (hex)":  hex.EncodeToString(e.secret),
		"session cookie":    analyst.cookie("bilag_session"),
		"csrf cookie":       analyst.cookie("bilag_csrf"),
		"flow cookie":       flowCookie,
		"result cookie":     resultCookie,
		"link secret":       secretOf(link),
		"link secret hash":  db.HashSecret(secretOf(link)),
		"second link":       secretOf(link2),
		"code":              code,
		"state":             state,
		"access token":      first.AccessToken,
		"refresh token":     first.RefreshToken,
		"refreshed access":  second.AccessToken,
		"refreshed refresh": second.RefreshToken,
		"client secret":     sandboxClientSecret,
	}
	for name, s := range secrets {
		if len(s) < 8 {
			t.Errorf("%s is empty or too short to search for: %q", name, s)
			continue
		}
		if strings.Contains(logs, s) {
			i := strings.Index(logs, s)
			t.Errorf("the logs contain the %s: …%s…", name, logs[max(0, i-200):min(len(logs), i+len(s)+50)])
		}
	}
}

// TestConcurrentRequestsRefreshOnce: 50 requests needing a token of a
// connection whose access token has expired cause one refresh at the
// rotating sandbox, and all 50 succeed.
func TestConcurrentRequestsRefreshOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn := e.connectFJ(e.loggedIn(e.analyst))
	old := e.tokens(t, conn.ID)
	before := e.sb.Stats().Refreshes
	e.clock.Advance(time.Hour + time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]int{}
	var errs []error
	for range 50 {
		wg.Go(func() {
			g, err := e.svc.Grant(t.Context(), conn)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			got[string(g.Data)]++
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of 50 failed, first: %v", len(errs), errs[0])
	}
	if n := e.sb.Stats().Refreshes - before; n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
	if len(got) != 1 {
		t.Errorf("requests got %d different grants, want 1", len(got))
	}
	now := e.tokens(t, conn.ID)
	if now.AccessToken == old.AccessToken || now.RefreshToken == old.RefreshToken {
		t.Errorf("stored grant was not replaced by the refreshed one")
	}
	if got := e.apiStatus(t, now.AccessToken); got != http.StatusOK {
		t.Errorf("API with the refreshed token = %d, want 200", got)
	}
}

// TestRefreshOutcomes: invalid_grant at refresh asks for a new approval
// (and the company page says so); a 503 leaves the connection active.
func TestRefreshOutcomes(t *testing.T) {
	t.Parallel()
	t.Run("invalid_grant", func(t *testing.T) {
		e := newEnv(t)
		analyst := e.loggedIn(e.analyst)
		conn := e.connectFJ(analyst)
		e.sb.RefuseNextRefresh()
		e.clock.Advance(2 * time.Hour)
		e.svc.KeepFresh(t.Context(), 10*time.Minute)
		c, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != db.ConnNeedsReapproval {
			t.Fatalf("status = %q, want %q", c.Status, db.ConnNeedsReapproval)
		}
		if _, err := e.svc.Grant(t.Context(), conn); !errors.Is(err, db.ErrNeedsReapproval) {
			t.Errorf("FreshGrant() = %v, want ErrNeedsReapproval", err)
		}
		r := analyst.get("/companies/" + itoa(e.fj.ID))
		wantStatus(t, "company page", r, http.StatusOK)
		wantText(t, "company page", r, tr("conn.reapprove.help"))
	})
	t.Run("transient 503", func(t *testing.T) {
		e := newEnv(t)
		conn := e.connectFJ(e.loggedIn(e.analyst))
		before := e.sb.Stats().Refreshes
		// More failures than the server's retries.
		e.faults.tokenFailures.Store(10)
		e.clock.Advance(2 * time.Hour)
		if _, err := e.svc.Grant(t.Context(), conn); err == nil {
			t.Fatal("FreshGrant() during the outage succeeded")
		}
		c, err := e.db.Connection(t.Context(), e.fj.ID, "eaccounting")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != db.ConnActive {
			t.Fatalf("status after 503 = %q, want active", c.Status)
		}
		e.faults.tokenFailures.Store(0)
		if _, err := e.svc.Grant(t.Context(), conn); err != nil {
			t.Fatalf("FreshGrant() after the outage = %v", err)
		}
		if n := e.sb.Stats().Refreshes - before; n != 1 {
			t.Errorf("refreshes = %d, want 1", n)
		}
	})
}
