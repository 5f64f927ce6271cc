package connections_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/seal"
	"bilag/server/connections"
)

// A connector's companion is offered as a link's second step only while
// both are registered, and never as a link's own connector.
func TestCompanions(t *testing.T) {
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "bilag.db"), db.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	read := connectortest.Bare{U: &connectortest.Upstream{Name: "read"}}
	export := connectortest.NoReading{U: &connectortest.Upstream{Name: "export"}}
	all := []string{"SE"}
	tests := []struct {
		name       string
		registered map[string]connectors.Connector
		wantThen   string
		wantOffer  []string
	}{
		{"both registered", map[string]connectors.Connector{"read": read, "export": export}, "export", []string{"read"}},
		{"companion missing", map[string]connectors.Connector{"read": read}, "", []string{"read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := connections.New(connections.Options{DB: d, Connectors: tt.registered,
				Countries: map[string][]string{"read": all, "export": all}, Companions: map[string]string{"read": "export", "nobody": "read"}})
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			if got := svc.Companion("read"); got != tt.wantThen {
				t.Errorf("Companion(read) = %q, want %q", got, tt.wantThen)
			}
			if got := svc.Companion("nobody"); got != "" {
				t.Errorf("Companion of an unregistered connector = %q, want none", got)
			}
			if got := svc.Offered("SE"); !slices.Equal(got, tt.wantOffer) {
				t.Errorf("Offered(SE) = %v, want %v", got, tt.wantOffer)
			}
		})
	}
}
