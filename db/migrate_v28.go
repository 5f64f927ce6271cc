package db

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Step 28 (issue 28, "Company details from the upstream" and
// "Offboarding"; issue 29, "Missing documents"): the company's address as
// its accounting system held it at approval, kept with the connection
// beside the upstream's name; when a company was offboarded (a state of
// its own until it is reactivated); and a contact address of the company,
// where the firm's messages to it go when it has no client users.
func step28(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"AddressStreet", "AddressPostalCode", "AddressCity", "AddressCountry"} {
		if err := m.AddColumn(&connectionV28{}, col); err != nil {
			return fmt.Errorf("add connections.%s: %w", col, err)
		}
	}
	for _, col := range []string{"OffboardedAt", "ContactEmail"} {
		if err := m.AddColumn(&companyV28{}, col); err != nil {
			return fmt.Errorf("add companies.%s: %w", col, err)
		}
	}
	return nil
}

// connectionV28 is the columns step 28 adds to connections. The street
// lines are one text, a line each.
type connectionV28 struct {
	AddressStreet     string `gorm:"size:500;not null;default:''"`
	AddressPostalCode string `gorm:"size:32;not null;default:''"`
	AddressCity       string `gorm:"size:100;not null;default:''"`
	AddressCountry    string `gorm:"size:100;not null;default:''"`
}

func (connectionV28) TableName() string { return "connections" }

// companyV28 is the columns step 28 adds to companies.
type companyV28 struct {
	OffboardedAt *time.Time
	ContactEmail string `gorm:"size:254;not null;default:''"`
}

func (companyV28) TableName() string { return "companies" }
