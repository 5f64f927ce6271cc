package enterprise

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// seedExample is the seed's JSON example made valid JSON (its first part
// ends in a trailing comma and its second part is a fragment): one order
// with the two lines it shows.
const seedExample = `{
  "externalSystem": "WS",
  "company": 1,
  "division": 0,
  "orderId": "12345-A2",
  "customer": {
    "customerNumber": "04057912345",
    "name": "Olsen Petter",
    "address1": "Lerkestien 4",
    "address2": "Postboks 28",
    "zipCode": 1661,
    "cellPhone": "004798000001",
    "emailAddress": "petterolsen@offline.no",
    "nationCode": "NO"
  },
  "orderLines": [
    {
      "principalNumber": 20, "commodityNumber": 100, "serialNumber": 1,
      "price": 123.56, "quantity": 21.32, "amount": 2634.3,
      "accountId1": "000000001610", "accountId2": "", "accountId3": "000000003010", "accountId4": "",
      "vatCode": 100, "profile": "XGHK231", "yourRef": "Lars Gundersen", "orderRef": "THF",
      "lineText": ["Dette er en ordrelinje", "som er sendt inn", "via WS"]
    },
    {
      "principalNumber": 20, "commodityNumber": 200, "serialNumber": 2,
      "price": 13.56, "quantity": 21, "amount": 284.76, "internalInvoice": true,
      "accountId1": "000000001010", "accountId3": "000000003010",
      "vatCode": 100, "profile": "CG3231", "yourRef": "Lars Gundersen", "orderRef": "ADS",
      "lineText": ["Dette er nok en", "ordrelinje som er sendt", "inn via WS"]
    }
  ]
}`

func seedOrder(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(seedExample), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func customerOf(m map[string]any) map[string]any { return m["customer"].(map[string]any) }
func lineOf(m map[string]any, i int) map[string]any {
	return m["orderLines"].([]any)[i].(map[string]any)
}

// check validates m (marshalled as an upload would be) with r.
func check(t *testing.T, m map[string]any, r Rules) Checked {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// Numbers are written as the test gave them: json.Number keeps 0277.
	cs, err := ParseJSON(b, r)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d orders, want 1", len(cs))
	}
	return cs[0]
}

func TestSeedExampleIsValid(t *testing.T) {
	c := check(t, seedOrder(t), Rules{})
	if !c.OK() {
		t.Fatalf("findings %+v", c.Findings)
	}
	if len(c.Findings) != 0 {
		t.Errorf("warnings %+v, want none (2634.3 = 123.56 × 21.32 within 0.01)", c.Findings)
	}
	o := c.Order
	if o.Customer.CustomerNumber != "04057912345" || o.Customer.ZipCode != "1661" || o.Customer.EMailAddress != "petterolsen@offline.no" {
		t.Errorf("customer %+v", o.Customer)
	}
	if o.OrderLines[0].Amount != 263430 || o.OrderLines[0].AccountID1 != "000000001610" || o.OrderLines[0].AccountID2 != "" {
		t.Errorf("line %+v", o.OrderLines[0])
	}
	if got := string(o.Normalised()); !strings.Contains(got, `"eMailAddress":"petterolsen@offline.no"`) || !strings.Contains(got, `"amount":2634.30`) {
		t.Errorf("normalised %s", got)
	}
}

type set func(m map[string]any)

func top(k string, v any) set   { return func(m map[string]any) { m[k] = v } }
func cust(k string, v any) set  { return func(m map[string]any) { customerOf(m)[k] = v } }
func line0(k string, v any) set { return func(m map[string]any) { lineOf(m, 0)[k] = v } }
func dropTop(k string) set      { return func(m map[string]any) { delete(m, k) } }
func dropCust(k string) set     { return func(m map[string]any) { delete(customerOf(m), k) } }
func dropLine0(k string) set    { return func(m map[string]any) { delete(lineOf(m, 0), k) } }
func num(s string) json.Number  { return json.Number(s) }
func both(fs ...set) set {
	return func(m map[string]any) {
		for _, f := range fs {
			f(m)
		}
	}
}
func texts(n int, length int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = strings.Repeat("x", length)
	}
	return out
}

// TestFieldRules holds every rule of the seed's field tables to a valid and
// an invalid value.
func TestFieldRules(t *testing.T) {
	type want struct {
		line    int
		field   string
		code    string
		warning bool
	}
	ok := want{}
	tests := []struct {
		name string
		set  set
		r    Rules
		want want
	}{
		// Top level.
		// "2 tegn alfa": the seed's "alfa" is any text (orderId is "16 tegn
		// alfa" with the example 12345-A2), so any two characters.
		{"externalSystem two letters", top("externalSystem", "AB"), Rules{}, ok},
		{"externalSystem a letter and a digit", top("externalSystem", "W1"), Rules{}, ok},
		{"externalSystem two digits", top("externalSystem", "12"), Rules{}, ok},
		{"externalSystem a letter and a hyphen", top("externalSystem", "A-"), Rules{}, ok},
		{"externalSystem two Norwegian letters", top("externalSystem", "ÆØ"), Rules{}, ok},
		{"externalSystem three letters", top("externalSystem", "ABC"), Rules{}, want{0, "externalSystem", CodeTooLong, false}},
		{"externalSystem one letter", top("externalSystem", "W"), Rules{}, want{0, "externalSystem", CodeTwoChars, false}},
		{"externalSystem W1 from the connection", dropTop("externalSystem"), Rules{System: "W1"}, ok},
		{"externalSystem missing", dropTop("externalSystem"), Rules{}, want{0, "externalSystem", CodeRequired, false}},
		{"externalSystem from the connection", dropTop("externalSystem"), Rules{System: "WS"}, ok},
		{"externalSystem not the connection's", top("externalSystem", "XY"), Rules{System: "WS"}, want{0, "externalSystem", CodeMismatch, false}},
		{"company four digits", top("company", num("1234")), Rules{}, ok},
		{"company five digits", top("company", num("12345")), Rules{}, want{0, "company", CodeDigits, false}},
		{"company negative", top("company", num("-1")), Rules{}, want{0, "company", CodeDigits, false}},
		{"company text digits", top("company", "0001"), Rules{}, ok},
		{"company missing", dropTop("company"), Rules{}, want{0, "company", CodeRequired, false}},
		{"company not the connection's", top("company", num("2")), Rules{Company: 1}, want{0, "company", CodeMismatch, false}},
		{"division 0", top("division", num("0")), Rules{}, ok},
		{"division 1", top("division", num("1")), Rules{}, want{0, "division", CodeDivision, false}},
		{"orderId 16", top("orderId", strings.Repeat("A", 16)), Rules{}, ok},
		{"orderId 17", top("orderId", strings.Repeat("A", 17)), Rules{}, want{0, "orderId", CodeTooLong, false}},
		{"orderId missing", dropTop("orderId"), Rules{}, want{0, "orderId", CodeRequired, false}},
		{"unknown field", top("orderNumber", "1"), Rules{}, want{0, "orderNumber", CodeUnknownField, false}},
		{"no lines", top("orderLines", []any{}), Rules{}, want{0, "orderLines", CodeNoLines, true}},
		{"customer not an object", top("customer", "x"), Rules{}, want{0, "customer", CodeWrongType, false}},
		{"customer missing", dropTop("customer"), Rules{}, want{0, "customer", CodeRequired, false}},

		// Customer level.
		{"customerNumber 11 digits", cust("customerNumber", "00000000001"), Rules{}, ok},
		{"customerNumber 12 digits", cust("customerNumber", "123456789012"), Rules{}, want{0, "customer.customerNumber", CodeTooLong, false}},
		{"customerNumber letters", cust("customerNumber", "12A"), Rules{}, want{0, "customer.customerNumber", CodeDigits, false}},
		{"customerNumber a number loses zeros", cust("customerNumber", num("4057912345")), Rules{}, want{0, "customer.customerNumber", CodeTextExpected, false}},
		{"customerNumber missing", dropCust("customerNumber"), Rules{}, want{0, "customer.customerNumber", CodeRequired, false}},
		{"name 40", cust("name", strings.Repeat("æ", 40)), Rules{}, ok},
		{"name 41", cust("name", strings.Repeat("æ", 41)), Rules{}, want{0, "customer.name", CodeTooLong, false}},
		{"name a list", cust("name", []any{"a"}), Rules{}, want{0, "customer.name", CodeWrongType, false}},
		{"address1 40", cust("address1", strings.Repeat("a", 40)), Rules{}, ok},
		{"address1 41", cust("address1", strings.Repeat("a", 41)), Rules{}, want{0, "customer.address1", CodeTooLong, false}},
		{"address2 41", cust("address2", strings.Repeat("a", 41)), Rules{}, want{0, "customer.address2", CodeTooLong, false}},
		{"address3 40", cust("address3", strings.Repeat("a", 40)), Rules{}, ok},
		{"address3 41", cust("address3", strings.Repeat("a", 41)), Rules{}, want{0, "customer.address3", CodeTooLong, false}},
		{"address4 41", cust("address4", strings.Repeat("a", 41)), Rules{}, want{0, "customer.address4", CodeTooLong, false}},
		{"address5 40", cust("address5", strings.Repeat("a", 40)), Rules{}, ok},
		{"address5 41", cust("address5", strings.Repeat("a", 41)), Rules{}, want{0, "customer.address5", CodeTooLong, false}},
		{"zipCode with a leading zero", cust("zipCode", "0277"), Rules{}, ok},
		{"zipCode three digits as text", cust("zipCode", "277"), Rules{}, want{0, "customer.zipCode", CodeZip, false}},
		{"zipCode five digits", cust("zipCode", num("12345")), Rules{}, want{0, "customer.zipCode", CodeZip, false}},
		{"zipCode letters", cust("zipCode", "O277"), Rules{}, want{0, "customer.zipCode", CodeZip, false}},
		{"zipCode missing in Norway", dropCust("zipCode"), Rules{}, want{0, "customer.zipCode", CodeZipRequired, false}},
		{"foreign customer with foreignZipCode", both(cust("nationCode", "SE"), dropCust("zipCode"), cust("foreignZipCode", "114 55")), Rules{}, ok},
		{"foreign customer without foreignZipCode", both(cust("nationCode", "SE"), dropCust("zipCode")), Rules{}, want{0, "customer.foreignZipCode", CodeForeignZip, false}},
		{"foreignZipCode 11", both(cust("nationCode", "GB"), cust("foreignZipCode", strings.Repeat("A", 11))), Rules{}, want{0, "customer.foreignZipCode", CodeTooLong, false}},
		{"cellPhone 20", cust("cellPhone", "+47 980 00 001 12345"), Rules{}, ok},
		{"cellPhone 21", cust("cellPhone", strings.Repeat("1", 21)), Rules{}, want{0, "customer.cellPhone", CodeTooLong, false}},
		{"cellPhone letters", cust("cellPhone", "98 ab"), Rules{}, want{0, "customer.cellPhone", CodePhone, false}},
		{"cellPhone as a number", cust("cellPhone", num("4798000001")), Rules{}, ok},
		{"eMailAddress as the table spells it", both(dropCust("emailAddress"), cust("eMailAddress", "a@b.no")), Rules{}, ok},
		{"email without a point", cust("emailAddress", "a@bno"), Rules{}, want{0, "customer.eMailAddress", CodeEmail, false}},
		{"email without @", cust("emailAddress", "ab.no"), Rules{}, want{0, "customer.eMailAddress", CodeEmail, false}},
		{"email ending in a point", cust("emailAddress", "a@b."), Rules{}, want{0, "customer.eMailAddress", CodeEmail, false}},
		{"email 41", cust("emailAddress", strings.Repeat("a", 36)+"@b.no"), Rules{}, want{0, "customer.eMailAddress", CodeTooLong, false}},
		{"email in both spellings", cust("eMailAddress", "x@y.no"), Rules{}, want{0, "customer.eMailAddress", CodeEmailTwice, false}},
		{"nationCode SE", both(cust("nationCode", "SE"), cust("foreignZipCode", "11455")), Rules{}, ok},
		{"nationCode unknown", cust("nationCode", "XX"), Rules{}, want{0, "customer.nationCode", CodeNation, false}},
		{"nationCode lower case", cust("nationCode", "no"), Rules{}, want{0, "customer.nationCode", CodeNation, false}},
		{"nationCode three letters", cust("nationCode", "NOR"), Rules{}, want{0, "customer.nationCode", CodeTooLong, false}},
		{"nationCode missing is Norway, with a warning", dropCust("nationCode"), Rules{}, want{0, "customer.nationCode", CodeNationMissing, true}},
		{"unknown customer field", cust("phone", "1"), Rules{}, want{0, "customer.phone", CodeUnknownField, false}},
		// bankAccount: version 1.2 of the seed adds it, without a format;
		// read as a Norwegian account number, and only warned about.
		{"bankAccount a Norwegian account", cust("bankAccount", "86011117947"), Rules{}, ok},
		{"bankAccount whose remainder is 0", cust("bankAccount", "12345678040"), Rules{}, ok},
		{"bankAccount as a number", cust("bankAccount", num("86011117947")), Rules{}, ok},
		{"bankAccount a wrong check digit", cust("bankAccount", "86011117948"), Rules{}, want{0, "customer.bankAccount", CodeBankAccount, true}},
		{"bankAccount whose check digit would be 10", cust("bankAccount", "12345678920"), Rules{}, want{0, "customer.bankAccount", CodeBankAccount, true}},
		{"bankAccount with points", cust("bankAccount", "8601.11.17947"), Rules{}, want{0, "customer.bankAccount", CodeBankAccount, true}},
		{"bankAccount of 10 digits", cust("bankAccount", "8601111794"), Rules{}, want{0, "customer.bankAccount", CodeBankAccount, true}},
		{"bankAccount an IBAN", cust("bankAccount", "NO9386011117947"), Rules{}, want{0, "customer.bankAccount", CodeBankAccount, true}},
		{"bankAccount a list", cust("bankAccount", []any{"86011117947"}), Rules{}, want{0, "customer.bankAccount", CodeWrongType, false}},

		// Order line level.
		{"principalNumber 3 digits", line0("principalNumber", num("999")), Rules{}, ok},
		{"principalNumber 4 digits", line0("principalNumber", num("1000")), Rules{}, want{1, "principalNumber", CodeDigits, false}},
		{"principalNumber missing", dropLine0("principalNumber"), Rules{}, want{1, "principalNumber", CodeRequired, false}},
		{"principalNumber listed", line0("principalNumber", num("20")), Rules{Principals: map[int]bool{20: true}}, ok},
		{"principalNumber not listed", line0("principalNumber", num("21")), Rules{Principals: map[int]bool{20: true}}, want{1, "principalNumber", CodeNotInList, false}},
		{"commodityNumber 4 digits", line0("commodityNumber", num("9999")), Rules{}, ok},
		{"commodityNumber 5 digits", line0("commodityNumber", num("10000")), Rules{}, want{1, "commodityNumber", CodeDigits, false}},
		{"commodityNumber a fraction", line0("commodityNumber", num("1.5")), Rules{}, want{1, "commodityNumber", CodeDigits, false}},
		{"commodityNumber not listed", line0("commodityNumber", num("101")), Rules{Commodities: map[int]bool{100: true, 200: true}}, want{1, "commodityNumber", CodeNotInList, false}},
		{"serialNumber 2 digits", line0("serialNumber", num("99")), Rules{}, ok},
		{"serialNumber 3 digits", line0("serialNumber", num("100")), Rules{}, want{1, "serialNumber", CodeDigits, false}},
		{"serialNumber used twice", line0("serialNumber", num("2")), Rules{}, ok}, // other commodity: allowed
		{"serialNumber twice for one commodity", both(line0("serialNumber", num("2")), line0("commodityNumber", num("200"))), Rules{}, want{2, "serialNumber", CodeSerialTwice, false}},
		{"price 10.2", both(line0("price", num("999999999.99")), line0("quantity", num("0")), line0("amount", num("0"))), Rules{}, ok},
		{"price too big", line0("price", num("1000000000.00")), Rules{}, want{1, "price", CodeDecimal, false}},
		{"price three decimals", line0("price", num("1.234")), Rules{}, want{1, "price", CodeDecimal, false}},
		{"price an exponent", line0("price", num("1e2")), Rules{}, want{1, "price", CodeDecimal, false}},
		{"price missing", dropLine0("price"), Rules{}, want{1, "price", CodeRequired, false}},
		{"quantity negative (a credit line)", both(line0("quantity", num("-21.32")), line0("amount", num("-2634.30"))), Rules{}, ok},
		{"quantity text", line0("quantity", "many"), Rules{}, want{1, "quantity", CodeDecimal, false}},
		{"amount a bool", line0("amount", true), Rules{}, want{1, "amount", CodeWrongType, false}},
		{"amount off by 0.01 is fine", both(line0("price", num("10")), line0("quantity", num("3")), line0("amount", num("30.01"))), Rules{}, ok},
		{"amount off by more is a warning", both(line0("price", num("10")), line0("quantity", num("3")), line0("amount", num("30.02"))), Rules{}, want{1, "amount", CodeAmount, true}},
		{"internalInvoice false", line0("internalInvoice", false), Rules{}, ok},
		{"internalInvoice yes", line0("internalInvoice", "yes"), Rules{}, want{1, "internalInvoice", CodeBoolean, false}},
		{"internalInvoice 1", line0("internalInvoice", num("1")), Rules{}, want{1, "internalInvoice", CodeBoolean, false}},
		{"accountId1 12", line0("accountId1", "000000001610"), Rules{}, ok},
		{"accountId1 13", line0("accountId1", "0000000016100"), Rules{}, want{1, "accountId1", CodeTooLong, false}},
		{"accountId10 12", line0("accountId10", "ABCDEFGHIJKL"), Rules{}, ok},
		{"accountId10 13", line0("accountId10", "ABCDEFGHIJKLM"), Rules{}, want{1, "accountId10", CodeTooLong, false}},
		{"accountId5 a number loses zeros", line0("accountId5", num("1610")), Rules{}, want{1, "accountId5", CodeTextExpected, false}},
		{"account not listed", line0("accountId3", "9"), Rules{Accounts: map[string]bool{"000000001610": true, "000000003010": true, "000000001010": true}}, want{1, "accountId3", CodeNotInList, false}},
		{"vatCode 3 digits", line0("vatCode", num("999")), Rules{}, ok},
		{"vatCode 4 digits", line0("vatCode", num("1000")), Rules{}, want{1, "vatCode", CodeDigits, false}},
		{"vatCode missing with an account", dropLine0("vatCode"), Rules{}, want{1, "vatCode", CodeVATRequired, false}},
		{"vatCode missing without accounts", both(dropLine0("vatCode"), dropLine0("accountId1"), dropLine0("accountId3")), Rules{}, ok},
		{"vatCode not listed", line0("vatCode", num("25")), Rules{VATCodes: map[int]bool{100: true}}, want{1, "vatCode", CodeNotInList, false}},
		{"profile 20", line0("profile", strings.Repeat("P", 20)), Rules{}, ok},
		{"profile 21", line0("profile", strings.Repeat("P", 21)), Rules{}, want{1, "profile", CodeTooLong, false}},
		{"yourRef 40", line0("yourRef", strings.Repeat("R", 40)), Rules{}, ok},
		{"yourRef 41", line0("yourRef", strings.Repeat("R", 41)), Rules{}, want{1, "yourRef", CodeTooLong, false}},
		{"orderRef 20", line0("orderRef", strings.Repeat("R", 20)), Rules{}, ok},
		{"orderRef 21", line0("orderRef", strings.Repeat("R", 21)), Rules{}, want{1, "orderRef", CodeTooLong, false}},
		{"lineText 99 of 60", line0("lineText", texts(99, 60)), Rules{}, ok},
		{"lineText 100", line0("lineText", texts(100, 1)), Rules{}, want{1, "lineText", CodeTooManyTexts, false}},
		{"lineText of 61", line0("lineText", texts(1, 61)), Rules{}, want{1, "lineText", CodeTooLong, false}},
		{"lineText not a list", line0("lineText", "text"), Rules{}, want{1, "lineText", CodeWrongType, false}},
		{"unknown line field", line0("accountId11", "1"), Rules{}, want{1, "accountId11", CodeUnknownField, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := seedOrder(t)
			tt.set(m)
			c := check(t, m, tt.r)
			if tt.want == ok {
				if len(c.Findings) > 0 {
					t.Fatalf("findings %+v, want none", c.Findings)
				}
				return
			}
			if len(c.Findings) != 1 {
				t.Fatalf("findings %+v, want one %+v", c.Findings, tt.want)
			}
			f := c.Findings[0]
			if got := (want{f.Line, f.Field, f.Code, f.Warning}); got != tt.want {
				t.Errorf("finding %+v, want %+v", f, tt.want)
			}
			if c.OK() != tt.want.warning {
				t.Errorf("OK() = %v with %+v", c.OK(), f)
			}
		})
	}
}

// TestAllFindingsAtOnce: an analyst sees every fault of an upload in one go.
func TestAllFindingsAtOnce(t *testing.T) {
	m := seedOrder(t)
	both(top("orderId", strings.Repeat("A", 17)), cust("zipCode", "12"), line0("price", "x"), func(m map[string]any) {
		lineOf(m, 1)["vatCode"] = num("1000")
	})(m)
	c := check(t, m, Rules{})
	var got []string
	for _, f := range c.Findings {
		got = append(got, f.Field+":"+f.Code)
	}
	want := []string{"orderId:too_long", "customer.zipCode:zip", "price:decimal", "vatCode:digits"}
	if !reflect.DeepEqual(sortedCopy(got), sortedCopy(want)) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestUploadFileErrors(t *testing.T) {
	for _, tt := range []struct {
		name, data, code string
		csv              bool
	}{
		{"the seed's example as printed (a trailing comma)", `{"orderId": "1", "orderLines": [{"profile": "X",}]}`, "json", false},
		{"two documents", `{} {}`, "json_trailing", false},
		{"a string", `"order"`, "json_shape", false},
		{"not UTF-8", "{\"orderId\": \"\xff\"}", "encoding", false},
		{"an unknown column", "orderId;colour\n1;red\n", "csv_column", true},
		{"no orderId column", "name;price\nA;1\n", "csv_no_order_id", true},
		{"a short row", "orderId;name\n1\n", "csv_row_width", true},
		{"a column twice", "orderId;name;name\n", "csv_column_twice", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.csv {
				_, err = ParseCSV([]byte(tt.data), Rules{})
			} else {
				_, err = ParseJSON([]byte(tt.data), Rules{})
			}
			fe, ok := err.(*FileError)
			if !ok || fe.Code != tt.code {
				t.Errorf("err %v, want %s", err, tt.code)
			}
		})
	}
}

// TestSerialTwiceBesideOtherErrors: a serial number used twice is reported
// whatever else is wrong with either order, so that an analyst sees every
// finding in one go instead of the repeat only after fixing the rest.
func TestSerialTwiceBesideOtherErrors(t *testing.T) {
	const header = "orderId;customerNumber;zipCode;nationCode;principalNumber;commodityNumber;serialNumber;price;quantity;amount\n"
	tests := []struct {
		name string
		rows string
		want []string // order:line:field:code
	}{
		{"the first order has another error",
			"A1;04057912345;277;NO;20;100;1;1;1;1\n" +
				"A2;04057912345;0277;NO;20;100;1;1;1;1\n",
			[]string{"1:0:customer.zipCode:zip", "2:1:serialNumber:serial_twice"}},
		{"the second order has another error",
			"A1;04057912345;0277;NO;20;100;1;1;1;1\n" +
				"A2;04057912345;0277;NO;20;100;1;x;1;1\n",
			[]string{"2:1:price:decimal", "2:1:serialNumber:serial_twice"}},
		{"both have other errors",
			"A1;04057912345;0277;NO;20;100;1;1;1;1,001\n" +
				"A2;04057912345;0277;NO;20;100;1;1;1;1\n" +
				"A2;04057912345;0277;NO;20;100;2;1;x;1\n",
			[]string{"1:1:amount:decimal", "2:1:serialNumber:serial_twice", "2:2:quantity:decimal"}},
		{"within one order with another error",
			"A1;04057912345;0277;NO;20;100;1;1;1;1\n" +
				"A1;04057912345;0277;NO;20;100;1;1;1;x\n",
			[]string{"1:2:amount:decimal", "1:2:serialNumber:serial_twice"}},
		{"an unreadable serial number is no repeat",
			"A1;04057912345;0277;NO;20;100;1x;1;1;1\n" +
				"A2;04057912345;0277;NO;20;100;1x;1;1;1\n",
			[]string{"1:1:serialNumber:digits", "2:1:serialNumber:digits"}},
		{"an unreadable customer number is no repeat",
			"A1;0405791234X;0277;NO;20;100;1;1;1;1\n" +
				"A2;0405791234X;0277;NO;20;100;1;1;1;1\n",
			[]string{"1:0:customer.customerNumber:digits", "2:0:customer.customerNumber:digits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := ParseCSV([]byte(header+tt.rows), Rules{System: "WS", Company: 1})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, c := range cs {
				for _, f := range c.Findings {
					got = append(got, strconv.Itoa(i+1)+":"+strconv.Itoa(f.Line)+":"+f.Field+":"+f.Code)
				}
			}
			if !reflect.DeepEqual(sortedCopy(got), sortedCopy(tt.want)) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBankAccountIsSent: an order with a bankAccount keeps it, as typed,
// in the customer level it is sent with, from JSON and from CSV; a
// warning about its format does not keep the order from being sent.
func TestBankAccountIsSent(t *testing.T) {
	m := seedOrder(t)
	cust("bankAccount", "86011117948")(m)
	c := check(t, m, Rules{})
	if !c.OK() || c.Order.Customer.BankAccount != "86011117948" {
		t.Fatalf("order %+v findings %+v", c.Order.Customer, c.Findings)
	}
	if got := string(c.Order.Normalised()); !strings.Contains(got, `"bankAccount":"86011117948"`) {
		t.Errorf("normalised %s", got)
	}
	const csv = "orderId;customerNumber;zipCode;nationCode;bankAccount;principalNumber;commodityNumber;serialNumber;price;quantity;amount\n" +
		"A1;04057912345;0277;NO;86011117947;20;100;1;1;1;1\n"
	cs, err := ParseCSV([]byte(csv), Rules{System: "WS", Company: 1})
	if err != nil || len(cs) != 1 || len(cs[0].Findings) != 0 || cs[0].Order.Customer.BankAccount != "86011117947" {
		t.Fatalf("CSV: %v %+v", err, cs)
	}
}
