// Package saft writes a period's bookkeeping as a Norwegian SAF-T
// Financial file, version 1.30, as Skatteetaten defines it
// (Norwegian_SAF-T_Financial_Schema_v_1.30.xsd, kept in testdata with its
// source; the tests validate written files against it with xmllint).
//
// Mandatory by the XSD, and where each comes from:
//   - Header: AuditFileVersion (1.30), AuditFileCountry (NO),
//     AuditFileDateCreated (Book.Made), SoftwareCompanyName, SoftwareID and
//     SoftwareVersion (Book.Software), Company with RegistrationNumber
//     (the organisation number: Write refuses a company without one), Name
//     and at least one Contact with a ContactPerson (FirstName, LastName),
//     DefaultCurrencyCode (Ledger.Currency, NOK when the upstream does not
//     say), SelectionCriteria (the period's dates) and TaxAccountingBasis
//     ("A", the only value).
//   - Per account: AccountID, AccountDescription, GroupingCategory and
//     GroupingCode (see grouping.go), AccountType ("GL"), an opening and a
//     closing balance (debit or credit).
//   - Per customer and supplier: Name and CustomerID / SupplierID.
//   - GeneralLedgerEntries: NumberOfEntries, TotalDebit, TotalCredit; per
//     Journal: JournalID, Description, Type; per Transaction:
//     TransactionID (unique in the file, an xs:key), Period, PeriodYear,
//     TransactionDate, Description, SystemEntryDate, GLPostingDate and at
//     least one Line (RecordID, AccountID, which must name an account of
//     MasterFiles, an xs:keyref; Description; DebitAmount or CreditAmount).
//
// Where Bilag's data is thin (inferences, each marked):
//   - No upstream gives a contact person. The schema's own rule for an
//     unstructured name is FirstName "NotUsed" and the name in LastName;
//     the company's name stands there until the firm's contact is known.
//   - SystemEntryDate and GLPostingDate are the voucher date, as the XSD
//     says to do when the system does not have them; ModificationDate is
//     the upstream's modification time when it has one.
//   - Rows name no customer or supplier, so Lines carry no CustomerID or
//     SupplierID, and parties carry no BalanceAccount.
//   - Ledger.Missing is said in HeaderComment.
package saft

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bilag/connectors"
	"bilag/server/evidence/book"
)

// Errors Write returns before writing anything.
var (
	ErrNoOrgNumber = errors.New("the company has no organisation number, which SAF-T's Header/Company/RegistrationNumber requires")
	ErrUnbalanced  = errors.New("voucher does not balance")
)

// The XSD's text lengths (SAFcodeType … SAFlongtextType).
const (
	code   = 9
	short  = 18
	mid1   = 35
	mid2   = 70
	long   = 256
	months = 12
)

// Write writes b as a SAF-T Financial 1.30 file to w. It reads b.Vouchers
// twice: once for the totals and balances, which come first in the file,
// once for the entries, and holds one voucher at a time.
func Write(ctx context.Context, w io.Writer, b book.Book) error {
	if strings.TrimSpace(b.Company.OrgNumber) == "" {
		return fmt.Errorf("saft: %w", ErrNoOrgNumber)
	}
	sum, err := summarize(ctx, b)
	if err != nil {
		return err
	}
	e := &encoder{w: bufio.NewWriterSize(w, 32<<10)}
	e.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<AuditFile xmlns="urn:StandardAuditFile-Taxation-Financial:NO">` + "\n")
	e.header(b)
	e.masterFiles(b, sum)
	if err := e.entries(ctx, b, sum); err != nil {
		return err
	}
	e.raw("</AuditFile>\n")
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err != nil {
		return fmt.Errorf("saft: write: %w", e.err)
	}
	return nil
}

// encoder writes elements one by one and keeps the first write error.
type encoder struct {
	w   *bufio.Writer
	buf []byte
	val []byte // a date or amount being formatted
	err error
}

func (e *encoder) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *encoder) open(tag string) {
	e.buf = append(append(append(e.buf[:0], '<'), tag...), '>', '\n')
	e.flushBuf()
}

func (e *encoder) close(tag string) {
	e.buf = append(append(append(e.buf[:0], '<', '/'), tag...), '>', '\n')
	e.flushBuf()
}

func (e *encoder) flushBuf() {
	if e.err == nil {
		_, e.err = e.w.Write(e.buf)
	}
}

// text writes <tag>s</tag>, escaped and cut to max characters (the XSD's
// maxLength counts characters).
func (e *encoder) text(tag, s string, max int) {
	e.buf = append(append(append(e.buf[:0], '<'), tag...), '>')
	e.buf = appendEscaped(e.buf, s, max)
	e.buf = append(append(append(e.buf, '<', '/'), tag...), '>', '\n')
	e.flushBuf()
}

// plain writes <tag>v</tag> for a value that needs no escaping.
func (e *encoder) plain(tag string, v []byte) {
	e.buf = append(append(append(e.buf[:0], '<'), tag...), '>')
	e.buf = append(e.buf, v...)
	e.buf = append(append(append(e.buf, '<', '/'), tag...), '>', '\n')
	e.flushBuf()
}

func (e *encoder) date(tag string, t time.Time) {
	e.val = t.AppendFormat(e.val[:0], "2006-01-02")
	e.plain(tag, e.val)
}

func (e *encoder) amount(tag string, v int64) {
	e.val = appendAmount(e.val[:0], v)
	e.plain(tag, e.val)
}

func (e *encoder) number(tag string, n int) {
	e.val = strconv.AppendInt(e.val[:0], int64(n), 10)
	e.plain(tag, e.val)
}

func (e *encoder) header(b book.Book) {
	e.open("Header")
	e.text("AuditFileVersion", "1.30", code)
	e.text("AuditFileCountry", "NO", 2)
	e.date("AuditFileDateCreated", b.Made)
	name, version := b.SoftwareParts()
	if version == "" {
		version = "unknown" // the header's SoftwareVersion is required
	}
	e.text("SoftwareCompanyName", name, mid2)
	e.text("SoftwareID", name, long)
	e.text("SoftwareVersion", version, short)
	e.open("Company")
	e.text("RegistrationNumber", b.Company.OrgNumber, mid1)
	e.text("Name", b.Company.Name, long)
	e.open("Contact")
	e.open("ContactPerson")
	e.text("FirstName", "NotUsed", mid1)
	e.text("LastName", b.Company.Name, mid2)
	e.close("ContactPerson")
	e.close("Contact")
	e.close("Company")
	e.text("DefaultCurrencyCode", currency(b), 3)
	e.open("SelectionCriteria")
	e.date("SelectionStartDate", b.From)
	e.date("SelectionEndDate", b.To)
	e.close("SelectionCriteria")
	if len(b.Ledger.Missing) > 0 {
		e.text("HeaderComment", "Not given by the upstream system: "+strings.Join(b.Ledger.Missing, ", "), long)
	}
	e.text("TaxAccountingBasis", "A", short)
	e.close("Header")
}

func currency(b book.Book) string {
	if len(b.Ledger.Currency) == 3 {
		return b.Ledger.Currency
	}
	return "NOK"
}

func (e *encoder) masterFiles(b book.Book, sum *summary) {
	e.open("MasterFiles")
	e.open("GeneralLedgerAccounts")
	classes := classTable()
	for _, a := range sum.accounts {
		g := groupingOf(classes, a.number, a.kind)
		e.open("Account")
		e.text("AccountID", a.number, mid2)
		e.text("AccountDescription", a.name, long)
		e.text("GroupingCategory", g.category, long)
		e.text("GroupingCode", g.code, mid1)
		e.text("AccountType", "GL", short)
		e.balance("Opening", a.opening)
		e.balance("Closing", a.opening+a.movement)
		e.close("Account")
	}
	e.close("GeneralLedgerAccounts")
	e.parties(b.Ledger.Parties, connectors.PartyCustomer, "Customers", "Customer", "CustomerID")
	e.parties(b.Ledger.Parties, connectors.PartySupplier, "Suppliers", "Supplier", "SupplierID")
	e.close("MasterFiles")
}

// balance writes a debit balance, or a credit one as a positive amount.
func (e *encoder) balance(when string, v int64) {
	if v < 0 {
		e.amount(when+"CreditBalance", -v)
		return
	}
	e.amount(when+"DebitBalance", v)
}

// parties writes the customers or suppliers, each ID once (an xs:key);
// one without an ID cannot be written and is left out.
func (e *encoder) parties(ps []connectors.Party, role connectors.PartyRole, group, tag, idTag string) {
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Role != role || p.ID == "" || seen[p.ID] {
			continue
		}
		if len(seen) == 0 {
			e.open(group)
		}
		seen[p.ID] = true
		e.open(tag)
		if p.OrgNumber != "" {
			e.text("RegistrationNumber", p.OrgNumber, mid1)
		}
		e.text("Name", p.Name, long)
		if len(p.Country) == 2 {
			e.open("Address")
			e.text("Country", p.Country, 2)
			e.close("Address")
		}
		e.text(idTag, p.ID, mid1)
		e.close(tag)
	}
	if len(seen) > 0 {
		e.close(group)
	}
}

func (e *encoder) entries(ctx context.Context, b book.Book, sum *summary) error {
	e.open("GeneralLedgerEntries")
	e.number("NumberOfEntries", sum.entries)
	e.amount("TotalDebit", sum.debit)
	e.amount("TotalCredit", sum.credit)
	j := journals{e: e}
	i := 0
	for v, err := range b.Vouchers {
		if err != nil {
			return fmt.Errorf("saft: read vouchers: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("saft: %w", err)
		}
		j.next(v.Series)
		e.transaction(b, v, sum.transactionID(v, i))
		i++
		if e.err != nil {
			return fmt.Errorf("saft: write: %w", e.err)
		}
	}
	j.end()
	e.close("GeneralLedgerEntries")
	return nil
}

// journals opens a Journal for each run of vouchers of one series: the
// vouchers come in date order, not grouped, and streaming them keeps the
// file's memory bounded. A series may so have more than one Journal with
// the same JournalID, which the XSD allows.
type journals struct {
	e      *encoder
	series string
	isOpen bool
}

func (j *journals) next(series string) {
	if j.isOpen && series == j.series {
		return
	}
	j.end()
	j.series, j.isOpen = series, true
	id, desc := series, "Series "+series
	if series == "" {
		id, desc = "GL", "General ledger"
	}
	j.e.open("Journal")
	j.e.text("JournalID", id, short)
	j.e.text("Description", desc, long)
	j.e.text("Type", "GL", code)
}

func (j *journals) end() {
	if j.isOpen {
		j.e.close("Journal")
		j.isOpen = false
	}
}

func (e *encoder) transaction(b book.Book, v connectors.Voucher, id string) {
	e.open("Transaction")
	e.text("TransactionID", id, mid2)
	e.number("Period", period(b.FiscalYear.StartDate, v.Date))
	e.number("PeriodYear", v.Date.Year())
	e.date("TransactionDate", v.Date)
	if v.UpstreamType != "" {
		e.text("VoucherType", v.UpstreamType, mid2)
	}
	e.text("Description", v.Text, long)
	e.date("SystemEntryDate", v.Date)
	e.date("GLPostingDate", v.Date)
	if !v.ModifiedAt.IsZero() {
		e.date("ModificationDate", v.ModifiedAt)
	}
	n := 0
	for _, r := range v.Rows {
		// A row with both a debit and a credit becomes two Lines, so the
		// file's totals are the upstream's.
		if r.Debit != 0 || r.Credit == 0 {
			n++
			e.line(v, r, n, "DebitAmount", r.Debit)
		}
		if r.Credit != 0 {
			n++
			e.line(v, r, n, "CreditAmount", r.Credit)
		}
	}
	e.close("Transaction")
}

func (e *encoder) line(v connectors.Voucher, r connectors.VoucherRow, n int, side string, amount int64) {
	e.open("Line")
	e.number("RecordID", n)
	e.text("AccountID", r.Account, mid2)
	text := r.Text
	if text == "" {
		text = v.Text
	}
	e.text("Description", text, long)
	e.open(side)
	e.amount("Amount", amount)
	e.close(side)
	e.close("Line")
}

// period is the accounting period: the month of the fiscal year (1 for its
// first month), or the calendar month when the upstream has no years.
func period(yearStart, d time.Time) int {
	if yearStart.IsZero() {
		return int(d.Month())
	}
	p := (d.Year()-yearStart.Year())*months + int(d.Month()) - int(yearStart.Month()) + 1
	if p < 1 {
		return int(d.Month())
	}
	return p
}

// appendEscaped appends s as XML text, cut to max characters; characters
// XML 1.0 does not allow are left out.
func appendEscaped(dst []byte, s string, max int) []byte {
	n := 0
	for _, r := range s {
		if n == max {
			break
		}
		n++
		switch {
		case r == '&':
			dst = append(dst, "&amp;"...)
		case r == '<':
			dst = append(dst, "&lt;"...)
		case r == '>':
			dst = append(dst, "&gt;"...)
		case r == utf8.RuneError, r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xFFFE, r == 0xFFFF:
			n--
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// appendAmount writes minor units as xs:decimal with two decimals.
func appendAmount(dst []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = uint64(-v)
	}
	dst = strconv.AppendUint(dst, u/100, 10)
	return append(dst, '.', byte('0'+u%100/10), byte('0'+u%10))
}
