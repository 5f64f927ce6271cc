package db

import "gorm.io/gorm"

// RawGorm is d's connection, for tests of package db_test that look at
// what is stored as it is.
func RawGorm(d *DB) *gorm.DB { return d.gorm }
