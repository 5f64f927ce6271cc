package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Issue 25 item 3: an answer that arrived but cannot be used is never a
// lost one, even when its decoder said "unexpected EOF": the upstream
// answered, so nothing may be sent again on the chance it did not. Only a
// failure to receive the answer is lost.
func TestAnswerLost(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection closed before an answer", fmt.Errorf("%w: %w", ErrUnavailable, io.EOF), true},
		{"body cut short of its length", fmt.Errorf("read answer: %w: %w", ErrUnavailable, io.ErrUnexpectedEOF), true},
		{"said so", fmt.Errorf("send: %w", ErrAnswerLost), true},
		{"whole answer whose JSON ends early", fmt.Errorf("decode answer: %w: %w", ErrBadAnswer, io.ErrUnexpectedEOF), false},
		{"whole answer that is empty", fmt.Errorf("decode answer: %w: %w", ErrBadAnswer, io.EOF), false},
		{"a refusal", errors.New("status 400"), false},
	}
	for _, tt := range tests {
		if got := AnswerLost(tt.err); got != tt.want {
			t.Errorf("AnswerLost(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// failAfter reads r, then fails with err instead of ending.
type failAfter struct {
	r   io.Reader
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		err = f.err
	}
	return n, err
}

// DecodeJSON returns the reading error of a body that did not arrive
// whole as it is, and ErrBadAnswer for one that did but cannot be used,
// a body exactly as long as the limit being whole.
func TestDecodeJSON(t *testing.T) {
	const whole = `{"a":1}`
	tests := []struct {
		name  string
		body  io.Reader
		limit int64
		bad   bool
		lost  bool
	}{
		{"whole", strings.NewReader(whole), 100, false, false},
		{"exactly the limit", strings.NewReader(whole), int64(len(whole)), false, false},
		{"over the limit", strings.NewReader(`{"a":"` + strings.Repeat("x", 100) + `"}`), 50, true, false},
		{"ends early", strings.NewReader(`{"a":`), 100, true, false},
		{"empty", strings.NewReader(""), 100, true, false},
		{"not JSON", strings.NewReader("<html>"), 100, true, false},
		{"wrong shape", strings.NewReader(`{"a":"one"}`), 100, true, false},
		{"connection cut", &failAfter{strings.NewReader(`{"a":`), io.ErrUnexpectedEOF}, 100, false, true},
		{"timed out", &failAfter{strings.NewReader(`{"a":`), context.DeadlineExceeded}, 100, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct{ A int }
			err := DecodeJSON(tt.body, tt.limit, &out)
			if bad := errors.Is(err, ErrBadAnswer); bad != tt.bad || AnswerLost(err) != tt.lost || (!tt.bad && !tt.lost && err != nil) {
				t.Errorf("DecodeJSON() = %v: bad answer %v, lost %v; want %v, %v", err, bad, AnswerLost(err), tt.bad, tt.lost)
			}
		})
	}
}
