package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Notification kinds: what happened to a company that its analyst should
// hear of.
const (
	NotifyLinkConnected = "link_connected"
	NotifyLinkFailed    = "link_failed"
	NotifyReapproval    = "reapproval"
	NotifySyncFailing   = "sync_failing"
	// NotifyClientWithdrew: one of the company's own people withdrew
	// Bilag's access (Actor their name).
	NotifyClientWithdrew = "client_withdrew"
)

// Notification is an event shown in the portal's bell to the admins and
// the analysts who are members of its company. It stores facts, not words,
// so each reader gets them in their own language.
type Notification struct {
	ID        int64  `gorm:"primaryKey"`
	CompanyID int64  `gorm:"not null;index"`
	Kind      string `gorm:"size:32;not null"`
	LinkID    int64  `gorm:"not null;default:0"`
	// Actor is the approver, when known; Reason a class the page puts in
	// words; Detail facts such as the permission areas missing.
	Actor     string    `gorm:"size:254;not null;default:''"`
	Reason    string    `gorm:"size:64;not null;default:''"`
	Detail    string    `gorm:"size:500;not null;default:''"`
	CreatedAt time.Time `gorm:"not null;index"`
}

// NotificationMark is how far a user has read their notifications.
type NotificationMark struct {
	UserID      int64 `gorm:"primaryKey;autoIncrement:false"`
	SeenThrough int64 `gorm:"not null"`
}

// Notify stores n.
func (d *DB) Notify(ctx context.Context, n *Notification) error {
	if n.CreatedAt.IsZero() {
		n.CreatedAt = d.now().UTC()
	}
	if err := d.gorm.WithContext(ctx).Create(n).Error; err != nil {
		return fmt.Errorf("store notification: %w", err)
	}
	return nil
}

// NotifiedSince reports whether a company had a notification of kind at or
// after since.
func (d *DB) NotifiedSince(ctx context.Context, companyID int64, kind string, since time.Time) (bool, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Model(&Notification{}).Where("company_id = ? AND kind = ? AND created_at >= ?", companyID, kind, since.UTC()).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("notifications of company %d: %w", companyID, err)
	}
	return n > 0, nil
}

// notificationsFor limits to what u may see: admins every company's, an
// analyst those of active companies they are a member of, viewers none.
func (d *DB) notificationsFor(ctx context.Context, u *User) *gorm.DB {
	q := d.gorm.WithContext(ctx).Model(&Notification{})
	switch {
	case u.IsAdmin():
		return q
	case u.CanManageConnections():
		return q.Where("EXISTS (SELECT 1 FROM memberships m JOIN companies c ON c.id = m.company_id WHERE m.company_id = notifications.company_id AND m.user_id = ? AND c.active = ?)", u.ID, true)
	}
	return q.Where("1 = 0")
}

// Notifications lists u's notifications, newest first.
func (d *DB) Notifications(ctx context.Context, u *User, limit int) ([]Notification, error) {
	var ns []Notification
	if err := d.notificationsFor(ctx, u).Order("id DESC").Limit(limit).Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("notifications of user %d: %w", u.ID, err)
	}
	return ns, nil
}

// UnreadNotifications counts u's notifications after the last they saw.
func (d *DB) UnreadNotifications(ctx context.Context, u *User) (int64, error) {
	var m NotificationMark
	if err := d.gorm.WithContext(ctx).Where("user_id = ?", u.ID).Limit(1).Find(&m).Error; err != nil {
		return 0, fmt.Errorf("notification mark of user %d: %w", u.ID, err)
	}
	var n int64
	if err := d.notificationsFor(ctx, u).Where("notifications.id > ?", m.SeenThrough).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("unread notifications of user %d: %w", u.ID, err)
	}
	return n, nil
}

// MarkNotificationsSeen records that u has seen everything through id.
func (d *DB) MarkNotificationsSeen(ctx context.Context, userID, through int64) error {
	err := d.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}},
		DoUpdates: clause.Assignments(map[string]any{"seen_through": gorm.Expr("CASE WHEN notification_marks.seen_through > ? THEN notification_marks.seen_through ELSE ? END", through, through)}),
	}).Create(&NotificationMark{UserID: userID, SeenThrough: through}).Error
	if err != nil {
		return fmt.Errorf("mark notifications of user %d seen: %w", userID, err)
	}
	return nil
}
