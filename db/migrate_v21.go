package db

import (
	"time"

	"gorm.io/gorm"
)

// Step 21 (issue 28, "Offboarding"): the purges of document caches that
// every instance applies to its own. Offboarding a company deletes its
// cached documents; the acting instance deletes its copies at once, and
// the row tells every other instance to delete theirs (each keeps its
// cache in its own BILAG_DATA_DIR).
func step21(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&cachePurgeV21{})
}

// cachePurgeV21 is cache_purges as step 21 makes it.
type cachePurgeV21 struct {
	ID        int64  `gorm:"primaryKey"`
	CompanyID int64  `gorm:"not null"`
	Prefix    string `gorm:"size:200;not null"`
	CreatedAt time.Time
}

func (cachePurgeV21) TableName() string { return "cache_purges" }
