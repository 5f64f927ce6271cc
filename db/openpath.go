package db

import (
	"context"
	"fmt"
)

// The document open is Bilag's hottest path; these read in one round trip
// what it would otherwise read in two (issue 18: its own cost per open).

// voucherDocumentRow is a document and its voucher, read together.
type voucherDocumentRow struct {
	Voucher `gorm:"embedded"`
	Doc     VoucherDocument `gorm:"embedded;embeddedPrefix:doc_"`
}

// VoucherAndDocument is Voucher and VoucherDocument in one query: document
// id of voucher voucherID of the company, and the voucher; anything else is
// ErrNotFound.
func (d *DB) VoucherAndDocument(ctx context.Context, companyID, voucherID, id int64) (*Voucher, *VoucherDocument, error) {
	var rows []voucherDocumentRow
	err := d.gorm.WithContext(ctx).Table("vouchers").
		Select("vouchers.*, d.id AS doc_id, d.company_id AS doc_company_id, d.voucher_id AS doc_voucher_id, d.kind AS doc_kind, "+
			"d.external_id AS doc_external_id, d.file_name AS doc_file_name, d.content_type AS doc_content_type, d.size AS doc_size, "+
			"d.sha256 AS doc_sha256, d.position AS doc_position, d.connection_id AS doc_connection_id, "+
			"d.invoice_status AS doc_invoice_status, d.open_sum AS doc_open_sum, d.due_date AS doc_due_date").
		Joins("JOIN voucher_documents d ON d.voucher_id = vouchers.id AND d.company_id = vouchers.company_id").
		Where("vouchers.company_id = ? AND vouchers.id = ? AND d.id = ?", companyID, voucherID, id).
		Limit(1).Scan(&rows).Error
	if err != nil {
		return nil, nil, fmt.Errorf("document %d of voucher %d: %w", id, voucherID, err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("document %d of voucher %d: %w", id, voucherID, ErrNotFound)
	}
	return &rows[0].Voucher, &rows[0].Doc, nil
}

// sessionUserRow is a user and one of its sessions, read together.
type sessionUserRow struct {
	User `gorm:"embedded"`
	Sess Session `gorm:"embedded;embeddedPrefix:sess_"`
}

// SessionAndUser is SessionByToken and the session's user in one query;
// ErrNotFound when the session ended or its user is gone.
func (d *DB) SessionAndUser(ctx context.Context, token string) (*Session, *User, error) {
	var rows []sessionUserRow
	err := d.gorm.WithContext(ctx).Table("sessions").
		Select("users.*, sessions.id AS sess_id, sessions.user_id AS sess_user_id, sessions.hash AS sess_hash, "+
			"sessions.created_at AS sess_created_at, sessions.last_seen_at AS sess_last_seen_at").
		Joins("JOIN users ON users.id = sessions.user_id").
		Where("sessions.hash = ?", HashSecret(token)).Limit(1).Scan(&rows).Error
	if err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	return &rows[0].Sess, &rows[0].User, nil
}
