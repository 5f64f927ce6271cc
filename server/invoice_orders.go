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
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
	"bilag/server/csvout"
)

// The import pages: a company's invoice orders sent upstream through a
// connection whose connector is a connectors.InvoiceImporter. Upload (a
// file or the one-order form) → every error and warning at once → send,
// one order at a time, with progress → the history. Nothing here knows
// which upstream it is.

// maxInvoiceOrderUpload bounds an uploaded file.
const maxInvoiceOrderUpload = 1 << 20

// orderFieldMax bounds a value of the one-order form (its inputs'
// maxlength in imports.html).
const orderFieldMax = 500

// importer is one connection that sends orders, as the pages show it.
type importer struct {
	Connector string
	Target    string
	Fields    []connectors.Field
	// Conn is the connection the orders go through.
	Conn *db.Connection
}

type invoiceOrdersPage struct {
	Company   *db.Company
	Importers []importer
	// Selected is the connector the upload goes to.
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
	// Form is the one-order form's values, kept after a failed upload.
	Form map[string]string
}

func (s *Server) importers(c echo.Context) ([]importer, map[string]*db.Connection, error) {
	co := currentCompany(c)
	conns, err := s.conns.Importers(c.Request().Context(), co.ID)
	if err != nil {
		return nil, nil, err
	}
	var out []importer
	byName := map[string]*db.Connection{}
	for i := range conns {
		conn := &conns[i]
		imp, err := s.conns.Importer(conn)
		if err != nil {
			continue
		}
		byName[conn.Connector] = conn
		out = append(out, importer{Connector: conn.Connector, Fields: imp.ImportFields(), Conn: conn})
	}
	return out, byName, nil
}

func (s *Server) showInvoiceOrders(c echo.Context) error {
	return s.renderInvoiceOrders(c, http.StatusOK, invoiceOrdersPage{})
}

func (s *Server) renderInvoiceOrders(c echo.Context, status int, p invoiceOrdersPage) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	u := currentUser(c)
	var err error
	p.Company, p.CanSend, p.IsAdmin = co, u.CanManageConnections(), u.IsAdmin()
	if p.Importers, _, err = s.importers(c); err != nil {
		return err
	}
	if p.Selected == "" && len(p.Importers) > 0 {
		p.Selected = p.Importers[0].Connector
	}
	if p.Orders, p.Batches, err = s.db.ImportHistory(ctx, co.ID, 100); err != nil {
		return err
	}
	for i := range p.Batches {
		if p.Importers != nil && p.Batches[i].Connector == p.Selected {
			for j := range p.Importers {
				if p.Importers[j].Connector == p.Selected && p.Importers[j].Target == "" {
					p.Importers[j].Target = p.Batches[i].Target
				}
			}
		}
	}
	if p.Form == nil {
		p.Form = map[string]string{}
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

// invoiceOrderTemplate is the connector's example CSV.
func (s *Server) invoiceOrderTemplate(c echo.Context) error {
	_, byName, err := s.importers(c)
	if err != nil {
		return err
	}
	conn, ok := byName[c.QueryParam("connector")]
	if !ok {
		return echo.ErrNotFound
	}
	imp, err := s.conns.Importer(conn)
	if err != nil {
		return err
	}
	tpl, err := spreadsheetCSV(imp.ImportTemplate())
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

// uploadInvoiceOrders reads a file, or the one-order form, checks it and stores
// it as a batch, then shows the batch: nothing is sent yet.
func (s *Server) uploadInvoiceOrders(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	co := currentCompany(c)
	_, byName, err := s.importers(c)
	if err != nil {
		return err
	}
	name := c.FormValue("connector")
	conn, ok := byName[name]
	if !ok {
		return s.renderInvoiceOrders(c, http.StatusUnprocessableEntity, invoiceOrdersPage{Error: "imports.err.connection"})
	}
	imp, err := s.conns.Importer(conn)
	if err != nil {
		return err
	}
	p := invoiceOrdersPage{Selected: name}
	data, format, source, status, err := readOrderUpload(c, imp, &p)
	if err != nil || status != 0 {
		if err != nil {
			return err
		}
		return s.renderInvoiceOrders(c, status, p)
	}
	b, err := s.conns.PrepareImport(ctx, conn, connections.Sender{ID: &u.ID, Name: u.Name}, source, format, data)
	var fe *connectors.ImportFileError
	if errors.As(err, &fe) {
		p.Error, p.ErrorArgs = "imports.file."+fe.Code, []any{fe.Row, fe.Name}
		return s.renderInvoiceOrders(c, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/companies/"+strconv.FormatInt(co.ID, 10)+"/imports/"+strconv.FormatInt(b.ID, 10))
}

// readOrderUpload is the uploaded file, or the one-order form as a CSV, with
// its format and source; a status (and p.Error) when there is none.
func readOrderUpload(c echo.Context, imp connectors.InvoiceImporter, p *invoiceOrdersPage) (data []byte, format, source string, status int, err error) {
	if c.FormValue("mode") == "form" {
		data, p.Form = oneOrderCSV(c, imp.ImportFields())
		return data, "csv", "form", 0, nil
	}
	fh, err := c.FormFile("file")
	if err != nil {
		p.Error = "imports.err.nofile"
		return nil, "", "", http.StatusUnprocessableEntity, nil
	}
	if fh.Size > maxInvoiceOrderUpload {
		p.Error = "imports.err.toolarge"
		return nil, "", "", http.StatusRequestEntityTooLarge, nil
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", "", 0, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	if data, err = io.ReadAll(io.LimitReader(f, maxInvoiceOrderUpload+1)); err != nil {
		return nil, "", "", 0, fmt.Errorf("read upload: %w", err)
	}
	source = cleanFileName(fh.Filename)
	return data, uploadFormat(source, data, imp.ImportFormats()), source, 0, nil
}

// oneOrderCSV is the one-order form as a CSV of one row, and the values
// typed (to show again).
func oneOrderCSV(c echo.Context, fields []connectors.Field) ([]byte, map[string]string) {
	var header, row []string
	typed := map[string]string{}
	for _, f := range fields {
		v := strings.TrimSpace(c.FormValue("f_" + f.Name))
		if len(v) > orderFieldMax {
			v = v[:orderFieldMax]
		}
		typed[f.Name] = v
		header, row = append(header, f.Name), append(row, v)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = ';'
	_ = w.Write(header)
	_ = w.Write(row)
	w.Flush()
	return b.Bytes(), typed
}

// uploadFormat is the file's format by its name, else by its first byte.
func uploadFormat(name string, data []byte, formats []string) string {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	for _, f := range formats {
		if f == ext {
			return f
		}
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return "json"
	}
	return "csv"
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

// orderView is one order of a batch as its page shows it.
type orderView struct {
	db.ImportOrder
	Findings []findingView
	// Previous is the same order sent before, when there was one.
	Previous *db.ImportOrder
	// More counts findings not kept.
	More int
	// Note says what became of a refused order or one not sent.
	Note string
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
	// Progressed counts the orders that are no longer waiting to be sent.
	Progressed int
	System     string
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
	var err error
	for i := range orders {
		o := orders[i]
		v := orderView{ImportOrder: o}
		fs := connections.Findings(&o)
		v.More = o.Errors + o.Warnings - len(fs)
		for _, f := range fs {
			v.Findings = append(v.Findings, s.findingView(c, b.Connector, f))
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
		case db.ImportQueued, db.ImportSending:
			p.Pending++
		case db.ImportAccepted, db.ImportRefused:
			p.Done++
		}
		p.Orders = append(p.Orders, v)
	}
	p.Progressed = len(p.Orders) - p.Pending
	if p.Pending > 0 {
		// Orders left waiting (a restart) get a sender; one that is
		// running keeps the batch.
		if _, byName, err := s.importers(c); err == nil {
			if conn, ok := byName[b.Connector]; ok {
				s.conns.ResumeImport(conn, b.ID)
			}
		}
	}
	return p, nil
}

// findingView words a finding in the person's language: the connector's
// text of its code, else a neutral one.
func (s *Server) findingView(c echo.Context, connector string, f connectors.ImportFinding) findingView {
	text := s.ct(c, connector, "imports.f."+f.Code)
	if text == "imports.f."+f.Code {
		text = s.t(c, "imports.f.other")
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

// sendInvoiceOrders queues the batch's orders that may be sent, and those ticked
// "send again", and sends them in the background; the batch page shows
// the progress.
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
	_, byName, err := s.importers(c)
	if err != nil {
		return err
	}
	conn, ok := byName[b.Connector]
	if !ok {
		return echo.NewHTTPError(http.StatusConflict)
	}
	again := againIDs(c)
	n, err := s.conns.StartImport(ctx, conn, b.ID, again, connections.Sender{ID: &u.ID, Name: u.Name})
	if err == nil && n > 0 {
		err = s.db.Audit(ctx, db.AuditEvent{At: s.now(), UserID: &u.ID, Actor: u.Email, Action: db.AuditImportSend, CompanyID: &co.ID,
			Target: b.Target, Detail: fmt.Sprintf("upload %d: %d orders (%d sent again)", b.ID, n, len(again)), RemoteIP: c.RealIP()})
	}
	if err != nil {
		return err
	}
	if n == 0 {
		_ = s.flash(c, s.t(c, "imports.send.none"))
	}
	return c.Redirect(http.StatusSeeOther, "/companies/"+strconv.FormatInt(co.ID, 10)+"/imports/"+strconv.FormatInt(b.ID, 10))
}

// againIDs are the orders ticked "send again".
func againIDs(c echo.Context) []int64 {
	form, err := c.FormParams()
	if err != nil {
		return nil
	}
	var again []int64
	for _, v := range form["again"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
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

// disconnectInvoiceOrders ends a connection that sends orders, beside whatever
// connection the company reads from (the company page's disconnect ends
// that one).
func (s *Server) disconnectInvoiceOrders(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	back := fmt.Sprintf("/companies/%d/imports", co.ID)
	if c.FormValue("confirm") != "yes" {
		return s.flashTo(c, s.t(c, "conn.disconnect.unconfirmed"), back)
	}
	_, byName, err := s.importers(c)
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
