package db

import (
	"time"

	"gorm.io/gorm"
)

// Step 16 (issue 18, scale-a): an index built for the vouchers' text
// filter, and the index of a document cache kept in an object store.
//
// The text index keeps the filter's substring semantics on folded text
// (text_key): on SQLite an FTS5 table with the trigram tokenizer (the
// binary must be built with the sqlite_fts5 tag), contentless so the text
// is not stored twice, kept in step by triggers; on PostgreSQL a pg_trgm
// GIN index, which LIKE '%…%' uses as it is.
func step16(tx *gorm.DB) error {
	if err := textSearchV16(tx); err != nil {
		return err
	}
	return tx.Migrator().CreateTable(&docCacheObjectV16{})
}

// textSearchV16 is the text index as step 16 makes it. It is frozen like
// the step; TestLiveStructsMatchSchema makes it beside the live structs
// too, since no struct describes it.
func textSearchV16(tx *gorm.DB) error {
	if tx.Dialector.Name() == "postgres" {
		return execAll(tx,
			"CREATE EXTENSION IF NOT EXISTS pg_trgm",
			"CREATE INDEX idx_voucher_text_trgm ON vouchers USING gin (text_key gin_trgm_ops)",
		)
	}
	// case_sensitive 1: text_key is folded by Go already, and the
	// tokenizer's own folding must not differ from it.
	return execAll(tx,
		"CREATE VIRTUAL TABLE vouchers_fts USING fts5(text_key, content='', contentless_delete=1, tokenize='trigram case_sensitive 1')",
		"CREATE TRIGGER vouchers_fts_insert AFTER INSERT ON vouchers BEGIN INSERT INTO vouchers_fts(rowid, text_key) VALUES (new.id, new.text_key); END",
		"CREATE TRIGGER vouchers_fts_delete AFTER DELETE ON vouchers BEGIN DELETE FROM vouchers_fts WHERE rowid = old.id; END",
		"CREATE TRIGGER vouchers_fts_update AFTER UPDATE OF text_key ON vouchers BEGIN DELETE FROM vouchers_fts WHERE rowid = old.id; INSERT INTO vouchers_fts(rowid, text_key) VALUES (new.id, new.text_key); END",
		"INSERT INTO vouchers_fts(rowid, text_key) SELECT id, text_key FROM vouchers",
	)
}

// docCacheObjectV16 is the table step 16 makes.
type docCacheObjectV16 struct {
	Name        string    `gorm:"primaryKey;size:64"`
	CacheKey    string    `gorm:"size:500;not null"`
	BlobID      string    `gorm:"size:32;not null"`
	SHA256      string    `gorm:"size:64;not null"`
	ContentType string    `gorm:"size:100;not null;default:''"`
	FileName    string    `gorm:"size:300;not null;default:''"`
	Size        int64     `gorm:"not null"`
	StoredBytes int64     `gorm:"not null"`
	UsedAt      time.Time `gorm:"not null;index"`
}

func (docCacheObjectV16) TableName() string { return "doc_cache_objects" }
