package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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
	conns, err := s.db.ConnectionsForCompanies(ctx, []int64{companyID})
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
	bodies := make([][]byte, len(orders))
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
			bodies[i] = o.Body
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
// many it queued.
func (s *Service) StartImport(ctx context.Context, conn *db.Connection, batchID int64, again []int64, by Sender) (int, error) {
	imp, err := s.Importer(conn)
	if err != nil {
		return 0, err
	}
	n, err := s.db.QueueImportOrders(ctx, batchID, again)
	if err != nil || n == 0 {
		return n, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.sendBatch(s.bg, imp, conn, batchID, by)
	}()
	return n, nil
}

// sendBatch sends the batch's queued orders in upload order, each once.
// When one fails without an answer, the rest stay unsent: the server is
// unreachable or the outcome unknown, and a person should look first.
func (s *Service) sendBatch(ctx context.Context, imp connectors.InvoiceImporter, conn *db.Connection, batchID int64, by Sender) {
	ctx = connectors.WithCompany(ctx, conn.CompanyID)
	defer func() {
		// Whatever is left queued (a stop, a failure) was not sent.
		if err := s.db.AbandonImportSends(context.WithoutCancel(ctx), batchID); err != nil {
			s.log.Warn("import: abandon", "batch_id", batchID, "err", err)
		}
	}()
	g, err := s.Grant(ctx, conn)
	if err != nil {
		s.log.Warn("import: grant", "connection_id", conn.ID, "err", err)
		return
	}
	target := imp.ImportTarget(g)
	_, orders, err := s.db.ImportBatchOf(ctx, conn.CompanyID, batchID)
	if err != nil {
		s.log.Warn("import: batch", "batch_id", batchID, "err", err)
		return
	}
	for i := range orders {
		o := &orders[i]
		if o.Status != db.ImportQueued {
			continue
		}
		if !o.SendAgain {
			// Another upload may have sent the same order meanwhile.
			prev, err := s.db.PreviousImport(ctx, conn.CompanyID, conn.Connector, o.OrderKey, o.Digest, o.ID)
			if err != nil || prev != nil {
				continue // left queued: abandoned as not sent
			}
		}
		ok, err := s.db.ClaimImportOrder(ctx, o.ID, by.ID, by.Name, target)
		if err != nil || !ok {
			continue
		}
		body, err := s.db.ImportOrderBody(o)
		if err != nil {
			_ = s.db.FinishImportOrder(ctx, o.ID, db.ImportNotSent, "", "")
			continue
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
		s.log.Info("import: order sent", "batch_id", batchID, "order_id", o.ID, "status", status, "err", err)
		if err := s.db.FinishImportOrder(context.WithoutCancel(ctx), o.ID, status, code, msg); err != nil {
			s.log.Warn("import: record answer", "order_id", o.ID, "err", err)
		}
		if err != nil && status != db.ImportRefused {
			return
		}
	}
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
