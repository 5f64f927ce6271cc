package connections

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"bilag/connectors"
	"bilag/db"
)

// ErrNoImport: the connection's connector does not send invoice orders.
var ErrNoImport = errors.New("connection does not import invoice orders")

// Sender is who sends, for the history.
type Sender struct {
	ID   *int64
	Name string
}

// Importers are the company's active connections that send invoice orders
// (connectors.InvoiceImporter), oldest first.
func (s *Service) Importers(ctx context.Context, companyID int64) ([]db.Connection, error) {
	conns, err := s.rows.ConnectionsForCompanies(ctx, []int64{companyID})
	if err != nil {
		return nil, err
	}
	var out []db.Connection
	for _, c := range conns {
		if _, ok := s.connectors[c.Connector].(connectors.InvoiceImporter); ok && c.Status == db.ConnActive {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b db.Connection) int { return int(a.ID - b.ID) })
	return out, nil
}

// Importer is conn's connector as an InvoiceImporter.
func (s *Service) Importer(conn *db.Connection) (connectors.InvoiceImporter, error) {
	imp, ok := s.connectors[conn.Connector].(connectors.InvoiceImporter)
	if !ok {
		return nil, fmt.Errorf("%s connection %d: %w", conn.Connector, conn.ID, ErrNoImport)
	}
	return imp, nil
}

// maxFindingsKept bounds the findings stored per order; the page says how
// many more there were.
const maxFindingsKept = 200

// PrepareImport reads an upload with conn's connector, checks every order
// and whether the same order was sent before, and stores it all as a
// batch; nothing is sent. A file that cannot be read is a
// *connectors.ImportFileError and stores nothing.
func (s *Service) PrepareImport(ctx context.Context, conn *db.Connection, by Sender, source, format string, data []byte) (*db.ImportBatch, error) {
	imp, err := s.Importer(conn)
	if err != nil {
		return nil, err
	}
	ctx = connectors.WithCompany(ctx, conn.CompanyID)
	var orders []connectors.ImportOrder
	var target string
	err = s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) error {
		var err error
		orders, err = imp.ParseImport(ctx, g, format, data)
		target = imp.ImportTarget(g)
		return err
	})
	if err != nil {
		return nil, err
	}
	b := &db.ImportBatch{CompanyID: conn.CompanyID, Connector: conn.Connector, Source: source, Target: target,
		CreatedBy: by.ID, CreatedByName: by.Name}
	rows := make([]db.ImportOrder, len(orders))
	bodies := make([]db.ImportContent, len(orders))
	for i, o := range orders {
		r := db.ImportOrder{OrderKey: o.Key, Digest: o.Digest, Label: o.Label, Summary: o.Summary, Lines: o.Lines, Total: o.Total}
		for _, f := range o.Findings {
			if f.Warning {
				r.Warnings++
			} else {
				r.Errors++
			}
		}
		kept := o.Findings[:min(len(o.Findings), maxFindingsKept)]
		if fs, err := json.Marshal(kept); err == nil && len(kept) > 0 {
			r.Findings = string(fs)
		}
		switch {
		case !o.Sendable():
			r.Status = db.ImportInvalid
		default:
			bodies[i] = db.ImportContent{Body: o.Body}
			r.Status = db.ImportReady
			prev, err := s.db.PreviousImport(ctx, conn.CompanyID, conn.Connector, o.Key, o.Digest, 0)
			if err != nil {
				return nil, err
			}
			if prev != nil {
				r.Status = db.ImportDuplicate
			}
		}
		rows[i] = r
	}
	if err := s.db.CreateImportBatch(ctx, b, rows, bodies); err != nil {
		return nil, err
	}
	return b, nil
}

// Findings are an order's stored findings.
func Findings(o *db.ImportOrder) []connectors.ImportFinding {
	var fs []connectors.ImportFinding
	if o.Findings != "" {
		_ = json.Unmarshal([]byte(o.Findings), &fs)
	}
	return fs
}

// StartImport queues a batch's orders that may be sent, and those in again
// that a person chose to send again (sent before, or with an unknown
// outcome), and sends them one by one in the background. It returns how
// many are waiting.
func (s *Service) StartImport(ctx context.Context, conn *db.Connection, batchID int64, again []int64, by Sender) (int, error) {
	if _, err := s.Importer(conn); err != nil {
		return 0, err
	}
	n, err := s.db.QueueImportOrders(ctx, batchID, again, by.ID, by.Name)
	if err != nil || n == 0 {
		return n, err
	}
	s.ResumeImport(conn, batchID)
	return n, nil
}

// importLease is how long a sender holds a batch without renewing it;
// it renews before every order.
const importLease = 5 * time.Minute

func importLeaseKey(batchID int64) string { return "import-batch:" + strconv.FormatInt(batchID, 10) }

// ResumeImport starts a sender for the batch unless one holds it (here or
// on another instance): after a restart, orders left waiting are sent by
// the next one to look.
func (s *Service) ResumeImport(conn *db.Connection, batchID int64) {
	imp, err := s.Importer(conn)
	if err != nil {
		return
	}
	holder := randomHolder()
	ok, err := s.db.TakeLease(s.bg, importLeaseKey(batchID), holder, s.now().Add(importLease))
	if err != nil || !ok {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.sendBatch(s.bg, imp, conn, batchID, holder)
	}()
}

func randomHolder() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sendBatch sends the batch's waiting orders in upload order, each once,
// while it holds the batch's lease. When one fails without an answer, the
// rest are not sent: the server is unreachable or the outcome unknown, and
// a person should look first.
func (s *Service) sendBatch(ctx context.Context, imp connectors.InvoiceImporter, conn *db.Connection, batchID int64, holder string) {
	ctx = connectors.WithCompany(ctx, conn.CompanyID)
	key := importLeaseKey(batchID)
	keep := context.WithoutCancel(ctx)
	defer func() {
		if err := s.db.ReleaseLease(keep, key, holder); err != nil {
			s.log.Warn("import: release", "batch_id", batchID, "err", err)
		}
	}()
	// Orders a stopped sender left "sending" were sent: their outcome is
	// unknown.
	if err := s.db.UnknownImportSends(ctx, batchID); err != nil {
		s.log.Warn("import: stale sends", "batch_id", batchID, "err", err)
		return
	}
	g, err := s.Grant(ctx, conn)
	if err != nil {
		s.log.Warn("import: grant", "connection_id", conn.ID, "err", err)
		_ = s.db.UnqueueImportOrders(keep, batchID)
		return
	}
	target := imp.ImportTarget(g)
	for {
		orders, err := s.db.QueuedImportOrders(ctx, batchID)
		if err != nil || len(orders) == 0 {
			return
		}
		for i := range orders {
			if ok, err := s.db.TakeLease(ctx, key, holder, s.now().Add(importLease)); err != nil || !ok {
				return // another sender has the batch now
			}
			if !s.sendOne(ctx, imp, g, conn, &orders[i], target) {
				_ = s.db.UnqueueImportOrders(keep, batchID)
				return
			}
		}
	}
}

// sendOne sends one order and records the answer; false when sending
// should stop (no answer, or not sent at all).
func (s *Service) sendOne(ctx context.Context, imp connectors.InvoiceImporter, g connectors.Grant, conn *db.Connection, o *db.ImportOrder, target string) bool {
	if !o.SendAgain {
		// Another upload may have sent the same order meanwhile.
		prev, err := s.db.PreviousImport(ctx, conn.CompanyID, conn.Connector, o.OrderKey, o.Digest, o.ID)
		if err != nil {
			return false
		}
		if prev != nil {
			return s.db.RequeueAsDuplicate(ctx, o.ID) == nil
		}
	}
	ok, err := s.db.ClaimImportOrder(ctx, o.ID, target)
	if err != nil || !ok {
		return err == nil
	}
	keep := context.WithoutCancel(ctx)
	body, err := s.db.ImportOrderBody(o)
	if err != nil {
		_ = s.db.FinishImportOrder(keep, o.ID, db.ImportNotSent, "failed", "")
		return false
	}
	ans, err := imp.SendOrder(ctx, g, body)
	status, code, msg := db.ImportRefused, ans.Code, ans.Message
	switch {
	case err == nil && ans.Accepted:
		status = db.ImportAccepted
	case err == nil:
	case connectors.AnswerLost(err):
		status, code, msg = db.ImportUnknown, "", ""
	default:
		status, code, msg = db.ImportNotSent, sendFailure(err), ""
	}
	s.log.Info("import: order sent", "batch_id", o.BatchID, "order_id", o.ID, "status", status, "err", err)
	if ferr := s.db.FinishImportOrder(keep, o.ID, status, code, msg); ferr != nil {
		s.log.Warn("import: record answer", "order_id", o.ID, "err", ferr)
	}
	return err == nil
}

// sendFailure names why an order was not sent, for the page's words.
func sendFailure(err error) string {
	switch {
	case errors.Is(err, connectors.ErrUnauthorized), errors.Is(err, connectors.ErrForbidden):
		return "refused_credentials"
	case errors.Is(err, connectors.ErrUnavailable):
		return "unreachable"
	}
	return "failed"
}
