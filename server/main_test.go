package server_test

import (
	"os"
	"testing"

	"bilag/db/dbtest"
)

// TestMain stops the PostgreSQL server dbtest may have started.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
