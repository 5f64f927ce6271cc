package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Link statuses, in the order a link normally passes through them.
const (
	LinkCreated      = "created"
	LinkOpened       = "opened"
	LinkLoginStarted = "login_started"
	// LinkApproved: the approver said yes at the upstream; the checks run.
	LinkApproved  = "approved"
	LinkFailed    = "failed"
	LinkConnected = "connected"
	LinkRevoked   = "revoked"
	// LinkExpired is never stored: a link is expired when its time is up and
	// it is neither connected nor revoked.
	LinkExpired = "expired"
)

// ConsentLink is a bearer link that lets its holder connect one company. It
// is found by the hash of its secret; the secret itself is kept only sealed,
// and only until the link is opened.
type ConsentLink struct {
	ID                int64  `gorm:"primaryKey"`
	CompanyID         int64  `gorm:"index;not null"`
	Connector         string `gorm:"size:32;not null"`
	SecretHash        string `gorm:"size:64;uniqueIndex;not null"`
	ExpectedOrgNumber string `gorm:"size:32;not null"`
	Status            string `gorm:"size:16;not null"`
	// Reason is why the last attempt failed (a connectors.ProblemCode, or
	// "denied", "org_mismatch", ...); Detail adds facts such as the company
	// that was connected instead.
	Reason string `gorm:"size:64"`
	Detail string `gorm:"size:500"`
	// AttemptHash binds one "give permission" to its callback: set when the
	// login starts, cleared when the callback is taken, so a replayed
	// callback finds nothing to take.
	AttemptHash    string `gorm:"size:64"`
	CreatedByID    int64  `gorm:"not null"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time `gorm:"not null"`
	OpenedAt       *time.Time
	LoginStartedAt *time.Time
	FinishedAt     *time.Time
	// SecretSealed is the link itself, sealed under SecretKeyID, kept so
	// that its maker can copy it again until it is opened: it is deleted
	// when the link is opened, used, revoked or expires.
	SecretKeyID  string `gorm:"size:32;not null;default:''"`
	SecretSealed []byte
	// SentTo is whom the link was last e-mailed to ("Name <address>").
	SentTo string `gorm:"size:254;not null;default:''"`
	SentAt *time.Time
	// Approver is who tried to approve at the upstream, when it said, so
	// a failure names them.
	Approver string `gorm:"size:254;not null;default:''"`
}

// openStates are the states a link can still be used in.
var openStates = []string{LinkCreated, LinkOpened, LinkLoginStarted, LinkApproved, LinkFailed}

// State is the status a person should see at now.
func (l *ConsentLink) State(now time.Time) string {
	if l.Status != LinkConnected && l.Status != LinkRevoked && !now.Before(l.ExpiresAt) {
		return LinkExpired
	}
	return l.Status
}

// Usable reports whether the link may still start a login at now.
func (l *ConsentLink) Usable(now time.Time) bool {
	switch l.State(now) {
	case LinkCreated, LinkOpened, LinkLoginStarted, LinkApproved, LinkFailed:
		return true
	}
	return false
}

// HashSecret is how link secrets and other bearer values are stored. The
// secrets carry 256 random bits, so a fast hash cannot be brute-forced.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateLink stores a link for secret, which is never stored itself. The
// link expects its company's own organisation number, read from the
// company record in the same transaction: whatever l says is replaced, so no
// caller can make a link that binds another client's bookkeeping.
func (d *DB) CreateLink(ctx context.Context, l *ConsentLink, secret string) error {
	l.SecretHash = HashSecret(secret)
	l.Status = LinkCreated
	if d.keys != nil {
		kid, ct, err := d.keys.Seal([]byte(secret), linkAAD(l.SecretHash))
		if err != nil {
			return fmt.Errorf("seal consent link: %w", err)
		}
		l.SecretKeyID, l.SecretSealed = kid, ct
	}
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx
		if d.Dialect() == "postgres" {
			// Shared with other links, exclusive of a change of the
			// number (see UpdateCompany).
			q = q.Clauses(clause.Locking{Strength: "SHARE"})
		}
		var co Company
		if err := q.Select("id", "org_number").First(&co, l.CompanyID).Error; err != nil {
			return fmt.Errorf("company %d: %w", l.CompanyID, notFound(err))
		}
		if co.OrgNumber == "" {
			return fmt.Errorf("company %d has no organisation number", co.ID)
		}
		l.ExpectedOrgNumber = co.OrgNumber
		return notFound(tx.Create(l).Error)
	})
	if err != nil {
		return fmt.Errorf("create consent link: %w", err)
	}
	return nil
}

// linkAAD binds a sealed link to its own row.
func linkAAD(secretHash string) []byte { return []byte("bilag consent link " + secretHash) }

// LinkSecret is the secret of a link nobody has opened yet, for its maker to
// copy again; ErrNotFound once it was opened, used, revoked or expired.
func (d *DB) LinkSecret(ctx context.Context, l *ConsentLink) (string, error) {
	if l.State(d.now()) != LinkCreated || len(l.SecretSealed) == 0 || d.keys == nil {
		return "", fmt.Errorf("secret of consent link %d: %w", l.ID, ErrNotFound)
	}
	b, err := d.keys.Open(l.SecretKeyID, l.SecretSealed, linkAAD(l.SecretHash))
	if err != nil {
		return "", fmt.Errorf("open secret of consent link %d: %w", l.ID, err)
	}
	return string(b), nil
}

// ForgetExpiredLinkSecrets deletes the sealed copies of a company's links
// whose time is up.
func (d *DB) ForgetExpiredLinkSecrets(ctx context.Context, companyID int64) error {
	err := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("company_id = ? AND secret_sealed IS NOT NULL AND expires_at <= ?", companyID, d.now().UTC()).
		Updates(map[string]any{"secret_sealed": nil, "secret_key_id": ""}).Error
	if err != nil {
		return fmt.Errorf("forget expired consent link secrets: %w", err)
	}
	return nil
}

// MarkLinkSent records whom a link was e-mailed to.
func (d *DB) MarkLinkSent(ctx context.Context, companyID, id int64, to string) error {
	res := d.gorm.WithContext(ctx).Model(&ConsentLink{}).Where("id = ? AND company_id = ?", id, companyID).
		Updates(map[string]any{"sent_to": to, "sent_at": d.now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("mark consent link %d sent: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("mark consent link %d sent: %w", id, ErrNotFound)
	}
	return nil
}

// SetLinkApprover records who tried to approve through a link.
func (d *DB) SetLinkApprover(ctx context.Context, id int64, approver string) error {
	err := d.gorm.WithContext(ctx).Model(&ConsentLink{}).Where("id = ?", id).Update("approver", approver).Error
	if err != nil {
		return fmt.Errorf("set approver of consent link %d: %w", id, err)
	}
	return nil
}

// CloseOtherLinks revokes a company's open links but keep: a connection
// supersedes them. It returns how many it closed.
func (d *DB) CloseOtherLinks(ctx context.Context, companyID, keep int64) (int64, error) {
	n, err := closeLinks(d.gorm.WithContext(ctx).Where("id <> ?", keep), companyID, "superseded", d.now().UTC())
	if err != nil {
		return 0, fmt.Errorf("close other consent links of company %d: %w", companyID, err)
	}
	return n, nil
}

// closeLinks revokes the open links of a company that q selects, saying
// why in their reason; a link whose last attempt failed keeps the reason
// of that failure, so its history still says what went wrong.
func closeLinks(q *gorm.DB, companyID int64, why string, now time.Time) (int64, error) {
	res := q.Model(&ConsentLink{}).
		Where("company_id = ? AND status IN ? AND expires_at > ?", companyID, openStates, now).
		Updates(map[string]any{"status": LinkRevoked, "reason": gorm.Expr("CASE WHEN status = ? THEN reason ELSE ? END", LinkFailed, why),
			"attempt_hash": "", "secret_sealed": nil, "secret_key_id": "", "finished_at": now, "updated_at": now})
	return res.RowsAffected, res.Error
}

// LatestLinks is the newest link of each of companyIDs that has one.
func (d *DB) LatestLinks(ctx context.Context, companyIDs []int64) (map[int64]ConsentLink, error) {
	out := map[int64]ConsentLink{}
	if len(companyIDs) == 0 {
		return out, nil
	}
	var ls []ConsentLink
	err := d.gorm.WithContext(ctx).Where("id IN (?)",
		d.gorm.Model(&ConsentLink{}).Select("MAX(id)").Where("company_id IN ?", companyIDs).Group("company_id")).Find(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("latest consent links: %w", err)
	}
	for _, l := range ls {
		out[l.CompanyID] = l
	}
	return out, nil
}

// LinkBySecret finds the link a secret opens.
func (d *DB) LinkBySecret(ctx context.Context, secret string) (*ConsentLink, error) {
	var l ConsentLink
	if err := d.gorm.WithContext(ctx).Where("secret_hash = ?", HashSecret(secret)).First(&l).Error; err != nil {
		return nil, fmt.Errorf("consent link: %w", notFound(err))
	}
	return &l, nil
}

// Link returns a link by id.
func (d *DB) Link(ctx context.Context, id int64) (*ConsentLink, error) {
	var l ConsentLink
	if err := d.gorm.WithContext(ctx).First(&l, id).Error; err != nil {
		return nil, fmt.Errorf("consent link %d: %w", id, notFound(err))
	}
	return &l, nil
}

// LinksForCompany lists a company's links, newest first.
func (d *DB) LinksForCompany(ctx context.Context, companyID int64, limit int) ([]ConsentLink, error) {
	var ls []ConsentLink
	err := d.gorm.WithContext(ctx).Where("company_id = ?", companyID).Order("created_at DESC, id DESC").Limit(limit).Find(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("consent links of company %d: %w", companyID, err)
	}
	return ls, nil
}

// MarkLinkOpened records the first opening of a link; later openings and
// links past "created" are left as they are.
func (d *DB) MarkLinkOpened(ctx context.Context, id int64) error {
	now := d.now().UTC()
	err := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("id = ? AND status = ?", id, LinkCreated).
		Updates(map[string]any{"status": LinkOpened, "opened_at": now, "updated_at": now}).Error
	if err == nil {
		// Opened, the link has reached someone: its maker can no longer show it.
		err = d.gorm.WithContext(ctx).Model(&ConsentLink{}).Where("id = ?", id).
			Updates(map[string]any{"secret_sealed": nil, "secret_key_id": ""}).Error
	}
	if err != nil {
		return fmt.Errorf("mark consent link %d opened: %w", id, err)
	}
	return nil
}

// StartLinkLogin records that the approver pressed "give permission" and
// binds the attempt to attempt (a secret kept in the approver's browser).
// It fails with ErrNotFound when the link is no longer usable.
func (d *DB) StartLinkLogin(ctx context.Context, id int64, attempt string) error {
	now := d.now().UTC()
	res := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("id = ? AND status IN ? AND expires_at > ?", id, []string{LinkCreated, LinkOpened, LinkLoginStarted, LinkApproved, LinkFailed}, now).
		Updates(map[string]any{"status": LinkLoginStarted, "login_started_at": now, "attempt_hash": HashSecret(attempt), "updated_at": now,
			"secret_sealed": nil, "secret_key_id": ""})
	if res.Error != nil {
		return fmt.Errorf("start login on consent link %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("start login on consent link %d: %w", id, ErrNotFound)
	}
	return nil
}

// TakeLinkAttempt claims the callback of attempt on a usable link, once.
// A replayed callback, a revoked, used or expired link all get ErrNotFound.
func (d *DB) TakeLinkAttempt(ctx context.Context, id int64, attempt string) (*ConsentLink, error) {
	now := d.now().UTC()
	res := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("id = ? AND status = ? AND attempt_hash = ? AND expires_at > ?", id, LinkLoginStarted, HashSecret(attempt), now).
		Updates(map[string]any{"attempt_hash": "", "updated_at": now})
	if res.Error != nil {
		return nil, fmt.Errorf("take consent link %d attempt: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("take consent link %d attempt: %w", id, ErrNotFound)
	}
	return d.Link(ctx, id)
}

// ApproveLink records that the approver consented at the upstream, while
// Bilag checks what the grant reaches.
func (d *DB) ApproveLink(ctx context.Context, id int64) error {
	err := d.gorm.WithContext(ctx).Model(&ConsentLink{}).Where("id = ? AND status = ?", id, LinkLoginStarted).
		Updates(map[string]any{"status": LinkApproved, "updated_at": d.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("approve consent link %d: %w", id, err)
	}
	return nil
}

// FailLink records why an attempt failed; the link stays usable.
func (d *DB) FailLink(ctx context.Context, id int64, reason, detail string) error {
	now := d.now().UTC()
	err := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("id = ? AND status IN ?", id, []string{LinkCreated, LinkOpened, LinkLoginStarted, LinkApproved, LinkFailed}).
		Updates(map[string]any{"status": LinkFailed, "reason": reason, "detail": detail, "finished_at": now, "updated_at": now,
			"secret_sealed": nil, "secret_key_id": ""}).Error
	if err != nil {
		return fmt.Errorf("fail consent link %d: %w", id, err)
	}
	return nil
}

// RevokeLink makes a link unusable; a connected link stays connected.
func (d *DB) RevokeLink(ctx context.Context, companyID, id int64) error {
	now := d.now().UTC()
	res := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("id = ? AND company_id = ? AND status <> ?", id, companyID, LinkConnected).
		Updates(map[string]any{"status": LinkRevoked, "attempt_hash": "", "finished_at": now, "updated_at": now,
			"secret_sealed": nil, "secret_key_id": ""})
	if res.Error != nil {
		return fmt.Errorf("revoke consent link %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("revoke consent link %d: %w", id, ErrNotFound)
	}
	return nil
}
