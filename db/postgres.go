package db

import (
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// postgresMaxConns is one instance's share of the PostgreSQL server's
// connections; see Open.
const postgresMaxConns = 20

func postgresDialector(url string) (gorm.Dialector, error) {
	return postgres.Open(url), nil
}
