package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/views"
)

const (
	sessionCookie = "bilag_session"
	// sessionMaxAge is the absolute lifetime of a login.
	sessionMaxAge = 12 * time.Hour
	// sessionIdle ends a login unused this long.
	sessionIdle = 2 * time.Hour
	// sessionTouchEvery bounds how often a session's last use is written:
	// a request within it of the last write writes nothing, so the idle
	// clock may run up to this much early.
	sessionTouchEvery = time.Minute
)

// session is all a browser carries: ids and preferences, never secrets
// other than what it is sealed with.
type session struct {
	UserID int64 `json:"u,omitempty"`
	// SID is the token of the server-side session (db.Session): the
	// login lives only as long as that row.
	SID      string `json:"s,omitempty"`
	Lang     string `json:"l,omitempty"`
	Flash    string `json:"f,omitempty"`
	IssuedAt int64  `json:"i,omitempty"`
	// Pending is the user whose password was right and whose second
	// factor is asked for, since PendingAt; PendingNext is where the
	// login goes then.
	Pending     int64  `json:"pu,omitempty"`
	PendingAt   int64  `json:"pa,omitempty"`
	PendingNext string `json:"pn,omitempty"`
}

type ctxKey string

const (
	keySession ctxKey = "session"
	keyUser    ctxKey = "user"
	keyCompany ctxKey = "company"
	// keyDefaultLang is a page's language for a reader who asks for none.
	keyDefaultLang ctxKey = "default_lang"
	// keyCompanyLang is the language of a client user's company (or an
	// invitee's): their pages speak it whatever the browser asks for.
	keyCompanyLang ctxKey = "company_lang"
)

func sessionOf(c echo.Context) *session {
	if s, ok := c.Get(string(keySession)).(*session); ok {
		return s
	}
	s := &session{}
	c.Set(string(keySession), s)
	return s
}

// currentUser is the logged-in user, or nil.
func currentUser(c echo.Context) *db.User {
	u, _ := c.Get(string(keyUser)).(*db.User)
	return u
}

// currentCompany is the company requireCompany admitted.
func currentCompany(c echo.Context) *db.Company {
	co, _ := c.Get(string(keyCompany)).(*db.Company)
	return co
}

// loadSession decodes the session cookie; a missing or forged one is an
// empty session, never an error.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := &session{}
		if !s.cookies.Read(c, sessionCookie, sess) {
			sess = &session{}
		}
		if sess.IssuedAt != 0 && s.now().Sub(time.Unix(sess.IssuedAt, 0)) > sessionMaxAge {
			sess = &session{Lang: sess.Lang}
		}
		if !views.Supported(sess.Lang) {
			sess.Lang = ""
		}
		c.Set(string(keySession), sess)
		return next(c)
	}
}

// sessionUser is the user whose live session sess carries, or nil. A
// session ended (logout, a password or role change), unused for
// sessionIdle or older than sessionMaxAge is no login; its last use is
// written at most once per sessionTouchEvery.
func (s *Server) sessionUser(ctx context.Context, sess *session) (*db.User, error) {
	if sess.UserID == 0 || sess.SID == "" {
		return nil, nil
	}
	// The session and its user in one round trip: every request asks.
	row, u, err := s.db.SessionAndUser(ctx, sess.SID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	if row.UserID != sess.UserID || now.Sub(row.LastSeenAt) > sessionIdle || now.Sub(row.CreatedAt) > sessionMaxAge {
		return nil, s.db.EndSession(ctx, sess.SID)
	}
	if !u.Active {
		return nil, nil
	}
	if now.Sub(row.LastSeenAt) >= sessionTouchEvery {
		if err := s.db.TouchSession(ctx, row.ID, now, sessionTouchEvery); err != nil {
			s.log.Warn("record session use", "user_id", u.ID, "err", err)
		}
	}
	return u, nil
}

// startSession logs u in: a fresh server-side session and a fresh cookie,
// in which nothing from before the login survives but the language.
func (s *Server) startSession(c echo.Context, u *db.User) error {
	now := s.now()
	sess := &session{UserID: u.ID, SID: newSessionToken(), Lang: sessionOf(c).Lang, IssuedAt: now.Unix()}
	if err := s.db.CreateSession(c.Request().Context(), u.ID, sess.SID, now.Add(-sessionMaxAge), now.Add(-sessionIdle)); err != nil {
		return err
	}
	c.Set(string(keySession), sess)
	return s.saveSession(c, sess)
}

// newSessionToken is 256 random bits.
func newSessionToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}

// saveSession writes the session cookie.
func (s *Server) saveSession(c echo.Context, sess *session) error {
	return s.cookies.Set(c, sessionCookie, sess, sessionMaxAge)
}

// flash stores a message for the next page.
func (s *Server) flash(c echo.Context, msg string) error {
	sess := sessionOf(c)
	sess.Flash = msg
	return s.saveSession(c, sess)
}

// flashTo stores a message for the next page and goes there: the end of
// every form that succeeded (post, redirect, get).
func (s *Server) flashTo(c echo.Context, msg, to string) error {
	if err := s.flash(c, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// lang is the visitor's language: chosen in the session, else their
// company's for a client user or an invitee, else from the browser, else
// the page's own default (the company's country language on the
// accountant's pages), else English.
func (s *Server) lang(c echo.Context) string {
	if l := sessionOf(c).Lang; l != "" {
		return l
	}
	if l, _ := c.Get(string(keyCompanyLang)).(string); l != "" {
		return l
	}
	def, _ := c.Get(string(keyDefaultLang)).(string)
	return views.MatchLanguageOr(c.Request().Header.Get("Accept-Language"), def)
}

// companyLanguage makes the language of co's country the language of a
// client user's (or an invitee's) pages, where Bilag speaks it: they are
// the company's own people, and a phone's browser often asks for English
// whatever its owner reads best. A language chosen in the header wins.
func companyLanguage(c echo.Context, co *db.Company) {
	if l := views.CountryLanguage(co.Country); views.Supported(l) {
		c.Set(string(keyCompanyLang), l)
	}
}

// defaultLanguage makes the language of country the page's default, for
// a reader whose browser asks for none Bilag speaks.
func defaultLanguage(c echo.Context, country string) {
	c.Set(string(keyDefaultLang), views.CountryLanguage(country))
}
