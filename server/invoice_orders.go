package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/connectors/invoice"
	"bilag/db"
	"bilag/server/connections"
	"bilag/server/csvout"
)

// The import pages: a company's invoices sent into its books through a
// connection whose connector is a connectors.InvoiceSender. Upload (a file
// in Bilag's invoice format or the connector's own, or the one-invoice
// form) → every error and warning at once, and the pre-flight → the
// preview → send, one invoice at a time, with progress and counts → the
// history of every exchange. Nothing here knows which upstream it is.

// maxInvoiceOrderUpload bounds an uploaded file.
const maxInvoiceOrderUpload = 1 << 20

// orderFieldMax bounds a value of the one-invoice form (its inputs'
// maxlength in imports.html).
const orderFieldMax = 500

// receiver is one connection that receives invoices, as the pages show it.
type receiver struct {
	Connector string
	// Conn is the connection the invoices go through.
	Conn *db.Connection
	// Own: the connector reads its own upload format too.
	Own bool
	// Demo: demo mode has a sample upload for the connector.
	Demo bool
	// The one-invoice form's fields: the invoice's, and each line's.
	InvoiceFields, LineFields []formField
}

// formField is one input of the one-invoice form: a column of Bilag's
// CSV format.
type formField struct {
	Column, Label string
}

type invoiceOrdersPage struct {
	Company   *db.Company
	Importers []receiver
	// Selected is the connector the upload and the form go to.
	Selected string
	CanSend  bool
	IsAdmin  bool
	Orders   []db.ImportOrder
	Batches  []db.ImportBatch
	// Error is the catalogue key of what was wrong with the upload;
	// ErrorArgs fill it; ErrorText is the two, in the person's language.
	Error     string
	ErrorArgs []any
	ErrorText string
	// Form is the one-invoice form's values by input name, kept after a
	// failed upload; FormLines numbers its lines.
	Form      map[string]string
	FormLines []int
}

// Sel is the selected receiver.
func (p invoiceOrdersPage) Sel() *receiver {
	for i := range p.Importers {
		if p.Importers[i].Connector == p.Selected {
			return &p.Importers[i]
		}
	}
	return nil
}

func (s *Server) receivers(c echo.Context) ([]receiver, map[string]*db.Connection, error) {
	co := currentCompany(c)
	conns, err := s.conns.Receivers(c.Request().Context(), co.ID)
	if err != nil {
		return nil, nil, err
	}
	var out []receiver
	byName := map[string]*db.Connection{}
	for i := range conns {
		conn := &conns[i]
		snd, err := s.conns.Receiver(conn)
		if err != nil {
			continue
		}
		byName[conn.Connector] = conn
		r := receiver{Connector: conn.Connector, Conn: conn}
		_, r.Own = snd.(connectors.InvoiceFormats)
		r.Demo = len(s.demoInv[conn.Connector]) > 0
		inv, lines := invoice.FormColumns(snd.ExampleInvoice())
		r.InvoiceFields, r.LineFields = s.formFields(c, inv), s.formFields(c, lines)
		out = append(out, r)
	}
	return out, byName, nil
}

// formFields labels the form's columns: Bilag's own fields in the
// person's language, a connector's extension fields by their name.
func (s *Server) formFields(c echo.Context, cols []string) []formField {
	out := make([]formField, len(cols))
	for i, col := range cols {
		label := s.t(c, "imports.field."+strings.TrimPrefix(col, "line."))
		if strings.Contains(col, "extensions.") {
			label = col[strings.LastIndex(col, ".")+1:]
		}
		out[i] = formField{Column: col, Label: label}
	}
	return out
}

func (s *Server) showInvoiceOrders(c echo.Context) error {
	return s.renderInvoiceOrders(c, http.StatusOK, invoiceOrdersPage{Selected: c.QueryParam("connector")})
}

func (s *Server) renderInvoiceOrders(c echo.Context, status int, p invoiceOrdersPage) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	u := currentUser(c)
	var err error
	p.Company, p.CanSend, p.IsAdmin = co, u.CanManageConnections(), u.IsAdmin()
	if p.Importers, _, err = s.receivers(c); err != nil {
		return err
	}
	if p.Sel() == nil && len(p.Importers) > 0 {
		p.Selected = p.Importers[0].Connector
	}
	if p.Orders, p.Batches, err = s.db.ImportHistory(ctx, co.ID, 100); err != nil {
		return err
	}
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	for n := 1; n <= invoice.FormLines; n++ {
		p.FormLines = append(p.FormLines, n)
	}
	if p.Error != "" {
		p.ErrorText = s.t(c, p.Error)
		if strings.Contains(p.ErrorText, "%") && len(p.ErrorArgs) > 0 {
			p.ErrorText = s.t(c, p.Error, p.ErrorArgs...)
		}
	}
	pg := s.page(c, s.t(c, "imports.title", co.Name), p)
	return c.Render(status, "imports", pg)
}

// receiverOf is the company's receiving connection named by the query's
// connector, and its connector.
func (s *Server) receiverOf(c echo.Context) (*db.Connection, connectors.InvoiceSender, error) {
	_, byName, err := s.receivers(c)
	if err != nil {
		return nil, nil, err
	}
	conn, ok := byName[c.QueryParam("connector")]
	if !ok {
		return nil, nil, echo.ErrNotFound
	}
	snd, err := s.conns.Receiver(conn)
	return conn, snd, err
}

// invoiceOrderTemplate is the connector's example CSV in its own format,
// or in Bilag's when it has none.
func (s *Server) invoiceOrderTemplate(c echo.Context) error {
	conn, snd, err := s.receiverOf(c)
	if err != nil {
		return err
	}
	tpl := invoice.TemplateCSV(snd.ExampleInvoice())
	if own, ok := snd.(connectors.InvoiceFormats); ok {
		tpl = own.OwnTemplate()
	}
	tpl, err = spreadsheetCSV(tpl)
	if err != nil {
		return fmt.Errorf("%s order template: %w", conn.Connector, err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+conn.Connector+`-orders.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", tpl)
}

// spreadsheetCSV is a connector's example CSV written again by csvout, as
// every CSV Bilag hands out is: its decimal commas ("123,56") quoted, so a
// spreadsheet splitting on "," keeps each in one cell. It keeps the
// separator the upload parsers read it by (";" when the header line has
// more of them than of ",").
func spreadsheetCSV(data []byte) ([]byte, error) {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	comma := ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		comma = ';'
	}
	rd := csv.NewReader(bytes.NewReader(data))
	rd.Comma, rd.FieldsPerRecord = comma, -1
	recs, err := rd.ReadAll()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w := csvout.NewWriter(&b, comma)
	for _, rec := range recs {
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// invoiceTemplate is an example upload in Bilag's invoice format, CSV or
// JSON, written from the connector's example (its extension filled in).
func (s *Server) invoiceTemplate(c echo.Context) error {
	conn, snd, err := s.receiverOf(c)
	if err != nil {
		return err
	}
	ex := snd.ExampleInvoice()
	name, typ, tpl := conn.Connector+"-invoices.json", "application/json; charset=utf-8", invoice.TemplateJSON(ex)
	if !strings.HasSuffix(c.Path(), ".json") {
		name, typ = conn.Connector+"-invoices.csv", "text/csv; charset=utf-8"
		if tpl, err = spreadsheetCSV(invoice.TemplateCSV(ex)); err != nil {
			return fmt.Errorf("%s invoice template: %w", conn.Connector, err)
		}
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, typ, tpl)
}

// demoInvoices is demo mode's sample upload for the connector: a file to
// upload as a person would their own, so that the demo walks the real
// path (upload → check → pre-flight → send).
func (s *Server) demoInvoices(c echo.Context) error {
	conn, _, err := s.receiverOf(c)
	if err != nil {
		return err
	}
	sample := s.demoInv[conn.Connector]
	if len(sample) == 0 {
		return echo.ErrNotFound
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+conn.Connector+`-demo-invoices.json"`)
	return c.Blob(http.StatusOK, "application/json; charset=utf-8", sample)
}

// uploadInvoiceOrders reads a file, or the one-invoice form, checks it and
// stores it as a batch, then shows the batch: nothing is sent yet.
func (s *Server) uploadInvoiceOrders(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	co := currentCompany(c)
	recv, byName, err := s.receivers(c)
	if err != nil {
		return err
	}
	name := c.FormValue("connector")
	conn, ok := byName[name]
	if !ok {
		return s.renderInvoiceOrders(c, http.StatusUnprocessableEntity, invoiceOrdersPage{Error: "imports.err.connection"})
	}
	p := invoiceOrdersPage{Selected: name}
	var r receiver
	for _, x := range recv {
		if x.Connector == name {
			r = x
		}
	}
	up, status, err := readInvoiceUpload(c, r, &p)
	if err != nil || status != 0 {
		if err != nil {
			return err
		}
		return s.renderInvoiceOrders(c, status, p)
	}
	b, err := s.conns.PrepareImport(ctx, conn, connections.Sender{ID: &u.ID, Name: u.Name}, up)
	if err != nil {
		return s.uploadProblem(c, p, err)
	}
	return c.Redirect(http.StatusSeeOther, "/companies/"+strconv.FormatInt(co.ID, 10)+"/imports/"+strconv.FormatInt(b.ID, 10))
}

// uploadProblem renders the upload's page for a file that cannot be read,
// or a target that does not answer (its checks run at upload): said on
// the upload's own page, which keeps the choice of connection. Any other
// error is returned.
func (s *Server) uploadProblem(c echo.Context, p invoiceOrdersPage, err error) error {
	var fe *connectors.ImportFileError
	if errors.As(err, &fe) {
		p.Error, p.ErrorArgs = "imports.file."+fe.Code, []any{fe.Row, fe.Name}
		return s.renderInvoiceOrders(c, http.StatusUnprocessableEntity, p)
	}
	if a, ok := s.upstreamAnswerTo(c, err); ok {
		s.log.WarnContext(c.Request().Context(), "imports: upload's checks", "company_id", currentCompany(c).ID, "connector", p.Selected, "err", err)
		p.ErrorText = a.Text
		return s.renderInvoiceOrders(c, a.Status, p)
	}
	return err
}

// readInvoiceUpload is the uploaded file, or the one-invoice form as Bilag's
// CSV; a status (and p.Error) when there is none.
func readInvoiceUpload(c echo.Context, r receiver, p *invoiceOrdersPage) (connections.Upload, int, error) {
	if c.FormValue("mode") == "form" {
		up := connections.Upload{Source: "form", Format: connections.FormatForm}
		up.Data, p.Form = oneInvoiceCSV(c, r)
		pdf, status, err := formPDF(c, p)
		up.PDF = pdf
		return up, status, err
	}
	data, name, status, err := readFile(c, "file", p)
	if err != nil || status != 0 {
		return connections.Upload{}, status, err
	}
	return connections.Upload{Source: cleanFileName(name), Format: uploadFormat(name, data), Data: data}, 0, nil
}

// readFile reads the form's file field; a status (and p.Error) when it is
// missing or too large.
func readFile(c echo.Context, field string, p *invoiceOrdersPage) ([]byte, string, int, error) {
	fh, err := c.FormFile(field)
	if err != nil {
		p.Error = "imports.err.nofile"
		return nil, "", http.StatusUnprocessableEntity, nil
	}
	if fh.Size > maxInvoiceOrderUpload {
		p.Error = "imports.err.toolarge"
		return nil, "", http.StatusRequestEntityTooLarge, nil
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", 0, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInvoiceOrderUpload+1))
	if err != nil {
		return nil, "", 0, fmt.Errorf("read upload: %w", err)
	}
	return data, fh.Filename, 0, nil
}

// formPDF is the PDF attached to the one-invoice form, if any.
func formPDF(c echo.Context, p *invoiceOrdersPage) (*connectors.InvoicePDF, int, error) {
	if _, err := c.FormFile("pdf"); err != nil {
		return nil, 0, nil // none attached (or not a multipart form)
	}
	data, name, status, err := readFile(c, "pdf", p)
	if err != nil || status != 0 {
		return nil, status, err
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		p.Error = "imports.err.notpdf"
		return nil, http.StatusUnprocessableEntity, nil
	}
	return &connectors.InvoicePDF{FileName: cleanFileName(name), Data: data}, 0, nil
}

// formInput is the form's input name of a column: f_<column> for the
// invoice's, f<n>_<column> for line n's.
func formInput(col string, line int) string {
	if line == 0 {
		return "f_" + col
	}
	return "f" + strconv.Itoa(line) + "_" + col
}

// oneInvoiceCSV is the one-invoice form as Bilag's CSV, and the values
// typed by input name (to show again).
func oneInvoiceCSV(c echo.Context, r receiver) ([]byte, map[string]string) {
	typed := map[string]string{}
	cols := func(fs []formField) []string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = f.Column
		}
		return out
	}
	data := invoice.FormCSV(cols(r.InvoiceFields), cols(r.LineFields), func(col string, line int) string {
		name := formInput(col, line)
		v := strings.TrimSpace(c.FormValue(name))
		if len(v) > orderFieldMax {
			v = v[:orderFieldMax]
		}
		typed[name] = v
		return v
	})
	return data, typed
}

// uploadFormat is the file's format by its name, else by its first byte.
func uploadFormat(name string, data []byte) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return invoice.FormatJSON
	case ".csv":
		return invoice.FormatCSV
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return invoice.FormatJSON
	}
	return invoice.FormatCSV
}

// cleanFileName is an uploaded file's base name with only letters,
// digits, ".", "_", " " and "-" kept (a rune test, not an expression
// compiled at start).
func cleanFileName(n string) string {
	n = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("._ -", r) {
			return r
		}
		return -1
	}, path.Base(strings.ReplaceAll(n, `\`, "/")))
	if len(n) > 100 {
		n = n[:100]
	}
	return n
}

// orderView is one invoice of a batch as its page shows it.
type orderView struct {
	db.ImportOrder
	Findings []findingView
	// Previous is the same invoice sent before, when there was one.
	Previous *db.ImportOrder
	// More counts findings not kept.
	More int
	// Note says what became of a refused invoice or one not sent.
	Note string
	// Invoice is the invoice as stored, for the preview (nil while the
	// batch is being sent, or when it was never stored).
	Invoice *connectors.Invoice
	// PDF is the invoice's PDF kept with it, when there is one.
	PDF *db.ImportDocument
	// Attempts are its exchanges with the upstream, oldest first, the
	// actions on it after it was accepted apart (Acted).
	Attempts []db.ImportAttempt
	// Actions are what those who manage the company may do to the
	// invoice upstream now that it is there (netvisor_invoices.go).
	Actions []actionButton
	Acted   []actedView
}

type findingView struct {
	Line    int
	Field   string
	Text    string
	Warning bool
}

type batchPage struct {
	Company *db.Company
	Batch   *db.ImportBatch
	Orders  []orderView
	CanSend bool
	// Counts by what can happen to them.
	Sendable, Again, Pending, Done int
	// Progressed counts the invoices that are no longer waiting to be sent.
	Progressed int
	// The counts of sending: how many were asked to be sent, and what came
	// of them so far.
	ToSend, Sent, Refused, Unknown, NotSent int
	System                                  string
	// Lookup: the upstream can be asked about an invoice whose answer was
	// lost, and is before it is sent again.
	Lookup bool
	// Preflight is what the pre-flight found, in the person's language;
	// PairURL is the pairing page to settle it on, with this batch's
	// codes ("" when the system needs no pairing).
	Preflight []string
	PairURL   string
}

func (s *Server) showInvoiceOrderBatch(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	id, err := paramID(c, "batchID")
	if err != nil {
		return err
	}
	b, orders, err := s.db.ImportBatchOf(ctx, co.ID, id)
	if err != nil {
		return err
	}
	p, err := s.batchPage(c, b, orders)
	if err != nil {
		return err
	}
	return s.render(c, "import_batch", s.t(c, "imports.batch.title", co.Name), p)
}

// batchPage is what the batch page shows of b and its orders.
func (s *Server) batchPage(c echo.Context, b *db.ImportBatch, orders []db.ImportOrder) (batchPage, error) {
	ctx := c.Request().Context()
	co := currentCompany(c)
	p := batchPage{Company: co, Batch: b, CanSend: currentUser(c).CanManageConnections(), System: s.connectorName(s.lang(c), b.Connector)}
	conn, err := s.batchReceiver(c, b)
	if err != nil {
		return p, err
	}
	if conn != nil {
		if snd, err := s.conns.Receiver(conn); err == nil {
			_, p.Lookup = snd.(connectors.InvoiceLookup)
		}
	}
	attempts, err := s.db.ImportAttemptsOf(ctx, b.ID)
	if err != nil {
		return p, err
	}
	docs, err := s.db.ImportDocumentsOf(ctx, b.ID)
	if err != nil {
		return p, err
	}
	for _, f := range connections.PreflightFindings(b) {
		p.Preflight = append(p.Preflight, s.preflightText(c, b.Connector, f))
	}
	if conn != nil && len(p.Preflight) > 0 && s.pairs(conn) {
		p.PairURL = fmt.Sprintf("/companies/%d/pairing/%s?batch=%d", co.ID, conn.Connector, b.ID)
	}
	for i := range orders {
		o := orders[i]
		if o.Status == db.ImportQueued || o.Status == db.ImportSending {
			p.Pending++
		}
	}
	for i := range orders {
		o := orders[i]
		v := orderView{ImportOrder: o}
		if d, ok := docs[o.ID]; ok {
			v.PDF = &d
		}
		s.orderActions(c, conn, &v, orderAttempts(attempts, o.ID))
		fs := connections.Findings(&o)
		v.More = o.Errors + o.Warnings - len(fs)
		for _, f := range fs {
			v.Findings = append(v.Findings, s.findingView(c, b.Connector, f))
		}
		if p.Pending == 0 && conn != nil {
			if v.Invoice, err = s.conns.Preview(ctx, conn, &o); err != nil {
				return p, err
			}
		}
		switch o.Status {
		case db.ImportRefused:
			v.Note = s.ct(c, b.Connector, "imports.refused", targetHost(o.Target))
		case db.ImportNotSent:
			v.Note = s.t(c, "imports.notsent")
			if o.AnswerCode != "" {
				v.Note = s.t(c, "imports.notsent."+o.AnswerCode)
			}
		}
		switch o.Status {
		case db.ImportReady, db.ImportNotSent:
			p.Sendable++
		case db.ImportDuplicate, db.ImportUnknown:
			p.Again++
			if v.Previous, err = s.db.PreviousImport(ctx, co.ID, b.Connector, o.OrderKey, o.Digest, o.ID); err != nil {
				return p, err
			}
		case db.ImportAccepted, db.ImportRefused:
			p.Done++
		}
		p.count(o)
		p.Orders = append(p.Orders, v)
	}
	p.Progressed = len(p.Orders) - p.Pending
	if p.Pending > 0 && conn != nil {
		// Orders left waiting (a restart) get a sender; one that is
		// running keeps the batch.
		s.conns.ResumeImport(conn, b.ID)
	}
	return p, nil
}

// count adds an invoice to the counts of sending: one a person asked to
// send (it has a sender) is to send, and counts by what came of it.
func (p *batchPage) count(o db.ImportOrder) {
	asked := o.SentByName != "" || o.SentBy != nil
	switch o.Status {
	case db.ImportQueued, db.ImportSending:
	case db.ImportAccepted:
		p.Sent++
	case db.ImportRefused:
		p.Refused++
	case db.ImportUnknown:
		p.Unknown++
	case db.ImportNotSent:
		if !asked {
			return
		}
		p.NotSent++
	default:
		return
	}
	p.ToSend++
}

// batchReceiver is the company's receiving connection of b's connector,
// nil when it has none (any more).
func (s *Server) batchReceiver(c echo.Context, b *db.ImportBatch) (*db.Connection, error) {
	_, byName, err := s.receivers(c)
	if err != nil {
		return nil, err
	}
	return byName[b.Connector], nil
}

// findingView words a finding in the person's language: the connector's
// text of its code, else the core's, else a neutral one.
func (s *Server) findingView(c echo.Context, connector string, f connectors.InvoiceFinding) findingView {
	return s.findingIn(s.lang(c), connector, f)
}

// findingIn is findingView in lang (the API's findings are in English).
func (s *Server) findingIn(lang, connector string, f connectors.InvoiceFinding) findingView {
	text := s.views.TranslateFor(lang, connector, "imports.f."+f.Code)
	if text == "imports.f."+f.Code {
		text = s.views.Translate(lang, "imports.f.other")
	}
	if strings.Contains(text, "%s") {
		text = fmt.Sprintf(text, f.Arg)
	}
	field := f.Field
	if f.Index > 0 {
		field += " " + strconv.Itoa(f.Index)
	}
	return findingView{Line: f.Line, Field: field, Text: text, Warning: f.Warning}
}

// preflightText words a pre-flight finding: the connector's text of its
// code, else the core's, with how many invoices it concerns.
func (s *Server) preflightText(c echo.Context, connector string, f connections.PreflightFinding) string {
	return s.preflightIn(s.lang(c), connector, f)
}

// preflightIn is preflightText in lang (the API's are in English).
func (s *Server) preflightIn(lang, connector string, f connections.PreflightFinding) string {
	key := "imports.preflight." + f.Code
	args := make([]any, len(f.Args))
	for i, a := range f.Args {
		args[i] = a
	}
	text := s.views.TranslateFor(lang, connector, key, args...)
	own := text != key
	if !own {
		text = s.views.Translate(lang, "imports.preflight.other", f.Code)
	}
	// A connector's own words that count the invoices are not counted
	// twice ("(used by 3 invoices). (concerns 3)").
	if len(f.Invoices) > 0 && !(own && f.Counted) {
		text += " " + s.views.Translate(lang, "imports.preflight.invoices", len(f.Invoices))
	}
	return text
}

// sendInvoiceOrders queues the batch's invoices that may be sent, and
// those ticked "send again", and sends them in the background; the batch
// page shows the progress. Every send is audited.
func (s *Server) sendInvoiceOrders(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	u := currentUser(c)
	id, err := paramID(c, "batchID")
	if err != nil {
		return err
	}
	b, _, err := s.db.ImportBatchOf(ctx, co.ID, id)
	if err != nil {
		return err
	}
	conn, err := s.batchReceiver(c, b)
	if err != nil {
		return err
	}
	if conn == nil {
		return echo.NewHTTPError(http.StatusConflict)
	}
	back := "/companies/" + strconv.FormatInt(co.ID, 10) + "/imports/" + strconv.FormatInt(b.ID, 10)
	again := againIDs(c)
	n, err := s.conns.StartImport(ctx, conn, b.ID, again, connections.Sender{ID: &u.ID, Name: u.Name})
	if err != nil {
		return s.sendProblem(c, b.ID, err, back)
	}
	if n > 0 {
		err = s.db.Audit(ctx, db.AuditEvent{At: s.now(), UserID: &u.ID, Actor: u.Email, Action: db.AuditImportSend, CompanyID: &co.ID,
			Target: b.Target, Detail: fmt.Sprintf("upload %d: %d orders (%d sent again)", b.ID, n, len(again)), RemoteIP: c.RealIP()})
	}
	if err != nil {
		return err
	}
	if n == 0 {
		_ = s.flash(c, s.t(c, "imports.send.none"))
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// sendProblem goes back to the batch's page saying why nothing was sent:
// the check before sending found what the company lacks, or the target
// did not answer it. Any other error is returned.
func (s *Server) sendProblem(c echo.Context, batchID int64, err error, back string) error {
	if errors.Is(err, connections.ErrPreflight) {
		return s.flashTo(c, s.t(c, "imports.preflight.blocked"), back)
	}
	if a, ok := s.upstreamAnswerTo(c, err); ok {
		s.log.WarnContext(c.Request().Context(), "imports: check before sending", "company_id", currentCompany(c).ID, "batch_id", batchID, "err", err)
		return s.flashTo(c, a.Text, back)
	}
	return err
}

// againIDs are the orders ticked "send again".
func againIDs(c echo.Context) []int64 {
	form, err := c.FormParams()
	if err != nil {
		return nil
	}
	var again []int64
	for _, v := range form["again"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && !slices.Contains(again, n) {
			again = append(again, n)
		}
	}
	return again
}

// targetHost is the host of a target that is a URL ("your server at
// visma.example.no:8090"), else the target.
func targetHost(target string) string {
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		return u.Host
	}
	return target
}

// disconnectInvoiceOrders ends a connection that receives invoices, beside
// whatever connection the company reads from (the company page's
// disconnect ends that one).
func (s *Server) disconnectInvoiceOrders(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	back := fmt.Sprintf("/companies/%d/imports", co.ID)
	if c.FormValue("confirm") != "yes" {
		return s.flashTo(c, s.t(c, "conn.disconnect.unconfirmed"), back)
	}
	_, byName, err := s.receivers(c)
	if err != nil {
		return err
	}
	conn, ok := byName[c.FormValue("connector")]
	if !ok {
		return echo.ErrNotFound
	}
	if err := s.conns.Disconnect(ctx, conn); err != nil {
		return err
	}
	s.audit(c, db.AuditDisconnect, &co.ID, conn.Connector, "")
	return s.flashTo(c, s.t(c, "conn.disconnected.flash"), back)
}
