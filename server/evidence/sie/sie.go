// Package sie writes a period's bookkeeping as an SIE file of type 4E (the
// Swedish standard, "SIE filformat ver 4B", SIE-gruppen) and reads SIE 4
// files back, so that tests can check what the writer wrote against the
// specification's own example files.
//
// What the file holds, in the order the specification gives: #FLAGGA,
// #FORMAT PC8 (code page 437), #SIETYP 4, #PROGRAM, #GEN, #FNAMN, #ORGNR
// (when known), #RAR 0 (the fiscal year, or the period when the upstream
// has no fiscal years), #OMFATTN (when the period ends before the year),
// #VALUTA (when known), #KONTO and #KTYP for every account, #IB/#UB for
// balance accounts and #RES for result accounts, and #VER with #TRANS for
// every voucher. #KPTYP is left out: no upstream tells Bilag which chart
// the company uses, and the specification makes it optional.
//
// Where Bilag's data is thin (inferences, each marked):
//   - An account whose kind the upstream does not say gets its #KTYP from
//     the BAS number (1 asset, 2 liability, 3 income, 4–8 cost).
//   - #IB is the balance when the fiscal year opens, as the specification
//     means (connectors.Account.YearOpening), also for a period that starts
//     later: a program that imports the file takes #IB as the year's
//     opening. #UB and #RES are the balances when the period ends (with
//     #OMFATTN), and a #PROSA line says the vouchers are the period's only,
//     so #IB plus the file's #TRANS is not #UB. Where the upstream could
//     not tell the year's opening (Ledger.YearOpenings false), #IB is the
//     period's and a #PROSA line says so.
//   - What the upstream could not give (Ledger.Missing) is named in #PROSA.
package sie

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"bilag/connectors"
	"bilag/server/evidence/book"
)

// ErrUnbalanced is returned, before anything is written, for a voucher
// whose debit and credit differ: the specification requires each #VER to
// balance, and a file that does not would be refused by its reader.
var ErrUnbalanced = errors.New("voucher does not balance")

// Write writes b as an SIE 4E file to w. It reads b.Vouchers twice (once
// to sum each account's movement for #UB and #RES, which come before the
// vouchers, once to write them) and holds only one voucher at a time.
func Write(ctx context.Context, w io.Writer, b book.Book) error {
	sum, err := summarize(ctx, b)
	if err != nil {
		return err
	}
	e := &encoder{w: bufio.NewWriterSize(w, 32<<10), cs: newCharset()}
	e.header(b)
	e.chart(sum)
	e.balances(sum)
	if err := e.vouchers(ctx, b); err != nil {
		return err
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err != nil {
		return fmt.Errorf("sie: write: %w", e.err)
	}
	return nil
}

// encoder builds one record at a time in buf and keeps the first write
// error, so the writing code reads as the file does.
type encoder struct {
	w   *bufio.Writer
	cs  *charset
	buf []byte
	err error
}

func (e *encoder) start(tag string) { e.buf = append(e.buf[:0], tag...) }

// word appends a field that needs no quotes (numbers, dates, plain account
// numbers); anything else is quoted.
func (e *encoder) word(s string) {
	if s == "" || strings.ContainsAny(s, " \t\"{}") || !isASCII(s) {
		e.quoted(s)
		return
	}
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, s...)
}

// quoted appends a quoted text field. A backslash at the end would escape
// the closing quotation mark, and the specification has no escape for a
// backslash, so a trailing one is written as '/' (an inference).
func (e *encoder) quoted(s string) {
	e.buf = append(e.buf, ' ', '"')
	n := len(e.buf)
	e.buf = e.cs.encode(e.buf, s)
	if len(e.buf) > n && e.buf[len(e.buf)-1] == '\\' && (len(e.buf)-n < 2 || e.buf[len(e.buf)-2] != '\\') {
		e.buf[len(e.buf)-1] = '/'
	}
	e.buf = append(e.buf, '"')
}

func (e *encoder) date(t time.Time) {
	e.buf = append(e.buf, ' ')
	e.buf = t.AppendFormat(e.buf, "20060102")
}

func (e *encoder) amount(v int64) {
	e.buf = append(e.buf, ' ')
	e.buf = appendAmount(e.buf, v)
}

// end finishes the record with CR LF, the line end of the PC files the
// specification grew from; the parser takes LF alone too.
func (e *encoder) end() {
	e.buf = append(e.buf, '\r', '\n')
	if e.err == nil {
		_, e.err = e.w.Write(e.buf)
	}
}

func (e *encoder) header(b book.Book) {
	e.start("#FLAGGA 0")
	e.end()
	e.start("#FORMAT PC8")
	e.end()
	e.start("#SIETYP 4")
	e.end()
	name, version := b.SoftwareParts()
	e.start("#PROGRAM")
	e.quoted(name)
	e.quoted(version)
	e.end()
	e.start("#GEN")
	e.date(b.Made)
	e.end()
	e.start("#FNAMN")
	e.quoted(b.Company.Name)
	e.end()
	if b.Company.OrgNumber != "" {
		e.start("#ORGNR")
		e.word(b.Company.OrgNumber)
		e.end()
	}
	e.year(b)
	e.notes(b)
}

// year writes #RAR 0 and, when the period ends before the year, #OMFATTN
// (the date the balances run to).
func (e *encoder) year(b book.Book) {
	start, end := b.From, b.To
	if !b.FiscalYear.StartDate.IsZero() {
		start, end = b.FiscalYear.StartDate, b.FiscalYear.EndDate
	}
	e.start("#RAR 0")
	e.date(start)
	e.date(end)
	e.end()
	if b.To.Before(end) {
		e.start("#OMFATTN")
		e.date(b.To)
		e.end()
	}
	if b.Ledger.Currency != "" {
		e.start("#VALUTA")
		e.word(b.Ledger.Currency)
		e.end()
	}
}

// notes says in #PROSA (free text) what a reader must know: an opening
// balance taken at a period's start rather than the year's, and what the
// upstream could not give.
func (e *encoder) notes(b book.Book) {
	fy := b.FiscalYear.StartDate
	if !fy.IsZero() && b.From.After(fy) {
		e.start("#PROSA")
		e.quoted("Verifikationer för perioden " + b.From.Format("2006-01-02") + " till " + b.To.Format("2006-01-02"))
		e.end()
		e.start("#PROSA")
		if b.Ledger.YearOpenings {
			e.quoted("IB avser räkenskapsårets början, UB och RES periodens slut")
		} else {
			e.quoted("IB avser saldo vid periodens början " + b.From.Format("2006-01-02"))
		}
		e.end()
	}
	for _, m := range b.Ledger.Missing {
		e.start("#PROSA")
		e.quoted("Saknas hos källsystemet: " + m)
		e.end()
	}
}

func (e *encoder) chart(sum *summary) {
	for _, a := range sum.accounts {
		e.start("#KONTO")
		e.word(a.number)
		e.quoted(a.name)
		e.end()
		if t := ktyp(a); t != "" {
			e.start("#KTYP")
			e.word(a.number)
			e.word(t)
			e.end()
		}
	}
}

func (e *encoder) balances(sum *summary) {
	for _, a := range sum.accounts {
		if isResult(a) {
			e.start("#RES 0")
			e.word(a.number)
			e.amount(a.opening + a.movement)
			e.end()
			continue
		}
		e.start("#IB 0")
		e.word(a.number)
		e.amount(a.yearOpening)
		e.end()
		e.start("#UB 0")
		e.word(a.number)
		e.amount(a.opening + a.movement)
		e.end()
	}
}

func (e *encoder) vouchers(ctx context.Context, b book.Book) error {
	for v, err := range b.Vouchers {
		if err != nil {
			return fmt.Errorf("sie: read vouchers: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sie: %w", err)
		}
		e.voucher(v)
		if e.err != nil {
			return fmt.Errorf("sie: write: %w", e.err)
		}
	}
	return nil
}

// voucher writes one #VER and its rows. A row with both a debit and a
// credit becomes two #TRANS so the file's totals are the upstream's.
func (e *encoder) voucher(v connectors.Voucher) {
	e.start("#VER")
	e.quoted(v.Series)
	e.quoted(voucherNumber(v))
	e.date(v.Date)
	e.quoted(v.Text)
	e.end()
	e.start("{")
	e.end()
	for _, r := range v.Rows {
		if r.Debit != 0 || r.Credit == 0 {
			e.trans(v, r, r.Debit)
		}
		if r.Credit != 0 {
			e.trans(v, r, -r.Credit)
		}
	}
	e.start("}")
	e.end()
}

func (e *encoder) trans(v connectors.Voucher, r connectors.VoucherRow, amount int64) {
	e.start("   #TRANS")
	e.word(r.Account)
	e.buf = append(e.buf, " {}"...)
	e.amount(amount)
	if r.Text != "" {
		e.date(v.Date)
		e.quoted(r.Text)
	}
	e.end()
}

// voucherNumber is the number without its series: connectors.Voucher
// carries "A123" where SIE wants series "A" and number "123".
func voucherNumber(v connectors.Voucher) string {
	n := strings.TrimSpace(strings.TrimPrefix(v.Number, v.Series))
	if n == "" {
		return v.Number
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// appendAmount writes minor units as the specification's amount: a point
// and two decimals, a leading minus for credit.
func appendAmount(dst []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = uint64(-v)
	}
	dst = strconv.AppendUint(dst, u/100, 10)
	return append(dst, '.', byte('0'+u%100/10), byte('0'+u%10))
}
