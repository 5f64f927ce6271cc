package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
)

// Sentinels of the life of a connection that the server acts on; the
// failure table lives in errors.go.
var (
	// ErrAnswerLost: a request went out and no answer came back (the
	// connection broke or timed out). Whether the upstream acted on it is
	// unknown. AnswerLost also recognises the transport errors themselves.
	ErrAnswerLost = errors.New("upstream answer lost")
	// ErrFilterRejected: the upstream refused a query's filter (the
	// incremental sync's "modified since"); a query without it may work.
	ErrFilterRejected = errors.New("upstream rejected the query filter")
)

// AnswerLost reports whether err says the request's answer never arrived:
// a broken or timed-out connection, not anything the upstream said. Only
// such a request may be repeated when repeating spends something (a
// rotating refresh token): the upstream never said no.
//
// An answer that arrived whole but cannot be used (ErrBadAnswer) is never
// lost, whatever its decoder said: a JSON that ends early makes
// encoding/json say io.ErrUnexpectedEOF, as a connection that breaks
// mid-body does, but the upstream did answer.
func AnswerLost(err error) bool {
	if err == nil || errors.Is(err, ErrBadAnswer) {
		return false
	}
	if errors.Is(err, ErrAnswerLost) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// DecodeJSON decodes the JSON value of an answer's body into out, reading
// at most limit bytes. It tells apart the two ways that fails, which a
// decoder's error alone does not (both can be io.ErrUnexpectedEOF):
//
//   - the body did not arrive whole: reading it failed (the connection
//     broke, or the call ran out of time). That error is returned as it
//     is, for the connector to class as its transport's;
//   - the body arrived whole (its reader ended where its length said) but
//     is no JSON of out's shape, ends early, is empty or is longer than
//     limit: ErrBadAnswer. The decoder's text, which may quote the
//     answer, is left out.
func DecodeJSON(body io.Reader, limit int64, out any) error {
	r := &answerReader{r: body, left: limit}
	err := json.NewDecoder(r).Decode(out)
	switch {
	case err == nil:
		return nil
	case r.fault != nil:
		return r.fault
	case r.over:
		return fmt.Errorf("answer longer than %d bytes: %w", limit, ErrBadAnswer)
	case r.n == 0:
		return fmt.Errorf("empty answer: %w", ErrBadAnswer)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("answer of %d bytes ends inside its JSON: %w", r.n, ErrBadAnswer)
	}
	return fmt.Errorf("answer of %d bytes is not the JSON expected: %w", r.n, ErrBadAnswer)
}

// errOverLimit ends an answerReader at its limit.
var errOverLimit = errors.New("answer over its limit")

// answerReader reads an answer's body up to a limit, keeping the first
// error of the reader below other than its end: the sign that the body
// did not arrive whole.
type answerReader struct {
	r     io.Reader
	left  int64
	n     int64
	over  bool
	fault error
}

func (a *answerReader) Read(p []byte) (int, error) {
	if a.left <= 0 {
		// Past the limit only if there is more: a body exactly as long
		// as the limit ends here.
		var one [1]byte
		m, err := a.r.Read(one[:])
		if m > 0 {
			a.over = true
			return 0, errOverLimit
		}
		return 0, a.note(err)
	}
	if int64(len(p)) > a.left {
		p = p[:a.left]
	}
	n, err := a.r.Read(p)
	a.n += int64(n)
	a.left -= int64(n)
	return n, a.note(err)
}

func (a *answerReader) note(err error) error {
	if err != nil && err != io.EOF && a.fault == nil {
		a.fault = err
	}
	return err
}
