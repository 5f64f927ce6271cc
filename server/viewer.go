package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
	"bilag/server/untrusted"
	"bilag/views"
)

// viewDocument is what the voucher page's frame loads, so that the voucher
// page itself neither waits for a document nor trusts its declared type:
// the first bytes decide (untrusted.Decide, as on the document route), and
// a document no browser may show inline gets a page with a download link
// instead of an attachment the browser would save as the voucher opens.
func (s *Server) viewDocument(c echo.Context) error {
	v, doc, err := s.paramDocument(c)
	if err != nil {
		return err
	}
	if doc.ContentType == connectors.ContentTypeRecord {
		return s.showRecord(c, v, doc, true)
	}
	frameable(c.Response().Header())
	co := currentCompany(c)
	d, err := s.conns.OpenDocument(c.Request().Context(), co.ID, doc)
	if err != nil {
		// An upstream failure (a *connections.UpstreamError, with its
		// connector) reads as on the document route and in the API.
		return err
	}
	br := bufio.NewReaderSize(d.Reader, 64<<10)
	head, err := br.Peek(untrusted.SniffLen)
	if err != nil && err != io.EOF && len(head) < untrusted.SniffLen {
		_, _ = d.Close(false)
		return fmt.Errorf("read document %d: %w", doc.ID, err)
	}
	decided := untrusted.Decide(d.ContentType, head)
	if !decided.Inline {
		// Nothing was shown: no audit, and a first open leaves no
		// partial copy in the cache.
		_, _ = d.Close(false)
		return s.renderDownloadPage(c, v, doc, "voucher.download.only", http.StatusOK)
	}
	d.Reader = br
	if decided.ContentType == untrusted.PDF {
		return s.serveDocument(c, co, v, doc, d, serveInFrame)
	}
	return s.renderImagePage(c, v, doc, d, decided.Convert)
}

// renderImagePage answers the frame with an image page: the image, fitted
// to the frame's width, under tools to zoom, rotate and pan it that stay
// inside the frame. The image itself comes from the document route, which
// decides again and audits the open; the bytes read here are only read to
// the end so that a first open fills the cache and the image request
// finds them there.
//
// A TIFF scan is kept in memory, within the bound of a conversion, so its
// header can tell now whether it will be converted at all; one that will
// not gets the download page.
func (s *Server) renderImagePage(c echo.Context, v *db.Voucher, doc *db.VoucherDocument, d *connections.Document, convert bool) error {
	var scan bytes.Buffer
	sink := io.Writer(io.Discard)
	if convert {
		sink = &scan
	}
	n, err := io.Copy(sink, io.LimitReader(d.Reader, maxConvert+1))
	if err == nil && n > maxConvert {
		_, err = io.Copy(io.Discard, d.Reader)
	}
	if _, cerr := d.Close(err == nil); cerr != nil {
		s.log.Warn("document cache copy", "company_id", v.CompanyID, "document_id", doc.ID, "err", cerr)
	}
	if err != nil {
		return fmt.Errorf("read document %d: %w", doc.ID, err)
	}
	if convert && (n > maxConvert || untrusted.CheckTIFF(bytes.NewReader(scan.Bytes())) != nil) {
		return s.renderDownloadPage(c, v, doc, "docview.toolarge", http.StatusOK)
	}
	frameable(c.Response().Header())
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Render(http.StatusOK, "docimage", s.framePage(c, doc, downloadPage{FileName: doc.FileName, URL: documentURL(v, doc)}))
}

// documentURL is the document route of a voucher's document.
func documentURL(v *db.Voucher, doc *db.VoucherDocument) string {
	return fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", v.CompanyID, v.ID, doc.ID)
}

// framePage is a page of the voucher page's frame. It is built without
// s.page, which would take the session's flash message away from the
// voucher page around the frame.
func (s *Server) framePage(c echo.Context, doc *db.VoucherDocument, data downloadPage) *views.Page {
	return &views.Page{Title: doc.FileName, Lang: s.lang(c), User: pageUser(currentUser(c)), Company: pageCompany(currentCompany(c)), Static: s.staticURL, FirmName: s.firm, Data: data}
}

// frameable lets pages of the portal's own origin, and only those, frame
// the answer: the viewer's pages, including its error pages, are shown in
// the voucher page's frame.
func frameable(h http.Header) {
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "frame-ancestors 'none'", "frame-ancestors 'self'", 1))
}

// downloadPage is the viewer's answer for a document the browser is not
// shown: why (a catalogue key) and the link that downloads it.
type downloadPage struct {
	Reason   string
	FileName string
	URL      string
}

// renderDownloadPage answers the frame with a download link and why
// (reason, a catalogue key).
func (s *Server) renderDownloadPage(c echo.Context, v *db.Voucher, doc *db.VoucherDocument, reason string, status int) error {
	frameable(c.Response().Header())
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Render(status, "docview", s.framePage(c, doc, downloadPage{Reason: reason, FileName: doc.FileName, URL: documentURL(v, doc)}))
}
