// Package db is Bilag's storage: GORM models, migrations and the queries the
// server needs, on SQLite (embedded default) or PostgreSQL (several instances).
// Secrets are sealed with a keyring before they reach a row.
package db

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"bilag/db/seal"
)

// ErrNotFound is returned when a row asked for by id or key does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned when a unique value (an email, an org number) is taken.
var ErrDuplicate = errors.New("already exists")

// DB is the one handle to Bilag's storage.
type DB struct {
	gorm  *gorm.DB
	keys  *seal.Keyring
	now   func() time.Time
	log   *slog.Logger
	owner string
	// refreshLocks holds a *sync.Mutex per connection id.
	refreshLocks sync.Map
	lockWait     func(connID int64)
	textWindow   int
	textRare     int
	// hot holds the document open's prepared statements (hotsql.go).
	hot *hotStmts
	// opens records document opens by group commit (opencommit.go).
	openLog *groupCommit
	// auth keeps session and company access reads for AuthCacheTTL.
	auth authCache
}

// Options configure Open.
type Options struct {
	Keys   *seal.Keyring
	Now    func() time.Time
	Logger *slog.Logger
	// LockWait, when set, is called just before a connection's grant lock
	// is waited for (to refresh, disconnect or replace the grant); tests use
	// it to order goroutines around the lock without sleeping.
	LockWait func(connID int64)
	// TextWindow is how many of the newest vouchers a text filter reads
	// before it turns to the text index (default textWindow); tests make
	// it small.
	TextWindow int
	// TextRare is how many vouchers may hold a text's rarest trigram for
	// the text to be found through the index (default textRare).
	TextRare int
}

// Open connects to the database named by url (sqlite://path or
// postgres://...) and brings its schema up to date.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	cfg := &gorm.Config{
		TranslateError: true,
		NowFunc:        func() time.Time { return opt.Now().UTC() },
		Logger:         logger.Discard,
	}
	var dialector gorm.Dialector
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		path := strings.TrimPrefix(url, "sqlite://")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
		if err := ownersOnly(path); err != nil {
			return nil, err
		}
		// WAL lets readers work while one writer writes; busy_timeout makes a
		// second writer (another process on the same file) wait instead of
		// failing at once; _txlock=immediate takes the write lock at BEGIN so
		// two read-then-write transactions cannot deadlock on upgrade.
		dialector = sqlite.Open("file:" + path + "?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=on&_txlock=immediate&_synchronous=NORMAL")
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		d, err := postgresDialector(url)
		if err != nil {
			return nil, err
		}
		dialector = d
	default:
		return nil, fmt.Errorf("open database: unsupported URL scheme in %q", redactURL(url))
	}
	g, err := gorm.Open(dialector, cfg)
	// Switching a new SQLite file to WAL needs a moment alone with it, and
	// SQLite answers "locked" at once instead of waiting for busy_timeout
	// when another process is doing the same: several instances or
	// commands starting together. Try again briefly.
	for i := 0; err != nil && i < 20 && strings.Contains(err.Error(), "database is locked"); i++ {
		time.Sleep(time.Duration(10+i*10) * time.Millisecond)
		g, err = gorm.Open(dialector, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	switch g.Dialector.Name() {
	case "sqlite":
		// SQLite allows one writer at a time; a small pool keeps readers
		// concurrent while writers queue on busy_timeout rather than on
		// "database is locked" errors.
		sqlDB.SetMaxOpenConns(8)
	case "postgres":
		// Several instances share one server, whose max_connections (100 by
		// default) bounds them all together: each instance keeps to its
		// share and queues requests in the pool instead. No code path holds
		// one pooled connection while waiting for another, so a full pool
		// delays and never deadlocks.
		sqlDB.SetMaxOpenConns(postgresMaxConns)
		sqlDB.SetMaxIdleConns(postgresMaxConns / 2)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if opt.TextWindow <= 0 {
		opt.TextWindow = textWindow
		if g.Dialector.Name() == "postgres" {
			// Past the window PostgreSQL counts every match (see
			// Vouchers): a wider one keeps common texts from that.
			opt.TextWindow = textWindowPostgres
		}
	}
	if opt.TextRare <= 0 {
		opt.TextRare = textRare
	}
	d := &DB{gorm: g, keys: opt.Keys, now: opt.Now, log: opt.Logger, owner: newOwnerID(), lockWait: opt.LockWait, textWindow: opt.TextWindow, textRare: opt.TextRare,
		hot: &hotStmts{pool: sqlDB, postgres: g.Dialector.Name() == "postgres"}}
	d.openLog = newGroupCommit(openBatch, d.commitOpens)
	if err := d.clearAuthOnWrite(g); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := d.migrate(ctx); err != nil {
		if strings.Contains(err.Error(), "no such module: fts5") {
			return nil, fmt.Errorf("%w (build bilag with -tags sqlite_fts5)", err)
		}
		return nil, err
	}
	return d, nil
}

// Close releases the connection pool.
func (d *DB) Close() error {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	// The opens still queued commit first.
	d.openLog.close()
	d.hot.close()
	return sqlDB.Close()
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Dialect is "sqlite" or "postgres".
func (d *DB) Dialect() string { return d.gorm.Dialector.Name() }

func redactURL(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "[redacted]" + u[i:]
		}
	}
	return u
}

// notFound turns gorm's not-found into ErrNotFound and duplicates into ErrDuplicate.
func notFound(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	}
	return err
}

// ownersOnly makes the SQLite file at path, created if missing, readable
// by its owner alone: it holds sealed grants, sessions and the audit trail.
// SQLite gives its WAL and shared-memory files the database file's mode,
// and would otherwise create it 0644; a file an older version made is
// closed here too.
func ownersOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("database file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("restrict database file: %w", err)
		}
	}
	for _, side := range []string{path + "-wal", path + "-shm"} {
		if err := os.Chmod(side, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restrict database file: %w", err)
		}
	}
	return nil
}
