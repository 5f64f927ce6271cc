package connectors

import "slices"

// DimensionKind is what a dimension is, in words every upstream shares.
type DimensionKind string

// The dimension kinds.
const (
	DimensionDepartment DimensionKind = "department"
	DimensionProject    DimensionKind = "project"
	DimensionCostCentre DimensionKind = "cost_centre"
)

// DimensionKinds lists every DimensionKind.
func DimensionKinds() []DimensionKind {
	return []DimensionKind{DimensionDepartment, DimensionProject, DimensionCostCentre}
}

// Dimension is one thing a voucher row is booked on besides its account:
// a department, a project or a cost centre.
type Dimension struct {
	Kind DimensionKind
	// Code is what the upstream's people type for it ("10", "P-204"); with
	// Kind it is what the vouchers filter selects by.
	Code string
	// Name is its name as the upstream shows it, "" when not known.
	Name string
}

// The voucher filters an upstream may be unable to serve.
const (
	FilterDimensions = "dimensions"
	FilterPayments   = "payments"
)

// FilterLimited is implemented by a connector whose upstream cannot give
// what a vouchers filter needs; the filter then says it is not available
// for that system, and why in the connector's words
// ("<connector>.filter.<filter>.lack").
type FilterLimited interface {
	// Lacks says the upstream cannot serve filter (FilterDimensions,
	// FilterPayments).
	Lacks(filter string) bool
}

// OverdueStatuses are the InvoiceStatus codes that say an invoice is past
// its due date whatever its DueDate says: Netvisor's own (overdue,
// reminded, requested, collected), which the other connectors write too
// ("overdue") when their upstream says so.
func OverdueStatuses() []string {
	return []string{"overdue", "reminded", "requested", "collected"}
}

// IsDimensionKind says k is one of DimensionKinds.
func IsDimensionKind(k string) bool {
	return slices.Contains(DimensionKinds(), DimensionKind(k))
}
