package connectortest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"bilag/connectors"
)

// Receiver is a connector granted by pasted keys, like Form, that reads
// nothing and receives invoices: it books each invoice under its number
// (a second one with that number is refused) and can look an invoice up
// by it, as e-conomic's booked invoices can. An invoice whose number
// begins with LoseAnswer is booked and its answer lost; one beginning
// with Refuse is refused.
type Receiver struct{ U *Upstream }

var (
	_ connectors.CredentialConnector = Receiver{}
	_ connectors.InvoiceSender       = Receiver{}
	_ connectors.InvoiceLookup       = Receiver{}
)

// The receiver's operations, for FailNext and Calls, and its numbers'
// prefixes.
const (
	OpSend     = "SendInvoice"
	OpLookup   = "LookUpInvoice"
	LoseAnswer = "LOST"
	Refuse     = "REFUSE"
)

// ReceiverTarget is where a Receiver's invoices go.
const ReceiverTarget = "https://fake.example/invoices"

func (r Receiver) Name() string               { return r.U.name() }
func (r Receiver) Fields() []connectors.Field { return Form(r).Fields() }
func (r Receiver) Connect(_ context.Context, values map[string]string) (connectors.Grant, error) {
	return r.U.connect(values)
}

// ValidateInvoices wants a number, a customer's name and a line; a number
// twice in the batch is refused on the second.
func (r Receiver) ValidateInvoices(_ context.Context, g connectors.Grant, batch []connectors.Invoice) ([]connectors.InvoiceCheck, error) {
	if err := r.U.call("ValidateInvoices", &g); err != nil {
		return nil, err
	}
	out := make([]connectors.InvoiceCheck, len(batch))
	seen := map[string]bool{}
	for i, inv := range batch {
		var fs []connectors.InvoiceFinding
		if inv.Number == "" {
			fs = append(fs, connectors.InvoiceFinding{Field: "number", Code: "invoice.required"})
		} else if seen[inv.Number] {
			fs = append(fs, connectors.InvoiceFinding{Field: "number", Code: "invoice.too_many", Arg: "1"})
		}
		seen[inv.Number] = true
		if inv.Customer.Name == "" {
			fs = append(fs, connectors.InvoiceFinding{Field: "customer.name", Code: "invoice.required"})
		}
		if len(inv.Lines) == 0 {
			fs = append(fs, connectors.InvoiceFinding{Field: "lines", Code: "invoice.required"})
		}
		out[i].Findings = fs
		if len(fs) == 0 {
			b, _ := json.Marshal(inv)
			sum := sha256.Sum256(b)
			out[i].Key, out[i].Digest = inv.Number, hex.EncodeToString(sum[:])
		}
	}
	return out, nil
}

func (r Receiver) SendInvoice(_ context.Context, g connectors.Grant, _ connectors.Pairing, inv connectors.Invoice) (connectors.SendAnswer, error) {
	if err := r.U.call(OpSend, &g); err != nil {
		return connectors.SendAnswer{}, err
	}
	u := r.U
	u.mu.Lock()
	defer u.mu.Unlock()
	if strings.HasPrefix(inv.Number, Refuse) {
		return connectors.SendAnswer{Code: "400", Message: "the fake refuses " + inv.Number}, nil
	}
	if ref, ok := u.booked[inv.Number]; ok {
		return connectors.SendAnswer{Code: "409", Message: "invoice " + inv.Number + " is booked already as " + ref}, nil
	}
	if u.booked == nil {
		u.booked = map[string]string{}
	}
	ref := "B-" + strconv.Itoa(len(u.received)+1)
	u.booked[inv.Number] = ref
	u.received = append(u.received, inv)
	if strings.HasPrefix(inv.Number, LoseAnswer) {
		return connectors.SendAnswer{}, fmt.Errorf("fake: booking %s: %w", inv.Number, connectors.ErrAnswerLost)
	}
	return connectors.SendAnswer{Accepted: true, Code: "201", Message: "booked", Reference: ref}, nil
}

func (r Receiver) LookUpInvoice(_ context.Context, g connectors.Grant, _ connectors.Pairing, inv connectors.Invoice) (connectors.SendAnswer, bool, error) {
	if err := r.U.call(OpLookup, &g); err != nil {
		return connectors.SendAnswer{}, false, err
	}
	r.U.mu.Lock()
	defer r.U.mu.Unlock()
	ref, ok := r.U.booked[inv.Number]
	if !ok {
		return connectors.SendAnswer{}, false, nil
	}
	return connectors.SendAnswer{Accepted: true, Code: "200", Message: "booked", Reference: ref}, true, nil
}

func (r Receiver) InvoiceTarget(connectors.Grant) string { return ReceiverTarget }

// ExampleInvoice has the fake's own extension: a field of each level.
func (r Receiver) ExampleInvoice() connectors.Invoice {
	return connectors.Invoice{Number: "1001", InvoiceDate: connectors.Date{Year: 2026, Month: 1, Day: 31}, DueDate: connectors.Date{Year: 2026, Month: 3, Day: 2},
		Customer: connectors.Customer{Name: "Nordlys Bogføring ApS", OrgNumber: "35121005", Country: "DK", Currency: "DKK"},
		Lines: []connectors.InvoiceLine{{Text: "Konsulent", Quantity: 20000, UnitPrice: 12500000, SalesAccount: "1010", VATCode: "U25",
			Extensions: connectors.Extensions{r.U.name(): json.RawMessage(`{"costCentre":"7"}`)}}},
		Extensions: connectors.Extensions{r.U.name(): json.RawMessage(`{"layout":"19"}`)}}
}

// Received are the invoices the fake booked, in order.
func (u *Upstream) Received() []connectors.Invoice {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]connectors.Invoice(nil), u.received...)
}

// Forget unbooks an invoice, as if the upstream had lost it.
func (u *Upstream) Forget(number string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.booked, number)
}
