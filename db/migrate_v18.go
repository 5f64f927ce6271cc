package db

import (
	"time"

	"gorm.io/gorm"
)

// Step 18 (issue 26 step 2): a company's pairing for each receiving
// system, as people set it on the pairing page: one row per source code
// of a table and the target's value it is paired with (table "setting"
// holds the company's choices for that system). A row holds a value; a
// pair cleared is a row deleted. Who changed a row last is kept beside it;
// every change is in the audit trail, old → new.
func step18(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&pairV18{})
}

// pairV18 is the table step 18 makes.
type pairV18 struct {
	CompanyID   int64  `gorm:"primaryKey;autoIncrement:false"`
	Connector   string `gorm:"primaryKey;size:32"`
	PairTable   string `gorm:"primaryKey;size:64"`
	SourceKey   string `gorm:"primaryKey;size:100"`
	Value       string `gorm:"size:200;not null"`
	UpdatedByID *int64
	UpdatedBy   string `gorm:"size:254;not null;default:''"`
	UpdatedAt   time.Time
}

func (pairV18) TableName() string { return "pairings" }
