package connectortest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"bilag/connectors"
)

// PairingReceiver is a Receiver whose system needs the source's sales
// accounts paired with its own product groups before it receives, as
// e-conomic's does: its pairing has one open table, TableSalesAccount,
// whose values are the fixed ProductGroups, and a fixed table of
// settings (the journal, free text). Its pre-flight names every unpaired
// sales account with the invoices that use it; it refuses an invoice with
// a line whose account is unpaired.
type PairingReceiver struct{ Receiver }

var _ connectors.Pairer = PairingReceiver{}

// The pairer's operations, for FailNext, SlowDown and Calls; its tables;
// its pre-flight's finding.
const (
	OpPairingTables   = "PairingTables"
	OpPreflight       = "Preflight"
	TableSalesAccount = "salesAccount"
	TableSetting      = "setting"
	// FindingUnpaired names the unpaired sales accounts, joined by ", ".
	FindingUnpaired = "unpaired"
)

// ProductGroups are the fake system's product groups: a sales account
// with a group of the same number is suggested that group.
func ProductGroups() []connectors.PairingOption {
	return []connectors.PairingOption{{Value: "1010", Label: "Salg af ydelser"}, {Value: "1020", Label: "Kørsel"}, {Value: "3", Label: "Varesalg"}}
}

func isGroup(v string) bool {
	return slices.ContainsFunc(ProductGroups(), func(o connectors.PairingOption) bool { return o.Value == v })
}

// PairingTables reads the groups (live: it can fail, and be slow) and
// lists every account paired or used by seen.
func (r PairingReceiver) PairingTables(ctx context.Context, g connectors.Grant, p connectors.Pairing, seen []connectors.Invoice) ([]connectors.PairingTable, error) {
	if err := r.U.call(OpPairingTables, &g); err != nil {
		return nil, err
	}
	if err := r.U.wait(ctx, OpPairingTables); err != nil {
		return nil, err
	}
	uses := accountUses(seen)
	keys := slices.Collect(maps.Keys(p[TableSalesAccount]))
	keys = slices.AppendSeq(keys, maps.Keys(uses))
	slices.Sort(keys)
	sales := connectors.PairingTable{Name: TableSalesAccount, Options: ProductGroups(), Open: true}
	for _, k := range slices.Compact(keys) {
		row := connectors.PairingRow{Key: k, Value: p.Value(TableSalesAccount, k), Uses: len(uses[k])}
		if row.Value == "" && isGroup(k) {
			row.Suggested = k
		}
		sales.Rows = append(sales.Rows, row)
	}
	journal := connectors.PairingRow{Key: "journal", Label: "pairing.setting.journal", Value: p.Value(TableSetting, "journal")}
	if journal.Value == "" {
		journal.Suggested = "1"
	}
	return []connectors.PairingTable{sales, {Name: TableSetting, Rows: []connectors.PairingRow{journal}}}, nil
}

// Preflight names the sales accounts without a group, once, with every
// invoice that uses one.
func (r PairingReceiver) Preflight(ctx context.Context, g connectors.Grant, p connectors.Pairing, batch []connectors.Invoice) ([]connectors.PreflightFinding, error) {
	if err := r.U.call(OpPreflight, &g); err != nil {
		return nil, err
	}
	if err := r.U.wait(ctx, OpPreflight); err != nil {
		return nil, err
	}
	var missing []string
	var invoices []int
	for acc, used := range accountUses(batch) {
		if !isGroup(p.Value(TableSalesAccount, acc)) {
			missing = append(missing, acc)
			invoices = append(invoices, used...)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	slices.Sort(missing)
	slices.Sort(invoices)
	return []connectors.PreflightFinding{{Code: FindingUnpaired, Args: []string{strings.Join(missing, ", ")}, Invoices: slices.Compact(invoices)}}, nil
}

// SendInvoice refuses an invoice with a line whose account has no group,
// as the system would; the rest goes as the Receiver sends it.
func (r PairingReceiver) SendInvoice(ctx context.Context, g connectors.Grant, p connectors.Pairing, inv connectors.Invoice) (connectors.SendAnswer, error) {
	for _, l := range inv.Lines {
		if l.SalesAccount != "" && !isGroup(p.Value(TableSalesAccount, l.SalesAccount)) {
			if err := r.U.call(OpSend, &g); err != nil {
				return connectors.SendAnswer{}, err
			}
			return connectors.SendAnswer{Code: "400", Message: fmt.Sprintf("no product group for sales account %s", l.SalesAccount)}, nil
		}
	}
	return r.Receiver.SendInvoice(ctx, g, p, inv)
}

// accountUses are the positions of the invoices that use each sales
// account (lines without one use none).
func accountUses(invs []connectors.Invoice) map[string][]int {
	out := map[string][]int{}
	for i, inv := range invs {
		for _, l := range inv.Lines {
			if a := l.SalesAccount; a != "" && !slices.Contains(out[a], i) {
				out[a] = append(out[a], i)
			}
		}
	}
	return out
}
