package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ClientInvitation asks one of a client company's own people to become a
// client user of it. Its address holds a secret kept only as a hash; it
// works once, until ExpiresAt, unless ended.
type ClientInvitation struct {
	ID          int64     `gorm:"primaryKey"`
	CompanyID   int64     `gorm:"not null;index"`
	Email       string    `gorm:"size:254;not null"`
	Name        string    `gorm:"size:200;not null"`
	SecretHash  string    `gorm:"size:64;not null;uniqueIndex:idx_client_invitation_secret"`
	CreatedByID int64     `gorm:"not null"`
	ExpiresAt   time.Time `gorm:"not null"`
	AcceptedAt  *time.Time
	EndedAt     *time.Time
	UserID      *int64
	CreatedAt   time.Time
}

// ErrInvitationUsed: the invitation was accepted or ended, or has expired.
var ErrInvitationUsed = errors.New("invitation accepted, ended or expired")

// Open reports whether inv may still be accepted at now.
func (inv *ClientInvitation) Open(now time.Time) bool {
	return inv.AcceptedAt == nil && inv.EndedAt == nil && now.Before(inv.ExpiresAt)
}

// CreateClientInvitation stores inv with secret's hash.
func (d *DB) CreateClientInvitation(ctx context.Context, inv *ClientInvitation, secret string) error {
	inv.Email, inv.SecretHash = NormalizeEmail(inv.Email), HashSecret(secret)
	if err := d.gorm.WithContext(ctx).Create(inv).Error; err != nil {
		return fmt.Errorf("create client invitation: %w", notFound(err))
	}
	return nil
}

// ClientInvitationBySecret is the invitation whose address holds secret.
func (d *DB) ClientInvitationBySecret(ctx context.Context, secret string) (*ClientInvitation, error) {
	var inv ClientInvitation
	if err := d.gorm.WithContext(ctx).Where("secret_hash = ?", HashSecret(secret)).First(&inv).Error; err != nil {
		return nil, fmt.Errorf("client invitation: %w", notFound(err))
	}
	return &inv, nil
}

// OpenClientInvitations lists a company's invitations not yet accepted or
// ended, newest first (expired ones too, so that they can be ended).
func (d *DB) OpenClientInvitations(ctx context.Context, companyID int64) ([]ClientInvitation, error) {
	var out []ClientInvitation
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND accepted_at IS NULL AND ended_at IS NULL", companyID).
		Order("created_at DESC, id DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("client invitations of company %d: %w", companyID, err)
	}
	return out, nil
}

// EndClientInvitation ends an open invitation of the company; one of
// another company, or one no longer open, is ErrNotFound.
func (d *DB) EndClientInvitation(ctx context.Context, companyID, id int64) (*ClientInvitation, error) {
	var inv ClientInvitation
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND company_id = ? AND accepted_at IS NULL AND ended_at IS NULL", id, companyID).First(&inv).Error; err != nil {
			return notFound(err)
		}
		return tx.Model(&inv).Update("ended_at", d.now().UTC()).Error
	})
	if err != nil {
		return nil, fmt.Errorf("end client invitation %d: %w", id, err)
	}
	return &inv, nil
}

// AcceptClientInvitation makes u a client user of the invitation's
// company, once: the invitation is claimed in the same transaction, so a
// replayed or concurrent acceptance is ErrInvitationUsed and creates
// nobody.
func (d *DB) AcceptClientInvitation(ctx context.Context, inv *ClientInvitation, u *User) error {
	now := d.now().UTC()
	u.Email, u.Role, u.Active = NormalizeEmail(inv.Email), RoleClient, true
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ClientInvitation{}).Where("id = ? AND accepted_at IS NULL AND ended_at IS NULL AND expires_at > ?", inv.ID, now).
			Update("accepted_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrInvitationUsed
		}
		if err := tx.Create(u).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&ClientInvitation{}).Where("id = ?", inv.ID).Update("user_id", u.ID).Error; err != nil {
			return err
		}
		return tx.Create(&Membership{UserID: u.ID, CompanyID: inv.CompanyID}).Error
	})
	if err != nil {
		return fmt.Errorf("accept client invitation %d: %w", inv.ID, err)
	}
	return nil
}

// CreateClientUser stores u as a client user of the company, with its
// membership, in one transaction (the command line's way in).
func (d *DB) CreateClientUser(ctx context.Context, u *User, companyID int64) error {
	u.Email, u.Role = NormalizeEmail(u.Email), RoleClient
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return notFound(err)
		}
		return tx.Create(&Membership{UserID: u.ID, CompanyID: companyID}).Error
	})
	if err != nil {
		return fmt.Errorf("create client user: %w", err)
	}
	return nil
}

// ClientUsers lists the active client users of a company, by name.
func (d *DB) ClientUsers(ctx context.Context, companyID int64) ([]User, error) {
	var us []User
	err := d.gorm.WithContext(ctx).Where("role = ? AND active = ? AND id IN (SELECT user_id FROM memberships WHERE company_id = ?)", RoleClient, true, companyID).
		Order("name, id").Find(&us).Error
	if err != nil {
		return nil, fmt.Errorf("client users of company %d: %w", companyID, err)
	}
	return us, nil
}

// EndClientUser deactivates a client user of the company and ends their
// sessions; anyone else is ErrNotFound. The user row stays, for the audit
// trail's names.
func (d *DB) EndClientUser(ctx context.Context, companyID, userID int64) (*User, error) {
	var u User
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Where("id = ? AND role = ? AND active = ? AND id IN (SELECT user_id FROM memberships WHERE company_id = ?)", userID, RoleClient, true, companyID).
			First(&u).Error
		if err != nil {
			return notFound(err)
		}
		if err := tx.Model(&u).Updates(map[string]any{"active": false, "updated_at": d.now().UTC()}).Error; err != nil {
			return err
		}
		return tx.Where("user_id = ?", userID).Delete(&Session{}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("end client user %d: %w", userID, err)
	}
	return &u, nil
}

// ClientCompany is the one company a client user belongs to.
func (d *DB) ClientCompany(ctx context.Context, u *User) (*Company, error) {
	var c Company
	err := d.gorm.WithContext(ctx).Where("active = ? AND id IN (SELECT company_id FROM memberships WHERE user_id = ?)", true, u.ID).
		Order("id").First(&c).Error
	if err != nil {
		return nil, fmt.Errorf("company of client user %d: %w", u.ID, notFound(err))
	}
	return &c, nil
}
