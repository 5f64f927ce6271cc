package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"bilag/db"
	"bilag/db/seal"
)

// stage extracts the backup's database to staged, checks its checksum and
// schema, and opens every sealed grant in it; it returns how many opened.
func stage(ctx context.Context, from string, m manifest, staged string, keys *seal.Keyring) (int, error) {
	if err := extractDB(from, staged); err != nil {
		return 0, err
	}
	sum, err := fileSHA256(staged)
	if err != nil {
		return 0, err
	}
	if sum != m.DatabaseSHA256 {
		return 0, errors.New("the backup's database does not match its manifest's checksum: damaged; nothing was changed")
	}
	d, err := db.Open(ctx, "sqlite://"+staged, db.Options{Keys: keys})
	if err != nil {
		return 0, fmt.Errorf("open the backup's database: %w", err)
	}
	defer d.Close()
	n, err := d.VerifyGrants(ctx)
	if err != nil {
		return n, fmt.Errorf("verify the backup: %w; nothing was changed", err)
	}
	return n, nil
}

func extractDB(from, staged string) error {
	f, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("open backup: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("read backup %s: no %s in it", from, backupDBName)
		}
		if err != nil {
			return fmt.Errorf("read backup %s: %w", from, err)
		}
		if h.Name == backupDBName {
			return writeFile(staged, tr)
		}
	}
}

func writeFile(path string, r io.Reader) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// sqliteSidecars are the files SQLite keeps beside a database in WAL mode;
// they belong to it and move with it.
var sqliteSidecars = [...]string{"", "-wal", "-shm"}

// swapIn renames the database at path (with its sidecars) aside to
// path.before-restore-STAMP and moves staged into its place; it returns
// the kept name, empty when there was no database.
func swapIn(path, staged, stamp string) (string, error) {
	kept := ""
	if _, err := os.Stat(path); err == nil {
		kept = path + ".before-restore-" + stamp
		for _, s := range sqliteSidecars {
			if err := os.Rename(path+s, kept+s); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("keep the old database: %w", err)
			}
		}
	}
	for _, s := range sqliteSidecars {
		if err := os.Rename(staged+s, path+s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return kept, fmt.Errorf("move the restored database into place: %w", err)
		}
	}
	return kept, nil
}

// removeDB removes a staged database and its sidecars.
func removeDB(path string) {
	for _, s := range sqliteSidecars {
		os.Remove(path + s)
	}
}
