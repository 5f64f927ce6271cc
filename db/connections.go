package db

import (
	"context"
	"fmt"
	"strings"
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
	// The address the system held at approval (step 30), where it gives
	// one; the street lines are one text, a line each.
	AddressStreet     string `gorm:"size:500;not null;default:''"`
	AddressPostalCode string `gorm:"size:32;not null;default:''"`
	AddressCity       string `gorm:"size:100;not null;default:''"`
	AddressCountry    string `gorm:"size:100;not null;default:''"`
	Scopes            string `gorm:"size:500"`
	ApprovedBy        string `gorm:"size:254"`
	ApprovedAt        time.Time
	LinkID            int64
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
	if len(ids) == 1 {
		return d.connectionsOf(ctx, ids[0])
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
// A link whose first step is connected already takes conn as its second
// step's (ThenConnector), when it names conn's connector.
func (d *DB) connectIn(tx *gorm.DB, linkID int64, conn *Connection, g connectors.Grant) error {
	now := d.now().UTC()
	res := tx.Model(&ConsentLink{}).Where("id = ? AND status IN ?", linkID, []string{LinkLoginStarted, LinkApproved}).
		Updates(map[string]any{"status": LinkConnected, "reason": "", "detail": "", "finished_at": now, "updated_at": now})
	if res.Error == nil && res.RowsAffected == 0 {
		res = tx.Model(&ConsentLink{}).Where("id = ? AND status = ? AND then_connector = ? AND then_status IN ?",
			linkID, LinkConnected, conn.Connector, []string{LinkLoginStarted, LinkApproved}).
			Updates(map[string]any{"then_status": LinkConnected, "then_reason": "", "then_detail": "", "then_finished_at": now, "updated_at": now})
	}
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

// SetAddress keeps a as the address the system gave at approval, each
// field cut to its column (the street lines a line each).
func (c *Connection) SetAddress(a connectors.Address) {
	c.AddressStreet = truncate(strings.TrimSpace(a.Line1+"\n"+a.Line2), 500)
	c.AddressPostalCode, c.AddressCity, c.AddressCountry = truncate(a.PostalCode, 32), truncate(a.City, 100), truncate(a.Country, 100)
}

// Address is the address the system gave at approval; zero when none.
func (c *Connection) Address() connectors.Address {
	a := connectors.Address{PostalCode: c.AddressPostalCode, City: c.AddressCity, Country: c.AddressCountry}
	a.Line1, a.Line2, _ = strings.Cut(c.AddressStreet, "\n")
	return a
}
