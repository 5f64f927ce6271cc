package db

import (
	"time"

	"gorm.io/gorm"
)

// Step 29 (issue 29, "A period's evidence in one file"): the evidence
// packs, each a background job that survives a restart.
func step29(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&packV29{})
}

// packV29 is what step 29 makes.
type packV29 struct {
	ID            int64     `gorm:"primaryKey"`
	CompanyID     int64     `gorm:"not null;index"`
	Period        string    `gorm:"size:16;not null"`
	PeriodFrom    time.Time `gorm:"not null"`
	PeriodTo      time.Time `gorm:"not null"`
	State         string    `gorm:"size:16;not null;index"`
	Done          int       `gorm:"not null;default:0"`
	Total         int       `gorm:"not null;default:0"`
	FilePath      string    `gorm:"size:500;not null;default:''"`
	Size          int64     `gorm:"not null;default:0"`
	Reason        string    `gorm:"size:32;not null;default:''"`
	Error         string    `gorm:"size:1000;not null;default:''"`
	CreatedBy     *int64
	CreatedByName string `gorm:"size:254;not null;default:''"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ExpiresAt     *time.Time
}

func (packV29) TableName() string { return "packs" }
