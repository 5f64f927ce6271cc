package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// accessLog writes one line per request. It logs the route pattern, never
// the URL: a consent link's secret is part of its path.
func (s *Server) accessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogLatency: true, LogMethod: true, LogRoutePath: true, LogRequestID: true, LogRemoteIP: true,
		// Let the error handler write the response first, so the logged
		// status is the one the client got.
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("route", v.RoutePath), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID), slog.String("remote_ip", v.RemoteIP),
			}
			if u := currentUser(c); u != nil {
				attrs = append(attrs, slog.Int64("user_id", u.ID))
			}
			s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request", attrs...)
			return nil
		},
	})
}

// observeRequests records each request's duration in the metrics, by
// route pattern (never the URL, for the same reason as the access log). An
// error is handed to the error handler here, so the status recorded is the
// one the client got.
func (s *Server) observeRequests(next echo.HandlerFunc) echo.HandlerFunc {
	if s.metrics == nil {
		return next
	}
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.metrics.ObserveRequest(c.Path(), c.Request().Method, c.Response().Status, time.Since(start))
		// Returned as the request logger does: the error handler ignores an
		// error whose response is already written.
		return err
	}
}

// securityHeaders sets the headers every page gets; document responses
// override them with stricter ones.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	formAction := "'self'"
	for _, o := range s.formSrc {
		formAction += " " + o
	}
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-src 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action " + formAction
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// crossOrigin refuses unsafe requests that a browser marks as coming from
// another origin (Go's CrossOriginProtection: Sec-Fetch-Site and Origin).
func (s *Server) crossOrigin() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if isAPI(c) {
				// The API authenticates by bearer token, never by cookie.
				return next(c)
			}
			if err := cop.Check(c.Request()); err != nil {
				return errCrossOrigin
			}
			return next(c)
		}
	}
}

// csrf adds a token to every form as well, for browsers that send neither
// Sec-Fetch-Site nor Origin.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		CookieName:     s.cookies.Name("bilag_csrf"),
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.secure,
		CookieSameSite: http.SameSiteLaxMode,
		Skipper:        func(c echo.Context) bool { return isAPI(c) || noCookies(c) },
		ErrorHandler:   func(err error, c echo.Context) error { return errCrossOrigin },
	})
}

func isAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

// noCookies: static files and health checks set no cookie, so caches and
// load balancers may keep and share their answers.
func noCookies(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/static/") || p == "/healthz" || p == "/readyz" || p == "/favicon.ico"
}

// requireUser admits users with a live session (sessionUser) and sends
// everyone else to the login page.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// A logged-in page is for one person; no cache may keep it.
		c.Response().Header().Set("Cache-Control", "no-store")
		sess := sessionOf(c)
		if sess.UserID == 0 {
			return s.toLogin(c)
		}
		u, err := s.sessionUser(c.Request().Context(), sess)
		if err != nil {
			return err
		}
		if u == nil {
			sess.UserID, sess.SID = 0, ""
			_ = s.saveSession(c, sess)
			return s.toLogin(c)
		}
		c.Set(string(keyUser), u)
		if s.mustEnrol(u) {
			if err := s.enrolOnly(c, u); err != nil || c.Response().Committed {
				return err
			}
		}
		return next(c)
	}
}

func (s *Server) toLogin(c echo.Context) error {
	if c.Request().Method == http.MethodGet && !strings.HasSuffix(c.Request().URL.Path, "/status") {
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
	return echo.NewHTTPError(http.StatusUnauthorized)
}

// requireCompany admits the user to a company they may see. A company
// they may not see answers 404, exactly like one that does not exist.
func (s *Server) requireCompany(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := strconv.ParseInt(c.Param("companyID"), 10, 64)
		if err != nil || id <= 0 {
			return echo.ErrNotFound
		}
		co, err := s.db.CompanyForUser(c.Request().Context(), currentUser(c), id)
		if err != nil {
			return err
		}
		c.Set(string(keyCompany), co)
		return next(c)
	}
}

// requireManager admits analysts and admins (links and connections).
func (s *Server) requireManager(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !currentUser(c).CanManageConnections() {
			return echo.ErrForbidden
		}
		return next(c)
	}
}

// requireAdmin admits administrators. Others get 404: the admin pages are
// none of their business.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !currentUser(c).IsAdmin() {
			return echo.ErrNotFound
		}
		return next(c)
	}
}
