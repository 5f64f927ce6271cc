package netvisor

import (
	"bytes"
	"cmp"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bilag/connectors"
)

// stream is a Netvisor answer made up as it is sent: head, then filler
// until size bytes were written or the connector hung up, then tail.
// Nothing is stored: the filler is one chunk written again and again.
type stream struct {
	head, tail string
	size       int64
	// fill is the filler's unit; "QUFB" (base64 of "AAA") when empty.
	fill string
	// written counts what every answer wrote; active the answers being
	// written.
	written, active atomic.Int64
}

func (s *stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Add(-1)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	n, _ := io.WriteString(w, s.head)
	s.written.Add(int64(n))
	fill := cmp.Or(s.fill, "QUFB")
	chunk := bytes.Repeat([]byte(fill), 64<<10/len(fill))
	for sent := int64(n); sent < s.size; {
		n, err := w.Write(chunk)
		s.written.Add(int64(n))
		sent += int64(n)
		if err != nil {
			return
		}
	}
	io.WriteString(w, s.tail)
}

// wait waits until no answer is being written.
func (s *stream) wait(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.active.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("an answer is still being sent: nobody hung up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Issue 25 item 15: every element Bilag reads whole is bounded. An
// over-long one (a 64 MB <Status>, a voucher, a file name, a text or a tag
// Bilag reads past on its way to what it wants) is an answer Bilag cannot
// use, said so, and the read stops early: the connector hangs up long
// before Netvisor has sent it all, and never holds the whole of it.
func TestOverLongElementsAreRefusedEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("streams up to 64 MB")
	}
	const size = 64 << 20
	ledger := func(c *Connector, g connectors.Grant) error {
		_, err := c.Voucher(t.Context(), g, "1002")
		return err
	}
	open := func(d connectors.Document) func(*Connector, connectors.Grant) error {
		return func(c *Connector, g connectors.Grant) error {
			s, err := c.OpenDocument(t.Context(), g, d)
			if err != nil {
				return err
			}
			defer s.Body.Close()
			_, err = io.Copy(io.Discard, s.Body)
			return err
		}
	}
	attachment := open(connectors.Document{ID: "1002/0", Kind: KindAttachment})
	image := open(connectors.Document{ID: "77", Kind: KindPurchaseInvoice})
	const decl = `<?xml version="1.0" encoding="utf-8"?>`
	tests := []struct {
		name, head, tail string
		do               func(*Connector, connectors.Grant) error
	}{
		{"status", decl + `<Root><ResponseStatus><Status>`, `</Status></ResponseStatus></Root>`, ledger},
		{"failure's message", decl + `<Root><ResponseStatus><Status>FAILED</Status><Status>TECHNICAL_ERROR :: `, `</Status></ResponseStatus></Root>`, ledger},
		{"text before the status", decl + `<Root>`, `<ResponseStatus><Status>OK</Status></ResponseStatus></Root>`, ledger},
		{"voucher", okHead + `<Vouchers><Voucher><NetvisorKey>1002</NetvisorKey><VoucherDescription>`, `</VoucherDescription></Voucher></Vouchers></Root>`, ledger},
		{"voucher's attribute", okHead + `<Vouchers><Voucher Status="`, `"><NetvisorKey>1002</NetvisorKey></Voucher></Vouchers></Root>`, ledger},
		{"text between vouchers", okHead + `<Vouchers>`, `</Vouchers></Root>`, ledger},
		{"attachment's file name", okHead + `<VoucherAttachments><Attachment><Filename>`, `</Filename><Content>QUFB</Content></Attachment></VoucherAttachments></Root>`, attachment},
		{"element before the image", okHead + `<PurchaseInvoice><Comment>`, `</Comment><InvoiceImage>QUFB</InvoiceImage></PurchaseInvoice></Root>`, image},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &stream{head: tt.head, tail: tt.tail, size: size}
			c, g := fakeNetvisor(t, st.ServeHTTP)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			err := tt.do(c, g)
			runtime.ReadMemStats(&ms)
			allocated := ms.TotalAlloc - before
			st.wait(t)
			if connectors.Classify(err).Class != connectors.ClassBadAnswer || !strings.Contains(err.Error(), "longer than") {
				t.Errorf("err = %.300v, want a bad answer saying what was longer than allowed", err)
			}
			if w := st.written.Load(); w > 24<<20 {
				t.Errorf("Netvisor sent %d MB of %d before the connector stopped reading, want under 24", w>>20, size>>20)
			}
			if allocated > 24<<20 {
				t.Errorf("the read allocated %d MB, want under 24", allocated>>20)
			}
		})
	}
}

// A ledger is the one answer held in memory whole (it has no pages): it is
// bounded as a whole too, however small each voucher in it. A file is not:
// its base64 streams past the decoder, whatever its size.
func TestLedgerAnswerIsBounded(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	t.Run("ledger", func(t *testing.T) {
		st := &stream{
			head: okHead + `<Vouchers>`, tail: `</Vouchers></Root>`, size: 64 << 20,
			fill: `<Voucher><NetvisorKey>1001</NetvisorKey><VoucherDate format="ansi">2026-03-01</VoucherDate></Voucher>`,
		}
		c, g := fakeNetvisor(t, st.ServeHTTP)
		c.limits.answer = limit
		_, err := c.Vouchers(t.Context(), g, connectors.VoucherQuery{ModifiedSince: time.Now()})
		st.wait(t)
		if connectors.Classify(err).Class != connectors.ClassBadAnswer || !strings.Contains(err.Error(), "answer longer than") {
			t.Errorf("err = %.300v, want a bad answer saying the answer was longer than allowed", err)
		}
		if w := st.written.Load(); w > 24<<20 {
			t.Errorf("Netvisor sent %d MB before the connector stopped reading, want under 24", w>>20)
		}
	})
	t.Run("file", func(t *testing.T) {
		const size = 4 * limit
		st := &stream{
			head: okHead + `<VoucherAttachments><Attachment><Filename>a.pdf</Filename><MimeType>application/pdf</MimeType><Content>`,
			tail: `</Content></Attachment></VoucherAttachments></Root>`, size: size,
		}
		c, g := fakeNetvisor(t, st.ServeHTTP)
		c.limits.answer = limit
		s, err := c.OpenDocument(t.Context(), g, connectors.Document{ID: "1002/0", Kind: KindAttachment})
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, s.Body)
		s.Body.Close()
		if err != nil || n < (size-int64(len(st.head)))/4*3-3 {
			t.Errorf("read %d bytes of a file of about %d, %v; want all of it", n, size/4*3, err)
		}
	})
}
