package netvisor

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"bilag/connectors"
)

// fakeNetvisor is a connector against h, a Netvisor that answers as a
// test says, and a grant for it.
func fakeNetvisor(t *testing.T, h http.HandlerFunc) (*Connector, connectors.Grant) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := Config{
		PartnerID: "partner", PartnerKey: "partner-key", Sender: "Bilag test", Hosts: []string{srv.URL},
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}.Open(nil, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c, credentials{CustomerID: "customer", CustomerKey: "customer-key", OrgID: "1234567-8", Host: srv.URL}.grant()
}

// okHead is the start of an OK answer, up to its payload.
const okHead = `<?xml version="1.0" encoding="utf-8"?><Root><ResponseStatus><Status>OK</Status><TimeStamp>1.3.2026 12:00:00</TimeStamp></ResponseStatus>`

// Issue 25 item 3, as it shows in XML: an answer that arrived whole (as
// long as its Content-Length says) but ends inside a voucher or a file is
// one Bilag cannot use; only a body the connection cut short of its length
// is Netvisor not answering.
func TestAnswerCutShortIsABadAnswer(t *testing.T) {
	t.Parallel()
	const image = okHead + `<PurchaseInvoice><InvoiceImage>JVBERi0xLjQKJcfs`
	const attachments = okHead + `<VoucherAttachments><Attachment><Filename>a.pdf</Filename><MimeType>application/pdf</MimeType><Content>JVBERi0xLjQKJcfs`
	const ledger = okHead + `<Vouchers><Voucher><NetvisorKey>1002</NetvisorKey><VoucherDate format="ansi">2026-03-0`
	read := func(c *Connector, g connectors.Grant, d connectors.Document) error {
		s, err := c.OpenDocument(t.Context(), g, d)
		if err != nil {
			return err
		}
		defer s.Body.Close()
		_, err = io.Copy(io.Discard, s.Body)
		return err
	}
	tests := []struct {
		name string
		body string
		do   func(*Connector, connectors.Grant) error
	}{
		{"no Netvisor answer", `<html><body>Huoltokatko</body></html>`, func(c *Connector, g connectors.Grant) error {
			_, err := c.Voucher(t.Context(), g, "1002")
			return err
		}},
		{"status", `<?xml version="1.0" encoding="utf-8"?><Root><ResponseStatus><Stat`, func(c *Connector, g connectors.Grant) error {
			_, err := c.Voucher(t.Context(), g, "1002")
			return err
		}},
		{"ledger", ledger, func(c *Connector, g connectors.Grant) error {
			_, err := c.Voucher(t.Context(), g, "1002")
			return err
		}},
		{"purchase invoice image", image, func(c *Connector, g connectors.Grant) error {
			return read(c, g, connectors.Document{ID: "77", Kind: KindPurchaseInvoice})
		}},
		{"attachment opened", attachments, func(c *Connector, g connectors.Grant) error {
			return read(c, g, connectors.Document{ID: "1002/0", Kind: KindAttachment})
		}},
		{"attachment passed", attachments, func(c *Connector, g connectors.Grant) error {
			return read(c, g, connectors.Document{ID: "1002/1", Kind: KindAttachment})
		}},
	}
	for _, tt := range tests {
		for _, lost := range []bool{false, true} {
			name, want := tt.name+"/whole answer", connectors.ClassBadAnswer
			if lost {
				name, want = tt.name+"/connection lost", connectors.ClassUnavailable
			}
			t.Run(name, func(t *testing.T) {
				c, g := fakeNetvisor(t, func(w http.ResponseWriter, r *http.Request) {
					n := len(tt.body)
					if lost {
						n += 100
					}
					w.Header().Set("Content-Type", "text/xml; charset=utf-8")
					w.Header().Set("Content-Length", strconv.Itoa(n))
					// Returning short of the length makes the server drop
					// the connection.
					io.WriteString(w, tt.body)
				})
				err := tt.do(c, g)
				if got := connectors.Classify(err).Class; got != want {
					t.Errorf("class of %v = %d, want %d", err, got, want)
				}
			})
		}
	}
}
