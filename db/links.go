package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
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
	// ThenConnector is the link's second step: a companion connector
	// approved after Connector on the same link (issue 26: e-conomic's
	// export after its reading); "" (NULL in rows from before) for a link
	// of one step. The second step has a status, reason and end of its
	// own (ThenStatus: "" until it starts, then as Status), so a half-done
	// approval shows: Status connected, ThenStatus not. It takes the
	// link's AttemptHash while it runs, the first step being done.
	ThenConnector  string `gorm:"size:32"`
	ThenStatus     string `gorm:"size:16;not null;default:''"`
	ThenReason     string `gorm:"size:64;not null;default:''"`
	ThenDetail     string `gorm:"size:500;not null;default:''"`
	ThenFinishedAt *time.Time
}

// LinkWaiting is the state of a second step that has not started: the
// first is not done yet, or done and the second not begun. Never stored.
const LinkWaiting = "waiting"

// thenOpen are the stored states a second step can still be tried in.
var thenOpen = []string{"", LinkLoginStarted, LinkApproved, LinkFailed}

// ThenState is the state of the link's second step a person should see
// at now: "" for a link of one step, LinkWaiting before it starts, else
// as State is for the first.
func (l *ConsentLink) ThenState(now time.Time) string {
	switch {
	case l.ThenConnector == "":
		return ""
	case l.ThenStatus == LinkConnected:
		return LinkConnected
	case l.ThenStatus == LinkRevoked || l.Status == LinkRevoked:
		return LinkRevoked
	case !now.Before(l.ExpiresAt):
		return LinkExpired
	case l.ThenStatus == "":
		return LinkWaiting
	}
	return l.ThenStatus
}

// ThenUsable reports whether the second step may start a login at now:
// the first is connected, the second is not, and the link has time left.
func (l *ConsentLink) ThenUsable(now time.Time) bool {
	return l.ThenConnector != "" && l.Status == LinkConnected && now.Before(l.ExpiresAt) &&
		slices.Contains(thenOpen, l.ThenStatus)
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
	res := q.Session(&gorm.Session{}).Model(&ConsentLink{}).
		Where("company_id = ? AND status IN ? AND expires_at > ?", companyID, openStates, now).
		Updates(map[string]any{"status": LinkRevoked, "reason": gorm.Expr("CASE WHEN status = ? THEN reason ELSE ? END", LinkFailed, why),
			"attempt_hash": "", "secret_sealed": nil, "secret_key_id": "", "finished_at": now, "updated_at": now})
	if res.Error != nil {
		return 0, res.Error
	}
	// A half-done link's second step is closed alike: its first step is
	// connected and stays so.
	then := q.Session(&gorm.Session{}).Model(&ConsentLink{}).
		Where("company_id = ? AND status = ? AND COALESCE(then_connector, '') <> '' AND then_status IN ? AND expires_at > ?",
			companyID, LinkConnected, thenOpen, now).
		Updates(map[string]any{"then_status": LinkRevoked,
			"then_reason":  gorm.Expr("CASE WHEN then_status = ? THEN then_reason ELSE ? END", LinkFailed, why),
			"attempt_hash": "", "then_finished_at": now, "updated_at": now})
	return res.RowsAffected + then.RowsAffected, then.Error
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

// RevokeLink makes a link unusable; a connected link stays connected, and
// a half-done one (its first step connected) has its second step closed.
func (d *DB) RevokeLink(ctx context.Context, companyID, id int64) error {
	now := d.now().UTC()
	res := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("id = ? AND company_id = ? AND status <> ?", id, companyID, LinkConnected).
		Updates(map[string]any{"status": LinkRevoked, "attempt_hash": "", "finished_at": now, "updated_at": now,
			"secret_sealed": nil, "secret_key_id": ""})
	if res.Error == nil && res.RowsAffected == 0 {
		res = thenWhere(d.gorm.WithContext(ctx).Where("company_id = ?", companyID), id, now).
			Updates(map[string]any{"then_status": LinkRevoked, "attempt_hash": "", "then_finished_at": now, "updated_at": now})
	}
	if res.Error != nil {
		return fmt.Errorf("revoke consent link %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("revoke consent link %d: %w", id, ErrNotFound)
	}
	return nil
}

// The second step of a link (ThenConnector), in the order it passes:
// StartThenLogin, TakeThenAttempt, ApproveThen, then connected by
// ConnectReplacing (connectIn) or FailThen. Each holds the same guards as
// the first step's: usable only while the first is connected and the
// second is not, before the link's expiry; the attempt is taken once.

// thenWhere selects link id while its second step may be worked on at now.
func thenWhere(q *gorm.DB, id int64, now time.Time) *gorm.DB {
	return q.Model(&ConsentLink{}).Where("id = ? AND status = ? AND COALESCE(then_connector, '') <> '' AND then_status IN ? AND expires_at > ?",
		id, LinkConnected, thenOpen, now)
}

// StartThenLogin is StartLinkLogin for the link's second step: it binds
// the attempt to attempt, and fails with ErrNotFound when the second step
// cannot be started (the first not connected, the second done, closed or
// out of time).
func (d *DB) StartThenLogin(ctx context.Context, id int64, attempt string) error {
	now := d.now().UTC()
	res := thenWhere(d.gorm.WithContext(ctx), id, now).
		Updates(map[string]any{"then_status": LinkLoginStarted, "attempt_hash": HashSecret(attempt), "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("start second step of consent link %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("start second step of consent link %d: %w", id, ErrNotFound)
	}
	return nil
}

// TakeThenAttempt is TakeLinkAttempt for the second step: it claims the
// callback of attempt once; a replay, a closed or expired link get
// ErrNotFound.
func (d *DB) TakeThenAttempt(ctx context.Context, id int64, attempt string) (*ConsentLink, error) {
	now := d.now().UTC()
	res := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("id = ? AND status = ? AND then_status = ? AND attempt_hash = ? AND expires_at > ?", id, LinkConnected, LinkLoginStarted, HashSecret(attempt), now).
		Updates(map[string]any{"attempt_hash": "", "updated_at": now})
	if res.Error != nil {
		return nil, fmt.Errorf("take second step attempt of consent link %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("take second step attempt of consent link %d: %w", id, ErrNotFound)
	}
	return d.Link(ctx, id)
}

// ApproveThen is ApproveLink for the second step.
func (d *DB) ApproveThen(ctx context.Context, id int64) error {
	err := d.gorm.WithContext(ctx).Model(&ConsentLink{}).Where("id = ? AND status = ? AND then_status = ?", id, LinkConnected, LinkLoginStarted).
		Updates(map[string]any{"then_status": LinkApproved, "updated_at": d.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("approve second step of consent link %d: %w", id, err)
	}
	return nil
}

// FailThen records why the second step's attempt failed; the first step's
// connection stands, and the second may be tried again.
func (d *DB) FailThen(ctx context.Context, id int64, reason, detail string) error {
	now := d.now().UTC()
	err := d.gorm.WithContext(ctx).Model(&ConsentLink{}).
		Where("id = ? AND status = ? AND then_status IN ?", id, LinkConnected, thenOpen).
		Updates(map[string]any{"then_status": LinkFailed, "then_reason": reason, "then_detail": detail, "then_finished_at": now, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("fail second step of consent link %d: %w", id, err)
	}
	return nil
}
