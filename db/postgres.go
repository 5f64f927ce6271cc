package db

import (
	"crypto/rand"
	"encoding/hex"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// postgresMaxConns is one instance's share of the PostgreSQL server's
// connections; see Open.
const postgresMaxConns = 20

func postgresDialector(url string) (gorm.Dialector, error) {
	return postgres.Open(url), nil
}

// newOwnerID names this handle in leases, so that a lease taken by another
// process (or another handle in tests) is told apart from our own.
func newOwnerID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
