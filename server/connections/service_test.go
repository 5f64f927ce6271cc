package connections_test

import (
	"bytes"
	"errors"
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

// A voucher read through a connection the company has since replaced is
// not read through today's: its ref means nothing to the new connector.
func TestVoucherOfAnotherConnectionIsNotRead(t *testing.T) {
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
	up := &connectortest.Upstream{Name: "reader"}
	svc, err := connections.New(connections.Options{DB: d, Connectors: map[string]connectors.Connector{"reader": connectortest.Bare{U: up}}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	conn := connectAs(t, d, co, user, "reader")
	if err := d.UpsertVouchers(ctx, []db.Voucher{{CompanyID: co.ID, ConnectionID: conn.ID + 1, Ref: "old", Number: "A1", Date: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	l, err := d.Vouchers(ctx, co.ID, db.VoucherFilter{PageSize: 10})
	if err != nil || len(l.Vouchers) != 1 {
		t.Fatalf("Vouchers() = %v, %v", l.Vouchers, err)
	}
	if _, _, err := svc.LiveVoucher(ctx, co.ID, &l.Vouchers[0]); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("LiveVoucher(voucher of another connection) = %v, want ErrNotFound", err)
	}
	if n := up.Calls(connectortest.OpVoucher); n != 0 {
		t.Errorf("upstream asked %d times for a voucher of another connection", n)
	}
}
