package invoice_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/connectors/invoice"
)

// findings writes a parsed invoice's findings as "line field code",
// sorted, for comparing.
func findings(p invoice.Parsed) string {
	var out []string
	for _, f := range p.Findings {
		s := strings.TrimSpace(strings.Join([]string{itoa(f.Line), f.Field, f.Code, f.Arg}, " "))
		if f.Index > 0 {
			s += " #" + itoa(f.Index)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

func itoa(n int) string { return strconv.Itoa(n) }

var pdf = "%PDF-1.4\n% an invoice\n%%EOF\n"

const good = `{"number": "1001", "invoiceDate": "2026-01-31", "dueDate": "2026-03-02",
 "customer": {"name": "Nordlys Bogføring ApS", "orgNumber": "35121005", "address": ["Strandvejen 1", "2. sal"], "postcode": "2100", "city": "København Ø",
  "country": "DK", "email": "bogholder@nordlys.dk", "currency": "DKK"},
 "lines": [{"text": "Konsulent", "quantity": 2, "unitPrice": "1250,50", "salesAccount": 1010, "vatCode": "U25", "productNumber": "K1"},
           {"text": "Rabat", "quantity": 1, "unitPrice": -100, "amount": -100, "extensions": {"enterprise": {"principalNumber": 20}}}],
 "extensions": {"enterprise": {"company": 1}, "economic": {"layout": 19}}}`

func TestParseJSON(t *testing.T) {
	ps, err := invoice.ParseJSON([]byte(good))
	if err != nil || len(ps) != 1 {
		t.Fatalf("ParseJSON = %v, %v", ps, err)
	}
	p := ps[0]
	if f := findings(p); f != "" {
		t.Fatalf("findings %s", f)
	}
	inv := p.Invoice
	if inv.Number != "1001" || inv.DueDate.String() != "2026-03-02" || inv.Customer.Address[1] != "2. sal" || inv.Customer.Currency != "DKK" {
		t.Errorf("invoice %+v", inv)
	}
	if l := inv.Lines[0]; l.UnitPrice.String() != "1250.50" || l.SalesAccount != "1010" || l.Amount != nil || l.LineAmount() != 250100 {
		t.Errorf("line 1 %+v", l)
	}
	if string(inv.Lines[1].Extensions["enterprise"]) != `{"principalNumber":20}` || string(inv.Extensions["economic"]) != `{"layout":19}` {
		t.Errorf("extensions %s %s", inv.Lines[1].Extensions["enterprise"], inv.Extensions["economic"])
	}
	if inv.Total() != 240100 {
		t.Errorf("total %d", inv.Total())
	}
}

// Every problem of reading, at once, each where it is.
func TestParseJSONFindings(t *testing.T) {
	data := `[{"invoiceDate": "2026-02-30", "dueDate": "2026-01-01", "customer": {"orgNumber": 35121005, "country": "dk", "currency": "kr", "address": ["a", 7], "fax": "1"},
 "lines": [{"quantity": "2,123456", "unitPrice": true, "amount": "x", "vatCode": 1.5, "colour": "red"}, "no", {"quantity": 1, "unitPrice": 1, "extensions": {"enterprise": 20}}],
 "pdf": {"fileName": "a.pdf", "data": "bm90IGEgUERG"}},
 {"number": "2", "invoiceDate": "2026-02-01", "dueDate": "2026-01-01", "lines": [{}], "pdf": {"data": "` + base64.StdEncoding.EncodeToString([]byte(pdf)) + `"}}]`
	ps, err := invoice.ParseJSON([]byte(data))
	if err != nil || len(ps) != 2 {
		t.Fatalf("ParseJSON = %v, %v", ps, err)
	}
	want := "0 customer.address invoice.text_expected #2; 0 customer.country invoice.country; 0 customer.currency invoice.currency; " +
		"0 customer.fax invoice.unknown_field; 0 customer.orgNumber invoice.text_expected; 0 invoiceDate invoice.date; 0 number invoice.required; " +
		"0 pdf.data invoice.pdf; 1 amount invoice.decimal; 1 colour invoice.unknown_field; 1 quantity invoice.decimal; " +
		"1 unitPrice invoice.wrong_type; 1 vatCode invoice.wrong_type; 2 lines invoice.wrong_type; 2 quantity invoice.required; " +
		"2 unitPrice invoice.required; 3 extensions.enterprise invoice.extension"
	if got := findings(ps[0]); got != want {
		t.Errorf("findings\n%s\nwant\n%s", got, want)
	}
	if got, want := findings(ps[1]), "0 dueDate invoice.due_before; 1 quantity invoice.required; 1 unitPrice invoice.required"; got != want {
		t.Errorf("second invoice's findings %s, want %s", got, want)
	}
	if p := ps[1].Invoice.PDF; p == nil || string(p.Data) != pdf || p.FileName != "invoice.pdf" {
		t.Errorf("PDF %+v", p)
	}
}

func TestParseJSONFileErrors(t *testing.T) {
	for _, tt := range []struct{ data, code string }{
		{`{"number": "1",}`, "json"},
		{`{"number": "1"} {"number": "2"}`, "invoice_json_trailing"},
		{`"an invoice"`, "invoice_json_shape"},
		{`[1, 2]`, "invoice_json_shape"},
		{"\xff\xfe", "encoding"},
		{"[" + strings.Repeat(`{"number":"1"},`, 1000) + `{"number":"1"}]`, "too_many_invoices"},
	} {
		_, err := invoice.ParseJSON([]byte(tt.data))
		var fe *connectors.ImportFileError
		if !errors.As(err, &fe) || fe.Code != tt.code {
			t.Errorf("ParseJSON(%.30q) = %v, want file error %s", tt.data, err, tt.code)
		}
	}
}

const csvHead = "number;invoiceDate;dueDate;customer.name;customer.orgNumber;customer.address1;customer.address2;customer.country;customer.currency;" +
	"extensions.enterprise.company;line.text;line.quantity;line.unitPrice;line.vatCode;line.extensions.enterprise.principalNumber\n"

func TestParseCSV(t *testing.T) {
	data := "\ufeff" + csvHead +
		"1001;31.01.2026;2026-03-02;Fjordlys AS;923456783;Lerkestien 4;;NO;NOK;1;Husleie;21,32;123,56;25;20\n" +
		"1001;31.01.2026;2026-03-02;Fjordlys AS;923456783;Lerkestien 4;;NO;NOK;2;Strøm;1;10;25;\n" +
		"\n" +
		"1002;2026-02-30;;Olsen;04057912345;;Postboks 28;NO;NOK;1;;;;;\n"
	ps, err := invoice.ParseCSV([]byte(data))
	if err != nil || len(ps) != 2 {
		t.Fatalf("ParseCSV = %v, %v", ps, err)
	}
	if got, want := findings(ps[0]), "0 extensions.enterprise.company invoice.rows_differ 3"; got != want {
		t.Errorf("findings %s, want %s", got, want)
	}
	inv := ps[0].Invoice
	if inv.InvoiceDate.String() != "2026-01-31" || len(inv.Lines) != 2 || inv.Lines[0].Quantity.String() != "21.32" ||
		string(inv.Lines[0].Extensions["enterprise"]) != `{"principalNumber":"20"}` || inv.Lines[1].Extensions != nil ||
		string(inv.Extensions["enterprise"]) != `{"company":"1"}` {
		t.Errorf("invoice %+v", inv)
	}
	if got, want := findings(ps[1]), "0 invoiceDate invoice.date"; got != want {
		t.Errorf("second invoice's findings %s, want %s", got, want)
	}
	if a := ps[1].Invoice.Customer.Address; len(a) != 2 || a[0] != "" || a[1] != "Postboks 28" || len(ps[1].Invoice.Lines) != 0 {
		t.Errorf("second invoice %+v", ps[1].Invoice)
	}
	for _, tt := range []struct{ data, code string }{
		{"orderId;line.text\n1;a\n", "csv_column"},
		{"number;number\n1;1\n", "csv_column_twice"},
		{"line.text\na\n", "csv_no_number"},
		{"number;line.text\n1\n", "csv_row_width"},
		{"number;line.text\n1;\"a\n", "csv"},
		{"", "csv_header"},
	} {
		_, err := invoice.ParseCSV([]byte(tt.data))
		var fe *connectors.ImportFileError
		if !errors.As(err, &fe) || fe.Code != tt.code {
			t.Errorf("ParseCSV(%q) = %v, want file error %s", tt.data, err, tt.code)
		}
	}
}

// The templates, written from a connector's example, read back as the
// example, and Detect tells them from another format.
func TestTemplatesReadBack(t *testing.T) {
	ps, err := invoice.ParseJSON([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	example := ps[0].Invoice
	example.PDF = nil
	want, _ := json.Marshal(example)
	for name, tpl := range map[string][]byte{"json": invoice.TemplateJSON(example), "csv": invoice.TemplateCSV(example)} {
		if !invoice.Detect(tpl) {
			t.Errorf("Detect(%s template) = false", name)
		}
		back, err := invoice.Parse(name, tpl)
		if err != nil || len(back) != 1 || len(back[0].Findings) != 0 {
			t.Fatalf("%s template reads as %+v, %v", name, back, err)
		}
		got, _ := json.Marshal(back[0].Invoice)
		// CSV cells are text: an extension's number comes back a string.
		if name == "csv" {
			got = []byte(strings.NewReplacer(`"company":"1"`, `"company":1`, `"layout":"19"`, `"layout":19`, `"principalNumber":"20"`, `"principalNumber":20`).Replace(string(got)))
		}
		if string(got) != string(want) {
			t.Errorf("%s template reads back as\n%s\nwant\n%s", name, got, want)
		}
	}
	for _, other := range []string{`{"orderId": "1", "orderLines": []}`, "orderId;customerNumber\n1;2\n", "", "[]"} {
		if invoice.Detect([]byte(other)) {
			t.Errorf("Detect(%q) = true", other)
		}
	}
}

// The one-invoice form: the lines filled in become CSV rows with the
// invoice's fields; the example's extension fields are offered.
func TestFormCSV(t *testing.T) {
	ps, _ := invoice.ParseJSON([]byte(good))
	inv, lines := invoice.FormColumns(ps[0].Invoice)
	if !slices.Contains(inv, "extensions.enterprise.company") || !slices.Contains(lines, "line.extensions.enterprise.principalNumber") || slices.Contains(inv, "customer.address3") {
		t.Fatalf("form columns %v %v", inv, lines)
	}
	values := map[string]string{"number@0": "F-1", "customer.name@0": "Olsen", "line.text@2": "Strøm", "line.quantity@2": "1", "line.unitPrice@2": "10"}
	data := invoice.FormCSV(inv, lines, func(c string, n int) string { return values[c+"@"+itoa(n)] })
	ps, err := invoice.ParseCSV(data)
	if err != nil || len(ps) != 1 || len(ps[0].Invoice.Lines) != 1 || ps[0].Invoice.Lines[0].Text != "Strøm" || ps[0].Invoice.Customer.Name != "Olsen" {
		t.Fatalf("form reads as %+v %v", ps, err)
	}
}
