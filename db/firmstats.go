package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// LinkMonth is what became of consent links in one month: made (created),
// opened (first opened) and approved (connected), each counted in the
// month it happened.
type LinkMonth struct {
	Month                  string
	Made, Opened, Approved int64
}

// InvoiceMonth is what the upstream of one system answered to the
// invoices sent in one month: accepted, refused, or an answer lost.
type InvoiceMonth struct {
	Month, Connector       string
	Sent, Refused, Unknown int64
}

// SyncHealth is a company's syncing: its last successful run and how
// many runs failed in the seven days before now.
type SyncHealth struct {
	CompanyID   int64
	LastSuccess *time.Time
	Failures7d  int64
}

// FirmStats is the firm's statistics over some companies from a month on.
type FirmStats struct {
	Months   []string
	Links    []LinkMonth
	Opens    []MonthCount
	OpensBy  map[int64]int64
	Invoices []InvoiceMonth
	Sync     map[int64]SyncHealth
}

// FirmStats reads the statistics of the companies ids from since's month
// on; the months without any are filled in as zero (invoices, which are
// per system, list only the months that had some).
func (d *DB) FirmStats(ctx context.Context, ids []int64, since time.Time) (*FirmStats, error) {
	since = time.Date(since.Year(), since.Month(), 1, 0, 0, 0, 0, time.UTC)
	st := &FirmStats{Months: monthsFrom(since, d.now().UTC())}
	if len(ids) == 0 {
		ids = []int64{0} // no company: every count is zero
	}
	var err error
	if st.Links, err = d.linkMonths(ctx, ids, since, st.Months); err != nil {
		return nil, err
	}
	if st.Opens, st.OpensBy, err = d.opens(ctx, ids, since, st.Months); err != nil {
		return nil, err
	}
	if st.Invoices, err = d.invoiceMonths(ctx, ids, since); err != nil {
		return nil, err
	}
	if st.Sync, err = d.syncHealth(ctx, ids); err != nil {
		return nil, err
	}
	return st, nil
}

// linkMonths counts links made, opened and approved per month.
func (d *DB) linkMonths(ctx context.Context, ids []int64, since time.Time, months []string) ([]LinkMonth, error) {
	count := func(col string, where string, args ...any) ([]MonthCount, error) {
		var out []MonthCount
		q := d.gorm.WithContext(ctx).Model(&ConsentLink{}).Select(d.monthExpr(col)+" AS month, COUNT(*) AS count").
			Where("company_id IN ? AND "+col+" >= ?", ids, since)
		if where != "" {
			q = q.Where(where, args...)
		}
		if err := q.Group("month").Scan(&out).Error; err != nil {
			return nil, fmt.Errorf("links per month by %s: %w", col, err)
		}
		return fill(months, out), nil
	}
	made, err := count("created_at", "")
	if err != nil {
		return nil, err
	}
	opened, err := count("opened_at", "")
	if err != nil {
		return nil, err
	}
	approved, err := count("finished_at", "status = ?", LinkConnected)
	if err != nil {
		return nil, err
	}
	out := make([]LinkMonth, len(months))
	for i, m := range months {
		out[i] = LinkMonth{Month: m, Made: made[i].Count, Opened: opened[i].Count, Approved: approved[i].Count}
	}
	return out, nil
}

// opens counts documents opened per month and per company.
func (d *DB) opens(ctx context.Context, ids []int64, since time.Time, months []string) ([]MonthCount, map[int64]int64, error) {
	q := func() *gorm.DB {
		return d.gorm.WithContext(ctx).Model(&AuditEvent{}).Where("company_id IN ? AND action = ? AND at >= ?", ids, AuditDocumentOpen, since)
	}
	var per []MonthCount
	if err := q().Select(d.monthExpr("at") + " AS month, COUNT(*) AS count").Group("month").Scan(&per).Error; err != nil {
		return nil, nil, fmt.Errorf("documents opened per month: %w", err)
	}
	var by []struct {
		CompanyID int64
		Count     int64
	}
	if err := q().Select("company_id, COUNT(*) AS count").Group("company_id").Scan(&by).Error; err != nil {
		return nil, nil, fmt.Errorf("documents opened per company: %w", err)
	}
	m := make(map[int64]int64, len(by))
	for _, b := range by {
		m[b.CompanyID] = b.Count
	}
	return fill(months, per), m, nil
}

// invoiceMonths counts invoices sent per month and system by the
// upstream's answer; an order not sent yet counts nowhere.
func (d *DB) invoiceMonths(ctx context.Context, ids []int64, since time.Time) ([]InvoiceMonth, error) {
	var rows []struct {
		Month, Connector, Status string
		Count                    int64
	}
	err := d.gorm.WithContext(ctx).Model(&ImportOrder{}).
		Select(d.monthExpr("sent_at")+" AS month, connector, status, COUNT(*) AS count").
		Where("company_id IN ? AND sent_at >= ? AND status IN ?", ids, since, []string{ImportAccepted, ImportRefused, ImportUnknown}).
		Group("month, connector, status").Order("month, connector").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("invoices per month: %w", err)
	}
	var out []InvoiceMonth
	for _, r := range rows {
		if n := len(out); n == 0 || out[n-1].Month != r.Month || out[n-1].Connector != r.Connector {
			out = append(out, InvoiceMonth{Month: r.Month, Connector: r.Connector})
		}
		im := &out[len(out)-1]
		switch r.Status {
		case ImportAccepted:
			im.Sent = r.Count
		case ImportRefused:
			im.Refused = r.Count
		case ImportUnknown:
			im.Unknown = r.Count
		}
	}
	return out, nil
}

// syncHealth is each company's last successful sync and its failures in
// the seven days before now.
func (d *DB) syncHealth(ctx context.Context, ids []int64) (map[int64]SyncHealth, error) {
	// MAX of a timestamp comes back as text on SQLite; each run's own row
	// is read back instead of parsing it.
	var runs []SyncRun
	err := d.gorm.WithContext(ctx).Where("company_id IN ? AND status = ?", ids, SyncOK).
		Where("id IN (?)", d.gorm.Model(&SyncRun{}).Select("MAX(id)").Where("status = ?", SyncOK).Group("company_id")).
		Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("last successful syncs: %w", err)
	}
	out := map[int64]SyncHealth{}
	for _, r := range runs {
		out[r.CompanyID] = SyncHealth{CompanyID: r.CompanyID, LastSuccess: r.FinishedAt}
	}
	var failed []struct {
		CompanyID int64
		Count     int64
	}
	err = d.gorm.WithContext(ctx).Model(&SyncRun{}).Select("company_id, COUNT(*) AS count").
		Where("company_id IN ? AND status = ? AND started_at >= ?", ids, SyncFailed, d.now().UTC().Add(-7*24*time.Hour)).
		Group("company_id").Scan(&failed).Error
	if err != nil {
		return nil, fmt.Errorf("failed syncs in seven days: %w", err)
	}
	for _, f := range failed {
		h := out[f.CompanyID]
		h.CompanyID, h.Failures7d = f.CompanyID, f.Count
		out[f.CompanyID] = h
	}
	return out, nil
}
