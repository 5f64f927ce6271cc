package economic

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"bilag/connectors"
)

// Issue 25 item 3: a 200 whose JSON ends early, as long as its
// Content-Length says, is an answer Bilag cannot use (502), like any other
// undecodable body, and not a lost answer; only a body the connection cut
// short of its length is e-conomic not answering (503).
func TestJSONCutShortIsABadAnswer(t *testing.T) {
	const partial = `{"collection":[{"year":"2026","fromDate":"2026-01-01","toDa`
	tests := []struct {
		name  string
		extra int // bytes announced beyond the body: the connection drops them
		body  string
		want  connectors.Class
	}{
		{"whole answer, JSON ends early", 0, partial, connectors.ClassBadAnswer},
		{"whole answer, empty", 0, "", connectors.ClassBadAnswer},
		{"connection lost mid-body", 100, partial, connectors.ClassUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("Content-Length", strconv.Itoa(len(tt.body)+tt.extra))
				w.WriteHeader(http.StatusOK)
				// Returning short of the length makes the server drop the
				// connection.
				io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			c, err := Config{
				AppPublicToken: "public", AppSecretToken: "secret",
				GrantURL: srv.URL + "/grant", APIURL: srv.URL, DocumentsAPIURL: srv.URL + "/documents",
				Sleep: func(context.Context, time.Duration) error { return nil },
			}.Open(nil, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(grantData{Token: "grant-token", Agreement: 1})
			_, err = c.FiscalYears(t.Context(), connectors.Grant{Data: data})
			if got := connectors.Classify(err).Class; got != tt.want {
				t.Errorf("FiscalYears() = %v: class %d, want %d", err, got, tt.want)
			}
			if tt.want == connectors.ClassBadAnswer && connectors.AnswerLost(err) {
				t.Errorf("FiscalYears() = %v counts as a lost answer", err)
			}
		})
	}
}
