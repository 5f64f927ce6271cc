package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"bilag/db"
	"bilag/db/seal"
	"bilag/server/config"
)

// restore replaces the SQLite database with a backup's. The order is the
// point: the manifest's key fingerprint and schema are checked before
// anything sealed is opened or any file changes, then that no server holds
// the database, then the copy is verified by opening its grants, and only
// then is the old file renamed aside (kept, with a timestamp) and the copy
// moved into its place.
func restore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the backup file bilag backup wrote")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("--from FILE is required")
	}
	cfg, err := config.FromEnv(os.LookupEnv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	path, err := sqlitePath(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	keys, err := keyringOf(cfg)
	if err != nil {
		return err
	}
	m, err := readManifest(*from)
	if err != nil {
		return err
	}
	if err := checkManifest(m, keys); err != nil {
		return err
	}
	if err := checkNoServer(ctx, path, keys); err != nil {
		return err
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	staged := path + ".restoring-" + stamp
	n, err := stage(ctx, *from, m, staged, keys)
	if err != nil {
		removeDB(staged)
		return err
	}
	kept, err := swapIn(path, staged, stamp)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored schema %d from %s (%d grant(s) opened)\n", m.SchemaVersion, *from, n)
	if kept != "" {
		fmt.Fprintf(stdout, "the previous database is kept as %s\n", kept)
	}
	return nil
}

// checkManifest refuses a backup this build or this key cannot use.
func checkManifest(m manifest, keys *seal.Keyring) error {
	if m.Format != backupFormat {
		return fmt.Errorf("not a Bilag backup (format %q)", m.Format)
	}
	if !keys.Has(m.KeyFingerprint) {
		return fmt.Errorf("the backup's grants are sealed under key %s, which BILAG_SECRET_KEY (or BILAG_SECRET_KEY_PREVIOUS) is not (current key %s): set the key the backup was taken with; nothing was changed",
			m.KeyFingerprint, keys.CurrentID())
	}
	if m.SchemaVersion > db.SchemaSteps() {
		return fmt.Errorf("the backup has schema %d, newer than this bilag's %d: restore it with the release that took it; nothing was changed",
			m.SchemaVersion, db.SchemaSteps())
	}
	return nil
}

// checkNoServer refuses while a server's lease on the database runs.
func checkNoServer(ctx context.Context, path string, keys *seal.Keyring) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	d, err := db.Open(ctx, "sqlite://"+path, db.Options{Keys: keys})
	if err != nil {
		return err
	}
	defer d.Close()
	until, err := d.ServerHeldUntil(ctx)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return fmt.Errorf("a server holds the database (its lease runs until %s): stop it first; nothing was changed", until.Format(time.RFC3339))
	}
	return nil
}

// readManifest reads the backup's first entry, which must be the manifest.
func readManifest(from string) (manifest, error) {
	f, err := os.Open(from)
	if err != nil {
		return manifest{}, fmt.Errorf("open backup: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	h, err := tr.Next()
	if err != nil || h.Name != manifestName {
		return manifest{}, fmt.Errorf("read backup %s: no %s first", from, manifestName)
	}
	var m manifest
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
		return manifest{}, fmt.Errorf("read backup manifest: %w", err)
	}
	return m, nil
}
