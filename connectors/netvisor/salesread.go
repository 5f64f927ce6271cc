package netvisor

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"bilag/connectors"
)

// KindSalesAttachment is one of a sales invoice's own attachments
// (getsalesinvoice.nv with includeattachments=1: timesheets, delivery
// notes); its ID is "<invoice NetvisorKey>/<position>" in that answer.
const KindSalesAttachment = "sales_attachment"

// salesInfo is what Bilag reads of a sales invoice beside its PDF.
type salesInfo struct {
	Number      string
	Status      string
	OpenSum     *int64
	Attachments []attachmentMeta
}

// listedXML is salesinvoicelist.nv's SalesInvoice, the part Bilag reads
// for the open sum (the seed: OpenSum is only in the list).
type listedXML struct {
	Key    string `xml:"NetvisorKey"`
	Status struct {
		Sub  string `xml:"substatus,attr"`
		Text string `xml:",chardata"`
	} `xml:"InvoiceStatus"`
	OpenSum string `xml:"OpenSum"`
}

// salesInvoiceInfo reads a sales invoice's status and its attachments'
// names with getsalesinvoice.nv (pdfimage=nopdf, includeattachments=1;
// the attachments' data is read past, not kept), then its open sum from
// salesinvoicelist.nv by the invoice's number.
func (c *Connector) salesInvoiceInfo(ctx context.Context, cr credentials, key string) (salesInfo, error) {
	if err := checkKey(key); err != nil {
		return salesInfo{}, err
	}
	info, err := c.salesInvoiceHead(ctx, cr, key)
	if err != nil || info.Number == "" {
		return info, err
	}
	got, err := readList[listedXML](ctx, c, cr, "salesinvoicelist.nv", []param{{"invoicenumber", info.Number}}, "SalesInvoice")
	if err != nil {
		return info, fmt.Errorf("sales invoice %s open sum: %w", key, err)
	}
	for _, l := range got {
		if strings.TrimSpace(l.Key) != key {
			continue
		}
		if sum, err := parseAmount(l.OpenSum); err == nil && strings.TrimSpace(l.OpenSum) != "" {
			info.OpenSum = &sum
		}
		if info.Status == "" {
			info.Status = strings.ToLower(strings.TrimSpace(l.Status.Sub + l.Status.Text))
		}
	}
	return info, nil
}

// salesInvoiceHead is salesInvoiceInfo's first call.
func (c *Connector) salesInvoiceHead(ctx context.Context, cr credentials, key string) (salesInfo, error) {
	var info salesInfo
	a, err := c.call(ctx, cr, "getsalesinvoice.nv", []param{{"netvisorkey", key}, {"pdfimage", "nopdf"}, {"includeattachments", "1"}}, true)
	if err != nil {
		return info, fmt.Errorf("sales invoice %s: %w", key, err)
	}
	defer a.Close()
	err = salesAttachments(a, -1, func(se *xml.StartElement) error {
		switch strings.ToLower(se.Name.Local) {
		case "salesinvoicenumber":
			return a.element(&info.Number, se, a.lim.field)
		case "invoicestatus":
			info.Status = strings.ToLower(attr(se, "status"))
		case "salesinvoiceattachment":
			info.Attachments = append(info.Attachments, attachmentMeta{})
		case "mimetype", "attachmentdescription", "filename":
			if n := len(info.Attachments); n > 0 {
				m := &info.Attachments[n-1]
				dst := map[string]*string{"mimetype": &m.MimeType, "attachmentdescription": &m.Description, "filename": &m.Filename}[strings.ToLower(se.Name.Local)]
				return a.element(dst, se, a.lim.field)
			}
		}
		return nil
	})
	if err != nil && err != errFound {
		return info, fmt.Errorf("sales invoice %s: %w", key, decodeError(ctx, a, err))
	}
	return info, nil
}

// errFound ends salesAttachments at the documentdata asked for.
var errFound = fmt.Errorf("found")

// salesAttachments walks a getsalesinvoice.nv answer, handing each start
// element to f and reading past each attachment's documentdata, but for
// the want-th (from 0), where it stops with errFound.
func salesAttachments(a *answer, want int, f func(*xml.StartElement) error) error {
	i := -1
	for {
		tok, err := a.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(se.Name.Local) {
		case "salesinvoiceattachment":
			i++
		case "documentdata":
			if i == want {
				return errFound
			}
			if _, err := io.Copy(io.Discard, base64.NewDecoder(base64.StdEncoding, &textReader{br: a.br})); err != nil {
				return err
			}
			continue
		}
		if err := f(&se); err != nil {
			return err
		}
	}
}

func attr(se *xml.StartElement, name string) string {
	for _, at := range se.Attr {
		if strings.EqualFold(at.Name.Local, name) {
			return strings.TrimSpace(at.Value)
		}
	}
	return ""
}

// salesDocuments lists a sales invoice's PDF, with its status and open
// sum, and its own attachments. Should the invoice not be readable, the
// PDF is listed all the same, as before Bilag read more of it: opening it
// then says what is wrong.
func (c *Connector) salesDocuments(ctx context.Context, cr credentials, key string) []connectors.Document {
	pdf := connectors.Document{ID: key, Kind: KindSalesInvoice, FileName: "sales-invoice-" + key + ".pdf", ContentType: "application/pdf"}
	info, err := c.salesInvoiceInfo(ctx, cr, key)
	if err != nil {
		c.log.Warn("read sales invoice beside its PDF", "key", key, "err", err)
	}
	pdf.InvoiceStatus, pdf.OpenSum = info.Status, info.OpenSum
	docs := []connectors.Document{pdf}
	for i, m := range info.Attachments {
		name := m.Filename
		if name == "" {
			name = fmt.Sprintf("sales-invoice-%s-attachment-%d", key, i+1)
		}
		docs = append(docs, connectors.Document{ID: key + "/" + strconv.Itoa(i), Kind: KindSalesAttachment, FileName: name, ContentType: m.MimeType})
	}
	return docs
}

// openSalesAttachment streams attachment i of a sales invoice out of
// getsalesinvoice.nv's answer, reading past the ones before it.
func (c *Connector) openSalesAttachment(ctx context.Context, cr credentials, d connectors.Document) (*connectors.DocumentStream, error) {
	key, pos, _ := strings.Cut(d.ID, "/")
	want, err := strconv.Atoi(pos)
	if err != nil || want < 0 || checkKey(key) != nil {
		return nil, fmt.Errorf("netvisor: open sales invoice attachment %q: %w", d.ID, connectors.ErrNotFound)
	}
	a, err := c.call(ctx, cr, "getsalesinvoice.nv", []param{{"netvisorkey", key}, {"pdfimage", "nopdf"}, {"includeattachments", "1"}}, true)
	if err != nil {
		return nil, fmt.Errorf("netvisor: open sales invoice attachment %q: %w", d.ID, err)
	}
	err = salesAttachments(a, want, func(*xml.StartElement) error { return nil })
	if err == errFound {
		return &connectors.DocumentStream{Body: newFileBody(a), ContentType: d.ContentType, FileName: d.FileName, Size: -1}, nil
	}
	a.Close()
	if err == nil {
		err = connectors.ErrNotFound
	} else {
		err = decodeError(ctx, a, err)
	}
	return nil, fmt.Errorf("netvisor: open sales invoice attachment %q: %w", d.ID, err)
}
