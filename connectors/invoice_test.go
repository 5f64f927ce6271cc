package connectors

import (
	"encoding/json"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want Decimal
		ok   bool
		out  string
	}{
		{"5", 50000, true, "5.00"},
		{"123,56", 1235600, true, "123.56"},
		{"-2634.3", -26343000, true, "-2634.30"},
		{"1.2345", 12345, true, "1.2345"},
		{"0.10", 1000, true, "0.10"},
		{"999999999999.9999", 9999999999999999, true, "999999999999.9999"},
		{"1.23456", 0, false, ""},
		{"1000000000000", 0, false, ""},
		{"", 0, false, ""},
		{"1.", 0, false, ""},
		{".5", 0, false, ""},
		{"1e3", 0, false, ""},
		{"1 000", 0, false, ""},
		{"+1", 0, false, ""},
	}
	for _, tt := range tests {
		got, ok := ParseDecimal(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.out {
			t.Errorf("ParseDecimal(%q).String() = %q, want %q", tt.in, got.String(), tt.out)
		}
	}
}

func TestLineAmount(t *testing.T) {
	d := func(s string) Decimal {
		v, ok := ParseDecimal(s)
		if !ok {
			t.Fatalf("ParseDecimal(%q)", s)
		}
		return v
	}
	tests := []struct {
		qty, price string
		amount     string
		want       int64
	}{
		{"21.32", "123.56", "", 263430}, // 2634.2992 → 2634.30
		{"3", "0.005", "", 2},           // 0.015 → 0.02, half away from zero
		{"-3", "0.005", "", -2},
		{"2", "10", "19.995", 2000},
		{"2", "10", "-19.994", -1999},
	}
	for _, tt := range tests {
		l := InvoiceLine{Quantity: d(tt.qty), UnitPrice: d(tt.price)}
		if tt.amount != "" {
			a := d(tt.amount)
			l.Amount = &a
		}
		if got := l.LineAmount(); got != tt.want {
			t.Errorf("LineAmount(%s × %s, %q) = %d, want %d", tt.qty, tt.price, tt.amount, got, tt.want)
		}
	}
}

// An invoice round-trips through its JSON: dates as days, decimals exact,
// a PDF as base64, extensions as their connector wrote them.
func TestInvoiceJSON(t *testing.T) {
	amount := Decimal(26343000)
	inv := Invoice{Number: "1001", InvoiceDate: Date{2026, 1, 31}, DueDate: Date{2026, 3, 2},
		Customer: Customer{Name: "Fjordlys AS", OrgNumber: "923456783", Address: []string{"Lerkestien 4"}, Postcode: "0277", Country: "NO", Currency: "NOK"},
		Lines: []InvoiceLine{{Text: "Husleie", Quantity: 213200, UnitPrice: 1235600, Amount: &amount, VATCode: "25",
			Extensions: Extensions{"enterprise": json.RawMessage(`{"principalNumber":20}`)}}},
		PDF: &InvoicePDF{FileName: "1001.pdf", Data: []byte("%PDF-1.4")}}
	b, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	var back Invoice
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Errorf("round trip\n%s\n%s", b, b2)
	}
	if back.InvoiceDate.String() != "2026-01-31" || back.Lines[0].Quantity.String() != "21.32" || string(back.PDF.Data) != "%PDF-1.4" {
		t.Errorf("read back %+v", back)
	}
	if inv.Total() != 263430 || inv.Summary() != "923456783 Fjordlys AS" {
		t.Errorf("Total %d, Summary %q", inv.Total(), inv.Summary())
	}
}
