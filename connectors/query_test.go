package connectors

import (
	"errors"
	"fmt"
	"io"
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
