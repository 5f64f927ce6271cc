package db

import (
	"context"
	"fmt"
)

// Audit actions.
const (
	AuditLogin         = "login"
	AuditLoginFailed   = "login_failed"
	AuditLogout        = "logout"
	AuditUserCreate    = "user_create"
	AuditUserUpdate    = "user_update"
	AuditCompanyCreate = "company_create"
	AuditCompanyUpdate = "company_update"
	AuditMembersUpdate = "members_update"
	AuditLinkCreate    = "link_create"
	AuditLinkRevoke    = "link_revoke"
	AuditConnect       = "connect"
	AuditConnectFailed = "connect_failed"
	AuditDisconnect    = "disconnect"
	// AuditConnectionEnded: the upstream refused the grant for good; the
	// connection needs a new approval.
	AuditConnectionEnded = "connection_ended"
	AuditDocumentOpen    = "document_open"
	AuditAPITokenCreate  = "api_token_create"
	AuditAPITokenRevoke  = "api_token_revoke"
)

// Audit writes an audit event. At is set here; texts longer than their
// columns are cut on a character boundary.
func (d *DB) Audit(ctx context.Context, e AuditEvent) error {
	e.At = d.now().UTC()
	e.Actor, e.Target, e.Detail = truncate(e.Actor, 254), truncate(e.Target, 254), truncate(e.Detail, 1000)
	if err := d.gorm.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("write audit event %s: %w", e.Action, err)
	}
	return nil
}

// AuditEvents returns the newest events first; companyID 0 means all.
func (d *DB) AuditEvents(ctx context.Context, companyID int64, limit int) ([]AuditEvent, error) {
	q := d.gorm.WithContext(ctx).Order("at DESC, id DESC").Limit(limit)
	if companyID != 0 {
		q = q.Where("company_id = ?", companyID)
	}
	var es []AuditEvent
	if err := q.Find(&es).Error; err != nil {
		return nil, fmt.Errorf("audit events: %w", err)
	}
	return es, nil
}
