package netvisor

import _ "embed"

// demoPeriod is a month of a Finnish front system's invoices in Bilag's
// JSON invoice format (connectors/invoice), with their PDFs: eight
// invoices of November 2026 for the demo's Saaristo Puutyö Oy to the
// customers (1001, 1002, 1003) and products (OVI-01, ASENNUS, TISKI) its
// Netvisor sandbox has, one credit note among them, all at 25.5 % VAT,
// which the pairing page pairs with Netvisor's KOMY before they are sent.
//
//go:embed demo/period-2026-11.json
var demoPeriod []byte

// DemoPeriod is the demo's sample period of invoices to send, as an
// upload in Bilag's JSON invoice format.
func DemoPeriod() []byte { return append([]byte(nil), demoPeriod...) }
