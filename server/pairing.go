package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
	"bilag/server/csvout"
)

// The pairing page: a company's pairing for one receiving system whose
// connector is a connectors.Pairer, one table per connectors.PairingTable,
// the target's own lists read live. Members see it; admins and member
// analysts change it (the form, a suggestion taken with one click, a
// CSV), every change audited old → new. Reached from a batch's pre-flight
// (?batch=N), it lists the codes that batch's invoices use.

// maxPairingUpload bounds an uploaded pairing CSV.
const maxPairingUpload = 1 << 20

type pairingPage struct {
	Company *db.Company
	// Connector is the system's connector, System its name as people
	// know it.
	Connector, System string
	CanEdit           bool
	// Batch is the upload the page was reached from, 0 when none; Back is
	// the page's own address with it.
	Batch int64
	Back  string
	// ImportURL is where the CSV goes, with the batch.
	ImportURL string
	Tables    []pairingTableView
	// Problem says why the target's lists could not be read; the page
	// then shows no tables.
	Problem string
	// Errors are what was wrong with a change, in words; nothing was
	// changed.
	Errors []string
}

type pairingTableView struct {
	Name, Title, Help string
	Open              bool
	// Uses: a row is used by the batch's invoices (the column shows).
	Uses    bool
	Options []connectors.PairingOption
	Rows    []pairingRowView
}

type pairingRowView struct {
	connectors.PairingRow
	// ID is the row's number on the page, for its inputs' ids and its
	// suggestion's form.
	ID int
	// Label is the row's label in the reader's words; ValueLabel the
	// label of the option paired.
	Label, ValueLabel string
	// Stale: the value paired is not among the target's options (any
	// more).
	Stale bool
}

// pairingLink is a link to a pairing page: its connector, and the
// system's name as people know it.
type pairingLink struct{ Connector, System string }

// pairingLinks are the current company's active receiving connections
// whose systems need a pairing.
func (s *Server) pairingLinks(c echo.Context) ([]pairingLink, error) {
	conns, _, err := s.receivers(c)
	if err != nil {
		return nil, err
	}
	var out []pairingLink
	for _, r := range conns {
		if s.pairs(r.Conn) {
			out = append(out, pairingLink{Connector: r.Connector, System: s.connectorName(s.lang(c), r.Connector)})
		}
	}
	return out, nil
}

// pairs: conn's system needs a pairing (its connector is a Pairer).
func (s *Server) pairs(conn *db.Connection) bool {
	_, err := s.conns.Pairer(conn)
	return err == nil
}

// pairingConn is the company's active receiving connection of the route's
// connector, and that connector is a Pairer; 404 otherwise.
func (s *Server) pairingConn(c echo.Context, connector string) (*db.Connection, error) {
	_, byName, err := s.receivers(c)
	if err != nil {
		return nil, err
	}
	conn, ok := byName[connector]
	if !ok {
		return nil, echo.ErrNotFound
	}
	if !s.pairs(conn) {
		return nil, echo.ErrNotFound
	}
	return conn, nil
}

// showPairing is the page, or with ".csv" after the connector the
// pairing as CSV.
func (s *Server) showPairing(c echo.Context) error {
	name, csvWanted := strings.CutSuffix(c.Param("connector"), ".csv")
	conn, err := s.pairingConn(c, name)
	if err != nil {
		return err
	}
	if csvWanted {
		return s.exportPairing(c, conn)
	}
	return s.renderPairing(c, conn, http.StatusOK, nil)
}

// renderPairing renders the page with errs (a change's problems, in
// words) at status.
func (s *Server) renderPairing(c echo.Context, conn *db.Connection, status int, errs []string) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	p := pairingPage{Company: co, Connector: conn.Connector, System: s.connectorName(s.lang(c), conn.Connector),
		CanEdit: currentUser(c).CanManageConnections(), Errors: errs}
	var err error
	if p.Back, p.Batch, err = pairingURL(c, conn); err != nil {
		return err
	}
	p.ImportURL = strings.Replace(p.Back, "/pairing/"+conn.Connector, "/pairing/"+conn.Connector+"/import", 1)
	var seen []connectors.Invoice
	if p.Batch > 0 {
		if seen, err = s.conns.BatchInvoices(ctx, conn, p.Batch); err != nil {
			return err
		}
	}
	tables, err := s.conns.PairingTables(ctx, conn, seen)
	if err != nil {
		if p.Problem, err = s.pairingProblem(c, conn, err); err != nil {
			return err
		}
	}
	p.Tables = s.pairingTables(c, conn.Connector, tables)
	return c.Render(status, "pairing", s.page(c, s.t(c, "pairing.title", p.System, co.Name), p))
}

// pairingURL is the page's address, with the batch the query names (404
// for one that is no number).
func pairingURL(c echo.Context, conn *db.Connection) (string, int64, error) {
	u := "/companies/" + strconv.FormatInt(conn.CompanyID, 10) + "/pairing/" + conn.Connector
	b := c.QueryParam("batch")
	if b == "" {
		return u, 0, nil
	}
	id, err := strconv.ParseInt(b, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, echo.ErrNotFound
	}
	return u + "?batch=" + strconv.FormatInt(id, 10), id, nil
}

// pairingProblem words a failed read of the target's lists; an error
// that is not the upstream's stays one.
func (s *Server) pairingProblem(c echo.Context, conn *db.Connection, err error) (string, error) {
	ctx := c.Request().Context()
	var ue *connections.UpstreamError
	if !errors.As(err, &ue) {
		return "", err
	}
	system := s.connectorName(s.lang(c), conn.Connector)
	s.log.WarnContext(ctx, "pairing: target's lists", "company_id", conn.CompanyID, "connector", conn.Connector, "err", err)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		secs := int((s.conns.PairingWait() + time.Second - 1) / time.Second)
		return s.t(c, "pairing.slow", system, secs), nil
	}
	if a, ok := s.upstreamAnswerTo(c, err); ok {
		return a.Text, nil
	}
	return s.t(c, "pairing.failed", system), nil
}

// pairingOptions are a table's options with each label that is one of the
// connector's catalogue keys ("pairing.…", as Netvisor's VAT code names)
// in the reader's words; any other label (an upstream's own name) as it is.
func (s *Server) pairingOptions(c echo.Context, connector string, opts []connectors.PairingOption) []connectors.PairingOption {
	out := slices.Clone(opts)
	for i, o := range out {
		if strings.HasPrefix(o.Label, "pairing.") {
			out[i].Label = s.ct(c, connector, o.Label)
		}
	}
	return out
}

// pairingTables are the connector's tables in the reader's words.
func (s *Server) pairingTables(c echo.Context, connector string, tables []connectors.PairingTable) []pairingTableView {
	var out []pairingTableView
	id := 0
	for _, t := range tables {
		v := pairingTableView{Name: t.Name, Title: s.ct(c, connector, "pairing."+t.Name), Open: t.Open, Options: s.pairingOptions(c, connector, t.Options)}
		if help := s.ct(c, connector, "pairing."+t.Name+".help"); help != "pairing."+t.Name+".help" {
			v.Help = help
		}
		for _, r := range t.Rows {
			id++
			row := pairingRowView{PairingRow: r, ID: id, Label: r.Label}
			if r.Label != "" {
				row.Label = s.ct(c, connector, r.Label)
			}
			i := slices.IndexFunc(t.Options, func(o connectors.PairingOption) bool { return o.Value == r.Value })
			row.Stale = r.Value != "" && len(t.Options) > 0 && i < 0
			if i >= 0 {
				row.ValueLabel = v.Options[i].Label
			}
			v.Rows = append(v.Rows, row)
			v.Uses = v.Uses || r.Uses > 0
		}
		out = append(out, v)
	}
	return out
}

// savePairing saves the form's rows that changed (all of the page's
// rows come back; a row for a new code, when its key is given).
func (s *Server) savePairing(c echo.Context) error {
	ctx := c.Request().Context()
	conn, err := s.pairingConn(c, c.Param("connector"))
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.ErrBadRequest
	}
	ts, ks, vs := form["t"], form["k"], form["v"]
	if len(ts) != len(ks) || len(ks) != len(vs) {
		return echo.ErrBadRequest
	}
	current, err := s.conns.Pairing(ctx, conn)
	if err != nil {
		return err
	}
	var changes []db.PairChange
	for i := range ts {
		ch := db.PairChange{Table: ts[i], Key: strings.TrimSpace(ks[i]), Value: strings.TrimSpace(vs[i])}
		if ch.Key != "" && current.Value(ch.Table, ch.Key) != ch.Value {
			changes = append(changes, ch)
		}
	}
	return s.changePairing(c, conn, changes, nil)
}

// changePairing sets changes and goes back to the page saying how many
// changed, or renders the page with what was wrong (lines, for a CSV:
// each change's line in the file).
func (s *Server) changePairing(c echo.Context, conn *db.Connection, changes []db.PairChange, lines []int) error {
	u := currentUser(c)
	back, _, err := pairingURL(c, conn)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return s.flashTo(c, s.t(c, "pairing.nochange"), back)
	}
	done, err := s.conns.SetPairing(c.Request().Context(), conn, changes, db.AuditEvent{UserID: &u.ID, Actor: u.Email, RemoteIP: c.RealIP()})
	var pe *connections.PairingError
	switch {
	case errors.As(err, &pe):
		return s.renderPairing(c, conn, http.StatusUnprocessableEntity, s.pairingErrors(c, conn.Connector, pe.Problems, lines))
	case errors.As(err, new(*connections.UpstreamError)):
		msg, _ := s.pairingProblem(c, conn, err)
		return s.renderPairing(c, conn, http.StatusServiceUnavailable, []string{msg})
	case err != nil:
		return err
	}
	if len(done) == 0 {
		return s.flashTo(c, s.t(c, "pairing.nochange"), back)
	}
	return s.flashTo(c, s.t(c, "pairing.saved", len(done)), back)
}

// pairingErrors words a change's problems, each with its line when lines
// has it.
func (s *Server) pairingErrors(c echo.Context, connector string, probs []connections.PairingProblem, lines []int) []string {
	var out []string
	for _, p := range probs {
		table := s.ct(c, connector, "pairing."+p.Table)
		if table == "pairing."+p.Table {
			table = p.Table
		}
		text := s.t(c, "pairing.err."+p.Code, table, p.Key, p.Value)
		if p.Index < len(lines) {
			text = s.t(c, "pairing.line", lines[p.Index], text)
		}
		out = append(out, text)
	}
	return out
}

// exportPairing writes the pairing as CSV: table, key, value, a row for
// every row of the page's tables, or, when the target cannot be asked,
// for every pair stored.
func (s *Server) exportPairing(c echo.Context, conn *db.Connection) error {
	ctx := c.Request().Context()
	recs := [][]string{{"table", "key", "value"}}
	tables, err := s.conns.PairingTables(ctx, conn, nil)
	switch {
	case err == nil:
		for _, t := range tables {
			for _, r := range t.Rows {
				recs = append(recs, []string{t.Name, r.Key, r.Value})
			}
		}
	case errors.As(err, new(*connections.UpstreamError)):
		p, err := s.conns.Pairing(ctx, conn)
		if err != nil {
			return err
		}
		for _, t := range sortedKeys(p) {
			for _, k := range sortedKeys(p[t]) {
				recs = append(recs, []string{t, k, p[t][k]})
			}
		}
	default:
		return err
	}
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csvout.NewWriter(&b, ',')
	for _, r := range recs {
		_ = w.Write(r)
	}
	if w.Flush(); w.Error() != nil {
		return fmt.Errorf("pairing csv: %w", w.Error())
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="pairing-%d-%s.csv"`, conn.CompanyID, conn.Connector))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// importPairing reads an uploaded CSV of table, key, value and sets every
// row, all or none: a file with any wrong row changes nothing, and every
// wrong row is named by its line.
func (s *Server) importPairing(c echo.Context) error {
	conn, err := s.pairingConn(c, c.Param("connector"))
	if err != nil {
		return err
	}
	data, msg, err := pairingUpload(c)
	if err != nil {
		return err
	}
	if msg != "" {
		return s.renderPairing(c, conn, http.StatusUnprocessableEntity, []string{s.t(c, msg)})
	}
	f, err := readPairingCSV(data)
	if err != nil {
		return s.renderPairing(c, conn, http.StatusUnprocessableEntity, []string{s.t(c, "pairing.err.file")})
	}
	if len(f.short) == 0 {
		return s.changePairing(c, conn, f.changes, f.lines)
	}
	// Rows too short are found in reading; the rest are checked all the
	// same, so that the file's every problem is named at once.
	probs, err := s.conns.CheckPairing(c.Request().Context(), conn, f.changes)
	if errors.As(err, new(*connections.UpstreamError)) {
		msg, _ := s.pairingProblem(c, conn, err)
		return s.renderPairing(c, conn, http.StatusServiceUnavailable, []string{msg})
	}
	if err != nil {
		return err
	}
	return s.renderPairing(c, conn, http.StatusUnprocessableEntity, s.pairingFileErrors(c, conn, f, probs))
}

// pairingFileErrors are a file's problems in words, by line: its short
// rows, and probs of its other rows.
func (s *Server) pairingFileErrors(c echo.Context, conn *db.Connection, f pairingFile, probs []connections.PairingProblem) []string {
	errs := make(map[int]string)
	for _, line := range f.short {
		errs[line] = s.t(c, "pairing.line", line, s.t(c, "pairing.err.columns"))
	}
	for i, text := range s.pairingErrors(c, conn.Connector, probs, f.lines) {
		errs[f.lines[probs[i].Index]] = text
	}
	var out []string
	for _, line := range slices.Sorted(maps.Keys(errs)) {
		out = append(out, errs[line])
	}
	return out
}

// pairingUpload is the uploaded file; a message key when there is none,
// or it is too large.
func pairingUpload(c echo.Context) ([]byte, string, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, "pairing.err.nofile", nil
	}
	if fh.Size > maxPairingUpload {
		return nil, "pairing.err.toolarge", nil
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", fmt.Errorf("open pairing upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPairingUpload))
	if err != nil {
		return nil, "", fmt.Errorf("read pairing upload: %w", err)
	}
	return data, "", nil
}

// pairingFile is a pairing CSV as read: its rows as changes, each one's
// line, and the lines with fewer than three columns.
type pairingFile struct {
	changes []db.PairChange
	lines   []int
	short   []int
}

// readPairingCSV reads a pairing CSV (the export's columns; "," or ";";
// the header optional); an error when it is no CSV.
func readPairingCSV(data []byte) (pairingFile, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord, rd.TrimLeadingSpace = -1, true
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		rd.Comma = ';'
	}
	var f pairingFile
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return f, fmt.Errorf("pairing csv: %w", err)
		}
		line, _ := rd.FieldPos(0)
		switch {
		case len(rec) == 1 && strings.TrimSpace(rec[0]) == "":
		case len(rec) < 3:
			f.short = append(f.short, line)
		case line == 1 && strings.EqualFold(strings.TrimSpace(rec[0]), "table"):
		default:
			f.changes = append(f.changes, db.PairChange{Table: csvCell(rec[0]), Key: csvCell(rec[1]), Value: csvCell(rec[2])})
			f.lines = append(f.lines, line)
		}
	}
}

// csvCell is a cell as Bilag wrote it: trimmed, without the quote csvout
// puts before a formula sign.
func csvCell(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte("=+-@", s[1]) >= 0 {
		s = s[1:]
	}
	return s
}
