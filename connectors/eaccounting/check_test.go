package eaccounting

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"bilag/connectors"
)

// checkFake answers the calls Check makes. settings is CompanySettingsApi;
// faults maps an API path to the (status, code) it answers with.
func checkFake(t *testing.T, settings map[string]any, faults map[string][2]int) *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(path string, ok func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc("GET /v2"+path, api(t, func(w http.ResponseWriter, r *http.Request) {
			if f, bad := faults[path]; bad {
				writeAPIError(w, f[0], f[1], "refused")
				return
			}
			ok(w, r)
		}))
	}
	empty := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$pagesize") != "1" {
			t.Errorf("probe %s: $pagesize = %q, want 1", r.URL.Path, r.URL.Query().Get("$pagesize"))
		}
		writeJSON(w, http.StatusOK, page([]any{}, 0))
	}
	handle("/companysettings", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, settings) })
	handle("/fiscalyears", empty)
	handle("/vouchers", empty)
	handle("/attachments", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("includeTemporaryUrl"); got != "false" {
			t.Errorf("attachments probe: includeTemporaryUrl = %q, want false", got)
		}
		empty(w, r)
	})
	handle("/supplierinvoices", empty)
	handle("/accountbalances/2026-03-15", empty)
	return mux
}

func settings(variant, status int) map[string]any {
	return map[string]any{
		"Name":                    "Exempel AB",
		"CorporateIdentityNumber": "556000-0000",
		"CompanyIdentifier":       "c0ffee00-0000-4000-8000-000000000001",
		"CountryCode":             "SE",
		"ProductVariant":          variant,
		"CompanyStatus":           status,
		"ActivatedModules":        []string{},
	}
}

// withAddress is settings with an address, as CompanySettingsApi gives it.
func withAddress(s map[string]any) map[string]any {
	s["Address1"], s["Address2"], s["PostalCode"], s["City"] = " Storgatan 1 ", nil, "111 22", "Stockholm"
	return s
}

func TestCheck(t *testing.T) {
	company := connectors.Company{ExternalID: "c0ffee00-0000-4000-8000-000000000001", Name: "Exempel AB", OrgNumber: "556000-0000", Country: "SE"}
	addressed := company
	addressed.Address = connectors.Address{Line1: "Storgatan 1", PostalCode: "111 22", City: "Stockholm", Country: "SE"}
	tests := []struct {
		name        string
		settings    map[string]any
		faults      map[string][2]int
		wantCompany connectors.Company
		want        []connectors.Problem
	}{
		{"ok", settings(1, 1), nil, company, nil},
		// CompanySettingsApi's Address1, Address2 (null), PostalCode, City
		// and CountryCode, trimmed.
		{"address", withAddress(settings(1, 1)), nil, addressed, nil},
		{"read-only company is fine", settings(3, 2), nil, company, nil},
		{"invoicing variant", settings(2, 1), map[string][2]int{
			"/supplierinvoices":           {403, 4009},
			"/accountbalances/2026-03-15": {403, 4009},
		}, company, []connectors.Problem{{Code: connectors.ProblemNoBookkeeping, Upstream: "ProductVariant 2"}}},
		{"bookkeeping missing by probe only", settings(1, 1), map[string][2]int{
			"/accountbalances/2026-03-15": {400, 4009},
		}, company, []connectors.Problem{{Code: connectors.ProblemNoBookkeeping, Upstream: "4009"}}},
		{"no permission for vouchers", settings(1, 1), map[string][2]int{
			"/vouchers": {403, 4007},
		}, company, []connectors.Problem{{Code: connectors.ProblemPermission, Area: "vouchers", Upstream: "4007"}}},
		{"no permission in two areas", settings(5, 1), map[string][2]int{
			"/vouchers":         {403, 4007},
			"/supplierinvoices": {403, 4007},
		}, company, []connectors.Problem{
			{Code: connectors.ProblemPermission, Area: "vouchers", Upstream: "4007"},
			{Code: connectors.ProblemPermission, Area: "supplier_invoices", Upstream: "4007"},
		}},
		{"no company access", settings(1, 1), map[string][2]int{
			"/companysettings":            {403, 4011},
			"/fiscalyears":                {403, 4011},
			"/vouchers":                   {403, 4011},
			"/attachments":                {403, 4011},
			"/supplierinvoices":           {403, 4011},
			"/accountbalances/2026-03-15": {403, 4011},
		}, connectors.Company{}, []connectors.Problem{{Code: connectors.ProblemNoCompanyAccess, Upstream: "4011"}}},
		{"inactive", settings(1, 0), map[string][2]int{
			"/vouchers": {403, 4004},
		}, company, []connectors.Problem{{Code: connectors.ProblemInactive, Upstream: "CompanyStatus 0"}}},
		{"licence and start guide", settings(1, 1), map[string][2]int{
			"/fiscalyears": {403, 4012},
			"/vouchers":    {403, 4003},
		}, company, []connectors.Problem{
			{Code: connectors.ProblemLicence, Upstream: "4012"},
			{Code: connectors.ProblemStartGuide, Upstream: "4003"},
		}},
		{"missing purchase scope", settings(1, 1), map[string][2]int{
			"/supplierinvoices": {403, 4006},
		}, company, []connectors.Problem{{Code: connectors.ProblemMissingScope, Upstream: "4006"}}},
		{"a missing collection is no finding", settings(1, 1), map[string][2]int{
			"/supplierinvoices": {404, 3000},
		}, company, nil},
		{"missing sales scope hides the company", settings(1, 1), map[string][2]int{
			"/companysettings": {403, 4006},
		}, connectors.Company{}, []connectors.Problem{{Code: connectors.ProblemMissingScope, Upstream: "4006"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestConnector(t, checkFake(t, tt.settings, tt.faults))
			v, err := c.Check(t.Context(), testGrant(t))
			if err != nil {
				t.Fatalf("Check() = %v", err)
			}
			if v.Company != tt.wantCompany {
				t.Errorf("Check() company = %+v, want %+v", v.Company, tt.wantCompany)
			}
			if !reflect.DeepEqual(v.Problems, tt.want) {
				t.Errorf("Check() problems = %+v, want %+v", v.Problems, tt.want)
			}
			if v.OK() != (len(tt.want) == 0) {
				t.Errorf("Check().OK() = %v", v.OK())
			}
		})
	}
}

func TestCheckFaultsAreErrors(t *testing.T) {
	tests := []struct {
		name   string
		faults map[string][2]int
		want   error
	}{
		{"token refused", map[string][2]int{"/companysettings": {401, 4005}}, connectors.ErrUnauthorized},
		{"token refused on a probe", map[string][2]int{"/vouchers": {401, 0}}, connectors.ErrUnauthorized},
		{"outage on a probe", map[string][2]int{"/attachments": {503, 5001}}, connectors.ErrUnavailable},
		{"rate limited", map[string][2]int{"/fiscalyears": {429, 4010}}, connectors.ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestConnector(t, checkFake(t, settings(1, 1), tt.faults))
			_, err := c.Check(t.Context(), testGrant(t))
			if !errors.Is(err, tt.want) {
				t.Errorf("Check() = %v, want %v", err, tt.want)
			}
		})
	}
}
