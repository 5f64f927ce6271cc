package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/seal"
)

// backupEnv points the commands at a fresh data directory under key, and
// returns the database's path and the keyring of key.
func backupEnv(t *testing.T, dir string, key []byte) (string, *seal.Keyring) {
	t.Helper()
	t.Setenv("BILAG_DATA_DIR", dir)
	t.Setenv("BILAG_SECRET_KEY", base64.StdEncoding.EncodeToString(key))
	keys, err := seal.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "bilag.db"), keys
}

// seedGrant makes a company with a connected, sealed grant.
func seedGrant(t *testing.T, d *db.DB) int64 {
	t.Helper()
	ctx := context.Background()
	co := &db.Company{Name: "Backup AB", Country: "SE", OrgNumber: "556812-3474", Active: true}
	if err := d.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	l := &db.ConsentLink{CompanyID: co.ID, Connector: "eaccounting", ExpectedOrgNumber: co.OrgNumber, CreatedByID: 1, ExpiresAt: time.Now().Add(time.Hour)}
	if err := d.CreateLink(ctx, l, "secret-of-link"); err != nil {
		t.Fatal(err)
	}
	if err := d.StartLinkLogin(ctx, l.ID, "attempt"); err != nil {
		t.Fatal(err)
	}
	conn := &db.Connection{CompanyID: co.ID, Connector: "eaccounting"}
	g := connectors.Grant{Data: []byte(`{"access_token":"at-secret"}`), Expiry: time.Now().Add(time.Hour)}
	if err := d.Connect(ctx, l.ID, conn, g); err != nil {
		t.Fatal(err)
	}
	return conn.ID
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	code := run(context.Background(), args, nil, &o, &e)
	return code, o.String(), e.String()
}

// writing keeps writing audit events into d until stop is called, as a
// running server would.
func writing(t *testing.T, d *db.DB) (stop func() int) {
	var wg sync.WaitGroup
	done := make(chan struct{})
	n := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := d.Audit(context.Background(), db.AuditEvent{Actor: "writer", Action: db.AuditSyncRequest}); err != nil {
				t.Error(err)
				return
			}
			n++
		}
	}()
	return func() int { close(done); wg.Wait(); return n }
}

// A backup taken while a server runs and writes restores, once the server
// has stopped, into a database whose grant opens; the old file is kept.
func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, keys := backupEnv(t, dir, bytes.Repeat([]byte{3}, 32))
	srv, err := db.Open(ctx, "sqlite://"+path, db.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	connID := seedGrant(t, srv)
	if err := srv.HoldServerLease(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	stop := writing(t, srv)
	file := filepath.Join(dir, "backup.tar")
	code, out, errs := runCmd(t, "backup", "--to", file)
	if n := stop(); n == 0 {
		t.Error("no write happened during the backup")
	}
	if code != 0 {
		t.Fatalf("backup = %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, keys.CurrentID()) {
		t.Errorf("backup output %q does not name the key fingerprint", out)
	}
	m, err := readManifest(file)
	if err != nil || m.SchemaVersion != db.SchemaSteps() || m.KeyFingerprint != keys.CurrentID() {
		t.Fatalf("manifest = %+v, %v", m, err)
	}
	body, _ := os.ReadFile(file)
	if bytes.Contains(body, []byte(os.Getenv("BILAG_SECRET_KEY"))) {
		t.Error("the backup holds the secret key")
	}

	// Refused while the server holds the database: nothing changes.
	code, _, errs = runCmd(t, "restore", "--from", file)
	if code == 0 || !strings.Contains(errs, "a server holds the database") {
		t.Fatalf("restore under a server = %d, %q", code, errs)
	}
	assertNoRestore(t, dir)

	// The server stops; something written after the backup is undone.
	if err := srv.Audit(ctx, db.AuditEvent{Actor: "after-backup", Action: db.AuditSyncRequest}); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReleaseServerLease(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	code, out, errs = runCmd(t, "restore", "--from", file)
	if code != 0 || !strings.Contains(out, "1 grant(s) opened") {
		t.Fatalf("restore = %d, out %q, stderr %q", code, out, errs)
	}
	kept, _ := filepath.Glob(path + ".before-restore-*")
	if len(kept) == 0 {
		t.Error("the old database was not kept")
	}
	d, err := db.Open(ctx, "sqlite://"+path, db.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if g, err := d.Grant(ctx, connID); err != nil || !bytes.Contains(g.Data, []byte("at-secret")) {
		t.Errorf("restored grant = %q, %v", g.Data, err)
	}
	evs, _ := d.AuditEvents(ctx, 0, 1000000)
	for _, e := range evs {
		if e.Actor == "after-backup" {
			t.Error("the restored database holds a write made after the backup")
		}
	}
}

// assertNoRestore fails when a restore left anything in dir.
func assertNoRestore(t *testing.T, dir string) {
	t.Helper()
	for _, pat := range []string{"*.before-restore-*", "*.restoring-*"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pat)); len(m) > 0 {
			t.Errorf("a refused restore left %v", m)
		}
	}
}

// A restore under another key, or of a newer schema, is refused before
// anything is opened or changed.
func TestRestoreRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, keys := backupEnv(t, dir, bytes.Repeat([]byte{4}, 32))
	d, err := db.Open(ctx, "sqlite://"+path, db.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	seedGrant(t, d)
	d.Close()
	file := filepath.Join(dir, "backup.tar")
	if code, _, errs := runCmd(t, "backup", "--to", file); code != 0 {
		t.Fatalf("backup = %d, %q", code, errs)
	}
	newer := filepath.Join(dir, "newer.tar")
	m, _ := readManifest(file)
	m.SchemaVersion = db.SchemaSteps() + 1
	staged := filepath.Join(t.TempDir(), "db")
	if err := extractDB(file, staged); err != nil {
		t.Fatal(err)
	}
	if err := writeBackup(newer, m, staged); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	tests := []struct {
		name, file, key, want string
	}{
		{"wrong key", file, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32)), "sealed under key " + keys.CurrentID()},
		{"newer schema", newer, os.Getenv("BILAG_SECRET_KEY"), "newer than this bilag's"},
		{"missing file", filepath.Join(dir, "none.tar"), os.Getenv("BILAG_SECRET_KEY"), "open backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BILAG_SECRET_KEY", tt.key)
			code, _, errs := runCmd(t, "restore", "--from", tt.file)
			if code == 0 || !strings.Contains(errs, tt.want) {
				t.Fatalf("restore = %d, %q, want %q", code, errs, tt.want)
			}
			assertNoRestore(t, dir)
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("a refused restore changed the database")
			}
		})
	}
}

// A running server holds the lease a restore looks for, and gives it back
// when it stops.
func TestServeHoldsTheServerLease(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	path, keys := backupEnv(t, dir, bytes.Repeat([]byte{6}, 32))
	d, err := db.Open(ctx, "sqlite://"+path, db.Options{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a := &app{db: d, log: newLogger("text", io.Discard), keys: keys}
	stopped := make(chan struct{})
	go func() { holdServerLease(ctx, a); close(stopped) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		until, err := d.ServerHeldUntil(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !until.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no server lease after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-stopped
	if err := d.ReleaseServerLease(context.Background()); err != nil {
		t.Fatal(err)
	}
	if until, err := d.ServerHeldUntil(context.Background()); err != nil || !until.IsZero() {
		t.Errorf("server lease after release = %v, %v; want none", until, err)
	}
}
