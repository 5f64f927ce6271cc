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
}

func (d *DB) migrate(ctx context.Context) error {
	g := d.gorm.WithContext(ctx)
	if err := g.Migrator().AutoMigrate(&schemaVersion{}); err != nil {
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
