package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/password"
)

type loginPage struct {
	Email   string
	Error   string
	Minutes int
	Next    string
	Demo    []DemoLogin
}

func (s *Server) showLogin(c echo.Context) error {
	if u, err := s.sessionUser(c.Request().Context(), sessionOf(c)); err == nil && u != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return s.render(c, "login", s.t(c, "login.title"), loginPage{Next: c.QueryParam("next"), Demo: s.demo})
}

func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	email := db.NormalizeEmail(c.FormValue("email"))
	pass := c.FormValue("password")
	ip := c.RealIP()
	// 4 bytes a character: the longest password the policy allows.
	if len(email) > 254 || len(pass) > 4*password.MaxLength {
		email, pass = "", ""
	}
	page := loginPage{Email: email, Next: c.FormValue("next"), Demo: s.demo}
	if blocked, wait := s.throttle.blocked(email, ip); blocked {
		page.Error, page.Minutes = "login.throttled", int((wait+time.Minute-1)/time.Minute)
		return c.Render(http.StatusTooManyRequests, "login", s.page(c, s.t(c, "login.title"), page))
	}
	u, err := s.authenticate(ctx, email, pass)
	if err != nil {
		return err
	}
	if u == nil {
		s.throttle.fail(email, ip)
		_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditLoginFailed, Actor: truncateStr(email, 254), RemoteIP: ip})
		page.Error = "login.failed"
		return c.Render(http.StatusUnauthorized, "login", s.page(c, s.t(c, "login.title"), page))
	}
	if u.HasSecondFactor() {
		// The throttle is cleared only once the code is right too, so a
		// known password does not buy unlimited guesses at codes.
		return s.askCode(c, u, page.Next)
	}
	s.throttle.succeed(email)
	return s.finishLogin(c, u, page.Next, "")
}

// finishLogin logs u in (a fresh session) and goes to next, a local path.
func (s *Server) finishLogin(c echo.Context, u *db.User, next, detail string) error {
	if err := s.startSession(c, u); err != nil {
		return err
	}
	_ = s.db.Audit(c.Request().Context(), db.AuditEvent{Action: db.AuditLogin, UserID: &u.ID, Actor: u.Email, RemoteIP: c.RealIP(), Detail: detail})
	next = localPath(next)
	if next == "/login" || strings.HasPrefix(next, "/login?") || strings.HasPrefix(next, "/login/") {
		next = "/"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// authenticate is the active user of email whose password is pass, or nil.
// An unknown email is checked against a dummy hash made with the same
// parameters as real ones, so the time a login takes does not tell whether
// an account exists.
func (s *Server) authenticate(ctx context.Context, email, pass string) (*db.User, error) {
	u, err := s.db.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	} else if hash, err = s.dummyHash(); err != nil {
		return nil, err
	}
	ok, verr := password.Verify(hash, pass)
	if u == nil || !ok || verr != nil || !u.Active {
		return nil, nil
	}
	s.rehash(ctx, u, pass)
	return u, nil
}

// rehash remakes u's hash with the current parameters when it was made
// with others, so that every account costs a login what the dummy hash
// costs. A failure leaves the old hash, which still works.
func (s *Server) rehash(ctx context.Context, u *db.User, pass string) {
	if !s.hasher.NeedsRehash(u.PasswordHash) {
		return
	}
	hash, err := s.hasher.Hash(pass)
	if err == nil {
		err = s.db.ReplacePasswordHash(ctx, u.ID, u.PasswordHash, hash)
	}
	if err != nil {
		s.log.Warn("rehash password", "user_id", u.ID, "err", err)
		return
	}
	u.PasswordHash = hash
}

func (s *Server) logout(c echo.Context) error {
	ctx := c.Request().Context()
	sess := sessionOf(c)
	if u, err := s.sessionUser(ctx, sess); err == nil && u != nil {
		_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditLogout, UserID: &u.ID, Actor: u.Email, RemoteIP: c.RealIP()})
	}
	if sess.SID != "" {
		if err := s.db.EndSession(ctx, sess.SID); err != nil {
			return err
		}
	}
	ns := &session{Lang: sess.Lang}
	ns.Flash = s.t(c, "login.loggedout")
	c.Set(string(keySession), ns)
	if err := s.saveSession(c, ns); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
