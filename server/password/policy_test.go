package password

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	const name, email = "Anders Analytiker", "anders.a@firm.test"
	tests := []struct {
		pw   string
		want error
	}{
		{"correct horse battery staple", nil},
		{"k7qm-x3pd-9rtw-h4nb-v2cs", nil},
		{strings.Repeat("ab1", 21) + "x", nil}, // 64 characters
		{strings.Repeat("å", 64), nil},
		{strings.Repeat("🔑", 64), nil},
		{strings.Repeat("q7", 64), nil}, // 128 characters
		{"", ErrTooShort},
		{"short", ErrTooShort},
		{"elevenchars", ErrTooShort},
		{"åäöåäöåäöåä", ErrTooShort}, // 11 characters in 22 bytes
		{strings.Repeat("q7", 64) + "x", ErrTooLong},
		{"password1234", ErrCommon},
		{"PASSWORD1234", ErrCommon},
		{"qwertyuiop123", ErrCommon},
		{"1qaz2wsx3edc", ErrCommon},
		{"Password!2024", ErrCommon},
		{"sunshine2024!!", ErrCommon},
		{"!!football1999", ErrCommon},
		{"monkeymonkeymonkey", ErrCommon},
		{"anders is my name", ErrPersonal},
		{"my name is ANALYTIKER", ErrPersonal},
		{"anders.a will log in", ErrPersonal},
		{"anders.a@firm.test", ErrPersonal},
		{"i use bilag every day", ErrPersonal},
	}
	for _, tt := range tests {
		if got := Check(tt.pw, name, email); !errors.Is(got, tt.want) {
			t.Errorf("Check(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

// TestCommonListIsLarge: the embedded list has the 30,000 passwords of
// zxcvbn's list and finds its first and last ones.
func TestCommonListIsLarge(t *testing.T) {
	l := commonList()
	if len(l) < 10000 {
		t.Fatalf("common list has %d entries, want at least 10,000", len(l))
	}
	for _, w := range []string{"123456", "password", "geekboy", `pic\'s`} {
		if !l[w] {
			t.Errorf("common list lacks %q", w)
		}
	}
}
