package dbtest_test

import (
	"database/sql"
	"os"
	"testing"

	"bilag/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestPostgresURL: each call is a fresh, usable database.
func TestPostgresURL(t *testing.T) {
	a, b := dbtest.PostgresURL(t), dbtest.PostgresURL(t)
	if a == b {
		t.Fatalf("PostgresURL() twice = %q, want two databases", a)
	}
	for _, u := range []string{a, b} {
		d, err := sql.Open("pgx", u)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var n int
		if err := d.QueryRowContext(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
			t.Errorf("tables in a fresh database = %d, %v; want 0", n, err)
		}
	}
}
