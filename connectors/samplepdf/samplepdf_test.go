package samplepdf

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
)

// The cross-reference table points at each object, also in a file padded
// after its header, and the text's letters are escaped for WinAnsi.
func TestPageOffsets(t *testing.T) {
	for _, pad := range []int64{0, 1000} {
		b := Page([]string{"Faktura (kopia)", "Belopp: 1 250,00 kr"}, pad)
		if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
			t.Fatalf("pad %d: not a PDF: %q…", pad, b[:20])
		}
		padded := append(append(append([]byte{}, b[:15]...), bytes.Repeat([]byte("%"), int(pad))...), b[15:]...)
		entries := regexp.MustCompile(`(\d{10}) 00000 n`).FindAllSubmatch(b, -1)
		if len(entries) != 5 {
			t.Fatalf("pad %d: %d xref entries, want 5", pad, len(entries))
		}
		for i, e := range entries {
			off, _ := strconv.Atoi(string(e[1]))
			want := strconv.Itoa(i+1) + " 0 obj"
			if !bytes.HasPrefix(padded[off:], []byte(want)) {
				t.Errorf("pad %d: xref entry %d points at %q, want %q", pad, i+1, padded[off:off+8], want)
			}
		}
	}
	if got, want := Text("Bokföring (ÅÄÖ) \\ ☃\x01"), `Bokf\366ring \(\305\304\326\) \\ ?`; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}
