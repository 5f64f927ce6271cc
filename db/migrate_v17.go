package db

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Step 17 (issue 26): invoices sent into a client's books by one pipeline
// for every receiving connector. An upload says what format it was read
// from and what the pre-flight found; an order's stored body says its
// format (rows before this step hold the connector's own JSON, "") and
// keeps the upstream's reference for what it made; every exchange with
// the upstream about an order (a send, a look-up of a lost answer) is a
// row of import_attempts; the PDF of an invoice as the source sent it is
// kept sealed in import_documents.
func step17(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, c := range []struct {
		model any
		field string
	}{
		{&importBatchV17{}, "Format"}, {&importBatchV17{}, "Preflight"},
		{&importOrderV17{}, "BodyFormat"}, {&importOrderV17{}, "AnswerRef"},
	} {
		if err := m.AddColumn(c.model, c.field); err != nil {
			return fmt.Errorf("add %s: %w", c.field, err)
		}
	}
	return m.CreateTable(&importAttemptV17{}, &importDocumentV17{})
}

// importBatchV17 and importOrderV17 are the columns step 17 adds.
type importBatchV17 struct {
	Format    string `gorm:"size:32;not null;default:''"`
	Preflight string `gorm:"size:60000;not null;default:''"`
}

func (importBatchV17) TableName() string { return "import_batches" }

type importOrderV17 struct {
	BodyFormat string `gorm:"size:16;not null;default:''"`
	AnswerRef  string `gorm:"size:100;not null;default:''"`
}

func (importOrderV17) TableName() string { return "import_orders" }

// importAttemptV17 and importDocumentV17 are the tables step 17 makes.
type importAttemptV17 struct {
	ID        int64  `gorm:"primaryKey"`
	OrderID   int64  `gorm:"not null;index"`
	BatchID   int64  `gorm:"not null;index"`
	CompanyID int64  `gorm:"not null"`
	Kind      string `gorm:"size:16;not null"`
	Outcome   string `gorm:"size:16;not null"`
	Code      string `gorm:"size:32;not null;default:''"`
	Message   string `gorm:"size:500;not null;default:''"`
	Reference string `gorm:"size:100;not null;default:''"`
	Target    string `gorm:"size:500;not null;default:''"`
	ByID      *int64
	ByName    string    `gorm:"size:254;not null;default:''"`
	At        time.Time `gorm:"not null"`
}

func (importAttemptV17) TableName() string { return "import_attempts" }

type importDocumentV17 struct {
	OrderID     int64  `gorm:"primaryKey;autoIncrement:false"`
	FileName    string `gorm:"size:200;not null;default:''"`
	ContentType string `gorm:"size:100;not null;default:''"`
	Size        int64  `gorm:"not null;default:0"`
	SHA256      string `gorm:"size:64;not null;default:''"`
	KeyID       string `gorm:"size:32;not null;default:''"`
	Sealed      []byte
	CreatedAt   time.Time
}

func (importDocumentV17) TableName() string { return "import_documents" }
