// Package orgnr validates and normalises the organisation numbers of the
// countries whose Visma systems Bilag connects: Sweden (organisationsnummer),
// Norway (organisasjonsnummer), Denmark (CVR), Finland (Y-tunnus) and the
// Netherlands (KvK).
//
// People type these numbers by hand and copy them from invoices, so the
// accepted input is forgiving about spaces and hyphens, while the returned
// normalised form is the one way Bilag stores and compares them. Errors are
// sentinels so the UI can say in the user's language what is wrong.
package orgnr

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by Validate; test with errors.Is.
var (
	// ErrCountry: the country code is not one Bilag knows numbers for.
	ErrCountry = errors.New("orgnr: unsupported country")
	// ErrFormat: wrong length or characters for the country's number.
	ErrFormat = errors.New("orgnr: malformed number")
	// ErrCheckDigit: the shape is right but the check digit is not, which is
	// almost always a typo.
	ErrCheckDigit = errors.New("orgnr: check digit mismatch")
)

// Validate checks s as an organisation number of country (ISO 3166-1 alpha-2,
// case-insensitive: SE, NO, DK, FI, NL) and returns its normalised form:
//
//	SE  NNNNNN-NNNN   (10 digits; the 12-digit "16…" form is reduced to 10)
//	NO  NNNNNNNNN     (9 digits)
//	DK  NNNNNNNN      (8 digits)
//	FI  NNNNNNN-N     (Y-tunnus)
//	NL  NNNNNNNN      (KvK, 8 digits; it has no check digit)
//
// Spaces are ignored everywhere; hyphens are ignored where the country's
// written form uses one (SE, FI).
func Validate(country, s string) (string, error) {
	cc := strings.ToUpper(strings.TrimSpace(country))
	switch cc {
	case "SE":
		return validateSE(s)
	case "NO":
		return validateNO(s)
	case "DK":
		return validateDK(s)
	case "FI":
		return validateFI(s)
	case "NL":
		return validateNL(s)
	default:
		return "", fmt.Errorf("%w: %q", ErrCountry, country)
	}
}

// Equal reports whether a and b are the same valid organisation number of
// country, so "556677-8899" equals "5566778899". Invalid numbers are never
// equal to anything, not even to themselves: comparing garbage must not
// link two records.
func Equal(country, a, b string) bool {
	na, err := Validate(country, a)
	if err != nil {
		return false
	}
	nb, err := Validate(country, b)
	if err != nil {
		return false
	}
	return na == nb
}

// digits returns s without the characters in skip, or ok=false when anything
// else than ASCII digits remains.
func digits(s, skip string) (d []int, ok bool) {
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, int(r-'0'))
		case strings.ContainsRune(skip, r):
		default:
			return nil, false
		}
	}
	return d, true
}

func str(d []int) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteByte(byte('0' + x))
	}
	return b.String()
}

func validateSE(s string) (string, error) {
	d, ok := digits(s, " -")
	if !ok {
		return "", fmt.Errorf("%w: SE number must be digits", ErrFormat)
	}
	// The Swedish Tax Agency writes legal entities' numbers with the century
	// prefix 16 in some contexts (e.g. 165560360793); it carries no information.
	if len(d) == 12 {
		if d[0] != 1 || d[1] != 6 {
			return "", fmt.Errorf("%w: 12-digit SE number must start with 16", ErrFormat)
		}
		d = d[2:]
	}
	if len(d) != 10 {
		return "", fmt.Errorf("%w: SE number must have 10 digits", ErrFormat)
	}
	if !luhn(d) {
		return "", fmt.Errorf("%w: SE %s", ErrCheckDigit, str(d))
	}
	n := str(d)
	return n[:6] + "-" + n[6:], nil
}

// luhn reports whether the last digit of d is the Luhn check digit of the rest.
func luhn(d []int) bool {
	sum := 0
	for i := range d {
		x := d[len(d)-1-i]
		if i%2 == 1 {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return sum%10 == 0
}

func validateNO(s string) (string, error) {
	d, ok := digits(s, " ")
	if !ok || len(d) != 9 {
		return "", fmt.Errorf("%w: NO number must have 9 digits", ErrFormat)
	}
	sum := 0
	for i, w := range []int{3, 2, 7, 6, 5, 4, 3, 2} {
		sum += d[i] * w
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	// A remainder of 1 would need check digit 10: Brønnøysund never issues
	// such numbers, so it is a typo, not a special case.
	if check == 10 || check != d[8] {
		return "", fmt.Errorf("%w: NO %s", ErrCheckDigit, str(d))
	}
	return str(d), nil
}

func validateDK(s string) (string, error) {
	d, ok := digits(s, " ")
	if !ok || len(d) != 8 {
		return "", fmt.Errorf("%w: DK CVR must have 8 digits", ErrFormat)
	}
	sum := 0
	for i, w := range []int{2, 7, 6, 5, 4, 3, 2, 1} {
		sum += d[i] * w
	}
	if sum%11 != 0 {
		return "", fmt.Errorf("%w: DK %s", ErrCheckDigit, str(d))
	}
	return str(d), nil
}

func validateFI(s string) (string, error) {
	d, ok := digits(s, " -")
	if !ok || len(d) != 8 {
		return "", fmt.Errorf("%w: FI Y-tunnus must be NNNNNNN-N", ErrFormat)
	}
	sum := 0
	for i, w := range []int{7, 9, 10, 5, 8, 4, 2} {
		sum += d[i] * w
	}
	r := sum % 11
	check := 0
	if r == 1 {
		// Remainder 1 is never issued (it would need a two-digit check).
		return "", fmt.Errorf("%w: FI %s", ErrCheckDigit, str(d))
	}
	if r > 1 {
		check = 11 - r
	}
	if check != d[7] {
		return "", fmt.Errorf("%w: FI %s", ErrCheckDigit, str(d))
	}
	n := str(d)
	return n[:7] + "-" + n[7:], nil
}

func validateNL(s string) (string, error) {
	d, ok := digits(s, " ")
	if !ok || len(d) != 8 {
		return "", fmt.Errorf("%w: NL KvK number must have 8 digits", ErrFormat)
	}
	return str(d), nil
}
