package connectors

import "context"

// Pairing is a company's pairing for one receiving system: the source's
// codes mapped to the target's own, by table, as people set them on the
// pairing page (a source sales account → an e-conomic product group, a
// source VAT code → a Netvisor VAT code), and the company's choices for
// that system in the same shape (table "setting": e-conomic's export
// method and journal, Netvisor's status on arrival). Only the target
// connector reads its tables' meaning; Bilag stores, shows and audits
// them. A nil Pairing is an empty one.
type Pairing map[string]map[string]string

// Value is the target's value paired with the source's key in table, ""
// when none is.
func (p Pairing) Value(table, key string) string { return p[table][key] }

// Set pairs key with value in table; an empty value removes the pair.
func (p Pairing) Set(table, key, value string) {
	if value == "" {
		delete(p[table], key)
		return
	}
	if p[table] == nil {
		p[table] = map[string]string{}
	}
	p[table][key] = value
}

// PairingTable is one table of the pairing page, as the target connector
// describes it: its rows (the source's codes it has seen or been given, or
// the fixed keys of a table of defaults) and the target's own values to
// choose from, read live from the target company.
type PairingTable struct {
	// Name is the table's key in a Pairing; the page words it as
	// "<connector>.pairing.<Name>" (and ".help").
	Name string
	// Rows are the table's rows, in order.
	Rows []PairingRow
	// Options are the target's values a row may take; none means free
	// text (checked by the connector's Preflight).
	Options []PairingOption
	// Open tables take rows with keys people type (a source sales account
	// no batch has used yet); fixed tables have only Rows' keys.
	Open bool
}

// PairingRow is one source code of a table and what it is paired with.
type PairingRow struct {
	// Key is the source's code ("3010", "25", "net:30") or a fixed key
	// ("customerGroup", "vatZone.DK").
	Key string
	// Label words Key where the code alone says little (a fixed key's
	// catalogue key, or the source's own name for it); may be empty.
	Label string
	// Value is what the pairing holds for Key, "" when nothing.
	Value string
	// Suggested is the target value the connector proposes where names or
	// numbers match and Value is empty; never applied without a person.
	Suggested string
	// Uses counts the invoices of the batch shown beside the page that
	// use Key (0 when no batch is).
	Uses int
}

// PairingOption is one of the target's own values.
type PairingOption struct {
	Value string
	Label string
}

// PreflightFinding is one thing the target company lacks for a batch,
// named so a person can settle it (on the pairing page, or in the target
// system itself).
type PreflightFinding struct {
	// Code is worded by the connector's "<connector>.imports.preflight.<Code>",
	// else the core's "imports.preflight.<Code>", with Args for its %s.
	Code string   `json:"code"`
	Args []string `json:"args,omitempty"`
	// Invoices are the positions in the batch (from 0) of the invoices it
	// concerns.
	Invoices []int `json:"invoices,omitempty"`
	// Counted says the connector's words name how many invoices it
	// concerns themselves (its last Arg, as seed 001's "(used by 14
	// invoices)"): the pages then add no count of their own.
	Counted bool `json:"counted,omitempty"`
}

// Pairer is implemented by an InvoiceSender whose system needs the
// source's codes paired to its own before it can receive (e-conomic's
// product groups and payment terms, Netvisor's VAT codes).
type Pairer interface {
	// PairingTables reads the target's own lists live and describes the
	// pairing page's tables for p, with rows for every code the invoices
	// in seen use (seen may be empty) and suggestions where names or
	// numbers match.
	PairingTables(ctx context.Context, g Grant, p Pairing, seen []Invoice) ([]PairingTable, error)
	// Preflight checks batch against p and the target company's own lists
	// and names everything missing at once, each finding with the
	// invoices it concerns. It reads; it never writes upstream. Nothing of
	// a batch is sent while any finding stands.
	Preflight(ctx context.Context, g Grant, p Pairing, batch []Invoice) ([]PreflightFinding, error)
}
