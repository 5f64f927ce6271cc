package sie

import "strings"

// cp437High is code page 437 from byte 0x80 to 0xFF, the character set the
// SIE specification names for #FORMAT PC8. It is written out here rather
// than taken from golang.org/x/text so the package adds no dependency; the
// test checks it against the code page's known letters.
const cp437High = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»" +
	"░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
	"αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0"

// charset maps each byte from 0x80 to its rune, and runes back to bytes
// (with the nearest letters for runes the code page lacks); newCharset
// builds it and nothing changes it after.
type charset struct {
	toRune [128]rune
	toByte map[rune]byte
}

func newCharset() *charset {
	c := &charset{toByte: make(map[rune]byte, 128+len(nearest)/2)}
	i := 0
	for _, r := range cp437High {
		c.toRune[i] = r
		c.toByte[r] = byte(0x80 + i)
		i++
	}
	pairs := []rune(nearest)
	for j := 0; j+1 < len(pairs); j += 2 {
		if b, ok := c.toByte[pairs[j+1]]; ok {
			c.toByte[pairs[j]] = b
		} else {
			c.toByte[pairs[j]] = byte(pairs[j+1])
		}
	}
	return c
}

// nearest spells letters code page 437 lacks (Norwegian and Danish ø,
// Finnish š and ž, and the like) as the closest letter it has. The SIE
// specification only says the file is code page 437; what to do with other
// characters is our choice (an inference): the nearest letter where one is
// obvious, else '?'.
const nearest = "øöØÖõöÕÖãaÃAšsŠSžzŽZčcČCłlŁLśsńnąaęeÀAÁAÂAÈEÊEËEÌIÍIÎIÏIÒOÓOÔOÙUÚUÛUÝYýy–-—-‘'’'“\"”\""

// encode appends s in code page 437 as the inside of a quoted field: a
// quotation mark is escaped with a backslash as the specification says,
// control characters become spaces (a record is one line), and anything
// else the code page lacks becomes '?'.
func (c *charset) encode(dst []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			dst = append(dst, ' ')
		case r < 0x80:
			if r == '"' {
				dst = append(dst, '\\')
			}
			dst = append(dst, byte(r))
		default:
			if b, ok := c.toByte[r]; ok {
				if b == '"' {
					dst = append(dst, '\\')
				}
				dst = append(dst, b)
			} else {
				dst = append(dst, '?')
			}
		}
	}
	return dst
}

// decode turns code page 437 bytes into a string.
func (c *charset) decode(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, x := range b {
		if x < 0x80 {
			sb.WriteByte(x)
		} else {
			sb.WriteRune(c.toRune[x-0x80])
		}
	}
	return sb.String()
}
