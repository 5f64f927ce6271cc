package netvisor

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
)

// Netvisor's error codes (support.netvisor.fi 77000500440 "Controlling
// errors"; Heltti's client). SYSTEM_MAINTANANCE is spelled so by Heltti's
// client and with an E by other sources: both are read.
const (
	codeAuthenticationFailed = "AUTHENTICATION_FAILED"
	codeInvalidData          = "INVALID_DATA"
	codeInvalidDataSize      = "INVALID_DATA_SIZE"
	codeRequestNotUnique     = "REQUEST_NOT_UNIQUE"
	codeServiceAccess        = "SERVICE_ACCESS_ERROR"
	codeMaintenanceHeltti    = "SYSTEM_MAINTANANCE"
	codeMaintenance          = "SYSTEM_MAINTENANCE"
	codeTechnical            = "TECHNICAL_ERROR"
)

// APIError is Netvisor's failure answer: FAILED and "CODE :: message".
// errors.Is matches it against the sentinels in package connectors.
type APIError struct {
	// HTTPStatus is the answer's status (UseHTTPResponseStatusCodes: 1).
	HTTPStatus int
	// Code is Netvisor's error code; "" when the body carried none.
	Code string
	// Message is Netvisor's text, for the logs. On AUTHENTICATION_FAILED it
	// may quote the string Netvisor expected the MAC over, keys masked.
	Message string
	// Resource is the resource called ("accountingledger.nv").
	Resource string

	refused *connectors.Refused
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("netvisor %s: status %d", e.Resource, e.HTTPStatus)
	if e.Code != "" {
		s += ", " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is maps the answer to the shared sentinels. AUTHENTICATION_FAILED on a
// call with stored keys means they were withdrawn (or their user lost its
// rights): only a new approval helps.
func (e *APIError) Is(target error) bool {
	switch target {
	case connectors.ErrGrantRevoked:
		return e.Code == codeAuthenticationFailed
	case connectors.ErrForbidden:
		return e.Code == codeServiceAccess
	case connectors.ErrRateLimited:
		return e.Code == "" && e.HTTPStatus == http.StatusTooManyRequests
	case connectors.ErrUnavailable:
		return e.unavailable()
	case connectors.ErrBadAnswer:
		return e.Code != codeAuthenticationFailed && e.Code != codeServiceAccess && !e.unavailable() &&
			!(e.Code == "" && e.HTTPStatus == http.StatusTooManyRequests)
	}
	return false
}

// unavailable: worth trying again. REQUEST_NOT_UNIQUE is too, since the
// retry carries a fresh TransactionId.
func (e *APIError) unavailable() bool {
	switch e.Code {
	case codeTechnical, codeMaintenance, codeMaintenanceHeltti, codeRequestNotUnique:
		return true
	case "":
		return e.HTTPStatus >= 500
	}
	return false
}

// Unwrap exposes the *connectors.Refused of SERVICE_ACCESS_ERROR.
func (e *APIError) Unwrap() error {
	if e.refused == nil {
		return nil
	}
	return e.refused
}

// noAPI tells a package without the API from a resource not allowed.
// Inferred: Netvisor documents one code for both; the message names the
// package in the one case.
func (e *APIError) noAPI() bool {
	m := strings.ToLower(e.Message)
	return e.Code == codeServiceAccess && (strings.Contains(m, "package") || strings.Contains(m, "paketti") || strings.Contains(m, "paket"))
}

// orgNotReached tells keys that do not reach the organisation from wrong
// keys. Inferred: both are AUTHENTICATION_FAILED; the message names the
// organisation in the one case.
func (e *APIError) orgNotReached() bool {
	m := strings.ToLower(e.Message)
	return e.Code == codeAuthenticationFailed && !strings.Contains(m, "mac") &&
		(strings.Contains(m, "organisation") || strings.Contains(m, "organization") || strings.Contains(m, "yritys") || strings.Contains(m, "company"))
}

// areaOf is the program area of a resource, for a refusal's Area.
func areaOf(resource string) string {
	switch resource {
	case "accountingledger.nv":
		return "vouchers"
	case "getvoucherattachments.nv":
		return "attachments"
	case "purchaseinvoicelist.nv", "getpurchaseinvoice.nv", "getattachments.nv":
		return "supplier_invoices"
	case "salesinvoicelist.nv", "getsalesinvoice.nv":
		return "customer_invoices"
	}
	return ""
}

func newAPIError(resource string, status int, code, message string) *APIError {
	e := &APIError{HTTPStatus: status, Code: code, Message: message, Resource: resource}
	if code == codeServiceAccess {
		e.refused = &connectors.Refused{Reason: connectors.RefusedPermission, Area: areaOf(resource), Upstream: code}
		if e.noAPI() {
			e.refused.Reason, e.refused.Area = connectors.RefusedProduct, ""
		}
	}
	return e
}

// param is one query parameter, kept in order: the MAC covers the URL
// byte for byte as sent.
type param struct{ name, value string }

// requestURL is the resource's URL with params in order, values escaped.
func requestURL(base, resource string, params []param) string {
	var b strings.Builder
	b.WriteString(base + "/" + resource)
	for i, p := range params {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.name) + "=" + url.QueryEscape(p.value))
	}
	return b.String()
}

// answer is an OK answer positioned after its ResponseStatus. Close
// releases the organisation's queue.
type answer struct {
	*xmlReader
	br *bufio.Reader
	// body is the response's, watched for a read that fails.
	body *watchedBody
	// stop ends the call's timer; turn is the queue's, released on Close.
	stop     func()
	turn     *turn
	closeOne sync.Once
}

func (a *answer) Close() error {
	var err error
	a.closeOne.Do(func() {
		a.stop()
		err = a.body.Close()
		a.turn.release()
	})
	return err
}

// errCallTimeout is the cause of a call that ran past CallTimeout.
var errCallTimeout = errors.New("netvisor call timed out")

// call makes one signed GET of resource against the credentials'
// organisation, waiting its turn in the organisation's queue, retrying
// transient failures with a fresh TransactionId each time. The caller reads
// the answer and closes it; until then the queue stays taken. stream
// leaves the body unbounded in time once the status is read (a file that
// streams to a person at their pace).
func (c *Connector) call(ctx context.Context, cr credentials, resource string, params []param, stream bool) (*answer, error) {
	if wait := c.pausedFor(cr.OrgID); wait > 0 {
		return nil, fmt.Errorf("netvisor %s: organisation paused after repeated failures: %w", resource, &connectors.RateLimitError{RetryAfter: wait})
	}
	t, err := c.enqueue(ctx, cr.OrgID)
	if err != nil {
		if errors.Is(err, errQueueBusy) {
			err = &connectors.RateLimitError{RetryAfter: queueRetry}
		}
		return nil, fmt.Errorf("netvisor %s: wait for the organisation's queue: %w", resource, err)
	}
	base, err := baseURL(cr.Host)
	if err != nil || !slices.Contains(c.cfg.Hosts, cr.Host) {
		// A host taken off the list since the approval gets no more
		// signed requests: only a new approval, on a listed host, helps.
		t.release()
		return nil, fmt.Errorf("netvisor %s: host no longer configured: %w", resource, connectors.ErrGrantRevoked)
	}
	u := requestURL(base, resource, params)
	var ans *answer
	err = connectors.Retry(ctx, c.cfg.Sleep, func(ctx context.Context) error {
		a, err := c.once(ctx, cr, http.MethodGet, resource, u, nil, stream)
		ans = a
		return err
	})
	if err != nil {
		t.release()
		if connectors.Transient(err) {
			c.pause(cr.OrgID)
		}
		return nil, err
	}
	ans.turn = t
	return ans, nil
}

// once is one signed request and the reading of its status.
func (c *Connector) once(ctx context.Context, cr credentials, method, resource, u string, payload []byte, stream bool) (*answer, error) {
	callCtx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(c.cfg.CallTimeout, func() { cancel(errCallTimeout) })
	stop := func() { timer.Stop(); cancel(nil) }
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(callCtx, method, u, rd)
	if err != nil {
		stop()
		return nil, fmt.Errorf("netvisor %s: build request: %w", resource, err)
	}
	c.sign(req.Header, cr, u)
	if payload != nil {
		// Resources – General: the XML is ISO-8859-15 and starts with
		// <root>; the media type is not documented (inferred).
		req.Header.Set("Content-Type", "text/xml; charset=ISO-8859-15")
	}
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		c.observe(method, resource, 0, time.Since(start))
		stop()
		return nil, transportError(ctx, callCtx, resource, err)
	}
	c.observe(method, resource, resp.StatusCode, time.Since(start))
	body := &watchedBody{ReadCloser: resp.Body}
	br := bufio.NewReaderSize(utf8Body(body, resp.Header.Get("Content-Type")), 64<<10)
	x := newXMLReader(br, c.limits)
	status, err := x.status()
	if err != nil {
		resp.Body.Close()
		// Asked before stop, which ends callCtx: a body that did not
		// arrive whole is Netvisor not answering; one that did, with no
		// status in it, an answer Bilag cannot use.
		if callCtx.Err() != nil || body.fault != nil {
			err = transportError(ctx, callCtx, resource, cmp.Or(body.fault, err))
			stop()
			return nil, err
		}
		stop()
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return nil, newAPIError(resource, resp.StatusCode, "", "answer without a Netvisor status")
		}
		if !errors.Is(err, connectors.ErrBadAnswer) {
			// The decoder's text may quote the answer; keep only the fact.
			err = connectors.ErrBadAnswer
		}
		return nil, fmt.Errorf("netvisor %s: status %d: %w", resource, resp.StatusCode, err)
	}
	if len(status) == 0 || status[0] != "OK" {
		resp.Body.Close()
		stop()
		code, msg := "", ""
		if len(status) > 1 {
			code, msg, _ = strings.Cut(status[1], "::")
			code, msg = strings.TrimSpace(code), strings.TrimSpace(msg)
		}
		e := newAPIError(resource, resp.StatusCode, code, msg)
		if code == codeAuthenticationFailed {
			// Netvisor quotes the string it expected the MAC over, keys
			// masked: the best aid there is to a signing fault.
			c.log.WarnContext(ctx, "netvisor refused the authentication", "resource", resource, "organisation", cr.OrgID, "message", msg)
		} else {
			c.log.InfoContext(ctx, "netvisor failure", "resource", resource, "organisation", cr.OrgID, "code", code, "status", resp.StatusCode)
		}
		return nil, e
	}
	if stream {
		timer.Stop()
	}
	return &answer{xmlReader: x, br: br, body: body, stop: stop}, nil
}

// watchedBody is a response body that keeps the first error reading it
// other than its end: the sign that the answer did not arrive whole (the
// connection broke, or the call ran out of time), which a decoder's error
// alone does not tell from an answer that arrived whole and ends early.
type watchedBody struct {
	io.ReadCloser
	fault error
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.fault == nil {
		b.fault = err
	}
	return n, err
}

// sign sets the documented headers and the MAC over the URL exactly as
// sent.
func (c *Connector) sign(h http.Header, cr credentials, u string) {
	now := c.cfg.Now().UTC()
	s := Signature{
		URL: u, Sender: c.cfg.Sender, CustomerID: cr.CustomerID,
		Timestamp: now.Format("2006-01-02 15:04:05.000"), Language: "EN", OrgID: cr.OrgID,
		TransactionID: c.cfg.NewTransactionID(), TimestampUnix: strconv.FormatInt(now.Unix(), 10),
		CustomerKey: cr.CustomerKey, PartnerKey: c.cfg.PartnerKey,
	}
	h.Set("X-Netvisor-Authentication-Sender", s.Sender)
	h.Set("X-Netvisor-Authentication-CustomerId", s.CustomerID)
	h.Set("X-Netvisor-Authentication-PartnerId", c.cfg.PartnerID)
	h.Set("X-Netvisor-Authentication-Timestamp", s.Timestamp)
	h.Set("X-Netvisor-Authentication-TimestampUnix", s.TimestampUnix)
	h.Set("X-Netvisor-Authentication-TransactionId", s.TransactionID)
	h.Set("X-Netvisor-Authentication-MAC", s.MAC())
	h.Set("X-Netvisor-Authentication-MACHashCalculationAlgorithm", "HMACSHA256")
	h.Set("X-Netvisor-Authentication-UseHTTPResponseStatusCodes", "1")
	// EN: FI and SE localise some values (voucher classes among them).
	h.Set("X-Netvisor-Interface-Language", s.Language)
	h.Set("X-Netvisor-Organisation-ID", s.OrgID)
	h.Set("Accept", "text/xml")
}

// transportError classifies a round trip that failed. A caller that went
// away gets its own error; a timeout or a refused connection is the
// upstream being unavailable. The *url.Error is dropped: its text would
// carry the URL, which says which organisation's which voucher.
func transportError(ctx, callCtx context.Context, resource string, err error) error {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return ctx.Err()
	}
	if cause := context.Cause(callCtx); cause != nil && callCtx.Err() != nil {
		err = cause
	} else if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return fmt.Errorf("netvisor %s: %w: %w", resource, connectors.ErrUnavailable, err)
}

func (c *Connector) observe(method, resource string, status int, d time.Duration) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(method+" /"+resource, status, d)
	}
}

// turn is a request's place at the head of its organisation's queue.
type turn struct {
	c           *Connector
	q           chan struct{}
	key, holder string
	mu          sync.Mutex
	renewed     time.Time
	once        sync.Once
}

// errQueueBusy: a person's request waited QueueWait for its turn.
var errQueueBusy = errors.New("the organisation's queue is busy")

// queueRetry is when a person whose request found the queue busy is asked
// to try again.
const queueRetry = 15 * time.Second

// enqueue waits for the organisation's turn: first among this instance's
// requests (a channel), then across instances (a lease in the database).
// A person (the interactive back-off) waits QueueWait at most; a sync as
// long as it takes.
func (c *Connector) enqueue(ctx context.Context, org string) (*turn, error) {
	if connectors.BackoffOf(ctx) != connectors.Background() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.cfg.QueueWait, errQueueBusy)
		defer cancel()
	}
	t, err := c.waitTurn(ctx, org)
	if err != nil && context.Cause(ctx) == errQueueBusy {
		return nil, errQueueBusy
	}
	return t, err
}

func (c *Connector) waitTurn(ctx context.Context, org string) (*turn, error) {
	c.mu.Lock()
	q := c.queues[org]
	if q == nil {
		q = make(chan struct{}, 1)
		c.queues[org] = q
	}
	c.seq++
	t := &turn{c: c, q: q, key: "netvisor:" + org, holder: fmt.Sprintf("%s-%d", c.holder, c.seq)}
	c.mu.Unlock()
	select {
	case q <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		t.renewed = c.cfg.Now()
		ok, err := c.cfg.Leases.TakeLease(ctx, t.key, t.holder, c.leaseUntil())
		if err != nil {
			<-q
			return nil, err
		}
		if ok {
			return t, nil
		}
		if err := c.cfg.Sleep(ctx, c.cfg.QueuePoll); err != nil {
			<-q
			return nil, err
		}
	}
}

// renew keeps the lease of a turn whose answer streams for long; it is
// cheap to call on every read.
func (t *turn) renew() {
	now := t.c.cfg.Now()
	t.mu.Lock()
	due := now.Sub(t.renewed) > t.c.cfg.CallTimeout/2
	if due {
		t.renewed = now
	}
	t.mu.Unlock()
	if !due {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ok, err := t.c.cfg.Leases.TakeLease(ctx, t.key, t.holder, t.c.leaseUntil()); err != nil || !ok {
		t.c.log.Warn("renew organisation lease", "key", t.key, "taken", ok, "err", err)
	}
}

// release gives the turn up, once.
func (t *turn) release() {
	t.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := t.c.cfg.Leases.ReleaseLease(ctx, t.key, t.holder); err != nil {
			t.c.log.Warn("release organisation lease", "key", t.key, "err", err)
		}
		<-t.q
	})
}

// leaseUntil is how long a lease is taken for: a whole call with its
// retries. A stream longer than that renews it (extendingReader).
func (c *Connector) leaseUntil() time.Time { return c.cfg.Now().Add(2 * c.cfg.CallTimeout) }

func (c *Connector) pausedFor(org string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused[org].Sub(c.cfg.Now())
}

// pause leaves an organisation alone for a while after a request failed
// through all its retries, as Netvisor asks ("retry a few times, then
// pause longer").
func (c *Connector) pause(org string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paused[org] = c.cfg.Now().Add(c.cfg.Pause)
}
