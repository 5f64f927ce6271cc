package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"bilag/db"
	"bilag/db/seal"
	"bilag/server/config"
)

// A backup is one tar file holding manifest.json and then bilag.db. Tar,
// because the manifest comes first and a restore reads (and checks) it
// without reading the database; the standard library writes it, and any
// tar lists it.
const (
	backupFormat   = "bilag-backup/1"
	manifestName   = "manifest.json"
	backupDBName   = "bilag.db"
	serverLeaseTTL = time.Minute
)

// manifest describes a backup. KeyFingerprint is the id of the key the
// grants were sealed under (seal.Keyring.CurrentID: a hash of the derived
// key, which reveals nothing of the secret); the key itself is never in a
// backup and must be kept apart from it.
type manifest struct {
	Format         string    `json:"format"`
	SchemaVersion  int       `json:"schema_version"`
	CreatedAt      time.Time `json:"created_at"`
	KeyFingerprint string    `json:"key_fingerprint"`
	BilagVersion   string    `json:"bilag_version"`
	DatabaseSHA256 string    `json:"database_sha256"`
}

func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "the backup file to write (a tar of manifest.json and bilag.db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("--to FILE is required")
	}
	if _, err := os.Stat(*to); err == nil {
		return fmt.Errorf("%s already exists", *to)
	}
	a, err := openApp(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.db.Close()
	if a.db.Dialect() != "sqlite" {
		return errors.New("the database is PostgreSQL: back it up with pg_dump (README, Operations)")
	}
	tmp, err := os.MkdirTemp(filepath.Dir(*to), ".bilag-backup-")
	if err != nil {
		return fmt.Errorf("backup work directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	copyPath := filepath.Join(tmp, backupDBName)
	if err := a.db.BackupTo(ctx, copyPath); err != nil {
		return err
	}
	m, err := manifestOf(ctx, copyPath, a.keys)
	if err != nil {
		return err
	}
	if err := writeBackup(*to, m, copyPath); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up schema %d under key %s to %s; keep BILAG_SECRET_KEY apart from it\n", m.SchemaVersion, m.KeyFingerprint, *to)
	return nil
}

// manifestOf describes the copy at path: its schema version is read from
// the copy itself, not from the live database, which may have moved on.
func manifestOf(ctx context.Context, path string, keys *seal.Keyring) (manifest, error) {
	d, err := db.Open(ctx, "sqlite://"+path, db.Options{Keys: keys})
	if err != nil {
		return manifest{}, fmt.Errorf("open the copy: %w", err)
	}
	v, err := d.SchemaVersion(ctx)
	d.Close()
	if err != nil {
		return manifest{}, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return manifest{}, err
	}
	return manifest{Format: backupFormat, SchemaVersion: v, CreatedAt: time.Now().UTC(),
		KeyFingerprint: keys.CurrentID(), BilagVersion: version, DatabaseSHA256: sum}, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeBackup writes the tar beside to and renames it into place, so a
// failed backup never leaves a file that looks whole.
func writeBackup(to string, m manifest, dbPath string) error {
	part := to + ".partial"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create backup: %w", err)
	}
	defer os.Remove(part)
	err = writeTar(f, m, dbPath)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	return os.Rename(part, to)
}

func writeTar(w io.Writer, m manifest, dbPath string) error {
	tw := tar.NewWriter(w)
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.CreatedAt}); err != nil {
		return err
	}
	if _, err := tw.Write(body); err != nil {
		return err
	}
	f, err := os.Open(dbPath)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: backupDBName, Mode: 0o600, Size: st.Size(), ModTime: m.CreatedAt}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, f); err != nil {
		return err
	}
	return tw.Close()
}

// keyringOf builds the keyring from the configured secrets.
func keyringOf(cfg *config.Config) (*seal.Keyring, error) {
	var prev [][]byte
	if cfg.PreviousSecretKey != nil {
		prev = append(prev, cfg.PreviousSecretKey)
	}
	keys, err := seal.NewKeyring(cfg.SecretKey, prev...)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return keys, nil
}

// sqlitePath is the file of an sqlite:// URL; an error for PostgreSQL.
func sqlitePath(url string) (string, error) {
	if !strings.HasPrefix(url, "sqlite://") {
		return "", errors.New("the database is PostgreSQL: restore it with pg_restore (README, Operations)")
	}
	return strings.TrimPrefix(url, "sqlite://"), nil
}
