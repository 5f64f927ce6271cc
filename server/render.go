package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/views"
)

// page wraps data in the envelope every template gets, and consumes the
// session's flash message.
func (s *Server) page(c echo.Context, title string, data any) *views.Page {
	sess := sessionOf(c)
	p := &views.Page{
		Title:    title,
		Lang:     s.lang(c),
		User:     currentUser(c),
		Company:  currentCompany(c),
		Path:     c.Request().URL.RequestURI(),
		Static:   s.staticURL,
		FirmName: s.firm,
		Data:     data,
	}
	if tok, ok := c.Get("csrf").(string); ok {
		p.CSRF = tok
	}
	if sess.Flash != "" {
		p.Flash = sess.Flash
		sess.Flash = ""
		_ = s.saveSession(c, sess)
	}
	return p
}

// render renders a page with status 200.
func (s *Server) render(c echo.Context, name, title string, data any) error {
	return c.Render(http.StatusOK, name, s.page(c, title, data))
}

// t translates into the visitor's language.
func (s *Server) t(c echo.Context, key string, args ...any) string {
	return views.Translate(s.lang(c), key, args...)
}

func retryAfterSeconds(rl *connectors.RateLimitError) string {
	return strconv.Itoa(int((rl.RetryAfter + time.Second - 1) / time.Second))
}

func paramID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("parameter %s: %w", name, echo.ErrNotFound)
	}
	return id, nil
}
