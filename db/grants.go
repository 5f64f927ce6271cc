package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"bilag/connectors"
)

// A connection's grant: sealed into its row, opened, and refreshed under one
// lock per connection (FreshGrant). The rows and their status are in
// connections.go.

// ErrNeedsReapproval is returned for a grant of a connection that is no
// longer active.
var ErrNeedsReapproval = errors.New("connection needs re-approval")

func tokenAAD(connID int64) []byte {
	return []byte("bilag connection token " + strconv.FormatInt(connID, 10))
}

// sealInto seals g into conn's token fields (under the current key, bound
// to conn's id); the caller writes the row.
func (d *DB) sealInto(conn *Connection, g connectors.Grant) error {
	if d.keys == nil {
		return errors.New("seal grant: no keyring configured")
	}
	kid, ct, err := d.keys.Seal(g.Data, tokenAAD(conn.ID))
	if err != nil {
		return fmt.Errorf("seal grant of connection %d: %w", conn.ID, err)
	}
	conn.TokenKeyID, conn.TokenSealed = kid, ct
	if g.Expiry.IsZero() {
		conn.TokenExpiry = nil
	} else {
		e := g.Expiry.UTC()
		conn.TokenExpiry = &e
	}
	return nil
}

// grantOf opens a connection's sealed grant.
func (d *DB) grantOf(conn *Connection) (connectors.Grant, error) {
	if len(conn.TokenSealed) == 0 {
		return connectors.Grant{}, fmt.Errorf("grant of connection %d: %w", conn.ID, ErrNeedsReapproval)
	}
	if d.keys == nil {
		return connectors.Grant{}, errors.New("open grant: no keyring configured")
	}
	data, err := d.keys.Open(conn.TokenKeyID, conn.TokenSealed, tokenAAD(conn.ID))
	if err != nil {
		return connectors.Grant{}, fmt.Errorf("open grant of connection %d: %w", conn.ID, err)
	}
	g := connectors.Grant{Data: data, Scopes: conn.ScopeList()}
	if conn.TokenExpiry != nil {
		g.Expiry = *conn.TokenExpiry
	}
	return g, nil
}

// Grant returns the current grant of an active connection, as stored.
func (d *DB) Grant(ctx context.Context, connID int64) (connectors.Grant, error) {
	conn, err := d.ConnectionByID(ctx, connID)
	if err != nil {
		return connectors.Grant{}, err
	}
	if conn.Status != ConnActive {
		return connectors.Grant{}, fmt.Errorf("grant of connection %d: %w", connID, ErrNeedsReapproval)
	}
	return d.grantOf(conn)
}

// GrantIfFresh is the grant of conn, a row read from the database during
// the same request, when it is active and fresh for margin (as FreshGrant
// judges): then no second read of the row is needed. ok is false when
// FreshGrant must decide (a refresh may be due). The document open uses it
// beside the one-round-trip reads of openpath.go.
func (d *DB) GrantIfFresh(conn *Connection, margin time.Duration) (g connectors.Grant, ok bool, err error) {
	if conn.Status != ConnActive || !fresh(conn, d.now(), margin) {
		return connectors.Grant{}, false, nil
	}
	g, err = d.grantOf(conn)
	return g, err == nil, err
}

// RefreshFunc renews a grant at the upstream.
type RefreshFunc func(ctx context.Context, g connectors.Grant) (connectors.Grant, error)

// leaseTime bounds how long a crashed refresher can block the others.
const leaseTime = 30 * time.Second

// refreshTimeout bounds one refresh at the upstream. It is shorter than
// leaseTime, so a slow refresh ends before its lease can run out and be
// taken by a second refresher holding the same (single-use) refresh token.
const refreshTimeout = 25 * time.Second

// refreshContext is what a refresh runs under: not the request's context,
// because once the upstream has rotated the refresh token the new one must
// be stored even if the person who caused the refresh went away.
func refreshContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
}

// refreshMutex serializes refreshes of one connection within this handle,
// so that concurrent requests wait on a mutex instead of polling the
// database for the lease.
func (d *DB) refreshMutex(connID int64) *sync.Mutex {
	mu, _ := d.refreshLocks.LoadOrStore(connID, &sync.Mutex{})
	return mu.(*sync.Mutex)
}

func (d *DB) waitingForLock(connID int64) {
	if d.lockWait != nil {
		d.lockWait(connID)
	}
}

// FreshGrant returns a grant of the connection valid for at least margin,
// refreshing it when needed. Only one refresher runs per connection across
// every process sharing the database: it holds a lock on the row, re-reads
// the grant after taking it (another may have refreshed meanwhile), and
// commits the new grant before anyone uses it, because refresh tokens rotate
// and a lost one kills the connection. invalid_grant marks the connection
// as needing re-approval.
//
// On PostgreSQL the lock is the row lock of SELECT … FOR UPDATE, held by a
// transaction for the whole refresh (refreshLocked). SQLite has no row
// locks and a write transaction locks the whole file, so there the lock is
// a lease written into the row (refreshUnderLease).
func (d *DB) FreshGrant(ctx context.Context, connID int64, margin time.Duration, refresh RefreshFunc) (connectors.Grant, error) {
	mu := d.refreshMutex(connID)
	for {
		conn, err := d.ConnectionByID(ctx, connID)
		if err != nil {
			return connectors.Grant{}, err
		}
		if conn.Status != ConnActive {
			return connectors.Grant{}, fmt.Errorf("grant of connection %d: %w", connID, ErrNeedsReapproval)
		}
		if fresh(conn, d.now(), margin) {
			return d.grantOf(conn)
		}
		d.waitingForLock(connID)
		mu.Lock()
		if d.Dialect() == "postgres" {
			g, err := d.refreshLocked(ctx, connID, margin, refresh)
			mu.Unlock()
			return g, err
		}
		g, done, err := d.refreshUnderLease(ctx, connID, margin, refresh)
		mu.Unlock()
		if done || err != nil {
			return g, err
		}
		// Another process holds the lease: wait for it, then read its result.
		t := time.NewTimer(25 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return connectors.Grant{}, fmt.Errorf("wait for refresh of connection %d: %w", connID, ctx.Err())
		case <-t.C:
		}
	}
}

// fresh reports whether conn's grant is valid for at least margin, or for
// half its lifetime when that is shorter: a token that lives 20 seconds is
// never valid for a 2-minute margin, and would be refreshed by every
// request. The lifetime runs from when the grant was stored (approved or
// last refreshed) to its expiry.
func fresh(conn *Connection, now time.Time, margin time.Duration) bool {
	if conn.TokenExpiry == nil {
		return true
	}
	issued := conn.ApprovedAt
	if conn.RefreshedAt != nil && conn.RefreshedAt.After(issued) {
		issued = *conn.RefreshedAt
	}
	if life := conn.TokenExpiry.Sub(issued); !issued.IsZero() && life > 0 {
		margin = min(margin, life/2)
	}
	return conn.TokenExpiry.After(now.Add(margin))
}

// refreshFailed is what a failed refresh writes into the row. Whether the
// failure ends the connection is not storage's to judge: the caller
// decides and says so with EndConnection.
func refreshFailed(err error) map[string]any {
	return map[string]any{"last_error": truncate(err.Error(), 500)}
}

// refreshed is what a successful refresh writes into the row; conn holds
// the newly sealed grant.
func (d *DB) refreshed(conn *Connection, ng connectors.Grant) map[string]any {
	return map[string]any{
		"token_key_id": conn.TokenKeyID, "token_sealed": conn.TokenSealed, "token_expiry": conn.TokenExpiry,
		"refreshed_at": d.now().UTC(), "last_error": "", "scopes": strings.Join(ng.Scopes, " "),
	}
}

// refreshLocked refreshes under the connection's row lock (PostgreSQL).
// Other instances wait in SELECT … FOR UPDATE and then read the committed
// new grant. A row lock lives exactly as long as its holder's database
// session, so a crashed refresher blocks no one and a slow one is never
// overtaken.
func (d *DB) refreshLocked(ctx context.Context, connID int64, margin time.Duration, refresh RefreshFunc) (connectors.Grant, error) {
	rctx, cancel := refreshContext(ctx)
	defer cancel()
	var g connectors.Grant
	var refreshErr error
	rotated := false // the upstream has spent the old refresh token
	err := d.gorm.WithContext(rctx).Transaction(func(tx *gorm.DB) error {
		var conn Connection
		// Waiting for the lock is the part a cancelled request may give up.
		if err := tx.WithContext(ctx).Clauses(lockForUpdate()).First(&conn, connID).Error; err != nil {
			return fmt.Errorf("lock connection %d: %w", connID, notFound(err))
		}
		if conn.Status != ConnActive {
			return fmt.Errorf("grant of connection %d: %w", connID, ErrNeedsReapproval)
		}
		if fresh(&conn, d.now(), margin) {
			var err error
			g, err = d.grantOf(&conn)
			return err
		}
		old, err := d.grantOf(&conn)
		if err != nil {
			return err
		}
		ng, err := refresh(rctx, old)
		rotated = err == nil
		if err != nil {
			refreshErr = fmt.Errorf("refresh grant of connection %d: %w", connID, err)
			return tx.Model(&Connection{}).Where("id = ?", connID).Updates(refreshFailed(err)).Error
		}
		if err := d.sealInto(&conn, ng); err != nil {
			return err
		}
		if err := tx.Model(&Connection{}).Where("id = ?", connID).Updates(d.refreshed(&conn, ng)).Error; err != nil {
			return err
		}
		g = ng
		return nil
	})
	if err != nil {
		if rotated {
			// The upstream has rotated the refresh token and we could not
			// keep it: say so loudly, the connection will need re-approval.
			d.log.Error("save refreshed grant", "connection_id", connID, "err", err)
			return connectors.Grant{}, fmt.Errorf("save refreshed grant of connection %d: %w", connID, err)
		}
		return connectors.Grant{}, err
	}
	return g, refreshErr
}

// grantLease is the lease on connection connID's grant: on SQLite the
// cross-process half of the lock FreshGrant refreshes under (SQLite has no
// row locks), held for at most leaseTime by this handle.
func (d *DB) grantLease(connID int64) lease {
	return lease{model: &Connection{}, keyColumn: "id", key: connID, owner: d.owner, ttl: leaseTime}
}

// refreshUnderLease takes the lease and refreshes; done is false when
// another holder has the lease.
func (d *DB) refreshUnderLease(ctx context.Context, connID int64, margin time.Duration, refresh RefreshFunc) (g connectors.Grant, done bool, err error) {
	l := d.grantLease(connID)
	// Only an active connection is refreshed: one that ended meanwhile
	// keeps its lease free, and FreshGrant's next read says why.
	l.where, l.args = "status = ?", []any{ConnActive}
	ok, err := d.take(ctx, l)
	if err != nil {
		return g, false, fmt.Errorf("take refresh lease of connection %d: %w", connID, err)
	}
	if !ok {
		return g, false, nil
	}
	release := func(set map[string]any) (bool, error) {
		rctx, cancel := releaseContext(ctx)
		defer cancel()
		return d.release(rctx, l, set)
	}
	conn, err := d.ConnectionByID(ctx, connID)
	if err != nil {
		release(nil)
		return g, true, err
	}
	if fresh(conn, d.now(), margin) {
		release(nil)
		g, err = d.grantOf(conn)
		return g, true, err
	}
	old, err := d.grantOf(conn)
	if err != nil {
		release(nil)
		return g, true, err
	}
	rctx, cancel := refreshContext(ctx)
	defer cancel()
	ng, err := refresh(rctx, old)
	if err != nil {
		if _, rerr := release(refreshFailed(err)); rerr != nil {
			d.log.Error("release refresh lease", "connection_id", connID, "err", rerr)
		}
		return g, true, fmt.Errorf("refresh grant of connection %d: %w", connID, err)
	}
	if err := d.sealInto(conn, ng); err != nil {
		release(nil)
		return g, true, err
	}
	// The write fence: the new grant is written only while this handle
	// still holds the lease. Had it run out and another handle taken it
	// over (refreshTimeout < leaseTime keeps that from happening while the
	// database answers promptly), what the new holder writes must not be
	// overwritten; and a grant the database does not hold must not be
	// handed out, so the caller gets ErrLeaseLost instead.
	held, err := release(d.refreshed(conn, ng))
	if err == nil && !held {
		err = ErrLeaseLost
	}
	if err != nil {
		// The upstream has rotated the refresh token and we could not keep
		// it: say so loudly, since the connection will need re-approval.
		d.log.Error("save refreshed grant", "connection_id", connID, "err", err)
		return g, true, fmt.Errorf("save refreshed grant of connection %d: %w", connID, err)
	}
	return ng, true, nil
}

// withGrantLock runs fn holding the lock FreshGrant refreshes under: this
// handle's mutex of the connection, and across processes the row lock
// (PostgreSQL, fn's tx is the locking transaction) or the refresh lease
// (SQLite, waited for when another process holds it; fn's tx is the plain
// handle). conn is the row as read under the lock.
func (d *DB) withGrantLock(ctx context.Context, connID int64, fn func(tx *gorm.DB, conn *Connection) error) error {
	d.waitingForLock(connID)
	mu := d.refreshMutex(connID)
	mu.Lock()
	defer mu.Unlock()
	if d.Dialect() == "postgres" {
		return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var conn Connection
			if err := tx.Clauses(lockForUpdate()).First(&conn, connID).Error; err != nil {
				return fmt.Errorf("lock connection %d: %w", connID, notFound(err))
			}
			return fn(tx, &conn)
		})
	}
	l := d.grantLease(connID)
	for {
		ok, err := d.take(ctx, l)
		if err != nil {
			return fmt.Errorf("take lease of connection %d: %w", connID, err)
		}
		if ok {
			break
		}
		if _, err := d.ConnectionByID(ctx, connID); err != nil {
			return err
		}
		t := time.NewTimer(25 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for lease of connection %d: %w", connID, ctx.Err())
		case <-t.C:
		}
	}
	defer func() {
		rctx, cancel := releaseContext(ctx)
		defer cancel()
		if _, err := d.release(rctx, l, nil); err != nil {
			d.log.Error("release lease", "connection_id", connID, "err", err)
		}
	}()
	conn, err := d.ConnectionByID(ctx, connID)
	if err != nil {
		return err
	}
	return fn(d.gorm.WithContext(ctx), conn)
}

// Reseal re-encrypts every stored grant under the current key; it returns
// how many rows it rewrote.
func (d *DB) Reseal(ctx context.Context) (int, error) {
	var cs []Connection
	if err := d.gorm.WithContext(ctx).Where("token_sealed IS NOT NULL").Find(&cs).Error; err != nil {
		return 0, fmt.Errorf("list sealed grants: %w", err)
	}
	n := 0
	for i := range cs {
		c := &cs[i]
		if len(c.TokenSealed) == 0 || c.TokenKeyID == d.keys.CurrentID() {
			continue
		}
		g, err := d.grantOf(c)
		if err != nil {
			return n, err
		}
		oldKID, oldCT := c.TokenKeyID, c.TokenSealed
		if err := d.sealInto(c, g); err != nil {
			return n, err
		}
		res := d.gorm.WithContext(ctx).Model(&Connection{}).Where("id = ? AND token_key_id = ? AND token_sealed = ?", c.ID, oldKID, oldCT).
			Updates(map[string]any{"token_key_id": c.TokenKeyID, "token_sealed": c.TokenSealed})
		if res.Error != nil {
			return n, fmt.Errorf("reseal connection %d: %w", c.ID, res.Error)
		}
		n += int(res.RowsAffected)
	}
	return n, nil
}
