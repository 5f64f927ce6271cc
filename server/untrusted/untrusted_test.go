package untrusted

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

var (
	pdfHead  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	jpegHead = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
	pngHead  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	tiffLE   = []byte("II*\x00\x08\x00\x00\x00")
	tiffBE   = []byte("MM\x00*\x00\x00\x00\x08")
	html     = []byte("<!DOCTYPE html><script>alert(document.cookie)</script>")
	svg      = []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"pdf", pdfHead, PDF},
		{"jpeg", jpegHead, JPEG},
		{"png", pngHead, PNG},
		{"tiff little-endian", tiffLE, TIFF},
		{"tiff big-endian", tiffBE, TIFF},
		{"html", html, ""},
		{"svg", svg, ""},
		{"pdf after junk", append([]byte("<html>"), pdfHead...), ""},
		{"pdf lower case", []byte("%pdf-1.4"), ""},
		{"short jpeg", []byte{0xFF, 0xD8}, ""},
		{"png without trailer", []byte("\x89PNG"), ""},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.head); got != tt.want {
				t.Errorf("Sniff(%q) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	download := Disposition{ContentType: OctetStream}
	tests := []struct {
		name     string
		declared string
		head     []byte
		want     Disposition
	}{
		{"pdf", "application/pdf", pdfHead, Disposition{Inline: true, ContentType: PDF}},
		{"pdf with params and case", `Application/PDF; name="x.pdf"`, pdfHead, Disposition{Inline: true, ContentType: PDF}},
		{"jpeg", "image/jpeg", jpegHead, Disposition{Inline: true, ContentType: JPEG}},
		{"jpg alias", "image/jpg", jpegHead, Disposition{Inline: true, ContentType: JPEG}},
		{"png", "image/png", pngHead, Disposition{Inline: true, ContentType: PNG}},
		{"tiff converts", "image/tiff", tiffLE, Disposition{Inline: true, ContentType: PNG, Convert: true}},
		{"tiff big-endian", "image/tiff", tiffBE, Disposition{Inline: true, ContentType: PNG, Convert: true}},
		{"html declared as pdf", "application/pdf", html, download},
		{"html", "text/html", html, download},
		{"html with pdf bytes", "text/html", pdfHead, download},
		{"svg with script", "image/svg+xml", svg, download},
		{"svg declared as png", "image/png", svg, download},
		{"pdf bytes declared as png", "image/png", pdfHead, download},
		{"png bytes declared as jpeg", "image/jpeg", pngHead, download},
		{"tiff bytes declared as png", "image/png", tiffLE, download},
		{"octet-stream pdf", "application/octet-stream", pdfHead, download},
		{"empty type", "", pdfHead, download},
		{"malformed type", "application/pdf;;;=", pdfHead, download},
		{"type with CRLF", "application/pdf\r\nX-Evil: 1", pdfHead, download},
		{"xhtml", "application/xhtml+xml", html, download},
		{"unknown", "application/x-msdownload", []byte("MZ\x90\x00"), download},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.declared, tt.head); got != tt.want {
				t.Errorf("Decide(%q, %q) = %+v, want %+v", tt.declared, tt.head, got, tt.want)
			}
		})
	}
}

func TestContentDisposition(t *testing.T) {
	long := strings.Repeat("a", 300) + ".pdf"
	tests := []struct {
		name     string
		inline   bool
		filename string
		want     string
	}{
		{"plain", true, "faktura.pdf", `inline; filename="faktura.pdf"`},
		{"attachment", false, "faktura.pdf", `attachment; filename="faktura.pdf"`},
		{"empty", false, "", `attachment; filename="document"`},
		{"quote", true, `a"b.pdf`, `inline; filename="a_b.pdf"`},
		{"crlf header injection", true, "a\r\nSet-Cookie: x=1.pdf", `inline; filename="aSet-Cookie: x=1.pdf"`},
		{"no-break space", true, "a\u00a0b.pdf", `inline; filename="a b.pdf"`},
		{"nul and tab", true, "a\x00b\tc.pdf", `inline; filename="abc.pdf"`},
		{"path traversal", false, "../../etc/passwd", `attachment; filename="passwd"`},
		{"windows path", false, `C:\Users\x\..\faktura.pdf`, `attachment; filename="faktura.pdf"`},
		{"only dots", false, "..", `attachment; filename="document"`},
		{"trailing separator", false, "dir/", `attachment; filename="document"`},
		{"hidden file", false, ".bashrc", `attachment; filename="bashrc"`},
		{"percent and semicolon", true, "100%; x.pdf", `inline; filename="100__ x.pdf"`},
		{"unicode", true, "Räkning åäö.pdf",
			`inline; filename="R_kning ___.pdf"; filename*=UTF-8''R%C3%A4kning%20%C3%A5%C3%A4%C3%B6.pdf`},
		{"bidi override", false, "invoice\u202efdp.exe",
			`attachment; filename="invoicefdp.exe"`},
		{"line separator", false, "a\u2028b.pdf", `attachment; filename="ab.pdf"`},
		{"invalid utf-8", true, "a\xffb.pdf", `inline; filename="a_b.pdf"`},
		{"emoji", true, "🧾.pdf", `inline; filename="_.pdf"; filename*=UTF-8''%F0%9F%A7%BE.pdf`},
		{"long", true, long, `inline; filename="` + strings.Repeat("a", 146) + `.pdf"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ContentDisposition(tt.inline, tt.filename)
			if got != tt.want {
				t.Errorf("ContentDisposition(%v, %q) = %q, want %q", tt.inline, tt.filename, got, tt.want)
			}
			// Whatever the input, the value must parse and never split a header.
			if strings.ContainsAny(got, "\r\n\x00") {
				t.Errorf("ContentDisposition(%q) contains a control character", tt.filename)
			}
			if _, params, err := mime.ParseMediaType(got); err != nil {
				t.Errorf("ContentDisposition(%q) = %q does not parse: %v", tt.filename, got, err)
			} else if strings.ContainsAny(params["filename"], `/\`) {
				t.Errorf("parsed filename %q contains a path separator", params["filename"])
			}
		})
	}
}

func TestContentDispositionLongUnicode(t *testing.T) {
	got := ContentDisposition(true, strings.Repeat("ö", 200)+".pdf")
	_, params, err := mime.ParseMediaType(got)
	if err != nil {
		t.Fatalf("ParseMediaType(%q): %v", got, err)
	}
	// mime decodes filename* into filename.
	name := params["filename"]
	if len(name) > maxFilenameBytes || !strings.HasSuffix(name, ".pdf") || !strings.HasPrefix(name, "ööö") {
		t.Errorf("long unicode name parsed as %q (%d bytes)", name, len(name))
	}
	if !strings.Contains(got, "filename*=UTF-8''") {
		t.Errorf("ContentDisposition = %q, want filename*", got)
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name        string
		d           Disposition
		filename    string
		wantType    string
		wantDisp    string
		wantSandbox bool
	}{
		{"pdf inline", Disposition{Inline: true, ContentType: PDF}, "f.pdf", PDF, `inline; filename="f.pdf"`, false},
		{"png inline", Disposition{Inline: true, ContentType: PNG}, "f.png", PNG, `inline; filename="f.png"`, true},
		{"tiff converted", Disposition{Inline: true, ContentType: PNG, Convert: true}, "scan.tiff", PNG, `inline; filename="scan.png"`, true},
		{"download", Disposition{ContentType: OctetStream}, "x.html", OctetStream, `attachment; filename="x.html"`, true},
		{"zero disposition", Disposition{}, "x.svg", OctetStream, `attachment; filename="x.svg"`, true},
		{"pdf as download", Disposition{ContentType: OctetStream}, "f.pdf", OctetStream, `attachment; filename="f.pdf"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Content-Type", "text/html") // a handler's earlier guess must be overwritten
			Headers(h, tt.d, tt.filename)
			want := map[string]string{
				"Content-Type":                 tt.wantType,
				"Content-Disposition":          tt.wantDisp,
				"X-Content-Type-Options":       "nosniff",
				"Cache-Control":                "private, no-store",
				"Referrer-Policy":              "no-referrer",
				"Cross-Origin-Resource-Policy": "same-origin",
			}
			for k, v := range want {
				if got := h.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'self'") {
				t.Errorf("CSP = %q, want default-src 'none' and frame-ancestors", csp)
			}
			if strings.Contains(csp, "script-src") {
				t.Errorf("CSP = %q allows scripts", csp)
			}
			if got := strings.HasSuffix(csp, "; sandbox"); got != tt.wantSandbox {
				t.Errorf("CSP = %q, sandbox %v, want %v", csp, got, tt.wantSandbox)
			}
		})
	}
}

func testImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 7, 5))
	for y := range 5 {
		for x := range 7 {
			img.Set(x, y, color.NRGBA{uint8(x * 30), uint8(y * 50), 200, 255})
		}
	}
	return img
}

func encodeTIFF(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatalf("tiff.Encode: %v", err)
	}
	return buf.Bytes()
}

// onlyReader hides bytes.Reader's ReaderAt, to test the buffering path.
type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestTIFFToPNG(t *testing.T) {
	src := testImage()
	tif := encodeTIFF(t, src)
	if Decide("image/tiff", tif) != (Disposition{Inline: true, ContentType: PNG, Convert: true}) {
		t.Fatalf("Decide on a real TIFF = %+v", Decide("image/tiff", tif))
	}
	for _, tt := range []struct {
		name string
		r    func() io.Reader
	}{
		{"reader at", func() io.Reader { return bytes.NewReader(tif) }},
		{"plain reader", func() io.Reader { return onlyReader{bytes.NewReader(tif)} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := TIFFToPNG(&out, tt.r()); err != nil {
				t.Fatalf("TIFFToPNG: %v", err)
			}
			if Sniff(out.Bytes()) != PNG {
				t.Fatalf("output is not a PNG: %q", out.Bytes()[:8])
			}
			got, err := png.Decode(&out)
			if err != nil {
				t.Fatalf("png.Decode: %v", err)
			}
			if got.Bounds() != src.Bounds() {
				t.Fatalf("bounds = %v, want %v", got.Bounds(), src.Bounds())
			}
			for y := range 5 {
				for x := range 7 {
					gr, gg, gb, ga := got.At(x, y).RGBA()
					wr, wg, wb, wa := src.At(x, y).RGBA()
					if gr != wr || gg != wg || gb != wb || ga != wa {
						t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got.At(x, y), src.At(x, y))
					}
				}
			}
		})
	}
}

// setDimensions rewrites ImageWidth and ImageLength in a little-endian
// TIFF's first IFD, making a tiny file claim a huge image.
func setDimensions(t *testing.T, tif []byte, w, h uint32) []byte {
	t.Helper()
	b := bytes.Clone(tif)
	le := binary.LittleEndian
	ifd := le.Uint32(b[4:])
	n := int(le.Uint16(b[ifd:]))
	for i := range n {
		e := b[int(ifd)+2+12*i:]
		var v uint32
		switch le.Uint16(e) {
		case 256:
			v = w
		case 257:
			v = h
		default:
			continue
		}
		switch le.Uint16(e[2:]) {
		case 3: // SHORT
			le.PutUint16(e[8:], uint16(v))
		case 4: // LONG
			le.PutUint32(e[8:], v)
		default:
			t.Fatalf("unexpected dimension type %d", le.Uint16(e[2:]))
		}
	}
	return b
}

func TestTIFFToPNGRejects(t *testing.T) {
	tif := encodeTIFF(t, testImage())
	tests := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{"bomb", setDimensions(t, tif, 65535, 65535), ErrTooLarge},
		{"just over limit", setDimensions(t, tif, 8000, 5001), ErrTooLarge},
		{"not a tiff", html, nil},
		{"truncated", tif[:20], nil},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := TIFFToPNG(&out, bytes.NewReader(tt.in))
			if err == nil {
				t.Fatal("TIFFToPNG succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("TIFFToPNG = %v, want %v", err, tt.wantErr)
			}
			if out.Len() != 0 {
				t.Errorf("TIFFToPNG wrote %d bytes before failing", out.Len())
			}
		})
	}
}

func TestTIFFToPNGTooManyBytes(t *testing.T) {
	big := onlyReader{bytes.NewReader(make([]byte, MaxTIFFBytes+1))}
	if err := TIFFToPNG(&bytes.Buffer{}, big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("TIFFToPNG of %d bytes = %v, want ErrTooLarge", MaxTIFFBytes+1, err)
	}
}

// CheckTIFF reads only the header: a tiny file claiming 6300×6300 pixels
// (under MaxPixels) is refused when its decoded image would exceed
// MaxDecodedBytes, as one of 16 bits a sample does (8 bytes a pixel).
func TestCheckTIFF(t *testing.T) {
	rgba64 := image.NewRGBA64(image.Rect(0, 0, 4, 4))
	tests := []struct {
		name    string
		img     image.Image
		w, h    uint32
		wantErr error
	}{
		{"6300x6300 8-bit", testImage(), 6300, 6300, nil},
		{"6300x6300 greyscale", image.NewGray(image.Rect(0, 0, 4, 4)), 6300, 6300, nil},
		{"6300x6300 16-bit", rgba64, 6300, 6300, ErrTooLarge},
		{"5000x5000 16-bit", rgba64, 5000, 5000, nil},
		{"over MaxPixels", image.NewGray(image.Rect(0, 0, 4, 4)), 8000, 5001, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tif := setDimensions(t, encodeTIFF(t, tt.img), tt.w, tt.h)
			if err := CheckTIFF(bytes.NewReader(tif)); !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckTIFF() = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := CheckTIFF(bytes.NewReader(html)); err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("CheckTIFF(html) = %v, want a header error", err)
	}
}
