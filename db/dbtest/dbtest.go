// Package dbtest gives tests the databases Bilag runs on: a fresh SQLite
// file, and a fresh database on a throwaway PostgreSQL server that the test
// binary starts itself on a loopback port when PostgreSQL's server binaries
// are installed (Debian's postgresql package). Without them the PostgreSQL
// half of a test is skipped with a message that says what is missing.
//
// A package whose tests use PostgresURL stops the server at the end with
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
//
// and the server also dies with the test binary if that never runs.
package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// ExternalURLEnv names a PostgreSQL server to use instead of starting one:
// a URL whose user may create databases, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const ExternalURLEnv = "BILAG_TEST_POSTGRES_URL"

// Dialect is one database the tests run against.
type Dialect struct {
	Name string
	// URL returns the URL of a fresh, empty database that lives as long
	// as t; a PostgreSQL dialect skips t when no server can be had.
	URL func(t testing.TB) string
}

// Dialects are SQLite and PostgreSQL, in that order.
func Dialects() []Dialect {
	return []Dialect{
		{Name: "sqlite", URL: SQLiteURL},
		{Name: "postgres", URL: PostgresURL},
	}
}

// Run runs f as a subtest per dialect, each with a fresh database.
func Run(t *testing.T, f func(t *testing.T, url string)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d.Name, func(t *testing.T) { f(t, d.URL(t)) })
	}
}

// SQLiteURL is a database file in t's temporary directory.
func SQLiteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "bilag.db")
}

var (
	once     sync.Once
	shared   *cluster
	skipWhy  string
	startErr error
	seq      atomic.Int64
)

// PostgresURL returns the URL of a fresh database on the test binary's
// PostgreSQL server, starting the server on first use.
func PostgresURL(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, skipWhy, startErr = start() })
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	if startErr != nil {
		t.Fatalf("start PostgreSQL for the tests: %v", startErr)
	}
	name := fmt.Sprintf("bilag_test_%d_%d", os.Getpid(), seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := shared.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	if shared.external {
		// A server we did not start outlives the test: leave it clean.
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := shared.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Logf("drop test database %s: %v", name, err)
			}
		})
	}
	return shared.urlFor(name)
}

// Main runs the tests and then stops the server if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	return code
}

// cluster is a running PostgreSQL server.
type cluster struct {
	host, port, user string
	external         bool
	rawURL           string // for an external server
	dir              string
	cmd              *exec.Cmd
	exited           chan struct{}
	admin            *sql.DB
}

func (c *cluster) urlFor(dbname string) string {
	if c.external {
		u := c.rawURL
		i := strings.Index(u, "://")
		rest := u[i+3:]
		host, query := rest, ""
		if j := strings.IndexByte(rest, '?'); j >= 0 {
			host, query = rest[:j], rest[j:]
		}
		if j := strings.IndexByte(host, '/'); j >= 0 {
			host = host[:j]
		}
		return u[:i+3] + host + "/" + dbname + query
	}
	return fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable", c.user, c.host, c.port, dbname)
}

func start() (*cluster, string, error) {
	if u := os.Getenv(ExternalURLEnv); u != "" {
		c := &cluster{external: true, rawURL: u}
		admin, err := sql.Open("pgx", u)
		if err != nil {
			return nil, "", err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := admin.PingContext(ctx); err != nil {
			return nil, "", fmt.Errorf("%s: %w", ExternalURLEnv, err)
		}
		c.admin = admin
		return c, "", nil
	}
	bin, why := findBinaries()
	if why != "" {
		fmt.Fprintln(os.Stderr, "dbtest: PostgreSQL tests SKIPPED: "+why)
		return nil, why, nil
	}
	cred, why, err := runAs()
	if why != "" || err != nil {
		if why != "" {
			fmt.Fprintln(os.Stderr, "dbtest: PostgreSQL tests SKIPPED: "+why)
		}
		return nil, why, err
	}
	c, err := startCluster(bin, cred)
	return c, "", err
}

// findBinaries looks for initdb and postgres on $PATH, then in Debian's
// /usr/lib/postgresql/<version>/bin, newest version first.
func findBinaries() (dir, why string) {
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, ""
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		_, e1 := os.Stat(filepath.Join(d, "initdb"))
		_, e2 := os.Stat(filepath.Join(d, "postgres"))
		if e1 == nil && e2 == nil {
			return d, ""
		}
	}
	return "", "no PostgreSQL server binaries (initdb, postgres) on $PATH or in /usr/lib/postgresql/*/bin; " +
		"install them (Debian: apt-get install postgresql) or set " + ExternalURLEnv
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// runAs is who the server runs as: PostgreSQL refuses to run as root, so
// as root it runs as the "postgres" account the package creates.
func runAs() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		return nil, "", nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, "running as root and there is no \"postgres\" user to run the PostgreSQL server as", nil
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, "", fmt.Errorf("user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, "", nil
}

func startCluster(bin string, cred *syscall.Credential) (c *cluster, err error) {
	dir, err := os.MkdirTemp("", "bilag-pgtest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		c, err = launch(bin, dir, data, cred)
		if err == nil || attempt == 2 {
			return c, err
		}
	}
}

// launch starts the server on a free loopback port and waits until it
// answers. Settings trade durability for speed: the data is thrown away.
func launch(bin, dir, data string, cred *syscall.Credential) (*cluster, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-h", "127.0.0.1", "-p", port,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB", "-c", "TimeZone=UTC")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// SIGQUIT is PostgreSQL's immediate shutdown; sending it when the test
	// binary dies keeps a crashed or killed test run from leaving a server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	c := &cluster{host: "127.0.0.1", port: port, user: "postgres", dir: dir, cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal follows the thread that started the
		// child, so that thread must live as long as the server.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(c.exited)
			return
		}
		started <- nil
		cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	admin, err := sql.Open("pgx", c.urlFor("postgres"))
	if err != nil {
		c.stop()
		return nil, err
	}
	c.admin = admin
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := admin.PingContext(ctx)
		cancel()
		if err == nil {
			return c, nil
		}
		select {
		case <-c.exited:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres exited during start-up: %s", tail(log))
		default:
		}
		if time.Now().After(deadline) {
			c.stop()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres did not answer in 30s: %v: %s", err, tail(log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// stop shuts the server down at once (its data is disposable) and removes
// its directory.
func (c *cluster) stop() {
	if c.admin != nil {
		c.admin.Close()
	}
	if c.external {
		return
	}
	c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
	os.RemoveAll(c.dir)
}
