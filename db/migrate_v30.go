package db

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Step 30 (issue 28, "Company details from the upstream" and
// "Offboarding"; issue 29, "Missing documents"): the company's address as
// its accounting system held it at approval, kept with the connection
// beside the upstream's name; when a company was offboarded (a state of
// its own until it is reactivated); and a contact address of the company,
// where the firm's messages to it go when it has no client users.
func step30(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, col := range []string{"AddressStreet", "AddressPostalCode", "AddressCity", "AddressCountry"} {
		if err := m.AddColumn(&connectionV30{}, col); err != nil {
			return fmt.Errorf("add connections.%s: %w", col, err)
		}
	}
	for _, col := range []string{"OffboardedAt", "ContactEmail"} {
		if err := m.AddColumn(&companyV30{}, col); err != nil {
			return fmt.Errorf("add companies.%s: %w", col, err)
		}
	}
	return nil
}

// connectionV30 is the columns step 30 adds to connections. The street
// lines are one text, a line each.
type connectionV30 struct {
	AddressStreet     string `gorm:"size:500;not null;default:''"`
	AddressPostalCode string `gorm:"size:32;not null;default:''"`
	AddressCity       string `gorm:"size:100;not null;default:''"`
	AddressCountry    string `gorm:"size:100;not null;default:''"`
}

func (connectionV30) TableName() string { return "connections" }

// companyV30 is the columns step 30 adds to companies.
type companyV30 struct {
	OffboardedAt *time.Time
	ContactEmail string `gorm:"size:254;not null;default:''"`
}

func (companyV30) TableName() string { return "companies" }
