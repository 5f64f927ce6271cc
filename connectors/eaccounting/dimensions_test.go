package eaccounting

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"bilag/connectors"
)

const (
	ccItem1 = "c1000000-0000-4000-8000-000000000001"
	ccItem2 = "c2000000-0000-4000-8000-000000000002"
	project = "e1000000-0000-4000-8000-000000000001"
	unknown = "f9000000-0000-4000-8000-000000000009"
)

func strp(s string) *string { return &s }

func dim(kind connectors.DimensionKind, code, name string) connectors.Dimension {
	return connectors.Dimension{Kind: kind, Code: code, Name: name}
}

// A row's cost centre items and project become its dimensions: named from
// the lists, the second and third cost centres' codes marked with their
// number, an id the lists lack kept as its own code.
func TestRowDimensions(t *testing.T) {
	t.Parallel()
	cat := &dimensionCatalogue{
		items: map[string]connectors.Dimension{
			ccItem1: {Kind: connectors.DimensionCostCentre, Code: "10", Name: "Avdelning: Snickeri"},
			ccItem2: {Kind: connectors.DimensionCostCentre, Code: "10", Name: "Fordon: Servicebil"},
		},
		projects: map[string]connectors.Dimension{project: {Kind: connectors.DimensionProject, Code: "101", Name: "Bryggan"}},
	}
	cc, pr := connectors.DimensionCostCentre, connectors.DimensionProject
	for _, tc := range []struct {
		name string
		cat  *dimensionCatalogue
		row  voucherRowJSON
		want []connectors.Dimension
	}{
		{"none", cat, voucherRowJSON{}, nil},
		{"first cost centre", cat, voucherRowJSON{CostCenterItemId1: strp(ccItem1)}, []connectors.Dimension{dim(cc, "10", "Avdelning: Snickeri")}},
		{"second cost centre, same short name", cat, voucherRowJSON{CostCenterItemId2: strp(ccItem2)}, []connectors.Dimension{dim(cc, "2:10", "Fordon: Servicebil")}},
		{"upper-case id and a project", cat, voucherRowJSON{CostCenterItemId1: strp("C1000000-0000-4000-8000-000000000001"), ProjectId: strp(project)},
			[]connectors.Dimension{dim(cc, "10", "Avdelning: Snickeri"), dim(pr, "101", "Bryggan")}},
		{"an item the lists lack", cat, voucherRowJSON{CostCenterItemId3: strp(unknown)}, []connectors.Dimension{dim(cc, unknown, "")}},
		{"no lists", nil, voucherRowJSON{CostCenterItemId1: strp(ccItem1), ProjectId: strp(project)}, []connectors.Dimension{dim(cc, ccItem1, ""), dim(pr, project, "")}},
		{"empty ids", cat, voucherRowJSON{CostCenterItemId1: strp(""), ProjectId: strp(" ")}, nil},
	} {
		if got := tc.cat.rowDimensions(tc.row); !slices.Equal(got, tc.want) {
			t.Errorf("%s: rowDimensions = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// dimensionMux serves one voucher booked on a cost centre item and a
// project, and the two lists as costcenters and projects answer.
func dimensionMux(t *testing.T, costcenters, projects http.HandlerFunc) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/fiscalyears", api(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, page(fiscalYearsJSON, 2))
	}))
	mux.HandleFunc("GET /v2/vouchers", api(t, func(w http.ResponseWriter, r *http.Request) {
		v := map[string]any{"Id": idA12, "VoucherDate": "2025-12-31T00:00:00", "VoucherType": 2, "Rows": []any{
			map[string]any{"AccountNumber": 5410, "DebitAmount": 10, "CostCenterItemId1": ccItem1, "ProjectId": project},
			map[string]any{"AccountNumber": 1930, "CreditAmount": 10, "CostCenterItemId1": nil, "ProjectId": nil},
		}}
		writeJSON(w, http.StatusOK, page([]any{v}, 1))
	}))
	mux.HandleFunc("GET /v2/costcenters", api(t, costcenters))
	mux.HandleFunc("GET /v2/projects", api(t, projects))
	return mux
}

func listOf(data any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, page(data, 1)) }
}

func refuse(status, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeAPIError(w, status, code, "refused") }
}

// A list the grant may not read (403: a missing scope, the Solo variant)
// leaves its names unknown and the sync going; a list that fails fails
// the page, which the sync reads again later, rather than index the rows
// under other codes.
func TestDimensionLists(t *testing.T) {
	t.Parallel()
	centres := listOf([]any{map[string]any{"Name": "Avdelning", "Number": 1, "Items": []any{
		map[string]any{"Id": ccItem1, "CostCenterId": "c0000000-0000-4000-8000-000000000000", "Name": "Snickeri", "ShortName": "10", "IsActive": true}}}})
	projects := listOf([]any{map[string]any{"Id": project, "Number": "101", "Name": "Bryggan", "Status": 1}})
	cc, pr := connectors.DimensionCostCentre, connectors.DimensionProject
	for _, tc := range []struct {
		name              string
		centres, projects http.HandlerFunc
		want              []connectors.Dimension
		fails             bool
	}{
		{"both lists", centres, projects, []connectors.Dimension{dim(cc, "10", "Avdelning: Snickeri"), dim(pr, "101", "Bryggan")}, false},
		{"cost centres refused", refuse(403, 4006), projects, []connectors.Dimension{dim(cc, ccItem1, ""), dim(pr, "101", "Bryggan")}, false},
		{"projects not in the variant", centres, refuse(403, 4009), []connectors.Dimension{dim(cc, "10", "Avdelning: Snickeri"), dim(pr, project, "")}, false},
		{"cost centres failing", refuse(500, 0), projects, nil, true},
	} {
		c, _ := newTestConnector(t, dimensionMux(t, tc.centres, tc.projects))
		p, err := c.Vouchers(t.Context(), testGrant(t), connectors.VoucherQuery{})
		if tc.fails {
			if err == nil || errors.Is(err, connectors.ErrForbidden) {
				t.Errorf("%s: Vouchers() = %v, want a failure", tc.name, err)
			}
			continue
		}
		if err != nil || len(p.Vouchers) != 1 {
			t.Fatalf("%s: Vouchers() = %+v, %v", tc.name, p, err)
		}
		rows := p.Vouchers[0].Rows
		if !slices.Equal(rows[0].Dimensions, tc.want) || rows[1].Dimensions != nil {
			t.Errorf("%s: rows' dimensions = %+v and %+v, want %+v and none", tc.name, rows[0].Dimensions, rows[1].Dimensions, tc.want)
		}
	}
}
