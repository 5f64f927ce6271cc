package sandbox

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The sandbox plays Enterprise from the seed on its own: it imports
// nothing of the client package, so a mistake in Bilag's validator cannot
// pass its own check twice.
func TestSandboxDoesNotImportTheClient(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files: %v", err)
	}
	for _, f := range files {
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "bilag/connectors/enterprise" {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// seedAnswer decodes an answer of the seed's shape, {status, message}
// with status an integer that is not 0 for an error, and nothing else.
func seedAnswer(t *testing.T, body []byte) Answer {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	if len(raw) != 2 || raw["status"] == nil || raw["message"] == nil {
		t.Fatalf("answer %s is not {status, message}", body)
	}
	var a Answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return a
}

// set changes one field of the sandbox test's order: a path of keys
// (a number picks a line), and the value; a nil value deletes the field.
func set(t *testing.T, path string, v any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(order), &m); err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(path, ".")
	var cur any = m
	for _, k := range keys[:len(keys)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i, _ := strconv.Atoi(k)
			cur = c[i]
		}
	}
	last := cur.(map[string]any)
	if v == nil {
		delete(last, keys[len(keys)-1])
	} else {
		last[keys[len(keys)-1]] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The seed's rules, as the sandbox applies them to what is posted to it
// straight, with no Bilag in front: each breach is refused with the seed's
// {status, message}, the message naming the field.
func TestSeedRules(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	lines := "orderLines.0."
	tests := []struct {
		name, body, field string
	}{
		{"no company", set(t, "company", nil), "company"},
		{"company of five digits", set(t, "company", n("12345")), "company"},
		{"company as text", set(t, "company", "1"), "company"},
		{"another company", set(t, "company", n("2")), "company"},
		{"no division", set(t, "division", nil), "division"},
		{"division 1", set(t, "division", n("1")), "division"},
		{"no externalSystem", set(t, "externalSystem", nil), "externalSystem"},
		{"externalSystem of three", set(t, "externalSystem", "WSX"), "externalSystem"},
		{"no orderId", set(t, "orderId", nil), "orderId"},
		{"orderId of 17", set(t, "orderId", strings.Repeat("A", 17)), "orderId"},
		{"no customer", set(t, "customer", nil), "customer"},
		{"an unknown field", set(t, "colour", "red"), "colour"},
		{"no customerNumber", set(t, "customer.customerNumber", nil), "customerNumber"},
		{"customerNumber as a number", set(t, "customer.customerNumber", n("4057912345")), "customerNumber"},
		{"customerNumber of 12", set(t, "customer.customerNumber", "123456789012"), "customerNumber"},
		{"name of 41", set(t, "customer.name", strings.Repeat("a", 41)), "name"},
		{"a Norwegian customer without zipCode", set(t, "customer.zipCode", nil), "zipCode"},
		{"zipCode of 5 digits", set(t, "customer.zipCode", n("12345")), "zipCode"},
		{"a foreign customer without foreignZipCode", set(t, "customer.nationCode", "SE"), "foreignZipCode"},
		{"nationCode of 3", set(t, "customer.nationCode", "NOR"), "nationCode"},
		{"an e-mail address without a point", set(t, "customer.eMailAddress", "a@bno"), "eMailAddress"},
		{"cellPhone of 21", set(t, "customer.cellPhone", strings.Repeat("1", 21)), "cellPhone"},
		{"an unknown customer field", set(t, "customer.phone", "1"), "phone"},
		{"no principalNumber", set(t, lines+"principalNumber", nil), "principalNumber"},
		{"principalNumber of 4 digits", set(t, lines+"principalNumber", n("1000")), "principalNumber"},
		{"a principal not registered", set(t, lines+"principalNumber", n("21")), "principalNumber"},
		{"a commodity not registered", set(t, lines+"commodityNumber", n("101")), "commodityNumber"},
		{"serialNumber of 3 digits", set(t, lines+"serialNumber", n("100")), "serialNumber"},
		{"price with three decimals", set(t, lines+"price", n("1.234")), "price"},
		{"quantity of ten digits", set(t, lines+"quantity", n("1000000000")), "quantity"},
		{"amount as text", set(t, lines+"amount", "1"), "amount"},
		{"internalInvoice as text", set(t, lines+"internalInvoice", "true"), "internalInvoice"},
		{"accountId1 of 13", set(t, lines+"accountId1", strings.Repeat("0", 13)), "accountId1"},
		{"an account without vatCode", set(t, lines+"accountId3", "000000003010"), "vatCode"},
		{"a VAT code not registered", set(t, lines+"vatCode", n("25")), "vatCode"},
		{"profile of 21", set(t, lines+"profile", strings.Repeat("P", 21)), "profile"},
		{"100 text lines", set(t, lines+"lineText", make([]any, 100)), "lineText"},
		{"a text line of 61", set(t, lines+"lineText", []any{strings.Repeat("x", 61)}), "lineText"},
		{"an unknown line field", set(t, lines+"accountId11", "1"), "accountId11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := call(t, New(), http.MethodPost, importPath, tt.body, true)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
			}
			a := seedAnswer(t, rec.Body.Bytes())
			if a.Status != StatusInvalid || !strings.Contains(a.Message, tt.field) {
				t.Errorf("answer %+v, want status %d naming %s", a, StatusInvalid, tt.field)
			}
		})
	}
}

// What the seed allows, or where it is of two minds, the sandbox takes.
func TestSeedAllows(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	lines := "orderLines.0."
	tests := []struct{ name, body string }{
		{"the test order", order},
		{"zipCode as a number (the seed's type)", set(t, "customer.zipCode", n("1661"))},
		{"cellPhone as text (the seed's example)", set(t, "customer.cellPhone", "004798000001")},
		{"cellPhone as a number (the seed's type)", set(t, "customer.cellPhone", n("4798000001"))},
		{"emailAddress (the seed's example)", set(t, "customer.emailAddress", "a@b.no")},
		{"a foreign customer with foreignZipCode", set(t, "customer.foreignZipCode", "114 55")},
		{"a credit line", set(t, lines+"amount", n("-1.00"))},
		{"externalSystem of any two characters", set(t, "externalSystem", "BI")},
		{"bankAccount (version 1.2)", set(t, "customer.bankAccount", "86011117947")},
		{"no lines", set(t, "orderLines", []any{})},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(tt.body, `"orderId":"A"`, `"orderId":"A`+strconv.Itoa(i)+`"`, 1)
			if tt.name == "a foreign customer with foreignZipCode" {
				body = strings.Replace(body, `"nationCode":"NO"`, `"nationCode":"SE"`, 1)
			}
			rec := call(t, New(), http.MethodPost, importPath, body, true)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body)
			}
			if a := seedAnswer(t, rec.Body.Bytes()); a.Status != StatusOK {
				t.Errorf("answer %+v", a)
			}
		})
	}
}
