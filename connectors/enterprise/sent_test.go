package enterprise_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/enterprise"
)

// sentOrder is an order Bilag sent before: its upload and its body.
type sentOrder struct {
	batch  int64
	source string
	body   string
	format string
}

// history is the database's record of sent orders, by company.
type history struct {
	orders map[int64][]sentOrder
	err    error
	// asked records the companies and connectors asked about.
	asked []string
}

func (h *history) SentImports(_ context.Context, companyID int64, connector string, each func(batchID int64, source, format string, body []byte) error) error {
	h.asked = append(h.asked, connector)
	if h.err != nil {
		return h.err
	}
	for _, o := range h.orders[companyID] {
		if err := each(o.batch, o.source, o.format, []byte(o.body)); err != nil {
			return err
		}
	}
	return nil
}

// sentBody is an order as Bilag sends it, with one line.
func sentBody(company, orderID, customer string, principal, commodity, serial string) string {
	return `{"externalSystem":"WS","company":` + company + `,"division":0,"orderId":"` + orderID + `","customer":{"customerNumber":"` + customer +
		`","zipCode":"0277","nationCode":"NO"},"orderLines":[{"principalNumber":` + principal + `,"commodityNumber":` + commodity +
		`,"serialNumber":` + serial + `,"price":1.00,"quantity":1.00,"amount":1.00}]}`
}

// TestSerialSentBefore: a line whose customer, principal, commodity and
// serial number Bilag already sent to the company's Enterprise is warned
// about (Enterprise refuses it unless the earlier one was removed there),
// naming the upload it went in; the order may still be sent.
func TestSerialSentBefore(t *testing.T) {
	const co = 7
	g := connectors.Grant{Data: []byte(`{"root":"https://visma.example.no/fakturering_ws","company":1,"system":"WS"}`)}
	upload := `[` +
		`{"orderId":"N-1","customer":{"customerNumber":"04057912345","zipCode":"0277","nationCode":"NO"},"orderLines":[` +
		`{"principalNumber":20,"commodityNumber":100,"serialNumber":1,"price":1,"quantity":1,"amount":1},` +
		`{"principalNumber":20,"commodityNumber":100,"serialNumber":2,"price":1,"quantity":1,"amount":1},` +
		`{"principalNumber":20,"commodityNumber":200,"serialNumber":1,"price":1,"quantity":1,"amount":1}]},` +
		`{"orderId":"N-2","customer":{"customerNumber":"923456783","zipCode":"277","nationCode":"NO"},"orderLines":[` +
		`{"principalNumber":30,"commodityNumber":300,"serialNumber":4,"price":1,"quantity":1,"amount":1}]}]`
	h := &history{orders: map[int64][]sentOrder{
		co: {
			{11, "januar.csv", sentBody("1", "F-1", "04057912345", "20", "100", "1"), ""},
			{12, "februar.json", sentBody("1", "F-7", "04057912345", "20", "100", "1"), ""},
			// Another Enterprise company, another customer: no clash.
			{12, "februar.json", sentBody("2", "F-8", "04057912345", "20", "100", "2"), ""},
			{12, "februar.json", sentBody("1", "F-9", "04057912346", "20", "200", "1"), ""},
			// The second order has another error; its repeat shows all the same.
			{13, "mars.csv", sentBody("1", "F-3", "923456783", "30", "300", "4"), ""},
			// A neutral invoice, as Bilag stores what it sends since: its
			// company is the connection's.
			{15, "april.json", `{"number":"I-1","customer":{"orgNumber":"04057912345","postcode":"0277"},"lines":[{"quantity":1,"unitPrice":1,` +
				`"productNumber":"200","extensions":{"enterprise":{"principalNumber":20,"serialNumber":1}}}]}`, enterprise.BodyInvoice},
		},
		co + 1: {{14, "other.csv", sentBody("1", "X", "04057912345", "20", "200", "1"), ""}},
	}}
	conn, err := enterprise.Config{Sent: h}.Open()
	if err != nil {
		t.Fatal(err)
	}
	invs, checks, err := conn.ParseInvoices(connectors.WithCompany(t.Context(), co), g, "json", []byte(upload))
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 2 {
		t.Fatalf("%d orders, want 2", len(invs))
	}
	var got []string
	for i, o := range checks {
		for _, f := range o.Findings {
			if f.Code == enterprise.CodeSentBefore {
				if !f.Warning {
					t.Errorf("order %d line %d: a refusal, want a warning", i+1, f.Line)
				}
				got = append(got, invs[i].Number+" "+strconv.Itoa(f.Line)+" "+f.Field+" "+f.Arg)
			}
		}
	}
	want := []string{
		"N-1 1 serialNumber 12 (februar.json): F-7 / 1",
		"N-1 3 serialNumber 15 (april.json): I-1 / 1",
		"N-2 1 serialNumber 13 (mars.csv): F-3 / 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !checks[0].Sendable() {
		t.Errorf("the order with a warning only is not sendable: %+v", checks[0].Findings)
	}
	if strings.Join(h.asked, ",") != enterprise.Name {
		t.Errorf("asked about %q, want the %s connector once", h.asked, enterprise.Name)
	}

	// Without a company to ask about nothing is looked up; a failing
	// lookup fails the upload rather than passing it unchecked.
	h.asked = nil
	if _, _, err := conn.ParseInvoices(t.Context(), g, "json", []byte(upload)); err != nil || len(h.asked) != 0 {
		t.Errorf("without a company: %v, asked %q", err, h.asked)
	}
	h.err = errors.New("database gone")
	if _, _, err := conn.ParseInvoices(connectors.WithCompany(t.Context(), co), g, "json", []byte(upload)); !errors.Is(err, h.err) {
		t.Errorf("a failing lookup: %v, want %v", err, h.err)
	}
}
