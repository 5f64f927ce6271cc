package economic

import _ "embed"

// demoPeriod is a month of a Danish front system's invoices in Bilag's
// JSON invoice format (connectors/invoice), with their PDFs: twenty
// invoices of March 2025 for the demo's Nordlys Bogføring ApS to Danish,
// German and Norwegian customers, one credit note among them, on the
// sales accounts 1010, 1020 and 1030, which the demo agreement has product
// groups for, and 3010, which it has none for: the pre-flight names it
// until a person pairs it.
//
//go:embed demo/period-2025-03.json
var demoPeriod []byte

// DemoPeriod is the demo's sample period of invoices to export, as an
// upload in Bilag's JSON invoice format.
func DemoPeriod() []byte { return append([]byte(nil), demoPeriod...) }
