package connections

import (
	"context"
	"sync/atomic"

	"bilag/db"
)

// countedRows is the database, counting the reads of companies'
// connections.
type countedRows struct {
	connectionRows
	n *atomic.Int64
}

func (c countedRows) ConnectionsForCompanies(ctx context.Context, companyIDs []int64) ([]db.Connection, error) {
	c.n.Add(1)
	return c.connectionRows.ConnectionsForCompanies(ctx, companyIDs)
}

// CountConnectionReads makes s count its reads of companies' connections
// into the counter it returns. Call it before s is used.
func CountConnectionReads(s *Service) *atomic.Int64 {
	n := new(atomic.Int64)
	s.rows = countedRows{connectionRows: s.rows, n: n}
	return n
}

// CacheKeyForTest is the cache key of conn's document doc.
func CacheKeyForTest(conn *db.Connection, doc *db.VoucherDocument) string { return cacheKey(conn, doc) }
