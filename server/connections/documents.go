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

// UpstreamError is a failure of a read through a company's connection
// (LiveVoucher, OpenDocument), with the connector of the connection the
// voucher or document was found through, so that whoever tells a person
// about it can use that connector's words. Connector is "" when the
// company has no such connection.
type UpstreamError struct {
	Connector string
	Err       error
}

func (e *UpstreamError) Error() string { return e.Err.Error() }
func (e *UpstreamError) Unwrap() error { return e.Err }

// LiveVoucher asks the upstream for the voucher's rows and documents, and
// keeps the documents it names as the voucher's. The calls are interactive:
// a person is waiting. Once the company's connections are read, an error
// is an *UpstreamError.
func (s *Service) LiveVoucher(ctx context.Context, companyID int64, v *db.Voucher) ([]connectors.VoucherRow, []db.VoucherDocument, error) {
	conn, connector, err := s.currentFor(ctx, companyID, v.ConnectionID)
	if err != nil {
		return nil, nil, err
	}
	rows, docs, err := s.liveVoucher(ctx, conn, v)
	if err != nil {
		err = &UpstreamError{Connector: connector, Err: err}
	}
	return rows, docs, err
}

func (s *Service) liveVoucher(ctx context.Context, conn *db.Connection, v *db.Voucher) ([]connectors.VoucherRow, []db.VoucherDocument, error) {
	if err := usable(conn); err != nil {
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
	err := s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) error {
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
		rows[i] = db.VoucherDocument{ConnectionID: v.ConnectionID, Kind: d.Kind, ExternalID: d.ID, FileName: d.FileName, ContentType: d.ContentType,
			InvoiceStatus: d.InvoiceStatus, OpenSum: d.OpenSum}
		if !d.DueDate.IsZero() {
			due := d.DueDate.UTC()
			rows[i].DueDate = &due
		}
	}
	if err := s.withInvoiceStates(ctx, conn, rows); err != nil {
		return nil, nil, err
	}
	stored, err := s.db.SetVoucherDocuments(ctx, conn.CompanyID, v.ID, rows)
	return live.Rows, stored, err
}

// withInvoiceStates gives the listed documents whose connector left their
// invoice's status unknown the one the sync kept (InvoiceStateReader).
func (s *Service) withInvoiceStates(ctx context.Context, conn *db.Connection, rows []db.VoucherDocument) error {
	if _, ok := s.connectors[conn.Connector].(connectors.InvoiceStateReader); !ok {
		return nil
	}
	byKind := map[string][]string{}
	for _, r := range rows {
		if r.InvoiceStatus == "" {
			byKind[r.Kind] = append(byKind[r.Kind], r.ExternalID)
		}
	}
	for kind, ids := range byKind {
		states, err := s.db.InvoiceStatesOf(ctx, conn.ID, kind, ids)
		if err != nil {
			return err
		}
		for i := range rows {
			if st, ok := states[rows[i].ExternalID]; ok && rows[i].Kind == kind && rows[i].InvoiceStatus == "" {
				rows[i].InvoiceStatus, rows[i].OpenSum = st.Status, st.OpenSum
			}
		}
	}
	return nil
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
	// Connector and ConnectionID are the connection the document was
	// opened through.
	Connector    string
	ConnectionID int64

	// key is where the document is cached (cacheKey), and the start of
	// its converted copy's key (converted.go).
	key       string
	svc       *Service
	companyID int64
	doc       db.VoucherDocument

	body io.Closer
	cc   *cacheCopy // nil when Cached
	// release ends the document's flight (prefetch.go), if it has one.
	release func()
}

// Close ends the document and returns the SHA-256 of its bytes. On a first
// open, complete says whether every byte was read: only then does the
// cache keep its copy.
func (d *Document) Close(complete bool) (sha string, err error) {
	cerr := d.body.Close()
	if d.release != nil {
		defer d.release()
	}
	if d.Cached {
		return d.SHA256, cerr
	}
	sha, err = d.cc.finish(complete)
	return sha, errors.Join(err, cerr)
}

// Finish is Close in two steps, so that committing the cache's copy may
// overlap recording the open (issue 30): the SHA-256 of the bytes read, at
// once, and done, which ends the document as Close does and must be
// called. On a first open the hash is that of every byte the reader got,
// whether or not the cache kept them.
func (d *Document) Finish(complete bool) (sha string, done func() error) {
	if d.Cached {
		return d.SHA256, func() error { _, err := d.Close(complete); return err }
	}
	sha = d.cc.sum()
	return sha, func() error {
		cerr := d.body.Close()
		if d.release != nil {
			defer d.release()
		}
		return errors.Join(d.cc.keep(complete), cerr)
	}
}

// cacheKey is where a document of conn is cached. It starts with the
// company's prefix (cachePrefix), so that everything cached of a company,
// converted copies included (their keys extend this one), goes at once;
// and it names the approval, so that no copy cached before a reconnect
// (on any instance) is found after it, where the reconnect may reach
// another upstream company.
func cacheKey(conn *db.Connection, doc *db.VoucherDocument) string {
	return fmt.Sprintf("%s%d/%s/%s", cachePrefix(conn.Connector, conn.CompanyID), conn.ApprovedAt.UnixMilli(), doc.Kind, doc.ExternalID)
}

// cachePrefix starts every cache key of a company's documents through a
// connector.
func cachePrefix(connector string, companyID int64) string {
	return fmt.Sprintf("%s/%d/", connector, companyID)
}

// forgetDocuments deletes every cached copy of conn's company's documents
// on this instance. Other instances read the connection's status before
// serving any document and forget theirs when they see it ended.
func (s *Service) forgetDocuments(conn *db.Connection) {
	if s.cache == nil {
		return
	}
	n, err := s.cache.Forget(context.Background(), cachePrefix(conn.Connector, conn.CompanyID))
	if err != nil {
		s.log.Warn("forget cached documents", "company_id", conn.CompanyID, "err", err)
	}
	if n > 0 {
		s.log.Info("forgot cached documents", "company_id", conn.CompanyID, "connection_id", conn.ID, "documents", n)
	}
}

// OpenDocument opens one of a company's documents: from the cache when it
// has it, else from the upstream. The document must already be known as
// the voucher's (db.VoucherDocument), so no id from elsewhere reaches the
// upstream. The connection's status is read from the database first, for
// cached documents too: a disconnect or an ended grant (on any instance)
// ends access at once. That read is the open's only read of the company's
// connections: the document carries what its converted copy needs. Once
// it is done, an error is an *UpstreamError.
func (s *Service) OpenDocument(ctx context.Context, companyID int64, doc *db.VoucherDocument) (*Document, error) {
	conn, connector, err := s.currentFor(ctx, companyID, doc.ConnectionID)
	if err != nil {
		return nil, err
	}
	d, err := s.openDocument(ctx, conn, doc)
	if err != nil {
		return nil, &UpstreamError{Connector: connector, Err: err}
	}
	d.Connector, d.ConnectionID, d.svc, d.companyID, d.doc = conn.Connector, conn.ID, s, conn.CompanyID, *doc
	return d, nil
}

func (s *Service) openDocument(ctx context.Context, conn *db.Connection, doc *db.VoucherDocument) (*Document, error) {
	if conn.Status != db.ConnActive {
		s.forgetDocuments(conn)
		return nil, fmt.Errorf("open document: %w", db.ErrNeedsReapproval)
	}
	if doc.ConnectionID != conn.ID {
		return nil, fmt.Errorf("document %d is of connection %d, not %d: %w", doc.ID, doc.ConnectionID, conn.ID, connectors.ErrNotFound)
	}
	key := cacheKey(conn, doc)
	if s.cache != nil {
		s.joinPrefetch(ctx, key)
		meta, sha, body, ok, err := s.cache.Lookup(ctx, key)
		if err != nil {
			s.log.Warn("document cache", "company_id", conn.CompanyID, "document_id", doc.ID, "err", err)
		}
		if ok {
			s.metrics.CacheHit()
			return &Document{Reader: body, body: body, ContentType: meta.ContentType, FileName: meta.FileName, Size: meta.Size, Cached: true, SHA256: sha, key: key}, nil
		}
		s.metrics.CacheMiss()
	}
	dr, ok := s.connectors[conn.Connector].(connectors.DocumentReader)
	if !ok {
		return nil, fmt.Errorf("open document %d: %w", doc.ID, ErrNoDocuments)
	}
	// In flight until closed, so that no prefetch fetches it meanwhile.
	release := func() {}
	if f := s.flights.claim(key, false, func() {}); f != nil {
		release = func() { s.flights.release(key, f) }
	}
	var stream *connectors.DocumentStream
	err := s.useRead(ctx, conn, func(ctx context.Context, g connectors.Grant) (err error) {
		stream, err = dr.OpenDocument(ctx, g, connectors.Document{ID: doc.ExternalID, Kind: doc.Kind, FileName: doc.FileName, ContentType: doc.ContentType})
		return err
	})
	if err != nil {
		release()
		return nil, fmt.Errorf("open document %d: %w", doc.ID, err)
	}
	name := stream.FileName
	if name == "" {
		name = doc.FileName
	}
	var open func() (doccache.Writer, error)
	if s.cache != nil {
		meta := doccache.Meta{ContentType: stream.ContentType, FileName: name, Size: stream.Size}
		// Not the request's context: the copy may commit after the answer.
		bg := context.WithoutCancel(ctx)
		open = func() (doccache.Writer, error) { return s.cache.Begin(bg, key, meta) }
	}
	cc := newCacheCopy(open)
	return &Document{Reader: io.TeeReader(stream.Body, cc), body: stream.Body, cc: cc, ContentType: stream.ContentType, FileName: name, Size: -1, release: release, key: key}, nil
}
