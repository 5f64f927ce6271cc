package db

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"bilag/db/dbtest"
	"bilag/db/seal"
)

// committedDatabases are the databases in testdata that main made at
// some schema version and filled, with the rows they hold;
// testdata/README.md says how they were made. Add one per release that
// adds migration steps.
var committedDatabases = []struct {
	version int
	rows    map[string]int64
}{
	{version: 7, rows: map[string]int64{ // main at c693d9f
		"users":             2,
		"companies":         2,
		"memberships":       1,
		"audit_events":      4,
		"consent_links":     2,
		"connections":       1,
		"vouchers":          3,
		"fiscal_years":      2,
		"voucher_documents": 2,
		"sync_runs":         1,
		"sync_states":       1,
		"api_tokens":        1,
		"job_leases":        1,
		"schema_version":    1,
	}},
}

// committedKey is the keyring secret the committed databases' grant (of
// connection 1) is sealed with, and committedGrant the grant.
var (
	committedKey   = bytes.Repeat([]byte("v7"), 16)
	committedGrant = `{"access_token":"v7-access","refresh_token":"v7-refresh"}`
)

// TestUpgradeFromCommittedDatabases: a database main made and filled
// upgrades to exactly the schema of a fresh database and keeps its rows,
// and the frozen steps up to its version still make what main shipped.
func TestUpgradeFromCommittedDatabases(t *testing.T) {
	t.Parallel()
	for _, committed := range committedDatabases {
		for _, dialect := range dbtest.Dialects() {
			t.Run(fmt.Sprintf("v%d/%s", committed.version, dialect.Name), func(t *testing.T) {
				testUpgrade(t, dialect, committed.version, committed.rows)
			})
		}
	}
}

func testUpgrade(t *testing.T, dialect dbtest.Dialect, version int, rows map[string]int64) {
	ctx := t.Context()
	url := dialect.URL(t)
	loadCommitted(t, url, version)

	shipped := schemaOf(t, rawGorm(t, url))
	shippedTables := tablesOf(t, rawGorm(t, url))
	frozenURL := dialect.URL(t)
	frozen := &DB{gorm: rawGorm(t, frozenURL)}
	if err := frozen.migrateTo(ctx, migrations[:version]); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
	diffSchemas(t, fmt.Sprintf("steps 1-%d today", version), schemaOf(t, frozen.gorm), fmt.Sprintf("main at version %d", version), shipped)

	keys, err := seal.NewKeyring(committedKey)
	if err != nil {
		t.Fatal(err)
	}
	upgraded := openForTest(t, url, keys)
	fresh := openForTest(t, dialect.URL(t), keys)
	diffSchemas(t, "upgraded", schemaOf(t, upgraded.gorm), "fresh", schemaOf(t, fresh.gorm))

	for name, d := range map[string]*DB{"upgraded": upgraded, "fresh": fresh} {
		var v schemaVersion
		if err := d.gorm.First(&v, 1).Error; err != nil || v.Version != len(migrations) {
			t.Errorf("%s: schema version = %d, %v; want %d", name, v.Version, err, len(migrations))
		}
		if got, want := indexColumns(t, d.gorm, "idx_voucher_docs_date"), "vouchers(company_id,has_documents,date)"; got != want {
			t.Errorf("%s: idx_voucher_docs_date on %s, want %s", name, got, want)
		}
	}

	for _, table := range tablesOf(t, upgraded.gorm) {
		// A table a later step makes cannot have rows in this database;
		// the next committed database fills it.
		if _, ok := rows[table]; !ok && slices.Contains(shippedTables, table) {
			t.Errorf("table %s has no rows in the committed databases: add some (see testdata/README.md)", table)
		}
	}
	for table, want := range rows {
		var n int64
		if err := upgraded.gorm.Table(table).Count(&n).Error; err != nil || n != want {
			t.Errorf("rows in %s after the upgrade = %d, %v; want %d", table, n, err, want)
		}
	}
	// The sealed grant still opens: the column kept its bytes, and
	// the additional data it is sealed with is part of the format.
	var conn struct {
		TokenKeyID  string
		TokenSealed []byte
	}
	if err := upgraded.gorm.Table("connections").Select("token_key_id, token_sealed").Where("id = 1").Take(&conn).Error; err != nil {
		t.Fatal(err)
	}
	if g, err := keys.Open(conn.TokenKeyID, conn.TokenSealed, []byte("bilag connection token 1")); err != nil || string(g) != committedGrant {
		t.Errorf("committed grant opens as %q, %v; want %q", g, err, committedGrant)
	}
	var text string
	if err := upgraded.gorm.Table("vouchers").Select("text_key").Where("id = 2").Take(&text).Error; err != nil || text != "åkes öl & bröd" {
		t.Errorf("text_key of voucher 2 = %q, %v; want the Go-folded text", text, err)
	}
	// Step 9 gives the rows of the only connector there was (eAccounting)
	// their connection, eAccounting's ref and a neutral kind.
	var v2 struct {
		ConnectionID            int64
		Ref, Kind, UpstreamType string
	}
	if err := upgraded.gorm.Table("vouchers").Select("connection_id, ref, kind, upstream_type").Where("id = 2").Take(&v2).Error; err != nil ||
		v2.ConnectionID != 1 || v2.Ref != "fy-2024/5a8e2c1e-0002" || v2.Kind != "manual" || v2.UpstreamType != "Supplier invoice" {
		t.Errorf("voucher 2 after the upgrade = %+v, %v; want connection 1, ref fy-2024/5a8e2c1e-0002, kind manual, its type name", v2, err)
	}
	for _, table := range []string{"vouchers", "fiscal_years", "voucher_documents"} {
		var orphans int64
		if err := upgraded.gorm.Table(table).Where("connection_id <> 1").Count(&orphans).Error; err != nil || orphans != 0 {
			t.Errorf("%s rows without the company's connection = %d, %v; want 0", table, orphans, err)
		}
	}
}

// TestLiveStructsMatchSchema: the structs' gorm tags build no schema, but
// they say what the migrations build, so that reading a struct does not
// mislead. A change to a struct needs a migration step, and the reverse.
func TestLiveStructsMatchSchema(t *testing.T) {
	t.Parallel()
	for _, dialect := range dbtest.Dialects() {
		t.Run(dialect.Name, func(t *testing.T) {
			migrated := openForTest(t, dialect.URL(t), nil)
			live := rawGorm(t, dialect.URL(t))
			err := live.Migrator().CreateTable(&User{}, &Company{}, &Membership{}, &AuditEvent{},
				&ConsentLink{}, &Connection{},
				&Voucher{}, &FiscalYear{}, &VoucherDocument{}, &VoucherDimension{}, &SyncRun{}, &SyncState{},
				&APIToken{}, &JobLease{}, &Session{}, &RecoveryCode{}, &Notification{}, &NotificationMark{},
				&UpstreamCall{}, &UpstreamLease{}, &ImportBatch{}, &ImportOrder{}, &ImportAttempt{}, &ImportDocument{}, &Pair{}, &PrivateHost{}, &BudgetState{}, &DocCacheObject{},
				&IntegrationToken{}, &IdempotencyKey{}, &CachePurge{}, &ClientInvitation{}, &DocumentRule{}, &SyncAllRun{}, &SyncAllItem{}, &InvoiceState{}, &Pack{}, &schemaVersion{})
			if err != nil {
				t.Fatal(err)
			}
			// No struct describes the text index (an FTS5 table and its
			// triggers, or a pg_trgm index): it is made as step 16 makes it.
			if err := textSearchV16(live); err != nil {
				t.Fatal(err)
			}
			diffSchemas(t, "the live structs", schemaOf(t, live), "the migrations", schemaOf(t, migrated.gorm))
		})
	}
}

func openForTest(t *testing.T, url string, keys *seal.Keyring) *DB {
	t.Helper()
	d, err := Open(t.Context(), url, Options{Keys: keys})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// rawGorm opens url without migrating it.
func rawGorm(t *testing.T, url string) *gorm.DB {
	t.Helper()
	var dialector gorm.Dialector
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		dialector = sqlite.Open("file:" + path + "?_foreign_keys=on")
	} else {
		var err error
		if dialector, err = postgresDialector(url); err != nil {
			t.Fatal(err)
		}
	}
	g, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	return g
}

// loadCommitted puts the committed database of a version, in url's
// dialect, at url, a fresh database.
func loadCommitted(t *testing.T, url string, version int) {
	t.Helper()
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		b, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("main-v%d.sqlite", version)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	dump, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("main-v%d.postgres.sql", version)))
	if err != nil {
		t.Fatal(err)
	}
	// The dump is plain SQL (INSERTs, no COPY) except for psql's own
	// commands (\restrict and \unrestrict since pg_dump 15.14), which a
	// server does not know.
	var script strings.Builder
	for line := range strings.Lines(string(dump)) {
		if !strings.HasPrefix(line, `\`) {
			script.WriteString(line)
		}
	}
	conn, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Without arguments pgx sends the script as one simple query, which may
	// hold many statements.
	if _, err := conn.ExecContext(t.Context(), script.String()); err != nil {
		t.Fatalf("load %s dump: %v", url, err)
	}
}

// A schema is one line per table, column and index, sorted, so that two
// compare as sets and a difference reads as the lines only one side has.
type schema []string

func diffSchemas(t *testing.T, nameA string, a schema, nameB string, b schema) {
	t.Helper()
	var onlyA, onlyB []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			onlyB = append(onlyB, l)
		}
	}
	if len(onlyA)+len(onlyB) > 0 {
		t.Errorf("schema of %s differs from %s:\nonly in %s:\n\t%s\nonly in %s:\n\t%s",
			nameA, nameB, nameA, strings.Join(onlyA, "\n\t"), nameB, strings.Join(onlyB, "\n\t"))
	}
}

func schemaOf(t *testing.T, g *gorm.DB) schema {
	t.Helper()
	var s schema
	if g.Dialector.Name() == "sqlite" {
		s = sqliteSchema(t, g)
	} else {
		s = postgresSchema(t, g)
	}
	if len(s) == 0 {
		t.Fatal("schema is empty")
	}
	slices.Sort(s)
	return s
}

func tablesOf(t *testing.T, g *gorm.DB) []string {
	t.Helper()
	var tables []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if g.Dialector.Name() == "postgres" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	if err := g.Raw(q).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	return tables
}

// scanRows runs q and returns each row's columns as text (NULL as "NULL").
func scanRows(t *testing.T, g *gorm.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := g.Raw(q, args...).Rows()
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sqliteSchema(t *testing.T, g *gorm.DB) schema {
	var s schema
	for _, table := range tablesOf(t, g) {
		s = append(s, "table "+table)
		for _, c := range scanRows(t, g, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, table) {
			s = append(s, fmt.Sprintf("column %s.%s %s notnull=%s default=%s pk=%s", table, c[0], c[1], c[2], c[3], c[4]))
		}
		for _, ix := range scanRows(t, g, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, table) {
			var cols []string
			for _, c := range scanRows(t, g, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix[0]) {
				cols = append(cols, c[0])
			}
			s = append(s, fmt.Sprintf("index %s on %s(%s) unique=%s origin=%s partial=%s", ix[0], table, strings.Join(cols, ","), ix[1], ix[2], ix[3]))
		}
	}
	return s
}

func postgresSchema(t *testing.T, g *gorm.DB) schema {
	var s schema
	for _, table := range tablesOf(t, g) {
		s = append(s, "table "+table)
	}
	for _, c := range scanRows(t, g, `SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
		FROM information_schema.columns WHERE table_schema = current_schema()`) {
		s = append(s, fmt.Sprintf("column %s.%s %s(%s) nullable=%s default=%s", c[0], c[1], c[2], c[3], c[4], c[5]))
	}
	for _, ix := range scanRows(t, g, `SELECT i.relname, t.relname, string_agg(a.attname, ',' ORDER BY k.ord), ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL
		FROM pg_index ix
		JOIN pg_class i ON i.oid = ix.indexrelid
		JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
		WHERE n.nspname = current_schema()
		GROUP BY i.relname, t.relname, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL`) {
		s = append(s, fmt.Sprintf("index %s on %s(%s) unique=%s primary=%s partial=%s", ix[0], ix[1], ix[2], ix[3], ix[4], ix[5]))
	}
	return s
}

// indexColumns says which table and columns an index covers, as
// "table(col,col)".
func indexColumns(t *testing.T, g *gorm.DB, name string) string {
	t.Helper()
	for _, l := range schemaOf(t, g) {
		if rest, ok := strings.CutPrefix(l, "index "+name+" on "); ok {
			return rest[:strings.IndexByte(rest, ')')+1]
		}
	}
	return "(no such index)"
}
