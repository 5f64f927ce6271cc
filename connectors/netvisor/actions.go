package netvisor

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"bilag/connectors"
)

// The portal's actions on a sales invoice Bilag sent (connectors.
// SentInvoiceActions), each one of the low-level calls of manage.go.
const (
	// ActOpen: unsent → open (updatesalesinvoicestatus.nv), which makes
	// Netvisor book the invoice's voucher (the seed).
	ActOpen = "open"
	// ActCreditLoss: written off (updatesalesinvoicestatus.nv).
	ActCreditLoss = "creditloss"
	// ActComment: a comment in the processing history
	// (salesinvoicecomment.nv).
	ActComment = connectors.ActionComment
	// ActDelete: deletesalesinvoice.nv, which Netvisor may refuse.
	ActDelete = "delete"
)

var _ connectors.SentInvoiceActions = (*Connector)(nil)
var _ connectors.InvoiceStateReader = (*Connector)(nil)

// InvoiceActions are the four actions, in the order the page offers them.
func (c *Connector) InvoiceActions() []string {
	return []string{ActOpen, ActCreditLoss, ActComment, ActDelete}
}

// creditLossFrom are the statuses an invoice can be written off from:
// those of an invoice sent and not settled (inferred: the seed lists the
// statuses but not which changes Netvisor accepts; an unsent invoice is
// deleted rather than written off, a paid one has nothing left to lose).
var creditLossFrom = []string{"open", "overdue", "reminded", "requested", "collected"}

// InvoiceState reads the invoice's status with getsalesinvoice.nv (no
// PDF) and says what may be done now: open only from unsent; credit loss
// from creditLossFrom; a comment always; delete always offered, since
// the seed does not say when Netvisor refuses it (its refusal is shown).
func (c *Connector) InvoiceState(ctx context.Context, g connectors.Grant, ref string) (string, map[string]bool, error) {
	st, err := c.InvoiceStatus(ctx, g, ref)
	if err != nil {
		return "", nil, actionErr(err)
	}
	return st, map[string]bool{
		ActOpen:       st == "unsent",
		ActCreditLoss: slices.Contains(creditLossFrom, st),
		ActComment:    true,
		ActDelete:     true,
	}, nil
}

// ActOnInvoice takes one action, once. Netvisor's refusal of the data (a
// delete it does not allow) is the answer; a change Bilag does not make
// is ErrActionInput and sends nothing.
func (c *Connector) ActOnInvoice(ctx context.Context, g connectors.Grant, ref, action, text string) (connectors.SendAnswer, error) {
	var err error
	switch action {
	case ActOpen:
		err = c.UpdateInvoiceStatus(ctx, g, ref, StatusOpen)
	case ActCreditLoss:
		if err = c.checkCreditLoss(ctx, g, ref); err == nil {
			err = c.UpdateInvoiceStatus(ctx, g, ref, StatusCreditLoss)
		}
	case ActComment:
		err = c.CommentInvoice(ctx, g, CommentInvoice, ref, text)
	case ActDelete:
		err = c.DeleteInvoice(ctx, g, ref)
	default:
		err = fmt.Errorf("netvisor: invoice action %q: %w", action, ErrNotAllowed)
	}
	if ae, ok := errors.AsType[*APIError](err); ok && !errors.Is(err, connectors.ErrAnswerLost) && refusal(ae) {
		return refusedAnswer(ae), nil
	}
	if err != nil {
		return connectors.SendAnswer{}, actionErr(err)
	}
	return connectors.SendAnswer{Accepted: true, Code: "OK"}, nil
}

// checkCreditLoss reads the status first, as UpdateInvoiceStatus does
// for open: a write-off of an invoice not in creditLossFrom is not sent.
func (c *Connector) checkCreditLoss(ctx context.Context, g connectors.Grant, ref string) error {
	st, err := c.InvoiceStatus(ctx, g, ref)
	if err != nil {
		return err
	}
	if !slices.Contains(creditLossFrom, st) {
		return fmt.Errorf("netvisor: invoice %s is %s: %w", ref, st, ErrNotAllowed)
	}
	return nil
}

// actionErr marks a change Bilag does not make as the shared
// connectors.ErrActionInput.
func actionErr(err error) error {
	if errors.Is(err, ErrNotAllowed) {
		return fmt.Errorf("%w: %w", connectors.ErrActionInput, err)
	}
	return err
}
