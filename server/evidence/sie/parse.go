package sie

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// File is what Parse reads from an SIE 4 file: enough to check a written
// file against its book and the specification's example files against
// themselves. Amounts are in minor units (öre), debit positive.
type File struct {
	Flag, Format, Type string
	// Program is #PROGRAM's name and version.
	Program     [2]string
	Generated   time.Time
	CompanyName string
	OrgNumber   string
	// Years are the #RAR years by their index (0 this year, -1 the last).
	Years    map[int][2]time.Time
	Accounts map[string]*Account
	Vouchers []Voucher
	// Notes are the #PROSA texts.
	Notes []string
}

// Account is one #KONTO with its #KTYP and balances by year index.
type Account struct {
	Number, Name, Type string
	IB, UB, RES        map[int]int64
}

// Voucher is one #VER.
type Voucher struct {
	Series, Number string
	Date           time.Time
	Text           string
	Trans          []Trans
}

// Trans is one #TRANS row.
type Trans struct {
	Account string
	Amount  int64
	Text    string
}

// Sum is the voucher's debit minus its credit: zero when it balances.
func (v Voucher) Sum() int64 {
	var s int64
	for _, t := range v.Trans {
		s += t.Amount
	}
	return s
}

// Parse reads an SIE 4 file (4E or 4I) in code page 437, the only
// character set the specification allows. It knows the records the
// writer writes and the example files use; others (#SRU, #DIM, #PSALDO,
// #RTRANS and #BTRANS, whose #TRANS twin carries the row) are skipped.
func Parse(r io.Reader) (*File, error) {
	p := &parser{cs: newCharset(), f: &File{
		Years:    map[int][2]time.Time{},
		Accounts: map[string]*Account{},
	}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(p.cs.decode(sc.Bytes()), "\r")
		if err := p.line(fields(line)); err != nil {
			return nil, fmt.Errorf("sie: line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sie: read: %w", err)
	}
	if p.ver != nil {
		return nil, errors.New("sie: the last #VER has no closing brace")
	}
	return p.f, nil
}

type parser struct {
	cs  *charset
	f   *File
	ver *Voucher // the #VER whose braces are open
}

func (p *parser) line(fs []string) error {
	if len(fs) == 0 {
		return nil
	}
	switch fs[0] {
	case "{":
		return nil
	case "}":
		if p.ver == nil {
			return errors.New("closing brace without #VER")
		}
		p.f.Vouchers = append(p.f.Vouchers, *p.ver)
		p.ver = nil
		return nil
	case "#VER":
		return p.voucher(fs)
	case "#TRANS":
		return p.trans(fs)
	case "#IB", "#UB", "#RES":
		return p.balance(fs)
	case "#KONTO", "#KTYP":
		return p.account(fs)
	}
	return p.header(fs)
}

func (p *parser) header(fs []string) error {
	f := p.f
	switch fs[0] {
	case "#FLAGGA":
		f.Flag = arg(fs, 1)
	case "#FORMAT":
		f.Format = arg(fs, 1)
	case "#SIETYP":
		f.Type = arg(fs, 1)
	case "#PROGRAM":
		f.Program = [2]string{arg(fs, 1), arg(fs, 2)}
	case "#FNAMN":
		f.CompanyName = arg(fs, 1)
	case "#ORGNR":
		f.OrgNumber = arg(fs, 1)
	case "#PROSA":
		f.Notes = append(f.Notes, strings.Join(fs[1:], " "))
	case "#GEN":
		t, err := parseDate(arg(fs, 1))
		f.Generated = t
		return err
	case "#RAR":
		return p.year(fs)
	}
	return nil
}

func (p *parser) year(fs []string) error {
	i, err := strconv.Atoi(arg(fs, 1))
	if err != nil {
		return fmt.Errorf("#RAR year index: %w", err)
	}
	start, err := parseDate(arg(fs, 2))
	if err != nil {
		return err
	}
	end, err := parseDate(arg(fs, 3))
	p.f.Years[i] = [2]time.Time{start, end}
	return err
}

func (p *parser) acct(number string) *Account {
	a := p.f.Accounts[number]
	if a == nil {
		a = &Account{Number: number, IB: map[int]int64{}, UB: map[int]int64{}, RES: map[int]int64{}}
		p.f.Accounts[number] = a
	}
	return a
}

func (p *parser) account(fs []string) error {
	if arg(fs, 1) == "" {
		return fmt.Errorf("%s without an account number", fs[0])
	}
	a := p.acct(fs[1])
	if fs[0] == "#KONTO" {
		a.Name = arg(fs, 2)
	} else {
		a.Type = arg(fs, 2)
	}
	return nil
}

func (p *parser) balance(fs []string) error {
	i, err := strconv.Atoi(arg(fs, 1))
	if err != nil {
		return fmt.Errorf("%s year index: %w", fs[0], err)
	}
	v, err := parseAmount(arg(fs, 3))
	if err != nil {
		return err
	}
	a := p.acct(arg(fs, 2))
	map[string]map[int]int64{"#IB": a.IB, "#UB": a.UB, "#RES": a.RES}[fs[0]][i] = v
	return nil
}

func (p *parser) voucher(fs []string) error {
	if p.ver != nil {
		return errors.New("#VER inside another #VER")
	}
	d, err := parseDate(arg(fs, 3))
	if err != nil {
		return err
	}
	p.ver = &Voucher{Series: arg(fs, 1), Number: arg(fs, 2), Date: d, Text: arg(fs, 4)}
	return nil
}

// trans reads "#TRANS kontonr {objektlista} belopp transdat transtext".
func (p *parser) trans(fs []string) error {
	if p.ver == nil {
		return errors.New("#TRANS outside a #VER")
	}
	v, err := parseAmount(arg(fs, 3))
	if err != nil {
		return err
	}
	p.ver.Trans = append(p.ver.Trans, Trans{Account: arg(fs, 1), Amount: v, Text: arg(fs, 5)})
	return nil
}

func arg(fs []string, i int) string {
	if i < len(fs) {
		return fs[i]
	}
	return ""
}

// fields splits a record into its fields: words, "quoted text" with \"
// for a quotation mark inside, and {object lists} kept whole.
func fields(line string) []string {
	var out []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '"':
			s, n := quotedField(line[i+1:])
			out = append(out, s)
			i += n + 1
		case c == '{' && len(out) > 0:
			j := strings.IndexByte(line[i:], '}')
			if j < 0 {
				j = len(line) - i - 1
			}
			out = append(out, line[i:i+j+1])
			i += j + 1
		default:
			j := strings.IndexAny(line[i:], " \t")
			if j < 0 {
				j = len(line) - i
			}
			out = append(out, line[i:i+j])
			i += j
		}
	}
	return out
}

// quotedField reads up to the closing quotation mark and returns the text
// and how many bytes it used (the closing mark included).
func quotedField(s string) (string, int) {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
			sb.WriteByte('"')
			i++
		case s[i] == '"':
			return sb.String(), i + 1
		default:
			sb.WriteByte(s[i])
		}
	}
	return sb.String(), len(s)
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("20060102", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", s, err)
	}
	return t, nil
}

// parseAmount reads "-1234.5" as -123450 minor units. More than two
// decimals (other than zeros) is an error rather than a rounding.
func parseAmount(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 2 {
		return 0, fmt.Errorf("amount %q has more than two decimals", s)
	}
	frac += "00"[len(frac):]
	neg := strings.HasPrefix(whole, "-")
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimPrefix(whole, "-"), "+")+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	if neg {
		n = -n
	}
	return n, nil
}
