package eaccounting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"

	"bilag/connectors"
)

// Document kinds: where eAccounting keeps a file.
const (
	// KindAttachment is an attachment (GET /attachments/{id}), whether
	// linked to the voucher or to its supplier invoice.
	KindAttachment = "attachment"
	// KindCustomerInvoice is the PDF of a customer invoice
	// (GET /customerinvoices/{id}/pdf); the ID is the invoice's.
	KindCustomerInvoice = "customer_invoice"
)

// Voucher types whose SourceId is a supplier invoice or a customer invoice.
var (
	supplierInvoiceTypes = []int{12, 13}
	customerInvoiceTypes = []int{14, 15}
)

// attachmentJSON is the part of Attachment Bilag reads.
type attachmentJSON struct {
	Id           string
	ContentType  string
	FileName     string
	TemporaryUrl string
}

// String keeps fmt from printing the temporary URL, which is a bearer
// secret until it expires.
func (a attachmentJSON) String() string { return "attachment " + a.Id }

// hasDocuments: files on the voucher itself, or on the supplier or
// customer invoice it was booked from.
func (d voucherData) hasDocuments() bool {
	return len(d.AttachmentIDs) > 0 || (d.SourceID != "" && (slices.Contains(supplierInvoiceTypes, d.Type) || slices.Contains(customerInvoiceTypes, d.Type)))
}

// Documents lists the files behind a voucher: the attachments linked to it;
// failing those, for a supplier-invoice voucher, the invoice's attachments;
// and for a customer-invoice voucher, the invoice PDF. The invoice's own
// document (the PDF; a supplier invoice's first file) carries what is left
// to pay on it (payments.go): one only, since the voucher page shows it
// beside each document that has it.
func (c *Connector) Documents(ctx context.Context, g connectors.Grant, cv connectors.Voucher) ([]connectors.Document, error) {
	ctx, cancel := c.interactive(ctx)
	defer cancel()
	var v voucherData
	if err := json.Unmarshal(cv.Data, &v); err != nil {
		return nil, fmt.Errorf("eaccounting: get documents of voucher %q: not a voucher this connector read", cv.Ref)
	}
	tok, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("eaccounting: get documents of voucher %q: %w", v.ID, err)
	}
	ids, paid, err := c.supplierSide(ctx, tok, v)
	if err != nil {
		return nil, fmt.Errorf("eaccounting: get documents of voucher %q: %w", v.ID, err)
	}
	docs := make([]connectors.Document, 0, len(ids)+1)
	for _, id := range ids {
		a, err := c.attachment(ctx, tok, id)
		if errors.Is(err, connectors.ErrNotFound) {
			// An attachment deleted upstream should not hide the others.
			c.logger.WarnContext(ctx, "voucher links a missing attachment", "voucher_id", v.ID, "attachment_id", id)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("eaccounting: get documents of voucher %q: %w", v.ID, err)
		}
		docs = append(docs, connectors.Document{ID: a.Id, Kind: KindAttachment, FileName: a.FileName, ContentType: a.ContentType})
	}
	if paid != nil && len(docs) > 0 {
		paid.onto(&docs[0])
	}
	if slices.Contains(customerInvoiceTypes, v.Type) && v.SourceID != "" {
		pdf, err := c.customerInvoicePDF(ctx, tok, cv, v)
		if err != nil {
			return nil, fmt.Errorf("eaccounting: get documents of voucher %q: %w", v.ID, err)
		}
		docs = append(docs, pdf)
	}
	return docs, nil
}

// supplierSide is a voucher's attachment ids (its own, or failing those
// its supplier invoice's) and, for a supplier-invoice voucher, what is
// left to pay on the invoice. The invoice is read once for both; when
// the voucher has files of its own, an invoice Bilag cannot read (403,
// Visma failing) or that is gone leaves only its payment unknown.
func (c *Connector) supplierSide(ctx context.Context, tok *token, v voucherData) ([]string, *payment, error) {
	ids := v.AttachmentIDs
	if !slices.Contains(supplierInvoiceTypes, v.Type) || v.SourceID == "" {
		return ids, nil, nil
	}
	ictx, cancel := ctx, context.CancelFunc(func() {})
	if len(ids) > 0 {
		// The files are known: the invoice adds only its payment.
		ictx, cancel = spare(ctx)
	}
	defer cancel()
	inv, err := c.supplierInvoice(ictx, tok, v.SourceID)
	if err != nil && (len(ids) == 0 || ctx.Err() != nil) {
		return nil, nil, err
	}
	if err != nil {
		c.logger.WarnContext(ctx, "supplier invoice's payment not readable", "invoice_id", v.SourceID, "err", err)
	}
	if inv == nil {
		return ids, nil, nil
	}
	if len(ids) == 0 {
		ids = inv.Attachments
	}
	p := inv.payment()
	return ids, &p, nil
}

// customerInvoicePDF is a customer-invoice voucher's PDF, the invoice's
// own document, with what is left to pay on the invoice.
func (c *Connector) customerInvoicePDF(ctx context.Context, tok *token, cv connectors.Voucher, v voucherData) (connectors.Document, error) {
	name := cv.Number
	if name == "" {
		name = v.SourceID
	}
	pdf := connectors.Document{ID: v.SourceID, Kind: KindCustomerInvoice, FileName: "invoice-" + name + ".pdf", ContentType: "application/pdf"}
	paid, err := c.customerPayment(ctx, tok, v.SourceID)
	if err != nil {
		return connectors.Document{}, err
	}
	if paid != nil {
		paid.onto(&pdf)
	}
	return pdf, nil
}

// supplierInvoice reads a supplier invoice; nil when it is gone.
func (c *Connector) supplierInvoice(ctx context.Context, tok *token, invoiceID string) (*supplierInvoiceJSON, error) {
	seg, err := segment(invoiceID)
	if err != nil {
		return nil, fmt.Errorf("supplier invoice: %w", err)
	}
	var inv supplierInvoiceJSON
	err = c.get(ctx, tok, "GET /supplierinvoices/{id}", "/supplierinvoices"+seg, nil, &inv)
	if errors.Is(err, connectors.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get supplier invoice %q: %w", invoiceID, err)
	}
	return &inv, nil
}

func (c *Connector) attachment(ctx context.Context, tok *token, id string) (*attachmentJSON, error) {
	seg, err := segment(id)
	if err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	var a attachmentJSON
	if err := c.get(ctx, tok, "GET /attachments/{attachmentId}", "/attachments"+seg, nil, &a); err != nil {
		return nil, fmt.Errorf("get attachment %q: %w", id, err)
	}
	if a.Id == "" {
		a.Id = id
	}
	return &a, nil
}

// fileLink is where a document's file can be fetched now.
type fileLink struct {
	url, contentType, fileName string
}

// fileLink asks Visma for a fresh link to d's file.
func (c *Connector) fileLink(ctx context.Context, tok *token, d connectors.Document) (fileLink, error) {
	switch d.Kind {
	case KindAttachment:
		a, err := c.attachment(ctx, tok, d.ID)
		if err != nil {
			return fileLink{}, fmt.Errorf("eaccounting: open attachment: %w", err)
		}
		if a.TemporaryUrl == "" {
			return fileLink{}, fmt.Errorf("eaccounting: open attachment %q: no file url: %w", d.ID, connectors.ErrNotFound)
		}
		return fileLink{a.TemporaryUrl, a.ContentType, a.FileName}, nil
	case KindCustomerInvoice:
		seg, err := segment(d.ID)
		if err != nil {
			return fileLink{}, fmt.Errorf("eaccounting: open customer invoice: %w", err)
		}
		var inv struct{ Url string }
		if err := c.get(ctx, tok, "GET /customerinvoices/{invoiceId}/pdf", "/customerinvoices"+seg+"/pdf", nil, &inv); err != nil {
			return fileLink{}, fmt.Errorf("eaccounting: open customer invoice %q: %w", d.ID, err)
		}
		if inv.Url == "" {
			return fileLink{}, fmt.Errorf("eaccounting: open customer invoice %q: no file url: %w", d.ID, connectors.ErrNotFound)
		}
		return fileLink{url: inv.Url, contentType: "application/pdf"}, nil
	}
	return fileLink{}, fmt.Errorf("eaccounting: open document: unknown kind %q: %w", d.Kind, connectors.ErrNotFound)
}

// OpenDocument streams a document. eAccounting hands out a fresh, pre-signed
// URL for each file; it is fetched at once, without the access token, and
// never leaves this function.
func (c *Connector) OpenDocument(caller context.Context, g connectors.Grant, d connectors.Document) (*connectors.DocumentStream, error) {
	// The person waits for the file's first byte within the interactive
	// limit; the body then streams at their pace, under caller alone.
	ctx, cancel := c.interactive(caller)
	defer cancel()
	tok, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("eaccounting: open %s %q: %w", d.Kind, d.ID, err)
	}
	// A link may have expired between Visma minting it and the file host
	// seeing it (Visma documents no lifetime): the file host then refuses
	// the link itself (403, 404). Visma is asked for a fresh link once,
	// here and not above, since only the connector knows a link is cheap to
	// mint and safe to ask for again. A fresh link refused too is an answer
	// Bilag cannot use (ErrBadAnswer, 502): the host did answer, so "try
	// again later" would promise what nothing suggests.
	var (
		l    fileLink
		resp *http.Response
	)
	for try := 1; ; try++ {
		if l, err = c.fileLink(ctx, tok, d); err != nil {
			return nil, err
		}
		resp, err = c.download(ctx, caller, l.url)
		if fe, ok := errors.AsType[*FileError](err); ok && fe.linkDead() && try == 1 {
			c.logger.InfoContext(ctx, "file link refused; asking for a fresh one", "kind", d.Kind, "document_id", d.ID, "status", fe.Status)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("eaccounting: open %s %q: download: %w", d.Kind, d.ID, err)
		}
		break
	}
	contentType, fileName := l.contentType, l.fileName
	if contentType == "" {
		contentType = resp.Header.Get("Content-Type")
	}
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		// Parameters such as a charset say nothing about a PDF or an image.
		contentType = mt
	}
	if fileName == "" {
		fileName = d.FileName
	}
	return &connectors.DocumentStream{
		Body:        resp.Body,
		ContentType: contentType,
		FileName:    fileName,
		Size:        resp.ContentLength,
	}, nil
}
