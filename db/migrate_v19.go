package db

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Step 19 (issue 26 step 5): the API for front systems. A company's
// send-only integration tokens; the Idempotency-Keys API requests came
// with (scoped to company and token, kept 30 days); a company's choice to
// send API batches at once rather than hold them for a person; and the
// integration token an upload came through.
func step19(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := m.CreateTable(&integrationTokenV19{}, &idempotencyKeyV19{}); err != nil {
		return fmt.Errorf("create integration tables: %w", err)
	}
	if err := m.AddColumn(&companyV19{}, "APISendAtOnce"); err != nil {
		return fmt.Errorf("add companies.api_send_at_once: %w", err)
	}
	if err := m.AddColumn(&importBatchV19{}, "IntegrationTokenID"); err != nil {
		return fmt.Errorf("add import_batches.integration_token_id: %w", err)
	}
	return m.CreateIndex(&importBatchV19{}, "IntegrationTokenID")
}

type integrationTokenV19 struct {
	ID            int64  `gorm:"primaryKey"`
	CompanyID     int64  `gorm:"not null;index"`
	Name          string `gorm:"size:100;not null"`
	Connector     string `gorm:"size:32;not null;default:''"`
	Prefix        string `gorm:"size:24;not null"`
	Hash          string `gorm:"size:64;not null;uniqueIndex"`
	CreatedBy     *int64
	CreatedByName string `gorm:"size:254;not null;default:''"`
	CreatedAt     time.Time
	LastUsedAt    *time.Time
	RevokedAt     *time.Time
}

func (integrationTokenV19) TableName() string { return "integration_tokens" }

type idempotencyKeyV19 struct {
	ID        int64  `gorm:"primaryKey"`
	CompanyID int64  `gorm:"not null;uniqueIndex:idx_idempotency_scope"`
	TokenKind string `gorm:"size:16;not null;uniqueIndex:idx_idempotency_scope"`
	TokenID   int64  `gorm:"not null;uniqueIndex:idx_idempotency_scope"`
	Key       string `gorm:"column:idem_key;size:255;not null;uniqueIndex:idx_idempotency_scope"`
	BodyHash  string `gorm:"size:64;not null"`
	BatchID   *int64
	Status    int       `gorm:"not null;default:0"`
	CreatedAt time.Time `gorm:"not null;index"`
}

func (idempotencyKeyV19) TableName() string { return "idempotency_keys" }

// companyV19 and importBatchV19 are the columns step 19 adds.
type companyV19 struct {
	APISendAtOnce bool `gorm:"column:api_send_at_once;not null;default:false"`
}

func (companyV19) TableName() string { return "companies" }

type importBatchV19 struct {
	IntegrationTokenID *int64 `gorm:"index"`
}

func (importBatchV19) TableName() string { return "import_batches" }
