package connections_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/connectors/connectortest"
	"bilag/db"
	"bilag/db/seal"
	"bilag/server/connections"
)

// connectAs stores a connection of co through connector, as an approval
// would.
func connectAs(t *testing.T, d *db.DB, co *db.Company, user *db.User, connector string) *db.Connection {
	t.Helper()
	ctx := t.Context()
	l := &db.ConsentLink{CompanyID: co.ID, Connector: connector, ExpectedOrgNumber: co.OrgNumber, CreatedByID: user.ID, ExpiresAt: time.Now().Add(time.Hour)}
	if err := d.CreateLink(ctx, l, "secret-"+connector); err != nil {
		t.Fatal(err)
	}
	if err := d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
		t.Fatal(err)
	}
	conn := &db.Connection{CompanyID: co.ID, Connector: connector, ExternalName: co.Name, OrgNumber: co.OrgNumber}
	if err := d.Connect(ctx, l.ID, conn, connectors.Grant{Data: []byte("g")}); err != nil {
		t.Fatal(err)
	}
	return conn
}

// A company's current connection is the one its vouchers come from, even
// when an import-only connection was approved after it.
func TestCurrentIsTheReadingConnection(t *testing.T) {
	ctx := t.Context()
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "bilag.db"), db.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	co := &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	user := &db.User{Email: "a@firm.test", Name: "A", Role: db.RoleAnalyst, Active: true, PasswordHash: "x"}
	if err := d.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	reader := connectortest.Bare{U: &connectortest.Upstream{Name: "reader"}}
	importer := connectortest.NoReading{U: &connectortest.Upstream{Name: "importer"}}
	svc, err := connections.New(connections.Options{DB: d, Connectors: map[string]connectors.Connector{"reader": reader, "importer": importer}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()

	if _, err := svc.Current(ctx, co.ID); err == nil {
		t.Fatal("Current() of a company never connected = nil error")
	}
	read := connectAs(t, d, co, user, "reader")
	connectAs(t, d, co, user, "importer")
	cur, err := svc.Current(ctx, co.ID)
	if err != nil || cur.ID != read.ID {
		t.Fatalf("Current() = %+v, %v; want the reading connection %d", cur, err, read.ID)
	}
	all, err := svc.CurrentConnections(ctx, []int64{co.ID})
	if err != nil || all[co.ID] == nil || all[co.ID].ID != read.ID {
		t.Errorf("CurrentConnections() = %v, %v; want the reading connection", all, err)
	}
}
