package economic

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"bilag/connectors"
)

// The codes of the export's own answers (connectors.SendAnswer.Code)
// beside e-conomic's error codes.
const (
	// AnswerBooked: booked with the source's number.
	AnswerBooked = "booked"
	// AnswerInJournal: a voucher with the PDF, left in the journal.
	AnswerInJournal = "in_journal"
	// AnswerAlreadyBooked: e-conomic has this invoice booked already
	// under its number (the same customer and amount); nothing was sent.
	AnswerAlreadyBooked = "already_booked"
	// AnswerNumberTaken: e-conomic's invoice of that number is another
	// invoice; nothing was sent.
	AnswerNumberTaken = "number_taken"
	// AnswerAlreadyInJournal: the journal holds this invoice's voucher
	// with its file already; nothing was sent.
	AnswerAlreadyInJournal = "already_in_journal"
	// AnswerAmountDiffers: the draft e-conomic computed has another net
	// amount than the source's; it was not booked (the draft is left).
	AnswerAmountDiffers = "amount_differs"
)

// referenceOf is Bilag's mark on the draft of invoice number (its
// references.other, filterable): a draft left by a lost answer is found
// by it and used, never made twice.
func referenceOf(number string) string { return "bilag:" + number }

// SendInvoice sends inv once by the pairing's method: the invoice method
// (default; a draft, booked with the source's number, never sent by
// e-conomic) or the voucher method (a manual customer invoice voucher
// with the PDF, left in the journal). Each write is sent once; what was
// made before a lost answer (a customer, a product, a draft, a voucher)
// is found and used when the invoice is sent again.
func (e *Export) SendInvoice(ctx context.Context, g connectors.Grant, p connectors.Pairing, inv connectors.Invoice) (connectors.SendAnswer, error) {
	n, err := strconv.ParseInt(inv.Number, 10, 64)
	if err != nil || n < 1 {
		return connectors.SendAnswer{}, fmt.Errorf("economic export: invoice %q: not a number e-conomic books", inv.Number)
	}
	s := &sending{e: e, g: g, p: p, inv: inv, number: n}
	if s.d, err = e.agreementOf(ctx, g); err != nil {
		return connectors.SendAnswer{}, err
	}
	if s.l, err = e.listsOf(ctx, g, false); err != nil {
		return connectors.SendAnswer{}, err
	}
	if settingOf(p, SettingMethod) == MethodVoucher {
		return answerOf(s.voucher(ctx))
	}
	return answerOf(s.invoice(ctx))
}

// answerOf turns a refusal into the answer it is (not accepted, nothing
// made); any other error stays one.
func answerOf(ans connectors.SendAnswer, err error) (connectors.SendAnswer, error) {
	if r, ok := errors.AsType[*Refusal](err); ok {
		return r.Answer(), nil
	}
	return ans, err
}

// sending is one invoice on its way.
type sending struct {
	e      *Export
	g      connectors.Grant
	p      connectors.Pairing
	inv    connectors.Invoice
	number int64
	d      *grantData
	l      *exportLists
}

// invoice is the invoice method: a number booked already is answered
// without a write; the customer, the products and the draft are found or
// made, then the draft is booked with the source's number.
func (s *sending) invoice(ctx context.Context) (connectors.SendAnswer, error) {
	if ans, found, err := s.booked(ctx); err != nil || found {
		return ans, err
	}
	cu, err := s.customer(ctx)
	if err != nil {
		return connectors.SendAnswer{}, err
	}
	draft, err := s.draft(ctx, cu)
	if err != nil {
		return connectors.SendAnswer{}, err
	}
	if draft.NetAmount != Amount(s.inv.Total()) {
		return connectors.SendAnswer{Code: AnswerAmountDiffers, Message: fmt.Sprintf("e-conomic's draft %d has the net amount %s, the source's invoice %s; it was not booked",
			draft.DraftInvoiceNumber, draft.NetAmount, Amount(s.inv.Total()))}, nil
	}
	b, err := s.e.x.BookInvoice(ctx, s.g, draft.DraftInvoiceNumber, s.number)
	if r, ok := errors.AsType[*Refusal](err); ok {
		if _, taken := r.Field("bookWithNumber"); taken {
			return connectors.SendAnswer{Code: AnswerAlreadyBooked, Message: plain(r.Answer().Message, maxAnswerMessage)}, nil
		}
	}
	if err != nil {
		return connectors.SendAnswer{}, err
	}
	return connectors.SendAnswer{Accepted: true, Code: AnswerBooked, Reference: strconv.FormatInt(b.BookedInvoiceNumber, 10),
		Message: fmt.Sprintf("booked as invoice %d, gross %s %s", b.BookedInvoiceNumber, b.GrossAmount, b.Currency)}, nil
}

// booked answers an invoice whose number e-conomic has booked already:
// this invoice (already booked) or another (the number is taken).
func (s *sending) booked(ctx context.Context) (connectors.SendAnswer, bool, error) {
	b, err := s.e.x.BookedInvoice(ctx, s.g, s.number)
	switch {
	case errors.Is(err, connectors.ErrNotFound):
		return connectors.SendAnswer{}, false, nil
	case err != nil:
		return connectors.SendAnswer{}, false, err
	}
	same, err := s.same(ctx, b)
	if err != nil {
		return connectors.SendAnswer{}, false, err
	}
	if same {
		return connectors.SendAnswer{Code: AnswerAlreadyBooked, Reference: strconv.FormatInt(b.BookedInvoiceNumber, 10),
			Message: fmt.Sprintf("e-conomic has invoice %d booked already; it was not sent again", b.BookedInvoiceNumber)}, true, nil
	}
	return connectors.SendAnswer{Code: AnswerNumberTaken, Message: fmt.Sprintf("e-conomic's invoice %d is another invoice (%s, net %s %s); nothing was sent",
		b.BookedInvoiceNumber, clip(b.Recipient.Name, 80), b.NetAmount, b.Currency)}, true, nil
}

// same reports whether a booked invoice is this one: the same net amount
// and Bilag's reference, or the same customer (by CVR, else by name).
func (s *sending) same(ctx context.Context, b BookedInvoice) (bool, error) {
	if b.NetAmount != Amount(s.inv.Total()) {
		return false, nil
	}
	if b.References.Other == referenceOf(s.inv.Number) {
		return true, nil
	}
	if cvr := cvrOf(s.inv.Customer.OrgNumber); cvr != "" {
		cs, err := s.e.x.FindCustomers(ctx, s.g, CustomerQuery{CorporateIdentificationNumber: cvr})
		if err != nil {
			return false, err
		}
		for _, c := range cs {
			if c.CustomerNumber == b.Customer.CustomerNumber {
				return true, nil
			}
		}
		return false, nil
	}
	return strings.EqualFold(strings.TrimSpace(b.Recipient.Name), strings.TrimSpace(s.inv.Customer.Name)), nil
}

// LookUpInvoice settles a lost answer. The invoice method: the invoice
// booked with the source's number, found only when it is this invoice
// (else the answer says the number is taken). The voucher method: the
// journal's voucher for the invoice number, found when its file is there
// too (one without is resumed by sending again, which attaches only).
func (e *Export) LookUpInvoice(ctx context.Context, g connectors.Grant, p connectors.Pairing, inv connectors.Invoice) (connectors.SendAnswer, bool, error) {
	n, err := strconv.ParseInt(inv.Number, 10, 64)
	if err != nil || n < 1 {
		return connectors.SendAnswer{}, false, fmt.Errorf("economic export: look up invoice %q: not a number e-conomic books", inv.Number)
	}
	s := &sending{e: e, g: g, p: p, inv: inv, number: n}
	if settingOf(p, SettingMethod) == MethodVoucher {
		v, found, hasFile, err := s.findVoucher(ctx)
		if err != nil || !found || !hasFile {
			return connectors.SendAnswer{}, false, err
		}
		return s.voucherAnswer(v), true, nil
	}
	ans, found, err := s.booked(ctx)
	if err != nil || !found {
		return connectors.SendAnswer{}, false, err
	}
	if ans.Code == AnswerAlreadyBooked {
		ans = connectors.SendAnswer{Accepted: true, Code: AnswerBooked, Reference: ans.Reference, Message: "booked as invoice " + ans.Reference}
	}
	return ans, true, nil
}
