package db

import "gorm.io/gorm"

// Step 25 (issue 30, "Bursts within the quota"): the rate budget counts
// each quota over its last span of one-second buckets instead of in even
// windows, one state per quota that every instance changes atomically
// (budget_states); the windows' counts (budget_windows, step 15) are
// dropped: they only ever held the last two days' windows, and a budget
// starting with nothing spent keeps the quota within a minute's span.
func step25(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&budgetStateV25{}); err != nil {
		return err
	}
	return tx.Migrator().DropTable("budget_windows")
}

// budgetStateV25 is budget_states as step 25 makes it.
type budgetStateV25 struct {
	QuotaKey string `gorm:"primaryKey;size:200"`
	State    string `gorm:"not null"`
	Version  int64  `gorm:"not null;default:0"`
}

func (budgetStateV25) TableName() string { return "budget_states" }
