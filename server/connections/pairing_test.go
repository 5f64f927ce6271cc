package connections_test

import (
	"strings"
	"testing"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
)

// TestCheckPairs: a change of a pairing names its table, a key that
// table takes (any in an open one, its own rows' in a fixed one), and a
// value among its options (any text when it has none, "" to clear); a key
// given twice must say the same both times. Every problem is found.
func TestCheckPairs(t *testing.T) {
	tables := []connectors.PairingTable{
		{Name: "salesAccount", Open: true, Options: []connectors.PairingOption{{Value: "1"}, {Value: "2"}}, Rows: []connectors.PairingRow{{Key: "3010"}}},
		{Name: "setting", Rows: []connectors.PairingRow{{Key: "journal"}}},
	}
	tests := []struct {
		name   string
		change db.PairChange
		want   string
	}{
		{"an option", db.PairChange{Table: "salesAccount", Key: "3010", Value: "2"}, ""},
		{"a new key of an open table", db.PairChange{Table: "salesAccount", Key: "4000", Value: "1"}, ""},
		{"cleared", db.PairChange{Table: "salesAccount", Key: "3010"}, ""},
		{"free text", db.PairChange{Table: "setting", Key: "journal", Value: "Daglig"}, ""},
		{"no such table", db.PairChange{Table: "vatCode", Key: "25", Value: "1"}, "table"},
		{"not an option", db.PairChange{Table: "salesAccount", Key: "3010", Value: "9"}, "value"},
		{"a key a fixed table lacks", db.PairChange{Table: "setting", Key: "colour", Value: "red"}, "key"},
		{"no key", db.PairChange{Table: "salesAccount", Value: "1"}, "key"},
		{"a key too long", db.PairChange{Table: "salesAccount", Key: strings.Repeat("1", db.PairKeyMax+1), Value: "1"}, "key"},
		{"a value too long", db.PairChange{Table: "setting", Key: "journal", Value: strings.Repeat("x", db.PairValueMax+1)}, "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := connections.CheckPairs(tables, []db.PairChange{tt.change})
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("CheckPairs(%+v) = %+v, want none", tt.change, got)
			case tt.want != "" && (len(got) != 1 || got[0].Code != tt.want || got[0].Index != 0):
				t.Errorf("CheckPairs(%+v) = %+v, want %q", tt.change, got, tt.want)
			}
		})
	}
	var all []db.PairChange
	for _, tt := range tests {
		if tt.want != "" {
			all = append(all, tt.change)
		}
	}
	all = append(all, db.PairChange{Table: "salesAccount", Key: "5000", Value: "2"}, db.PairChange{Table: "salesAccount", Key: "5000", Value: "2"},
		db.PairChange{Table: "salesAccount", Key: "5000", Value: "1"})
	got := connections.CheckPairs(tables, all)
	if len(got) != 7 || got[6].Code != "twice" || got[6].Index != len(all)-1 {
		t.Errorf("CheckPairs(all) = %+v, want every problem, 5000 given twice with another value last", got)
	}
}
