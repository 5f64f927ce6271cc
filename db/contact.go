package db

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// AuditMissingMessage: someone at the firm told a company what documents
// are missing (Target the recipients, Detail the count).
const AuditMissingMessage = "missing_message"

// SetContactEmail stores the company's contact address (step 30), where
// the firm's messages go when the company has no client users; "" removes
// it. The change is audited as by's company update, in the same
// transaction.
func (d *DB) SetContactEmail(ctx context.Context, companyID int64, email string, by AuditEvent) error {
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Company{}).Where("id = ?", companyID).Updates(map[string]any{"contact_email": email, "updated_at": d.now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		by.Action, by.CompanyID, by.Detail = AuditCompanyUpdate, &companyID, "contact_email="+email
		return d.auditIn(tx, by)
	})
	if err != nil {
		return fmt.Errorf("set contact address of company %d: %w", companyID, err)
	}
	return nil
}
