// Package untrusted decides how Bilag serves documents fetched from Visma.
//
// Those documents are untrusted content: anyone can mail a supplier invoice
// that ends up attached to a voucher, and the Content-Type it carries is
// whatever the sender's software claimed. A document is shown inline only
// when both its declared type and its actual first bytes say it is a PDF,
// JPEG or PNG; TIFF scans are converted to PNG; everything else (HTML, SVG,
// unknown or mislabelled bytes) is offered as a download with a type no
// browser renders. Every response carries nosniff and a restrictive CSP,
// so even a mistake here cannot run script in the portal's origin.
package untrusted

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/tiff"
)

// Media types this package deals in.
const (
	PDF         = "application/pdf"
	JPEG        = "image/jpeg"
	PNG         = "image/png"
	TIFF        = "image/tiff"
	OctetStream = "application/octet-stream"
)

// SniffLen is how many leading bytes Sniff and Decide need.
const SniffLen = 8

// Sniff returns the media type that head (the first bytes of a document)
// actually has, from magic numbers: PDF, JPEG, PNG or TIFF, or "" for
// anything else. Unlike http.DetectContentType it knows no text or markup
// types, on purpose: nothing it returns can run script.
func Sniff(head []byte) string {
	switch {
	// A PDF may legally have junk before %PDF-, but a file that does is
	// served as a download rather than trusting what the junk is.
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return TIFF
	}
	return ""
}

// Disposition is how to serve one document.
type Disposition struct {
	// Inline is true when the browser may display the document in a tab.
	Inline bool
	// ContentType is the type to send; application/octet-stream for
	// downloads.
	ContentType string
	// Convert is true when the body must be converted (TIFF to PNG with
	// TIFFToPNG) before it is sent as ContentType.
	Convert bool
}

// canonical maps a declared media type to the allow-listed type it names,
// including aliases senders commonly use, or "" when it is not allowed.
// Accepting aliases is safe because the bytes must still match.
func canonical(mt string) string {
	switch mt {
	case PDF, "application/x-pdf":
		return PDF
	case JPEG, "image/jpg", "image/pjpeg":
		return JPEG
	case PNG, "image/x-png":
		return PNG
	case TIFF, "image/tif", "image/x-tiff":
		return TIFF
	}
	return ""
}

// Decide chooses how to serve a document whose sender declared the media
// type declared and whose first bytes are head (SniffLen bytes suffice).
// Inline only when the declared type is allowed and the bytes agree.
func Decide(declared string, head []byte) Disposition {
	download := Disposition{ContentType: OctetStream}
	mt, _, err := mime.ParseMediaType(declared)
	if err != nil {
		return download
	}
	want := canonical(mt)
	if want == "" || Sniff(head) != want {
		return download
	}
	if want == TIFF {
		// Only Safari renders TIFF; everyone else would download it.
		return Disposition{Inline: true, ContentType: PNG, Convert: true}
	}
	return Disposition{Inline: true, ContentType: want}
}

// maxFilenameBytes bounds each filename parameter; some proxies and
// browsers mangle very long header values, and no invoice needs more.
const maxFilenameBytes = 150

// ContentDisposition returns a Content-Disposition value (RFC 6266) for a
// document named filename. The name is reduced to its last path element and
// cleaned of control, formatting (bidi overrides that disguise extensions),
// quote and backslash characters. The quoted filename parameter is an ASCII
// fallback ("document" when nothing is left); a non-ASCII name is also sent
// as filename* (RFC 8187, formerly 5987) in UTF-8.
func ContentDisposition(inline bool, filename string) string {
	typ := "attachment"
	if inline {
		typ = "inline"
	}
	name := cleanName(filename)
	ascii := asciiName(name)
	if ascii == "" {
		ascii = "document"
	}
	v := typ + `; filename="` + ascii + `"`
	if name != "" && name != ascii {
		v += "; filename*=UTF-8''" + percentEncode(name)
	}
	return v
}

// cleanName keeps the last element of a path (either separator, since
// names come from Windows machines too) and drops characters that are
// dangerous or deceptive in a header or a saved file name.
func cleanName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError, r == '"', r == '%', r == ';':
			// '%' would be percent-decoded by some user agents in the
			// plain filename parameter; ';' confuses naive parsers.
			b.WriteByte('_')
		case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			// Dropped, not replaced: CR/LF must never reach a header, and a
			// right-to-left override would make "fdp.exe" read as "exe.pdf".
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	// Leading dots make hidden files or ".." on the user's disk.
	s = strings.TrimLeft(strings.TrimSpace(b.String()), ". ")
	return truncate(s, maxFilenameBytes)
}

// truncate shortens s to at most n bytes on a rune boundary, keeping a
// short extension so the saved file still opens with the right program.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	ext := path.Ext(s)
	if len(ext) > 10 {
		ext = ""
	}
	cut := n - len(ext)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ext
}

func asciiName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == '\\' {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// percentEncode encodes s as an RFC 8187 value-chars: attr-chars stay,
// every other byte becomes %XX.
func percentEncode(s string) string {
	const attrChars = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChars, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// Content-Security-Policy values. Images and downloads get the CSP sandbox,
// which turns the response into a unique opaque origin with no script at
// all. Inline PDFs cannot: Safari refuses to run its PDF viewer in a
// sandboxed document and older Chromium showed "This page has been blocked".
// They rely instead on the bytes having been checked to be a PDF, on
// nosniff, and on the viewers running PDF script (where they run it at all)
// outside the page's origin. style-src 'unsafe-inline' lets the browsers'
// own synthetic viewer pages lay out.
const (
	cspSandboxed = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; " +
		"frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
	cspPDF = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; " +
		"frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)

// Headers sets the response headers for serving a document as d, named
// filename. A converted TIFF's name gets a .png extension to match.
func Headers(h http.Header, d Disposition, filename string) {
	ct := d.ContentType
	if ct == "" {
		ct = OctetStream
	}
	if d.Convert && ct == PNG {
		ext := path.Ext(filename)
		filename = strings.TrimSuffix(filename, ext) + ".png"
	}
	csp := cspSandboxed
	if d.Inline && ct == PDF {
		csp = cspPDF
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", ContentDisposition(d.Inline, filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	// Documents are personal financial data: never in a shared cache, nor
	// left on disk by the browser.
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// MaxPixels bounds the images TIFFToPNG decodes. A few kilobytes of
// compressed TIFF can claim billions of pixels; 40 megapixels is an A4 page
// scanned at 600 dpi with room to spare, about 160 MB decoded.
const MaxPixels = 40_000_000

// MaxTIFFBytes bounds the encoded TIFF TIFFToPNG reads into memory when r is
// not an io.ReaderAt (the TIFF decoder needs random access).
const MaxTIFFBytes = 64 << 20

// MaxDecodedBytes bounds the decoded image TIFFToPNG holds: width × height
// × bytes a pixel of the image the decoder makes. Under MaxPixels, only
// images of 16 bits a sample (8 bytes a pixel) exceed it.
const MaxDecodedBytes = 256 << 20

// ErrTooLarge: the image exceeds MaxPixels, MaxDecodedBytes or MaxTIFFBytes.
var ErrTooLarge = errors.New("untrusted: image too large to convert")

// CheckTIFF reads only the header and first directory of the TIFF in r
// (image.DecodeConfig, no pixel) and returns ErrTooLarge when converting it
// would hold more than MaxPixels or MaxDecodedBytes.
func CheckTIFF(r io.ReaderAt) error {
	cfg, err := tiff.DecodeConfig(io.NewSectionReader(r, 0, 1<<62))
	if err != nil {
		return fmt.Errorf("untrusted: tiff header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("untrusted: tiff has no pixels (%dx%d)", cfg.Width, cfg.Height)
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if pixels > MaxPixels {
		return fmt.Errorf("%w: %dx%d pixels, limit %d", ErrTooLarge, cfg.Width, cfg.Height, MaxPixels)
	}
	if n := pixels * bytesPerPixel(cfg.ColorModel); n > MaxDecodedBytes {
		return fmt.Errorf("%w: %dx%d pixels decode to %d bytes, limit %d", ErrTooLarge, cfg.Width, cfg.Height, n, MaxDecodedBytes)
	}
	return nil
}

// bytesPerPixel is what the TIFF decoder's image of model takes a pixel;
// a model it does not name counts as the largest.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// TIFFToPNG converts the first page of the TIFF read from r to PNG on w.
// The dimensions are checked before any pixel is decoded. Only the first
// page is converted: the TIFF decoder reads no further images.
func TIFFToPNG(w io.Writer, r io.Reader) error {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		b, err := io.ReadAll(io.LimitReader(r, MaxTIFFBytes+1))
		if err != nil {
			return fmt.Errorf("untrusted: read tiff: %w", err)
		}
		if len(b) > MaxTIFFBytes {
			return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxTIFFBytes)
		}
		ra = bytes.NewReader(b)
	}
	if err := CheckTIFF(ra); err != nil {
		return err
	}
	img, err := tiff.Decode(io.NewSectionReader(ra, 0, 1<<62))
	if err != nil {
		return fmt.Errorf("untrusted: decode tiff: %w", err)
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("untrusted: encode png: %w", err)
	}
	return nil
}
