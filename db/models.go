package db

import "time"

// Roles a portal user can have.
const (
	RoleAdmin   = "admin"
	RoleAnalyst = "analyst"
	RoleViewer  = "viewer"
	// RoleClient is one of a client company's own people: they see their
	// one company (a membership) and nothing of the firm's other work.
	RoleClient = "client"
)

// Roles lists the roles in the order forms show them.
func Roles() []string { return []string{RoleAdmin, RoleAnalyst, RoleViewer} }

// User is a person at the firm who logs in to Bilag.
type User struct {
	ID           int64  `gorm:"primaryKey"`
	Email        string `gorm:"size:254;uniqueIndex;not null"`
	Name         string `gorm:"size:200;not null"`
	Role         string `gorm:"size:16;not null"`
	PasswordHash string `gorm:"size:200;not null"`
	Active       bool   `gorm:"not null"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// TOTPSealed is the second-factor (TOTP) key, sealed under the key
	// TOTPKeyID names; set and TOTPEnabledAt nil is an enrolment not yet
	// confirmed. TOTPLastStep is the time step of the last code used, so
	// no code works twice.
	TOTPKeyID     string     `gorm:"column:totp_key_id;size:32;not null;default:''"`
	TOTPSealed    []byte     `gorm:"column:totp_sealed"`
	TOTPEnabledAt *time.Time `gorm:"column:totp_enabled_at"`
	TOTPLastStep  int64      `gorm:"column:totp_last_step;not null;default:0"`
}

// HasSecondFactor reports whether u's second factor is enrolled.
func (u *User) HasSecondFactor() bool { return u.TOTPEnabledAt != nil }

// IsClient reports whether u is one of a client company's own people.
func (u *User) IsClient() bool { return u.Role == RoleClient }

// IsAdmin reports whether u sees and manages everything.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// CanManageConnections reports whether u may create consent links and
// disconnect companies (admins and analysts).
func (u *User) CanManageConnections() bool { return u.Role == RoleAdmin || u.Role == RoleAnalyst }

// Company is a client company of the firm.
type Company struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:200;not null"`
	Country   string `gorm:"size:2;not null"`
	OrgNumber string `gorm:"size:32;not null;uniqueIndex:idx_company_org"`
	Active    bool   `gorm:"not null"`
	// NoPrefetch: documents are fetched only when someone opens them, not
	// when a person views the voucher list.
	NoPrefetch bool `gorm:"not null;default:false"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// APISendAtOnce: invoices that come through the API are sent at once;
	// otherwise (the default) they wait for a person to send them.
	APISendAtOnce bool `gorm:"column:api_send_at_once;not null;default:false"`
	// OffboardedAt is when the company was offboarded, nil unless it was
	// and has not been reactivated since (step 30).
	OffboardedAt *time.Time
	// ContactEmail is where the firm's messages to the company go when it
	// has no client users (step 30); "" when none.
	ContactEmail string `gorm:"size:254;not null;default:''"`
}

// Membership lets a non-admin user see a company.
type Membership struct {
	UserID    int64 `gorm:"primaryKey;autoIncrement:false"`
	CompanyID int64 `gorm:"primaryKey;autoIncrement:false;index"`
	CreatedAt time.Time
}

// AuditEvent records who did what, when and from where.
type AuditEvent struct {
	ID        int64     `gorm:"primaryKey"`
	At        time.Time `gorm:"index;not null"`
	UserID    *int64    `gorm:"index"`
	Actor     string    `gorm:"size:254"`
	Action    string    `gorm:"size:64;not null;index"`
	CompanyID *int64    `gorm:"index"`
	Target    string    `gorm:"size:254"`
	Detail    string    `gorm:"size:1000"`
	RemoteIP  string    `gorm:"size:64"`
}

// schemaVersion stores how many migrations have run.
type schemaVersion struct {
	ID      int `gorm:"primaryKey;autoIncrement:false"`
	Version int `gorm:"not null"`
}

func (schemaVersion) TableName() string { return "schema_version" }
