package db

import (
	"context"
	"fmt"
	"time"
)

// MonthCount is how many of something fell in one month ("2024-03").
type MonthCount struct {
	Month string
	Count int64
}

// monthExpr is the SQL for a timestamp column's month, "YYYY-MM", in UTC.
func (d *DB) monthExpr(col string) string {
	if d.Dialect() == "postgres" {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM')"
	}
	return "strftime('%Y-%m', " + col + ")"
}

// Activity is what a company's page charts: vouchers booked and documents
// opened per month, for the months from since on, oldest first, with the
// months that had none filled in as zero.
func (d *DB) Activity(ctx context.Context, companyID int64, since time.Time) (vouchers, opens []MonthCount, err error) {
	since = time.Date(since.Year(), since.Month(), 1, 0, 0, 0, 0, time.UTC)
	var v, o []MonthCount
	err = d.gorm.WithContext(ctx).Model(&Voucher{}).Select(d.monthExpr("date")+" AS month, COUNT(*) AS count").
		Where("company_id = ? AND date >= ?", companyID, since).Group("month").Scan(&v).Error
	if err != nil {
		return nil, nil, fmt.Errorf("vouchers per month of company %d: %w", companyID, err)
	}
	err = d.gorm.WithContext(ctx).Model(&AuditEvent{}).Select(d.monthExpr("at")+" AS month, COUNT(*) AS count").
		Where("company_id = ? AND action = ? AND at >= ?", companyID, AuditDocumentOpen, since).Group("month").Scan(&o).Error
	if err != nil {
		return nil, nil, fmt.Errorf("documents opened per month of company %d: %w", companyID, err)
	}
	months := monthsFrom(since, d.now().UTC())
	return fill(months, v), fill(months, o), nil
}

func monthsFrom(since, now time.Time) []string {
	var out []string
	for m := since; !m.After(now); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

func fill(months []string, got []MonthCount) []MonthCount {
	by := map[string]int64{}
	for _, g := range got {
		by[g.Month] = g.Count
	}
	out := make([]MonthCount, len(months))
	for i, m := range months {
		out[i] = MonthCount{Month: m, Count: by[m]}
	}
	return out
}
