package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// VoucherDimension is one dimension an indexed voucher's rows are booked
// on (a connectors.Dimension): kept per voucher, once per kind and code,
// for the vouchers filter.
type VoucherDimension struct {
	ID           int64  `gorm:"primaryKey"`
	CompanyID    int64  `gorm:"not null;index:idx_vdim_filter,priority:1"`
	ConnectionID int64  `gorm:"not null;index"`
	VoucherID    int64  `gorm:"not null;uniqueIndex:idx_vdim_voucher,priority:1;index:idx_vdim_filter,priority:4"`
	Kind         string `gorm:"size:32;not null;uniqueIndex:idx_vdim_voucher,priority:2;index:idx_vdim_filter,priority:2"`
	Code         string `gorm:"size:64;not null;uniqueIndex:idx_vdim_voucher,priority:3;index:idx_vdim_filter,priority:3"`
	Name         string `gorm:"size:200;not null;default:''"`
}

// The payment filters (VoucherFilter.Payment).
const (
	// PaymentUnpaid keeps vouchers with a document of an invoice that has
	// a sum open.
	PaymentUnpaid = "unpaid"
	// PaymentOverdue keeps those whose invoice is past its due date too,
	// by the date or by its status.
	PaymentOverdue = "overdue"
)

// whereDimension keeps the vouchers booked on the dimension kind/code,
// through idx_vdim_filter.
func whereDimension(q *gorm.DB, companyID int64, kind, code string) *gorm.DB {
	return q.Where("id IN (SELECT voucher_id FROM voucher_dimensions WHERE company_id = ? AND kind = ? AND code = ?)", companyID, kind, code)
}

// wherePayment keeps the vouchers with an unpaid (or overdue, on today)
// invoice document, through idx_vdoc_open. overdueStatuses are the
// invoice statuses that say overdue whatever the date.
func wherePayment(q *gorm.DB, companyID int64, payment string, today time.Time, overdueStatuses []string) *gorm.DB {
	sub := "SELECT voucher_id FROM voucher_documents WHERE company_id = ? AND open_sum > 0"
	args := []any{companyID}
	if payment == PaymentOverdue {
		sub += " AND (due_date < ?"
		args = append(args, today.UTC())
		if len(overdueStatuses) > 0 {
			sub += " OR invoice_status IN ?"
			args = append(args, overdueStatuses)
		}
		sub += ")"
	}
	return q.Where("id IN ("+sub+")", args...)
}

// DimensionChoices are the dimensions a company's index holds, each kind
// and code once (with a name it was given), by kind and code: the
// vouchers filter's choices. At most limit.
func (d *DB) DimensionChoices(ctx context.Context, companyID int64, limit int) ([]VoucherDimension, error) {
	var out []VoucherDimension
	err := d.gorm.WithContext(ctx).Model(&VoucherDimension{}).Select("kind, code, MAX(name) AS name").
		Where("company_id = ?", companyID).Group("kind, code").Order("kind, code").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("dimensions of company %d: %w", companyID, err)
	}
	return out, nil
}

// setDimensionsIn replaces the dimensions of the vouchers vs (just
// upserted) in tx: their ids in one query, the old rows gone in one
// statement, the new written in one multi-row insert per 500.
func setDimensionsIn(tx *gorm.DB, vs []Voucher) error {
	if len(vs) == 0 {
		return nil
	}
	idOf, all, err := upsertedIDs(tx, vs)
	if err != nil {
		return err
	}
	if err := tx.Where("voucher_id IN ?", all).Delete(&VoucherDimension{}).Error; err != nil {
		return fmt.Errorf("clear dimensions: %w", err)
	}
	rows := dimensionRows(vs, idOf)
	if len(rows) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(rows, 500).Error; err != nil {
		return fmt.Errorf("write %d dimensions: %w", len(rows), err)
	}
	return nil
}

// upsertedIDs are the ids of vs by ref, one query per connection (a
// sync's page is one).
func upsertedIDs(tx *gorm.DB, vs []Voucher) (map[string]int64, []int64, error) {
	refs := map[int64][]string{}
	for _, v := range vs {
		refs[v.ConnectionID] = append(refs[v.ConnectionID], v.Ref)
	}
	idOf := make(map[string]int64, len(vs))
	var all []int64
	for connID, rs := range refs {
		var ids []struct {
			ID  int64
			Ref string
		}
		if err := tx.Model(&Voucher{}).Select("id, ref").Where("connection_id = ? AND ref IN ?", connID, rs).Scan(&ids).Error; err != nil {
			return nil, nil, fmt.Errorf("ids of upserted vouchers: %w", err)
		}
		for _, r := range ids {
			idOf[r.Ref] = r.ID
			all = append(all, r.ID)
		}
	}
	return idOf, all, nil
}

// dimensionRows are vs's dimensions as rows, each kind and code once per
// voucher, fitted to the columns.
func dimensionRows(vs []Voucher, idOf map[string]int64) []VoucherDimension {
	var rows []VoucherDimension
	for _, v := range vs {
		seen := map[[2]string]bool{}
		for _, dim := range v.Dimensions {
			dim.Kind, dim.Code, dim.Name = truncate(dim.Kind, 32), truncate(dim.Code, 64), truncate(dim.Name, 200)
			k := [2]string{dim.Kind, dim.Code}
			if dim.Code == "" || seen[k] || idOf[v.Ref] == 0 {
				continue
			}
			seen[k] = true
			dim.ID, dim.CompanyID, dim.ConnectionID, dim.VoucherID = 0, v.CompanyID, v.ConnectionID, idOf[v.Ref]
			rows = append(rows, dim)
		}
	}
	return rows
}
