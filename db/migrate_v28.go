package db

import (
	"time"

	"gorm.io/gorm"
)

// Step 28 (issue 27, "Netvisor sales invoices"): the status and open sum
// of a connection's customer invoices as the sync reads them, one upstream
// list per sync rather than two calls per document listing. They need a
// table of their own: a voucher's documents are recorded only once they
// are listed, and an invoice's status arrives with the sync whether or not
// its voucher was ever opened; the listing copies them onto its documents.
func step28(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&invoiceStateV28{})
}

// invoiceStateV28 is invoice_states as step 28 makes it.
type invoiceStateV28 struct {
	ID           int64  `gorm:"primaryKey"`
	CompanyID    int64  `gorm:"not null;index"`
	ConnectionID int64  `gorm:"not null;uniqueIndex:idx_invoice_state,priority:1"`
	Kind         string `gorm:"size:32;not null;uniqueIndex:idx_invoice_state,priority:2"`
	ExternalID   string `gorm:"size:64;not null;uniqueIndex:idx_invoice_state,priority:3"`
	Status       string `gorm:"size:32;not null;default:''"`
	OpenSum      *int64
	UpdatedAt    time.Time `gorm:"not null"`
}

func (invoiceStateV28) TableName() string { return "invoice_states" }
