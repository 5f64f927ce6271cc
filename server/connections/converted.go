package connections

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"bilag/db"
	"bilag/db/doccache"
)

// convertedSuffix marks the cache key of a document's converted form (a
// TIFF scan's PNG) beside the document's own key: deleting every key with
// the document's prefix removes both.
const convertedSuffix = "#png"

// Converted is a document's converted form, from the cache. Read it, then
// close it.
type Converted struct {
	io.ReadCloser
	Size int64
}

// OpenConverted opens the PNG converted from a company's document, when
// the cache keeps one; ok is false when it does not (or there is no cache).
func (s *Service) OpenConverted(ctx context.Context, companyID int64, doc *db.VoucherDocument) (c *Converted, ok bool, err error) {
	if s.cache == nil {
		return nil, false, nil
	}
	conn, err := s.Current(ctx, companyID)
	if err != nil {
		return nil, false, err
	}
	meta, _, body, ok, err := s.cache.Lookup(ctx, cacheKey(conn, doc)+convertedSuffix)
	if err != nil || !ok {
		return nil, false, err
	}
	return &Converted{ReadCloser: body, Size: meta.Size}, true, nil
}

// KeepConverted caches png as the converted form of a company's document,
// so that the next open converts nothing.
func (s *Service) KeepConverted(ctx context.Context, companyID int64, doc *db.VoucherDocument, contentType string, png []byte) error {
	if s.cache == nil {
		return nil
	}
	conn, err := s.Current(ctx, companyID)
	if err != nil {
		return err
	}
	meta := doccache.Meta{ContentType: contentType, FileName: doc.FileName, Size: int64(len(png))}
	if _, _, err := s.cache.Put(ctx, cacheKey(conn, doc)+convertedSuffix, meta, bytes.NewReader(png)); err != nil {
		return fmt.Errorf("cache converted document %d: %w", doc.ID, err)
	}
	return nil
}
