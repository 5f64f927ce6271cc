package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
	"bilag/views"
)

var errCrossOrigin = errors.New("cross-origin or missing CSRF token")

// isNotFound tells a row that does not exist from a failure to read it.
func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }

// errorPage is the data of the error page: a catalogue key (Message), or
// a text already in the reader's words (Text, an upstream failure's).
type errorPage struct {
	Message   string
	Text      string
	RequestID string
}

// upstreamRow is what Bilag answers to one class of upstream failure, the
// same on a page, in the document frame and in the API. key is the
// catalogue key of the message, worded for the connector the failure came
// through when its catalogue has its own (views.TranslateFor); no row is a
// 500, and none blames Bilag.
type upstreamRow struct {
	status int
	code   string
	key    string
	level  slog.Level
}

var upstreamTable = map[connectors.Class]upstreamRow{
	// A refusal names its reason: key + the reason.
	connectors.ClassRefused: {http.StatusForbidden, "upstream_forbidden", "upstream.refused.", slog.LevelInfo},
	// A new approval helps; who can ask for one decides the words: key +
	// "manage" or "view".
	connectors.ClassEnded:       {http.StatusConflict, "reapproval_required", "upstream.ended.", slog.LevelInfo},
	connectors.ClassUnavailable: {http.StatusServiceUnavailable, "upstream_unavailable", "upstream.unavailable", slog.LevelWarn},
	connectors.ClassRateLimited: {http.StatusTooManyRequests, "rate_limited", "upstream.ratelimited", slog.LevelWarn},
	// The request id lets support find the logged answer.
	connectors.ClassBadAnswer: {http.StatusBadGateway, "upstream_bad_answer", "upstream.badanswer", slog.LevelWarn},
	connectors.ClassNotFound:  {http.StatusNotFound, "not_found", "upstream.gone", slog.LevelInfo},
}

// The wait Bilag asks for when the upstream named none: an outage is
// tried again sooner than a quota, which Visma counts per minute.
const (
	unavailableRetry = 30 * time.Second
	rateLimitRetry   = 60 * time.Second
)

// quotaWait is the longest wait told in seconds: a longer one is a quota
// spent for hours (e-conomic's per day), told as the time it resets.
const quotaWait = 10 * time.Minute

// upstreamAnswer is an upstream failure as the reader is told it.
type upstreamAnswer struct {
	Status int
	// Code is the API's stable code.
	Code string
	// Text is the message in the reader's language.
	Text string
	// RetryAfter is the wait in seconds (Retry-After), 0 for none.
	RetryAfter int
	// ResetsAt is when a spent quota resets; zero when none is.
	ResetsAt time.Time
	Level    slog.Level
}

// upstreamClass is connectors.Classify, with the connection's own state:
// one that needs re-approval has ended, whatever the upstream would say.
func upstreamClass(err error) connectors.Class {
	if errors.Is(err, db.ErrNeedsReapproval) {
		return connectors.ClassEnded
	}
	return connectors.Classify(err).Class
}

// upstreamAnswerTo is the answer to err, false when err is no upstream
// failure.
func (s *Server) upstreamAnswerTo(c echo.Context, err error) (upstreamAnswer, bool) {
	f := connectors.Classify(err)
	f.Class = upstreamClass(err)
	row, ok := upstreamTable[f.Class]
	if !ok {
		return upstreamAnswer{}, false
	}
	var connector string
	if ue, ok := errors.AsType[*connections.UpstreamError](err); ok {
		connector = ue.Connector
	}
	a := upstreamAnswer{Status: row.status, Code: row.code, Level: row.level}
	key, args := row.key, []any(nil)
	switch f.Class {
	case connectors.ClassRefused:
		key += string(f.Refused.Reason)
		if !s.views.HasText(key) {
			key = row.key + string(connectors.RefusedOther)
		}
	case connectors.ClassEnded:
		who := "view"
		if u := currentUser(c); u != nil && u.CanManageConnections() {
			who = "manage"
		}
		key += who
		// A connection someone disconnected did not end by itself: say
		// who and when.
		if d := s.disconnectionHere(c); d != nil {
			lang := s.lang(c)
			key = "upstream.disconnected." + who
			args = []any{d.By, s.views.ConnectorName(lang, d.Connector), views.FormatTime(d.At, s.zone, lang)}
		}
	case connectors.ClassUnavailable, connectors.ClassRateLimited:
		wait := f.RetryAfter
		if wait <= 0 {
			wait = map[connectors.Class]time.Duration{connectors.ClassUnavailable: unavailableRetry, connectors.ClassRateLimited: rateLimitRetry}[f.Class]
		}
		a.RetryAfter = int((wait + time.Second - 1) / time.Second)
		args = []any{a.RetryAfter}
		if reset := quotaReset(f, wait, s.now()); !reset.IsZero() && connector != "" {
			lang := s.lang(c)
			key, a.ResetsAt = "upstream.quota", reset
			args = []any{s.views.ConnectorName(lang, connector), views.FormatTime(reset, s.zone, lang)}
		}
	case connectors.ClassBadAnswer:
		args = []any{c.Response().Header().Get(echo.HeaderXRequestID)}
	}
	a.Text = s.ct(c, connector, key, args...)
	return a, true
}

// quotaReset is when the quota a rate limit says is spent resets: the
// time the upstream or the budget named, else, for a wait longer than
// quotaWait, its end to the minute; zero for a short wait, which is told
// in seconds.
func quotaReset(f connectors.Failure, wait time.Duration, now time.Time) time.Time {
	switch {
	case f.Class != connectors.ClassRateLimited:
		return time.Time{}
	case !f.Reset.IsZero():
		return f.Reset
	case wait > quotaWait:
		return now.Add(wait).Round(time.Minute)
	}
	return time.Time{}
}

// disconnectionHere is the disconnection of the current company's
// connection, nil when it is not disconnected (or on no company's route).
// It is asked only once a read found the connection ended, so a read that
// works pays nothing for it.
func (s *Server) disconnectionHere(c echo.Context) *disconnection {
	co := currentCompany(c)
	if co == nil {
		return nil
	}
	ctx := c.Request().Context()
	conn, err := s.conns.Current(ctx, co.ID)
	if err != nil {
		if !isNotFound(err) {
			s.log.WarnContext(ctx, "read connection of an ended read", "company_id", co.ID, "err", err)
		}
		return nil
	}
	d, err := s.disconnectionOf(ctx, conn)
	if err != nil {
		s.log.WarnContext(ctx, "read disconnection", "company_id", co.ID, "err", err)
	}
	return d
}

// answerUpstream writes the answer to an upstream failure: JSON to the
// API, the error page to a browser (also inside the document frame).
func (s *Server) answerUpstream(c echo.Context, a upstreamAnswer, err error) {
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	s.log.Log(c.Request().Context(), a.Level, "upstream failure", "route", c.Path(), "status", a.Status, "request_id", reqID, "err", err)
	if a.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(a.RetryAfter))
	}
	if isAPI(c) {
		e := apiError{Code: a.Code, Message: a.Text}
		if !a.ResetsAt.IsZero() {
			e.ResetsAt = a.ResetsAt.UTC().Format(time.RFC3339)
		}
		_ = c.JSON(a.Status, e)
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(a.Status)
		return
	}
	_ = c.Render(a.Status, "error", s.page(c, s.t(c, "err.title"), errorPage{Text: a.Text, RequestID: reqID}))
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
	if a, ok := s.upstreamAnswerTo(c, err); ok {
		s.answerUpstream(c, a, err)
		return
	}
	status, key := http.StatusInternalServerError, "err.500"
	var he *echo.HTTPError
	switch {
	case errors.Is(err, errCrossOrigin):
		status, key = http.StatusForbidden, "err.csrf"
	case errors.Is(err, db.ErrNotFound):
		status, key = http.StatusNotFound, "err.404.voucher"
	case errors.As(err, &he):
		status = he.Code
		switch status {
		case 400, 403, 404, 405, 413, 429:
			key = map[int]string{400: "err.400", 403: "err.403", 404: "err.404.voucher", 405: "err.405", 413: "err.413", 429: "err.429"}[status]
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
