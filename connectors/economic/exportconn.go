package economic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"bilag/connectors"
)

// ExportName is the receiving connector's stable key: the export app's
// connections, pairing and batches are stored under it, beside the reading
// connector's "economic".
const ExportName = "economic-export"

// Export is the e-conomic export as a receiving connector (issue 26, seed
// 001): its own app's grant (requestaccess.aspx, then /self), the role
// check, the company's pairing read live from e-conomic's lists, the
// pre-flight, and the send of one invoice by the invoice method (a draft
// booked with the source's number) or the voucher method (a manual
// customer invoice voucher with the PDF, left in a journal). It is made
// from the reading connector's configuration when an export app is
// configured, and shares its client, endpoints and fair-use count: every
// call of both apps counts on the agreement's day.
type Export struct {
	x *Exporter

	// mu guards lists and products: what a pre-flight read of the
	// agreement's lists, reused by the sends of its batch for listsTTL,
	// and the product numbers known to exist (Bilag's own products, made
	// once per sales account).
	mu       sync.Mutex
	lists    map[int64]*exportLists
	products map[productKey]bool
}

type productKey struct {
	agreement int64
	number    string
}

var (
	_ connectors.RedirectConnector = (*Export)(nil)
	_ connectors.LocalizedLogin    = (*Export)(nil)
	_ connectors.Checker           = (*Export)(nil)
	_ connectors.InvoiceSender     = (*Export)(nil)
	_ connectors.InvoiceLookup     = (*Export)(nil)
	_ connectors.Pairer            = (*Export)(nil)
)

// Export is the receiving connector of the export app, nil when Config
// names none.
func (c *Connector) Export() *Export { return c.exportConn }

func newExport(x *Exporter) *Export {
	return &Export{x: x, lists: map[int64]*exportLists{}, products: map[productKey]bool{}}
}

// Name is ExportName.
func (e *Export) Name() string { return ExportName }

// FormOrigins is e-conomic's grant page's origin.
func (e *Export) FormOrigins() []string { return e.x.c.FormOrigins() }

// LoginURL is the export app's requestaccess.aspx.
func (e *Export) LoginURL(callbackURL, state, verifier string) (string, error) {
	return e.LoginURLIn(callbackURL, state, verifier, "")
}

// LoginURLIn is LoginURL in the approver's language.
func (e *Export) LoginURLIn(callbackURL, state, _, lang string) (string, error) {
	return e.x.LoginURLIn(callbackURL, state, lang)
}

// HandleCallback takes the export app's grant token (Exporter.HandleCallback).
func (e *Export) HandleCallback(ctx context.Context, _ string, query url.Values, _ string) (connectors.Grant, error) {
	return e.x.HandleCallback(ctx, query)
}

// exportRole is the role the export app is registered with. e-conomic's
// permissions page (e-conomic.com/developer/permissions) gives customers,
// customer groups, draft and booked invoices to Sales and SuperUser, and
// journals (CashBook) and their vouchers (CashBookEntry) to Bookkeeping and
// SuperUser: no role narrower than SuperUser creates invoices, customers,
// products and journal vouchers all.
const exportRole = "SuperUser"

// Check is Exporter.Check (probes of the invoice and the journal areas,
// without writing), and the app's registered role from /self: an export
// app registered with another role than SuperUser is a missing role even
// where the probes pass.
func (e *Export) Check(ctx context.Context, g connectors.Grant) (connectors.Verdict, error) {
	v, err := e.x.Check(ctx, g)
	if err != nil || !v.OK() {
		return v, err
	}
	s, err := one[selfJSON](ctx, e.x, g, "GET /self", "/self")
	if err != nil {
		return connectors.Verdict{}, fmt.Errorf("economic: export check: %w", err)
	}
	var roles []string
	for _, r := range s.Application.RequiredRoles {
		roles = append(roles, r.Name)
	}
	if len(roles) > 0 && !slices.Contains(roles, exportRole) {
		v.Problems = append(v.Problems, connectors.Problem{Code: ProblemMissingRole, Area: "export", Upstream: "role " + clip(fmt.Sprint(roles), 80)})
	}
	return v, nil
}

// InvoiceTarget is the agreement the grant's invoices go to.
func (e *Export) InvoiceTarget(g connectors.Grant) string {
	d, err := readGrant(g)
	if err != nil || d.Agreement == 0 {
		return "Visma e-conomic"
	}
	return "Visma e-conomic, agreement " + strconv.FormatInt(d.Agreement, 10)
}

// listsTTL is how long a pre-flight's reading of the lists serves the
// sends after it: a batch is sent within minutes of its pre-flight, and
// what a send relies on (payment term types, accounts and VAT rates,
// accounting years) changes seldom; a send that meets a change is refused
// by e-conomic, not mis-booked.
const listsTTL = 10 * time.Minute

// listsOf is the agreement's lists: read live when fresh is set or none
// younger than listsTTL is kept.
func (e *Export) listsOf(ctx context.Context, g connectors.Grant, fresh bool) (*exportLists, error) {
	d, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("economic export: %w", err)
	}
	now := e.x.c.cfg.Now()
	e.mu.Lock()
	l := e.lists[d.Agreement]
	e.mu.Unlock()
	if !fresh && l != nil && now.Sub(l.at) < listsTTL {
		return l, nil
	}
	l, err = e.readLists(ctx, g)
	if err != nil {
		return nil, err
	}
	l.at = now
	e.mu.Lock()
	e.lists[d.Agreement] = l
	e.mu.Unlock()
	return l, nil
}

// knownProduct and sawProduct keep the product numbers known to exist.
func (e *Export) knownProduct(agreement int64, number string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.products[productKey{agreement, number}]
}

func (e *Export) sawProduct(agreement int64, number string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.products[productKey{agreement, number}] = true
}

// agreementOf is the grant's agreement, its country and base currency:
// from the grant, or from /self for a grant stored before they were.
func (e *Export) agreementOf(ctx context.Context, g connectors.Grant) (*grantData, error) {
	d, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("economic export: %w", err)
	}
	if d.Country != "" {
		return d, nil
	}
	s, err := one[selfJSON](ctx, e.x, g, "GET /self", "/self")
	if err != nil {
		return nil, err
	}
	d.Country, d.Currency = s.country(), s.Settings.BaseCurrency
	if d.Country == "" {
		return nil, errors.New("economic export: the agreement names no country")
	}
	return d, nil
}

// ExampleInvoice is an invoice as the export takes it: a Danish
// customer with a CVR, lines on the source's sales accounts with their
// VAT codes, net 30 days, and the export's extension (its payment terms,
// here the same as the dates say).
func (e *Export) ExampleInvoice() connectors.Invoice {
	ext, _ := json.Marshal(ExportExt{PaymentTerms: "net:30"})
	date, _ := connectors.ParseDate("2025-03-03")
	due, _ := connectors.ParseDate("2025-04-02")
	return connectors.Invoice{Number: "10001", InvoiceDate: date, DueDate: due,
		Customer: connectors.Customer{Name: "Fjordfragt A/S", OrgNumber: "12345674", Number: "1", Address: []string{"Havnegade 4"},
			Postcode: "8000", City: "Aarhus C", Country: "DK", Email: "bogholderi@fjordfragt.example", Currency: "DKK"},
		Lines: []connectors.InvoiceLine{
			{Text: "Fragt Aarhus–Hamburg", Quantity: 20000, UnitPrice: 12500000, SalesAccount: "1020", VATCode: "25"},
			{Text: "Emballage", Quantity: 100000, UnitPrice: 250000, SalesAccount: "1010", VATCode: "25"},
		},
		Extensions: connectors.Extensions{ExportName: ext}}
}
