package netvisor

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"

	"bilag/connectors"
)

// write makes one signed request that changes the organisation's books
// (an import, a status, a comment, a delete): in the organisation's queue
// like every call, but never retried, since Netvisor may have acted on a
// request whose answer did not arrive. Its errors say which of three it
// was:
//
//   - Netvisor answered FAILED: an *APIError (refused, nothing changed),
//     except TECHNICAL_ERROR and a 5xx without a code, which say nothing
//     of whether the change was made: those are ErrAnswerLost as well
//     (inferred: Netvisor documents no transaction semantics), and so is
//     REQUEST_NOT_UNIQUE: the same request (its TransactionId) reached
//     Netvisor before, which happens to a write sent as a GET (delete)
//     when Go's transport replays it after a connection closed with no
//     answer; the first one may have been acted on;
//   - the request never left (the connection was refused, the queue was
//     busy, the host is no longer listed): not ErrAnswerLost;
//   - anything after it left without an answer: ErrAnswerLost.
//
// The answer is read whole (bounded) and returned after its status.
func (c *Connector) write(ctx context.Context, cr credentials, method, resource string, params []param, body []byte) ([]byte, error) {
	t, err := c.enqueue(ctx, cr.OrgID)
	if err != nil {
		if errors.Is(err, errQueueBusy) {
			err = &connectors.RateLimitError{RetryAfter: queueRetry}
		}
		return nil, fmt.Errorf("netvisor %s: wait for the organisation's queue: %w", resource, err)
	}
	defer t.release()
	base, err := baseURL(cr.Host)
	if err != nil || !slices.Contains(c.cfg.Hosts, cr.Host) {
		return nil, fmt.Errorf("netvisor %s: host no longer configured: %w", resource, connectors.ErrGrantRevoked)
	}
	a, err := c.once(ctx, cr, method, resource, requestURL(base, resource, params), body, false)
	if err != nil {
		return nil, writeError(resource, err)
	}
	a.turn = t
	defer a.Close()
	rest, err := io.ReadAll(io.LimitReader(a.br, maxAnswer))
	if err != nil || a.body.fault != nil {
		return nil, fmt.Errorf("netvisor %s: read answer: %w: %w", resource, connectors.ErrAnswerLost, errors.Join(err, a.body.fault))
	}
	return rest, nil
}

// writeError classes a write's failure (see write).
func writeError(resource string, err error) error {
	if ae, ok := errors.AsType[*APIError](err); ok {
		if ae.Code == codeTechnical || ae.Code == codeRequestNotUnique || (ae.Code == "" && ae.HTTPStatus >= 500) {
			return fmt.Errorf("%w: %w", connectors.ErrAnswerLost, ae)
		}
		return ae
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return err
	}
	// No answer, or one Bilag cannot read (ErrBadAnswer), or the caller
	// went away meanwhile: whether the change was made is unknown.
	return fmt.Errorf("netvisor %s: %w: %w", resource, connectors.ErrAnswerLost, err)
}

// insertedKey reads a write answer's Replies/InsertedDataIdentifier (the
// reference's B5), "" when there is none. rest is the answer after its
// ResponseStatus, already UTF-8.
func insertedKey(rest []byte) string {
	dec := xml.NewDecoder(strings.NewReader(string(rest)))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && strings.EqualFold(se.Name.Local, "InsertedDataIdentifier") {
			var s string
			if dec.DecodeElement(&s, &se) != nil {
				return ""
			}
			return strings.TrimSpace(s)
		}
	}
}

// refusedAnswer is Netvisor's refusal of an import as a SendAnswer: its
// code and its message, plain and bounded.
func refusedAnswer(ae *APIError) connectors.SendAnswer {
	msg := ae.Message
	if r := []rune(msg); len(r) > 500 {
		msg = string(r[:500]) + "…"
	}
	code := ae.Code
	if code == "" {
		code = http.StatusText(ae.HTTPStatus)
	}
	return connectors.SendAnswer{Accepted: false, Code: code, Message: msg}
}
