package server

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"bilag/db"
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
	frameable(c.Response().Header())
	co := currentCompany(c)
	d, err := s.conns.OpenDocument(c.Request().Context(), co.ID, doc)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(d.Reader, 64<<10)
	head, err := br.Peek(untrusted.SniffLen)
	if err != nil && err != io.EOF && len(head) < untrusted.SniffLen {
		_, _ = d.Close(false)
		return fmt.Errorf("read document %d: %w", doc.ID, err)
	}
	if !untrusted.Decide(d.ContentType, head).Inline {
		// Nothing was shown: no audit, and a first open leaves no
		// partial copy in the cache.
		_, _ = d.Close(false)
		return s.renderDownloadPage(c, v, doc, "voucher.download.only", http.StatusOK)
	}
	d.Reader = br
	return s.serveDocument(c, co, v, doc, d, serveInFrame)
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
// (reason, a catalogue key). The page is built without s.page, which would
// take the session's flash message away from the voucher page around the
// frame.
func (s *Server) renderDownloadPage(c echo.Context, v *db.Voucher, doc *db.VoucherDocument, reason string, status int) error {
	frameable(c.Response().Header())
	c.Response().Header().Set("Cache-Control", "private, no-store")
	p := &views.Page{Title: doc.FileName, Lang: s.lang(c), User: currentUser(c), Company: currentCompany(c), Static: s.staticURL, FirmName: s.firm,
		Data: downloadPage{Reason: reason, FileName: doc.FileName, URL: fmt.Sprintf("/companies/%d/vouchers/%d/documents/%d", v.CompanyID, v.ID, doc.ID)}}
	return c.Render(status, "docview", p)
}
