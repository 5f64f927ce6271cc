package connections

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"bilag/db/doccache"
)

// convertedSuffix marks the cache key of a document's converted form (a
// TIFF scan's PNG) beside the document's own key: deleting every key with
// the document's prefix removes both.
const convertedSuffix = "#png"

// convertedType is the content type of a converted form.
const convertedType = "image/png"

// Converted opens the document's converted form (a TIFF scan's PNG) of
// size bytes, when the cache keeps one; ok is false when it does not, or
// there is no cache. The copy only spares a conversion, so a cache that
// fails is logged and is a miss.
func (d *Document) Converted(ctx context.Context) (body io.ReadCloser, size int64, ok bool) {
	if d.svc.cache == nil {
		return nil, 0, false
	}
	meta, _, body, ok, err := d.svc.cache.Lookup(ctx, d.key+convertedSuffix)
	if err != nil {
		d.svc.log.Warn("converted document cache", "company_id", d.companyID, "document_id", d.doc.ID, "err", err)
		return nil, 0, false
	}
	if !ok {
		return nil, 0, false
	}
	return body, meta.Size, true
}

// KeepConverted caches png as the document's converted form, so that the
// next open converts nothing. A copy not kept is logged: the next open
// converts again.
func (d *Document) KeepConverted(ctx context.Context, png []byte) {
	if d.svc.cache == nil {
		return
	}
	meta := doccache.Meta{ContentType: convertedType, FileName: d.doc.FileName, Size: int64(len(png))}
	if _, _, err := d.svc.cache.Put(ctx, d.key+convertedSuffix, meta, bytes.NewReader(png)); err != nil {
		d.svc.log.Warn("converted document cache", "company_id", d.companyID, "document_id", d.doc.ID, "err", fmt.Errorf("cache converted document %d: %w", d.doc.ID, err))
	}
}
