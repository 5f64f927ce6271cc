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
	"bilag/server/untrusted"
)

// convertSlots is how many TIFF scans a process converts at once. Each
// holds up to untrusted.MaxDecodedBytes of decoded image plus the decoder's
// and encoder's buffers: a 6300×6300 scan costs about 330 MB and seconds of
// CPU, and six at once took the process past 2 GB.
const convertSlots = 2

// defaultConvertWait is how long an open waits for a free slot before it
// is answered 503.
const defaultConvertWait = 5 * time.Second

// maxConvert bounds a TIFF read into memory for conversion.
const maxConvert = untrusted.MaxTIFFBytes

// errConvertBusy: every conversion slot stayed taken for the whole wait.
// It is ErrUnavailable, so whatever maps errors makes it a 503.
var errConvertBusy = fmt.Errorf("convert document: every slot busy: %w", connectors.ErrUnavailable)

// errOfferedForDownload: the frame was answered with the download page,
// not the document; the open is audited with it, and a first open leaves
// no partial copy in the cache.
var errOfferedForDownload = errors.New("document offered as a download, not shown")

// converter converts TIFF scans to PNG, at most convertSlots at once.
type converter struct {
	slots chan struct{}
	wait  time.Duration
	// hook, when set, runs once a conversion has its slot (tests).
	hook func()
}

func newConverter(wait time.Duration) *converter {
	if wait <= 0 {
		wait = defaultConvertWait
	}
	return &converter{slots: make(chan struct{}, convertSlots), wait: wait}
}

// convert writes the first page of tiff as PNG to w once a slot is free,
// or returns errConvertBusy when none frees up within the wait.
func (cv *converter) convert(ctx context.Context, w io.Writer, tiff []byte) error {
	select {
	case cv.slots <- struct{}{}:
	default:
		t := time.NewTimer(cv.wait)
		defer t.Stop()
		select {
		case cv.slots <- struct{}{}:
		case <-t.C:
			return errConvertBusy
		case <-ctx.Done():
			return fmt.Errorf("convert document: %w", ctx.Err())
		}
	}
	defer func() { <-cv.slots }()
	if cv.hook != nil {
		cv.hook()
	}
	return untrusted.TIFFToPNG(w, bytes.NewReader(tiff))
}

// writeConverted answers a TIFF scan with the PNG converted from it: the
// cached one when there is one, else one converted now (and cached). A scan
// too large to convert, or whose header does not read, is offered as a
// download. n counts the TIFF's bytes read.
func (s *Server) writeConverted(c echo.Context, br *bufio.Reader, o docOut) (int64, error) {
	ctx := c.Request().Context()
	var tif bytes.Buffer
	n, err := io.Copy(&tif, io.LimitReader(br, maxConvert+1))
	if err != nil {
		return n, err
	}
	if n > maxConvert {
		return s.writeUnconverted(c, io.MultiReader(&tif, br), o, untrusted.ErrTooLarge)
	}
	if pc, size, ok := o.d.Converted(ctx); ok {
		defer pc.Close()
		_, err := s.writePNG(c, pc, size, o)
		return n, err
	}
	if err := untrusted.CheckTIFF(bytes.NewReader(tif.Bytes())); err != nil {
		return s.writeUnconverted(c, &tif, o, err)
	}
	var png bytes.Buffer
	if err := s.convert.convert(ctx, &png, tif.Bytes()); errors.Is(err, errConvertBusy) {
		c.Response().Header().Set("Retry-After", "5")
		return n, errors.Join(err, s.renderDownloadPage(c, o.v, o.doc, "docview.busy", http.StatusServiceUnavailable))
	} else if err != nil {
		return n, err
	}
	o.d.KeepConverted(ctx, png.Bytes())
	_, err = s.writePNG(c, &png, int64(png.Len()), o)
	return n, err
}

// writePNG sends a scan's PNG of size bytes.
func (s *Server) writePNG(c echo.Context, r io.Reader, size int64, o docOut) (int64, error) {
	h := c.Response().Header()
	documentHeaders(h, untrusted.Disposition{Inline: true, ContentType: untrusted.PNG, Convert: true}, o.d.FileName)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	c.Response().WriteHeader(http.StatusOK)
	return io.Copy(c.Response(), r)
}

// writeUnconverted offers a scan that is not converted (why says why) as a
// download; the frame gets the download page instead.
func (s *Server) writeUnconverted(c echo.Context, r io.Reader, o docOut, why error) (int64, error) {
	if o.mode == serveInFrame {
		reason := "voucher.download.only"
		if errors.Is(why, untrusted.ErrTooLarge) {
			reason = "docview.toolarge"
		}
		return 0, errors.Join(errOfferedForDownload, why, s.renderDownloadPage(c, o.v, o.doc, reason, http.StatusOK))
	}
	documentHeaders(c.Response().Header(), untrusted.Disposition{ContentType: untrusted.OctetStream}, o.d.FileName)
	c.Response().WriteHeader(http.StatusOK)
	return io.Copy(c.Response(), r)
}
