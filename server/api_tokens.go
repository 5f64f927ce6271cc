package server

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
)

const (
	// apiTokenPrefix starts every personal API token, so a leaked one is
	// easy to recognise (secret scanners, logs).
	apiTokenPrefix = "bilag_"
	// apiTokenLen is the prefix plus 32 random bytes in unpadded base64url.
	apiTokenLen = len(apiTokenPrefix) + 43
	// apiTokenTouch is how often a token's last use is written.
	apiTokenTouch = time.Minute
)

// newAPIToken returns a fresh token: "bilag_" and 256 random bits.
func newAPIToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return apiTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// bearerToken reads a personal API token from the Authorization header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if len(tok) != apiTokenLen || !strings.HasPrefix(tok, apiTokenPrefix) {
		return "", false
	}
	return tok, true
}

var errNoToken = &apiProblem{Status: http.StatusUnauthorized, Code: "unauthorized", Key: "api.err.unauthorized"}

// requireToken admits requests carrying a valid, unrevoked personal API
// token of an active user, and acts as that user from then on: the token
// sees exactly what its owner sees. Cookies play no part.
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// API answers are for one caller; no cache may keep them.
		c.Response().Header().Set("Cache-Control", "no-store")
		if _, ok := integrationBearer(c.Request()); ok {
			// A send-only token may do nothing here: it says so rather
			// than pass for a malformed personal token.
			return errSendOnly
		}
		secret, ok := bearerToken(c.Request())
		if !ok {
			return errNoToken
		}
		ctx := c.Request().Context()
		tok, err := s.db.APITokenBySecret(ctx, secret)
		if errors.Is(err, db.ErrNotFound) {
			return errNoToken
		}
		if err != nil {
			return err
		}
		u, err := s.db.User(ctx, tok.UserID)
		// A client user has no API: a token of theirs (made before they
		// became one) is no token.
		if errors.Is(err, db.ErrNotFound) || (err == nil && (!u.Active || u.IsClient())) {
			return errNoToken
		}
		if err != nil {
			return err
		}
		if now := s.now(); tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= apiTokenTouch {
			if err := s.db.TouchAPIToken(ctx, tok.ID, now, apiTokenTouch); err != nil {
				s.log.Warn("record API token use", "token_id", tok.ID, "err", err)
			}
		}
		c.Set(string(keyUser), u)
		c.Set(string(keyAPIToken), tok)
		return next(c)
	}
}
