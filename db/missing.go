package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AuditDocumentRules: a person changed which of a company's vouchers need
// a document (Detail holds the new rules).
const AuditDocumentRules = "document_rules"

// DocumentRule is a company's own rules of which vouchers need a
// document; a company without one has its country's defaults. What the
// rules mean is the server's (server/missing); db stores them as written.
type DocumentRule struct {
	CompanyID int64 `gorm:"primaryKey;autoIncrement:false"`
	// Kinds are connectors.VoucherKind values, comma-separated.
	Kinds string `gorm:"size:200;not null;default:''"`
	// Accounts are account ranges, comma-separated ("4000-6999,7010").
	Accounts      string `gorm:"size:1000;not null;default:''"`
	UpdatedAt     time.Time
	UpdatedByName string `gorm:"size:254;not null;default:''"`
}

// DocumentRules reads a company's own rules; ok is false when it has none.
func (d *DB) DocumentRules(ctx context.Context, companyID int64) (r DocumentRule, ok bool, err error) {
	err = d.gorm.WithContext(ctx).Where("company_id = ?", companyID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return DocumentRule{}, false, nil
	}
	if err != nil {
		return DocumentRule{}, false, fmt.Errorf("document rules of company %d: %w", companyID, err)
	}
	return r, true, nil
}

// SetDocumentRules replaces a company's rules and audits the change by
// `by`, in one transaction.
func (d *DB) SetDocumentRules(ctx context.Context, r DocumentRule, by AuditEvent) error {
	r.UpdatedAt = d.now().UTC()
	r.UpdatedByName = truncate(by.Actor, 254)
	r.Kinds, r.Accounts = truncate(r.Kinds, 200), truncate(r.Accounts, 1000)
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "company_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"kinds", "accounts", "updated_at", "updated_by_name"}),
		}).Create(&r).Error
		if err != nil {
			return err
		}
		by.Action, by.CompanyID = AuditDocumentRules, &r.CompanyID
		by.Detail = "kinds=" + r.Kinds + " accounts=" + r.Accounts
		return d.auditIn(tx, by)
	})
	if err != nil {
		return fmt.Errorf("set document rules of company %d: %w", r.CompanyID, err)
	}
	return nil
}

// DocumentCandidates lists the vouchers of the companies that may lack a
// document: those without one, and those whose connector could not tell
// (DocsUnknown), which the caller counts apart and never as missing.
// Newest first; only the columns a missing-documents list shows.
func (d *DB) DocumentCandidates(ctx context.Context, companyIDs []int64) ([]Voucher, error) {
	if len(companyIDs) == 0 {
		return nil, nil
	}
	var vs []Voucher
	err := d.gorm.WithContext(ctx).
		Select("id", "company_id", "number", "series", "date", "text", "amount", "kind", "upstream_type", "has_documents", "accounts", "docs_unknown").
		Where("company_id IN ? AND (has_documents = ? OR docs_unknown = ?)", companyIDs, false, true).
		Order("date DESC, id DESC").Find(&vs).Error
	if err != nil {
		return nil, fmt.Errorf("vouchers without documents: %w", err)
	}
	return vs, nil
}

// JoinAccounts is how Voucher.Accounts holds a voucher's accounts: each
// once, between commas.
func JoinAccounts(accounts []string) string {
	seen := make(map[string]bool, len(accounts))
	var b strings.Builder
	for _, a := range accounts {
		a = strings.TrimSpace(a)
		if a == "" || seen[a] || strings.Contains(a, ",") {
			continue
		}
		seen[a] = true
		if b.Len() == 0 {
			b.WriteByte(',')
		}
		b.WriteString(a)
		b.WriteByte(',')
	}
	return b.String()
}

// SplitAccounts is JoinAccounts undone.
func SplitAccounts(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' })
}

// fitAccounts cuts a list of accounts to n bytes at an account's end, so
// that no account is kept half.
func fitAccounts(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := strings.LastIndexByte(s[:n], ',')
	if i <= 0 {
		return ""
	}
	return s[:i+1]
}

// DocumentRulesOf reads the own rules of the companies that have some.
func (d *DB) DocumentRulesOf(ctx context.Context, companyIDs []int64) (map[int64]DocumentRule, error) {
	out := make(map[int64]DocumentRule)
	if len(companyIDs) == 0 {
		return out, nil
	}
	var rs []DocumentRule
	if err := d.gorm.WithContext(ctx).Where("company_id IN ?", companyIDs).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("document rules: %w", err)
	}
	for _, r := range rs {
		out[r.CompanyID] = r
	}
	return out, nil
}
