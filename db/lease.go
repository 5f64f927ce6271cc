package db

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"

	"gorm.io/gorm"
)

// ErrLeaseLost is returned when a write that may only happen under a lease
// (the refreshed grant, whose refresh token the upstream has rotated) found
// the lease taken over by another holder: the write did not happen.
var ErrLeaseLost = errors.New("lease lost")

// lease is a claim written into a row: whoever's owner the row holds, until
// the time beside it, is the only one who may do what the lease guards,
// across every process sharing the database. A holder that crashes blocks
// the others only until its lease runs out; then the next take gets it.
//
// Every lease in db is one: a connection's grant lease (SQLite's stand-in
// for a row lock; grants.go), the scheduled jobs' claims (jobs.go), the
// sync leases (sync.go) and the connectors' upstream leases (upstream.go).
// Taking is one conditional UPDATE, so on PostgreSQL a second taker's
// UPDATE waits for the first to commit, then finds the row no longer
// matching: two takers never both get true.
type lease struct {
	// model is the row's struct (&Connection{}, &JobLease{}, …), new for
	// each lease: writes go through it as every write in db does, so GORM
	// keeps stamping updated_at where the row has one (connections). GORM
	// also writes the updated values into it, so a lease is used by one
	// goroutine at a time.
	model     any
	keyColumn string
	key       any
	owner     string
	ttl       time.Duration

	// Options, zero for most leases.

	// until, when set, ends the lease then instead of ttl from now: the
	// upstream lease's caller says when its turn ends.
	until time.Time
	// ownerColumn and untilColumn name the lease's columns when they are
	// not lease_owner and lease_until (upstream_leases: holder and until).
	ownerColumn, untilColumn string
	// insert makes the row, with only its key, when it is missing: the job
	// and sync leases have rows of their own that nothing else creates.
	insert bool
	// once: owner is a token made for this one take (the sync lease, where
	// two goroutines of one instance must not both sync), so no row can hold
	// it yet and a take never renews. The owner clause, which could match
	// nothing, is left out of the take; renew extends such a lease instead.
	once bool
	// where (with args) is a further condition for taking: the refresh
	// takes the grant lease only of an active connection.
	where string
	args  []any
}

// columns names the owner and until columns of l.
func (l lease) columns() (owner, until string) {
	owner, until = "lease_owner", "lease_until"
	if l.ownerColumn != "" {
		owner = l.ownerColumn
	}
	if l.untilColumn != "" {
		until = l.untilColumn
	}
	return owner, until
}

// take claims l for l.owner when the row's lease is free, has run out, or
// (unless l.once) is l.owner's already, which renews it; false when another
// holder's lease is still running. Errors are the database's, for the
// caller to wrap with the lease's name. The column names in the SQL are
// the code's own constants, never input.
func (d *DB) take(ctx context.Context, l lease) (bool, error) {
	g := d.gorm.WithContext(ctx)
	if l.insert {
		table, err := d.tableOf(l.model)
		if err != nil {
			return false, err
		}
		if err := g.Exec("INSERT INTO "+table+" ("+l.keyColumn+") VALUES (?) ON CONFLICT DO NOTHING", l.key).Error; err != nil {
			return false, fmt.Errorf("insert %s row: %w", table, err)
		}
	}
	owner, until := l.columns()
	now := d.now().UTC()
	end := now.Add(l.ttl)
	if !l.until.IsZero() {
		end = l.until.UTC()
	}
	free, args := until+" IS NULL OR "+until+" < ?", []any{l.key, now}
	if !l.once {
		free += " OR " + owner + " = ?"
		args = append(args, l.owner)
	}
	q := g.Model(l.model).Where(l.keyColumn+" = ? AND ("+free+")", args...)
	if l.where != "" {
		q = q.Where(l.where, l.args...)
	}
	res := q.Updates(map[string]any{owner: l.owner, until: end})
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// renew extends l.owner's lease to l.ttl from now; false when it was lost
// (another holder took it over, or it was released).
func (d *DB) renew(ctx context.Context, l lease) (bool, error) {
	_, until := l.columns()
	return d.whileHeld(ctx, l, map[string]any{until: d.now().UTC().Add(l.ttl)})
}

// release gives l up and writes set into the row with it, only while
// l.owner still holds the lease: held is false when another holder took it
// over meanwhile (or it was released already), and then nothing was
// written. A caller writing what must not be lost (a rotated secret)
// treats held == false as ErrLeaseLost. A lease that ran out but was not
// taken over is still held: the fence is against a second holder, whose
// writes are the ones that must not be overwritten.
func (d *DB) release(ctx context.Context, l lease, set map[string]any) (held bool, err error) {
	owner, until := l.columns()
	upd := map[string]any{owner: "", until: nil}
	maps.Copy(upd, set)
	return d.whileHeld(ctx, l, upd)
}

// whileHeld writes upd into l's row if l.owner holds its lease.
func (d *DB) whileHeld(ctx context.Context, l lease, upd map[string]any) (bool, error) {
	owner, _ := l.columns()
	res := d.gorm.WithContext(ctx).Model(l.model).Where(l.keyColumn+" = ? AND "+owner+" = ?", l.key, l.owner).Updates(upd)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// releaseContext is what a lease is given back under: not the request's
// context, because the lease must be released (and what is written with it
// kept) even when the request that took it was cancelled.
func releaseContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

// tableOf is the table of a model, for the one lease statement GORM does
// not build (the insert).
func (d *DB) tableOf(model any) (string, error) {
	stmt := &gorm.Statement{DB: d.gorm}
	if err := stmt.Parse(model); err != nil {
		return "", fmt.Errorf("table of %T: %w", model, err)
	}
	return stmt.Schema.Table, nil
}

// newOwnerID names this handle in leases, so that a lease taken by another
// process (or another handle in tests) is told apart from our own.
func newOwnerID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
