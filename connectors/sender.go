package connectors

import (
	"context"
	"errors"
)

// InvoiceSender carries invoices into the books of the grant's company: it
// maps the neutral Invoice to its system's own format and sends it. Unlike
// every reading capability it writes, and sending is not idempotent: the
// connector never repeats a send on its own, nothing above it does either,
// and an answer that was lost is looked up (InvoiceLookup) where the
// system allows it before anything is sent again.
type InvoiceSender interface {
	Connector
	// ValidateInvoices checks a whole batch against the system's rules and
	// the grant's settings, all at once: one InvoiceCheck per invoice, in
	// order, with every finding per invoice, line and field (and across
	// invoices, such as a number used twice). It writes nothing upstream.
	// An error is a fault (the grant, Bilag's own records), not a finding.
	ValidateInvoices(ctx context.Context, g Grant, batch []Invoice) ([]InvoiceCheck, error)
	// SendInvoice sends one invoice once, under the company's pairing p
	// for this system (empty for a connector that is no Pairer). An answer
	// the upstream gave (accepted or refused) is a SendAnswer; an error is
	// a failure before or after sending: ErrAnswerLost (query.go) when the
	// invoice may exist upstream, anything else when it was not sent.
	SendInvoice(ctx context.Context, g Grant, p Pairing, inv Invoice) (SendAnswer, error)
	// InvoiceTarget names where the grant's invoices go (a host, a URL, an
	// agreement), for the pages and the history. It is not secret.
	InvoiceTarget(g Grant) string
	// ExampleInvoice is an invoice as this connector takes it, its own
	// extension filled in: Bilag's upload templates and its one-invoice
	// form are written from it.
	ExampleInvoice() Invoice
}

// InvoiceLookup is implemented by an InvoiceSender whose system can say
// whether an invoice it may have received is there (e-conomic's invoice
// booked with the source's number). Bilag looks up an invoice whose answer
// was lost before it sends it again.
type InvoiceLookup interface {
	// LookUpInvoice reports whether inv is in the books: found, with the
	// system's answer about it (Accepted, its Reference); not found, when
	// it may be sent. An error leaves the outcome unknown.
	// p is the pairing it was sent under.
	LookUpInvoice(ctx context.Context, g Grant, p Pairing, inv Invoice) (ans SendAnswer, found bool, err error)
}

// InvoiceFormats is implemented by an InvoiceSender that also reads its
// system's own upload formats (Enterprise's order JSON and CSV), so that
// files made for that system keep working as sources.
type InvoiceFormats interface {
	// OwnFormats are the formats ParseInvoices reads ("json", "csv").
	OwnFormats() []string
	// OwnTemplate is an example upload in the own "csv" format.
	OwnTemplate() []byte
	// ParseInvoices reads an upload in one of OwnFormats into neutral
	// invoices and checks them as ValidateInvoices does, all at once, with
	// findings named in the format's own fields. An upload that cannot be
	// read at all is an *ImportFileError.
	ParseInvoices(ctx context.Context, g Grant, format string, data []byte) ([]Invoice, []InvoiceCheck, error)
}

// InvoiceCheck is what ValidateInvoices found in one invoice.
type InvoiceCheck struct {
	// Key identifies the invoice upstream; with Digest (the hex SHA-256 of
	// what would be sent) it is what makes a second send of the same
	// invoice a duplicate. Both are empty when the invoice has errors.
	Key, Digest string
	Findings    []InvoiceFinding
}

// Sendable reports whether the invoice has no errors (warnings allowed).
func (c InvoiceCheck) Sendable() bool {
	for _, f := range c.Findings {
		if !f.Warning {
			return false
		}
	}
	return c.Key != ""
}

// InvoiceFinding is one problem of an invoice: where (the line, 1-based,
// 0 for the invoice itself; the field, by its path in the source's format;
// the n-th value of a list field) and what (a code the connector's
// catalogue words as "<connector>.imports.f.<Code>", else the core's
// "imports.f.<Code>", with Arg for its %s).
type InvoiceFinding struct {
	Line    int
	Field   string
	Index   int
	Code    string
	Arg     string
	Warning bool
}

// SendAnswer is the upstream's answer to one invoice.
type SendAnswer struct {
	Accepted bool
	// Code is the upstream's status code, as it gave it.
	Code string
	// Message is the upstream's explanation, already cleaned by the
	// connector (plain text, bounded); it may be shown beside the invoice.
	Message string
	// Reference is what the upstream calls the invoice it made (a booked
	// invoice's number), when it says.
	Reference string
}

// SentInvoiceActions is implemented by an InvoiceSender whose system lets
// Bilag act on an invoice it sent and the system accepted (Netvisor's
// status change, comment and delete). The portal offers InvoiceActions on
// such an invoice to those who manage the company, shows the invoice's
// state upstream and asks them to confirm, then calls ActOnInvoice once.
// Each action is a write: never retried, by the connector or above it.
type SentInvoiceActions interface {
	InvoiceSender
	// InvoiceActions name what the system lets Bilag do to a sent invoice,
	// in the order to offer them. The connector's catalogue words each
	// as "<connector>.imports.act.<name>".
	InvoiceActions() []string
	// InvoiceState reads the invoice ref (the SendAnswer's Reference)
	// upstream: its status in the system's own code, and whether each
	// action may be taken now (by name; an action left out may not).
	InvoiceState(ctx context.Context, g Grant, ref string) (status string, allowed map[string]bool, err error)
	// ActOnInvoice takes action on the invoice ref, once; text is the
	// text of ActionComment (ignored by the other actions). Bad input is an
	// error wrapping ErrActionInput and sends nothing. The system's
	// refusal is a SendAnswer that is not Accepted; an error is a failure,
	// ErrAnswerLost when the action may have been taken.
	ActOnInvoice(ctx context.Context, g Grant, ref, action, text string) (SendAnswer, error)
}

// ErrActionInput: an action on a sent invoice that Bilag does not take as
// asked (a name the connector does not offer, a comment too long); nothing
// was sent.
var ErrActionInput = errors.New("invoice action not taken as asked")

// ErrNotTaken: an action's answer was lost and reading the record again
// showed it not taken; it may be asked for again.
var ErrNotTaken = errors.New("action not taken: its answer was lost and the record shows it undone")

// ActionComment is the name of the action that adds a comment to a sent
// invoice: the one action that takes a text.
const ActionComment = "comment"
