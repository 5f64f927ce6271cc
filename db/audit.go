package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
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
	// AuditLinkSend: a consent link was e-mailed to an approver.
	AuditLinkSend      = "link_send"
	AuditConnect       = "connect"
	AuditConnectFailed = "connect_failed"
	AuditDisconnect    = "disconnect"
	// AuditConnectionEnded: the upstream refused the grant for good; the
	// connection needs a new approval.
	AuditConnectionEnded = "connection_ended"
	AuditDocumentOpen    = "document_open"
	// AuditSyncRequest: a person asked for a sync ("Sync now"); the
	// scheduled syncs are in sync_runs, not here.
	AuditSyncRequest    = "sync_request"
	AuditAPITokenCreate = "api_token_create"
	// AuditConnectionTest: a person tested a connection (one harmless
	// call per capability); Detail is what failed, or "ok".
	AuditConnectionTest = "connection_test"
	AuditAPITokenRevoke = "api_token_revoke"
	// AuditClientInvite: a client user was invited (Target the address);
	// AuditClientEnd: an invitation or a client user was ended;
	// AuditClientWithdraw: a client user withdrew Bilag's access.
	AuditClientInvite   = "client_invite"
	AuditClientEnd      = "client_end"
	AuditClientWithdraw = "client_withdraw"
)

// Audit writes an audit event. At is set here; texts longer than their
// columns are cut on a character boundary.
func (d *DB) Audit(ctx context.Context, e AuditEvent) error {
	return d.auditIn(d.gorm.WithContext(ctx), e)
}

// auditIn is Audit in tx, for a change whose record must stand or fall
// with it.
func (d *DB) auditIn(tx *gorm.DB, e AuditEvent) error {
	e.At = d.now().UTC()
	e.Actor, e.Target, e.Detail = truncate(e.Actor, 254), truncate(e.Target, 254), truncate(e.Detail, 1000)
	if err := tx.Create(&e).Error; err != nil {
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

// CompanyAuditActions are the actions a company's audit trail can hold, in
// the order its filter offers them.
func CompanyAuditActions() []string {
	return []string{AuditDocumentOpen, AuditLinkCreate, AuditLinkSend, AuditLinkRevoke, AuditConnect, AuditConnectFailed,
		AuditDisconnect, AuditGrantReplaced, AuditConnectionEnded, AuditConnectionRevived, AuditSyncRequest, AuditConnectionTest, AuditCompanyCreate,
		AuditCompanyUpdate, AuditMembersUpdate, AuditImportSend, AuditPrivateHosts,
		AuditIntegrationTokenCreate, AuditIntegrationTokenRevoke, AuditAPIBatch, AuditAPISending, AuditPairingChange,
		AuditClientInvite, AuditClientEnd, AuditClientWithdraw, AuditUserMakeClient, AuditDocumentRules, AuditMissingMessage, AuditPackCreate, AuditPackReady, AuditPackDownload}
}

// AuditFilter narrows a company's audit trail. Empty fields do not narrow.
type AuditFilter struct {
	CompanyID int64
	Action    string
	Actor     string
	// From is the first instant included, To the first one excluded.
	From, To time.Time
	// MaxID leaves out events written after a listing began, so that a
	// listing read in pages does not repeat a row when new events arrive.
	MaxID int64
}

func (f AuditFilter) apply(q *gorm.DB) *gorm.DB {
	q = q.Where("company_id = ?", f.CompanyID)
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if f.MaxID > 0 {
		q = q.Where("id <= ?", f.MaxID)
	}
	return q
}

// CompanyAudit returns up to limit of a company's audit events matching f,
// newest first, skipping the first offset.
func (d *DB) CompanyAudit(ctx context.Context, f AuditFilter, offset, limit int) ([]AuditEvent, error) {
	var es []AuditEvent
	q := f.apply(d.gorm.WithContext(ctx).Model(&AuditEvent{})).Order("at DESC, id DESC").Offset(offset).Limit(limit)
	if err := q.Find(&es).Error; err != nil {
		return nil, fmt.Errorf("audit events of company %d: %w", f.CompanyID, err)
	}
	return es, nil
}

// LastAuditID is the id of the newest audit event, 0 when there is none
// (a listing's AuditFilter.MaxID).
func (d *DB) LastAuditID(ctx context.Context) (int64, error) {
	var id *int64
	if err := d.gorm.WithContext(ctx).Model(&AuditEvent{}).Select("MAX(id)").Scan(&id).Error; err != nil {
		return 0, fmt.Errorf("newest audit event: %w", err)
	}
	if id == nil {
		return 0, nil
	}
	return *id, nil
}

// CompanyAuditActors lists who appears in a company's audit trail, for its
// filter.
func (d *DB) CompanyAuditActors(ctx context.Context, companyID int64) ([]string, error) {
	var actors []string
	err := d.gorm.WithContext(ctx).Model(&AuditEvent{}).Where("company_id = ? AND actor <> ''", companyID).
		Distinct("actor").Order("actor").Limit(500).Pluck("actor", &actors).Error
	if err != nil {
		return nil, fmt.Errorf("audit actors of company %d: %w", companyID, err)
	}
	return actors, nil
}
