package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"bilag/connectors"
)

// Connection statuses.
const (
	ConnActive = "active"
	// ConnNeedsReapproval: the upstream refused the grant (invalid_grant);
	// only a new consent link helps.
	ConnNeedsReapproval = "needs_reapproval"
	ConnDisconnected    = "disconnected"
)

// AuditGrantReplaced: an approval replaced a connection's grant; the
// detail says whether the old one was revoked at the upstream.
const AuditGrantReplaced = "grant_replaced"

// AuditConnectionRevived: a connection ended by a refusal that turned out
// to be Bilag's own misconfiguration is active again.
const AuditConnectionRevived = "connection_revived"

// ErrNeedsReapproval is returned for a grant of a connection that is no
// longer active.
var ErrNeedsReapproval = errors.New("connection needs re-approval")

// Connection is a company's link to one upstream system, with its grant
// sealed. A company keeps one connection per connector; reconnecting
// replaces the grant and keeps the history.
type Connection struct {
	ID           int64  `gorm:"primaryKey"`
	CompanyID    int64  `gorm:"not null;uniqueIndex:idx_conn_company_connector"`
	Connector    string `gorm:"size:32;not null;uniqueIndex:idx_conn_company_connector"`
	Status       string `gorm:"size:24;not null"`
	ExternalID   string `gorm:"size:100"`
	ExternalName string `gorm:"size:200"`
	OrgNumber    string `gorm:"size:32"`
	Scopes       string `gorm:"size:500"`
	ApprovedBy   string `gorm:"size:254"`
	ApprovedAt   time.Time
	LinkID       int64
	// TokenKeyID names the key TokenSealed is sealed with, so keys can rotate.
	TokenKeyID  string `gorm:"size:32"`
	TokenSealed []byte
	TokenExpiry *time.Time `gorm:"index"`
	RefreshedAt *time.Time
	// The refresh lease: whoever holds it (until it runs out) is the only one
	// who may refresh, across every process sharing the database.
	LeaseOwner string `gorm:"size:32"`
	LeaseUntil *time.Time
	LastError  string `gorm:"size:500"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ScopeList splits the stored scopes.
func (c *Connection) ScopeList() []string { return strings.Fields(c.Scopes) }

func tokenAAD(connID int64) []byte {
	return []byte("bilag connection token " + strconv.FormatInt(connID, 10))
}

// Connection returns a company's connection to a connector.
func (d *DB) Connection(ctx context.Context, companyID int64, connector string) (*Connection, error) {
	var c Connection
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND connector = ?", companyID, connector).First(&c).Error
	if err != nil {
		return nil, fmt.Errorf("connection of company %d to %s: %w", companyID, connector, notFound(err))
	}
	return &c, nil
}

// ConnectionByID returns a connection by id.
func (d *DB) ConnectionByID(ctx context.Context, id int64) (*Connection, error) {
	var c Connection
	if err := d.gorm.WithContext(ctx).First(&c, id).Error; err != nil {
		return nil, fmt.Errorf("connection %d: %w", id, notFound(err))
	}
	return &c, nil
}

// ConnectionsForCompanies returns the connections of the given companies.
func (d *DB) ConnectionsForCompanies(ctx context.Context, ids []int64) ([]Connection, error) {
	var cs []Connection
	if len(ids) == 0 {
		return nil, nil
	}
	if err := d.gorm.WithContext(ctx).Where("company_id IN ?", ids).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("connections: %w", err)
	}
	return cs, nil
}

// ActiveConnections lists the active connections of active companies.
func (d *DB) ActiveConnections(ctx context.Context) ([]Connection, error) {
	var cs []Connection
	err := d.gorm.WithContext(ctx).Joins("JOIN companies ON companies.id = connections.company_id").
		Where("connections.status = ? AND companies.active = ?", ConnActive, true).Order("connections.id").Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("active connections: %w", err)
	}
	return cs, nil
}

// ExpiringConnections lists active connections whose access expires before t.
func (d *DB) ExpiringConnections(ctx context.Context, before time.Time) ([]Connection, error) {
	var cs []Connection
	err := d.gorm.WithContext(ctx).Where("status = ? AND token_expiry IS NOT NULL AND token_expiry < ?", ConnActive, before.UTC()).Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("expiring connections: %w", err)
	}
	return cs, nil
}

// Connect stores the grant of a link's approval as the company's connection
// and marks the link connected, in one transaction: a link connects once.
// A grant it replaces is not revoked; see ConnectReplacing.
func (d *DB) Connect(ctx context.Context, linkID int64, conn *Connection, g connectors.Grant) error {
	_, err := d.ConnectReplacing(ctx, linkID, conn, g, nil)
	return err
}

// Replaced is what ConnectReplacing did to the grant the company's
// connection held before.
type Replaced struct {
	// Had: there was a grant, and it is no longer stored.
	Had bool
	// Revoked: revoke withdrew it at the upstream.
	Revoked bool
	// Err is why revoking it failed.
	Err error
	// OtherCompany: the connection reached another upstream company
	// before (its ExternalID differs), so its index was deleted.
	OtherCompany bool
}

// ConnectReplacing is Connect for a company that may be connected already.
// The grant it replaces is read and replaced under the lock refreshes take
// (see FreshGrant), so a refresh in flight finishes first and what is
// revoked is the grant as that refresh left it; revoke (when not nil) is
// called with it before the lock is let go.
func (d *DB) ConnectReplacing(ctx context.Context, linkID int64, conn *Connection, g connectors.Grant, revoke RevokeFunc) (Replaced, error) {
	var rep Replaced
	var existing Connection
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND connector = ?", conn.CompanyID, conn.Connector).Limit(1).Find(&existing).Error
	if err != nil {
		return rep, fmt.Errorf("read connection: %w", err)
	}
	if existing.ID == 0 {
		return rep, d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(conn).Error; err != nil {
				return fmt.Errorf("create connection: %w", notFound(err))
			}
			return d.connectIn(tx, linkID, conn, g)
		})
	}
	err = d.withGrantLock(ctx, existing.ID, func(tx *gorm.DB, locked *Connection) error {
		var old connectors.Grant
		if len(locked.TokenSealed) > 0 {
			var err error
			if old, err = d.grantOf(locked); err != nil {
				// A grant no key opens any more cannot be revoked, only dropped.
				d.log.Warn("open replaced grant", "connection_id", locked.ID, "err", err)
			} else {
				rep.Had = true
			}
		}
		conn.ID, conn.CreatedAt = locked.ID, locked.CreatedAt
		// Another upstream company's vouchers are deleted, not kept beside
		// the new ones: Bilag holds no grant to read them any more, their
		// refs mean nothing to the new company, and one list must not mix
		// two companies' books.
		other := locked.ExternalID != conn.ExternalID
		err := tx.Transaction(func(tx *gorm.DB) error {
			if other {
				if err := forgetIndexIn(tx, locked.ID); err != nil {
					return err
				}
			}
			return d.connectIn(tx, linkID, conn, g)
		})
		if err != nil {
			rep = Replaced{}
			return err
		}
		rep.OtherCompany = other
		if rep.Had && revoke != nil {
			rep.Err = revoke(context.WithoutCancel(ctx), old)
			rep.Revoked = rep.Err == nil
		}
		return nil
	})
	return rep, err
}

// connectIn marks the link connected and saves conn with grant g, in tx.
func (d *DB) connectIn(tx *gorm.DB, linkID int64, conn *Connection, g connectors.Grant) error {
	now := d.now().UTC()
	res := tx.Model(&ConsentLink{}).Where("id = ? AND status IN ?", linkID, []string{LinkLoginStarted, LinkApproved}).
		Updates(map[string]any{"status": LinkConnected, "reason": "", "detail": "", "finished_at": now, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("mark link %d connected: %w", linkID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("mark link %d connected: %w", linkID, ErrNotFound)
	}
	conn.Status = ConnActive
	conn.LinkID = linkID
	conn.ApprovedAt = now
	conn.Scopes = strings.Join(g.Scopes, " ")
	conn.LastError = ""
	conn.LeaseOwner, conn.LeaseUntil = "", nil
	if err := d.sealInto(conn, g); err != nil {
		return err
	}
	if err := tx.Save(conn).Error; err != nil {
		return fmt.Errorf("save connection %d: %w", conn.ID, notFound(err))
	}
	return nil
}

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

// refreshUnderLease takes the lease and refreshes; done is false when
// another holder has the lease.
func (d *DB) refreshUnderLease(ctx context.Context, connID int64, margin time.Duration, refresh RefreshFunc) (g connectors.Grant, done bool, err error) {
	now := d.now().UTC()
	until := now.Add(leaseTime)
	res := d.gorm.WithContext(ctx).Model(&Connection{}).
		Where("id = ? AND status = ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)", connID, ConnActive, now, d.owner).
		Updates(map[string]any{"lease_owner": d.owner, "lease_until": until})
	if res.Error != nil {
		return g, false, fmt.Errorf("take refresh lease of connection %d: %w", connID, res.Error)
	}
	if res.RowsAffected == 0 {
		return g, false, nil
	}
	release := func(extra map[string]any) error {
		upd := map[string]any{"lease_owner": "", "lease_until": nil}
		for k, v := range extra {
			upd[k] = v
		}
		// A fresh context: the lease must be released even when the
		// request that took it was cancelled.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return d.gorm.WithContext(rctx).Model(&Connection{}).Where("id = ? AND lease_owner = ?", connID, d.owner).Updates(upd).Error
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
		if rerr := release(refreshFailed(err)); rerr != nil {
			d.log.Error("release refresh lease", "connection_id", connID, "err", rerr)
		}
		return g, true, fmt.Errorf("refresh grant of connection %d: %w", connID, err)
	}
	if err := d.sealInto(conn, ng); err != nil {
		release(nil)
		return g, true, err
	}
	if err := release(d.refreshed(conn, ng)); err != nil {
		// The upstream has rotated the refresh token and we could not keep
		// it: say so loudly, since the connection will need re-approval.
		d.log.Error("save refreshed grant", "connection_id", connID, "err", err)
		return g, true, fmt.Errorf("save refreshed grant of connection %d: %w", connID, err)
	}
	return ng, true, nil
}

// truncate shortens s to at most n bytes without splitting a character:
// PostgreSQL rejects invalid UTF-8 (SQLite stores anything), and since
// n bytes are at most n characters the result fits a varchar(n).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// EndConnection marks an active connection as needing re-approval, keeping
// why in last_error. ended is false when it was no longer active, so that
// of many requests that see the grant die, one records it.
func (d *DB) EndConnection(ctx context.Context, connID int64, why string) (ended bool, err error) {
	res := d.gorm.WithContext(ctx).Model(&Connection{}).Where("id = ? AND status = ?", connID, ConnActive).
		Updates(map[string]any{"status": ConnNeedsReapproval, "last_error": truncate(why, 500)})
	if res.Error != nil {
		return false, fmt.Errorf("end connection %d: %w", connID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReviveConnection takes back EndConnection: the connection is active
// again, if it still needs re-approval and holds a grant (a refusal of
// Bilag's own misconfiguration ended it, not the customer).
func (d *DB) ReviveConnection(ctx context.Context, connID int64) error {
	err := d.gorm.WithContext(ctx).Model(&Connection{}).
		Where("id = ? AND status = ? AND token_sealed IS NOT NULL", connID, ConnNeedsReapproval).
		Update("status", ConnActive).Error
	if err != nil {
		return fmt.Errorf("revive connection %d: %w", connID, err)
	}
	return nil
}

// SetConnectionStatus changes a connection's status.
func (d *DB) SetConnectionStatus(ctx context.Context, connID int64, status string) error {
	err := d.gorm.WithContext(ctx).Model(&Connection{}).Where("id = ?", connID).Update("status", status).Error
	if err != nil {
		return fmt.Errorf("set status of connection %d: %w", connID, err)
	}
	return nil
}

// RevokeFunc withdraws a grant at the upstream.
type RevokeFunc func(ctx context.Context, g connectors.Grant) error

// Disconnect deletes a connection's stored grant and marks it
// disconnected, under the lock refreshes take (see FreshGrant): a refresh
// in flight finishes first, and revoke (when not nil) gets the grant as it
// stands after it, so no refresh can rotate the grant after its
// revocation and leave a live one nobody holds. revoked tells whether
// there was a grant and revoke withdrew it; a failed revocation is
// returned beside a done disconnect (the stored grant goes anyway: a
// person asked for the connection to end).
func (d *DB) Disconnect(ctx context.Context, connID int64, revoke RevokeFunc) (revokeErr error, err error) {
	err = d.withGrantLock(ctx, connID, func(tx *gorm.DB, conn *Connection) error {
		if revoke != nil && len(conn.TokenSealed) > 0 {
			if g, gerr := d.grantOf(conn); gerr != nil {
				revokeErr = gerr
			} else {
				revokeErr = revoke(context.WithoutCancel(ctx), g)
			}
		}
		err := tx.Model(&Connection{}).Where("id = ?", connID).Updates(map[string]any{
			"status": ConnDisconnected, "token_key_id": "", "token_sealed": nil, "token_expiry": nil,
		}).Error
		if err != nil {
			return fmt.Errorf("disconnect connection %d: %w", connID, err)
		}
		return nil
	})
	return revokeErr, err
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
	for {
		now := d.now().UTC()
		res := d.gorm.WithContext(ctx).Model(&Connection{}).
			Where("id = ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)", connID, now, d.owner).
			Updates(map[string]any{"lease_owner": d.owner, "lease_until": now.Add(leaseTime)})
		if res.Error != nil {
			return fmt.Errorf("take lease of connection %d: %w", connID, res.Error)
		}
		if res.RowsAffected == 1 {
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
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := d.gorm.WithContext(rctx).Model(&Connection{}).Where("id = ? AND lease_owner = ?", connID, d.owner).
			Updates(map[string]any{"lease_owner": "", "lease_until": nil}).Error
		if err != nil {
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
