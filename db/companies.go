package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CreateCompany stores a new company; an org number already used is ErrDuplicate.
func (d *DB) CreateCompany(ctx context.Context, c *Company) error {
	if err := d.gorm.WithContext(ctx).Create(c).Error; err != nil {
		return fmt.Errorf("create company: %w", notFound(err))
	}
	return nil
}

// UpdateCompany saves a company's editable fields. A changed organisation
// number closes the company's open consent links in the same transaction:
// each binds the number it was made for, and none may connect the company
// under the number it has now. Their closing is audited as done by by
// (its UserID, Actor and RemoteIP); closed is how many were closed. A
// number another company has is ErrDuplicate, and changes nothing.
func (d *DB) UpdateCompany(ctx context.Context, c *Company, by AuditEvent) (closed int64, err error) {
	err = d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx
		if d.Dialect() == "postgres" {
			// CreateLink reads the number under a share lock: a link is
			// made before this change (and closed by it) or after it.
			q = q.Clauses(lockForUpdate())
		}
		var old Company
		if err := q.Select("id", "org_number").First(&old, c.ID).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(c).Select("Name", "Country", "OrgNumber", "Active", "NoPrefetch", "UpdatedAt").Updates(c).Error; err != nil {
			return notFound(err)
		}
		if c.Active {
			// Reactivated: it is a company that needs a new link now,
			// not an offboarded one.
			if err := tx.Model(&Company{}).Where("id = ?", c.ID).Update("offboarded_at", nil).Error; err != nil {
				return fmt.Errorf("clear offboarded: %w", err)
			}
			c.OffboardedAt = nil
		}
		if old.OrgNumber == c.OrgNumber {
			return nil
		}
		n, err := closeLinks(tx, c.ID, "org_changed", d.now().UTC())
		if err != nil {
			return fmt.Errorf("close consent links: %w", err)
		}
		if closed = n; n == 0 {
			return nil
		}
		by.Action, by.CompanyID = AuditLinkRevoke, &c.ID
		by.Target = fmt.Sprintf("%d links", n)
		by.Detail = "organisation number changed from " + old.OrgNumber + " to " + c.OrgNumber
		return d.auditIn(tx, by)
	})
	if err != nil {
		return 0, fmt.Errorf("update company %d: %w", c.ID, err)
	}
	return closed, nil
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
	return d.companyForUser(ctx, u, id)
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

// CompanyStats is what the portfolio view shows of a company's index.
type CompanyStats struct {
	Vouchers int64
	// LastSync is the last sync run that finished, LastOK the end of the
	// last that succeeded.
	LastSync *SyncRun
	LastOK   *time.Time
}

// PortfolioStats is the stats of each of companyIDs.
func (d *DB) PortfolioStats(ctx context.Context, companyIDs []int64) (map[int64]*CompanyStats, error) {
	out := map[int64]*CompanyStats{}
	for _, id := range companyIDs {
		out[id] = &CompanyStats{}
	}
	if len(companyIDs) == 0 {
		return out, nil
	}
	var counts []struct {
		CompanyID int64
		N         int64
	}
	q := d.gorm.WithContext(ctx)
	if err := q.Model(&Voucher{}).Select("company_id, COUNT(*) AS n").Where("company_id IN ?", companyIDs).Group("company_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("voucher counts: %w", err)
	}
	for _, c := range counts {
		out[c.CompanyID].Vouchers = c.N
	}
	var runs []SyncRun
	err := q.Where("id IN (?)", d.gorm.Model(&SyncRun{}).Select("MAX(id)").
		Where("company_id IN ? AND finished_at IS NOT NULL", companyIDs).Group("company_id")).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("last sync runs: %w", err)
	}
	for i := range runs {
		out[runs[i].CompanyID].LastSync = &runs[i]
	}
	// The last good run by id, not MAX(finished_at): SQLite gives an
	// aggregate of a time column back as text.
	var oks []SyncRun
	err = q.Where("id IN (?)", d.gorm.Model(&SyncRun{}).Select("MAX(id)").
		Where("company_id IN ? AND status = ?", companyIDs, SyncOK).Group("company_id")).Find(&oks).Error
	if err != nil {
		return nil, fmt.Errorf("last good syncs: %w", err)
	}
	for _, o := range oks {
		out[o.CompanyID].LastOK = o.FinishedAt
	}
	return out, nil
}

// FailingSince is when a company's syncs began to fail: the start of the
// first failed run after its last good one; nil when the last run is good
// or there is none.
func (d *DB) FailingSince(ctx context.Context, companyID int64) (*time.Time, error) {
	var last SyncRun
	q := d.gorm.WithContext(ctx).Where("company_id = ? AND finished_at IS NOT NULL", companyID)
	if err := q.Order("id DESC").Limit(1).Find(&last).Error; err != nil {
		return nil, fmt.Errorf("last sync run of company %d: %w", companyID, err)
	}
	if last.ID == 0 || last.Status != SyncFailed {
		return nil, nil
	}
	var good SyncRun
	if err := d.gorm.WithContext(ctx).Where("company_id = ? AND status = ?", companyID, SyncOK).Order("id DESC").Limit(1).Find(&good).Error; err != nil {
		return nil, fmt.Errorf("last good sync of company %d: %w", companyID, err)
	}
	var first SyncRun
	err := d.gorm.WithContext(ctx).Where("company_id = ? AND status = ? AND id > ?", companyID, SyncFailed, good.ID).Order("id").Limit(1).Find(&first).Error
	if err != nil {
		return nil, fmt.Errorf("first failed sync of company %d: %w", companyID, err)
	}
	t := first.StartedAt
	return &t, nil
}

// CompanyByOrg finds a company by its (normalised) organisation number.
func (d *DB) CompanyByOrg(ctx context.Context, org string) (*Company, error) {
	var c Company
	if err := d.gorm.WithContext(ctx).Where("org_number = ?", org).First(&c).Error; err != nil {
		return nil, fmt.Errorf("company %s: %w", org, notFound(err))
	}
	return &c, nil
}

// ImportRow is one company of an import with its members' user ids.
type ImportRow struct {
	Company *Company
	Members []int64
}

// ImportCompanies creates every row's company and memberships in one
// transaction: all of them, or none when one fails (a number taken
// meanwhile is ErrDuplicate).
func (d *DB) ImportCompanies(ctx context.Context, rows []ImportRow) error {
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, r := range rows {
			if err := tx.Create(r.Company).Error; err != nil {
				return fmt.Errorf("create company %s: %w", r.Company.OrgNumber, notFound(err))
			}
			for _, uid := range r.Members {
				if err := tx.Create(&Membership{UserID: uid, CompanyID: r.Company.ID}).Error; err != nil {
					return fmt.Errorf("add member %d to company %s: %w", uid, r.Company.OrgNumber, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import companies: %w", err)
	}
	return nil
}
