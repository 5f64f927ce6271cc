package server

import (
	"context"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/views"
)

// healthz says the process is up.
func (s *Server) healthz(c echo.Context) error { return c.String(http.StatusOK, "ok\n") }

// readyz says the database answers.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// serveStatic serves an embedded file; the version in the path makes the
// URL change with the content, so it may be cached for a year.
func (s *Server) serveStatic(c echo.Context) error {
	name := path.Clean(c.Param("*"))
	if strings.HasPrefix(name, ".") || strings.Contains(name, "..") {
		return echo.ErrNotFound
	}
	b, err := fs.ReadFile(s.static, name)
	if err != nil {
		return echo.ErrNotFound
	}
	if c.Param("version") == s.staticVer {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	ct := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}[path.Ext(name)]
	if ct == "" {
		ct = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ct, b)
}

// switchLanguage stores the chosen language and goes back where the
// visitor was; only local paths are followed, so it is no open redirect.
func (s *Server) switchLanguage(c echo.Context) error {
	sess := sessionOf(c)
	if l := c.QueryParam("l"); views.Supported(l) {
		sess.Lang = l
		if err := s.saveSession(c, sess); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
}

// localPath returns p when it is a path on this site, else "/". Browsers
// drop tabs and newlines from a URL and read a backslash as a slash, so
// "/<TAB>/evil.example" or "/\\evil.example" would leave the site: any
// control character, backslash or non-ASCII byte refuses the target, and
// what remains must parse with no scheme and no host and start with
// exactly one slash (also once decoded: "/%2F/x").
func localPath(p string) string {
	for i := 0; i < len(p); i++ {
		if b := p[i]; b < 0x21 || b > 0x7e || b == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return p
}
