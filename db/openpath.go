package db

import (
	"context"
	"fmt"
)

// The document open is Bilag's hottest path; these read in one round trip
// what it would otherwise read in two (issue 18: its own cost per open),
// on prepared statements (hotsql.go, issue 30).

// VoucherAndDocument is Voucher and VoucherDocument in one query: document
// id of voucher voucherID of the company, and the voucher; anything else is
// ErrNotFound.
func (d *DB) VoucherAndDocument(ctx context.Context, companyID, voucherID, id int64) (*Voucher, *VoucherDocument, error) {
	var (
		v   Voucher
		doc VoucherDocument
	)
	if err := d.queryRow(ctx, qVoucherDocument, append(v.dest(), doc.dest()...), companyID, voucherID, id); err != nil {
		return nil, nil, fmt.Errorf("document %d of voucher %d: %w", id, voucherID, err)
	}
	return &v, &doc, nil
}

// SessionAndUser is SessionByToken and the session's user in one query;
// ErrNotFound when the session ended or its user is gone. What it found
// is served again for AuthCacheTTL (authcache.go).
func (d *DB) SessionAndUser(ctx context.Context, token string) (*Session, *User, error) {
	hash, now := HashSecret(token), d.now()
	if s, u, ok := d.auth.session(hash, now); ok {
		return &s, &u, nil
	}
	var (
		s Session
		u User
	)
	if err := d.queryRow(ctx, qSessionUser, append(s.dest(), u.dest()...), hash); err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	d.auth.putSession(hash, s, u, now)
	return &s, &u, nil
}

// companyForUser is CompanyForUser's read: visibleTo's rule, on a
// prepared statement, served again for AuthCacheTTL.
func (d *DB) companyForUser(ctx context.Context, u *User, id int64) (*Company, error) {
	k, now := companyKey{userID: u.ID, role: u.Role, companyID: id}, d.now()
	if c, ok := d.auth.company(k, now); ok {
		return &c, nil
	}
	var c Company
	var err error
	if u.IsAdmin() {
		err = d.queryRow(ctx, qCompanyAny, c.dest(), id)
	} else {
		err = d.queryRow(ctx, qCompanyMember, c.dest(), id, true, u.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("company %d for user %d: %w", id, u.ID, err)
	}
	d.auth.putCompany(k, c, now)
	return &c, nil
}

// connectionsOf is ConnectionsForCompanies of one company, on a prepared
// statement: every document open asks.
func (d *DB) connectionsOf(ctx context.Context, companyID int64) ([]Connection, error) {
	s, err := d.hot.stmt(ctx, qConnectionsOf)
	if err != nil {
		return nil, fmt.Errorf("connections: %w", err)
	}
	rows, err := s.QueryContext(ctx, companyID)
	if err != nil {
		return nil, fmt.Errorf("connections: %w", err)
	}
	defer rows.Close()
	var cs []Connection
	for rows.Next() {
		var c Connection
		if err := rows.Scan(c.dest()...); err != nil {
			return nil, fmt.Errorf("connections: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("connections: %w", err)
	}
	return cs, nil
}
