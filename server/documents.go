package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/doccache"
	"bilag/server/untrusted"
)

// shaHeader carries the SHA-256 of the document's bytes as Visma gave
// them: evidence of exactly which document was shown. On a first open the
// hash is only known at the end, so it comes as a trailer.
const shaHeader = "X-Bilag-Sha256"

// maxConvert bounds a TIFF read into memory for conversion.
const maxConvert = untrusted.MaxTIFFBytes

func cacheKey(conn string, companyID int64, doc *db.VoucherDocument) string {
	return fmt.Sprintf("%s/%d/%s/%s", conn, companyID, doc.Kind, doc.ExternalID)
}

// showDocument streams one document of a voucher of the current company.
// The document must have been found behind that voucher, so an id of
// another company's document is 404 without any call upstream.
func (s *Server) showDocument(c echo.Context) error {
	v, doc, err := s.paramDocument(c)
	if err != nil {
		return err
	}
	return s.streamDocument(c, currentCompany(c), v, doc, c.QueryParam("download") == "1")
}

// paramDocument is the current company's voucher and document that the
// route names; anything else is ErrNotFound.
func (s *Server) paramDocument(c echo.Context) (*db.Voucher, *db.VoucherDocument, error) {
	v, err := s.paramVoucher(c)
	if err != nil {
		return nil, nil, err
	}
	did, err := paramID(c, "docID")
	if err != nil {
		return nil, nil, err
	}
	doc, err := s.db.VoucherDocument(c.Request().Context(), v.CompanyID, v.ID, did)
	if err != nil {
		return nil, nil, err
	}
	return v, doc, nil
}

func (s *Server) streamDocument(c echo.Context, co *db.Company, v *db.Voucher, doc *db.VoucherDocument, forceDownload bool) error {
	ctx := c.Request().Context()
	const connector = "eaccounting"
	key := cacheKey(connector, co.ID, doc)
	if s.cache != nil {
		meta, sha, body, ok, err := s.cache.Get(key)
		if err != nil {
			s.log.Warn("document cache", "company_id", co.ID, "document_id", doc.ID, "err", err)
		}
		if ok {
			defer body.Close()
			s.metrics.CacheHit()
			c.Response().Header().Set("X-Bilag-Cache", "hit")
			c.Response().Header().Set(shaHeader, sha)
			n, err := s.writeDocument(c, body, meta.ContentType, meta.FileName, meta.Size, forceDownload)
			s.recordOpen(c, co, v, doc, "", sha, n, err)
			return ignoreWritten(c, err)
		}
	}
	if s.cache != nil {
		s.metrics.CacheMiss()
	}
	conn, err := s.db.Connection(ctx, co.ID, connector)
	if err != nil {
		return err
	}
	if conn.Status != db.ConnActive {
		return fmt.Errorf("open document: %w", db.ErrNeedsReapproval)
	}
	dr, ok := s.connectors[connector].(connectors.DocumentReader)
	if !ok {
		return echo.ErrNotFound
	}
	var stream *connectors.DocumentStream
	err = connectors.Retry(ctx, connectors.DefaultBackoff, func(ctx context.Context) error {
		g, err := s.freshGrant(ctx, conn)
		if err != nil {
			return err
		}
		stream, err = dr.OpenDocument(ctx, g, connectors.Document{ID: doc.ExternalID, Kind: doc.Kind, FileName: doc.FileName, ContentType: doc.ContentType})
		return err
	})
	if err != nil {
		return fmt.Errorf("open document %d: %w", doc.ID, err)
	}
	defer stream.Body.Close()
	name := stream.FileName
	if name == "" {
		name = doc.FileName
	}
	var open func() (*doccache.Entry, error)
	if s.cache != nil {
		meta := doccache.Meta{ContentType: stream.ContentType, FileName: name, Size: stream.Size}
		open = func() (*doccache.Entry, error) { return s.cache.Writer(key, meta) }
	}
	cc := newCacheCopy(open)
	c.Response().Header().Set("X-Bilag-Cache", "miss")
	c.Response().Header().Set("Trailer", shaHeader)
	// No Content-Length on a first open: the SHA-256 trailer needs a
	// chunked response.
	n, werr := s.writeDocument(c, io.TeeReader(stream.Body, cc), stream.ContentType, name, -1, forceDownload)
	sha, cerr := cc.finish(werr == nil)
	if cerr != nil {
		s.log.Warn("document cache copy", "company_id", co.ID, "document_id", doc.ID, "err", cerr)
	}
	if werr != nil {
		s.recordOpen(c, co, v, doc, "", "", n, werr)
		return ignoreWritten(c, werr)
	}
	c.Response().Header().Set(shaHeader, sha)
	s.recordOpen(c, co, v, doc, sha, sha, n, nil)
	return nil
}

// writeDocument decides from the declared type and the first bytes how the
// document may be served, sets the headers and copies it; size is -1 when
// unknown.
func (s *Server) writeDocument(c echo.Context, r io.Reader, declared, name string, size int64, forceDownload bool) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	d := untrusted.Decide(declared, head)
	if forceDownload {
		d = untrusted.Disposition{ContentType: d.ContentType}
		if d.ContentType == "" || !d.Inline {
			d.ContentType = untrusted.OctetStream
		}
	}
	h := c.Response().Header()
	h.Del("X-Frame-Options")
	untrusted.Headers(h, d, name)
	// The voucher page shows the document in a frame of its own origin.
	h.Set("X-Frame-Options", "SAMEORIGIN")
	if d.Convert {
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(br, maxConvert+1))
		if err != nil {
			return n, err
		}
		if n > maxConvert {
			return n, fmt.Errorf("convert document: %w", untrusted.ErrTooLarge)
		}
		var png bytes.Buffer
		if err := untrusted.TIFFToPNG(&png, bytes.NewReader(buf.Bytes())); err != nil {
			return n, err
		}
		h.Set("Content-Length", strconv.Itoa(png.Len()))
		c.Response().WriteHeader(http.StatusOK)
		_, err = c.Response().Write(png.Bytes())
		return n, err
	}
	if size > 0 {
		h.Set("Content-Length", strconv.FormatInt(size, 10))
	}
	c.Response().WriteHeader(http.StatusOK)
	return io.Copy(c.Response(), br)
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
		if errors.Is(err, context.Canceled) {
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
