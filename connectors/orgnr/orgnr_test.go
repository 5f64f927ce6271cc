package orgnr

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		country string
		in      string
		want    string
		wantErr error
	}{
		// Real numbers: Telefonaktiebolaget LM Ericsson, Ericsson AB, Stockholms stad.
		{"SE hyphen", "SE", "556036-0793", "556036-0793", nil},
		{"SE plain", "SE", "5560360793", "556036-0793", nil},
		{"SE 12-digit", "SE", "165560360793", "556036-0793", nil},
		{"SE 12-digit hyphen", "SE", "16556036-0793", "556036-0793", nil},
		{"SE lower-case country and spaces", "se", " 556016 0680 ", "556016-0680", nil},
		{"SE municipality", "SE", "202100-5489", "202100-5489", nil},
		{"SE check digit", "SE", "556036-0794", "", ErrCheckDigit},
		{"SE transposed", "SE", "556063-0793", "", ErrCheckDigit},
		{"SE too short", "SE", "55603607", "", ErrFormat},
		{"SE 12-digit personnummer century", "SE", "195560360793", "", ErrFormat},
		{"SE letters", "SE", "55603A-0793", "", ErrFormat},
		{"SE empty", "SE", "", "", ErrFormat},
		// Equinor ASA, Brønnøysundregistrene.
		{"NO", "NO", "923609016", "923609016", nil},
		{"NO spaces", "NO", "974 760 673", "974760673", nil},
		{"NO check digit", "NO", "923609017", "", ErrCheckDigit},
		{"NO remainder needs 10", "NO", "400000000", "", ErrCheckDigit},
		{"NO hyphen not accepted", "NO", "923-609-016", "", ErrFormat},
		{"NO MVA suffix not accepted", "NO", "923609016MVA", "", ErrFormat},
		{"NO too long", "NO", "9236090160", "", ErrFormat},
		// Carlsberg A/S, Novo Nordisk A/S.
		{"DK", "DK", "61126228", "61126228", nil},
		{"DK spaces", "DK", "24 25 67 90", "24256790", nil},
		{"DK check", "DK", "24256791", "", ErrCheckDigit},
		{"DK short", "DK", "2425679", "", ErrFormat},
		// Nokia Oyj, Kesko Oyj.
		{"FI", "FI", "0112038-9", "0112038-9", nil},
		{"FI no hyphen", "FI", "01120389", "0112038-9", nil},
		{"FI other", "FI", "0109862-8", "0109862-8", nil},
		{"FI check", "FI", "0112038-8", "", ErrCheckDigit},
		{"FI remainder 1", "FI", "0000006-0", "", ErrCheckDigit},
		{"FI short", "FI", "112038-9", "", ErrFormat},
		{"NL", "NL", "33014286", "33014286", nil},
		{"NL spaces", "NL", "3301 4286", "33014286", nil},
		{"NL short", "NL", "3301428", "", ErrFormat},
		{"NL letters", "NL", "3301428X", "", ErrFormat},
		{"unknown country", "DE", "123456789", "", ErrCountry},
		{"empty country", "", "556036-0793", "", ErrCountry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(tt.country, tt.in)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Validate(%q, %q) error = %v, want %v", tt.country, tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Validate(%q, %q) = %q, want %q", tt.country, tt.in, got, tt.want)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		name    string
		country string
		a, b    string
		want    bool
	}{
		{"SE hyphen vs plain", "SE", "556036-0793", "5560360793", true},
		{"SE 12 vs 10", "SE", "165560360793", "556036-0793", true},
		{"SE different", "SE", "556036-0793", "556016-0680", false},
		{"SE invalid never equal", "SE", "556036-0794", "556036-0794", false},
		{"NO spaces", "NO", "923 609 016", "923609016", true},
		{"FI hyphen", "FI", "01120389", "0112038-9", true},
		{"unknown country", "XX", "1", "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Equal(tt.country, tt.a, tt.b); got != tt.want {
				t.Errorf("Equal(%q, %q, %q) = %v, want %v", tt.country, tt.a, tt.b, got, tt.want)
			}
		})
	}
}
