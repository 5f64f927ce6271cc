// Package samplepdf writes the one-page PDFs the sandboxes serve as
// invoices and receipts: small enough to write by hand, valid for any
// reader.
package samplepdf

import (
	"bytes"
	"fmt"
	"strings"
)

// Page is a one-page PDF 1.4 with lines in Helvetica (the first one large)
// and a correct cross-reference table. pad is the length of the comment
// lines a caller writes after the header to make a large file; every offset
// counts them.
func Page(lines []string, pad int64) []byte {
	var content bytes.Buffer
	content.WriteString("BT\n/F1 20 Tf\n56 780 Td\n")
	for i, l := range lines {
		if i == 1 {
			content.WriteString("/F1 12 Tf\n")
		}
		fmt.Fprintf(&content, "(%s) Tj\n0 -20 Td\n", Text(l))
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

// Text escapes s for a PDF string in WinAnsi: Latin-1 letters (åäö, æø)
// as octal escapes, control characters dropped, anything else a '?'.
func Text(s string) string {
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
