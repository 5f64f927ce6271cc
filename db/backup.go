package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"gorm.io/gorm"
)

// ErrNotSQLite is returned by what only an SQLite database can do (an
// online copy into a file): a PostgreSQL database is backed up with
// pg_dump instead (README, "Operations").
var ErrNotSQLite = errors.New("not an SQLite database")

// serverLease names the JobLease a running server holds and renews, so that
// a restore can tell that a server has the database open.
const serverLease = "server"

// SchemaSteps is the schema version this build brings a database to: the
// number of migration steps it knows.
func SchemaSteps() int { return len(migrations) }

// SchemaVersion is how many migration steps the database has run.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v schemaVersion
	if err := d.gorm.WithContext(ctx).First(&v, 1).Error; err != nil {
		return 0, fmt.Errorf("read schema_version: %w", err)
	}
	return v.Version, nil
}

// HoldServerLease takes or renews the lease that says a server is running
// on this database, for ttl. Unlike a scheduled job's claim, every instance
// renews it while it runs: one holding it is enough for a restore to stop.
func (d *DB) HoldServerLease(ctx context.Context, ttl time.Duration) error {
	until := d.now().UTC().Add(ttl)
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&JobLease{}).Where("name = ?", serverLease).
			Updates(map[string]any{"lease_owner": d.owner, "lease_until": until})
		if res.Error != nil || res.RowsAffected > 0 {
			return res.Error
		}
		return tx.Create(&JobLease{Name: serverLease, LeaseOwner: d.owner, LeaseUntil: &until}).Error
	})
	if err != nil {
		return fmt.Errorf("hold server lease: %w", err)
	}
	return nil
}

// ReleaseServerLease ends this handle's server lease (a server shutting
// down cleanly), so a restore need not wait for it to run out.
func (d *DB) ReleaseServerLease(ctx context.Context) error {
	err := d.gorm.WithContext(ctx).Model(&JobLease{}).Where("name = ? AND lease_owner = ?", serverLease, d.owner).
		Update("lease_until", nil).Error
	if err != nil {
		return fmt.Errorf("release server lease: %w", err)
	}
	return nil
}

// ServerHeldUntil reports until when a server's lease on the database
// runs; the zero time when none does.
func (d *DB) ServerHeldUntil(ctx context.Context) (time.Time, error) {
	var l JobLease
	err := d.gorm.WithContext(ctx).Where("name = ?", serverLease).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read server lease: %w", err)
	}
	if l.LeaseUntil == nil || !l.LeaseUntil.After(d.now()) {
		return time.Time{}, nil
	}
	return *l.LeaseUntil, nil
}

// BackupTo writes a consistent copy of the SQLite database into the new
// file path. VACUUM INTO reads inside one read transaction, so the copy is
// the database at one moment even while a server keeps writing (WAL lets
// it), and the result is one self-contained file: no -wal beside it to
// lose, unlike a file copy of a live database.
func (d *DB) BackupTo(ctx context.Context, path string) error {
	if d.Dialect() != "sqlite" {
		return fmt.Errorf("backup: %w", ErrNotSQLite)
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists", path)
	}
	if err := d.gorm.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup into %s: %w", path, err)
	}
	return nil
}

// VerifyGrants opens every sealed grant and returns how many it opened:
// the first that does not open is the error (a restore under the wrong
// key, or a damaged copy).
func (d *DB) VerifyGrants(ctx context.Context) (int, error) {
	var cs []Connection
	if err := d.gorm.WithContext(ctx).Where("token_sealed IS NOT NULL").Find(&cs).Error; err != nil {
		return 0, fmt.Errorf("list sealed grants: %w", err)
	}
	n := 0
	for i := range cs {
		if len(cs[i].TokenSealed) == 0 {
			continue
		}
		if _, err := d.grantOf(&cs[i]); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
