package connections

import (
	"context"
	"errors"
	"fmt"
	"io"

	"bilag/connectors"
	"bilag/db"
	"bilag/db/doccache"
)

// ErrNoDocuments is returned for a connection whose connector reads no
// vouchers or documents.
var ErrNoDocuments = errors.New("connections: the connector reads no documents")

// LiveVoucher asks the upstream for the voucher's rows and documents, and
// keeps the documents it names as the voucher's. The calls are interactive:
// a person is waiting.
func (s *Service) LiveVoucher(ctx context.Context, companyID int64, v *db.Voucher) ([]connectors.VoucherRow, []db.VoucherDocument, error) {
	conn, err := s.active(ctx, companyID)
	if err != nil {
		return nil, nil, err
	}
	if v.ConnectionID != conn.ID {
		// Read through a connection the company has since replaced: its
		// ref means nothing to today's connector.
		return nil, nil, fmt.Errorf("voucher %d is of connection %d, not %d: %w", v.ID, v.ConnectionID, conn.ID, connectors.ErrNotFound)
	}
	vr, ok1 := s.connectors[conn.Connector].(connectors.VoucherReader)
	dr, ok2 := s.connectors[conn.Connector].(connectors.DocumentReader)
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("read voucher %d: %w", v.ID, ErrNoDocuments)
	}
	var live connectors.Voucher
	var docs []connectors.Document
	err = s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) error {
		var err error
		if live, err = vr.Voucher(ctx, g, v.Ref); err != nil {
			return err
		}
		docs, err = dr.Documents(ctx, g, live)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	rows := make([]db.VoucherDocument, len(docs))
	for i, d := range docs {
		rows[i] = db.VoucherDocument{ConnectionID: v.ConnectionID, Kind: d.Kind, ExternalID: d.ID, FileName: d.FileName, ContentType: d.ContentType}
	}
	stored, err := s.db.SetVoucherDocuments(ctx, companyID, v.ID, rows)
	return live.Rows, stored, err
}

// Document is an opened document: from the cache, or streaming from the
// upstream while it is hashed and copied into the cache. Read it, then
// Close it.
type Document struct {
	io.Reader
	ContentType string
	FileName    string
	// Size is -1 when unknown (always on a first open).
	Size int64
	// Cached tells whether the bytes come from the cache; SHA256 is then
	// their hash, known before reading.
	Cached bool
	SHA256 string

	body io.Closer
	cc   *cacheCopy // nil when Cached
}

// Close ends the document and returns the SHA-256 of its bytes. On a first
// open, complete says whether every byte was read: only then does the
// cache keep its copy.
func (d *Document) Close(complete bool) (sha string, err error) {
	cerr := d.body.Close()
	if d.Cached {
		return d.SHA256, cerr
	}
	sha, err = d.cc.finish(complete)
	return sha, errors.Join(err, cerr)
}

func cacheKey(conn *db.Connection, doc *db.VoucherDocument) string {
	return fmt.Sprintf("%s/%d/%s/%s", conn.Connector, conn.CompanyID, doc.Kind, doc.ExternalID)
}

// OpenDocument opens one of a company's documents: from the cache when it
// has it, else from the upstream. The document must already be known as
// the voucher's (db.VoucherDocument), so no id from elsewhere reaches the
// upstream.
func (s *Service) OpenDocument(ctx context.Context, companyID int64, doc *db.VoucherDocument) (*Document, error) {
	conn, err := s.Current(ctx, companyID)
	if err != nil {
		return nil, err
	}
	key := cacheKey(conn, doc)
	if s.cache != nil {
		meta, sha, body, ok, err := s.cache.Get(key)
		if err != nil {
			s.log.Warn("document cache", "company_id", companyID, "document_id", doc.ID, "err", err)
		}
		if ok {
			s.metrics.CacheHit()
			return &Document{Reader: body, body: body, ContentType: meta.ContentType, FileName: meta.FileName, Size: meta.Size, Cached: true, SHA256: sha}, nil
		}
		s.metrics.CacheMiss()
	}
	if conn.Status != db.ConnActive {
		return nil, fmt.Errorf("open document: %w", db.ErrNeedsReapproval)
	}
	if doc.ConnectionID != conn.ID {
		return nil, fmt.Errorf("document %d is of connection %d, not %d: %w", doc.ID, doc.ConnectionID, conn.ID, connectors.ErrNotFound)
	}
	dr, ok := s.connectors[conn.Connector].(connectors.DocumentReader)
	if !ok {
		return nil, fmt.Errorf("open document %d: %w", doc.ID, ErrNoDocuments)
	}
	var stream *connectors.DocumentStream
	err = s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) (err error) {
		stream, err = dr.OpenDocument(ctx, g, connectors.Document{ID: doc.ExternalID, Kind: doc.Kind, FileName: doc.FileName, ContentType: doc.ContentType})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open document %d: %w", doc.ID, err)
	}
	name := stream.FileName
	if name == "" {
		name = doc.FileName
	}
	var open func() (*doccache.Entry, error)
	if s.cache != nil {
		meta := doccache.Meta{ContentType: stream.ContentType, FileName: name, Size: stream.Size}
		open = func() (*doccache.Entry, error) { return s.cache.Writer(key, meta) }
	}
	cc := newCacheCopy(open)
	return &Document{Reader: io.TeeReader(stream.Body, cc), body: stream.Body, cc: cc, ContentType: stream.ContentType, FileName: name, Size: -1}, nil
}
