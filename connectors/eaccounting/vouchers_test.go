package eaccounting

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"bilag/connectors"
)

const (
	fy2025 = "f1000000-0000-4000-8000-000000002025"
	fy2026 = "f1000000-0000-4000-8000-000000002026"
)

var fiscalYearsJSON = []map[string]any{
	{"Id": fy2025, "StartDate": "2025-01-01T00:00:00", "EndDate": "2025-12-31T00:00:00", "IsLockedForAccounting": true, "BookkeepingMethod": 0},
	{"Id": fy2026, "StartDate": "2026-01-01T00:00:00", "EndDate": "2026-12-31T00:00:00", "IsLockedForAccounting": false, "BookkeepingMethod": 0},
}

// A voucher as the API returns it: dates without a zone, amounts as
// decimals, attachments as an AttachmentLinkApi.
const voucherA12 = `{
	"Id": "a0000000-0000-4000-8000-000000000012",
	"VoucherDate": "2025-12-31T00:00:00",
	"VoucherText": "Office chairs",
	"Rows": [
		{"AccountNumber": 5410, "AccountDescription": "Förbrukningsinventarier", "DebitAmount": 1000.10, "CreditAmount": 0, "TransactionText": "chairs"},
		{"AccountNumber": 2641, "AccountDescription": "Ingående moms", "DebitAmount": 250.03, "CreditAmount": 0, "TransactionText": null},
		{"AccountNumber": 1930, "AccountDescription": "Företagskonto", "DebitAmount": 0, "CreditAmount": 1250.13, "TransactionText": null}
	],
	"NumberAndNumberSeries": "A12",
	"NumberSeries": "A",
	"ImportedVoucherNumber": null,
	"Attachments": {"DocumentId": "d0000000-0000-4000-8000-000000000001", "DocumentType": 3, "AttachmentIds": ["b0000000-0000-4000-8000-000000000001"]},
	"ModifiedUtc": "2026-01-02T08:09:10.123Z",
	"VoucherType": 2,
	"SourceId": null,
	"CreatedUtc": "2026-01-02T08:09:10Z"
}`

const idA12 = "a0000000-0000-4000-8000-000000000012"

var wantA12 = connectors.Voucher{
	Ref:          fy2025 + "/" + idA12,
	FiscalYear:   fy2025,
	Number:       "A12",
	Series:       "A",
	Date:         time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
	Text:         "Office chairs",
	Amount:       125013,
	Kind:         connectors.KindManual,
	UpstreamType: "Manual voucher",
	HasDocuments: true,
	Data:         []byte(`{"i":"` + idA12 + `","t":2,"a":["b0000000-0000-4000-8000-000000000001"]}`),
	ModifiedAt:   time.Date(2026, 1, 2, 8, 9, 10, 123e6, time.UTC),
	Rows: []connectors.VoucherRow{
		{Account: "5410", AccountName: "Förbrukningsinventarier", Debit: 100010, Text: "chairs"},
		{Account: "2641", AccountName: "Ingående moms", Debit: 25003},
		{Account: "1930", AccountName: "Företagskonto", Credit: 125013},
	},
}

func TestVouchers(t *testing.T) {
	var query http.Header
	var fyCalls int
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/fiscalyears", api(t, func(w http.ResponseWriter, r *http.Request) {
		fyCalls++
		writeJSON(w, http.StatusOK, page(fiscalYearsJSON, 2))
	}))
	mux.HandleFunc("GET /v2/vouchers", api(t, func(w http.ResponseWriter, r *http.Request) {
		query = http.Header(r.URL.Query())
		var v, other map[string]any
		_ = json.Unmarshal([]byte(voucherA12), &v)
		_ = json.Unmarshal([]byte(voucherA12), &other)
		other["Id"], other["VoucherDate"], other["Attachments"] = "a0000000-0000-4000-8000-000000000099", "2026-02-01", nil
		writeJSON(w, http.StatusOK, map[string]any{
			"Meta": map[string]any{"CurrentPage": 3, "PageSize": 2, "TotalNumberOfPages": 7, "TotalNumberOfResults": 13, "ServerTimeUtc": "2026-03-15T10:00:00Z"},
			"Data": []any{v, other},
		})
	}))
	emptyDimensionLists(t, mux)
	c, _ := newTestConnector(t, mux)

	since := time.Date(2026, 1, 1, 12, 30, 45, 987654321, time.FixedZone("CET", 3600))
	p, err := c.Vouchers(t.Context(), testGrant(t), connectors.VoucherQuery{ModifiedSince: since, Cursor: "3", PageSize: 2})
	if err != nil {
		t.Fatalf("Vouchers() = %v", err)
	}
	wantQuery := http.Header{
		"$page":     {"3"},
		"$pagesize": {"2"},
		"$filter":   {"ModifiedUtc gt 2026-01-01T11:30:45Z"},
		"$orderby":  {"ModifiedUtc asc"},
	}
	if !reflect.DeepEqual(query, wantQuery) {
		t.Errorf("Vouchers() query = %v, want %v", query, wantQuery)
	}
	if p.Next != "4" || p.Total != 13 || len(p.Vouchers) != 2 {
		t.Fatalf("Vouchers() page = next %q of %d with %d vouchers, want next \"4\" of 13 with 2", p.Next, p.Total, len(p.Vouchers))
	}
	if !reflect.DeepEqual(p.Vouchers[0], wantA12) {
		t.Errorf("Vouchers()[0] =\n%+v\nwant\n%+v", p.Vouchers[0], wantA12)
	}
	if v := p.Vouchers[1]; v.FiscalYear != fy2026 || v.HasDocuments {
		t.Errorf("Vouchers()[1] fiscal year %q, has documents %v; want %q, none", v.FiscalYear, v.HasDocuments, fy2026)
	}
	if fyCalls != 1 {
		t.Errorf("fiscal years read %d times for one page, want 1", fyCalls)
	}

	// A first sync has no filter.
	if _, err := c.Vouchers(t.Context(), testGrant(t), connectors.VoucherQuery{}); err != nil {
		t.Fatalf("Vouchers() = %v", err)
	}
	if query.Get("$filter") != "" || query.Get("$page") != "1" || query.Get("$pagesize") != "" {
		t.Errorf("Vouchers(zero query) query = %v", query)
	}
}

func TestVoucher(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/vouchers/{fy}/{id}", api(t, func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("fy") != fy2025 || r.PathValue("id") != idA12 {
			writeAPIError(w, http.StatusNotFound, 3000, "Voucher not found")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(voucherA12))
	}))
	c, _ := newTestConnector(t, mux)

	v, err := c.Voucher(t.Context(), testGrant(t), wantA12.Ref)
	if err != nil {
		t.Fatalf("Voucher() = %v", err)
	}
	if !reflect.DeepEqual(v, wantA12) {
		t.Errorf("Voucher() =\n%+v\nwant\n%+v", v, wantA12)
	}
	if _, err := c.Voucher(t.Context(), testGrant(t), fy2026+"/"+idA12); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("Voucher(wrong year) = %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "..", ".", fy2025 + "/", fy2025 + "/..", "/" + idA12, idA12} {
		if _, err := c.Voucher(t.Context(), testGrant(t), bad); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Voucher(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}

func TestTypeName(t *testing.T) {
	tests := map[int]string{2: "Manual voucher", 12: "Supplier invoice debit", 15: "Customer invoice credit", 34: "Payment links", 31: "Type 31"}
	for in, want := range tests {
		if got := TypeName(in); got != want {
			t.Errorf("TypeName(%d) = %q, want %q", in, got, want)
		}
	}
}
