package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// DocCacheObject is the index entry of one document kept in an object
// store by a cache shared between instances (db/doccache/s3cache). The
// store itself holds only sealed bytes under Name, an HMAC of CacheKey;
// what a document is, and how much the store holds, is known here.
type DocCacheObject struct {
	Name string `gorm:"primaryKey;size:64"`
	// CacheKey is the lookup key (see connections' cacheKey), kept so that
	// a company's documents can be forgotten by its prefix.
	CacheKey string `gorm:"size:500;not null"`
	// BlobID is random per upload and in the sealed object's additional
	// data, so an object cannot be swapped for another.
	BlobID      string `gorm:"size:32;not null"`
	SHA256      string `gorm:"size:64;not null"`
	ContentType string `gorm:"size:100;not null;default:''"`
	FileName    string `gorm:"size:300;not null;default:''"`
	// Size is the document's length; StoredBytes the sealed object's.
	Size        int64     `gorm:"not null"`
	StoredBytes int64     `gorm:"not null"`
	UsedAt      time.Time `gorm:"not null;index"`
}

// TableName is the table's.
func (DocCacheObject) TableName() string { return "doc_cache_objects" }

// CacheObject is the index entry named name, or ErrNotFound.
func (d *DB) CacheObject(ctx context.Context, name string) (*DocCacheObject, error) {
	var o DocCacheObject
	if err := d.gorm.WithContext(ctx).Where("name = ?", name).Take(&o).Error; err != nil {
		return nil, fmt.Errorf("cache object: %w", notFound(err))
	}
	return &o, nil
}

// PutCacheObject records o, replacing an entry of the same name.
func (d *DB) PutCacheObject(ctx context.Context, o *DocCacheObject) error {
	o.UsedAt = o.UsedAt.UTC()
	err := d.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"cache_key", "blob_id", "sha256", "content_type", "file_name", "size", "stored_bytes", "used_at"}),
	}).Create(o).Error
	if err != nil {
		return fmt.Errorf("put cache object: %w", err)
	}
	return nil
}

// TouchCacheObject marks the entry used at at.
func (d *DB) TouchCacheObject(ctx context.Context, name string, at time.Time) error {
	if err := d.gorm.WithContext(ctx).Model(&DocCacheObject{}).Where("name = ?", name).Update("used_at", at.UTC()).Error; err != nil {
		return fmt.Errorf("touch cache object: %w", err)
	}
	return nil
}

// DeleteCacheObject forgets the entry named name if it is still the upload
// blobID; "" forgets whichever it is. It says whether a row went.
func (d *DB) DeleteCacheObject(ctx context.Context, name, blobID string) (bool, error) {
	q := d.gorm.WithContext(ctx).Where("name = ?", name)
	if blobID != "" {
		q = q.Where("blob_id = ?", blobID)
	}
	res := q.Delete(&DocCacheObject{})
	if res.Error != nil {
		return false, fmt.Errorf("delete cache object: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// CacheObjectsWithPrefix lists the entries whose key starts with prefix.
func (d *DB) CacheObjectsWithPrefix(ctx context.Context, prefix string) ([]DocCacheObject, error) {
	var out []DocCacheObject
	if err := d.gorm.WithContext(ctx).Where("cache_key LIKE ? ESCAPE '\\'", escapeLike(prefix)+"%").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cache objects with prefix: %w", err)
	}
	return out, nil
}

// CacheObjectBytes is what the store holds in all: sealed bytes, entries.
func (d *DB) CacheObjectBytes(ctx context.Context) (bytes int64, n int64, err error) {
	var r struct {
		Bytes int64
		N     int64
	}
	if err := d.gorm.WithContext(ctx).Model(&DocCacheObject{}).Select("COALESCE(SUM(stored_bytes), 0) AS bytes, COUNT(*) AS n").Scan(&r).Error; err != nil {
		return 0, 0, fmt.Errorf("cache object bytes: %w", err)
	}
	return r.Bytes, r.N, nil
}

// OldestCacheObjects lists up to limit entries, least recently used first.
func (d *DB) OldestCacheObjects(ctx context.Context, limit int) ([]DocCacheObject, error) {
	var out []DocCacheObject
	if err := d.gorm.WithContext(ctx).Order("used_at, name").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("oldest cache objects: %w", err)
	}
	return out, nil
}
