package password

import (
	"bufio"
	_ "embed"
	"errors"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The policy (ASVS 6.2): at least MinLength characters, at most MaxLength
// (well above 64, so a passphrase or a password manager's output fits),
// not one of the commonest passwords and not containing the person's name,
// e-mail or the product's name.
const (
	MinLength = 12
	MaxLength = 128
)

// Why Check refuses a password.
var (
	ErrTooShort = errors.New("password: shorter than 12 characters")
	ErrTooLong  = errors.New("password: longer than 128 characters")
	ErrCommon   = errors.New("password: among the commonest passwords")
	ErrPersonal = errors.New("password: contains the person's name or e-mail, or the product's name")
)

// commonPasswords is the "passwords" frequency list of zxcvbn as
// github.com/trustelem/zxcvbn v1.0.1 ships it (frequency/lists.go; MIT,
// see common-passwords.LICENSE): the 30,000 commonest passwords of a
// published breach corpus, most common first.
//
//go:embed common-passwords.txt
var commonPasswords string

// commonList is the list as a set, built on the first check, not at
// start-up: most runs of the binary never check a password.
var commonList = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 30000)
	sc := bufio.NewScanner(strings.NewReader(commonPasswords))
	for sc.Scan() {
		if w := sc.Text(); w != "" {
			m[w] = true
		}
	}
	return m
})

// Check reports why pw may not be the password of the person called name
// with e-mail address email; nil when it may.
func Check(pw, name, email string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinLength:
		return ErrTooShort
	case n > MaxLength:
		return ErrTooLong
	}
	lower := strings.ToLower(pw)
	if isCommon(lower) {
		return ErrCommon
	}
	for _, part := range personal(name, email) {
		if strings.Contains(lower, part) {
			return ErrPersonal
		}
	}
	return nil
}

// isCommon: lower is a common password, one with digits or symbols added
// before or after it ("Password!2024"), or one repeated ("monkeymonkey").
func isCommon(lower string) bool {
	list := commonList()
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if list[lower] || (utf8.RuneCountInString(core) >= 4 && list[core]) {
		return true
	}
	for n := 1; n <= len(core)/2; n++ {
		if len(core)%n == 0 && strings.Repeat(core[:n], len(core)/n) == core && list[core[:n]] {
			return true
		}
	}
	return false
}

// personal is what a password may not contain: the product's name, the
// e-mail address and its local part, and every part of the person's name
// of 3 letters or more (shorter parts are in too many words).
func personal(name, email string) []string {
	out := []string{"bilag"}
	email = strings.ToLower(strings.TrimSpace(email))
	if email != "" {
		out = append(out, email)
	}
	if local, _, ok := strings.Cut(email, "@"); ok && utf8.RuneCountInString(local) >= 3 {
		out = append(out, local)
	}
	for _, part := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if utf8.RuneCountInString(part) >= 3 {
			out = append(out, part)
		}
	}
	return out
}
