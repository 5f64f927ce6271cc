package sandbox

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"

	"bilag/connectors/samplepdf"
)

// money formats cents the Nordic way: "12 345,67".
func money(c int64) string {
	neg := c < 0
	if neg {
		c = -c
	}
	whole := fmt.Sprintf("%d", c/100)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	s := fmt.Sprintf("%s,%02d", b.String(), c%100)
	if neg {
		s = "-" + s
	}
	return s
}

func currencyOf(co *company) string {
	if co.Country == "NO" {
		return "NOK"
	}
	return "SEK"
}

// invoicePDF prints the supplier's invoice behind a voucher.
func (s *Sandbox) invoicePDF(co *company, v *voucher) []byte {
	if v == nil {
		return samplepdf.Page([]string{"Dokument"}, 0)
	}
	sign := int64(1)
	title := "FAKTURA"
	if v.typ == vtSupplierCredit {
		sign, title = -1, "KREDITFAKTURA"
	}
	if v.typ == vtPurchaseReceipt || v.typ == vtManual {
		title = "KVITTO"
	}
	return samplepdf.Page([]string{
		title,
		co.partyName(v),
		"",
		"Fakturanummer: " + v.invoiceNumber(),
		"Fakturadatum: " + v.day().Format("2006-01-02"),
		"Förfallodatum: " + v.day().AddDate(0, 0, 30).Format("2006-01-02"),
		"Kund: " + co.Name + " (" + co.OrgNumber + ")",
		"",
		"Belopp exkl. moms: " + money(sign*(v.gross-v.vat())) + " " + currencyOf(co),
		"Moms 25 %: " + money(sign*v.vat()) + " " + currencyOf(co),
		"Att betala: " + money(sign*v.gross) + " " + currencyOf(co),
	}, 0)
}

// customerInvoicePDF prints the company's own invoice to its customer.
func (s *Sandbox) customerInvoicePDF(co *company, v *voucher) []byte {
	title := "FAKTURA"
	sign := int64(1)
	if v.typ == vtCustomerCredit {
		title, sign = "KREDITFAKTURA", -1
	}
	return samplepdf.Page([]string{
		title,
		co.Name + ", " + co.addr.street + ", " + co.addr.postal + " " + co.addr.city,
		"Org.nr " + co.OrgNumber,
		"",
		"Fakturanummer: " + v.invoiceNumber(),
		"Fakturadatum: " + v.day().Format("2006-01-02"),
		"Kund: " + co.partyName(v),
		"",
		"Att betala: " + money(sign*v.gross) + " " + currencyOf(co),
	}, 0)
}

// writeReceiptImage draws a till receipt: a white slip with grey text bars
// whose lengths follow the amount's digits, so every receipt differs.
func writeReceiptImage(w io.Writer, co *company, v *voucher, a *attachment, asPNG bool) {
	const W, H = 240, 420
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	fill := func(x0, y0, x1, y1 int, c color.Color) {
		for y := y0; y < y1 && y < H; y++ {
			for x := x0; x < x1 && x < W; x++ {
				img.Set(x, y, c)
			}
		}
	}
	fill(0, 0, W, H, color.RGBA{236, 232, 224, 255})
	fill(20, 10, W-20, H-10, color.White)
	ink := color.RGBA{60, 60, 70, 255}
	digits := a.id.String()
	if v != nil {
		digits = fmt.Sprintf("%d%s", v.gross, v.day().Format("20060102"))
	}
	fill(40, 30, W-40, 46, ink) // shop name
	y := 70
	for i := 0; i < len(digits) && y < H-80; i++ {
		d := int(digits[i]-'0') % 10
		fill(36, y, 36+40+d*12, y+8, color.RGBA{120, 120, 130, 255})
		fill(W-80, y, W-36, y+8, color.RGBA{120, 120, 130, 255})
		y += 18
	}
	fill(36, y+10, W-36, y+12, ink)
	fill(36, y+24, 120, y+38, ink)     // "TOTAL"
	fill(W-110, y+24, W-36, y+38, ink) // amount
	var err error
	if asPNG {
		err = png.Encode(w, img)
	} else {
		err = jpeg.Encode(w, img, &jpeg.Options{Quality: 80})
	}
	_ = err // writing to a bytes.Buffer cannot fail
}

// writeTIFF writes a baseline, uncompressed, 8-bit greyscale TIFF of a
// scanned page: the format scanners still produce and browsers cannot show.
func writeTIFF(w io.Writer, co *company, v *voucher) {
	const W, H = 320, 452
	pix := make([]byte, W*H)
	for i := range pix {
		pix[i] = 250
	}
	seed := uint64(1)
	if v != nil {
		seed = uint64(v.gross) + uint64(v.date)
	}
	for y := 40; y < H-40; y += 16 {
		seed = seed*6364136223846793005 + 1442695040888963407
		n := 60 + int(seed>>33)%(W-120)
		for yy := y; yy < y+6; yy++ {
			for x := 30; x < 30+n; x++ {
				pix[yy*W+x] = 70
			}
		}
	}
	const entries = 12
	dataOff := uint32(8)
	ifdOff := dataOff + uint32(len(pix))
	ratOff := ifdOff + 2 + entries*12 + 4
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II")
	_ = binary.Write(&b, le, uint16(42))
	_ = binary.Write(&b, le, ifdOff)
	b.Write(pix)
	_ = binary.Write(&b, le, uint16(entries))
	entry := func(tag, typ uint16, count, val uint32) {
		_ = binary.Write(&b, le, tag)
		_ = binary.Write(&b, le, typ)
		_ = binary.Write(&b, le, count)
		if typ == 3 && count == 1 {
			_ = binary.Write(&b, le, uint16(val))
			_ = binary.Write(&b, le, uint16(0))
		} else {
			_ = binary.Write(&b, le, val)
		}
	}
	const short, long, rational = 3, 4, 5
	entry(256, long, 1, W)            // ImageWidth
	entry(257, long, 1, H)            // ImageLength
	entry(258, short, 1, 8)           // BitsPerSample
	entry(259, short, 1, 1)           // Compression: none
	entry(262, short, 1, 1)           // PhotometricInterpretation: BlackIsZero
	entry(273, long, 1, dataOff)      // StripOffsets
	entry(277, short, 1, 1)           // SamplesPerPixel
	entry(278, long, 1, H)            // RowsPerStrip
	entry(279, long, 1, uint32(W*H))  // StripByteCounts
	entry(282, rational, 1, ratOff)   // XResolution
	entry(283, rational, 1, ratOff+8) // YResolution
	entry(296, short, 1, 2)           // ResolutionUnit: inch
	_ = binary.Write(&b, le, uint32(0))
	for range 2 {
		_ = binary.Write(&b, le, uint32(150))
		_ = binary.Write(&b, le, uint32(1))
	}
	_, _ = w.Write(b.Bytes())
}
