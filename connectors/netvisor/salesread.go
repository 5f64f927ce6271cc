package netvisor

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"bilag/connectors"
)

// KindSalesAttachment is one of a sales invoice's own attachments
// (getsalesinvoice.nv with includeattachments=1: timesheets, delivery
// notes); its ID is "<invoice NetvisorKey>/<position>" in that answer.
const KindSalesAttachment = "sales_attachment"

// KindSalesOrder is an order related to a sales invoice (getsalesinvoice.nv
// with includedocuments=1); its ID is the order's NetvisorKey and it is
// read with getorder.nv as a record (connectors.ContentTypeRecord).
const KindSalesOrder = "sales_order"

// salesInfo is what Bilag reads of a sales invoice beside its PDF when
// it lists a voucher's documents: its own attachments and related orders.
// Its status and open sum come with the sync (InvoiceStates).
type salesInfo struct {
	Number string
	// DueDate is SalesInvoiceDueDate (the seed: always given, format
	// ansi); zero when the answer has none or it is no date.
	DueDate     time.Time
	Attachments []attachmentMeta
	Related     []relatedDoc
}

// listedXML is salesinvoicelist.nv's SalesInvoice, the part Bilag reads
// for the status and open sum (the seed: OpenSum is only in the list).
type listedXML struct {
	Key    string `xml:"NetvisorKey"`
	Status struct {
		Sub  string `xml:"substatus,attr"`
		Text string `xml:",chardata"`
	} `xml:"InvoiceStatus"`
	OpenSum string `xml:"OpenSum"`
}

// SalesStatuses are the seed's sales invoice status codes (getsalesinvoice
// .nv's InvoiceStatus status attribute; the list's InvoiceStatus and its
// substatus), the only ones Bilag keeps: a page has words for each.
func SalesStatuses() []string {
	return []string{"open", "overdue", "reminded", "requested", "collected", "paid", "unsent", "creditloss", "rejected"}
}

// salesStatus is the one code of a listed invoice's InvoiceStatus: the
// substatus of an open one (overdue, reminded, …), else the status; ""
// for a code the seed does not list.
func salesStatus(text, sub string) string {
	st := strings.ToLower(strings.TrimSpace(text))
	if sub = strings.ToLower(strings.TrimSpace(sub)); st == "open" && sub != "" {
		st = sub
	}
	if !slices.Contains(SalesStatuses(), st) {
		return ""
	}
	return st
}

// listPage is the most invoices one salesinvoicelist.nv answer holds (the
// seed: "max. 500 fakturor").
const listPage = 500

// InvoiceStates reads the status and open sum of the sales invoices
// modified since (all when zero) with salesinvoicelist.nv: one call per
// 500 invoices, paged by invoicesabovenetvisorkey. since is taken a day
// early, as the ledger's filter is: the list's lastmodifiedstart is a
// date in Netvisor's zone.
func (c *Connector) InvoiceStates(ctx context.Context, g connectors.Grant, since time.Time) ([]connectors.InvoiceState, error) {
	cr, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("netvisor: read sales invoice statuses: %w", err)
	}
	var base []param
	if !since.IsZero() {
		base = append(base, param{"lastmodifiedstart", since.In(helsinki()).AddDate(0, 0, -1).Format("2006-01-02")})
	}
	var out []connectors.InvoiceState
	for above := ""; ; {
		params := base
		if above != "" {
			params = append(slices.Clip(base), param{"invoicesabovenetvisorkey", above})
		}
		got, err := readList[listedXML](ctx, c, cr, "salesinvoicelist.nv", params, "SalesInvoice")
		if err != nil {
			return nil, fmt.Errorf("netvisor: read sales invoice statuses: %w", err)
		}
		for _, l := range got {
			out = append(out, l.state())
			above = strings.TrimSpace(l.Key)
		}
		if len(got) < listPage {
			return out, nil
		}
	}
}

// state is a listed invoice's InvoiceState, for its PDF's document.
func (l listedXML) state() connectors.InvoiceState {
	st := connectors.InvoiceState{Kind: KindSalesInvoice, ID: strings.TrimSpace(l.Key), Status: salesStatus(l.Status.Text, l.Status.Sub)}
	if sum, err := parseAmount(l.OpenSum); err == nil && strings.TrimSpace(l.OpenSum) != "" {
		st.OpenSum = &sum
	}
	return st
}

// salesInvoiceInfo reads a sales invoice's attachments' names and related
// orders with one getsalesinvoice.nv (pdfimage=nopdf, includeattachments=1,
// includedocuments=1; the attachments' data is read past, not kept).
func (c *Connector) salesInvoiceInfo(ctx context.Context, cr credentials, key string) (salesInfo, error) {
	if err := checkKey(key); err != nil {
		return salesInfo{}, err
	}
	return c.salesInvoiceHead(ctx, cr, key)
}

// relatedDoc is one of getsalesinvoice.nv's documents (includedocuments=1):
// an order related to the invoice.
type relatedDoc struct{ Key, Number string }

// salesInvoiceHead is salesInvoiceInfo's call.
func (c *Connector) salesInvoiceHead(ctx context.Context, cr credentials, key string) (salesInfo, error) {
	var info salesInfo
	params := []param{{"netvisorkey", key}, {"pdfimage", "nopdf"}, {"includeattachments", "1"}, {"includedocuments", "1"}}
	a, err := c.call(ctx, cr, "getsalesinvoice.nv", params, true)
	if err != nil {
		return info, fmt.Errorf("sales invoice %s: %w", key, err)
	}
	defer a.Close()
	inDocs := false
	err = salesAttachments(a, -1, func(se *xml.StartElement) error {
		name := strings.ToLower(se.Name.Local)
		switch {
		case name == "documents":
			inDocs = true
		case inDocs:
			return readRelated(a, se, name, &info.Related)
		case name == "salesinvoicenumber":
			return a.element(&info.Number, se, a.lim.field)
		case name == "salesinvoiceduedate":
			return readDueDate(a, se, &info.DueDate)
		case name == "salesinvoiceattachment":
			info.Attachments = append(info.Attachments, attachmentMeta{})
		case name == "mimetype", name == "attachmentdescription", name == "filename":
			if n := len(info.Attachments); n > 0 {
				m := &info.Attachments[n-1]
				dst := map[string]*string{"mimetype": &m.MimeType, "attachmentdescription": &m.Description, "filename": &m.Filename}[name]
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

// readDueDate reads SalesInvoiceDueDate; a date Bilag cannot read is
// left unknown (the overdue filter then goes by the status alone), not a
// failure of the whole listing.
func readDueDate(a *answer, se *xml.StartElement, dst *time.Time) error {
	var text string
	if err := a.element(&text, se, a.lim.field); err != nil {
		return err
	}
	if t, err := parseDate(text); err == nil {
		*dst = t
	}
	return nil
}

// readRelated reads one element of the answer's documents: the seed's
// salesorder (salesinvoice in an order's answer) starts a related
// document, its netvisorkey and ordernumber (invoicenumber) fill it.
// Inferred: the seed puts ordernumber at level 4, beside salesorder, and
// netvisorkey at 5, inside it; either nesting fills the last one started.
func readRelated(a *answer, se *xml.StartElement, name string, out *[]relatedDoc) error {
	switch name {
	case "salesorder", "salesinvoice":
		*out = append(*out, relatedDoc{})
		return nil
	case "netvisorkey", "ordernumber", "invoicenumber":
		if len(*out) == 0 {
			*out = append(*out, relatedDoc{})
		}
		r := &(*out)[len(*out)-1]
		dst := &r.Number
		if name == "netvisorkey" {
			dst = &r.Key
		}
		return a.element(dst, se, a.lim.field)
	}
	return nil
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

// salesDocuments lists a sales invoice's PDF, its own attachments and the
// orders related to it (KindSalesOrder: a page, not a file). Its status
// and open sum are not read here: the sync keeps them (InvoiceStates).
// Should the invoice not be readable, the PDF is listed all the same:
// opening it then says what is wrong.
func (c *Connector) salesDocuments(ctx context.Context, cr credentials, key string) []connectors.Document {
	docs := []connectors.Document{{ID: key, Kind: KindSalesInvoice, FileName: "sales-invoice-" + key + ".pdf", ContentType: "application/pdf"}}
	info, err := c.salesInvoiceInfo(ctx, cr, key)
	if err != nil {
		c.log.Warn("read sales invoice beside its PDF", "key", key, "err", err)
	}
	// The due date is the invoice's own (getsalesinvoice.nv): the list the
	// sync reads has none (the seed), so the overdue filter has it from here.
	docs[0].DueDate = info.DueDate
	for i, m := range info.Attachments {
		name := m.Filename
		if name == "" {
			name = fmt.Sprintf("sales-invoice-%s-attachment-%d", key, i+1)
		}
		docs = append(docs, connectors.Document{ID: key + "/" + strconv.Itoa(i), Kind: KindSalesAttachment, FileName: name, ContentType: m.MimeType})
	}
	for _, r := range info.Related {
		if checkKey(strings.TrimSpace(r.Key)) != nil {
			continue
		}
		docs = append(docs, connectors.Document{ID: strings.TrimSpace(r.Key), Kind: KindSalesOrder, FileName: strings.TrimSpace(r.Number), ContentType: connectors.ContentTypeRecord})
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
