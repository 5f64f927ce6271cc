package db

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Step 20 (issue 26, "Access"): a consent link may carry a second step, a
// companion connector approved after the link's own on the same link (the
// e-conomic export after its reading). The second step keeps its own
// status, reason and end beside the link's, so that a half-done approval
// (the first step connected, the second not yet, or refused) shows as
// such. then_connector is NULL for a link of one step, which every link
// made before this step is.
func step20(tx *gorm.DB) error {
	for _, f := range []string{"ThenConnector", "ThenStatus", "ThenReason", "ThenDetail", "ThenFinishedAt"} {
		if err := tx.Migrator().AddColumn(&consentLinkV20{}, f); err != nil {
			return fmt.Errorf("add consent_links.%s: %w", f, err)
		}
	}
	return nil
}

// consentLinkV20 is the columns step 20 adds.
type consentLinkV20 struct {
	ThenConnector  *string `gorm:"size:32"`
	ThenStatus     string  `gorm:"size:16;not null;default:''"`
	ThenReason     string  `gorm:"size:64;not null;default:''"`
	ThenDetail     string  `gorm:"size:500;not null;default:''"`
	ThenFinishedAt *time.Time
}

func (consentLinkV20) TableName() string { return "consent_links" }
