package db

import (
	"fmt"

	"gorm.io/gorm"
)

// Step 26 (issue 27, "Netvisor sales invoices"): a customer invoice's
// payment status and open sum, kept with its document as the connector
// read them when it listed the voucher's documents.
func step26(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"InvoiceStatus", "OpenSum"} {
		if err := m.AddColumn(&voucherDocumentV26{}, col); err != nil {
			return fmt.Errorf("add voucher_documents.%s: %w", col, err)
		}
	}
	return nil
}

// voucherDocumentV26 is the columns step 26 adds to voucher_documents.
type voucherDocumentV26 struct {
	InvoiceStatus string `gorm:"size:32;not null;default:''"`
	OpenSum       *int64
}

func (voucherDocumentV26) TableName() string { return "voucher_documents" }
