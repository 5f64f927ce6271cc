package server

import (
	"testing"

	"bilag/connectors"
	"bilag/db"
)

// TestUpstreamDetailsOfAddress: the address is shown as the system gave
// it; its country is flagged only when it names another country than the
// firm's record, and not when it is a name Bilag does not know.
func TestUpstreamDetailsOfAddress(t *testing.T) {
	co := &db.Company{Name: "Fjällbacka Snickeri AB", OrgNumber: "556812-3474", Country: "SE"}
	tests := []struct {
		name    string
		addr    connectors.Address
		differs bool
	}{
		{"same country by code", connectors.Address{Line1: "Hamngatan 12", City: "Fjällbacka", Country: "SE"}, false},
		{"same country by name", connectors.Address{Line1: "Hamngatan 12", City: "Fjällbacka", Country: "Sverige"}, false},
		{"another country", connectors.Address{Line1: "Demovej 1", City: "København", Country: "Danmark"}, true},
		{"a country Bilag does not know", connectors.Address{Line1: "Rue 1", City: "Paris", Country: "France"}, false},
		{"no country", connectors.Address{Line1: "Hamngatan 12"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := &db.Connection{ExternalName: co.Name, OrgNumber: co.OrgNumber}
			conn.SetAddress(tt.addr)
			u := upstreamDetailsOf(co, conn)
			if u == nil || u.Address != tt.addr || u.CountryDiffers != tt.differs || u.Differs() != tt.differs {
				t.Errorf("upstreamDetailsOf(%+v) = %+v, want the address and differs %v", tt.addr, u, tt.differs)
			}
		})
	}
	conn := &db.Connection{}
	conn.SetAddress(connectors.Address{Line1: "Hamngatan 12"})
	if u := upstreamDetailsOf(co, conn); u == nil || u.Address.Line1 != "Hamngatan 12" {
		t.Errorf("an address alone is not shown: %+v", u)
	}
}
