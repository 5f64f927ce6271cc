package netvisor

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
	"time"
)

// ISO-8859-15 to UTF-8, whatever sizes the reader above asks for: the
// euro sign is three bytes in UTF-8 and one on the wire.
func TestLatin9Reader(t *testing.T) {
	t.Parallel()
	in := []byte("Koivu & M\xe4nty \xa4 100,00 \xbd")
	want := "Koivu & Mänty € 100,00 œ"
	got, err := io.ReadAll(&latin9Reader{r: bytes.NewReader(in)})
	if err != nil || string(got) != want {
		t.Errorf("ReadAll = %q, %v; want %q", got, err, want)
	}
	got, err = io.ReadAll(iotest.OneByteReader(&latin9Reader{r: bytes.NewReader(in)}))
	if err != nil || string(got) != want {
		t.Errorf("one byte at a time = %q, %v; want %q", got, err, want)
	}
}

func TestParseAmountAndDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"100,00": 10000, "-1 860,00": -186000, "1234.5": 123450, "0,07": 7, "": 0} {
		if got, err := parseAmount(in); err != nil || got != want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"3.2.2026", "2026-02-03", "03.02.2026"} {
		if got, err := parseDate(in); err != nil || !got.Equal(time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("parseDate(%q) = %v, %v", in, got, err)
		}
	}
}
