package enterprise_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/enterprise"
	"bilag/connectors/enterprise/sandbox"
	"bilag/connectors/invoice"
)

// sandboxGrant is a grant to the sandbox's codes, for checks that call
// nothing.
var sandboxGrant = connectors.Grant{Data: []byte(`{"root":"https://visma.example.no/fakturering_ws","company":1,"system":"WS",` +
	`"principals":[20,30],"commodities":[100,200,300],"vat_codes":[0,100,150]}`)}

// The extension types document exactly the fields the mapping reads.
func TestExtensionFields(t *testing.T) {
	for _, tt := range []struct {
		typ  any
		want []string
	}{
		{enterprise.InvoiceExt{}, []string{"externalSystem", "company", "division", "zipCode", "foreignZipCode", "bankAccount"}},
		{enterprise.LineExt{}, []string{"principalNumber", "commodityNumber", "serialNumber", "internalInvoice", "accountId1", "accountId2",
			"accountId3", "accountId4", "accountId5", "accountId6", "accountId7", "accountId8", "accountId9", "accountId10", "profile", "yourRef", "orderRef"}},
	} {
		var got []string
		rt := reflect.TypeOf(tt.typ)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			got = append(got, name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s fields %v, want %v", rt.Name(), got, tt.want)
		}
	}
	// Every field of an extension is read: none is "unknown".
	c, _ := enterprise.Config{}.Open()
	p, cm, s, tr := 20, 100, 1, true
	line, _ := json.Marshal(enterprise.LineExt{PrincipalNumber: &p, CommodityNumber: &cm, SerialNumber: &s, InternalInvoice: &tr,
		AccountID1: "1", AccountID2: "2", AccountID3: "3", AccountID4: "4", AccountID5: "5", AccountID6: "6", AccountID7: "7",
		AccountID8: "8", AccountID9: "9", AccountID10: "10", Profile: "P", YourRef: "Y", OrderRef: "O"})
	one := 1
	head, _ := json.Marshal(enterprise.InvoiceExt{ExternalSystem: "WS", Company: &one, ZipCode: "0277", ForeignZipCode: "SE-1", BankAccount: "86011117948"})
	inv := connectors.Invoice{Number: "E-1", Customer: connectors.Customer{OrgNumber: "1", Country: "SE", Postcode: "114 55"},
		Extensions: connectors.Extensions{"enterprise": head},
		Lines:      []connectors.InvoiceLine{{Quantity: 10000, UnitPrice: 10000, VATCode: "100", Extensions: connectors.Extensions{"enterprise": line}}}}
	checks, err := c.ValidateInvoices(t.Context(), sandboxGrant, []connectors.Invoice{inv})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range checks[0].Findings {
		if f.Code == enterprise.CodeUnknownField {
			t.Errorf("the extension's field %s is unknown", f.Field)
		}
	}
}

// Files made for Enterprise keep working: each order of an upload in
// Enterprise's own format becomes a neutral invoice that maps back to the
// same order, with the same key, and validates again without an error.
func TestOwnFormatRoundTrip(t *testing.T) {
	c, _ := enterprise.Config{}.Open()
	uploads := map[string]string{}
	for i, s := range fuzzSeeds {
		uploads["seed "+strconv.Itoa(i)+".json"] = s
	}
	uploads["template.csv"] = string(enterprise.CSVTemplate())
	for name, data := range uploads {
		format := name[strings.LastIndex(name, ".")+1:]
		invs, checks, err := c.ParseInvoices(t.Context(), sandboxGrant, format, []byte(data))
		var fe *connectors.ImportFileError
		if errors.As(err, &fe) {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		legacy, err := parseOwn(format, data)
		if err != nil || len(legacy) != len(invs) {
			t.Fatalf("%s: %d orders, %d invoices, %v", name, len(legacy), len(invs), err)
		}
		again, err := c.ValidateInvoices(t.Context(), sandboxGrant, invs)
		if err != nil {
			t.Fatal(err)
		}
		for i, ch := range legacy {
			if len(checks[i].Findings) != len(ch.Findings) {
				t.Errorf("%s order %d: %d findings, want the format's %d", name, i, len(checks[i].Findings), len(ch.Findings))
			}
			if !ch.OK() {
				if checks[i].Sendable() {
					t.Errorf("%s order %d has errors but is sendable", name, i)
				}
				continue
			}
			o := ch.Order
			for j := range o.OrderLines {
				if slices.Equal(o.OrderLines[j].LineText, []string{""}) {
					o.OrderLines[j].LineText = nil
				}
			}
			key, digest := o.ExternalSystem+"/"+o.OrderID, sha(o.Normalised())
			if checks[i].Key != key || checks[i].Digest != digest {
				t.Errorf("%s order %d: key %s %s, want %s %s", name, i, checks[i].Key, checks[i].Digest, key, digest)
			}
			if again[i].Key != key || again[i].Digest != digest || !again[i].Sendable() {
				t.Errorf("%s order %d as an invoice: %+v, want key %s %s", name, i, again[i], key, digest)
			}
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func parseOwn(format, data string) ([]enterprise.Checked, error) {
	if format == "csv" {
		return enterprise.ParseCSV([]byte(data), sandboxRules())
	}
	return enterprise.ParseJSON([]byte(data), sandboxRules())
}

// A neutral invoice (Bilag's own format) is checked by the seed's rules,
// each finding named by the invoice's own field.
func TestNeutralInvoiceFindings(t *testing.T) {
	c, _ := enterprise.Config{}.Open()
	ps, err := invoice.ParseJSON([]byte(`[
 {"number": "N-1", "customer": {"orgNumber": "0405791234X", "name": "Olsen Petter", "postcode": "277", "country": "NO", "currency": "EUR", "email": "x"},
  "lines": [{"text": "Husleie", "quantity": 1, "unitPrice": "1.234", "vatCode": "25", "extensions": {"enterprise": {"principalNumber": 21, "colour": "red"}}},
            {"quantity": 1, "unitPrice": 1, "productNumber": "100", "extensions": {"enterprise": {"principalNumber": 20, "commodityNumber": 200, "serialNumber": 1}}}]},
 {"number": "N-2", "customer": {"orgNumber": "923 456 783", "name": "Svensk AB", "address": ["Gatan 1", "", "", "", "Box 5"], "city": "Stockholm", "country": "SE"},
  "lines": [{"quantity": 1, "unitPrice": 1, "extensions": {"enterprise": {"principalNumber": 20, "commodityNumber": 100, "serialNumber": 1, "accountId1": "1"}}}],
  "pdf": {"fileName": "N-2.pdf", "data": "JVBERi0xLjQK"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	invs := []connectors.Invoice{ps[0].Invoice, ps[1].Invoice}
	checks, err := c.ValidateInvoices(t.Context(), sandboxGrant, invs)
	if err != nil {
		t.Fatal(err)
	}
	got := func(i int) string {
		var out []string
		for _, f := range checks[i].Findings {
			s := strconv.Itoa(f.Line) + " " + f.Field + " " + f.Code
			if f.Index > 0 {
				s += " #" + strconv.Itoa(f.Index)
			}
			if f.Warning {
				s += " (warning)"
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return strings.Join(out, "; ")
	}
	want0 := "0 customer.currency currency; 0 customer.email email; 0 customer.orgNumber digits; 0 customer.postcode zip; " +
		"1 extensions.enterprise.colour unknown_field; 1 extensions.enterprise.commodityNumber required; 1 extensions.enterprise.principalNumber not_in_list; " +
		"1 extensions.enterprise.serialNumber required; 1 unitPrice decimal; 1 vatCode not_in_list; 2 productNumber given_twice"
	if got(0) != want0 {
		t.Errorf("findings of N-1\n%s\nwant\n%s", got(0), want0)
	}
	want1 := "0 customer.city address_full; 0 customer.postcode foreign_zip; 0 pdf pdf_not_sent (warning); 1 vatCode vat_required"
	if got(1) != want1 {
		t.Errorf("findings of N-2\n%s\nwant\n%s", got(1), want1)
	}
	if checks[0].Sendable() || checks[1].Sendable() {
		t.Error("an invoice with errors is sendable")
	}
}

// A neutral invoice reaches Enterprise as the order the seed describes:
// the sandbox holds it with its fields mapped; an answer lost is
// ErrAnswerLost, after one post.
func TestSendInvoice(t *testing.T) {
	f := newFixture(t, nil, hosts{company: {"127.0.0.1"}})
	g := f.grant(t)
	ps, err := invoice.ParseJSON([]byte(`{"number": "B-1001", "invoiceDate": "2026-01-31",
 "customer": {"orgNumber": "923 456 783", "name": "Fjordlys AS", "address": ["Lerkestien 4"], "postcode": "0277", "city": "Oslo", "country": "NO",
  "email": "post@fjordlys.no", "phone": "+47 22 00 00 00", "currency": "NOK"},
 "lines": [{"text": "Leie av lokaler i Lerkestien 4 for januar og februar, med strøm, renhold og parkering\nFaktura 1001",
            "quantity": "2", "unitPrice": "1250,50", "vatCode": "100", "productNumber": "100",
            "extensions": {"enterprise": {"principalNumber": 20, "serialNumber": 11, "accountId1": "000000001610"}}}],
 "pdf": {"fileName": "1001.pdf", "data": "JVBERi0xLjQK"}}`))
	if err != nil || len(ps[0].Findings) != 0 {
		t.Fatalf("%+v %v", ps, err)
	}
	inv := ps[0].Invoice
	checks, err := f.conn.ValidateInvoices(f.ctx, g, []connectors.Invoice{inv})
	if err != nil || !checks[0].Sendable() || checks[0].Key != "WS/B-1001" {
		t.Fatalf("checks %+v %v", checks, err)
	}
	a, err := f.conn.SendInvoice(f.ctx, g, nil, inv)
	if err != nil || !a.Accepted || a.Code != "0" {
		t.Fatalf("send: %+v %v", a, err)
	}
	acc := f.box.Accepted()
	if len(acc) != 1 {
		t.Fatalf("the sandbox holds %d orders", len(acc))
	}
	var o struct {
		enterprise.Order
		OrderLines []struct {
			enterprise.Line
			Price    json.Number `json:"price"`
			Quantity json.Number `json:"quantity"`
			Amount   json.Number `json:"amount"`
		} `json:"orderLines"`
	}
	if err := json.Unmarshal(acc[0].Body, &o); err != nil {
		t.Fatalf("the sandbox holds %s: %v", acc[0].Body, err)
	}
	l := o.OrderLines[0]
	if o.OrderID != "B-1001" || o.ExternalSystem != "WS" || o.Company != 1 || o.Customer.CustomerNumber != "923456783" || o.Customer.ZipCode != "0277" ||
		o.Customer.Address1 != "Lerkestien 4" || o.Customer.Address2 != "" || o.Customer.EMailAddress != "post@fjordlys.no" || o.Customer.CellPhone != "+47 22 00 00 00" ||
		l.PrincipalNumber != 20 || l.CommodityNumber != 100 || l.SerialNumber != 11 || l.Price != "1250.50" || l.Quantity != "2.00" || l.Amount != "2501.00" ||
		l.AccountID1 != "000000001610" || l.VATCode == nil || *l.VATCode != 100 ||
		!slices.Equal(l.LineText, []string{"Leie av lokaler i Lerkestien 4 for januar og februar, med", "strøm, renhold og parkering", "Faktura 1001"}) {
		t.Errorf("the sandbox holds %s", acc[0].Body)
	}
	lost := inv
	lost.Number = sandbox.LoseAnswerPrefix + "-1"
	lost.Lines = []connectors.InvoiceLine{inv.Lines[0]}
	lost.Lines[0].Extensions = connectors.Extensions{"enterprise": json.RawMessage(`{"principalNumber":20,"serialNumber":12}`)}
	before := f.box.Posts()
	if _, err := f.conn.SendInvoice(f.ctx, g, nil, lost); !errors.Is(err, connectors.ErrAnswerLost) || f.box.Posts() != before+1 {
		t.Errorf("lost answer: %v after %d posts, want ErrAnswerLost after one", err, f.box.Posts()-before)
	}
	// An invoice that is no valid order is not sent at all.
	bad := inv
	bad.Customer.OrgNumber = ""
	before = f.box.Posts()
	if _, err := f.conn.SendInvoice(f.ctx, g, nil, bad); err == nil || errors.Is(err, connectors.ErrAnswerLost) || f.box.Posts() != before {
		t.Errorf("invalid invoice: %v, %d posts", err, f.box.Posts()-before)
	}
}

// The example invoice Bilag's templates are written from is a valid
// order for the sandbox.
func TestExampleInvoice(t *testing.T) {
	c, _ := enterprise.Config{}.Open()
	ex := c.ExampleInvoice()
	checks, err := c.ValidateInvoices(t.Context(), sandboxGrant, []connectors.Invoice{ex})
	if err != nil || !checks[0].Sendable() {
		t.Fatalf("example: %+v %v", checks, err)
	}
	ps, err := invoice.ParseCSV(invoice.TemplateCSV(ex))
	if err != nil || len(ps[0].Findings) != 0 {
		t.Fatalf("the CSV template reads as %+v %v", ps, err)
	}
	if again, _ := c.ValidateInvoices(t.Context(), sandboxGrant, []connectors.Invoice{ps[0].Invoice}); again[0].Digest != checks[0].Digest {
		t.Errorf("the CSV template is another order: %+v", again[0])
	}
}
