package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func call(t *testing.T, s *Sandbox, method, path, body string, auth bool) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth {
		req.SetBasicAuth(DefaultUser, DefaultPassword)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

const order = `{"externalSystem":"WS","company":1,"division":0,"orderId":"A","customer":{"customerNumber":"04057912345","zipCode":"0277","nationCode":"NO"},"orderLines":[{"principalNumber":20,"commodityNumber":100,"serialNumber":1,"price":1,"quantity":1,"amount":1}]}`

// The order import answers as the seed documents ({status, message}, 0 is
// OK) behind Basic auth, by its own reading of the seed's rules, and lists
// what it took.
func TestOrderImport(t *testing.T) {
	s := New(WithBaseURL("http://127.0.0.1:9090"))
	tests := []struct {
		name, method, body string
		auth               bool
		code, status       int
		message            string
	}{
		{"no user", http.MethodPost, order, false, http.StatusUnauthorized, -1, ""},
		{"a GET (Bilag's credential check)", http.MethodGet, "", true, http.StatusMethodNotAllowed, -1, ""},
		{"a GET without a user", http.MethodGet, "", false, http.StatusUnauthorized, -1, ""},
		{"accepted", http.MethodPost, order, true, http.StatusOK, StatusOK, "OK"},
		{"the same serial again", http.MethodPost, order, true, http.StatusBadRequest, StatusDuplicate, "løpenummer 1"},
		{"a list", http.MethodPost, "[" + order + "]", true, http.StatusBadRequest, StatusInvalid, "én ordre"},
		{"an unknown system code", http.MethodPost, strings.Replace(order, `"WS"`, `"ZZ"`, 1), true, http.StatusBadRequest, StatusInvalid, "systemkode ZZ"},
		{"an unknown principal", http.MethodPost, strings.Replace(order, `"principalNumber":20`, `"principalNumber":21`, 1), true, http.StatusBadRequest, StatusInvalid, "principalNumber: oppdragsgiver 21 finnes ikke"},
		{"a field rule", http.MethodPost, strings.Replace(order, `"0277"`, `"277"`, 1), true, http.StatusBadRequest, StatusInvalid, "customer.zipCode: postnummer er 4 siffer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := call(t, s, tt.method, Root+"/secure/orderimport/order", tt.body, tt.auth)
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.code, rec.Body)
			}
			if tt.status < 0 {
				return
			}
			var a Answer
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Status != tt.status || !strings.Contains(a.Message, tt.message) {
				t.Errorf("answer %+v %v, want status %d with %q", a, err, tt.status, tt.message)
			}
		})
	}
	if n := len(s.Accepted()); n != 1 {
		t.Errorf("accepted %d, want 1", n)
	}
	page := call(t, s, http.MethodGet, "/orders", "", false)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "04057912345") || !strings.Contains(page.Body.String(), "http://127.0.0.1:9090/fakturering_ws") {
		t.Errorf("orders page %d %s", page.Code, page.Body)
	}
}
