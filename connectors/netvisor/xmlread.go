package netvisor

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"bilag/connectors"
)

// utf8Body turns an answer's body into UTF-8. Netvisor writes ISO-8859-15
// (Resources – General); the XML declaration's encoding wins, then the
// Content-Type's charset, then that default.
func utf8Body(body io.Reader, contentType string) io.Reader {
	br := bufio.NewReaderSize(body, 512)
	head, _ := br.Peek(256)
	enc := ""
	if m := declEncoding().FindSubmatch(head); m != nil {
		enc = string(m[1])
	} else if _, params, err := mime.ParseMediaType(contentType); err == nil {
		enc = params["charset"]
	}
	if strings.EqualFold(enc, "utf-8") || strings.EqualFold(enc, "utf8") {
		return br
	}
	return &latin9Reader{r: br}
}

// declEncoding finds the XML declaration's encoding; compiled on first
// use, not when the program starts.
var declEncoding = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']`)
})

// latin9Reader decodes ISO-8859-15 to UTF-8. Base64 is ASCII, so the
// hundreds of megabytes of a large attachment take the fast path.
type latin9Reader struct {
	r   io.Reader
	buf []byte
	// pend is what a read too small for a whole character left over.
	pend []byte
}

func (l *latin9Reader) Read(p []byte) (int, error) {
	if len(l.pend) > 0 {
		n := copy(p, l.pend)
		l.pend = l.pend[n:]
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) < utf8.UTFMax {
		// Too small for a character of three bytes (the readers above
		// rarely ask for so little): one byte, the rest kept.
		var one [1]byte
		m, err := l.r.Read(one[:])
		if m == 0 {
			return 0, err
		}
		var enc [utf8.UTFMax]byte
		k := utf8.EncodeRune(enc[:], latin9Rune(one[0]))
		n := copy(p, enc[:k])
		l.pend = append(l.pend[:0], enc[n:k]...)
		return n, err
	}
	n := len(p) / utf8.UTFMax
	if cap(l.buf) < n {
		l.buf = make([]byte, n)
	}
	m, err := l.r.Read(l.buf[:n])
	src := l.buf[:m]
	ascii := true
	for _, b := range src {
		if b >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return copy(p, src), err
	}
	out := 0
	for _, b := range src {
		if b < 0x80 {
			p[out] = b
			out++
			continue
		}
		out += utf8.EncodeRune(p[out:], latin9Rune(b))
	}
	return out, err
}

// latin9Rune is the character of an ISO-8859-15 byte of 0x80 and above:
// Latin-1 but for eight code points.
func latin9Rune(b byte) rune {
	switch b {
	case 0xA4:
		return '€'
	case 0xA6:
		return 'Š'
	case 0xA8:
		return 'š'
	case 0xB4:
		return 'Ž'
	case 0xB8:
		return 'ž'
	case 0xBC:
		return 'Œ'
	case 0xBD:
		return 'œ'
	case 0xBE:
		return 'Ÿ'
	}
	return rune(b)
}

// textReader reads the text of the element whose start tag the decoder
// just returned, straight from the reader below the decoder, up to the
// next '<'. xml.Decoder.Token would return a 270 MB base64 text as one
// token; this hands it over in the reader's own chunks. The decoder
// reads no further than a start tag's '>', so it resumes at the end tag.
// Base64 needs no entities; spaces and tabs, which base64.NewDecoder does
// not skip (it skips line breaks), are dropped here.
type textReader struct {
	br   *bufio.Reader
	done bool
}

func (t *textReader) Read(p []byte) (int, error) {
	for {
		if t.done {
			return 0, io.EOF
		}
		if t.br.Buffered() == 0 {
			if _, err := t.br.Peek(1); err != nil {
				if err == io.EOF {
					// The answer arrived whole, as long as its length
					// said, and ends inside the element.
					err = errEndsInText
				}
				return 0, err
			}
		}
		chunk, _ := t.br.Peek(min(t.br.Buffered(), len(p)))
		if i := bytes.IndexByte(chunk, '<'); i >= 0 {
			chunk, t.done = chunk[:i], true
		}
		n := copy(p, chunk)
		_, _ = t.br.Discard(n)
		if bytes.ContainsAny(p[:n], " \t") {
			n = len(dropSpace(p[:n]))
		}
		if n > 0 || t.done {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
	}
}

func dropSpace(b []byte) []byte {
	out := b[:0]
	for _, c := range b {
		if c != ' ' && c != '\t' {
			out = append(out, c)
		}
	}
	return out
}

// limits bound what the connector reads of an answer whole, through its
// XML decoder: a part longer than its bound fails as it is read, so that
// an over-long element costs at most its bound, never the whole of it
// (xml.Decoder holds a text as one token, and DecodeElement a string in
// full, several times over while they grow). Files are not among them:
// their base64 streams past the decoder (textReader).
type limits struct {
	// head is the answer up to the end of its ResponseStatus: the
	// declaration, the root and the Status texts, a failure's message
	// among them (a few hundred bytes).
	head int64
	// token is one text or tag read on the way to an element Bilag wants.
	token int64
	// voucher is one voucher of the ledger, its lines included.
	voucher int64
	// field is one small element read whole: a file's name or type.
	field int64
	// answer is all the decoder reads of one answer: a year's ledger, the
	// largest answer held in memory (Netvisor's ledger has no pages).
	answer int64
}

func defaultLimits() limits {
	return limits{head: 64 << 10, token: 1 << 20, voucher: 4 << 20, field: 64 << 10, answer: 256 << 20}
}

// tooLongError: a part of an answer that Bilag reads whole is longer than
// it allows. It is an answer Bilag cannot use.
type tooLongError struct {
	what  string
	limit int64
}

func (e *tooLongError) Error() string {
	return fmt.Sprintf("%s longer than %d bytes", e.what, e.limit)
}

// Is makes errors.Is(err, connectors.ErrBadAnswer) true.
func (e *tooLongError) Is(target error) bool { return target == connectors.ErrBadAnswer }

// boundedReader is what an answer's decoder reads from: the answer's
// bufio.Reader, up to the bound its caller set for the token or element
// about to be read, and up to the answer's own.
type boundedReader struct {
	br          *bufio.Reader
	what        string
	limit, left int64
	total, all  int64
}

// bound lets the next read take at most limit bytes, which what names.
func (b *boundedReader) bound(what string, limit int64) {
	b.what, b.limit, b.left = what, limit, limit
}

func (b *boundedReader) check() error {
	if b.all <= 0 {
		return &tooLongError{what: "answer", limit: b.total}
	}
	if b.left <= 0 {
		return &tooLongError{what: b.what, limit: b.limit}
	}
	return nil
}

// ReadByte is what xml.Decoder reads with.
func (b *boundedReader) ReadByte() (byte, error) {
	if err := b.check(); err != nil {
		return 0, err
	}
	c, err := b.br.ReadByte()
	if err == nil {
		b.left--
		b.all--
	}
	return c, err
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if err := b.check(); err != nil {
		return 0, err
	}
	n, err := b.br.Read(p[:min(int64(len(p)), b.left, b.all)])
	b.left -= int64(n)
	b.all -= int64(n)
	return n, err
}

// xmlReader is an answer's decoder with the bounds of what it reads.
type xmlReader struct {
	dec *xml.Decoder
	in  *boundedReader
	lim limits
}

func newXMLReader(br *bufio.Reader, lim limits) *xmlReader {
	in := &boundedReader{br: br, total: lim.answer, all: lim.answer}
	dec := xml.NewDecoder(in)
	// utf8Body has already decoded the body; the declaration's encoding
	// must not be applied twice, nor the bounds left behind.
	dec.CharsetReader = func(string, io.Reader) (io.Reader, error) { return in, nil }
	return &xmlReader{dec: dec, in: in, lim: lim}
}

// token is the next token, a text or a tag of at most lim.token bytes.
func (x *xmlReader) token() (xml.Token, error) {
	x.in.bound("a text or tag", x.lim.token)
	return x.dec.Token()
}

// element decodes the element se starts into v, whole, if it is at most
// limit bytes long.
func (x *xmlReader) element(v any, se *xml.StartElement, limit int64) error {
	x.in.bound("element <"+se.Name.Local+">", limit)
	return x.dec.DecodeElement(v, se)
}

// status reads up to the end of ResponseStatus, at most lim.head bytes
// from the answer's start, and returns its Status texts: ["OK"], or
// ["FAILED", "CODE :: message"].
func (x *xmlReader) status() ([]string, error) {
	x.in.bound("the answer's status", x.lim.head)
	var status []string
	in := false
	for {
		tok, err := x.dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case strings.EqualFold(t.Name.Local, "ResponseStatus"):
				in = true
			case in && strings.EqualFold(t.Name.Local, "Status"):
				var s string
				if err := x.dec.DecodeElement(&s, &t); err != nil {
					return nil, err
				}
				status = append(status, strings.TrimSpace(s))
			}
		case xml.EndElement:
			if strings.EqualFold(t.Name.Local, "ResponseStatus") {
				return status, nil
			}
		}
	}
}

// errEndsInText: an answer ended inside an element's text (a file's
// base64): not a lost answer but one Bilag cannot use.
var errEndsInText = fmt.Errorf("answer ends inside an element's text: %w", connectors.ErrBadAnswer)

// errNoElement: an answer ended without the element asked for.
var errNoElement = errors.New("element not in the answer")

// nvDate reads Netvisor's dates: d.M.yyyy, or yyyy-MM-dd when the element
// says format="ansi" (and, defensively, whenever the text has that shape).
type nvDate struct{ time.Time }

func (d *nvDate) UnmarshalXML(dec *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := dec.DecodeElement(&s, &start); err != nil {
		return err
	}
	t, err := parseDate(s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", "2.1.2006", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("unknown date format " + strconv.Quote(s))
}

// parseAmount reads a decimal with a comma ("-1 234,56", "100,00"; a point
// is read too) into minor units.
func parseAmount(s string) (int64, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f':
			return -1
		case ',':
			return '.'
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return v, nil
}
