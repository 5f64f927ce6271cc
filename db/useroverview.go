package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// UserOverview is what the admin's list of users shows beside each user:
// the companies the user is a member of, and when the user last logged in.
type UserOverview struct {
	// Companies are the names of the user's companies, by name.
	Companies []string
	// LastLogin is nil when the user never logged in.
	LastLogin *time.Time
}

// UsersOverview returns, per user id, the user's companies and last login.
func (d *DB) UsersOverview(ctx context.Context) (map[int64]UserOverview, error) {
	out := map[int64]UserOverview{}
	var ms []struct {
		UserID int64
		Name   string
	}
	err := d.gorm.WithContext(ctx).Table("memberships").Select("memberships.user_id, companies.name").
		Joins("JOIN companies ON companies.id = memberships.company_id").Order("companies.name, companies.id").Scan(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("memberships of users: %w", err)
	}
	for _, m := range ms {
		o := out[m.UserID]
		o.Companies = append(o.Companies, m.Name)
		out[m.UserID] = o
	}
	var logins []struct {
		UserID int64
		At     time.Time
	}
	// One row per login event is read, not MAX(at): SQLite hands an
	// aggregate of a timestamp back as text, which does not scan as time.
	err = d.gorm.WithContext(ctx).Model(&AuditEvent{}).Select("user_id, at").
		Where("action = ? AND user_id IS NOT NULL", AuditLogin).Order("at").Scan(&logins).Error
	if err != nil {
		return nil, fmt.Errorf("last logins: %w", err)
	}
	for _, l := range logins {
		o := out[l.UserID]
		at := l.At
		o.LastLogin = &at
		out[l.UserID] = o
	}
	return out, nil
}

// AddUserToCompanies makes the user a member of the companies, in addition
// to those the user already has (a new user has none).
func (d *DB) AddUserToCompanies(ctx context.Context, userID int64, companyIDs []int64) error {
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, cid := range companyIDs {
			var n int64
			if err := tx.Model(&Membership{}).Where("user_id = ? AND company_id = ?", userID, cid).Count(&n).Error; err != nil {
				return fmt.Errorf("membership of user %d in company %d: %w", userID, cid, err)
			}
			if n > 0 {
				continue
			}
			if err := tx.Create(&Membership{UserID: userID, CompanyID: cid}).Error; err != nil {
				return fmt.Errorf("add user %d to company %d: %w", userID, cid, notFound(err))
			}
		}
		return nil
	})
}
