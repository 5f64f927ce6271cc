package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
	"bilag/server/untrusted"
)

// shaHeader carries the SHA-256 of the document's bytes as Visma gave
// them: evidence of exactly which document was shown. On a first open the
// hash is only known at the end, so it comes as a trailer.
const shaHeader = "X-Bilag-Sha256"

// showDocument streams one document of a voucher of the current company,
// in one trip: the document the route names, opened through the company's
// connection, then answered as its first bytes decide (serveDocument:
// untrusted.Decide, the bytes or a TIFF scan's PNG, close, audit). The
// document must have been found behind that voucher, so an id of another
// company's document is 404 without any call upstream.
func (s *Server) showDocument(c echo.Context) error {
	v, doc, err := s.paramDocument(c)
	if err != nil {
		return err
	}
	if doc.ContentType == connectors.ContentTypeRecord {
		return s.showRecord(c, v, doc, false)
	}
	co := currentCompany(c)
	d, err := s.conns.OpenDocument(c.Request().Context(), co.ID, doc)
	if err != nil {
		return err
	}
	mode := serveDecided
	if c.QueryParam("download") == "1" {
		mode = serveDownload
	}
	return s.serveDocument(c, co, v, doc, d, mode)
}

// paramDocument is the current company's voucher and document that the
// route names; anything else is ErrNotFound.
func (s *Server) paramDocument(c echo.Context) (*db.Voucher, *db.VoucherDocument, error) {
	vid, err := paramID(c, "voucherID")
	if err != nil {
		return nil, nil, err
	}
	did, err := paramID(c, "docID")
	if err != nil {
		return nil, nil, err
	}
	// One round trip for both: this is every document open's path.
	return s.db.VoucherAndDocument(c.Request().Context(), currentCompany(c).ID, vid, did)
}

// serveDocument sends an opened document as mode says, closes it and
// audits the open.
func (s *Server) serveDocument(c echo.Context, co *db.Company, v *db.Voucher, doc *db.VoucherDocument, d *connections.Document, mode serveMode) error {
	h := c.Response().Header()
	size := d.Size
	if d.Cached {
		h.Set("X-Bilag-Cache", "hit")
		h.Set(shaHeader, d.SHA256)
	} else {
		h.Set("X-Bilag-Cache", "miss")
		// No Content-Length on a first open: the SHA-256 trailer needs a
		// chunked response.
		h.Set("Trailer", shaHeader)
		size = -1
	}
	src := &sourceReader{r: d}
	n, werr := s.writeDocument(c, src, docOut{co: co, v: v, doc: doc, d: d, size: size, mode: mode})
	if src.err != nil {
		// The source ended mid-stream: whatever went out is incomplete.
		werr = fmt.Errorf("%w: %w", errCutOff, src.err)
	}
	sha, wait := s.finishDocument(co, doc, d, werr == nil)
	defer wait()
	switch {
	case d.Cached && werr == nil && doc.SHA256 != sha:
		// The first whole read of a copy someone else cached (a prefetch,
		// another instance): its hash becomes known here.
		s.recordOpen(c, co, v, doc, sha, sha, n, nil)
	case d.Cached:
		s.recordOpen(c, co, v, doc, "", sha, n, werr)
	case werr != nil:
		s.recordOpen(c, co, v, doc, "", "", n, werr)
	default:
		h.Set(shaHeader, sha)
		s.recordOpen(c, co, v, doc, sha, sha, n, nil)
	}
	if src.err != nil {
		s.log.Warn("document cut off mid-stream", "company_id", co.ID, "document_id", doc.ID, "bytes", n, "cached", d.Cached, "err", src.err)
	}
	if src.err != nil && c.Response().Committed {
		// Ending the handler would end the chunked answer as if complete;
		// aborting drops the connection, so the browser, and whoever
		// downloads through the API, sees the document cut off. What is
		// written goes out first, so that the answer's headers arrive and
		// the break shows as a broken body, not as no answer.
		c.Response().Flush()
		panic(http.ErrAbortHandler)
	}
	return ignoreWritten(c, werr)
}

// finishDocument ends d: its hash at once, and the cache's copy committed
// meanwhile, while the open is recorded; wait waits for that, so that both
// are done before the answer ends.
func (s *Server) finishDocument(co *db.Company, doc *db.VoucherDocument, d *connections.Document, complete bool) (sha string, wait func()) {
	sha, finish := d.Finish(complete)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		if err := finish(); err != nil {
			s.log.Warn("document cache copy", "company_id", co.ID, "document_id", doc.ID, "err", err)
		}
	}()
	return sha, func() { <-closed }
}

// serveMode is how a document is answered.
type serveMode int

const (
	// serveDecided: inline when its declared type and first bytes agree
	// on a type browsers show safely, else as an attachment.
	serveDecided serveMode = iota
	// serveDownload: always an attachment (?download=1, the API).
	serveDownload
	// serveInFrame: for the voucher page's frame, inline as serveDecided
	// would, else the download page rather than an attachment, which the
	// browser would save as the voucher page opens.
	serveInFrame
)

// docOut is what writeDocument needs besides the bytes.
type docOut struct {
	co  *db.Company
	v   *db.Voucher
	doc *db.VoucherDocument
	// d is the opened document: its declared type and name, and the
	// cache of its converted copy.
	d *connections.Document
	// size is -1 when unknown.
	size int64
	mode serveMode
}

// errCutOff marks an open whose source (the upstream, or the cache) ended
// before the document did.
var errCutOff = errors.New("cut off mid-stream")

// sourceReader remembers a read error of the document's source, so that
// one cut off mid-stream is told from a reader who went away.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// writeDocument decides from the declared type and the first bytes how the
// document may be served, sets the headers and copies it; a TIFF scan is
// answered by writeConverted.
func (s *Server) writeDocument(c echo.Context, r io.Reader, o docOut) (int64, error) {
	br := docReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		docReaders.Put(br)
	}()
	head, _ := br.Peek(512)
	d := untrusted.Decide(o.d.ContentType, head)
	if o.mode == serveDownload {
		d = untrusted.Disposition{ContentType: untrusted.OctetStream}
	}
	if d.Convert {
		return s.writeConverted(c, br, o)
	}
	documentHeaders(c.Response().Header(), d, o.d.FileName)
	if o.size > 0 {
		c.Response().Header().Set("Content-Length", strconv.FormatInt(o.size, 10))
	}
	c.Response().WriteHeader(http.StatusOK)
	return io.Copy(c.Response(), br)
}

// docReaders are writeDocument's read buffers, 64 KiB each: one per open
// would be most of what an open allocates (issue 30).
var docReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// documentHeaders sets the headers of a document served as d.
func documentHeaders(h http.Header, d untrusted.Disposition, name string) {
	h.Del("X-Frame-Options")
	untrusted.Headers(h, d, name)
	// The voucher page shows the document in a frame of its own origin.
	h.Set("X-Frame-Options", "SAMEORIGIN")
}

// ignoreWritten: once bytes went out, an error can only be logged; the
// error handler would try to write a page into a half-sent document.
func ignoreWritten(c echo.Context, err error) error {
	if err != nil && c.Response().Committed {
		return nil
	}
	return err
}

// recordOpen audits an open (with shown, the hash of what was shown) and
// keeps newHash as the document's hash, in one write. A client that went
// away mid-document is still audited: the context is detached from it.
func (s *Server) recordOpen(c echo.Context, co *db.Company, v *db.Voucher, doc *db.VoucherDocument, newHash, shown string, n int64, err error) {
	detail := fmt.Sprintf("voucher=%s document=%d kind=%s bytes=%d sha256=%s", v.Number, doc.ID, doc.Kind, n, shown)
	if err != nil {
		detail += " error=" + truncateStr(err.Error(), 200)
		switch {
		case errors.Is(err, errCutOff):
			detail += " (cut off: the source ended mid-stream; the document was incomplete and is neither cached nor hashed)"
		case errors.Is(err, context.Canceled):
			detail += " (client went away)"
		}
	}
	e := db.AuditEvent{Action: db.AuditDocumentOpen, CompanyID: &co.ID, Target: truncateStr(doc.FileName, 254), Detail: detail, RemoteIP: c.RealIP()}
	if u := currentUser(c); u != nil {
		e.UserID, e.Actor = &u.ID, u.Email
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
	defer cancel()
	if err := s.db.DocumentOpened(ctx, doc.ID, newHash, n, e); err != nil {
		s.log.Error("record document open", "company_id", co.ID, "document_id", doc.ID, "err", err)
	}
}
