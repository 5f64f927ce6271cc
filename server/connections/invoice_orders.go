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
	"bilag/connectors/invoice"
	"bilag/db"
)

// The send pipeline: invoices carried into a company's books through a
// connection whose connector is a connectors.InvoiceSender, the same for
// every receiving connector. A batch is read from a source (Bilag's
// invoice format as JSON or CSV, the one-invoice form, or the connector's
// own format), validated all at once (the source's reading and the
// connector's rules), checked against the target company (Preflight),
// stored sealed, and then, when a person asks, sent one invoice at a time
// in the background with every exchange recorded. Nothing is ever sent
// twice on its own: an answer that was lost leaves the invoice unknown,
// and sending it again is a person's choice, which first looks it up
// where the connector can (connectors.InvoiceLookup).

// ErrNoImport: the connection's connector does not receive invoices.
var ErrNoImport = errors.New("connection does not receive invoices")

// ErrPreflight: the batch's pre-flight found what the target company
// lacks; nothing was sent. The batch holds the findings.
var ErrPreflight = errors.New("pre-flight findings stand")

// Sender is who sends, for the history.
type Sender struct {
	ID   *int64
	Name string
}

// PreflightFinding is one thing the target company lacks for a batch
// (connectors.Pairer's Preflight).
type PreflightFinding = connectors.PreflightFinding

// PreflightFindings are a batch's stored pre-flight findings.
func PreflightFindings(b *db.ImportBatch) []PreflightFinding {
	var fs []PreflightFinding
	if b.Preflight != "" {
		_ = json.Unmarshal([]byte(b.Preflight), &fs)
	}
	return fs
}

// Receivers are the company's active connections that receive invoices,
// oldest first.
func (s *Service) Receivers(ctx context.Context, companyID int64) ([]db.Connection, error) {
	conns, err := s.rows.ConnectionsForCompanies(ctx, []int64{companyID})
	if err != nil {
		return nil, err
	}
	var out []db.Connection
	for _, c := range conns {
		if _, ok := s.connectors[c.Connector].(connectors.InvoiceSender); ok && c.Status == db.ConnActive {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b db.Connection) int { return int(a.ID - b.ID) })
	return out, nil
}

// Receiver is conn's connector as an InvoiceSender.
func (s *Service) Receiver(conn *db.Connection) (connectors.InvoiceSender, error) {
	snd, ok := s.connectors[conn.Connector].(connectors.InvoiceSender)
	if !ok {
		return nil, fmt.Errorf("%s connection %d: %w", conn.Connector, conn.ID, ErrNoImport)
	}
	return snd, nil
}

// FormatForm is the one-invoice form: Bilag's CSV format of one invoice.
const FormatForm = "form"

// Upload is a batch as a source gives it.
type Upload struct {
	// Source is the file's name, or "form".
	Source string
	// Format is "json" or "csv" (which the file's name or first byte
	// says), or FormatForm. A JSON or CSV file in one of the connector's
	// own formats is read as such unless it looks like Bilag's invoice
	// format (invoice.Detect).
	Format string
	Data   []byte
	// PDF is the form's invoice's PDF, when one was attached.
	PDF *connectors.InvoicePDF
	// IntegrationToken is the integration token the batch came through
	// (Source SourceAPI), nil for a person's.
	IntegrationToken *int64
}

// SourceAPI is the Source of a batch that came through the API; the batch's
// CreatedByName is the token's name, or the person's whose token it was.
const SourceAPI = "api"

// maxFindingsKept bounds the findings stored per order; the page says how
// many more there were.
const maxFindingsKept = 200

// PrepareImport reads an upload, checks every invoice in it (and whether
// the same invoice was sent before) and the batch against the target
// company, and stores it all as a batch; nothing is sent. A file that
// cannot be read is a *connectors.ImportFileError and stores nothing.
func (s *Service) PrepareImport(ctx context.Context, conn *db.Connection, by Sender, u Upload) (*db.ImportBatch, error) {
	snd, err := s.Receiver(conn)
	if err != nil {
		return nil, err
	}
	ctx = connectors.WithCompany(ctx, conn.CompanyID)
	var invs []connectors.Invoice
	var checks []connectors.InvoiceCheck
	var target, format string
	var pre []PreflightFinding
	err = s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) error {
		target = snd.InvoiceTarget(g)
		var err error
		if invs, checks, format, err = read(ctx, snd, g, conn.Connector, u); err != nil {
			return err
		}
		var sendable []connectors.Invoice
		for i, ch := range checks {
			if ch.Sendable() {
				sendable = append(sendable, invs[i])
			}
		}
		pre, err = s.preflight(ctx, conn, g, sendable)
		return err
	})
	if err != nil {
		return nil, err
	}
	b := &db.ImportBatch{CompanyID: conn.CompanyID, Connector: conn.Connector, Source: u.Source, Target: target,
		CreatedBy: by.ID, CreatedByName: by.Name, Format: format, Preflight: preflightJSON(pre), IntegrationTokenID: u.IntegrationToken}
	rows := make([]db.ImportOrder, len(invs))
	contents := make([]db.ImportContent, len(invs))
	for i, inv := range invs {
		ch := checks[i]
		r := db.ImportOrder{OrderKey: ch.Key, Digest: ch.Digest, Label: inv.Number, Summary: inv.Summary(),
			Lines: len(inv.Lines), Total: inv.Total(), BodyFormat: db.BodyInvoice}
		if r.OrderKey == "" {
			r.OrderKey = inv.Number
		}
		for _, f := range ch.Findings {
			if f.Warning {
				r.Warnings++
			} else {
				r.Errors++
			}
		}
		kept := ch.Findings[:min(len(ch.Findings), maxFindingsKept)]
		if fs, err := json.Marshal(kept); err == nil && len(kept) > 0 {
			r.Findings = string(fs)
		}
		r.Status = db.ImportInvalid
		if ch.Sendable() {
			if contents[i], err = content(inv); err != nil {
				return nil, err
			}
			r.Status = db.ImportReady
			prev, err := s.db.PreviousImport(ctx, conn.CompanyID, conn.Connector, r.OrderKey, r.Digest, 0)
			if err != nil {
				return nil, err
			}
			if prev != nil {
				r.Status = db.ImportDuplicate
			}
		}
		rows[i] = r
	}
	if err := s.db.CreateImportBatch(ctx, b, rows, contents); err != nil {
		return nil, err
	}
	return b, nil
}

// read reads an upload with its source and has the connector check it:
// the invoices, a check each, and the format it was read as.
func read(ctx context.Context, snd connectors.InvoiceSender, g connectors.Grant, connector string, u Upload) ([]connectors.Invoice, []connectors.InvoiceCheck, string, error) {
	if own, ok := snd.(connectors.InvoiceFormats); ok && u.Format != FormatForm && slices.Contains(own.OwnFormats(), u.Format) && !invoice.Detect(u.Data) {
		invs, checks, err := own.ParseInvoices(ctx, g, u.Format, u.Data)
		return invs, checks, connector + "." + u.Format, err
	}
	format := "invoice." + u.Format
	if u.Format == FormatForm {
		format, u.Format = FormatForm, invoice.FormatCSV
	}
	parsed, err := invoice.Parse(u.Format, u.Data)
	if err != nil {
		return nil, nil, "", err
	}
	invs := make([]connectors.Invoice, len(parsed))
	for i, p := range parsed {
		invs[i] = p.Invoice
	}
	if u.PDF != nil && len(invs) == 1 {
		invs[0].PDF = u.PDF
	}
	checks, err := snd.ValidateInvoices(ctx, g, invs)
	if err != nil {
		return nil, nil, "", err
	}
	if len(checks) != len(invs) {
		return nil, nil, "", fmt.Errorf("%s: %d checks for %d invoices", connector, len(checks), len(invs))
	}
	for i, p := range parsed {
		checks[i].Findings = merge(p.Findings, checks[i].Findings)
		if slices.ContainsFunc(p.Findings, func(f connectors.InvoiceFinding) bool { return !f.Warning }) {
			checks[i].Key, checks[i].Digest = "", ""
		}
	}
	return invs, checks, format, nil
}

// merge puts reading's findings first and the connector's after them,
// leaving out a connector's finding about a value reading already found
// wrong (it saw the value as missing).
func merge(read, checked []connectors.InvoiceFinding) []connectors.InvoiceFinding {
	out := slices.Clone(read)
	for _, f := range checked {
		if !slices.ContainsFunc(read, func(r connectors.InvoiceFinding) bool { return r.Line == f.Line && r.Field == f.Field }) {
			out = append(out, f)
		}
	}
	return out
}

// content is what is stored of an invoice: its JSON without the PDF, and
// the PDF beside it.
func content(inv connectors.Invoice) (db.ImportContent, error) {
	var c db.ImportContent
	if inv.PDF != nil {
		c.PDFName, c.PDF = inv.PDF.FileName, inv.PDF.Data
		inv.PDF = nil
	}
	b, err := json.Marshal(inv)
	if err != nil {
		return c, fmt.Errorf("store invoice %q: %w", inv.Number, err)
	}
	c.Body = b
	return c, nil
}

// preflight runs the connector's pre-flight, if it has one, on the
// invoices that may be sent.
func (s *Service) preflight(ctx context.Context, conn *db.Connection, g connectors.Grant, batch []connectors.Invoice) ([]PreflightFinding, error) {
	p, ok := s.connectors[conn.Connector].(connectors.Pairer)
	if !ok || len(batch) == 0 {
		return nil, nil
	}
	pairing, err := s.Pairing(ctx, conn)
	if err != nil {
		return nil, err
	}
	fs, err := p.Preflight(ctx, g, pairing, batch)
	if err != nil {
		return nil, fmt.Errorf("%s pre-flight: %w", conn.Connector, err)
	}
	return fs, nil
}

func preflightJSON(fs []PreflightFinding) string {
	if len(fs) == 0 {
		return ""
	}
	b, err := json.Marshal(fs)
	if err != nil {
		return ""
	}
	return string(b)
}

// Findings are an order's stored findings.
func Findings(o *db.ImportOrder) []connectors.InvoiceFinding {
	var fs []connectors.InvoiceFinding
	if o.Findings != "" {
		_ = json.Unmarshal([]byte(o.Findings), &fs)
	}
	return fs
}

// Invoice is an order's invoice as stored, with its PDF when it has one
// (nil: the order was never stored, having errors). Rows stored before
// invoices were neutral hold the connector's own JSON, read back by it.
func (s *Service) Invoice(ctx context.Context, conn *db.Connection, o *db.ImportOrder) (*connectors.Invoice, error) {
	return s.invoice(ctx, conn, nil, o, true)
}

// Preview is Invoice without its PDF (ImportDocumentsOf tells of it), for
// pages that show a batch.
func (s *Service) Preview(ctx context.Context, conn *db.Connection, o *db.ImportOrder) (*connectors.Invoice, error) {
	return s.invoice(ctx, conn, nil, o, false)
}

// invoice is Invoice with the grant when the caller holds one.
func (s *Service) invoice(ctx context.Context, conn *db.Connection, g *connectors.Grant, o *db.ImportOrder, withPDF bool) (*connectors.Invoice, error) {
	if len(o.BodySealed) == 0 {
		return nil, nil
	}
	body, err := s.db.ImportOrderBody(o)
	if err != nil {
		return nil, err
	}
	var inv connectors.Invoice
	switch {
	case o.BodyFormat == db.BodyInvoice:
		err = json.Unmarshal(body, &inv)
	case g != nil:
		inv, err = s.ownInvoice(ctx, conn, *g, body)
	default:
		err = s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) error {
			inv, err = s.ownInvoice(ctx, conn, g, body)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("import order %d: %w", o.ID, err)
	}
	if !withPDF {
		return &inv, nil
	}
	doc, pdf, err := s.db.ImportPDF(ctx, o.ID)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		inv.PDF = &connectors.InvoicePDF{FileName: doc.FileName, Data: pdf}
	}
	return &inv, nil
}

// ownInvoice reads a body stored in the connector's own JSON.
func (s *Service) ownInvoice(ctx context.Context, conn *db.Connection, g connectors.Grant, body []byte) (connectors.Invoice, error) {
	own, ok := s.connectors[conn.Connector].(connectors.InvoiceFormats)
	if !ok || !slices.Contains(own.OwnFormats(), "json") {
		return connectors.Invoice{}, fmt.Errorf("%s reads no stored order: %w", conn.Connector, ErrNoImport)
	}
	// Reading back what Bilag stored needs no warnings about what was
	// sent before: no company to ask about.
	invs, _, err := own.ParseInvoices(connectors.WithCompany(ctx, 0), g, "json", body)
	if err != nil {
		return connectors.Invoice{}, err
	}
	if len(invs) != 1 {
		return connectors.Invoice{}, fmt.Errorf("%s: a stored order reads as %d", conn.Connector, len(invs))
	}
	return invs[0], nil
}

// StartImport runs the batch's pre-flight again (ErrPreflight while it
// finds anything), then queues the batch's invoices that may be sent, and
// those in again that a person chose to send again (sent before, or with
// an unknown outcome), and sends them one by one in the background. It
// returns how many are waiting.
func (s *Service) StartImport(ctx context.Context, conn *db.Connection, batchID int64, again []int64, by Sender) (int, error) {
	if _, err := s.Receiver(conn); err != nil {
		return 0, err
	}
	if _, ok := s.connectors[conn.Connector].(connectors.Pairer); ok {
		if err := s.preflightAgain(ctx, conn, batchID); err != nil {
			return 0, err
		}
	}
	n, err := s.db.QueueImportOrders(ctx, batchID, again, by.ID, by.Name)
	if err != nil || n == 0 {
		return n, err
	}
	s.ResumeImport(conn, batchID)
	return n, nil
}

// preflightAgain runs the pre-flight on the batch's stored invoices and
// records what it found now.
func (s *Service) preflightAgain(ctx context.Context, conn *db.Connection, batchID int64) error {
	ctx = connectors.WithCompany(ctx, conn.CompanyID)
	batch, err := s.batchInvoices(ctx, conn, batchID, true)
	if err != nil {
		return err
	}
	var pre []PreflightFinding
	if err := s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) error {
		pre, err = s.preflight(ctx, conn, g, batch)
		return err
	}); err != nil {
		return err
	}
	if err := s.db.SetImportPreflight(ctx, batchID, preflightJSON(pre)); err != nil {
		return err
	}
	if len(pre) > 0 {
		return fmt.Errorf("batch %d: %d findings: %w", batchID, len(pre), ErrPreflight)
	}
	return nil
}

// BatchInvoices are the stored invoices of the company's batch that may
// be sent (those without errors), in upload order, without their PDFs.
func (s *Service) BatchInvoices(ctx context.Context, conn *db.Connection, batchID int64) ([]connectors.Invoice, error) {
	return s.batchInvoices(ctx, conn, batchID, false)
}

// batchInvoices is BatchInvoices, with the PDFs when withPDF (a
// pre-flight may look at them).
func (s *Service) batchInvoices(ctx context.Context, conn *db.Connection, batchID int64, withPDF bool) ([]connectors.Invoice, error) {
	b, orders, err := s.db.ImportBatchOf(ctx, conn.CompanyID, batchID)
	if err != nil {
		return nil, err
	}
	if b.Connector != conn.Connector {
		return nil, fmt.Errorf("batch %d of %s, not %s: %w", batchID, b.Connector, conn.Connector, db.ErrNotFound)
	}
	var batch []connectors.Invoice
	for i := range orders {
		if orders[i].Status == db.ImportInvalid {
			continue
		}
		inv, err := s.invoice(ctx, conn, nil, &orders[i], withPDF)
		if err != nil {
			return nil, err
		}
		if inv != nil {
			batch = append(batch, *inv)
		}
	}
	return batch, nil
}

// importLease is how long a sender holds a batch without renewing it;
// it renews before every order.
const importLease = 5 * time.Minute

func importLeaseKey(batchID int64) string { return "import-batch:" + strconv.FormatInt(batchID, 10) }

// ResumeImport starts a sender for the batch unless one holds it (here or
// on another instance): after a restart, orders left waiting are sent by
// the next one to look.
func (s *Service) ResumeImport(conn *db.Connection, batchID int64) {
	snd, err := s.Receiver(conn)
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
		s.sendBatch(s.bg, snd, conn, batchID, holder)
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
func (s *Service) sendBatch(ctx context.Context, snd connectors.InvoiceSender, conn *db.Connection, batchID int64, holder string) {
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
	pairing, err := s.Pairing(ctx, conn)
	if err != nil {
		s.log.Warn("import: pairing", "connection_id", conn.ID, "err", err)
		_ = s.db.UnqueueImportOrders(keep, batchID)
		return
	}
	target := snd.InvoiceTarget(g)
	for {
		orders, err := s.db.QueuedImportOrders(ctx, batchID)
		if err != nil || len(orders) == 0 {
			return
		}
		for i := range orders {
			if ok, err := s.db.TakeLease(ctx, key, holder, s.now().Add(importLease)); err != nil || !ok {
				return // another sender has the batch now
			}
			if !s.sendOne(ctx, snd, g, pairing, conn, &orders[i], target) {
				_ = s.db.UnqueueImportOrders(keep, batchID)
				return
			}
		}
	}
}

// sendOne sends one order and records the answer; false when sending
// should stop (no answer, or not sent at all). An order a person asked to
// send again is first looked up where the connector can: found, it is
// settled without a send.
func (s *Service) sendOne(ctx context.Context, snd connectors.InvoiceSender, g connectors.Grant, pairing connectors.Pairing, conn *db.Connection, o *db.ImportOrder, target string) bool {
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
	attempt := func(kind, outcome string) db.ImportAttempt {
		return db.ImportAttempt{Kind: kind, Outcome: outcome, Target: target, ByID: o.SentBy, ByName: o.SentByName}
	}
	finish := func(status string, a db.ImportAttempt) {
		if err := s.db.FinishImportSend(keep, o.ID, status, a); err != nil {
			s.log.Warn("import: record answer", "order_id", o.ID, "err", err)
		}
	}
	inv, err := s.invoice(ctx, conn, &g, o, true)
	if err != nil || inv == nil {
		s.log.Warn("import: stored invoice", "order_id", o.ID, "err", err)
		a := attempt(db.AttemptSend, db.ImportNotSent)
		a.Code = "failed"
		finish(db.ImportNotSent, a)
		return false
	}
	if lk, ok := snd.(connectors.InvoiceLookup); ok && o.SendAgain {
		ans, found, err := lk.LookUpInvoice(ctx, g, pairing, *inv)
		s.log.Info("import: looked up", "batch_id", o.BatchID, "order_id", o.ID, "found", found, "err", err)
		switch {
		case err != nil:
			// Still unknown: nothing is sent while it is.
			a := attempt(db.AttemptLookup, db.ImportUnknown)
			a.Code = sendFailure(err)
			finish(db.ImportUnknown, a)
			return false
		case found:
			a := attempt(db.AttemptLookup, db.LookupFound)
			a.Code, a.Message, a.Reference = ans.Code, ans.Message, ans.Reference
			finish(db.ImportAccepted, a)
			return true
		}
		if err := s.db.RecordImportAttempt(keep, &db.ImportAttempt{OrderID: o.ID, BatchID: o.BatchID, CompanyID: o.CompanyID,
			Kind: db.AttemptLookup, Outcome: db.LookupAbsent, Target: target, ByID: o.SentBy, ByName: o.SentByName}); err != nil {
			return false
		}
	}
	ans, err := snd.SendInvoice(ctx, g, pairing, *inv)
	status := db.ImportRefused
	a := attempt(db.AttemptSend, "")
	a.Code, a.Message, a.Reference = ans.Code, ans.Message, ans.Reference
	switch {
	case err == nil && ans.Accepted:
		status = db.ImportAccepted
	case err == nil:
	case connectors.AnswerLost(err):
		status, a.Code, a.Message, a.Reference = db.ImportUnknown, "", "", ""
	default:
		status, a.Code, a.Message, a.Reference = db.ImportNotSent, sendFailure(err), "", ""
	}
	a.Outcome = status
	s.log.Info("import: order sent", "batch_id", o.BatchID, "order_id", o.ID, "status", status, "err", err)
	finish(status, a)
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
