package economic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bilag/connectors"
)

// grantData is what Grant.Data holds: the agreement's grant token, the
// agreement it belongs to (the fair-use count's key) and whether the grant
// reaches booked invoices (a probe at approval).
type grantData struct {
	Token     string `json:"t"`
	Agreement int64  `json:"a"`
	Invoices  bool   `json:"i,omitempty"`
	// Country and Currency are the agreement's (its type and base
	// currency), kept by the export's grant: where a customer is domestic,
	// and a new customer's currency when the source gives none.
	Country  string `json:"c,omitempty"`
	Currency string `json:"cur,omitempty"`
}

// String keeps fmt from printing the token.
func (g grantData) String() string { return "[redacted]" }

// GoString keeps %#v from printing the token.
func (g grantData) GoString() string { return "[redacted]" }

func readGrant(g connectors.Grant) (*grantData, error) {
	var d grantData
	if err := json.Unmarshal(g.Data, &d); err != nil {
		return nil, errors.New("grant data is not an economic grant")
	}
	if d.Token == "" {
		return nil, fmt.Errorf("grant has no token: %w", connectors.ErrUnauthorized)
	}
	return &d, nil
}

// which API a call goes to.
type apiBase int

const (
	restAPI apiBase = iota
	documentsAPI
)

func (c *Connector) base(b apiBase) string {
	if b == documentsAPI {
		return c.cfg.DocumentsAPIURL
	}
	return c.cfg.APIURL
}

// APIError is an error answer of either API: the REST API's annotated error
// ({message, developerHint, logId, httpStatusCode, errors}) or the Documents
// API's application/problem+json ({title, detail, status, traceId}).
// errors.Is matches it against the sentinels of package connectors.
type APIError struct {
	Status int
	// Message is what e-conomic said, for logs.
	Message string
	// LogID identifies the fault for e-conomic's support (logId, or the
	// problem's traceId).
	LogID string

	rateLimit *connectors.RateLimitError
	refused   *connectors.Refused
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("status %d", e.Status)
	if e.Message != "" {
		s += ": " + clip(e.Message, 200)
	}
	// logId goes into the text, so that the server's line about a failed
	// request (with its request id, which the error page shows) quotes it
	// for e-conomic's support; not on a 401, whose text the core compares
	// across connections to tell one misconfiguration of Bilag's from many
	// withdrawn grants, and logId differs on every answer.
	if e.LogID != "" && e.Status != http.StatusUnauthorized {
		s += " (logId " + clip(e.LogID, 80) + ")"
	}
	return s
}

// Is maps the status to the shared sentinels. A 401 is a withdrawn grant
// (or Bilag's own secret token being wrong, which the core's breaker tells
// apart); a 403 is the role the grant lacks; anything none of them explains
// is an answer Bilag cannot use.
func (e *APIError) Is(target error) bool {
	switch target {
	case connectors.ErrUnauthorized, connectors.ErrGrantRevoked:
		// Grant tokens do not expire and are never refreshed: a 401 is a
		// withdrawn grant, which only a new approval mends.
		return e.Status == http.StatusUnauthorized
	case connectors.ErrForbidden:
		return e.Status == http.StatusForbidden
	case connectors.ErrNotFound:
		return e.Status == http.StatusNotFound
	case connectors.ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case connectors.ErrUnavailable:
		return e.Status >= 500
	case connectors.ErrBadAnswer:
		switch {
		case e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden, e.Status == http.StatusNotFound,
			e.Status == http.StatusTooManyRequests, e.Status >= 500:
			return false
		}
		return true
	}
	return false
}

// Unwrap exposes the wait of a 429 and the refusal of a 403.
func (e *APIError) Unwrap() []error {
	var out []error
	if e.rateLimit != nil {
		out = append(out, e.rateLimit)
	}
	if e.refused != nil {
		out = append(out, e.refused)
	}
	return out
}

// areaOf is the area an endpoint reads, for a refusal and a check problem.
func areaOf(endpoint string) string {
	switch {
	case strings.Contains(endpoint, "/invoices"):
		return "customer_invoices"
	case strings.Contains(endpoint, "AttachedDocuments"):
		return "attachments"
	case strings.Contains(endpoint, "/entries"):
		return "vouchers"
	case strings.Contains(endpoint, "/accounting-years"):
		return "fiscal_years"
	}
	return ""
}

// errorBody reads both error shapes.
type errorBody struct {
	Message       string `json:"message"`
	DeveloperHint string `json:"developerHint"`
	LogID         string `json:"logId"`
	Title         string `json:"title"`
	Detail        string `json:"detail"`
	TraceID       string `json:"traceId"`
}

func (c *Connector) newAPIError(resp *http.Response, endpoint string) *APIError {
	e := &APIError{Status: resp.StatusCode}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var b errorBody
	if json.Unmarshal(raw, &b) == nil {
		e.Message = strings.TrimSpace(strings.Join(nonEmpty(b.Message, b.Title, b.Detail, b.DeveloperHint), " · "))
		e.LogID = b.LogID
		if e.LogID == "" {
			e.LogID = b.TraceID
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	c.logger.WarnContext(resp.Request.Context(), "e-conomic error answer", "endpoint", endpoint, "status", e.Status, "log_id", e.LogID)
	if resp.StatusCode == http.StatusTooManyRequests {
		e.rateLimit = &connectors.RateLimitError{RetryAfter: retryAfter(resp.Header, c.cfg.Now())}
	}
	if resp.StatusCode == http.StatusForbidden {
		e.refused = &connectors.Refused{Reason: connectors.RefusedPermission, Area: areaOf(endpoint), Upstream: "HTTP 403"}
	}
	return e
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// retryAfter is the wait a 429 asks for (Retry-After, seconds or a date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// ErrBudget is Bilag's own fair-use budget for an agreement spent for the
// day; it is a connectors.RateLimitError until the next UTC day.
var ErrBudget = errors.New("e-conomic fair-use budget spent for today")

type budgetError struct{ rl *connectors.RateLimitError }

func (e *budgetError) Error() string        { return ErrBudget.Error() }
func (e *budgetError) Unwrap() []error      { return []error{ErrBudget, e.rl} }
func (e *budgetError) Is(target error) bool { return target == connectors.ErrRateLimited }

// spend counts one call against the agreement's day and refuses it when
// the caller's budget is spent: a sync stops at SyncBudget, a person at
// DailyBudget. A counter that fails does not stop the call (the upstream's
// own 429 still would).
func (c *Connector) spend(ctx context.Context, g *grantData) error {
	now := c.cfg.Now().UTC()
	key := "economic:" + strconv.FormatInt(g.Agreement, 10)
	if g.Agreement == 0 {
		key = "economic:unknown"
	}
	total, err := c.calls.AddCalls(ctx, key, now, 1)
	if err != nil {
		c.logger.WarnContext(ctx, "count e-conomic call", "error", err)
		return nil
	}
	limit := c.cfg.DailyBudget
	if !isInteractive(ctx) {
		limit = c.cfg.SyncBudget
	}
	if total > limit {
		y, m, d := now.Date()
		tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		c.logger.WarnContext(ctx, "e-conomic fair-use budget spent", "agreement", g.Agreement, "calls", total, "limit", limit)
		return &budgetError{rl: &connectors.RateLimitError{RetryAfter: tomorrow.Sub(now), Reset: tomorrow}}
	}
	return nil
}

// maxBody bounds one JSON answer: a page of 1,000 entries is well below.
const maxBody = 32 << 20

// request builds one call with both tokens; neither ever goes in a URL.
func (c *Connector) request(ctx context.Context, g *grantData, rawURL, accept string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, errors.New("build request")
	}
	req.Header.Set("X-AppSecretToken", c.cfg.AppSecretToken)
	req.Header.Set("X-AgreementGrantToken", g.Token)
	req.Header.Set("Accept", accept)
	return req, nil
}

// url joins base, path and query; e-conomic's filters need %-encoding of
// every reserved character ($, :), which url.Values does.
func (c *Connector) url(b apiBase, path string, query url.Values) string {
	u := c.base(b) + path
	if len(query) > 0 {
		u += "?" + strings.ReplaceAll(query.Encode(), "+", "%20")
	}
	return u
}

// get reads one JSON resource into out (nil discards), retrying transient
// faults within the caller's backoff. endpoint is the path template for
// logs and metrics.
func (c *Connector) get(ctx context.Context, g *grantData, b apiBase, endpoint, path string, query url.Values, out any) error {
	return c.getURL(ctx, g, endpoint, c.url(b, path, query), out)
}

// getURL is get of an absolute URL the API itself gave (pagination.nextPage),
// which must be on the API's own origin: the grant token goes with it.
func (c *Connector) getURL(ctx context.Context, g *grantData, endpoint, rawURL string, out any) error {
	if !c.sameOrigin(rawURL) {
		return fmt.Errorf("%s: link leaves the API: %w", endpoint, connectors.ErrBadAnswer)
	}
	ctx, cancel := c.interactive(ctx)
	defer cancel()
	return connectors.Retry(ctx, c.sleep, func(ctx context.Context) error {
		if err := c.spend(ctx, g); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
		defer cancel()
		req, err := c.request(ctx, g, rawURL, "application/json")
		if err != nil {
			return err
		}
		resp, err := c.do(ctx, req, endpoint)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return c.newAPIError(resp, endpoint)
		}
		if out == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
			return nil
		}
		if err := connectors.DecodeJSON(resp.Body, maxBody, out); err != nil {
			if errors.Is(err, connectors.ErrBadAnswer) {
				return fmt.Errorf("%s: decode answer: %w", endpoint, err)
			}
			// The body did not arrive whole: cut off, or out of time.
			return transportError(ctx, err)
		}
		return nil
	})
}

// do sends req, observing and logging it (never its URL). x-callcost, the
// price of the call in e-conomic's token bucket, is logged.
func (c *Connector) do(ctx context.Context, req *http.Request, endpoint string) (*http.Response, error) {
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		c.observe(endpoint, 0, time.Since(start))
		return nil, transportError(ctx, err)
	}
	c.observe(endpoint, resp.StatusCode, time.Since(start))
	c.logger.DebugContext(ctx, "api call", "endpoint", endpoint, "status", resp.StatusCode,
		"callcost", resp.Header.Get("X-Callcost"), "duration", time.Since(start))
	return resp, nil
}

func (c *Connector) observe(endpoint string, status int, d time.Duration) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(endpoint, status, d)
	}
}

func (c *Connector) sameOrigin(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	for _, b := range []string{c.cfg.APIURL, c.cfg.DocumentsAPIURL} {
		if o, err := url.Parse(b); err == nil && o.Scheme == u.Scheme && o.Host == u.Host {
			return true
		}
	}
	return false
}

// transportError classifies a failed round trip; the *url.Error wrapper
// is dropped, its text holding the URL.
func transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return ctx.Err()
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return fmt.Errorf("%w: %w", connectors.ErrUnavailable, err)
}

// pathYear writes an accounting-year id as one path segment with
// e-conomic's documented custom escape ("/" is "_6_", "_" is "_8_", " " is
// "_9_"; "Custom resource self-link encoding"), then %-escapes the rest.
func pathYear(year string) (string, error) {
	if year == "" || year == "." || year == ".." {
		return "", fmt.Errorf("invalid accounting year %q: %w", year, connectors.ErrNotFound)
	}
	r := strings.NewReplacer("_", "_8_", "/", "_6_", " ", "_9_")
	return "/" + url.PathEscape(r.Replace(year)), nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
