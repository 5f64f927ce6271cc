package connectors

import (
	"context"
	"errors"
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
func AnswerLost(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrAnswerLost) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}
