package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrations run in order, each in its own transaction; the schema version is
// the number that have run (table schema_version).
//
// Every step is frozen: it is its own SQL, or it creates tables from copies
// of the structs as they were when the step shipped (the types below, named
// after the step that made them, such as voucherV3), never from the live
// structs. So a fresh database runs exactly what an upgraded one ran, and
// changing a live struct's tags cannot make the two differ. Never edit a step
// that has shipped, and never point one at a live struct.
//
// To change the schema, append a step at the end:
//   - write it as SQL that both SQLite and PostgreSQL accept (as steps 7 and
//     8), or, for a new table, with a new frozen copy named after the step
//     (fooV9) and its TableName;
//   - change the live struct and its gorm tags to say the same: they build
//     no schema, but TestLiveStructsMatchSchema holds them to it;
//   - TestUpgradeFromCommittedDatabases then upgrades the databases in
//     testdata and compares them with a fresh one.
var migrations = []func(tx *gorm.DB) error{
	// 1: people and companies.
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&userV1{}, &companyV1{}, &membershipV1{}, &auditEventV1{})
	},
	// 2: consent links and connections.
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&consentLinkV2{}, &connectionV2{})
	},
	// 3: the voucher index and syncing.
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&voucherV3{}, &fiscalYearV3{}, &voucherDocumentV3{}, &syncRunV3{}, &syncStateV3{})
	},
	// 4: personal API tokens.
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&apiTokenV4{})
	},
	// 5: scheduled jobs' claims.
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&jobLeaseV5{})
	},
	// 6: vouchers.text_key.
	func(tx *gorm.DB) error {
		// voucherV3 is step 3 as main shipped it last, with text_key. A
		// database made when step 3 still lacked the column (before this
		// step existed) cannot be told apart by its version, so the guard
		// stays: on every other database it does nothing.
		if !tx.Migrator().HasColumn(&voucherV3{}, "TextKey") {
			if err := tx.Migrator().AddColumn(&voucherV3{}, "TextKey"); err != nil {
				return err
			}
		}
		// Existing rows: LOWER is right for the ASCII it folds; the next
		// sync (an upsert) refolds the rest in Go.
		return tx.Exec("UPDATE vouchers SET text_key = LOWER(text)").Error
	},
	// 7: one index per filter, ordered by date (see Voucher).
	func(tx *gorm.DB) error {
		// On a database made since this step shipped the last statement
		// does nothing: step 3 had already made an idx_voucher_docs_date,
		// on has_documents alone (the struct gained that tag in the same
		// commit). Only databases made before got the index meant here;
		// step 8 rebuilds it on every database.
		for _, stmt := range []string{
			"DROP INDEX IF EXISTS idx_voucher_number",
			"CREATE INDEX IF NOT EXISTS idx_voucher_number_date ON vouchers (company_id, number_key, date)",
			"CREATE INDEX IF NOT EXISTS idx_voucher_fy_date ON vouchers (company_id, fiscal_year_id, date)",
			"CREATE INDEX IF NOT EXISTS idx_voucher_docs_date ON vouchers (company_id, has_documents, date)",
		} {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		return nil
	},
	// 8: idx_voucher_docs_date on the columns step 7 meant.
	func(tx *gorm.DB) error {
		return execAll(tx,
			"DROP INDEX IF EXISTS idx_voucher_docs_date",
			"CREATE INDEX idx_voucher_docs_date ON vouchers (company_id, has_documents, date)",
		)
	},
	// 9: the index belongs to a connection and speaks no upstream's
	// language: a voucher has its connector's opaque ref, a neutral kind
	// and the upstream's own type name.
	func(tx *gorm.DB) error {
		m := tx.Migrator()
		for _, c := range []struct {
			model any
			field string
		}{
			{&voucherV9{}, "ConnectionID"}, {&voucherV9{}, "Ref"}, {&voucherV9{}, "Kind"}, {&voucherV9{}, "UpstreamType"},
			{&fiscalYearV9{}, "ConnectionID"}, {&voucherDocumentV9{}, "ConnectionID"},
		} {
			if err := m.AddColumn(c.model, c.field); err != nil {
				return fmt.Errorf("add %s: %w", c.field, err)
			}
		}
		// Every row so far came from eAccounting, the only connector there
		// was, through the company's one connection to it. Its ref is
		// "fiscal year/voucher id"; its types map to kinds as the connector
		// maps them (eaccounting.kindOf).
		return execAll(tx,
			"UPDATE vouchers SET connection_id = COALESCE((SELECT MAX(c.id) FROM connections c WHERE c.company_id = vouchers.company_id), 0)",
			"UPDATE fiscal_years SET connection_id = COALESCE((SELECT MAX(c.id) FROM connections c WHERE c.company_id = fiscal_years.company_id), 0)",
			"UPDATE voucher_documents SET connection_id = COALESCE((SELECT v.connection_id FROM vouchers v WHERE v.id = voucher_documents.voucher_id), 0)",
			"UPDATE vouchers SET ref = COALESCE(fiscal_year_id, '') || '/' || external_id, upstream_type = COALESCE(type_name, ''), kind = CASE"+
				" WHEN type IN (12, 13, 25, 26) THEN 'supplier_invoice' WHEN type IN (14, 15, 23, 24) THEN 'customer_invoice'"+
				" WHEN type = 7 THEN 'receipt' WHEN type IN (5, 6, 10, 11, 32, 33) THEN 'bank' WHEN type = 2 THEN 'manual' ELSE 'other' END",
			"DROP INDEX IF EXISTS idx_voucher_ext",
			"CREATE UNIQUE INDEX idx_voucher_ref ON vouchers (connection_id, ref)",
			"DROP INDEX IF EXISTS idx_fy_ext",
			"CREATE UNIQUE INDEX idx_fy_ref ON fiscal_years (connection_id, external_id)",
			"ALTER TABLE vouchers DROP COLUMN external_id",
			"ALTER TABLE vouchers DROP COLUMN type",
			"ALTER TABLE vouchers DROP COLUMN type_name",
			"ALTER TABLE vouchers DROP COLUMN source_id",
			"ALTER TABLE vouchers DROP COLUMN document_ids",
		)
	},
	// 10: why a sync run failed, as a class the page translates; and when
	// a connection whose upstream refused the incremental filter tries it
	// again.
	func(tx *gorm.DB) error {
		m := tx.Migrator()
		if err := m.AddColumn(&syncRunV10{}, "Reason"); err != nil {
			return fmt.Errorf("add sync_runs.reason: %w", err)
		}
		if err := m.AddColumn(&syncStateV10{}, "FullSyncUntil"); err != nil {
			return fmt.Errorf("add sync_states.full_sync_until: %w", err)
		}
		return nil
	},
	// 11: sessions held on the server (so they can end), and a second
	// factor: the user's sealed TOTP key and one-time recovery codes.
	func(tx *gorm.DB) error {
		if err := tx.Migrator().CreateTable(&sessionV11{}, &recoveryCodeV11{}); err != nil {
			return err
		}
		for _, f := range []string{"TOTPKeyID", "TOTPSealed", "TOTPEnabledAt", "TOTPLastStep"} {
			if err := tx.Migrator().AddColumn(&userV11{}, f); err != nil {
				return fmt.Errorf("add users.%s: %w", f, err)
			}
		}
		return nil
	},
	// 12: a consent link kept sealed until it is opened, whom it was sent
	// to and who tried it; the portal's notifications.
	func(tx *gorm.DB) error {
		for _, f := range []string{"SecretKeyID", "SecretSealed", "SentTo", "SentAt", "Approver"} {
			if err := tx.Migrator().AddColumn(&consentLinkV12{}, f); err != nil {
				return fmt.Errorf("add consent_links.%s: %w", f, err)
			}
		}
		return tx.Migrator().CreateTable(&notificationV12{}, &notificationMarkV12{})
	},
	// 13: what connectors keep across instances: calls per key and day (a
	// daily quota), and named leases (one request at a time upstream).
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&upstreamCallV13{}, &upstreamLeaseV13{})
	},
	// 14: invoice orders sent upstream (uploads, their orders and the
	// answers), and the private hosts an admin allowed per company.
	func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&importBatchV14{}, &importOrderV14{}, &privateHostV14{})
	},
	// 15: the calls spent of each window of an upstream's quota (the rate
	// budget instances share), and a company's choice not to fetch
	// documents before they are opened.
	func(tx *gorm.DB) error {
		if err := tx.Migrator().CreateTable(&budgetWindowV15{}); err != nil {
			return err
		}
		if err := tx.Migrator().AddColumn(&companyV15{}, "NoPrefetch"); err != nil {
			return fmt.Errorf("add companies.no_prefetch: %w", err)
		}
		return nil
	},
	// 16: the text filter's index; the object-store cache's index
	// (migrate_v16.go).
	step16,
	// 17: invoices sent by one pipeline: formats, pre-flight, every
	// exchange with the upstream, the invoice's PDF (migrate_v17.go).
	step17,
	// 18: each company's pairing per receiving system (migrate_v18.go).
	step18,
	// 19: the API for front systems: integration tokens, Idempotency-Keys,
	// a company's choice to send API batches at once, and the token that
	// sent a batch (migrate_v19.go).
	step19,
	// 20: a consent link's second step (migrate_v20.go).
	step20,
	// 21: the cache purges every instance applies (migrate_v21.go).
	step21,
	// 22: invitations of client users (migrate_v22.go).
	step22,
	// 23: the firm-wide sync runs and their companies (migrate_v23.go).
	step23,
	// 24: each voucher's accounts, and which vouchers need a document
	// (migrate_v24.go).
	step24,
	// 25: the rate budget's states, counted over a sliding span
	// (migrate_v25.go).
	step25,
	// 26: a customer invoice's status and open sum with its document
	// (migrate_v26.go).
	step26,
	// 27: each voucher's dimensions, and an invoice's due date with its
	// document (migrate_v27.go).
	step27,
	// 28: the customer invoices' states a sync reads (migrate_v28.go).
	step28,
	// 29: evidence packs (migrate_v29.go).
	step29,
	// 30: the company's address from its system, when it was offboarded,
	// and its contact address (migrate_v30.go).
	step30,
}

// importBatchV14, importOrderV14 and privateHostV14 are what step 14 makes.
type importBatchV14 struct {
	ID            int64  `gorm:"primaryKey"`
	CompanyID     int64  `gorm:"not null;index"`
	Connector     string `gorm:"size:32;not null"`
	Source        string `gorm:"size:200;not null;default:''"`
	Target        string `gorm:"size:500;not null;default:''"`
	CreatedBy     *int64
	CreatedByName string `gorm:"size:254;not null;default:''"`
	CreatedAt     time.Time
}

func (importBatchV14) TableName() string { return "import_batches" }

type importOrderV14 struct {
	ID            int64  `gorm:"primaryKey"`
	BatchID       int64  `gorm:"not null;index"`
	CompanyID     int64  `gorm:"not null;index:idx_import_order_key"`
	Connector     string `gorm:"size:32;not null;index:idx_import_order_key"`
	OrderKey      string `gorm:"size:200;not null;index:idx_import_order_key"`
	Digest        string `gorm:"size:64;not null;default:'';index:idx_import_order_key"`
	Position      int    `gorm:"not null"`
	Label         string `gorm:"size:200;not null;default:''"`
	Summary       string `gorm:"size:200;not null;default:''"`
	Lines         int    `gorm:"not null;default:0"`
	Total         int64  `gorm:"not null;default:0"`
	Findings      string `gorm:"size:60000;not null;default:''"`
	Errors        int    `gorm:"not null;default:0"`
	Warnings      int    `gorm:"not null;default:0"`
	Status        string `gorm:"size:16;not null;index"`
	SendAgain     bool   `gorm:"not null;default:false"`
	AnswerCode    string `gorm:"size:32;not null;default:''"`
	AnswerMessage string `gorm:"size:500;not null;default:''"`
	Target        string `gorm:"size:500;not null;default:''"`
	SentBy        *int64
	SentByName    string `gorm:"size:254;not null;default:''"`
	SentAt        *time.Time
	BodyKeyID     string `gorm:"size:32;not null;default:''"`
	BodySealed    []byte
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (importOrderV14) TableName() string { return "import_orders" }

type privateHostV14 struct {
	CompanyID int64  `gorm:"primaryKey;autoIncrement:false"`
	Host      string `gorm:"primaryKey;size:253"`
	AddedBy   string `gorm:"size:254;not null;default:''"`
	CreatedAt time.Time
}

func (privateHostV14) TableName() string { return "private_hosts" }

// budgetWindowV15 and companyV15 (the column it adds) are what step 15
// makes.
type budgetWindowV15 struct {
	QuotaKey    string `gorm:"primaryKey;size:200"`
	WindowStart int64  `gorm:"primaryKey;autoIncrement:false"`
	Used        int    `gorm:"not null;default:0"`
}

func (budgetWindowV15) TableName() string { return "budget_windows" }

type companyV15 struct {
	NoPrefetch bool `gorm:"not null;default:false"`
}

func (companyV15) TableName() string { return "companies" }

// upstreamCallV13 and upstreamLeaseV13 are what step 13 makes.
type upstreamCallV13 struct {
	Key   string `gorm:"primaryKey;size:200"`
	Day   string `gorm:"primaryKey;size:10"`
	Calls int    `gorm:"not null;default:0"`
}

func (upstreamCallV13) TableName() string { return "upstream_calls" }

type upstreamLeaseV13 struct {
	Key    string `gorm:"primaryKey;size:200"`
	Holder string `gorm:"size:64;not null;default:''"`
	Until  *time.Time
}

func (upstreamLeaseV13) TableName() string { return "upstream_leases" }

// consentLinkV12 (the columns it adds), notificationV12 and
// notificationMarkV12 are what step 12 makes.
type consentLinkV12 struct {
	SecretKeyID  string `gorm:"size:32;not null;default:''"`
	SecretSealed []byte
	SentTo       string `gorm:"size:254;not null;default:''"`
	SentAt       *time.Time
	Approver     string `gorm:"size:254;not null;default:''"`
}

func (consentLinkV12) TableName() string { return "consent_links" }

type notificationV12 struct {
	ID        int64     `gorm:"primaryKey"`
	CompanyID int64     `gorm:"not null;index"`
	Kind      string    `gorm:"size:32;not null"`
	LinkID    int64     `gorm:"not null;default:0"`
	Actor     string    `gorm:"size:254;not null;default:''"`
	Reason    string    `gorm:"size:64;not null;default:''"`
	Detail    string    `gorm:"size:500;not null;default:''"`
	CreatedAt time.Time `gorm:"not null;index"`
}

func (notificationV12) TableName() string { return "notifications" }

type notificationMarkV12 struct {
	UserID      int64 `gorm:"primaryKey;autoIncrement:false"`
	SeenThrough int64 `gorm:"not null"`
}

func (notificationMarkV12) TableName() string { return "notification_marks" }

// syncRunV10 and syncStateV10 are the columns step 10 adds.
type syncRunV10 struct {
	Reason string `gorm:"size:32;not null;default:''"`
}

func (syncRunV10) TableName() string { return "sync_runs" }

type syncStateV10 struct {
	FullSyncUntil *time.Time
}

func (syncStateV10) TableName() string { return "sync_states" }

// execAll runs statements in order and stops at the first error.
func execAll(tx *gorm.DB, stmts ...string) error {
	for _, stmt := range stmts {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// The tables as steps 1 to 5 created them: copies of the structs (fields,
// types and gorm tags) as they were at commit c693d9f, for CreateTable
// only. Nothing else uses them, and they never change.

type userV1 struct {
	ID           int64  `gorm:"primaryKey"`
	Email        string `gorm:"size:254;uniqueIndex;not null"`
	Name         string `gorm:"size:200;not null"`
	Role         string `gorm:"size:16;not null"`
	PasswordHash string `gorm:"size:200;not null"`
	Active       bool   `gorm:"not null"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userV1) TableName() string { return "users" }

type companyV1 struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:200;not null"`
	Country   string `gorm:"size:2;not null"`
	OrgNumber string `gorm:"size:32;not null;uniqueIndex:idx_company_org"`
	Active    bool   `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (companyV1) TableName() string { return "companies" }

type membershipV1 struct {
	UserID    int64 `gorm:"primaryKey;autoIncrement:false"`
	CompanyID int64 `gorm:"primaryKey;autoIncrement:false;index"`
	CreatedAt time.Time
}

func (membershipV1) TableName() string { return "memberships" }

type auditEventV1 struct {
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

func (auditEventV1) TableName() string { return "audit_events" }

type consentLinkV2 struct {
	ID                int64  `gorm:"primaryKey"`
	CompanyID         int64  `gorm:"index;not null"`
	Connector         string `gorm:"size:32;not null"`
	SecretHash        string `gorm:"size:64;uniqueIndex;not null"`
	ExpectedOrgNumber string `gorm:"size:32;not null"`
	Status            string `gorm:"size:16;not null"`
	Reason            string `gorm:"size:64"`
	Detail            string `gorm:"size:500"`
	AttemptHash       string `gorm:"size:64"`
	CreatedByID       int64  `gorm:"not null"`
	CreatedAt         time.Time
	UpdatedAt         time.Time
	ExpiresAt         time.Time `gorm:"not null"`
	OpenedAt          *time.Time
	LoginStartedAt    *time.Time
	FinishedAt        *time.Time
}

func (consentLinkV2) TableName() string { return "consent_links" }

type connectionV2 struct {
	ID           int64  `gorm:"primaryKey"`
	CompanyID    int64  `gorm:"not null;uniqueIndex:idx_conn_company_connector"`
	Connector    string `gorm:"size:32;not null;uniqueIndex:idx_conn_company_connector"`
	Status       string `gorm:"size:24;not null"`
	ExternalID   string `gorm:"size:100"`
	ExternalName string `gorm:"size:200"`
	OrgNumber    string `gorm:"size:32"`
	Scopes       string `gorm:"size:500"`
	ApprovedBy   string `gorm:"size:254"`
	ApprovedAt   time.Time
	LinkID       int64
	TokenKeyID   string `gorm:"size:32"`
	TokenSealed  []byte
	TokenExpiry  *time.Time `gorm:"index"`
	RefreshedAt  *time.Time
	LeaseOwner   string `gorm:"size:32"`
	LeaseUntil   *time.Time
	LastError    string `gorm:"size:500"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (connectionV2) TableName() string { return "connections" }

// voucherV3 includes TextKey (see step 6) and the single-column
// idx_voucher_docs_date that step 8 replaces; step 7 drops idx_voucher_number.
type voucherV3 struct {
	ID           int64     `gorm:"primaryKey"`
	CompanyID    int64     `gorm:"not null;uniqueIndex:idx_voucher_ext,priority:1;index:idx_voucher_date,priority:1;index:idx_voucher_number,priority:1"`
	ExternalID   string    `gorm:"size:64;not null;uniqueIndex:idx_voucher_ext,priority:2"`
	FiscalYearID string    `gorm:"size:64"`
	Number       string    `gorm:"size:64"`
	NumberKey    string    `gorm:"size:64;index:idx_voucher_number,priority:2"`
	Series       string    `gorm:"size:16"`
	Date         time.Time `gorm:"not null;index:idx_voucher_date,priority:2"`
	Text         string    `gorm:"size:1000"`
	TextKey      string    `gorm:"size:1000"`
	Amount       int64
	Type         int
	TypeName     string `gorm:"size:64"`
	SourceID     string `gorm:"size:64"`
	DocumentIDs  string `gorm:"size:2000"`
	HasDocuments bool   `gorm:"index:idx_voucher_docs_date,priority:2"`
	ModifiedAt   time.Time
}

func (voucherV3) TableName() string { return "vouchers" }

type fiscalYearV3 struct {
	ID         int64     `gorm:"primaryKey"`
	CompanyID  int64     `gorm:"not null;uniqueIndex:idx_fy_ext,priority:1"`
	ExternalID string    `gorm:"size:64;not null;uniqueIndex:idx_fy_ext,priority:2"`
	StartDate  time.Time `gorm:"not null"`
	EndDate    time.Time `gorm:"not null"`
}

func (fiscalYearV3) TableName() string { return "fiscal_years" }

type voucherDocumentV3 struct {
	ID          int64  `gorm:"primaryKey"`
	CompanyID   int64  `gorm:"not null;uniqueIndex:idx_vdoc,priority:1"`
	VoucherID   int64  `gorm:"not null;uniqueIndex:idx_vdoc,priority:2"`
	Kind        string `gorm:"size:32;not null;uniqueIndex:idx_vdoc,priority:3"`
	ExternalID  string `gorm:"size:64;not null;uniqueIndex:idx_vdoc,priority:4"`
	FileName    string `gorm:"size:300"`
	ContentType string `gorm:"size:100"`
	Size        int64
	SHA256      string `gorm:"size:64"`
	Position    int
}

func (voucherDocumentV3) TableName() string { return "voucher_documents" }

// voucherV9, fiscalYearV9 and voucherDocumentV9 are the columns step 9
// adds.
type voucherV9 struct {
	ConnectionID int64  `gorm:"not null;default:0"`
	Ref          string `gorm:"size:200;not null;default:''"`
	Kind         string `gorm:"size:32;not null;default:'other'"`
	UpstreamType string `gorm:"size:64;not null;default:''"`
}

func (voucherV9) TableName() string { return "vouchers" }

type fiscalYearV9 struct {
	ConnectionID int64 `gorm:"not null;default:0"`
}

func (fiscalYearV9) TableName() string { return "fiscal_years" }

type voucherDocumentV9 struct {
	ConnectionID int64 `gorm:"not null;default:0"`
}

func (voucherDocumentV9) TableName() string { return "voucher_documents" }

// sessionV11, recoveryCodeV11 and userV11 (the columns it adds) are what
// step 11 makes.
type sessionV11 struct {
	ID         int64     `gorm:"primaryKey"`
	UserID     int64     `gorm:"not null;index"`
	Hash       string    `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
}

func (sessionV11) TableName() string { return "sessions" }

type recoveryCodeV11 struct {
	ID     int64  `gorm:"primaryKey"`
	UserID int64  `gorm:"not null;index"`
	Hash   string `gorm:"size:64;not null"`
	UsedAt *time.Time
}

func (recoveryCodeV11) TableName() string { return "recovery_codes" }

type userV11 struct {
	TOTPKeyID     string     `gorm:"column:totp_key_id;size:32;not null;default:''"`
	TOTPSealed    []byte     `gorm:"column:totp_sealed"`
	TOTPEnabledAt *time.Time `gorm:"column:totp_enabled_at"`
	TOTPLastStep  int64      `gorm:"column:totp_last_step;not null;default:0"`
}

func (userV11) TableName() string { return "users" }

type syncRunV3 struct {
	ID           int64 `gorm:"primaryKey"`
	CompanyID    int64 `gorm:"not null;index"`
	ConnectionID int64 `gorm:"not null;index"`
	Full         bool
	Status       string `gorm:"size:16;not null"`
	Fetched      int
	Total        int
	Upserted     int
	Error        string `gorm:"size:500"`
	StartedAt    time.Time
	FinishedAt   *time.Time
	UpdatedAt    time.Time
}

func (syncRunV3) TableName() string { return "sync_runs" }

type syncStateV3 struct {
	ConnectionID  int64  `gorm:"primaryKey;autoIncrement:false"`
	LeaseOwner    string `gorm:"size:32"`
	LeaseUntil    *time.Time
	SyncedThrough *time.Time
	NextSyncAt    *time.Time
}

func (syncStateV3) TableName() string { return "sync_states" }

type apiTokenV4 struct {
	ID         int64  `gorm:"primaryKey"`
	UserID     int64  `gorm:"not null;index"`
	Name       string `gorm:"size:100;not null"`
	Prefix     string `gorm:"size:16;not null"`
	Hash       string `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (apiTokenV4) TableName() string { return "api_tokens" }

type jobLeaseV5 struct {
	Name       string `gorm:"primaryKey;size:64"`
	LeaseOwner string `gorm:"size:32"`
	LeaseUntil *time.Time
}

func (jobLeaseV5) TableName() string { return "job_leases" }

// migrationLock is the PostgreSQL advisory lock key that serializes
// migrations between instances starting at the same time (any constant
// that no other lock in the database uses).
const migrationLock = 0x62696c6167 // "bilag"

// lockMigrations makes a PostgreSQL transaction wait for any other
// instance's migration step. Without it two instances starting on an empty
// database both create schema_version (or both insert its row) and one
// fails. On SQLite, _txlock=immediate already makes the transaction the
// only writer.
func (d *DB) lockMigrations(tx *gorm.DB) error {
	if d.Dialect() != "postgres" {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLock).Error
}

func (d *DB) migrate(ctx context.Context) error { return d.migrateTo(ctx, migrations) }

// migrateTo runs the steps a database has not run yet; tests pass a prefix
// of migrations to make a database as an older release left it.
func (d *DB) migrateTo(ctx context.Context, steps []func(tx *gorm.DB) error) error {
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := d.lockMigrations(tx); err != nil {
			return err
		}
		if tx.Migrator().HasTable(&schemaVersionV0{}) {
			return nil
		}
		return tx.Migrator().CreateTable(&schemaVersionV0{})
	})
	if err != nil {
		return fmt.Errorf("migrate schema_version: %w", err)
	}
	for {
		done, err := d.migrateOne(ctx, steps)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// schemaVersionV0 is schema_version as made before step 1, frozen like the
// steps' tables.
type schemaVersionV0 struct {
	ID      int `gorm:"primaryKey;autoIncrement:false"`
	Version int `gorm:"not null"`
}

func (schemaVersionV0) TableName() string { return "schema_version" }

// migrateOne runs the next pending step, if any. Taking the version row
// inside the step's transaction makes two instances starting at once run
// each step exactly once.
func (d *DB) migrateOne(ctx context.Context, steps []func(tx *gorm.DB) error) (done bool, err error) {
	err = d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := d.lockMigrations(tx); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		var v schemaVersion
		q := tx
		if d.Dialect() == "postgres" {
			q = q.Clauses(lockForUpdate())
		}
		err := q.First(&v, 1).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			v = schemaVersion{ID: 1}
			if err := tx.Create(&v).Error; err != nil {
				return fmt.Errorf("create schema_version: %w", err)
			}
		} else if err != nil {
			return fmt.Errorf("read schema_version: %w", err)
		}
		if v.Version >= len(steps) {
			done = true
			return nil
		}
		if err := steps[v.Version](tx); err != nil {
			return fmt.Errorf("migration %d: %w", v.Version+1, err)
		}
		return tx.Model(&v).Update("version", v.Version+1).Error
	})
	return done, err
}
