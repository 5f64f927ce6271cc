package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// AuditCompanyOffboard: an admin offboarded a company; the detail says
// what was deleted, in counts.
const AuditCompanyOffboard = "company_offboard"

// CachePurge tells every instance to delete the cached documents whose
// keys start with Prefix (a company's, through one connector).
type CachePurge struct {
	ID        int64  `gorm:"primaryKey"`
	CompanyID int64  `gorm:"not null"`
	Prefix    string `gorm:"size:200;not null"`
	CreatedAt time.Time
}

// TableName is the table's.
func (CachePurge) TableName() string { return "cache_purges" }

// OffboardCounts is what an offboarding deleted from the database.
type OffboardCounts struct {
	Vouchers, Documents, FiscalYears int64
	// InvoiceBodies are the sealed bodies of invoice orders, InvoicePDFs
	// their PDFs; the orders' rows (what was sent, when, the answer) stay
	// with the audit trail.
	InvoiceBodies, InvoicePDFs int64
	Links                      int64
}

// String is the counts as the audit detail gives them.
func (c OffboardCounts) String() string {
	parts := []string{
		"vouchers=" + strconv.FormatInt(c.Vouchers, 10), "documents=" + strconv.FormatInt(c.Documents, 10),
		"fiscal_years=" + strconv.FormatInt(c.FiscalYears, 10), "invoice_bodies=" + strconv.FormatInt(c.InvoiceBodies, 10),
		"invoice_pdfs=" + strconv.FormatInt(c.InvoicePDFs, 10), "links=" + strconv.FormatInt(c.Links, 10),
	}
	return strings.Join(parts, " ")
}

// Offboard deletes what the portal keeps of a company's books, in one
// transaction: the voucher index (vouchers, their documents, fiscal years,
// the sync state), the sealed bodies and PDFs of its invoice orders, and
// its open consent links; it marks the company inactive and records a
// cache purge for each prefix (cachePrefixes), which every instance
// applies to its cache. The audit trail stays, and gains by's event with
// the counts (extra is added to its detail: what the caller did before,
// such as revoking grants). The connections must already be ended
// (Disconnect): a reactivated company needs a new link.
func (d *DB) Offboard(ctx context.Context, companyID int64, cachePrefixes []string, by AuditEvent, extra string) (OffboardCounts, error) {
	var n OffboardCounts
	err := d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if n, err = d.offboardIn(tx, companyID); err != nil {
			return err
		}
		now := d.now().UTC()
		for _, p := range cachePrefixes {
			if err := tx.Create(&CachePurge{CompanyID: companyID, Prefix: p, CreatedAt: now}).Error; err != nil {
				return fmt.Errorf("record cache purge: %w", err)
			}
		}
		by.Action, by.CompanyID, by.Detail = AuditCompanyOffboard, &companyID, strings.TrimSpace(n.String()+" "+extra)
		return d.auditIn(tx, by)
	})
	if err != nil {
		return OffboardCounts{}, fmt.Errorf("offboard company %d: %w", companyID, err)
	}
	return n, nil
}

// offboardIn deletes the company's data in tx and counts it.
func (d *DB) offboardIn(tx *gorm.DB, companyID int64) (OffboardCounts, error) {
	var n OffboardCounts
	off := map[string]any{"active": false, "offboarded_at": d.now().UTC()}
	if res := tx.Model(&Company{}).Where("id = ?", companyID).Updates(off); res.Error != nil || res.RowsAffected == 0 {
		return n, fmt.Errorf("deactivate: %w", notFound(firstErr(res.Error, gorm.ErrRecordNotFound)))
	}
	if err := deleteIndexIn(tx, companyID, &n); err != nil {
		return n, err
	}
	if err := deleteInvoiceBodiesIn(tx, companyID, &n); err != nil {
		return n, err
	}
	var err error
	if n.Links, err = closeLinks(tx, companyID, "offboarded", d.now().UTC()); err != nil {
		return n, fmt.Errorf("close consent links: %w", err)
	}
	return n, nil
}

// deleteIndexIn deletes a company's voucher index, of all its connections,
// and forgets how far their syncs got.
func deleteIndexIn(tx *gorm.DB, companyID int64, n *OffboardCounts) error {
	for _, t := range []struct {
		model any
		count *int64
		what  string
	}{{&InvoiceState{}, new(int64), "invoice states"}, {&VoucherDimension{}, new(int64), "voucher dimensions"}, {&VoucherDocument{}, &n.Documents, "voucher documents"}, {&Voucher{}, &n.Vouchers, "vouchers"}, {&FiscalYear{}, &n.FiscalYears, "fiscal years"}} {
		res := tx.Where("company_id = ?", companyID).Delete(t.model)
		if *t.count = res.RowsAffected; res.Error != nil {
			return fmt.Errorf("delete %s: %w", t.what, res.Error)
		}
	}
	err := tx.Model(&SyncState{}).Where("connection_id IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&Connection{}).Select("id").Where("company_id = ?", companyID)).
		Updates(map[string]any{"synced_through": nil, "full_sync_until": nil, "lease_owner": "", "lease_until": nil}).Error
	if err != nil {
		return fmt.Errorf("forget sync state: %w", err)
	}
	return nil
}

// deleteInvoiceBodiesIn deletes the sealed bodies and PDFs of a company's
// invoice orders; the orders' rows stay, as the history of what was sent.
func deleteInvoiceBodiesIn(tx *gorm.DB, companyID int64, n *OffboardCounts) error {
	orders := tx.Session(&gorm.Session{NewDB: true}).Model(&ImportOrder{}).Select("id").Where("company_id = ?", companyID)
	res := tx.Where("order_id IN (?)", orders).Delete(&ImportDocument{})
	if n.InvoicePDFs = res.RowsAffected; res.Error != nil {
		return fmt.Errorf("delete invoice PDFs: %w", res.Error)
	}
	res = tx.Model(&ImportOrder{}).Where("company_id = ? AND body_sealed IS NOT NULL", companyID).
		Updates(map[string]any{"body_sealed": nil, "body_key_id": ""})
	if n.InvoiceBodies = res.RowsAffected; res.Error != nil {
		return fmt.Errorf("delete invoice bodies: %w", res.Error)
	}
	return nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// CachePurgesAfter lists the cache purges recorded after the one with id
// after, oldest first: an instance applies them to its cache and
// remembers the last.
func (d *DB) CachePurgesAfter(ctx context.Context, after int64) ([]CachePurge, error) {
	var ps []CachePurge
	if err := d.gorm.WithContext(ctx).Where("id > ?", after).Order("id").Limit(1000).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("cache purges: %w", err)
	}
	return ps, nil
}
