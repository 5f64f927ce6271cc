package economic

import (
	"context"
	"slices"
	"testing"

	"bilag/connectors"
	"bilag/connectors/economic/sandbox"
)

// An entry's departmental distribution is its row's dimension: the
// sandbox books every third voucher's first entry on department 1 or 2.
func TestVoucherDimensionsFromEntries(t *testing.T) {
	e := newEnv(t)
	c := e.connector(superApp)
	g := e.connect(c, "revisor@demo.dk", "revisor-demo", sandbox.AgreementNordlys)
	v, err := c.Voucher(context.Background(), g, "2025:3")
	if err != nil {
		t.Fatal(err)
	}
	want := []connectors.Dimension{{Kind: connectors.DimensionDepartment, Code: "2"}}
	if len(v.Rows) != 2 || !slices.Equal(v.Rows[0].Dimensions, want) || v.Rows[1].Dimensions != nil {
		t.Errorf("voucher 3 rows = %+v", v.Rows)
	}
	if v, err = c.Voucher(context.Background(), g, "2025:4"); err != nil || v.Rows[0].Dimensions != nil {
		t.Errorf("voucher 4 rows = %+v, %v", v.Rows, err)
	}
	if !c.Lacks(connectors.FilterPayments) || c.Lacks(connectors.FilterDimensions) {
		t.Error("e-conomic lacks payments only")
	}
}

func TestEntryDimensions(t *testing.T) {
	var e entryJSON
	if e.dimensions() != nil {
		t.Error("no distribution gave a dimension")
	}
	e.DepartmentalDistribution = &struct {
		Number int64  `json:"departmentalDistributionNumber"`
		Type   string `json:"distributionType"`
	}{Number: 7, Type: "distribution"}
	if got := e.dimensions(); len(got) != 1 || got[0].Code != "distribution 7" || got[0].Kind != connectors.DimensionDepartment {
		t.Errorf("a distribution = %+v", got)
	}
}
