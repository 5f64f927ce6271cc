package economic

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bilag/connectors"
)

// Document kinds: where e-conomic keeps a file.
const (
	// KindAttachment is a document attached to a booked voucher (Documents
	// API, /AttachedDocuments/{number}/pdf); the ID is its number.
	KindAttachment = "attachment"
	// KindBookedInvoice is a booked sales invoice's PDF
	// (/invoices/booked/{number}/pdf); the ID is the invoice number.
	KindBookedInvoice = "booked_invoice"
)

// attachedJSON is an AttachedDocument.
type attachedJSON struct {
	Number         int64  `json:"number"`
	VoucherNumber  int64  `json:"voucherNumber"`
	AccountingYear string `json:"accountingYear"`
	PageCount      int    `json:"pageCount"`
	Note           string `json:"note"`
}

// docsTTL is how long a walk of a year's attached documents serves the
// pages of a sync; a new sync walks afresh (forgetDocs).
const docsTTL = 15 * time.Minute

type docsKey struct {
	agreement int64
	year      string
}

type docsIndex struct {
	at       time.Time
	vouchers map[int64]bool
}

func (c *Connector) forgetDocs(agreement int64) {
	c.docsMu.Lock()
	defer c.docsMu.Unlock()
	delete(c.yearsOf, agreement)
	for k := range c.docs {
		if k.agreement == agreement {
			delete(c.docs, k)
		}
	}
}

// docsOf tells which vouchers of year have attached documents: one cursor
// walk of AttachedDocuments (about one call per 1,000 documents), never a
// call per voucher.
func (c *Connector) docsOf(ctx context.Context, d *grantData, year string) (map[int64]bool, error) {
	k := docsKey{d.Agreement, year}
	c.docsMu.Lock()
	idx, ok := c.docs[k]
	c.docsMu.Unlock()
	if ok && c.cfg.Now().Sub(idx.at) < docsTTL {
		return idx.vouchers, nil
	}
	items, err := c.attached(ctx, d, "accountingYear$eq:"+escapeFilter(year))
	if err != nil {
		return nil, err
	}
	set := make(map[int64]bool, len(items))
	for _, it := range items {
		if it.AccountingYear == year {
			set[it.VoucherNumber] = true
		}
	}
	c.docsMu.Lock()
	c.docs[k] = docsIndex{at: c.cfg.Now(), vouchers: set}
	c.docsMu.Unlock()
	return set, nil
}

// attached walks AttachedDocuments with filter, following the cursor.
func (c *Connector) attached(ctx context.Context, d *grantData, filter string) ([]attachedJSON, error) {
	var out []attachedJSON
	cur := ""
	for range maxPages {
		q := url.Values{"filter": {filter}}
		if cur != "" {
			q.Set("cursor", cur)
		}
		var resp struct {
			Items  []attachedJSON `json:"items"`
			Cursor string         `json:"cursor"`
		}
		if err := c.get(ctx, d, documentsAPI, "GET /AttachedDocuments", "/AttachedDocuments", q, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Items...)
		if resp.Cursor == "" || len(resp.Items) == 0 {
			break
		}
		cur = resp.Cursor
	}
	return out, nil
}

// escapeFilter escapes a value for e-conomic's filter syntax.
func escapeFilter(v string) string {
	return strings.NewReplacer("$", "$$", "(", "$(", ")", "$)", "*", "$*", ",", "$,", "[", "$[", "]", "$]").Replace(v)
}

// Documents lists the files behind a voucher: its attached documents,
// matched on voucher number and accounting year (numbers repeat across
// years), and, where the grant reaches booked invoices, the PDF of each
// booked invoice its entries name.
func (c *Connector) Documents(ctx context.Context, g connectors.Grant, v connectors.Voucher) ([]connectors.Document, error) {
	ctx, cancel := c.interactive(ctx)
	defer cancel()
	var vd voucherData
	if err := jsonUnmarshal(v.Data, &vd); err != nil || vd.Number <= 0 {
		return nil, fmt.Errorf("economic: get documents of voucher %q: not a voucher this connector read", v.Ref)
	}
	d, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("economic: get documents of voucher %s: %w", v.Ref, err)
	}
	n := strconv.FormatInt(vd.Number, 10)
	items, err := c.attached(ctx, d, "voucherNumber$eq:"+n+"$and:accountingYear$eq:"+escapeFilter(vd.Year))
	if err != nil {
		return nil, fmt.Errorf("economic: get documents of voucher %s: %w", v.Ref, err)
	}
	var docs []connectors.Document
	for _, it := range items {
		if it.VoucherNumber != vd.Number || it.AccountingYear != vd.Year {
			continue // an upstream that ignored the filter
		}
		id := strconv.FormatInt(it.Number, 10)
		docs = append(docs, connectors.Document{ID: id, Kind: KindAttachment,
			FileName: "voucher-" + n + "-" + id + ".pdf", ContentType: "application/pdf"})
	}
	if d.Invoices {
		for _, inv := range vd.Invoices {
			id := strconv.FormatInt(inv, 10)
			docs = append(docs, connectors.Document{ID: id, Kind: KindBookedInvoice, FileName: "invoice-" + id + ".pdf", ContentType: "application/pdf"})
		}
	}
	return docs, nil
}

// OpenDocument streams a document's PDF. Both APIs always answer a PDF, so
// an answer that does not start with %PDF- is refused before a byte of it
// reaches anyone.
func (c *Connector) OpenDocument(caller context.Context, g connectors.Grant, doc connectors.Document) (*connectors.DocumentStream, error) {
	d, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("economic: open %s %q: %w", doc.Kind, doc.ID, err)
	}
	n, err := strconv.ParseInt(doc.ID, 10, 64)
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("economic: open %s %q: %w", doc.Kind, doc.ID, connectors.ErrNotFound)
	}
	var rawURL, endpoint string
	switch doc.Kind {
	case KindAttachment:
		rawURL, endpoint = c.url(documentsAPI, "/AttachedDocuments/"+doc.ID+"/pdf", nil), "GET /AttachedDocuments/{number}/pdf"
	case KindBookedInvoice:
		rawURL, endpoint = c.url(restAPI, "/invoices/booked/"+doc.ID+"/pdf", nil), "GET /invoices/booked/{number}/pdf"
	default:
		return nil, fmt.Errorf("economic: open document: unknown kind %q: %w", doc.Kind, connectors.ErrNotFound)
	}
	ctx, cancel := c.interactive(caller)
	defer cancel()
	var out *connectors.DocumentStream
	err = connectors.Retry(ctx, c.sleep, func(ctx context.Context) error {
		if err := c.spend(ctx, d); err != nil {
			return err
		}
		// The answer's headers come within ctx (the person's wait); the
		// body then streams under the caller's context alone.
		reqCtx, cancelReq := context.WithCancel(caller)
		stop := context.AfterFunc(ctx, cancelReq)
		req, err := c.request(reqCtx, d, rawURL, "application/pdf")
		if err != nil {
			cancelReq()
			return err
		}
		resp, err := c.do(reqCtx, req, endpoint)
		stopped := stop()
		if err != nil {
			cancelReq()
			if !stopped && ctx.Err() != nil {
				return transportError(ctx, err)
			}
			return err
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			defer cancelReq()
			defer resp.Body.Close()
			return c.newAPIError(resp, endpoint)
		}
		br := bufio.NewReader(resp.Body)
		head, _ := br.Peek(5)
		if !bytes.Equal(head, []byte("%PDF-")) {
			resp.Body.Close()
			cancelReq()
			c.logger.WarnContext(ctx, "document is not a PDF", "kind", doc.Kind, "id", doc.ID, "content_type", resp.Header.Get("Content-Type"))
			return fmt.Errorf("%s: answer is not a PDF: %w", endpoint, connectors.ErrBadAnswer)
		}
		out = &connectors.DocumentStream{
			Body:        &body{Reader: br, c: resp.Body, cancel: cancelReq},
			ContentType: "application/pdf",
			FileName:    doc.FileName,
			Size:        resp.ContentLength,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("economic: open %s %s: %w", doc.Kind, doc.ID, err)
	}
	return out, nil
}

// body is a document's stream: the peeked reader over the response body,
// whose context ends when it is closed.
type body struct {
	io.Reader
	c      io.Closer
	cancel context.CancelFunc
}

func (b *body) Close() error {
	err := b.c.Close()
	b.cancel()
	return err
}
