package eaccounting

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"bilag/connectors"
)

// Item 10: Visma's 6000 QueryParameterError and 6001 InvalidInput to a
// "modified since" query say the filter was refused, which the sync can
// answer by reading everything; without a filter they are no such thing.
func TestRejectedFilter(t *testing.T) {
	for _, code := range []int{6000, 6001} {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v2/vouchers", api(t, func(w http.ResponseWriter, r *http.Request) {
			writeAPIError(w, http.StatusBadRequest, code, "The query specified in the URI is not valid.")
		}))
		c, _ := newTestConnector(t, mux)
		_, err := c.Vouchers(t.Context(), testGrant(t), connectors.VoucherQuery{ModifiedSince: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if !errors.Is(err, connectors.ErrFilterRejected) {
			t.Errorf("Vouchers(since, answer %d) = %v, want ErrFilterRejected", code, err)
		}
		_, err = c.Vouchers(t.Context(), testGrant(t), connectors.VoucherQuery{})
		if err == nil || errors.Is(err, connectors.ErrFilterRejected) {
			t.Errorf("Vouchers(no filter, answer %d) = %v, want an error that is not ErrFilterRejected", code, err)
		}
	}
}
