package db_test

import (
	"os"
	"path/filepath"
	"testing"

	"bilag/db"
)

// TestDatabaseFilesAreOwnersOnly: the SQLite file holds sealed grants,
// sessions and the audit trail; nobody but the service's user may read it,
// whatever the umask, and a file an older version made readable to others
// is closed when it is opened.
func TestDatabaseFilesAreOwnersOnly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		before os.FileMode // 0: no file yet
	}{{"new file", 0}, {"an older version's file", 0o644}} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data", "bilag.db")
			if tt.before != 0 {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, nil, tt.before); err != nil {
					t.Fatal(err)
				}
			}
			d, err := db.Open(t.Context(), "sqlite://"+path, db.Options{})
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			defer d.Close()
			for _, name := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(name)
				if os.IsNotExist(err) && name != path {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if perm := fi.Mode().Perm(); perm&0o077 != 0 {
					t.Errorf("%s has mode %v, want no access for group and others", filepath.Base(name), perm)
				}
			}
		})
	}
}
