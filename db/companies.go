package db

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// CreateCompany stores a new company; an org number already used is ErrDuplicate.
func (d *DB) CreateCompany(ctx context.Context, c *Company) error {
	if err := d.gorm.WithContext(ctx).Create(c).Error; err != nil {
		return fmt.Errorf("create company: %w", notFound(err))
	}
	return nil
}

// UpdateCompany saves a company's editable fields.
func (d *DB) UpdateCompany(ctx context.Context, c *Company) error {
	err := d.gorm.WithContext(ctx).Model(c).Select("Name", "Country", "OrgNumber", "Active", "UpdatedAt").Updates(c).Error
	if err != nil {
		return fmt.Errorf("update company %d: %w", c.ID, notFound(err))
	}
	return nil
}

// Company returns a company by id, whoever asks; use CompanyForUser for
// anything a user asked for.
func (d *DB) Company(ctx context.Context, id int64) (*Company, error) {
	var c Company
	if err := d.gorm.WithContext(ctx).First(&c, id).Error; err != nil {
		return nil, fmt.Errorf("company %d: %w", id, notFound(err))
	}
	return &c, nil
}

// visibleTo limits a company query to what u may see: admins everything,
// others the active companies they are members of.
func visibleTo(q *gorm.DB, u *User) *gorm.DB {
	if u.IsAdmin() {
		return q
	}
	return q.Where("companies.active = ? AND EXISTS (SELECT 1 FROM memberships m WHERE m.company_id = companies.id AND m.user_id = ?)", true, u.ID)
}

// CompanyForUser returns the company if u may see it, and ErrNotFound
// otherwise, so that a stranger cannot tell a hidden company from none.
func (d *DB) CompanyForUser(ctx context.Context, u *User, id int64) (*Company, error) {
	var c Company
	err := visibleTo(d.gorm.WithContext(ctx).Model(&Company{}), u).Where("companies.id = ?", id).First(&c).Error
	if err != nil {
		return nil, fmt.Errorf("company %d for user %d: %w", id, u.ID, notFound(err))
	}
	return &c, nil
}

// CompaniesForUser lists the companies u may see, by name.
func (d *DB) CompaniesForUser(ctx context.Context, u *User) ([]Company, error) {
	var cs []Company
	err := visibleTo(d.gorm.WithContext(ctx).Model(&Company{}), u).Order("companies.name, companies.id").Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("companies for user %d: %w", u.ID, err)
	}
	return cs, nil
}
