package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// File is a document to attach. Either Data holds the bytes, or Generate
// writes exactly Size bytes when the file is downloaded, so a huge file is
// never held in memory.
type File struct {
	Name, ContentType string
	Data              []byte
	Size              int64
	Generate          func(w io.Writer) error
}

func (f *File) size() int64 {
	if f.Generate != nil {
		return f.Size
	}
	return int64(len(f.Data))
}

type attachmentJSON struct {
	ID                              string   `json:"Id"`
	ContentType                     *string  `json:"ContentType"`
	DocumentID                      *string  `json:"DocumentId"`
	AttachedDocumentType            int      `json:"AttachedDocumentType"`
	MessageThreads                  []string `json:"MessageThreads"`
	Notes                           []string `json:"Notes"`
	PhotoSource                     int      `json:"PhotoSource"`
	FileName                        *string  `json:"FileName"`
	TemporaryURL                    *string  `json:"TemporaryUrl"`
	Comment                         *string  `json:"Comment"`
	SupplierName                    *string  `json:"SupplierName"`
	CurrencyCode                    *string  `json:"CurrencyCode"`
	AmountInvoiceCurrency           float64  `json:"AmountInvoiceCurrency"`
	Type                            int      `json:"Type"`
	AttachmentStatus                int      `json:"AttachmentStatus"`
	UploadedBy                      *string  `json:"UploadedBy"`
	ImageDate                       string   `json:"ImageDate"`
	TransactionDate                 *string  `json:"TransactionDate"`
	Ocr                             *string  `json:"Ocr"`
	InvoiceNumber                   *string  `json:"InvoiceNumber"`
	Vat                             *float64 `json:"Vat"`
	DueDate                         *string  `json:"DueDate"`
	SupplierCorporateIdentityNumber *string  `json:"SupplierCorporateIdentityNumber"`
	PaymentDate                     *string  `json:"PaymentDate"`
}

// fileMeta names and types a generated or uploaded attachment.
func (co *company) fileMeta(a *attachment) (name, contentType string) {
	if a.file != nil {
		return a.file.Name, a.file.ContentType
	}
	var v *voucher
	if a.voucher >= 0 {
		v = &co.vouchers[a.voucher]
	}
	ref := a.id.String()[:8]
	if v != nil {
		ref = v.invoiceNumber()
		if (v.typ == vtPurchaseReceipt || v.typ == vtManual) && !v.sale {
			ref = v.day().Format("20060102") + "_" + strconv.Itoa(int(v.number))
		}
	}
	switch a.kind {
	case kindPDF:
		return "Faktura_" + ref + ".pdf", "application/pdf"
	case kindJPEG:
		return "Kvitto_" + ref + ".jpg", "image/jpeg"
	case kindPNG:
		return "Kvitto_" + ref + ".png", "image/png"
	default:
		return "Skanning_" + ref + ".tif", "image/tiff"
	}
}

// renderAttachment must be called with s.mu held.
func (s *Sandbox) renderAttachment(c *call, a *attachment, withURL bool) attachmentJSON {
	co := c.company
	name, ct := co.fileMeta(a)
	out := attachmentJSON{
		ID: a.id.String(), ContentType: strp(ct), AttachedDocumentType: a.docType, MessageThreads: []string{}, Notes: []string{},
		PhotoSource: 4, FileName: strp(name), Type: 2, AttachmentStatus: 1, ImageDate: unixISO(a.uploaded),
	}
	if a.comment != "" {
		out.Comment = strp(a.comment)
	}
	if withURL {
		out.TemporaryURL = strp(s.signedURL(c.base, co, a.id, name))
	}
	if a.docType != docTypeNone {
		out.AttachmentStatus = 0
		out.DocumentID = strp(a.docID.String())
	}
	if a.voucher >= 0 && a.file == nil {
		v := &co.vouchers[a.voucher]
		out.SupplierName = strp(co.partyName(v))
		out.AmountInvoiceCurrency = cents(v.gross)
		out.CurrencyCode = strp(map[string]string{"SE": "SEK", "NO": "NOK"}[co.Country])
		out.TransactionDate = strp(isoTime(v.day()))
		vat := cents(v.vat())
		out.Vat = &vat
		switch {
		case v.sale:
			// The company's own invoice to a customer: a document, not a
			// supplier's invoice or a receipt.
			out.Type = 2
			out.SupplierName = nil
			out.InvoiceNumber = strp(v.invoiceNumber())
		case v.typ == vtSupplierInvoice || v.typ == vtSupplierCredit:
			out.Type = 0
			out.InvoiceNumber = strp(v.invoiceNumber())
			out.DueDate = strp(isoTime(v.day().AddDate(0, 0, 30)))
		default:
			out.Type = 1
		}
	}
	return out
}

func attachmentFields() map[string]fieldKind {
	return map[string]fieldKind{"Id": kGUID, "DocumentId": kGUID, "AttachedDocumentType": kNumber, "AttachmentStatus": kNumber,
		"ContentType": kString, "FileName": kString, "ImageDate": kTime, "Type": kNumber}
}

func (s *Sandbox) getAttachments(c *call) {
	q := c.r.URL.Query()
	includeMatched, ok1 := boolParam(q.Get("includeMatched"))
	includeURL, ok2 := boolParam(q.Get("includeTemporaryUrl"))
	if !ok1 || !ok2 {
		c.fail(http.StatusBadRequest, 6000, "QueryParameterError - includeMatched and includeTemporaryUrl must be true or false.")
		return
	}
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	sel := make([]*attachment, 0, len(co.atts))
	for _, a := range co.atts {
		if includeMatched || a.docType == docTypeNone {
			sel = append(sel, a)
		}
	}
	list(c, len(sel), attachmentFields(), func(i int, f string) value {
		a := sel[i]
		name, ct := co.fileMeta(a)
		switch f {
		case "Id":
			return value{kind: kGUID, g: a.id}
		case "DocumentId":
			if a.docType == docTypeNone {
				return value{kind: kNull}
			}
			return value{kind: kGUID, g: a.docID}
		case "AttachedDocumentType":
			return value{kind: kNumber, n: float64(a.docType)}
		case "AttachmentStatus":
			if a.docType == docTypeNone {
				return value{kind: kNumber, n: 1}
			}
			return value{kind: kNumber, n: 0}
		case "ContentType":
			return value{kind: kString, s: ct}
		case "FileName":
			return value{kind: kString, s: name}
		case "ImageDate":
			return value{kind: kTime, t: time.Unix(a.uploaded, 0).UTC()}
		default:
			return value{kind: kNumber, n: float64(s.renderAttachment(c, a, false).Type)}
		}
	}, func(i int) attachmentJSON { return s.renderAttachment(c, sel[i], includeURL) })
}

func boolParam(v string) (bool, bool) {
	if v == "" {
		return true, true
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

func (s *Sandbox) getAttachment(c *call) {
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := parseUID(c.r.PathValue("attachmentId"))
	i, found := co.attByID[id]
	if !ok || !found {
		c.fail(http.StatusNotFound, 3000, "ResourceNotFound - Attachment not found.")
		return
	}
	c.json(http.StatusOK, s.renderAttachment(c, co.atts[i], true))
}

// allowedContentTypes are the types AttachmentUploadApi accepts.
func allowedContentTypes() []string {
	return []string{"image/jpeg", "image/png", "image/tiff", "application/pdf"}
}

func validFileName(n string) bool {
	if n == "" || len(n) > 200 {
		return false
	}
	for _, r := range n {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_(). åäöÅÄÖæøÆØéÉüÜ", r):
		default:
			return false
		}
	}
	return true
}

func (s *Sandbox) postAttachment(c *call) {
	var in struct {
		ID          string  `json:"Id"`
		ContentType string  `json:"ContentType"`
		FileName    string  `json:"FileName"`
		Data        *string `json:"Data"`
		URL         *string `json:"Url"`
		Comment     *string `json:"Comment"`
	}
	if !decodeBody(c, &in, 64<<20) {
		return
	}
	var errs []commonError
	if !slices.Contains(allowedContentTypes(), in.ContentType) {
		errs = append(errs, fieldError("ContentType", "Allowed values: 'image/jpeg', 'image/png', 'image/tiff', 'application/pdf'"))
	}
	if !validFileName(in.FileName) {
		errs = append(errs, fieldError("FileName", "Allowed characters are alphabetic letters, numbers and characters - _ ()"))
	}
	var data []byte
	switch {
	case in.Data != nil && *in.Data != "":
		b, err := base64.StdEncoding.DecodeString(*in.Data)
		if err != nil {
			errs = append(errs, fieldError("Data", "Data must be a base64 encoded byte array"))
		}
		data = b
	case in.URL != nil && *in.URL != "":
		// The sandbox has no network, so it cannot fetch a URL.
		errs = append(errs, fieldError("Url", "Uploads by Url are not supported by the sandbox; send Data"))
	default:
		errs = append(errs, fieldError("Data", "Data or Url is required"))
	}
	if len(errs) > 0 {
		c.fail(http.StatusBadRequest, 2000, "DataModelValidationError - The request is not valid.", errs...)
		return
	}
	a := &attachment{id: randomUUID(), kind: kindUpload, voucher: -1, uploaded: c.s.now().Unix(),
		file: &File{Name: in.FileName, ContentType: in.ContentType, Data: data}}
	if in.Comment != nil {
		a.comment = *in.Comment
	}
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	co.attByID[a.id] = int32(len(co.atts))
	co.atts = append(co.atts, a)
	out := s.renderAttachment(c, a, true)
	out.UploadedBy = strp(c.grant.user.Name)
	c.json(http.StatusCreated, out)
}

func (s *Sandbox) postAttachmentLink(c *call) {
	var in struct {
		DocumentID    string   `json:"DocumentId"`
		DocumentType  *int     `json:"DocumentType"`
		AttachmentIDs []string `json:"AttachmentIds"`
	}
	if !decodeBody(c, &in, 1<<20) {
		return
	}
	if in.DocumentType == nil || len(in.AttachmentIDs) == 0 {
		c.fail(http.StatusBadRequest, 2000, "DataModelValidationError - DocumentType and AttachmentIds are required.")
		return
	}
	docID, ok := parseUID(in.DocumentID)
	if !ok {
		c.fail(http.StatusBadRequest, 2000, "DataModelValidationError - DocumentId must be a GUID.", fieldError("DocumentId", "Invalid GUID"))
		return
	}
	co := c.company
	s.mu.Lock()
	defer s.mu.Unlock()
	var vi int32
	var found bool
	switch *in.DocumentType {
	case docTypeVoucher, docTypeReceipt:
		vi, found = co.voucherByID[docID]
	case docTypeSupplierInv:
		vi, found = co.sourceByID[docID]
		found = found && (co.vouchers[vi].typ == vtSupplierInvoice || co.vouchers[vi].typ == vtSupplierCredit)
	default:
		c.fail(http.StatusBadRequest, 2000, "DataModelValidationError - Unsupported DocumentType.", fieldError("DocumentType", "Supported: 1 SupplierInvoice, 2 Receipt, 3 Voucher"))
		return
	}
	if !found {
		c.fail(http.StatusNotFound, 3000, "ResourceNotFound - The document does not exist.")
		return
	}
	var atts []int32
	for _, sid := range in.AttachmentIDs {
		id, ok := parseUID(sid)
		ai, exists := co.attByID[id]
		if !ok || !exists {
			c.fail(http.StatusNotFound, 3000, "ResourceNotFound - Attachment "+sid+" does not exist.")
			return
		}
		if co.atts[ai].docType != docTypeNone {
			c.fail(http.StatusBadRequest, 4000, "Conflict - Attachment "+sid+" is already linked to a document.")
			return
		}
		atts = append(atts, ai)
	}
	v := &co.vouchers[vi]
	for _, ai := range atts {
		a := co.atts[ai]
		a.voucher, a.docType, a.docID = vi, *in.DocumentType, docID
		if *in.DocumentType == docTypeSupplierInv {
			v.srcFiles = append(v.srcFiles, ai)
		} else {
			v.files = append(v.files, ai)
		}
	}
	v.modified = c.s.now().Unix()
	c.json(http.StatusOK, attachmentLinkJSON{DocumentID: docID.String(), DocumentType: *in.DocumentType, AttachmentIDs: in.AttachmentIDs})
}

// AddAttachment attaches f to an existing voucher of the company with that
// org number, as if uploaded and linked in eAccounting, and returns the new
// attachment's id. The file is served as given (any content type), which is
// what tests of hostile or huge files need.
func (s *Sandbox) AddAttachment(orgNumber, voucherID string, f File) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	co := s.companyByOrg(orgNumber)
	if co == nil {
		return "", fmt.Errorf("sandbox: no company with org number %q", orgNumber)
	}
	s.ensure(co)
	id, ok := parseUID(voucherID)
	vi, found := co.voucherByID[id]
	if !ok || !found {
		return "", fmt.Errorf("sandbox: company %s has no voucher %q", orgNumber, voucherID)
	}
	if f.Generate != nil && f.Size <= 0 {
		return "", errors.New("sandbox: a generated file needs its Size")
	}
	v := &co.vouchers[vi]
	a := &attachment{id: randomUUID(), kind: kindUpload, voucher: vi, docType: docTypeVoucher, docID: v.id, uploaded: s.now().Unix(), file: &f}
	co.attByID[a.id] = int32(len(co.atts))
	v.files = append(v.files, int32(len(co.atts)))
	co.atts = append(co.atts, a)
	v.modified = s.now().Unix()
	return a.id.String(), nil
}

// signedURL makes a TemporaryUrl: a link that needs no bearer token, only
// its own expiring signature, as a pre-signed storage link does.
func (s *Sandbox) signedURL(base string, co *company, id uid, name string) string {
	exp := s.now().Add(s.cfg.fileURLLifetime).Unix()
	path := "/files/" + co.id.String() + "/" + id.String() + "/" + url.PathEscape(name)
	v := url.Values{}
	v.Set("se", strconv.FormatInt(exp, 10))
	v.Set("sig", s.sign(co.id, id, exp))
	return base + path + "?" + v.Encode()
}

func (s *Sandbox) sign(company, id uid, exp int64) string {
	m := hmac.New(sha256.New, s.signKey)
	fmt.Fprintf(m, "%s|%s|%d", company, id, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// download serves the file behind a TemporaryUrl. A bad or expired
// signature gets 403 with a storage-style XML error.
func (s *Sandbox) download(w http.ResponseWriter, r *http.Request) {
	sleep(r.Context(), s.cfg.latency)
	deny := func(msg string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>%s</Message></Error>`, msg)
	}
	cid, ok1 := parseUID(r.PathValue("company"))
	id, ok2 := parseUID(r.PathValue("id"))
	exp, err := strconv.ParseInt(r.URL.Query().Get("se"), 10, 64)
	if !ok1 || !ok2 || err != nil || !hmac.Equal([]byte(s.sign(cid, id, exp)), []byte(r.URL.Query().Get("sig"))) {
		deny("Signature did not match.")
		return
	}
	if s.now().Unix() >= exp {
		deny("Signed expiry time has passed.")
		return
	}
	s.mu.Lock()
	var co *company
	for _, c := range s.companies {
		if c.id == cid {
			co = c
		}
	}
	if co == nil {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	s.ensure(co)
	var (
		name, ct string
		size     int64
		write    func(io.Writer) error
	)
	if ai, ok := co.attByID[id]; ok {
		a := co.atts[ai]
		name, ct = co.fileMeta(a)
		if a.file != nil {
			f := a.file
			size = f.size()
			if f.Generate != nil {
				write = f.Generate
			} else {
				write = func(w io.Writer) error { _, err := w.Write(f.Data); return err }
			}
		} else {
			data := s.generate(co, a)
			size = int64(len(data))
			write = func(w io.Writer) error { _, err := w.Write(data); return err }
		}
	} else if vi, ok := co.sourceByID[id]; ok {
		v := &co.vouchers[vi]
		data := s.customerInvoicePDF(co, v)
		name, ct, size = "Faktura_"+v.invoiceNumber()+".pdf", "application/pdf", int64(len(data))
		write = func(w io.Writer) error { _, err := w.Write(data); return err }
	} else {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	s.stats.FileDownloads++
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(name))
	if err := write(w); err != nil {
		s.cfg.logger.Warn("sandbox: writing file", "err", err)
	}
}

// generate draws the bytes of a generated attachment. Caller holds s.mu.
func (s *Sandbox) generate(co *company, a *attachment) []byte {
	var buf bytes.Buffer
	var v *voucher
	if a.voucher >= 0 {
		v = &co.vouchers[a.voucher]
	}
	switch a.kind {
	case kindPDF:
		if v != nil && v.sale {
			buf.Write(s.customerInvoicePDF(co, v))
		} else {
			buf.Write(s.invoicePDF(co, v))
		}
	case kindJPEG:
		writeReceiptImage(&buf, co, v, a, false)
	case kindPNG:
		writeReceiptImage(&buf, co, v, a, true)
	default:
		writeTIFF(&buf, co, v)
	}
	return buf.Bytes()
}
