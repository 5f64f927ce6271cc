package db

import (
	"time"

	"gorm.io/gorm"
)

// Step 23 (issue 28, "Sync all"): the firm-wide sync runs and each
// company's place in one, so that the admin's button, the scheduled sync
// and `bilag sync --all` report into one history.
func step23(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&syncAllRunV23{}, &syncAllItemV23{})
}

// syncAllRunV23 is sync_all_runs as step 23 makes it.
type syncAllRunV23 struct {
	ID         int64  `gorm:"primaryKey"`
	Trigger    string `gorm:"size:16;not null"`
	StartedBy  string `gorm:"size:254;not null;default:''"`
	StartedAt  time.Time
	FinishedAt *time.Time
}

func (syncAllRunV23) TableName() string { return "sync_all_runs" }

// syncAllItemV23 is sync_all_items as step 23 makes it.
type syncAllItemV23 struct {
	ID        int64  `gorm:"primaryKey"`
	RunID     int64  `gorm:"not null;index"`
	CompanyID int64  `gorm:"not null"`
	Status    string `gorm:"size:16;not null"`
	Reason    string `gorm:"size:32;not null;default:''"`
	Error     string `gorm:"size:500;not null;default:''"`
	UpdatedAt time.Time
}

func (syncAllItemV23) TableName() string { return "sync_all_items" }
