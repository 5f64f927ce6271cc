package eaccounting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
)

// Visma's error codes that Bilag acts on (developer.vismaonline.com, "Error
// codes"). Branch on these rather than on the HTTP status: the same fault
// comes back as 400 or 403 depending on the endpoint.
const (
	codeResourceNotFound       = 3000
	codeFiscalYearDoesNotExist = 3001
	codeStartupGuide           = 4003
	codeCompanyNotActive       = 4004
	codeNotAuthorized          = 4005
	codeNoAccessToScopes       = 4006
	codePermissionDenied       = 4007
	codeProductVariant         = 4009
	codeTooManyRequests        = 4010
	codeNoAccessForUser        = 4011
	codeLicenceNotAccepted     = 4012
	codeDependencyUnreachable  = 5001
)

var forbiddenCodes = []int{codePermissionDenied, codeNoAccessToScopes, codeProductVariant, codeNoAccessForUser, codeLicenceNotAccepted, codeStartupGuide, codeCompanyNotActive}

// APIError is an error answer of the eAccounting API (or of the file host
// behind a temporary URL, then with Code 0). errors.Is matches it against the
// sentinels in package connectors.
type APIError struct {
	// Status is the HTTP status.
	Status int
	// Code is Visma's ErrorCode (4007 PermissionDenied, ...); 0 when the body
	// had none.
	Code int
	// Message is Visma's DeveloperErrorMessage: for logs, not for people.
	Message string
	// ErrorID identifies the fault for Visma's support.
	ErrorID string

	// rateLimit is set on a 429 so that errors.As finds the wait Visma
	// asked for and connectors.Retry honours it.
	rateLimit *connectors.RateLimitError
	// refused is set on a refusal Bilag can name (connectors.Classify).
	refused *connectors.Refused
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", error %d", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.ErrorID != "" {
		fmt.Fprintf(&b, " (error id %s)", e.ErrorID)
	}
	return b.String()
}

// Is maps the error to the shared sentinels. An answer none of them
// explains (a 400 with a code Bilag does not act on, a 405, a redirect) is
// ErrBadAnswer: Visma said something Bilag cannot use.
func (e *APIError) Is(target error) bool {
	switch target {
	case connectors.ErrUnauthorized:
		return e.unauthorized()
	case connectors.ErrForbidden:
		return e.forbidden()
	case connectors.ErrNotFound:
		return e.notFound()
	case connectors.ErrRateLimited:
		return e.rateLimited()
	case connectors.ErrUnavailable:
		return e.unavailable()
	case connectors.ErrBadAnswer:
		return !e.unauthorized() && !e.forbidden() && !e.notFound() && !e.rateLimited() && !e.unavailable()
	}
	return false
}

func (e *APIError) unauthorized() bool {
	return e.Status == http.StatusUnauthorized || e.Code == codeNotAuthorized
}

func (e *APIError) forbidden() bool {
	return e.Status == http.StatusForbidden || slices.Contains(forbiddenCodes, e.Code)
}

func (e *APIError) notFound() bool {
	return e.Status == http.StatusNotFound || e.Code == codeResourceNotFound || e.Code == codeFiscalYearDoesNotExist
}

func (e *APIError) unavailable() bool {
	return e.Status >= 500 || e.Code == codeDependencyUnreachable
}

// Unwrap exposes the *connectors.RateLimitError of a 429 and the
// *connectors.Refused of a refusal Bilag can name.
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

// refusal names the reason of a refusal, or is nil when e is none. The
// endpoint tells which part of the product a 4009 (product variant) lacks:
// the invoice PDFs are Invoicing's, the rest Bookkeeping's.
func (e *APIError) refusal(endpoint string) *connectors.Refused {
	if e.unauthorized() {
		return nil
	}
	r := &connectors.Refused{Area: areaOf(endpoint), Upstream: strconv.Itoa(e.Code)}
	switch e.Code {
	case codeProductVariant:
		switch {
		case strings.Contains(endpoint, "/customerinvoices"):
			r.Reason = connectors.RefusedNoInvoicing
		case strings.Contains(endpoint, "/vouchers"), strings.Contains(endpoint, "/accountbalances"),
			strings.Contains(endpoint, "/supplierinvoices"), strings.Contains(endpoint, "/fiscalyears"):
			r.Reason = connectors.RefusedNoBookkeeping
		default:
			r.Reason = connectors.RefusedProduct
		}
	case codePermissionDenied, codeNoAccessToScopes, codeNoAccessForUser:
		r.Reason = connectors.RefusedPermission
	case codeLicenceNotAccepted:
		r.Reason = connectors.RefusedLicence
	case codeCompanyNotActive:
		r.Reason = connectors.RefusedInactive
	case codeStartupGuide:
		r.Reason = connectors.RefusedStartGuide
	default:
		if e.Status != http.StatusForbidden {
			return nil
		}
		r.Reason = connectors.RefusedOther
		if e.Code == 0 {
			// Visma documents the body-less 403 as "the company is not
			// active, or the startup guide is not completed": the
			// company's state, not the approver's permission.
			r.Reason, r.Area, r.Upstream = connectors.RefusedNotReady, "", "HTTP 403"
		}
	}
	return r
}

// areaOf is the program area an endpoint reads, for a refusal's Area.
func areaOf(endpoint string) string {
	for _, a := range []struct{ path, area string }{
		{"/customerinvoices", "customer_invoices"}, {"/supplierinvoices", "supplier_invoices"},
		{"/attachments", "attachments"}, {"/vouchers", "vouchers"}, {"/fiscalyears", "fiscal_years"},
		{"/accountbalances", "bookkeeping"}, {"/companysettings", "company_settings"},
	} {
		if strings.Contains(endpoint, a.path) {
			return a.area
		}
	}
	return ""
}

func (e *APIError) rateLimited() bool {
	return e.Status == http.StatusTooManyRequests || e.Code == codeTooManyRequests
}

// errorBody is Visma's CommonExtendedBadRequest.
type errorBody struct {
	ErrorCode             int
	DeveloperErrorMessage string
	ErrorId               string
	Errors                []struct {
		Field, ErrorCode, Message string
	}
}

// newAPIError reads an error response of endpoint. It never fails: a body
// that is not Visma's shape still yields the status.
func newAPIError(resp *http.Response, endpoint string, now time.Time) *APIError {
	e := &APIError{Status: resp.StatusCode}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body errorBody
	if json.Unmarshal(raw, &body) == nil {
		e.Code = body.ErrorCode
		e.Message = body.DeveloperErrorMessage
		e.ErrorID = body.ErrorId
		if e.Message == "" && len(body.Errors) > 0 {
			e.Message = body.Errors[0].Message
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if e.rateLimited() {
		e.rateLimit = &connectors.RateLimitError{RetryAfter: retryAfter(resp.Header, e.Message, now)}
	}
	e.refused = e.refusal(endpoint)
	return e
}

// tryAgainIn is how Visma says how long to wait: "API calls quota exceeded!
// maximum admitted 600 per Minute. Try again in 55 seconds." Compiled on
// first use, not when the program starts.
var tryAgainIn = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)try again in (\d+) second`) })

// retryAfter is the wait a 429 asks for: the Retry-After header if any
// (Visma documents none, but a proxy may add one), else the seconds in the
// message, else zero, which leaves the wait to the back-off.
func retryAfter(h http.Header, message string, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if m := tryAgainIn().FindStringSubmatch(message); m != nil {
		if s, err := strconv.Atoi(m[1]); err == nil {
			return time.Duration(s) * time.Second
		}
	}
	return 0
}

// transportError classifies a failed round trip under ctx. A caller that
// went away gets its own context error, which is not worth retrying;
// anything else (a limit of this connector's that ran out, a deadline the
// caller set, a refused connection) is the upstream being unavailable.
// The *url.Error wrapper is dropped because its text holds the URL, and a
// temporary document URL is a bearer secret.
func transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		if errors.Is(cause, context.Canceled) {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %w", connectors.ErrUnavailable, cause)
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return fmt.Errorf("%w: %w", connectors.ErrUnavailable, err)
}

// maxBody bounds what is decoded from one API answer; a page of 1000
// vouchers is a few megabytes.
const maxBody = 64 << 20

// get reads one API resource into out (nil discards it), retrying transient
// faults. endpoint is the method and path template that names the rate-limit
// bucket ("GET /vouchers/{fiscalyearId}/{voucherId}"); path is the concrete
// path below APIURL.
func (c *Connector) get(ctx context.Context, tok *token, endpoint, path string, query url.Values, out any) error {
	u := c.cfg.APIURL + path
	if len(query) > 0 {
		// Encode writes spaces as '+'; %20 reads the same to every server,
		// including ones that treat the query strictly (OData $filter).
		u += "?" + strings.ReplaceAll(query.Encode(), "+", "%20")
	}
	ctx, cancel := c.interactive(ctx)
	defer cancel()
	return connectors.Retry(ctx, c.sleep, func(ctx context.Context) error {
		if err := c.take(ctx, endpoint); err != nil {
			if ctx.Err() != nil {
				return transportError(ctx, err)
			}
			return err
		}
		ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.CallTimeout, errCallTimeout)
		defer cancel()
		ctx, answered, cancelWatch := c.watch(ctx, c.firstByte(ctx))
		defer cancelWatch()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Accept", "application/json")
		start := time.Now()
		resp, err := c.client.Do(req)
		answered()
		if err != nil {
			c.observe(endpoint, 0, time.Since(start))
			c.logger.DebugContext(ctx, "api call failed", "endpoint", endpoint, "error", err)
			return transportError(ctx, err)
		}
		defer resp.Body.Close()
		c.observe(endpoint, resp.StatusCode, time.Since(start))
		c.logger.DebugContext(ctx, "api call", "endpoint", endpoint, "status", resp.StatusCode, "duration", time.Since(start))
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return newAPIError(resp, endpoint, c.cfg.Now())
		}
		if out == nil {
			if _, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)); err != nil {
				return transportError(ctx, err)
			}
			return nil
		}
		if err := connectors.DecodeJSON(resp.Body, maxBody, out); err != nil {
			if errors.Is(err, connectors.ErrBadAnswer) {
				return fmt.Errorf("decode answer: %w", err)
			}
			// The body did not arrive whole: cut off, or out of time.
			return transportError(ctx, err)
		}
		return nil
	})
}

// take waits for the turn of one call of endpoint in the rate budget:
// Visma counts its quota per client and endpoint.
func (c *Connector) take(ctx context.Context, endpoint string) error {
	p, company := connectors.CallerOf(ctx)
	q := connectors.Quota{Key: "eaccounting:" + c.cfg.ClientID + ":" + endpoint, Limit: c.cfg.RateLimit, Period: time.Minute}
	start := time.Now()
	err := c.budget.Take(ctx, q, p, company)
	if d := time.Since(start); err == nil && d >= time.Millisecond && c.cfg.OnRateLimitWait != nil {
		c.cfg.OnRateLimitWait(endpoint, d)
	}
	return err
}

// segment escapes one id for a path. An id is the upstream's (a uuid) or
// comes from a deep link; either way it must stay one segment.
func segment(id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", fmt.Errorf("invalid id %q: %w", id, connectors.ErrNotFound)
	}
	return "/" + url.PathEscape(id), nil
}

// download fetches a pre-signed file URL (an attachment's TemporaryUrl, a
// customer invoice's Url). It sends no Authorization header: the URL carries
// its own signature, and the access token must not travel to the file host.
// On success the caller owns the response body and must close it.
//
// ctx bounds the wait for the answer (with the connector's connect and
// first-byte limits); the body, which the caller streams to a person at
// whatever speed their connection allows, is bounded by body alone, the
// caller's own context.
func (c *Connector) download(ctx, body context.Context, rawURL string) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// Not echoing the value: it may be a secret.
		return nil, fmt.Errorf("file url is not an absolute http(s) URL: %w", connectors.ErrBadAnswer)
	}
	client := *c.client
	client.Timeout = 0
	firstByte := c.cfg.FirstByteTimeout
	if c.client.Timeout > 0 && c.client.Timeout < firstByte {
		firstByte = c.client.Timeout
	}
	var resp *http.Response
	err = connectors.Retry(ctx, c.sleep, func(ctx context.Context) error {
		reqCtx, answered, cancel := c.watch(body, firstByte)
		// Until the answer is in, ctx's end (the time a person waits) ends
		// the request too; after, only body's does.
		stop := context.AfterFunc(ctx, cancel)
		req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u.String(), nil)
		if err != nil {
			stop()
			cancel()
			return errors.New("build file request")
		}
		start := time.Now()
		r, err := client.Do(req)
		answered()
		stopped := stop()
		if err != nil {
			c.observe(downloadEndpoint, 0, time.Since(start))
			defer cancel()
			if !stopped && ctx.Err() != nil {
				return transportError(ctx, err)
			}
			return transportError(reqCtx, err)
		}
		c.observe(downloadEndpoint, r.StatusCode, time.Since(start))
		if r.StatusCode < 200 || r.StatusCode > 299 {
			defer cancel()
			defer r.Body.Close()
			e := &FileError{Status: r.StatusCode}
			if r.StatusCode == http.StatusTooManyRequests {
				e.rateLimit = &connectors.RateLimitError{RetryAfter: retryAfter(r.Header, "", c.cfg.Now())}
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
			return e
		}
		r.Body = &cancelOnClose{ReadCloser: r.Body, cancel: cancel}
		resp = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// downloadEndpoint names file downloads in metrics: the URL itself is a
// bearer secret.
const downloadEndpoint = "GET {TemporaryUrl}"

// observe hands one call to Config.Observe, if set.
func (c *Connector) observe(endpoint string, status int, d time.Duration) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(endpoint, status, d)
	}
}

// cancelOnClose releases a download's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// FileError is an error answer of the file host behind a temporary URL.
// It is never a refusal of the grant: the host knows nothing of Bilag's
// access, only of its own link. A 403 or 404 there is a link that expired
// or broke (OpenDocument asks Visma for a fresh one), and a link that does
// not open is ErrBadAnswer.
type FileError struct {
	// Status is the HTTP status.
	Status int

	rateLimit *connectors.RateLimitError
}

func (e *FileError) Error() string {
	return fmt.Sprintf("file host: status %d", e.Status)
}

// Is maps the error to the shared sentinels.
func (e *FileError) Is(target error) bool {
	switch target {
	case connectors.ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case connectors.ErrUnavailable:
		return e.Status >= 500
	case connectors.ErrBadAnswer:
		return e.Status != http.StatusTooManyRequests && e.Status < 500
	}
	return false
}

// Unwrap exposes the *connectors.RateLimitError of a 429.
func (e *FileError) Unwrap() error {
	if e.rateLimit == nil {
		return nil
	}
	return e.rateLimit
}

// linkDead reports whether the file host refused the link itself: expired
// (403, as a pre-signed URL past its time answers) or gone (404, 410).
func (e *FileError) linkDead() bool {
	return e.Status == http.StatusForbidden || e.Status == http.StatusNotFound || e.Status == http.StatusGone
}
