package economic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"bilag/connectors"
)

// customer is the invoice's customer in e-conomic: found by CVR, else by
// the source's customer number, else by name; else created with the
// pairing's defaults (and the source's number when it gave one and no
// CVR, so that it is found by it next time).
func (s *sending) customer(ctx context.Context) (Customer, error) {
	c := s.inv.Customer
	q := CustomerQuery{CorporateIdentificationNumber: cvrOf(c.OrgNumber)}
	if q.CorporateIdentificationNumber == "" {
		if n, err := strconv.ParseInt(c.Number, 10, 64); err == nil && n > 0 {
			q.CustomerNumber = n
		} else {
			q.Name = strings.TrimSpace(c.Name)
		}
	}
	found, err := s.e.x.FindCustomers(ctx, s.g, q)
	if err != nil {
		return Customer{}, err
	}
	if cu, ok := findCustomer(found, c); ok || len(found) > 0 {
		if !ok {
			cu = slices.MinFunc(found, func(a, b Customer) int { return int(a.CustomerNumber - b.CustomerNumber) })
		}
		return cu, nil
	}
	nc, err := s.newCustomer(q.CustomerNumber)
	if err != nil {
		return Customer{}, err
	}
	return s.e.x.CreateCustomer(ctx, s.g, nc)
}

// newCustomer is the customer to create, with the pairing's defaults for
// its country's VAT zone.
func (s *sending) newCustomer(customerNumber int64) (Customer, error) {
	c := s.inv.Customer
	zk := zoneKey(c.Country, s.d.Country)
	zone, group, layout := number(s.p.Value(TableVatZone, zk)), number(s.p.Value(TableCustomerGroup, zk)), number(s.p.Value(TableLayout, KeyDefault))
	term, ok := s.term()
	if zone == 0 || group == 0 || layout == 0 || !ok {
		return Customer{}, fmt.Errorf("economic export: invoice %s: a new customer's defaults are not paired (pre-flight names them)", s.inv.Number)
	}
	cur := c.Currency
	if cur == "" {
		cur = currencyOf(s.p, s.d)
	}
	return Customer{CustomerNumber: customerNumber, Name: strings.TrimSpace(c.Name), CorporateIdentificationNumber: cvrOf(c.OrgNumber),
		Address: strings.Join(c.Address, "\n"), Zip: c.Postcode, City: c.City, Country: c.Country, Email: c.Email, Currency: cur,
		CustomerGroup: &CustomerGroupRef{group}, PaymentTerms: &PaymentTermsRef{term.PaymentTermsNumber}, VatZone: &VatZoneRef{zone},
		Layout: &LayoutRef{layout}}, nil
}

// term is the invoice's paired payment term.
func (s *sending) term() (PaymentTerm, bool) {
	return s.l.term(number(s.p.Value(TablePaymentTerm, termKey(s.inv))))
}

// productFor is the product number a line carries: its own, the
// pairing's for its sales account, or Bilag's for that account, which is
// made in the paired product group when e-conomic has none.
func (s *sending) productFor(ctx context.Context, line connectors.InvoiceLine) (string, error) {
	if line.ProductNumber != "" {
		return line.ProductNumber, nil
	}
	acct := strings.TrimSpace(line.SalesAccount)
	if paired := s.p.Value(TableProduct, acct); paired != "" {
		return paired, nil
	}
	pn := newProductNumber(acct)
	if _, ok := s.l.product(pn); ok || s.e.knownProduct(s.d.Agreement, pn) {
		return pn, nil
	}
	group := number(s.p.Value(TableSalesAccount, acct))
	if group == 0 {
		return "", fmt.Errorf("economic export: sales account %s is paired with no product group (pre-flight names it)", acct)
	}
	_, err := s.e.x.Product(ctx, s.g, pn)
	if errors.Is(err, connectors.ErrNotFound) {
		_, err = s.e.x.CreateProduct(ctx, s.g, Product{ProductNumber: pn, Name: "Salg " + acct, ProductGroup: &ProductGroupRef{group}})
	}
	if err != nil {
		return "", err
	}
	s.e.sawProduct(s.d.Agreement, pn)
	return pn, nil
}

// draft is the invoice's draft: the one a lost answer left (found by
// Bilag's reference), else a new one.
func (s *sending) draft(ctx context.Context, cu Customer) (DraftInvoice, error) {
	left, err := s.e.x.FindDraftInvoices(ctx, s.g, referenceOf(s.inv.Number))
	if err != nil {
		return DraftInvoice{}, err
	}
	if len(left) > 0 {
		return left[0], nil
	}
	nd, err := s.newDraft(ctx, cu)
	if err != nil {
		return DraftInvoice{}, err
	}
	return s.e.x.CreateDraftInvoice(ctx, s.g, nd)
}

// newDraft is the draft to create: the customer's layout (else the
// pairing's), the paired payment term (the due date sent only with a
// term of type dueDate, which takes it), the recipient in the customer's
// VAT zone, a line per source line with its product. A credit note is
// the same with negative amounts.
func (s *sending) newDraft(ctx context.Context, cu Customer) (NewDraftInvoice, error) {
	term, ok := s.term()
	if !ok {
		return NewDraftInvoice{}, fmt.Errorf("economic export: invoice %s: its payment terms %q are not paired (pre-flight names them)", s.inv.Number, termKey(s.inv))
	}
	c := s.inv.Customer
	nd := NewDraftInvoice{Date: s.inv.InvoiceDate.String(), Currency: c.Currency, Customer: &CustomerRef{cu.CustomerNumber},
		Layout: cu.Layout, PaymentTerms: &PaymentTermsRef{term.PaymentTermsNumber}, References: &References{Other: referenceOf(s.inv.Number)},
		Recipient: &Recipient{Name: strings.TrimSpace(c.Name), Address: strings.Join(c.Address, "\n"), Zip: c.Postcode, City: c.City, Country: c.Country, VatZone: cu.VatZone}}
	if nd.Currency == "" {
		nd.Currency = cu.Currency
	}
	if nd.Layout == nil {
		nd.Layout = &LayoutRef{number(s.p.Value(TableLayout, KeyDefault))}
	}
	if term.PaymentTermsType == PaymentTermsDueDate {
		nd.DueDate = s.inv.DueDate.String()
	}
	for i, line := range s.inv.Lines {
		pn, err := s.productFor(ctx, line)
		if err != nil {
			return NewDraftInvoice{}, err
		}
		text := strings.TrimSpace(line.Text)
		if text == "" {
			text = "Salg " + line.SalesAccount
		}
		nd.Lines = append(nd.Lines, NewInvoiceLine{LineNumber: int64(i + 1), SortKey: int64(i + 1), Description: text, Product: &ProductRef{pn},
			Quantity: float64(line.Quantity) / connectors.DecimalScale, UnitNetPrice: Amount(line.UnitPrice.Round(2) / 100)})
	}
	return nd, nil
}
