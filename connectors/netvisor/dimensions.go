package netvisor

import (
	"strings"

	"bilag/connectors"
)

// dimensionXML is one of a VoucherLine's Dimension elements in
// accountingledger.nv's answer: the dimension's name, as the company
// named it, and the item's (rantalainen/netvisor-api-client
// src/interfaces/accounting.ts, AccountingLedgerVoucherLine.dimension).
// Netvisor gives an item no code apart from its name.
type dimensionXML struct {
	Name string `xml:"DimensionName"`
	Item string `xml:"DimensionItem"`
}

// dimensionsOf are a line's dimensions in Bilag's words. The item is
// the code; the name says which dimension it is in ("Projekti: Kesämökki").
func dimensionsOf(ds []dimensionXML) []connectors.Dimension {
	var out []connectors.Dimension
	for _, d := range ds {
		name, item := strings.TrimSpace(d.Name), strings.TrimSpace(d.Item)
		if item == "" {
			continue
		}
		dim := connectors.Dimension{Kind: dimensionKind(name), Code: item, Name: item}
		if name != "" {
			dim.Name = name + ": " + item
		}
		out = append(out, dim)
	}
	return out
}

// dimensionKind reads what a dimension is from the name the company gave
// it, in Finnish, Swedish or English. Inferred: Netvisor's dimensions are
// free-form (dimensionlist.nv names them; nothing marks one a project), so
// a name that says neither project nor department is a cost centre, the
// most common use of Netvisor's dimensions.
func dimensionKind(name string) connectors.DimensionKind {
	n := strings.ToLower(name)
	for _, w := range []string{"projekt", "project"} {
		if strings.Contains(n, w) {
			return connectors.DimensionProject
		}
	}
	for _, w := range []string{"osasto", "avdelning", "department"} {
		if strings.Contains(n, w) {
			return connectors.DimensionDepartment
		}
	}
	return connectors.DimensionCostCentre
}
