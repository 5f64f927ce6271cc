package netvisor

import (
	"context"
	"slices"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/netvisor/sandbox"
)

// A voucher line's Dimension elements, as the sandbox's ledger gives
// them, are the row's dimensions: the kind read from the dimension's
// name, the item as the code.
func TestVoucherDimensionsFromTheLedger(t *testing.T) {
	e := newEnv(t)
	g := e.grant(t)
	e.sb.AddVoucher(sandbox.DemoOrgID, sandbox.Voucher{Key: 1101, Date: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Number: 10, Text: "Jaettu kulu", Class: "Memo voucher",
		Lines: []sandbox.Line{
			{Account: "4000", Sum: 1000, Dimensions: []sandbox.LineDimension{{Name: "Osasto", Item: "Myynti"}, {Name: "Projekti", Item: "P-7"}, {Name: "Alue", Item: "Pohjoinen"}}},
			{Account: "1910", Sum: -1000},
		}})
	v, err := e.conn.Voucher(context.Background(), g, "1101")
	if err != nil {
		t.Fatal(err)
	}
	want := []connectors.Dimension{
		{Kind: connectors.DimensionDepartment, Code: "Myynti", Name: "Osasto: Myynti"},
		{Kind: connectors.DimensionProject, Code: "P-7", Name: "Projekti: P-7"},
		{Kind: connectors.DimensionCostCentre, Code: "Pohjoinen", Name: "Alue: Pohjoinen"},
	}
	if len(v.Rows) != 2 || !slices.Equal(v.Rows[0].Dimensions, want) || len(v.Rows[1].Dimensions) != 0 {
		t.Errorf("rows = %+v", v.Rows)
	}
}

func TestDimensionKind(t *testing.T) {
	for _, c := range []struct {
		name string
		want connectors.DimensionKind
	}{
		{"Projekti", connectors.DimensionProject},
		{"Projekt", connectors.DimensionProject},
		{"Osasto", connectors.DimensionDepartment},
		{"Avdelning", connectors.DimensionDepartment},
		{"Kustannuspaikka", connectors.DimensionCostCentre},
		{"", connectors.DimensionCostCentre},
	} {
		if got := dimensionKind(c.name); got != c.want {
			t.Errorf("dimensionKind(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	if got := dimensionsOf([]dimensionXML{{Name: "Projekti", Item: " "}}); got != nil {
		t.Errorf("an empty item: %+v", got)
	}
}
