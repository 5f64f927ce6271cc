package enterprise

import (
	"strings"
	"testing"
)

func TestCSVTemplateIsValid(t *testing.T) {
	cs, err := ParseCSV(CSVTemplate(), Rules{System: "WS", Company: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || len(cs[0].Findings) != 0 {
		t.Fatalf("template: %+v", cs)
	}
	o := cs[0].Order
	if o.Customer.ZipCode != "0277" || o.Customer.CustomerNumber != "04057912345" || o.OrderLines[0].Price != 12356 {
		t.Errorf("order %+v", o)
	}
}

func TestCSV(t *testing.T) {
	const header = "orderId;customerNumber;zipCode;nationCode;principalNumber;commodityNumber;serialNumber;price;quantity;amount;lineText1;lineText2;lineText3\n"
	tests := []struct {
		name   string
		data   string
		orders int
		lines  []int
		codes  []string
	}{
		{"a BOM, semicolons and decimal commas, two orders",
			"\ufeff" + header +
				"A1;04057912345;0277;NO;20;100;1;123,56;21,32;2634,30;Linje en;;Linje tre\n" +
				"B1;123;1661;NO;20;100;1;10;1;10;;;\n" +
				"A1;04057912345;0277;NO;20;200;1;-5,00;1;-5,00;;;\n",
			2, []int{2, 1}, nil},
		{"commas and decimal points",
			strings.ReplaceAll(header, ";", ",") + "A1,04057912345,0277,NO,20,100,1,123.56,21.32,2634.30,,,\n",
			1, []int{1}, nil},
		{"quoted decimal commas with comma separators",
			strings.ReplaceAll(header, ";", ",") + `A1,04057912345,0277,NO,20,100,1,"123,56","21,32","2634,30",,,` + "\n",
			1, []int{1}, nil},
		{"customer fields differ between an order's rows",
			header + "A1;04057912345;0277;NO;20;100;1;1;1;1;;;\nA1;04057912345;0278;NO;20;100;2;1;1;1;;;\n",
			1, []int{2}, []string{"customer.zipCode:rows_differ"}},
		{"a serial number twice",
			header + "A1;04057912345;0277;NO;20;100;1;1;1;1;;;\nA2;04057912345;0277;NO;20;100;1;1;1;1;;;\n",
			2, []int{1, 1}, []string{"serialNumber:serial_twice"}},
		{"errors in every order, at once",
			header + "A1;0405791234X;0277;NO;20;100;1;1;1;1;;;\nA2;1;277;NO;2000;100;1;1,234;1;1;;;\n",
			2, []int{1, 1}, []string{"customer.customerNumber:digits", "customer.zipCode:zip", "principalNumber:digits", "price:decimal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParseCSV([]byte(tt.data), Rules{System: "WS", Company: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != tt.orders {
				t.Fatalf("%d orders, want %d", len(cs), tt.orders)
			}
			var codes []string
			for i, c := range cs {
				if n := len(c.Order.OrderLines); n != tt.lines[i] {
					t.Errorf("order %d: %d lines, want %d", i, n, tt.lines[i])
				}
				for _, f := range c.Findings {
					codes = append(codes, f.Field+":"+f.Code)
				}
			}
			if strings.Join(sortedCopy(codes), ",") != strings.Join(sortedCopy(tt.codes), ",") {
				t.Errorf("findings %v, want %v", codes, tt.codes)
			}
		})
	}
	cs, _ := ParseCSV([]byte("\ufeff"+header+"A1;04057912345;0277;NO;20;100;1;123,56;21,32;2634,30;Linje en;;Linje tre\n"), Rules{System: "WS", Company: 1})
	if got := cs[0].Order.OrderLines[0].LineText; len(got) != 3 || got[0] != "Linje en" || got[1] != "" || got[2] != "Linje tre" {
		t.Errorf("line texts %q", got)
	}
}
