package db

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// migrations run in order, each in its own transaction; the schema version is
// the number that have run. Append only: never edit a step that has shipped.
var migrations = []func(tx *gorm.DB) error{
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&User{}, &Company{}, &Membership{}, &AuditEvent{})
	},
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&ConsentLink{}, &Connection{})
	},
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&Voucher{}, &FiscalYear{}, &VoucherDocument{}, &SyncRun{}, &SyncState{})
	},
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&APIToken{})
	},
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&JobLease{})
	},
	func(tx *gorm.DB) error {
		// Step 3 creates the table from today's struct, which already has
		// the column; only databases made before this step lack it.
		if !tx.Migrator().HasColumn(&Voucher{}, "TextKey") {
			if err := tx.Migrator().AddColumn(&Voucher{}, "TextKey"); err != nil {
				return err
			}
		}
		// Existing rows: LOWER is right for the ASCII it folds; the next
		// sync (an upsert) refolds the rest in Go.
		return tx.Exec("UPDATE vouchers SET text_key = LOWER(text)").Error
	},
	func(tx *gorm.DB) error {
		// One index per filter, ordered by date (see Voucher).
		for _, stmt := range []string{
			"DROP INDEX IF EXISTS idx_voucher_number",
			"CREATE INDEX IF NOT EXISTS idx_voucher_number_date ON vouchers (company_id, number_key, date)",
			"CREATE INDEX IF NOT EXISTS idx_voucher_fy_date ON vouchers (company_id, fiscal_year_id, date)",
			"CREATE INDEX IF NOT EXISTS idx_voucher_docs_date ON vouchers (company_id, has_documents, date)",
		} {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		return nil
	},
}

// migrationLock is the PostgreSQL advisory lock key that serializes
// migrations between instances starting at the same time (any constant
// that no other lock in the database uses).
const migrationLock = 0x62696c6167 // "bilag"

// lockMigrations makes a PostgreSQL transaction wait for any other
// instance's migration step. Without it two instances starting on an empty
// database both create schema_version (or both insert its row) and one
// fails. On SQLite, _txlock=immediate already makes the transaction the
// only writer.
func (d *DB) lockMigrations(tx *gorm.DB) error {
	if d.Dialect() != "postgres" {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLock).Error
}

func (d *DB) migrate(ctx context.Context) error {
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := d.lockMigrations(tx); err != nil {
			return err
		}
		return tx.Migrator().AutoMigrate(&schemaVersion{})
	})
	if err != nil {
		return fmt.Errorf("migrate schema_version: %w", err)
	}
	for {
		done, err := d.migrateOne(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateOne runs the next pending step, if any. Taking the version row
// inside the step's transaction makes two instances starting at once run
// each step exactly once.
func (d *DB) migrateOne(ctx context.Context) (done bool, err error) {
	err = d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := d.lockMigrations(tx); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		var v schemaVersion
		q := tx
		if d.Dialect() == "postgres" {
			q = q.Clauses(lockForUpdate())
		}
		err := q.First(&v, 1).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			v = schemaVersion{ID: 1}
			if err := tx.Create(&v).Error; err != nil {
				return fmt.Errorf("create schema_version: %w", err)
			}
		} else if err != nil {
			return fmt.Errorf("read schema_version: %w", err)
		}
		if v.Version >= len(migrations) {
			done = true
			return nil
		}
		if err := migrations[v.Version](tx); err != nil {
			return fmt.Errorf("migration %d: %w", v.Version+1, err)
		}
		return tx.Model(&v).Update("version", v.Version+1).Error
	})
	return done, err
}
