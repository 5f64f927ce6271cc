package economic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"bilag/connectors"
)

// ErrIncomplete: a write lacks a property e-conomic's documents name as
// required; it is not sent.
var ErrIncomplete = errors.New("a required property is missing")

// ErrRefused: e-conomic answered a write with a refusal (a 4xx other than
// 401, 403 and 429): it made nothing. The *Refusal says what.
var ErrRefused = errors.New("e-conomic refused the request")

// Refusal is e-conomic's refusal of a write, read from its annotated error
// (e-conomic/slate:source/includes/_introduction.md, "Annotated errors":
// {message, developerHint, logId, httpStatusCode, errors}, the errors
// mirroring the request payload). It is ErrRefused to errors.Is; nothing
// was created, and sending the same request again is refused again.
type Refusal struct {
	Status        int
	Message       string
	DeveloperHint string
	LogID         string
	// Fields are the annotated errors, one per error of a property.
	Fields []FieldError
}

// FieldError is one annotated error: where (the property's path in the
// request, "productGroup", "lines[1].unitNetPrice") and what.
type FieldError struct {
	Path string
	// Code is e-conomic's errorCode ("E06000"), "" when it gave none.
	Code    string
	Message string
	// Value is the value refused, as text, "" when none was named.
	Value string
}

func (r *Refusal) Error() string {
	s := fmt.Sprintf("refused: status %d", r.Status)
	if r.Message != "" {
		s += ": " + clip(r.Message, 200)
	}
	for i, f := range r.Fields {
		if i == 5 {
			s += fmt.Sprintf(" (and %d more)", len(r.Fields)-i)
			break
		}
		s += "; " + f.String()
	}
	if r.LogID != "" {
		s += " (logId " + clip(r.LogID, 80) + ")"
	}
	return s
}

// String is the error as a person reads it: "productGroup: productGroup
// does not exist. (E06000, 3010)".
func (f FieldError) String() string {
	s := clip(f.Message, 200)
	if f.Path != "" {
		s = f.Path + ": " + s
	}
	var in []string
	if f.Code != "" {
		in = append(in, f.Code)
	}
	if f.Value != "" {
		in = append(in, clip(f.Value, 60))
	}
	if len(in) > 0 {
		s += " (" + strings.Join(in, ", ") + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrRefused) true.
func (r *Refusal) Is(target error) bool { return target == ErrRefused }

// Field is the first error at path, and whether there is one.
func (r *Refusal) Field(path string) (FieldError, bool) {
	for _, f := range r.Fields {
		if f.Path == path {
			return f, true
		}
	}
	return FieldError{}, false
}

// maxAnswerMessage bounds an answer's message as shown.
const maxAnswerMessage = 300

// Answer is the refusal as the import pipeline records an upstream's
// answer: not accepted, e-conomic's first error code (or the HTTP status),
// and its words on one line, plain and bounded.
func (r *Refusal) Answer() connectors.SendAnswer {
	code := "HTTP " + strconv.Itoa(r.Status)
	var parts []string
	for _, f := range r.Fields {
		if code == "HTTP "+strconv.Itoa(r.Status) && f.Code != "" {
			code = f.Code
		}
		parts = append(parts, f.String())
	}
	msg := r.Message
	if len(parts) > 0 {
		msg = strings.Join(parts, "; ")
	}
	return connectors.SendAnswer{Code: code, Message: plain(msg, maxAnswerMessage)}
}

// plain is s on one line of printable characters, at most n of them.
func plain(s string, n int) string {
	var b strings.Builder
	count, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = true
			continue
		}
		if count >= n {
			b.WriteString("…")
			break
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			count++
		}
		space = false
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// newRefusal reads an annotated error; a body that is not one still makes
// a refusal, with the status's words.
func newRefusal(status int, raw []byte) *Refusal {
	r := &Refusal{Status: status}
	var body struct {
		Message       string `json:"message"`
		DeveloperHint string `json:"developerHint"`
		LogID         string `json:"logId"`
		Errors        any    `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&body) == nil {
		r.Message, r.DeveloperHint, r.LogID = body.Message, body.DeveloperHint, body.LogID
		walkErrors("", body.Errors, &r.Fields)
	}
	if r.Message == "" {
		r.Message = http.StatusText(status)
	}
	return r
}

// walkErrors reads the annotated errors document: a property whose value
// is {"errors": [...]} failed; an array's items carry "arrayIndex".
func walkErrors(path string, v any, out *[]FieldError) {
	switch x := v.(type) {
	case map[string]any:
		if list, ok := x["errors"].([]any); ok {
			for _, item := range list {
				e, _ := item.(map[string]any)
				f := FieldError{Path: path}
				f.Code, _ = e["errorCode"].(string)
				f.Message, _ = e["message"].(string)
				if val, ok := e["value"]; ok && val != nil {
					f.Value = fmt.Sprint(val)
				}
				*out = append(*out, f)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			if k != "errors" && k != "arrayIndex" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkErrors(p, x[k], out)
		}
	case []any:
		for i, item := range x {
			idx := i
			if m, ok := item.(map[string]any); ok {
				if n, ok := m["arrayIndex"].(json.Number); ok {
					if v, err := n.Int64(); err == nil {
						idx = int(v)
					}
				}
			}
			walkErrors(fmt.Sprintf("%s[%d]", path, idx), item, out)
		}
	}
}

// send makes one write, once: never retried, here or above. What comes of
// it is one of:
//   - nil: e-conomic made it, and out holds its answer;
//   - a *Refusal (ErrRefused): e-conomic said no and made nothing;
//   - an *APIError of 401, 403 or 429: refused before the request was
//     read (the grant, the role, the quota), nothing made;
//   - a failure before the request was written (the day's budget, no
//     connection): nothing made, it may be sent again later;
//   - connectors.ErrAnswerLost: the request went out and no usable answer
//     came back (the connection broke, the call timed out, a 5xx, a 2xx
//     whose body could not be read). e-conomic may have made it: the
//     caller looks it up before anything is sent again.
func (c *Connector) send(ctx context.Context, g *grantData, method, endpoint, path, contentType string, body []byte, out any) error {
	if err := c.spend(ctx, g); err != nil {
		return fmt.Errorf("%s: not sent: %w", endpoint, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	var wrote atomic.Bool
	tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(tctx, method, c.url(restAPI, path, nil), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: build request: %w", endpoint, err)
	}
	req.Header.Set("X-AppSecretToken", c.cfg.AppSecretToken)
	req.Header.Set("X-AgreementGrantToken", g.Token)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		c.observe(endpoint, 0, time.Since(start))
		cause := err
		if ue, ok := errors.AsType[*url.Error](err); ok {
			cause = ue.Err // its text holds the URL
		}
		if wrote.Load() {
			c.logger.WarnContext(ctx, "e-conomic write: answer lost", "endpoint", endpoint, "error", cause)
			return fmt.Errorf("%s: %w: %v", endpoint, connectors.ErrAnswerLost, cause)
		}
		if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
			return fmt.Errorf("%s: not sent: %w", endpoint, ctx.Err())
		}
		// The cause's words only: a transport error in the chain would
		// count as a lost answer (connectors.AnswerLost), and this request
		// never went out.
		return fmt.Errorf("%s: not sent: %w: %v", endpoint, connectors.ErrUnavailable, cause)
	}
	defer resp.Body.Close()
	c.observe(endpoint, resp.StatusCode, time.Since(start))
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	c.logger.InfoContext(ctx, "e-conomic write", "endpoint", endpoint, "status", resp.StatusCode, "callcost", resp.Header.Get("X-Callcost"),
		"duration", time.Since(start))
	if rerr != nil {
		return fmt.Errorf("%s: %w: the answer (HTTP %d) broke off: %v", endpoint, connectors.ErrAnswerLost, resp.StatusCode, rerr)
	}
	switch st := resp.StatusCode; {
	case st >= 200 && st <= 299:
		if out == nil {
			return nil
		}
		if err := decodeOneOrFirst(raw, out); err != nil {
			// Made, but which? Only a look-up tells.
			return fmt.Errorf("%s: %w: the answer (HTTP %d) is unreadable", endpoint, connectors.ErrAnswerLost, st)
		}
		return nil
	case st == http.StatusUnauthorized, st == http.StatusForbidden, st == http.StatusTooManyRequests:
		// Not documented that these come before the request is read;
		// inferred: the tokens, the role and the quota are checked
		// before any payload.
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		return fmt.Errorf("%s: %w", endpoint, c.newAPIError(resp, endpoint))
	case st >= 500:
		// "Something went wrong on our end": whether it was made is
		// unknown. Its words are logged, not wrapped: a 5xx here is no
		// transient fault to retry.
		refusal := newRefusal(st, raw)
		c.logger.WarnContext(ctx, "e-conomic write: server error", "endpoint", endpoint, "status", st, "log_id", refusal.LogID)
		return fmt.Errorf("%s: %w: HTTP %d (logId %s)", endpoint, connectors.ErrAnswerLost, st, clip(refusal.LogID, 80))
	}
	r := newRefusal(resp.StatusCode, raw)
	c.logger.InfoContext(ctx, "e-conomic refused a write", "endpoint", endpoint, "status", r.Status, "log_id", r.LogID, "errors", len(r.Fields))
	return fmt.Errorf("%s: %w", endpoint, r)
}

// sendJSON is send of v as JSON.
func (c *Connector) sendJSON(ctx context.Context, g *grantData, method, endpoint, path string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", endpoint, err)
	}
	return c.send(ctx, g, method, endpoint, path, "application/json", body, out)
}
