package db

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Step 27 (issue 27, last step): each indexed voucher's dimensions
// (department, project, cost centre), kept per voucher for the vouchers
// filter; and a customer or supplier invoice's due date with its document,
// for the overdue filter. The unpaid filter reads voucher_documents by
// company and open sum (idx_vdoc_open). Every connection's next sync is
// made full, so that vouchers indexed before this step gain their
// dimensions (an incremental sync re-reads only what changed upstream).
func step27(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&voucherDimensionV27{}); err != nil {
		return fmt.Errorf("create voucher_dimensions: %w", err)
	}
	if err := tx.Migrator().AddColumn(&voucherDocumentV27{}, "DueDate"); err != nil {
		return fmt.Errorf("add voucher_documents.due_date: %w", err)
	}
	return execAll(tx,
		"CREATE INDEX idx_vdoc_open ON voucher_documents (company_id, open_sum)",
		"UPDATE sync_states SET synced_through = NULL",
	)
}

// voucherDimensionV27 is voucher_dimensions as step 27 makes it.
type voucherDimensionV27 struct {
	ID           int64  `gorm:"primaryKey"`
	CompanyID    int64  `gorm:"not null;index:idx_vdim_filter,priority:1"`
	ConnectionID int64  `gorm:"not null;index"`
	VoucherID    int64  `gorm:"not null;uniqueIndex:idx_vdim_voucher,priority:1;index:idx_vdim_filter,priority:4"`
	Kind         string `gorm:"size:32;not null;uniqueIndex:idx_vdim_voucher,priority:2;index:idx_vdim_filter,priority:2"`
	Code         string `gorm:"size:64;not null;uniqueIndex:idx_vdim_voucher,priority:3;index:idx_vdim_filter,priority:3"`
	Name         string `gorm:"size:200;not null;default:''"`
}

func (voucherDimensionV27) TableName() string { return "voucher_dimensions" }

// voucherDocumentV27 is the column step 27 adds to voucher_documents.
type voucherDocumentV27 struct {
	DueDate *time.Time
}

func (voucherDocumentV27) TableName() string { return "voucher_documents" }
