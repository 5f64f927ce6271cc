package sandbox

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"

	"bilag/connectors/samplepdf"
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
	return &File{Name: name, MimeType: "application/pdf", data: samplepdf.Page(lines, 0)}
}

// largePDF is a valid PDF of exactly size bytes (at least the small one's):
// one page of lines, padded with comment lines after the header.
func largePDF(name string, size int64, lines ...string) *File {
	// Laid out as if padded by size, so that startxref has as many
	// digits as it will have.
	small := samplepdf.Page(lines, size)
	total := max(size-int64(len(small)), 0)
	rest := total % 64 // one short comment line, then whole ones
	doc := samplepdf.Page(lines, total)
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
