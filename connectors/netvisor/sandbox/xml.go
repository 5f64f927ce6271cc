package sandbox

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// xmlWriter writes an answer as Netvisor does: ISO-8859-15 bytes, declared
// both in the XML declaration and in Content-Type.
type xmlWriter struct {
	w   *bufio.Writer
	err error
}

func newXMLWriter(w http.ResponseWriter, status int) *xmlWriter {
	w.Header().Set("Content-Type", "text/xml; charset=ISO-8859-15")
	w.WriteHeader(status)
	x := &xmlWriter{w: bufio.NewWriterSize(w, 64<<10)}
	x.raw(`<?xml version="1.0" encoding="ISO-8859-15" standalone="yes"?>` + "\n")
	return x
}

func (x *xmlWriter) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

// text writes s escaped, in ISO-8859-15 ('?' for a rune it lacks).
func (x *xmlWriter) text(s string) {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteByte(latin9(r))
		}
	}
	x.raw(b.String())
}

// latin9 is r's byte in ISO-8859-15: Latin-1 but for eight code points
// (the euro sign among them).
func latin9(r rune) byte {
	switch r {
	case '€':
		return 0xA4
	case 'Š':
		return 0xA6
	case 'š':
		return 0xA8
	case 'Ž':
		return 0xB4
	case 'ž':
		return 0xB8
	case 'Œ':
		return 0xBC
	case 'œ':
		return 0xBD
	case 'Ÿ':
		return 0xBE
	}
	switch r {
	case 0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE:
		return '?'
	}
	if r > 0xFF {
		return '?'
	}
	return byte(r)
}

// open writes a start tag; attrs are name, value pairs.
func (x *xmlWriter) open(name string, attrs ...string) {
	x.raw("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.raw(" " + attrs[i] + `="`)
		x.text(attrs[i+1])
		x.raw(`"`)
	}
	x.raw(">")
}

func (x *xmlWriter) close(name string) { x.raw("</" + name + ">") }

// elem writes <name attrs>text</name>.
func (x *xmlWriter) elem(name, text string, attrs ...string) {
	x.open(name, attrs...)
	x.text(text)
	x.close(name)
}

// base64 writes <name>, the file's bytes in base64 with a line break every
// 76 characters as .NET's Convert.ToBase64String with line breaks does, and
// </name>. The bytes are generated as they are written, so a 200 MB file
// never sits in memory.
func (x *xmlWriter) base64(name string, f *File) {
	x.open(name)
	if x.err == nil {
		enc := base64.NewEncoder(base64.StdEncoding, &lineBreaker{w: x.w})
		x.err = f.write(enc)
		if x.err == nil {
			x.err = enc.Close()
		}
	}
	x.close(name)
}

func (x *xmlWriter) flush() error {
	if x.err == nil {
		x.err = x.w.Flush()
	}
	return x.err
}

// lineBreaker puts "\r\n" after every 76 characters written through it.
type lineBreaker struct {
	w   io.Writer
	col int
}

func (l *lineBreaker) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(76-l.col, len(p))
		m, err := l.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p, l.col = p[k:], l.col+k
		if l.col == 76 {
			if _, err := io.WriteString(l.w, "\r\n"); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// decimal writes minor units with a decimal comma: -12345 is "-123,45".
func decimal(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d,%02d", sign, cents/100, cents%100)
}

// finnishDate is d.M.yyyy, the ledger's date format.
func finnishDate(t time.Time) string { return t.Format("2.1.2006") }

// ansiDate is yyyy-MM-dd, written with format="ansi".
func ansiDate(t time.Time) string { return t.Format("2006-01-02") }
