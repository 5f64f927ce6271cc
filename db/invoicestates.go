package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// InvoiceState is a customer invoice's payment status and open sum (cents)
// as the last sync read them, for the document of Kind and ExternalID that
// the connection lists for the invoice.
type InvoiceState struct {
	ID           int64  `gorm:"primaryKey"`
	CompanyID    int64  `gorm:"not null;index"`
	ConnectionID int64  `gorm:"not null;uniqueIndex:idx_invoice_state,priority:1"`
	Kind         string `gorm:"size:32;not null;uniqueIndex:idx_invoice_state,priority:2"`
	ExternalID   string `gorm:"size:64;not null;uniqueIndex:idx_invoice_state,priority:3"`
	Status       string `gorm:"size:32;not null;default:''"`
	OpenSum      *int64
	UpdatedAt    time.Time `gorm:"not null"`
}

// SetInvoiceStates keeps the states a sync of the company's connection
// read, and writes them onto the documents already recorded for those
// invoices, so the voucher pages and filters read them without asking.
func (d *DB) SetInvoiceStates(ctx context.Context, companyID, connectionID int64, states []InvoiceState) error {
	now := d.now().UTC()
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i := range states {
			st := &states[i]
			st.ID, st.CompanyID, st.ConnectionID, st.UpdatedAt = 0, companyID, connectionID, now
			st.Status = truncate(st.Status, 32)
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "connection_id"}, {Name: "kind"}, {Name: "external_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"status", "open_sum", "updated_at"}),
			}).Create(st).Error
			if err != nil {
				return fmt.Errorf("keep invoice state %s %s: %w", st.Kind, st.ExternalID, err)
			}
			err = tx.Model(&VoucherDocument{}).Where("company_id = ? AND connection_id = ? AND kind = ? AND external_id = ?", companyID, connectionID, st.Kind, st.ExternalID).
				Updates(map[string]any{"invoice_status": st.Status, "open_sum": st.OpenSum}).Error
			if err != nil {
				return fmt.Errorf("write invoice state onto documents: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("invoice states of connection %d: %w", connectionID, err)
	}
	return nil
}

// InvoiceStatesOf returns the kept states of the connection's documents
// of kind among ids, by id.
func (d *DB) InvoiceStatesOf(ctx context.Context, connectionID int64, kind string, ids []string) (map[string]InvoiceState, error) {
	out := map[string]InvoiceState{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []InvoiceState
	err := d.gorm.WithContext(ctx).Where("connection_id = ? AND kind = ? AND external_id IN ?", connectionID, kind, ids).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("invoice states of connection %d: %w", connectionID, err)
	}
	for _, r := range rows {
		out[r.ExternalID] = r
	}
	return out, nil
}
