package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"syscall"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
)

var errCrossOrigin = errors.New("cross-origin or missing CSRF token")

// errorPage is the data of the error page.
type errorPage struct {
	Message   string
	RequestID string
}

// handleError is the one place errors become pages: it maps them with
// errors.Is to a status and a fixed message, logs server faults with the
// request id, and never shows an error's own text.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, context.Canceled) {
		return
	}
	// An API problem says more than its status: its own stable code and a
	// message naming, say, the malformed parameter.
	var ap *apiProblem
	if isAPI(c) && errors.As(err, &ap) {
		if ap.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="bilag"`)
		}
		_ = c.JSON(ap.Status, apiError{Code: ap.Code, Message: s.t(c, ap.Key, ap.Args...)})
		return
	}
	status, key := http.StatusInternalServerError, "err.500"
	var he *echo.HTTPError
	switch {
	case errors.Is(err, errCrossOrigin):
		status, key = http.StatusForbidden, "err.csrf"
	case errors.Is(err, db.ErrNotFound), errors.Is(err, connectors.ErrNotFound):
		status, key = http.StatusNotFound, "err.404"
	case errors.Is(err, connectors.ErrRateLimited), errors.Is(err, connectors.ErrUnavailable):
		status, key = http.StatusServiceUnavailable, "err.503"
	case errors.As(err, &he):
		status = he.Code
		switch status {
		case 400, 403, 404, 405, 413, 429:
			key = map[int]string{400: "err.400", 403: "err.403", 404: "err.404", 405: "err.405", 413: "err.413", 429: "err.429"}[status]
		case 401:
			status, key = http.StatusUnauthorized, "err.403"
		default:
			key = "err.500"
		}
		if he.Internal != nil {
			err = he.Internal
		}
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	if status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "route", c.Path(), "status", status, "request_id", reqID, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		var rl *connectors.RateLimitError
		if errors.As(err, &rl) && rl.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", retryAfterSeconds(rl))
		} else {
			c.Response().Header().Set("Retry-After", "60")
		}
	}
	if isAPI(c) {
		_ = c.JSON(status, apiError{Code: apiCode(status), Message: s.t(c, key)})
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.Render(status, "error", s.page(c, s.t(c, "err.title"), errorPage{Message: key, RequestID: reqID}))
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
