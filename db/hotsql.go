package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// The document open's reads (issue 30) are hand-written SQL on the
// database/sql pool under gorm: gorm's reflection and its statement
// building, and SQLite's compiling of the same text on every call, were
// most of Bilag's own cost per open. Each statement is prepared once per
// DB on first use; database/sql then prepares it once on each pooled
// connection it runs on and reuses it there.
//
// Every query names its columns (the lists below). TestHotColumns fails
// when a model gains a column its list lacks: it would read as zero.

// hotQuery names one of the hot path's statements.
type hotQuery int

const (
	qSessionUser hotQuery = iota
	qCompanyAny
	qCompanyMember
	qConnectionsOf
	qVoucherDocument
	qTouchSession
	qDocumentHash
	qAuditInsert
	hotQueries
)

// Column lists, in the order the scan functions below read them.
const (
	userColumns       = "id, email, name, role, password_hash, active, created_at, updated_at, totp_key_id, totp_sealed, totp_enabled_at, totp_last_step"
	sessionColumns    = "id, user_id, hash, created_at, last_seen_at"
	companyColumns    = "id, name, country, org_number, active, no_prefetch, created_at, updated_at, api_send_at_once, offboarded_at, contact_email"
	connectionColumns = "id, company_id, connector, status, external_id, external_name, org_number, " +
		"address_street, address_postal_code, address_city, address_country, scopes, approved_by, approved_at, link_id, " +
		"token_key_id, token_sealed, token_expiry, refreshed_at, lease_owner, lease_until, last_error, created_at, updated_at"
	voucherColumns = "id, company_id, fiscal_year_id, number, number_key, series, date, text, text_key, amount, has_documents, modified_at, " +
		"connection_id, ref, kind, upstream_type, accounts, docs_unknown"
	voucherDocumentColumns = "id, company_id, voucher_id, kind, external_id, file_name, content_type, size, sha256, position, connection_id, invoice_status, open_sum, due_date"
	auditColumns           = "at, user_id, actor, action, company_id, target, detail, remote_ip"
)

// text is the statement's SQL with ? placeholders.
func (q hotQuery) text() string {
	switch q {
	case qSessionUser:
		return "SELECT " + qualify("s", sessionColumns) + ", " + qualify("u", userColumns) +
			" FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ? LIMIT 1"
	case qCompanyAny:
		return "SELECT " + companyColumns + " FROM companies WHERE id = ?"
	case qCompanyMember:
		// visibleTo's rule for a user who is not an admin.
		return "SELECT " + qualify("c", companyColumns) + " FROM companies c WHERE c.id = ? AND c.active = ? " +
			"AND EXISTS (SELECT 1 FROM memberships m WHERE m.company_id = c.id AND m.user_id = ?)"
	case qConnectionsOf:
		return "SELECT " + connectionColumns + " FROM connections WHERE company_id = ?"
	case qVoucherDocument:
		return "SELECT " + qualify("v", voucherColumns) + ", " + qualify("d", voucherDocumentColumns) +
			" FROM vouchers v JOIN voucher_documents d ON d.voucher_id = v.id AND d.company_id = v.company_id" +
			" WHERE v.company_id = ? AND v.id = ? AND d.id = ? LIMIT 1"
	case qTouchSession:
		return "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at <= ?"
	case qDocumentHash:
		return "UPDATE voucher_documents SET sha256 = ?, size = ? WHERE id = ?"
	case qAuditInsert:
		return "INSERT INTO audit_events (" + auditColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	}
	panic("db: no hot query " + strconv.Itoa(int(q)))
}

// qualify prefixes each of the comma-separated columns with alias.
func qualify(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

// postgresPlaceholders numbers the ? of query as PostgreSQL's $1, $2, …
// (no hot query has a ? inside a literal).
func postgresPlaceholders(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hotStmts are the hot path's prepared statements of one DB.
type hotStmts struct {
	pool     *sql.DB
	postgres bool
	mu       sync.Mutex
	stmts    [hotQueries]*sql.Stmt
}

// stmt is q prepared, preparing it on first use.
func (h *hotStmts) stmt(ctx context.Context, q hotQuery) (*sql.Stmt, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.stmts[q]; s != nil {
		return s, nil
	}
	text := q.text()
	if h.postgres {
		text = postgresPlaceholders(text)
	}
	s, err := h.pool.PrepareContext(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	h.stmts[q] = s
	return s, nil
}

// close closes the prepared statements.
func (h *hotStmts) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, s := range h.stmts {
		if s != nil {
			s.Close()
			h.stmts[i] = nil
		}
	}
}

// queryRow runs q with args and scans its one row into dest; no row is
// ErrNotFound.
func (d *DB) queryRow(ctx context.Context, q hotQuery, dest []any, args ...any) error {
	s, err := d.hot.stmt(ctx, q)
	if err != nil {
		return err
	}
	if err := s.QueryRowContext(ctx, args...).Scan(dest...); err != nil {
		if err == sql.ErrNoRows {
			return ErrNotFound
		}
		return err
	}
	return nil
}

// orZero scans a column into *p, a NULL as T's zero value, as gorm does:
// a column a migration added to old rows may hold NULL.
type orZero[T any] struct{ p *T }

func (z orZero[T]) Scan(src any) error {
	var n sql.Null[T]
	if err := n.Scan(src); err != nil {
		return err
	}
	*z.p = n.V
	return nil
}

func z[T any](p *T) orZero[T] { return orZero[T]{p} }

// The scan destinations of each model, in its column list's order.

func (u *User) dest() []any {
	return []any{&u.ID, z(&u.Email), z(&u.Name), z(&u.Role), z(&u.PasswordHash), z(&u.Active), z(&u.CreatedAt), z(&u.UpdatedAt),
		z(&u.TOTPKeyID), &u.TOTPSealed, &u.TOTPEnabledAt, z(&u.TOTPLastStep)}
}

func (s *Session) dest() []any {
	return []any{&s.ID, z(&s.UserID), z(&s.Hash), z(&s.CreatedAt), z(&s.LastSeenAt)}
}

func (c *Company) dest() []any {
	return []any{&c.ID, z(&c.Name), z(&c.Country), z(&c.OrgNumber), z(&c.Active), z(&c.NoPrefetch), z(&c.CreatedAt), z(&c.UpdatedAt), z(&c.APISendAtOnce),
		&c.OffboardedAt, z(&c.ContactEmail)}
}

func (c *Connection) dest() []any {
	return []any{&c.ID, z(&c.CompanyID), z(&c.Connector), z(&c.Status), z(&c.ExternalID), z(&c.ExternalName), z(&c.OrgNumber),
		z(&c.AddressStreet), z(&c.AddressPostalCode), z(&c.AddressCity), z(&c.AddressCountry), z(&c.Scopes),
		z(&c.ApprovedBy), z(&c.ApprovedAt), z(&c.LinkID), z(&c.TokenKeyID), &c.TokenSealed, &c.TokenExpiry, &c.RefreshedAt,
		z(&c.LeaseOwner), &c.LeaseUntil, z(&c.LastError), z(&c.CreatedAt), z(&c.UpdatedAt)}
}

func (v *Voucher) dest() []any {
	return []any{&v.ID, z(&v.CompanyID), z(&v.FiscalYearID), z(&v.Number), z(&v.NumberKey), z(&v.Series), z(&v.Date), z(&v.Text), z(&v.TextKey),
		z(&v.Amount), z(&v.HasDocuments), z(&v.ModifiedAt), z(&v.ConnectionID), z(&v.Ref), z(&v.Kind), z(&v.UpstreamType), z(&v.Accounts), z(&v.DocsUnknown)}
}

func (d *VoucherDocument) dest() []any {
	return []any{&d.ID, z(&d.CompanyID), z(&d.VoucherID), z(&d.Kind), z(&d.ExternalID), z(&d.FileName), z(&d.ContentType), z(&d.Size),
		z(&d.SHA256), z(&d.Position), z(&d.ConnectionID), z(&d.InvoiceStatus), &d.OpenSum, &d.DueDate}
}
