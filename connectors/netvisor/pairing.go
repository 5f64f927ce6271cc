package netvisor

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"bilag/connectors"
)

// The pre-flight's finding codes, worded by
// "netvisor.imports.preflight.<code>".
const (
	PreCustomer = "customer" // no customer with this code or key in Netvisor; Args: the code
	PreProduct  = "product"  // no product with this code or key; Args: the code
	PreVAT      = "vat"      // a source VAT code not paired; Args: the code
)

// readList calls a list resource and decodes every element named elem
// into a new T, in order.
func readList[T any](ctx context.Context, c *Connector, cr credentials, resource string, params []param, elem string) ([]T, error) {
	a, err := c.call(ctx, cr, resource, params, false)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	var out []T
	for {
		tok, err := a.token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, decodeError(ctx, a, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || !strings.EqualFold(se.Name.Local, elem) {
			continue
		}
		var v T
		if err := a.element(&v, &se, a.lim.voucher); err != nil {
			return nil, decodeError(ctx, a, err)
		}
		out = append(out, v)
	}
}

// customerXML is customerlist.nv's Customer (support.netvisor.fi
// 77000466758 "Resources – Customer register": Netvisorkey, Name, Code,
// OrganisationIdentifier, …; the key's lower-case k is Netvisor's).
type customerXML struct {
	Key  string `xml:"Netvisorkey"`
	Name string `xml:"Name"`
	Code string `xml:"Code"`
}

// productXML is productlist.nv's Product (support.netvisor.fi 77000554240
// "Get product list": NetvisorKey, ProductCode, Name, UnitPrice, …).
type productXML struct {
	Key  string `xml:"NetvisorKey"`
	Code string `xml:"ProductCode"`
	Name string `xml:"Name"`
}

// known is what the target company has: customer codes and keys, product
// codes and keys.
type known struct {
	customerCodes, customerKeys, productCodes, productKeys map[string]bool
}

// readKnown reads the customer and product lists. Customers by code come
// a hundred codes a call (customercodelist's documented maximum); the
// whole list only when a customer is linked by its key, which the list
// cannot filter by. Products: the list of those not deleted (its only
// filters are a keyword and the publication flags).
func (c *Connector) readKnown(ctx context.Context, cr credentials, codes []string, byKey bool) (known, error) {
	k := known{map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}}
	var calls [][]param
	if byKey {
		calls = append(calls, nil)
	} else {
		for chunk := range slices.Chunk(codes, 100) {
			calls = append(calls, []param{{"customercodelist", strings.Join(chunk, ",")}})
		}
	}
	for _, params := range calls {
		cs, err := readList[customerXML](ctx, c, cr, "customerlist.nv", params, "Customer")
		if err != nil {
			return known{}, fmt.Errorf("netvisor: read customers: %w", err)
		}
		for _, cu := range cs {
			k.customerCodes[strings.TrimSpace(cu.Code)] = true
			k.customerKeys[strings.TrimSpace(cu.Key)] = true
		}
	}
	ps, err := readList[productXML](ctx, c, cr, "productlist.nv", []param{{"published", "1"}, {"unpublished", "1"}, {"deleted", "0"}}, "Product")
	if err != nil {
		return known{}, fmt.Errorf("netvisor: read products: %w", err)
	}
	for _, p := range ps {
		k.productCodes[strings.TrimSpace(p.Code)] = true
		k.productKeys[strings.TrimSpace(p.Key)] = true
	}
	return k, nil
}

// link is a customer's or product's link: by key or by code.
type link struct {
	key  bool
	code string
}

func customerLink(inv connectors.Invoice) link {
	var ext InvoiceExt
	_ = readExt(inv.Extensions, &ext)
	switch {
	case ext.CustomerNetvisorKey != "":
		return link{true, ext.CustomerNetvisorKey}
	case ext.CustomerCode != "":
		return link{false, ext.CustomerCode}
	}
	return link{false, inv.Customer.Number}
}

func productLink(l connectors.InvoiceLine) link {
	var ext LineExt
	_ = readExt(l.Extensions, &ext)
	if ext.ProductNetvisorKey != "" {
		return link{true, ext.ProductNetvisorKey}
	}
	return link{false, l.ProductNumber}
}

// findings gathers pre-flight findings by code and argument, each with
// the invoices it concerns, in the order first met.
type findings struct {
	order []string
	by    map[string]*connectors.PreflightFinding
}

func (f *findings) add(code, arg string, inv int) {
	k := code + "\x00" + arg
	if f.by == nil {
		f.by = map[string]*connectors.PreflightFinding{}
	}
	pf := f.by[k]
	if pf == nil {
		pf = &connectors.PreflightFinding{Code: code, Args: []string{arg}}
		f.by[k] = pf
		f.order = append(f.order, k)
	}
	if !slices.Contains(pf.Invoices, inv) {
		pf.Invoices = append(pf.Invoices, inv)
	}
}

func (f *findings) list() []connectors.PreflightFinding {
	out := make([]connectors.PreflightFinding, 0, len(f.order))
	for _, k := range f.order {
		out = append(out, *f.by[k])
	}
	return out
}

// Preflight names, all at once, every customer and product of the batch
// that Netvisor lacks and every VAT code the pairing leaves unpaired,
// each with the invoices (positions) it concerns. It reads only.
func (c *Connector) Preflight(ctx context.Context, g connectors.Grant, p connectors.Pairing, batch []connectors.Invoice) ([]connectors.PreflightFinding, error) {
	cr, err := readGrant(g)
	if err != nil {
		return nil, fmt.Errorf("netvisor: pre-flight: %w", err)
	}
	var codes []string
	byKey := false
	for _, inv := range batch {
		l := customerLink(inv)
		byKey = byKey || l.key
		if !l.key && l.code != "" && !slices.Contains(codes, l.code) {
			codes = append(codes, l.code)
		}
	}
	k, err := c.readKnown(ctx, cr, codes, byKey)
	if err != nil {
		return nil, err
	}
	var f findings
	for i, inv := range batch {
		if cl := customerLink(inv); cl.code != "" && !(cl.key && k.customerKeys[cl.code] || !cl.key && k.customerCodes[cl.code]) {
			f.add(PreCustomer, cl.code, i)
		}
		for _, l := range inv.Lines {
			if pl := productLink(l); pl.code != "" && !(pl.key && k.productKeys[pl.code] || !pl.key && k.productCodes[pl.code]) {
				f.add(PreProduct, pl.code, i)
			}
			if _, _, ok := pairedVAT(p.Value(TableVATCode, l.VATCode)); l.VATCode != "" && !ok {
				f.add(PreVAT, l.VATCode, i)
			}
		}
	}
	return f.list(), nil
}

// PairingTables are the VAT codes (open: a row for every source code
// the pairing or the invoices hold, the seed's code list with its
// percents to choose from) and the settings (the status on arrival).
// Both lists are the seed's, so nothing is read from Netvisor.
func (c *Connector) PairingTables(ctx context.Context, g connectors.Grant, p connectors.Pairing, seen []connectors.Invoice) ([]connectors.PairingTable, error) {
	uses := map[string]int{}
	var keys []string
	for k := range p[TableVATCode] {
		keys = append(keys, k)
	}
	for _, inv := range seen {
		counted := map[string]bool{}
		for _, l := range inv.Lines {
			if l.VATCode == "" || counted[l.VATCode] {
				continue
			}
			counted[l.VATCode] = true
			uses[l.VATCode]++
			if !slices.Contains(keys, l.VATCode) {
				keys = append(keys, l.VATCode)
			}
		}
	}
	slices.Sort(keys)
	vat := connectors.PairingTable{Name: TableVATCode, Options: vatOptions(), Open: true}
	for _, k := range keys {
		row := connectors.PairingRow{Key: k, Value: p.Value(TableVATCode, k), Uses: uses[k]}
		if row.Value == "" {
			row.Suggested = suggestVAT(k)
		}
		vat.Rows = append(vat.Rows, row)
	}
	status := connectors.PairingRow{Key: SettingState, Label: "pairing.setting.status", Value: p.Value(TableSetting, SettingState)}
	if status.Value == "" {
		status.Suggested = "open"
	}
	setting := connectors.PairingTable{Name: TableSetting, Rows: []connectors.PairingRow{status},
		// The labels are catalogue keys: the seed's codes in the reader's
		// words.
		Options: []connectors.PairingOption{{Value: "open", Label: "pairing.setting.status.open"}, {Value: "unsent", Label: "pairing.setting.status.unsent"}}}
	return []connectors.PairingTable{vat, setting}, nil
}

// suggestVAT proposes a Netvisor code for a source's: the same code when
// it has one percent only ("EUMY" → EUMY:0), a percent ("25,5", "24 %")
// as domestic sales (KOMY), nothing otherwise.
func suggestVAT(src string) string {
	s := strings.ToUpper(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(src), "%")))
	for _, v := range vatCodes() {
		if v.Code == s && len(v.Percents) == 1 && contains(allowedVATCodes(), v.Code) {
			return v.Code + ":" + v.Percents[0]
		}
	}
	d, ok := connectors.ParseDecimal(strings.TrimSpace(s))
	if !ok {
		return ""
	}
	pct := strings.TrimSuffix(strings.TrimRight(d.String(), "0"), ".")
	if _, _, ok := pairedVAT("KOMY:" + pct); ok {
		return "KOMY:" + pct
	}
	return ""
}
