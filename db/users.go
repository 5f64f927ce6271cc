package db

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

func lockForUpdate() clause.Locking { return clause.Locking{Strength: "UPDATE"} }

// NormalizeEmail is how emails are compared and stored.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CreateUser stores a new user; a taken email is ErrDuplicate.
func (d *DB) CreateUser(ctx context.Context, u *User) error {
	u.Email = NormalizeEmail(u.Email)
	if err := d.gorm.WithContext(ctx).Create(u).Error; err != nil {
		return fmt.Errorf("create user: %w", notFound(err))
	}
	return nil
}

// User returns the user with id.
func (d *DB) User(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := d.gorm.WithContext(ctx).First(&u, id).Error; err != nil {
		return nil, fmt.Errorf("user %d: %w", id, notFound(err))
	}
	return &u, nil
}

// UserByEmail returns the user with that email, whatever its case.
func (d *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := d.gorm.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).First(&u).Error; err != nil {
		return nil, fmt.Errorf("user by email: %w", notFound(err))
	}
	return &u, nil
}

// Users lists every user by name.
func (d *DB) Users(ctx context.Context) ([]User, error) {
	var us []User
	if err := d.gorm.WithContext(ctx).Order("name, id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// UpdateUser saves name, role, active and password hash.
func (d *DB) UpdateUser(ctx context.Context, u *User) error {
	err := d.gorm.WithContext(ctx).Model(u).Select("Name", "Role", "Active", "PasswordHash", "UpdatedAt").Updates(u).Error
	if err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, notFound(err))
	}
	return nil
}

// ReplacePasswordHash stores hash as the user's password hash if it is
// still old: a password changed meanwhile is kept. It leaves the user's
// sessions alone: the password is the same, only its hash is new.
func (d *DB) ReplacePasswordHash(ctx context.Context, id int64, old, hash string) error {
	err := d.gorm.WithContext(ctx).Model(&User{}).Where("id = ? AND password_hash = ?", id, old).
		Updates(map[string]any{"password_hash": hash, "updated_at": d.now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("replace password hash of user %d: %w", id, err)
	}
	return nil
}

// CountUsers counts users, to know whether a fresh database needs seeding.
func (d *DB) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, err
}

// SetMembers replaces the members of a company.
func (d *DB) SetMembers(ctx context.Context, companyID int64, userIDs []int64) error {
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A client user belongs to exactly one company, made so by their
		// invitation: the members form neither removes nor adds one.
		var clients []int64
		if err := tx.Model(&User{}).Where("role = ?", RoleClient).Pluck("id", &clients).Error; err != nil {
			return fmt.Errorf("list client users: %w", err)
		}
		q := tx.Where("company_id = ?", companyID)
		if len(clients) > 0 {
			q = q.Where("user_id NOT IN ?", clients)
		}
		if err := q.Delete(&Membership{}).Error; err != nil {
			return fmt.Errorf("clear members: %w", err)
		}
		for _, uid := range userIDs {
			if slices.Contains(clients, uid) {
				continue
			}
			if err := tx.Create(&Membership{UserID: uid, CompanyID: companyID}).Error; err != nil {
				return fmt.Errorf("add member %d: %w", uid, notFound(err))
			}
		}
		return nil
	})
}

// Members returns the ids of the users who are members of a company.
func (d *DB) Members(ctx context.Context, companyID int64) ([]int64, error) {
	var ids []int64
	err := d.gorm.WithContext(ctx).Model(&Membership{}).Where("company_id = ?", companyID).Order("user_id").Pluck("user_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("members of company %d: %w", companyID, err)
	}
	return ids, nil
}
