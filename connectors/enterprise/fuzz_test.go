package enterprise_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"bilag/connectors/enterprise"
	"bilag/connectors/enterprise/sandbox"
)

// fuzzSeeds: the seed's example corrected to valid JSON, and an edge of
// every rule.
var fuzzSeeds = []string{
	`{"externalSystem":"WS","company":1,"division":0,"orderId":"12345-A2","customer":{"customerNumber":"04057912345","name":"Olsen Petter","address1":"Lerkestien 4","address2":"Postboks 28","zipCode":1661,"cellPhone":"004798000001","emailAddress":"petterolsen@offline.no","nationCode":"NO"},"orderLines":[{"principalNumber":20,"commodityNumber":100,"serialNumber":1,"price":123.56,"quantity":21.32,"amount":2634.3,"accountId1":"000000001610","accountId2":"","accountId3":"000000003010","accountId4":"","vatCode":100,"profile":"XGHK231","yourRef":"Lars Gundersen","orderRef":"THF","lineText":["Dette er en ordrelinje","som er sendt inn","via WS"]},{"principalNumber":20,"commodityNumber":200,"serialNumber":2,"price":13.56,"quantity":21,"amount":284.76,"internalInvoice":true,"accountId1":"000000001010","accountId3":"000000003010","vatCode":100,"profile":"CG3231","yourRef":"Lars Gundersen","orderRef":"ADS","lineText":["Dette er nok en","ordrelinje som er sendt","inn via WS"]}]}`,
	`{"orderId":"0000000000000000","customer":{"customerNumber":"00000000001","zipCode":"0277","nationCode":"NO","eMailAddress":"a@b.c","cellPhone":"+47 00000000000000000"},"orderLines":[{"principalNumber":30,"commodityNumber":300,"serialNumber":99,"price":-999999999.99,"quantity":0.01,"amount":-10000000.00,"vatCode":0,"accountId10":"ABCDEFGHIJKL","internalInvoice":false,"lineText":[""]}]}`,
	`{"orderId":"X","customer":{"customerNumber":"1","nationCode":"SE","foreignZipCode":"114 55"},"orderLines":[]}`,
	`[{"orderId":"A","customer":{"customerNumber":"1","zipCode":277},"orderLines":[{"principalNumber":20,"commodityNumber":100,"serialNumber":1,"price":0,"quantity":0,"amount":0}]},{"orderId":"B","customer":{"customerNumber":"1","zipCode":"0277"},"orderLines":[{"principalNumber":20,"commodityNumber":100,"serialNumber":1,"price":0,"quantity":0,"amount":0}]}]`,
	`{"orderId":"12345678901234567","company":12345,"division":1,"externalSystem":"W1","customer":{"customerNumber":4057912345,"zipCode":"12345","nationCode":"XX","cellPhone":"abc","eMailAddress":"a@b"},"orderLines":[{"principalNumber":1000,"commodityNumber":10000,"serialNumber":100,"price":1e2,"quantity":"1,234","amount":true,"accountId1":"0000000000000","lineText":"x"}]}`,
	`{"orderId":"A","customer":{"customerNumber":"1","zipCode":"0277","emailAddress":"a@b.no","eMailAddress":"c@d.no"},"orderLines":[{"principalNumber":20,"commodityNumber":100,"serialNumber":1,"price":1,"quantity":1,"amount":1,"accountId1":"1"}]}`,
	`{"orderId": "1", "orderLines": [{"profile": "X",}]}`,
	"\ufeff{}",
	`{"orderId":"B","customer":{"customerNumber":"1","zipCode":"0277","bankAccount":"86011117948"},"orderLines":[{"principalNumber":20,"commodityNumber":100,"serialNumber":1,"price":1,"quantity":1,"amount":1}]}`,
}

// FuzzValidate: the validator never panics; an order it accepts
// round-trips through JSON unchanged, leading zeros included, and through
// Bilag's neutral invoice to the same key; and the sandbox accepts
// whatever it accepts.
func FuzzValidate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules := sandboxRules()
		checked, err := enterprise.ParseJSON(data, rules)
		if err != nil {
			return
		}
		conn, _ := enterprise.Config{}.Open()
		invs, checks, err := conn.ParseInvoices(t.Context(), sandboxGrant, "json", data)
		if err != nil || len(invs) != len(checked) {
			t.Fatalf("as invoices: %d of %d, %v", len(invs), len(checked), err)
		}
		again, err := conn.ValidateInvoices(t.Context(), sandboxGrant, invs)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range checked {
			if c.OK() != checks[i].Sendable() || c.OK() && (again[i].Key != checks[i].Key || again[i].Digest != checks[i].Digest) {
				t.Fatalf("order %d as an invoice: %+v, validated again %+v, want OK=%v", i, checks[i], again[i], c.OK())
			}
		}
		box := sandbox.New()
		for _, c := range checked {
			if !c.OK() {
				continue
			}
			body := c.Order.Normalised()
			again, err := enterprise.ParseJSON(body, rules)
			if err != nil || len(again) != 1 || !again[0].OK() {
				t.Fatalf("accepted order %s does not validate again: %v %+v", body, err, again)
			}
			if !reflect.DeepEqual(again[0].Order, c.Order) {
				t.Fatalf("round trip changed the order:\n%+v\n%+v", c.Order, again[0].Order)
			}
			if !bytes.Equal(again[0].Order.Normalised(), body) {
				t.Fatalf("round trip changed the bytes:\n%s\n%s", body, again[0].Order.Normalised())
			}
			if strings.HasPrefix(c.Order.OrderID, sandbox.LoseAnswerPrefix) {
				continue
			}
			req := httptest.NewRequest(http.MethodPost, sandbox.Root+"/secure/orderimport/order", bytes.NewReader(body))
			req.SetBasicAuth(sandbox.DefaultUser, sandbox.DefaultPassword)
			rec := httptest.NewRecorder()
			box.ServeHTTP(rec, req)
			var a sandbox.Answer
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || rec.Code != http.StatusOK || a.Status != sandbox.StatusOK {
				t.Fatalf("sandbox refused an accepted order %s: %d %s", body, rec.Code, rec.Body)
			}
		}
	})
}

// sandboxRules are the connection's lists as a connection to the sandbox
// would have them typed: its system code, company and registered codes.
func sandboxRules() enterprise.Rules {
	reg := sandbox.Registered()
	set := func(xs []int) map[int]bool {
		m := map[int]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	return enterprise.Rules{System: reg.Systems[0], Company: reg.Company,
		Principals: set(reg.Principals), Commodities: set(reg.Commodities), VATCodes: set(reg.VATCodes)}
}
