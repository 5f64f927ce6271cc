// Package sealed keeps Bilag's browser cookies: values sealed (signed and
// encrypted) with the cookie keys, set under the same name rule and flags
// by the portal (its session) and by the accountant's side (its flow and
// result), so the two cannot drift apart.
package sealed

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
)

// Jar sets and reads sealed cookies.
type Jar struct {
	codec  *securecookie.SecureCookie
	secure bool
}

// NewJar seals with codec; secure says the site is served over https, so
// the cookies are Secure and __Host- named.
func NewJar(codec *securecookie.SecureCookie, secure bool) *Jar {
	return &Jar{codec: codec, secure: secure}
}

// Name is the name a cookie is set under: on https with the __Host-
// prefix, which makes a browser keep it only when it is Secure, for Path=/
// and without Domain, so no other host under the same domain can plant or
// overwrite it (every cookie is set so).
func (j *Jar) Name(name string) string {
	if j.secure {
		return "__Host-" + name
	}
	return name
}

// Set seals v into the cookie name for maxAge. Lax, not Strict: the
// consent callback is a cross-site top-level GET, which Strict would strip
// of its cookie.
func (j *Jar) Set(c echo.Context, name string, v any, maxAge time.Duration) error {
	enc, err := j.codec.Encode(name, v)
	if err != nil {
		return fmt.Errorf("encode %s cookie: %w", name, err)
	}
	c.SetCookie(&http.Cookie{Name: j.Name(name), Value: enc, Path: "/", HttpOnly: true, Secure: j.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)})
	return nil
}

// Read opens the request's cookie name into v; false when there is none or
// it does not open (forged, too old, sealed under other keys), and v may
// then be partly filled.
func (j *Jar) Read(c echo.Context, name string, v any) bool {
	ck, err := c.Cookie(j.Name(name))
	return err == nil && j.codec.Decode(name, ck.Value, v) == nil
}

// Clear deletes the cookie name from the browser.
func (j *Jar) Clear(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{Name: j.Name(name), Value: "", Path: "/", HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// Tokens seal values into URL-safe strings (a receipt's address): signed
// and encrypted like the cookies, but under a codec of their own, so a
// token lives as long as its holder was promised rather than as long as a
// session, and a cookie's value never opens as a token or the reverse.
type Tokens struct {
	codec *securecookie.SecureCookie
}

// NewTokens seals with codec. Its MaxAge should be 0: each token carries
// its own end, checked by whoever opens it (with its own clock).
func NewTokens(codec *securecookie.SecureCookie) *Tokens { return &Tokens{codec: codec} }

// Seal seals v under name, the kind of token it is.
func (t *Tokens) Seal(name string, v any) (string, error) {
	enc, err := t.codec.Encode(name, v)
	if err != nil {
		return "", fmt.Errorf("seal %s token: %w", name, err)
	}
	return enc, nil
}

// Open opens token, sealed under name, into v; false when it does not open
// (forged, cut short, sealed under other keys or as another kind).
func (t *Tokens) Open(name, token string, v any) bool {
	return t.codec.Decode(name, token, v) == nil
}
