package db

import (
	"time"

	"gorm.io/gorm"
)

// Step 22 (issue 28, "Client users"): invitations of a client company's
// own people. The secret of the invitation's address is kept only as its
// SHA-256, as an API token's is.
func step22(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&clientInvitationV22{})
}

// clientInvitationV22 is client_invitations as step 22 makes it.
type clientInvitationV22 struct {
	ID          int64     `gorm:"primaryKey"`
	CompanyID   int64     `gorm:"not null;index"`
	Email       string    `gorm:"size:254;not null"`
	Name        string    `gorm:"size:200;not null"`
	SecretHash  string    `gorm:"size:64;not null;uniqueIndex:idx_client_invitation_secret"`
	CreatedByID int64     `gorm:"not null"`
	ExpiresAt   time.Time `gorm:"not null"`
	AcceptedAt  *time.Time
	EndedAt     *time.Time
	UserID      *int64
	CreatedAt   time.Time
}

func (clientInvitationV22) TableName() string { return "client_invitations" }
