package db

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Step 24 (issue 29, "Missing documents"): each indexed voucher's accounts
// and whether its connector could tell that it has no document; each
// company's rules of which vouchers need one. Every connection's next
// sync is made full, so that vouchers indexed before this step gain their
// accounts (an incremental sync re-reads only what changed upstream).
func step24(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"Accounts", "DocsUnknown"} {
		if err := m.AddColumn(&voucherV24{}, col); err != nil {
			return fmt.Errorf("add vouchers.%s: %w", col, err)
		}
	}
	if err := m.CreateTable(&documentRuleV24{}); err != nil {
		return fmt.Errorf("create document_rules: %w", err)
	}
	if err := tx.Exec("UPDATE sync_states SET synced_through = NULL").Error; err != nil {
		return fmt.Errorf("make the next syncs full: %w", err)
	}
	return nil
}

// voucherV24 is the columns step 24 adds to vouchers.
type voucherV24 struct {
	Accounts    string `gorm:"size:1000;not null;default:''"`
	DocsUnknown bool   `gorm:"not null;default:false"`
}

func (voucherV24) TableName() string { return "vouchers" }

// documentRuleV24 is document_rules as step 24 makes it.
type documentRuleV24 struct {
	CompanyID     int64  `gorm:"primaryKey;autoIncrement:false"`
	Kinds         string `gorm:"size:200;not null;default:''"`
	Accounts      string `gorm:"size:1000;not null;default:''"`
	UpdatedAt     time.Time
	UpdatedByName string `gorm:"size:254;not null;default:''"`
}

func (documentRuleV24) TableName() string { return "document_rules" }
