package sandbox

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
)

// File is a document the sandbox serves in base64: a small one held in
// memory, or a large PDF generated as it is written.
type File struct {
	Name, MimeType string
	data           []byte
	// head and tail of a large PDF, with pad bytes of comment lines
	// between them.
	head, tail []byte
	pad        int64
}

// Size is the file's length in bytes.
func (f *File) Size() int64 {
	if f.head != nil {
		return int64(len(f.head)) + f.pad + int64(len(f.tail))
	}
	return int64(len(f.data))
}

func (f *File) write(w io.Writer) error {
	if f.head == nil {
		_, err := w.Write(f.data)
		return err
	}
	if _, err := w.Write(f.head); err != nil {
		return err
	}
	block := padBlock()
	for left := f.pad; left > 0; {
		n := min(left, int64(len(block)))
		if _, err := w.Write(block[:n]); err != nil {
			return err
		}
		left -= n
	}
	_, err := w.Write(f.tail)
	return err
}

// Bytes is the whole file, for tests of small files.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	_ = f.write(&b)
	return b.Bytes()
}

// WriteTo writes the file, for tests that compare a large one as a stream.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	err := f.write(cw)
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// padBlock is 64 KiB of PDF comment lines ("%" … "\n"), which every PDF
// reader skips.
func padBlock() []byte {
	line := "%" + strings.Repeat("Bilag sandbox scanned archive filler ", 2)[:62] + "\n"
	return []byte(strings.Repeat(line, 1024))
}

func pdfFile(name string, lines ...string) *File {
	return &File{Name: name, MimeType: "application/pdf", data: pdfDocument(lines, 0)}
}

// largePDF is a valid PDF of exactly size bytes (at least the small one's):
// one page of lines, padded with comment lines after the header.
func largePDF(name string, size int64, lines ...string) *File {
	// Laid out as if padded by size, so that startxref has as many
	// digits as it will have.
	small := pdfDocument(lines, size)
	total := max(size-int64(len(small)), 0)
	rest := total % 64 // one short comment line, then whole ones
	doc := pdfDocument(lines, total)
	cut := bytes.Index(doc, []byte("1 0 obj"))
	head := append([]byte(nil), doc[:cut]...)
	switch {
	case rest == 1:
		head = append(head, '\n')
	case rest > 1:
		head = append(append(append(head, '%'), bytes.Repeat([]byte{'-'}, int(rest-2))...), '\n')
	}
	return &File{Name: name, MimeType: "application/pdf", head: head, tail: doc[cut:], pad: total - rest}
}

// pdfText escapes a line for a PDF string in WinAnsiEncoding, which has the
// Finnish and Swedish letters at their Latin-1 code points.
func pdfText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
		case r < 0x80:
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// pdfDocument is a one-page PDF 1.4 with Helvetica text and a correct
// cross-reference table; pad is the length of the comment lines a large
// file carries after its header, which every offset counts.
func pdfDocument(lines []string, pad int64) []byte {
	var content bytes.Buffer
	content.WriteString("BT\n/F1 20 Tf\n56 780 Td\n")
	for i, l := range lines {
		if i == 1 {
			content.WriteString("/F1 12 Tf\n")
		}
		fmt.Fprintf(&content, "(%s) Tj\n0 -20 Td\n", pdfText(l))
	}
	content.WriteString("ET\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int64, len(objs))
	for i, o := range objs {
		offsets[i] = int64(b.Len()) + pad
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := int64(b.Len()) + pad
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// receiptPNG draws a till receipt whose grey bars follow seed's digits, so
// every receipt differs.
func receiptPNG(name string, seed int) *File {
	const W, H = 240, 360
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	fill := func(x0, y0, x1, y1 int, c color.Color) {
		for y := y0; y < y1 && y < H; y++ {
			for x := x0; x < x1 && x < W; x++ {
				img.Set(x, y, c)
			}
		}
	}
	fill(0, 0, W, H, color.RGBA{230, 236, 240, 255})
	fill(20, 10, W-20, H-10, color.White)
	ink := color.RGBA{40, 60, 90, 255}
	fill(40, 30, W-40, 46, ink)
	digits := fmt.Sprintf("%08d", seed)
	y := 70
	for i := 0; i < len(digits); i++ {
		d := int(digits[i] - '0')
		fill(36, y, 76+d*12, y+8, color.RGBA{120, 130, 140, 255})
		fill(W-80, y, W-36, y+8, color.RGBA{120, 130, 140, 255})
		y += 22
	}
	fill(36, y+10, W-36, y+12, ink)
	fill(36, y+24, 120, y+38, ink)
	fill(W-110, y+24, W-36, y+38, ink)
	var b bytes.Buffer
	_ = png.Encode(&b, img) // a bytes.Buffer does not fail
	return &File{Name: name, MimeType: "image/png", data: b.Bytes()}
}
