package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Pack is an evidence pack: one company's bookkeeping for a period, its
// documents and their index, gathered into one ZIP by a background job.
type Pack struct {
	ID        int64 `gorm:"primaryKey"`
	CompanyID int64 `gorm:"not null;index"`
	// Period is "month", "quarter" or "year"; PeriodFrom and PeriodTo its
	// first and last day.
	Period     string    `gorm:"size:16;not null"`
	PeriodFrom time.Time `gorm:"not null"`
	PeriodTo   time.Time `gorm:"not null"`
	State      string    `gorm:"size:16;not null;index"`
	// Done of Total vouchers read (then documents written, while zipping).
	Done  int `gorm:"not null;default:0"`
	Total int `gorm:"not null;default:0"`
	// FilePath is the ZIP's path on disk once ready; Size its bytes.
	FilePath string `gorm:"size:500;not null;default:''"`
	Size     int64  `gorm:"not null;default:0"`
	// Reason classes a failure for the page (the sync's classes); Error
	// is the failure's text, for the log and support.
	Reason        string `gorm:"size:32;not null;default:''"`
	Error         string `gorm:"size:1000;not null;default:''"`
	CreatedBy     *int64
	CreatedByName string `gorm:"size:254;not null;default:''"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// ExpiresAt is when a ready pack's file is deleted.
	ExpiresAt *time.Time
}

// The states of a pack. Queued, reading and zipping are unfinished: a
// restart continues them.
const (
	PackQueued  = "queued"
	PackReading = "reading"
	PackZipping = "zipping"
	PackReady   = "ready"
	PackFailed  = "failed"
	PackExpired = "expired"
)

// Unfinished reports whether the pack's job has work left.
func (p Pack) Unfinished() bool {
	return p.State == PackQueued || p.State == PackReading || p.State == PackZipping
}

// Audit actions of packs.
const (
	// AuditPackCreate: a person started a pack (Target the period);
	// AuditPackDownload: a person downloaded one.
	AuditPackCreate   = "pack_create"
	AuditPackDownload = "pack_download"
	// AuditPackReady: the job finished a pack (Detail its size); actor
	// the job, so that the trail shows when it was made.
	AuditPackReady = "pack_ready"
)

// CreatePack stores a new pack, queued, with its audit event.
func (d *DB) CreatePack(ctx context.Context, p *Pack, e AuditEvent) error {
	p.State = PackQueued
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(p).Error; err != nil {
			return fmt.Errorf("create pack: %w", err)
		}
		e.Target = truncate(e.Target+" #"+strconv.FormatInt(p.ID, 10), 254)
		return d.auditIn(tx, e)
	})
}

// Pack is one of a company's packs.
func (d *DB) Pack(ctx context.Context, companyID, id int64) (*Pack, error) {
	var p Pack
	if err := d.gorm.WithContext(ctx).Where("company_id = ? AND id = ?", companyID, id).First(&p).Error; err != nil {
		return nil, fmt.Errorf("pack %d: %w", id, notFound(err))
	}
	return &p, nil
}

// Packs are a company's newest packs first.
func (d *DB) Packs(ctx context.Context, companyID int64, limit int) ([]Pack, error) {
	var ps []Pack
	if err := d.gorm.WithContext(ctx).Where("company_id = ?", companyID).Order("id DESC").Limit(limit).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("packs of company %d: %w", companyID, err)
	}
	return ps, nil
}

// UnfinishedPacks are every pack whose job has work left, oldest first.
func (d *DB) UnfinishedPacks(ctx context.Context) ([]Pack, error) {
	var ps []Pack
	err := d.gorm.WithContext(ctx).Where("state IN ?", []string{PackQueued, PackReading, PackZipping}).Order("id").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("unfinished packs: %w", err)
	}
	return ps, nil
}

// ExpiredPacks are the packs whose time ran out before now with their
// files still on disk.
func (d *DB) ExpiredPacks(ctx context.Context, now time.Time) ([]Pack, error) {
	var ps []Pack
	err := d.gorm.WithContext(ctx).Where("state = ? AND expires_at <= ?", PackReady, now.UTC()).Order("id").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("expired packs: %w", err)
	}
	return ps, nil
}

// UpdatePack writes a pack's state, progress, file and failure.
func (d *DB) UpdatePack(ctx context.Context, p *Pack) error {
	p.Error = truncate(p.Error, 1000)
	err := d.gorm.WithContext(ctx).Model(&Pack{}).Where("id = ?", p.ID).Updates(map[string]any{
		"state": p.State, "done": p.Done, "total": p.Total, "file_path": p.FilePath, "size": p.Size,
		"reason": p.Reason, "error": p.Error, "expires_at": p.ExpiresAt, "updated_at": d.now().UTC(),
	}).Error
	if err != nil {
		return fmt.Errorf("update pack %d: %w", p.ID, err)
	}
	return nil
}

// PackVouchers are up to limit of a company's indexed vouchers dated from
// from to to (both included), in date and id order, after the voucher
// (afterDate, afterID); a zero afterID starts at the first.
func (d *DB) PackVouchers(ctx context.Context, companyID int64, from, to time.Time, afterDate time.Time, afterID int64, limit int) ([]Voucher, error) {
	q := d.gorm.WithContext(ctx).Where("company_id = ? AND date >= ? AND date < ?", companyID, from.UTC(), to.UTC().AddDate(0, 0, 1))
	if afterID != 0 {
		q = q.Where("(date > ? OR (date = ? AND id > ?))", afterDate.UTC(), afterDate.UTC(), afterID)
	}
	var vs []Voucher
	if err := q.Order("date, id").Limit(limit).Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("vouchers of company %d in a period: %w", companyID, err)
	}
	return vs, nil
}

// CountPackVouchers counts what PackVouchers yields from the start.
func (d *DB) CountPackVouchers(ctx context.Context, companyID int64, from, to time.Time) (int, error) {
	var n int64
	err := d.gorm.WithContext(ctx).Model(&Voucher{}).Where("company_id = ? AND date >= ? AND date < ?", companyID, from.UTC(), to.UTC().AddDate(0, 0, 1)).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count vouchers of company %d in a period: %w", companyID, err)
	}
	return int(n), nil
}

// DocumentOpen is one opening of a document by a person, from the audit
// trail.
type DocumentOpen struct {
	UserID *int64
	Actor  string
	At     time.Time
}

// DocumentOpens are the audited opens of a company's documents, by
// document id, oldest first: what the document open's audit detail names
// ("document=<id>").
func (d *DB) DocumentOpens(ctx context.Context, companyID int64) (map[int64][]DocumentOpen, error) {
	rows, err := d.gorm.WithContext(ctx).Model(&AuditEvent{}).Select("user_id, actor, at, detail").
		Where("company_id = ? AND action = ?", companyID, AuditDocumentOpen).Order("at, id").Rows()
	if err != nil {
		return nil, fmt.Errorf("document opens of company %d: %w", companyID, err)
	}
	defer rows.Close()
	out := map[int64][]DocumentOpen{}
	for rows.Next() {
		var o DocumentOpen
		var detail string
		if err := rows.Scan(&o.UserID, &o.Actor, &o.At, &detail); err != nil {
			return nil, fmt.Errorf("document opens of company %d: %w", companyID, err)
		}
		_, rest, ok := strings.Cut(detail, "document=")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, " ")
		if id, err := strconv.ParseInt(num, 10, 64); err == nil {
			out[id] = append(out[id], o)
		}
	}
	return out, rows.Err()
}
