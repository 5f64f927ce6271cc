package db_test

import (
	"strings"
	"testing"
	"time"

	"bilag/db"
	"bilag/db/dbtest"
)

// TestPairing: a company's pairs per connector are set, changed and
// cleared, each change audited old → new in the same write; a pair set to
// what it holds is no change; a change with a part too long changes
// nothing, not even the pairs before it; companies and connectors do not
// see each other's pairs.
func TestPairing(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, testPairing)
}

func testPairing(t *testing.T, url string) {
	now := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	d := openTestDB(t, url, func() time.Time { return now })
	ctx := t.Context()
	cos := make([]*db.Company, 2)
	for i, org := range []string{"5568123474", "5591043210"} {
		cos[i] = &db.Company{Name: "Co " + org, Country: "SE", OrgNumber: org, Active: true}
		if err := d.CreateCompany(ctx, cos[i]); err != nil {
			t.Fatal(err)
		}
	}
	uid := int64(7)
	by := db.AuditEvent{UserID: &uid, Actor: "anna@firm.test", RemoteIP: "192.0.2.1"}
	set := func(co *db.Company, connector string, cs ...db.PairChange) []db.PairChanged {
		t.Helper()
		got, err := d.SetPairs(ctx, co.ID, connector, cs, by)
		if err != nil {
			t.Fatalf("SetPairs() = %v", err)
		}
		return got
	}
	got := set(cos[0], "fake", db.PairChange{Table: "salesAccount", Key: "3010", Value: "1"}, db.PairChange{Table: "setting", Key: "journal", Value: "2"})
	if len(got) != 2 || got[0] != (db.PairChanged{Table: "salesAccount", Key: "3010", New: "1"}) {
		t.Errorf("first set = %+v", got)
	}
	set(cos[1], "fake", db.PairChange{Table: "salesAccount", Key: "3010", Value: "9"})
	set(cos[0], "other", db.PairChange{Table: "salesAccount", Key: "3010", Value: "8"})
	got = set(cos[0], "fake", db.PairChange{Table: "salesAccount", Key: "3010", Value: "2"}, db.PairChange{Table: "setting", Key: "journal", Value: "2"},
		db.PairChange{Table: "salesAccount", Key: "3020", Value: ""})
	if len(got) != 1 || got[0] != (db.PairChanged{Table: "salesAccount", Key: "3010", Old: "1", New: "2"}) {
		t.Errorf("second set = %+v, want the one change", got)
	}
	got = set(cos[0], "fake", db.PairChange{Table: "setting", Key: "journal", Value: ""})
	if len(got) != 1 || got[0].Old != "2" || got[0].New != "" {
		t.Errorf("clear = %+v", got)
	}
	_, err := d.SetPairs(ctx, cos[0].ID, "fake", []db.PairChange{{Table: "salesAccount", Key: "3010", Value: "3"},
		{Table: "salesAccount", Key: strings.Repeat("9", db.PairKeyMax+1), Value: "3"}}, by)
	if err == nil {
		t.Error("a key too long was taken")
	}
	p, err := d.Pairing(ctx, cos[0].ID, "fake")
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 1 || p.Value("salesAccount", "3010") != "2" || p.Value("setting", "journal") != "" {
		t.Errorf("Pairing() = %v, want salesAccount 3010 → 2 alone", p)
	}
	if p, _ := d.Pairing(ctx, cos[1].ID, "fake"); p.Value("salesAccount", "3010") != "9" {
		t.Errorf("the other company's pairing = %v", p)
	}
	if p, _ := d.Pairing(ctx, cos[0].ID, "none"); p == nil || len(p) != 0 {
		t.Errorf("a connector never paired = %#v, want empty", p)
	}
	es, err := d.CompanyAudit(ctx, db.AuditFilter{CompanyID: cos[0].ID, Action: db.AuditPairingChange}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"table=setting key=journal old=2 new=", "table=salesAccount key=3010 old=1 new=2", "table=salesAccount key=3010 old= new=8",
		"table=setting key=journal old= new=2", "table=salesAccount key=3010 old= new=1"}
	if len(es) != len(want) {
		t.Fatalf("%d audit events, want %d: %+v", len(es), len(want), es)
	}
	for i, e := range es {
		if e.Detail != want[i] || e.Actor != "anna@firm.test" || e.RemoteIP != "192.0.2.1" || e.UserID == nil || *e.UserID != uid {
			t.Errorf("event %d = %+v, want detail %q", i, e, want[i])
		}
	}
}
