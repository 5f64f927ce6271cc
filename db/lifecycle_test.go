package db_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/dbtest"
	"bilag/db/seal"
)

// lcDB is a database with a keyring, a clock and a lock-wait probe.
type lcDB struct {
	t         *testing.T
	d         *db.DB
	clock     *dbtest.Clock
	lockWaits chan int64
	links     int
}

func newLCDB(t *testing.T, url string) *lcDB {
	t.Helper()
	keys, err := seal.NewKeyring(bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &lcDB{t: t, clock: dbtest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), lockWaits: make(chan int64, 100)}
	e.d, err = db.Open(t.Context(), url, db.Options{Keys: keys, Now: e.clock.Now, LockWait: func(id int64) {
		select {
		case e.lockWaits <- id:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.d.Close() })
	return e
}

// connect stores g as co's connection (creating co when its ID is 0), with
// the upstream company externalID.
func (e *lcDB) connect(co *db.Company, externalID string, g connectors.Grant) *db.Connection {
	t := e.t
	t.Helper()
	ctx := t.Context()
	if co.ID == 0 {
		if err := e.d.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
	}
	e.links++
	l := &db.ConsentLink{CompanyID: co.ID, Connector: "fake", ExpectedOrgNumber: co.OrgNumber, CreatedByID: 1, ExpiresAt: e.clock.Now().Add(time.Hour)}
	if err := e.d.CreateLink(ctx, l, "link-secret-"+strconv.Itoa(e.links)); err != nil {
		t.Fatal(err)
	}
	if err := e.d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
		t.Fatal(err)
	}
	conn := &db.Connection{CompanyID: co.ID, Connector: "fake", ExternalID: externalID, ExternalName: co.Name, OrgNumber: co.OrgNumber}
	if err := e.d.Connect(ctx, l.ID, conn, g); err != nil {
		t.Fatalf("Connect() = %v", err)
	}
	return conn
}

func fjallbacka() *db.Company {
	return &db.Company{Name: "Fjällbacka Snickeri AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
}

// Items 6 and 7: on both databases, a disconnect and a re-approval wait
// for a refresh in flight and revoke the grant that refresh stored.
func TestGrantEndsWaitForRefresh(t *testing.T) {
	t.Parallel()
	ends := map[string]func(e *lcDB, conn *db.Connection, revoke db.RevokeFunc) error{
		"disconnect": func(e *lcDB, conn *db.Connection, revoke db.RevokeFunc) error {
			rerr, err := e.d.Disconnect(context.Background(), conn.ID, revoke)
			return firstErr(rerr, err)
		},
		"re-approval": func(e *lcDB, conn *db.Connection, revoke db.RevokeFunc) error {
			l := &db.ConsentLink{CompanyID: conn.CompanyID, Connector: "fake", ExpectedOrgNumber: conn.OrgNumber, CreatedByID: 1, ExpiresAt: e.clock.Now().Add(time.Hour)}
			if err := e.d.CreateLink(context.Background(), l, "second-link"); err != nil {
				return err
			}
			if err := e.d.StartLinkLogin(context.Background(), l.ID, "attempt"); err != nil {
				return err
			}
			next := &db.Connection{CompanyID: conn.CompanyID, Connector: "fake", ExternalID: conn.ExternalID}
			rep, err := e.d.ConnectReplacing(context.Background(), l.ID, next, connectors.Grant{Data: []byte("second")}, revoke)
			if err == nil && (!rep.Had || !rep.Revoked) {
				e.t.Errorf("ConnectReplacing() = %+v, want the old grant had and revoked", rep)
			}
			return err
		},
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, url string) {
				e := newLCDB(t, url)
				ctx := t.Context()
				conn := e.connect(fjallbacka(), "c1", connectors.Grant{Data: []byte("old"), Expiry: e.clock.Now().Add(time.Hour)})
				e.clock.Advance(59 * time.Minute)
				rotated, proceed := make(chan struct{}), make(chan struct{})
				done := make(chan error, 1)
				go func() {
					_, err := e.d.FreshGrant(ctx, conn.ID, 2*time.Minute, func(context.Context, connectors.Grant) (connectors.Grant, error) {
						close(rotated)
						<-proceed
						return connectors.Grant{Data: []byte("new"), Expiry: e.clock.Now().Add(time.Hour)}, nil
					})
					done <- err
				}()
				<-e.lockWaits
				<-rotated
				var revoked []string
				ended := make(chan error, 1)
				go func() {
					ended <- end(e, conn, func(_ context.Context, g connectors.Grant) error {
						revoked = append(revoked, string(g.Data))
						return nil
					})
				}()
				<-e.lockWaits
				close(proceed)
				if err := <-done; err != nil {
					t.Fatalf("FreshGrant() = %v", err)
				}
				if err := <-ended; err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(revoked) != 1 || revoked[0] != "new" {
					t.Errorf("revoked %q, want the grant the refresh stored", revoked)
				}
				if name == "disconnect" {
					got, err := e.d.ConnectionByID(ctx, conn.ID)
					if err != nil || got.Status != db.ConnDisconnected || len(got.TokenSealed) != 0 {
						t.Errorf("connection = %+v, %v; want disconnected with no grant", got, err)
					}
				}
			})
		})
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Item 9: on both databases, replacing a grant with one of another
// upstream company deletes the connection's index and sync state; one of
// the same company keeps them.
func TestReplacingTheUpstreamCompanyForgetsTheIndex(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, url string) {
		e := newLCDB(t, url)
		ctx := t.Context()
		co := fjallbacka()
		conn := e.connect(co, "c1", connectors.Grant{Data: []byte("g1")})
		day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		if err := e.d.UpsertVouchers(ctx, []db.Voucher{{CompanyID: co.ID, ConnectionID: conn.ID, Ref: "v1", Number: "A1", Date: day}}); err != nil {
			t.Fatal(err)
		}
		if err := e.d.UpsertFiscalYears(ctx, []db.FiscalYear{{CompanyID: co.ID, ConnectionID: conn.ID, ExternalID: "fy", StartDate: day, EndDate: day}}); err != nil {
			t.Fatal(err)
		}
		l, err := e.d.TakeSyncLease(ctx, conn.ID, time.Minute)
		if err != nil || l == nil {
			t.Fatal(l, err)
		}
		if err := e.d.ReleaseSyncLease(ctx, l, &day); err != nil {
			t.Fatal(err)
		}
		count := func() (vouchers, years int) {
			t.Helper()
			n, err := e.d.CountVouchers(ctx, co.ID)
			if err != nil {
				t.Fatal(err)
			}
			fys, err := e.d.FiscalYears(ctx, co.ID)
			if err != nil {
				t.Fatal(err)
			}
			return int(n), len(fys)
		}
		e.connect(co, "c1", connectors.Grant{Data: []byte("g2")})
		if v, y := count(); v != 1 || y != 1 {
			t.Errorf("after the same company: %d vouchers, %d fiscal years; want 1, 1", v, y)
		}
		e.connect(co, "c2", connectors.Grant{Data: []byte("g3")})
		if v, y := count(); v != 0 || y != 0 {
			t.Errorf("after another company: %d vouchers, %d fiscal years; want 0, 0", v, y)
		}
		if s, err := e.d.SyncStateOf(ctx, conn.ID); err != nil || s.SyncedThrough != nil {
			t.Errorf("sync state = %+v, %v; want synced through nothing", s, err)
		}
	})
}
