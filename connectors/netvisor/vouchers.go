package netvisor

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"bilag/connectors"
)

// helsinki is Netvisor's zone, loaded on first use: LoadLocation reads
// the zone database, which no command should pay for at start.
var helsinki = sync.OnceValue(func() *time.Location {
	if l, err := time.LoadLocation("Europe/Helsinki"); err == nil {
		return l
	}
	return time.FixedZone("EET", 2*3600)
})

// voucherXML is the part of accountingledger.nv's Voucher Bilag reads.
type voucherXML struct {
	Status      string `xml:"Status,attr"`
	NetvisorKey string `xml:"NetvisorKey"`
	Date        nvDate `xml:"VoucherDate"`
	Number      string `xml:"VoucherNumber"`
	Description string `xml:"VoucherDescription"`
	Class       string `xml:"VoucherClass"`
	Linked      struct {
		Type string `xml:"type,attr"`
		Key  string `xml:",chardata"`
	} `xml:"LinkedSourceNetvisorKey"`
	Lines []struct {
		Sum         string `xml:"LineSum"`
		Description string `xml:"Description"`
		Account     string `xml:"AccountNumber"`
		// Dimensions: dimensions.go.
		Dimensions []dimensionXML `xml:"Dimension"`
	} `xml:"VoucherLine"`
	// Attachments is the metadata of includeattachmentsmetadata=1.
	// Inferred: its shape is not documented (the reference leaves it an
	// open point); Bilag reads getvoucherattachments.nv's own fields
	// without Content, in the same order, and the sandbox answers so.
	Attachments []attachmentMeta `xml:"VoucherAttachments>VoucherAttachment"`
}

type attachmentMeta struct {
	Filename string `xml:"Filename" json:"n"`
	MimeType string `xml:"MimeType" json:"m"`
	Size     int64  `xml:"SizeInBytes" json:"s"`
	// Description is a sales invoice attachment's (attachmentdescription).
	Description string `xml:"-" json:"d,omitempty"`
}

// voucherData is what Documents needs of a voucher: Voucher.Data.
type voucherData struct {
	Key         string           `json:"k"`
	LinkType    string           `json:"lt,omitempty"`
	LinkKey     string           `json:"lk,omitempty"`
	Number      string           `json:"no,omitempty"`
	Attachments []attachmentMeta `json:"a,omitempty"`
}

// The ledger's link types.
const (
	linkPurchase = "purchaseinvoice"
	linkSales    = "salesinvoice"
)

// kindOf says what a voucher is in Bilag's words: by the invoice it was
// booked from, else by its class's name (English, as Bilag asks for, but
// Finnish and Swedish are read too, since classes can be renamed).
func kindOf(linkType, class string) connectors.VoucherKind {
	switch linkType {
	case linkPurchase:
		return connectors.KindSupplierInvoice
	case linkSales:
		return connectors.KindCustomerInvoice
	}
	c := strings.ToLower(class)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(c, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("purchase", "osto", "inköp"):
		return connectors.KindSupplierInvoice
	case has("sales", "myynti", "försälj"):
		return connectors.KindCustomerInvoice
	case has("receipt", "kuitti", "kvitto"):
		return connectors.KindReceipt
	case has("bank", "tiliote", "kontoutdrag", "statement"):
		return connectors.KindBank
	case has("memo", "muistio", "memorial", "manual"):
		return connectors.KindManual
	}
	return connectors.KindOther
}

func (v voucherXML) voucher() (connectors.Voucher, error) {
	key := strings.TrimSpace(v.NetvisorKey)
	d := voucherData{Key: key, Number: strings.TrimSpace(v.Number), Attachments: v.Attachments}
	if t := strings.ToLower(strings.TrimSpace(v.Linked.Type)); (t == linkPurchase || t == linkSales) && strings.TrimSpace(v.Linked.Key) != "" {
		d.LinkType, d.LinkKey = t, strings.TrimSpace(v.Linked.Key)
	}
	data, _ := json.Marshal(d) // strings and ints always marshal
	class := strings.TrimSpace(v.Class)
	out := connectors.Voucher{
		Ref:          key,
		Number:       d.Number,
		Series:       class,
		Date:         v.Date.Time,
		Text:         strings.TrimSpace(v.Description),
		Kind:         kindOf(d.LinkType, class),
		UpstreamType: class,
		HasDocuments: len(d.Attachments) > 0 || d.LinkType != "",
		// A linked invoice's own images show only when it is fetched: a
		// guess; the voucher's own attachments are listed, so known.
		DocumentsUnknown: len(d.Attachments) == 0 && d.LinkType != "",
		Data:             data,
	}
	if strings.EqualFold(v.Status, "invalidated") {
		// An invalidated voucher stays in the books, marked; its
		// documents can still be opened.
		out.UpstreamType += " (invalidated)"
	}
	for _, l := range v.Lines {
		sum, err := parseAmount(l.Sum)
		if err != nil {
			return connectors.Voucher{}, fmt.Errorf("voucher %s: line sum: %w", key, connectors.ErrBadAnswer)
		}
		row := connectors.VoucherRow{Account: strings.TrimSpace(l.Account), Text: strings.TrimSpace(l.Description), Dimensions: dimensionsOf(l.Dimensions)}
		if sum >= 0 {
			row.Debit = sum
			out.Amount += sum
		} else {
			row.Credit = -sum
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// ledger reads accountingledger.nv with params, attachment metadata
// included, skipping deleted vouchers.
func (c *Connector) ledger(ctx context.Context, cr credentials, params []param) ([]connectors.Voucher, error) {
	params = append(params, param{"includeattachmentsmetadata", "1"})
	a, err := c.call(ctx, cr, "accountingledger.nv", params, false)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	var out []connectors.Voucher
	for {
		tok, err := a.token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, decodeError(ctx, a, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Voucher" {
			continue
		}
		var vx voucherXML
		if err := a.element(&vx, &se, a.lim.voucher); err != nil {
			return nil, decodeError(ctx, a, err)
		}
		if strings.EqualFold(vx.Status, "deleted") {
			continue
		}
		v, err := vx.voucher()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

// decodeError classifies a failed read of answer a: a body that did not
// arrive whole (reading it failed) is Netvisor being unavailable; one that
// arrived whole and cannot be read, an answer Bilag cannot use.
func decodeError(ctx context.Context, a *answer, err error) error {
	if ctx.Err() != nil {
		return transportError(ctx, ctx, "answer", err)
	}
	if a.body.fault != nil {
		return fmt.Errorf("read answer: %w: %w", connectors.ErrUnavailable, a.body.fault)
	}
	if errors.Is(err, connectors.ErrBadAnswer) {
		return err
	}
	if _, ok := errors.AsType[*xml.SyntaxError](err); ok {
		// Its text may quote the answer; keep only the fact.
		return fmt.Errorf("decode answer: %w", connectors.ErrBadAnswer)
	}
	return fmt.Errorf("decode answer: %w: %w", connectors.ErrBadAnswer, err)
}

// Vouchers reads the ledger. A first sync reads it a calendar year at a
// time, oldest first (the cursor is the year), from HistoryYears back; a
// later one asks for what changed since (changedsince, a day: widened by
// a day so that no time zone loses a change). Netvisor's ledger has no
// pages, so a year is a page; an empty year is skipped, since an empty page
// ends a sync.
func (c *Connector) Vouchers(ctx context.Context, g connectors.Grant, q connectors.VoucherQuery) (connectors.VoucherPage, error) {
	cr, err := readGrant(g)
	if err != nil {
		return connectors.VoucherPage{}, fmt.Errorf("netvisor: get vouchers: %w", err)
	}
	if !q.ModifiedSince.IsZero() {
		since := q.ModifiedSince.UTC().AddDate(0, 0, -1).Format("2006-01-02")
		vs, err := c.ledger(ctx, cr, []param{{"changedsince", since}})
		if err != nil {
			return connectors.VoucherPage{}, fmt.Errorf("netvisor: get vouchers changed since %s: %w", since, err)
		}
		return connectors.VoucherPage{Vouchers: vs, Total: -1}, nil
	}
	last := c.cfg.Now().In(helsinki()).Year()
	year := last - c.cfg.HistoryYears + 1
	if q.Cursor != "" {
		if year, err = strconv.Atoi(q.Cursor); err != nil || year < 1900 || year > last+1 {
			return connectors.VoucherPage{}, fmt.Errorf("netvisor: get vouchers: cursor %q is not a year", q.Cursor)
		}
	}
	for ; year <= last; year++ {
		vs, err := c.ledger(ctx, cr, []param{{"startdate", fmt.Sprintf("%d-01-01", year)}, {"enddate", fmt.Sprintf("%d-12-31", year)}})
		if err != nil {
			return connectors.VoucherPage{}, fmt.Errorf("netvisor: get vouchers of %d: %w", year, err)
		}
		if len(vs) == 0 {
			continue
		}
		page := connectors.VoucherPage{Vouchers: vs, Total: -1}
		if year < last {
			page.Next = strconv.Itoa(year + 1)
		}
		return page, nil
	}
	return connectors.VoucherPage{Total: -1}, nil
}

// Voucher re-reads one voucher by its NetvisorKey.
func (c *Connector) Voucher(ctx context.Context, g connectors.Grant, ref string) (connectors.Voucher, error) {
	cr, err := readGrant(g)
	if err != nil {
		return connectors.Voucher{}, fmt.Errorf("netvisor: get voucher %q: %w", ref, err)
	}
	if _, err := strconv.ParseUint(ref, 10, 63); err != nil {
		return connectors.Voucher{}, fmt.Errorf("netvisor: get voucher %q: %w", ref, connectors.ErrNotFound)
	}
	vs, err := c.ledger(ctx, cr, []param{{"netvisorkey", ref}})
	if err != nil {
		return connectors.Voucher{}, fmt.Errorf("netvisor: get voucher %q: %w", ref, err)
	}
	for _, v := range vs {
		if v.Ref == ref {
			return v, nil
		}
	}
	return connectors.Voucher{}, fmt.Errorf("netvisor: get voucher %q: %w", ref, connectors.ErrNotFound)
}
