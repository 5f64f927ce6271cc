package db

import (
	"maps"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Every request of a logged-in person reads their session and user, and
// every company page their access to the company. Those reads are served
// from this in-process cache for at most AuthCacheTTL of the DB's clock
// (issue 30): a logout, a role, password or membership change, or a
// company made inactive, on another instance sharing the database, takes
// effect on this one within that time. Any such write through this DB
// handle empties the cache at once (a gorm callback on the tables it
// reads), so on the instance where it happens it takes effect at once.
// Only what was found is kept: a login is never refused from the cache.

// AuthCacheTTL is the most a session, user or company access read is
// served from the cache after it was read.
const AuthCacheTTL = time.Second

// authCacheMax bounds the entries kept; past it the expired ones go, and
// if none had, all.
const authCacheMax = 4096

type sessionEntry struct {
	s    Session
	u    User
	read time.Time
}

type companyKey struct {
	userID    int64
	role      string
	companyID int64
}

type companyEntry struct {
	c    Company
	read time.Time
}

// authCache is the cache; its zero value is empty and ready.
type authCache struct {
	mu        sync.Mutex
	sessions  map[string]sessionEntry
	companies map[companyKey]companyEntry
}

// session is the entry of a session's hash read less than AuthCacheTTL
// before now.
func (a *authCache) session(hash string, now time.Time) (Session, User, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.sessions[hash]
	if !ok || !recent(e.read, now) {
		return Session{}, User{}, false
	}
	return e.s, e.u, true
}

func (a *authCache) putSession(hash string, s Session, u User, read time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions = pruned(a.sessions, read, func(e sessionEntry) time.Time { return e.read })
	a.sessions[hash] = sessionEntry{s: s, u: u, read: read}
}

func (a *authCache) company(k companyKey, now time.Time) (Company, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.companies[k]
	if !ok || !recent(e.read, now) {
		return Company{}, false
	}
	return e.c, true
}

func (a *authCache) putCompany(k companyKey, c Company, read time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.companies = pruned(a.companies, read, func(e companyEntry) time.Time { return e.read })
	a.companies[k] = companyEntry{c: c, read: read}
}

// clear forgets everything.
func (a *authCache) clear() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions, a.companies = nil, nil
}

// recent: read less than AuthCacheTTL before now (a clock set back
// counts as stale).
func recent(read, now time.Time) bool {
	age := now.Sub(read)
	return age >= 0 && age < AuthCacheTTL
}

// pruned is m, made if nil, less its stale entries when full; emptied if
// they were mostly fresh.
func pruned[K comparable, V any](m map[K]V, now time.Time, read func(V) time.Time) map[K]V {
	if m == nil {
		return make(map[K]V)
	}
	if len(m) < authCacheMax {
		return m
	}
	maps.DeleteFunc(m, func(_ K, v V) bool { return !recent(read(v), now) })
	if len(m) >= authCacheMax/2 {
		return make(map[K]V)
	}
	return m
}

// authTable: the cached reads read table.
func authTable(table string) bool {
	switch table {
	case "users", "sessions", "memberships", "companies":
		return true
	}
	return false
}

// clearAuthOnWrite empties the cache after every write through g to a
// table it reads, and after every raw statement (whose table gorm does
// not know).
func (d *DB) clearAuthOnWrite(g *gorm.DB) error {
	clear := func(tx *gorm.DB) {
		if tx.Statement == nil || tx.Statement.Table == "" || authTable(tx.Statement.Table) {
			d.auth.clear()
		}
	}
	cb := g.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("bilag:auth_cache_create", clear),
		cb.Update().After("gorm:update").Register("bilag:auth_cache_update", clear),
		cb.Delete().After("gorm:delete").Register("bilag:auth_cache_delete", clear),
		cb.Raw().After("gorm:raw").Register("bilag:auth_cache_raw", clear),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
