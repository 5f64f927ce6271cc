package economic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"bilag/connectors"
)

// voucher is the voucher method (seed 001's exportMethod=voucher): a
// manual customer invoice voucher in the paired journal with the
// invoice's PDF attached, left there for the bookkeeper (e-conomic
// documents no call that books a journal). A voucher a lost answer left
// is found in the journal by the invoice number and only its file is
// attached; one with its file is not sent again.
func (s *sending) voucher(ctx context.Context) (connectors.SendAnswer, error) {
	if s.inv.PDF == nil {
		return connectors.SendAnswer{}, fmt.Errorf("economic export: invoice %s has no PDF, which the voucher method attaches (pre-flight names it)", s.inv.Number)
	}
	journal := number(settingOf(s.p, SettingJournal))
	v, found, hasFile, err := s.findVoucher(ctx)
	switch {
	case err != nil:
		return connectors.SendAnswer{}, err
	case found && hasFile:
		ans := s.voucherAnswer(v)
		ans.Accepted, ans.Code = false, AnswerAlreadyInJournal
		return ans, nil
	case !found:
		cu, err := s.customer(ctx)
		if err != nil {
			return connectors.SendAnswer{}, err
		}
		nv, err := s.newVoucher(cu)
		if err != nil {
			return connectors.SendAnswer{}, err
		}
		if v, err = s.e.x.CreateJournalVoucher(ctx, s.g, journal, nv); err != nil {
			return connectors.SendAnswer{}, err
		}
	}
	if _, err := s.e.x.AttachVoucherPDF(ctx, s.g, journal, v.AccountingYear, v.VoucherNumber, s.inv.PDF.FileName, s.inv.PDF.Data); err != nil {
		return connectors.SendAnswer{}, err
	}
	return s.voucherAnswer(v), nil
}

// voucherAnswer names the voucher: its year and number, the journal and
// Bilag's reference.
func (s *sending) voucherAnswer(v JournalVoucher) connectors.SendAnswer {
	ref := v.AccountingYear + "-" + strconv.FormatInt(v.VoucherNumber, 10)
	return connectors.SendAnswer{Accepted: true, Code: AnswerInJournal, Reference: ref,
		Message: fmt.Sprintf("voucher %d (%s) with the PDF in journal %d, left for booking; reference %s", v.VoucherNumber, v.AccountingYear, v.Journal, referenceOf(s.inv.Number))}
}

// findVoucher is the journal's voucher for the invoice number, and
// whether its file is there.
func (s *sending) findVoucher(ctx context.Context) (JournalVoucher, bool, bool, error) {
	journal := number(settingOf(s.p, SettingJournal))
	vs, err := s.e.x.JournalVouchers(ctx, s.g, journal)
	if err != nil {
		return JournalVoucher{}, false, false, err
	}
	v, ok := FindVoucher(vs, s.number, 0)
	if !ok {
		return JournalVoucher{}, false, false, nil
	}
	_, err = s.e.x.VoucherAttachment(ctx, s.g, journal, v.AccountingYear, v.VoucherNumber)
	if errors.Is(err, connectors.ErrNotFound) {
		return v, true, false, nil
	}
	return v, err == nil, err == nil, err
}

// newVoucher is the invoice as one voucher: an entry per sales account
// and VAT code, the customer debited with the gross amount, the paired
// product group's sales account in the customer's VAT zone and the paired
// VAT code on the contra side (e-conomic splits the VAT off a gross
// amount by the contra VAT code: an inference from the entry's fields).
func (s *sending) newVoucher(cu Customer) (NewJournalVoucher, error) {
	y, ok := s.l.yearOf(s.inv.InvoiceDate.String())
	if !ok || cu.VatZone == nil {
		return NewJournalVoucher{}, fmt.Errorf("economic export: invoice %s: no accounting year or VAT zone for it (pre-flight names it)", s.inv.Number)
	}
	cur := s.inv.Customer.Currency
	if cur == "" {
		cur = cu.Currency
	}
	var order []contraKey
	net := map[contraKey]int64{}
	for _, line := range s.inv.Lines {
		k, err := s.contra(line, cu.VatZone.VatZoneNumber)
		if err != nil {
			return NewJournalVoucher{}, err
		}
		if _, seen := net[k]; !seen {
			order = append(order, k)
		}
		net[k] += line.LineAmount()
	}
	nv := NewJournalVoucher{AccountingYear: y.Year}
	for _, k := range order {
		e := ManualCustomerInvoice{Customer: &CustomerRef{cu.CustomerNumber}, CustomerInvoice: s.number, Text: clip(s.inv.Number+" "+s.inv.Customer.Name, 250),
			Amount: Amount(net[k] + s.vatOf(k.vat, net[k])), ContraAccount: &AccountRef{k.account}, Currency: &CurrencyRef{cur},
			Date: s.inv.InvoiceDate.String(), DueDate: s.inv.DueDate.String()}
		if k.vat != "" {
			e.ContraVatAccount = &VatCodeRef{k.vat}
		}
		nv.Entries = append(nv.Entries, e)
	}
	return nv, nil
}

// contraKey is an entry's contra account and VAT code.
type contraKey struct {
	account int64
	vat     string
}

// contra is a line's contra account and VAT code.
func (s *sending) contra(line connectors.InvoiceLine, zone int64) (contraKey, error) {
	var out contraKey
	group := number(s.p.Value(TableSalesAccount, strings.TrimSpace(line.SalesAccount)))
	if line.ProductNumber != "" {
		if p, ok := s.l.product(line.ProductNumber); ok && p.ProductGroup != nil {
			group = p.ProductGroup.ProductGroupNumber
		}
	}
	sa, ok := s.l.salesAccount(group, zone)
	if !ok {
		return out, fmt.Errorf("economic export: invoice %s: sales account %s has no product group with a sales account in VAT zone %d (pre-flight names it)", s.inv.Number, line.SalesAccount, zone)
	}
	out.account = sa.SalesAccount.AccountNumber
	out.vat = s.p.Value(TableVatCode, strings.TrimSpace(line.VATCode))
	return out, nil
}

// vatOf is the VAT on net, in hundredths, at the rate of code.
func (s *sending) vatOf(code string, net int64) int64 {
	v, ok := s.l.vatAccount(code)
	if code == "" || !ok {
		return 0
	}
	return int64(math.Round(float64(net) * v.RatePercentage / 100))
}
