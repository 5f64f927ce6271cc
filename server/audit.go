package server

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/auditview"
	"bilag/server/csvout"
)

// auditPageSize is how many events a page of a company's audit trail shows.
const auditPageSize = 100

// auditCSVBatch is how many events the CSV export reads at a time.
const auditCSVBatch = 1000

type auditPage struct {
	Filter  auditFilterForm
	Actions []string
	Actors  []string
	// Rows are the events as sentences with their details (auditview).
	Rows    []auditview.Row
	Page    int
	HasMore bool
	// Query is the filter as a query string, for the page and CSV links;
	// url.Values made it, so the template need not escape it again.
	Query template.URL
}

// auditFilterForm is the filter as the person chose it.
type auditFilterForm struct {
	Action, Actor, From, To string
	// Error is a catalog key when the dates could not be used.
	Error string
}

func (f auditFilterForm) query() string {
	q := url.Values{}
	for k, v := range map[string]string{"action": f.Action, "actor": f.Actor, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// auditZone is the zone the audit trail's times are printed in; the page
// and the CSV name it, so a time is never misread.
func (s *Server) auditZone() *time.Location { return s.zone }

// auditFilter reads the filter of the current company's audit trail. Dates
// are whole days in the audit zone, To included; bad dates are a message,
// not an error page.
func (s *Server) auditFilter(c echo.Context) (db.AuditFilter, auditFilterForm) {
	form := auditFilterForm{Action: c.QueryParam("action"), Actor: truncateStr(c.QueryParam("actor"), 254), From: c.QueryParam("from"), To: c.QueryParam("to")}
	if !slices.Contains(db.CompanyAuditActions(), form.Action) {
		form.Action = ""
	}
	f := db.AuditFilter{CompanyID: currentCompany(c).ID, Action: form.Action, Actor: form.Actor}
	from, err1 := parseDateIn(form.From, s.auditZone())
	to, err2 := parseDateIn(form.To, s.auditZone())
	switch {
	case err1 != nil || err2 != nil:
		form.Error = "audit.err.date"
	case !from.IsZero() && !to.IsZero() && to.Before(from):
		form.Error = "audit.err.order"
	default:
		f.From = from
		if !to.IsZero() {
			f.To = to.AddDate(0, 0, 1)
		}
	}
	return f, form
}

// showAudit lists who did what to the company: documents opened, links
// made, approvals, disconnections, syncs asked for.
func (s *Server) showAudit(c echo.Context) error {
	ctx := c.Request().Context()
	f, form := s.auditFilter(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	es, err := s.db.CompanyAudit(ctx, f, (page-1)*auditPageSize, auditPageSize+1)
	if err != nil {
		return err
	}
	actors, err := s.db.CompanyAuditActors(ctx, f.CompanyID)
	if err != nil {
		return err
	}
	p := auditPage{Filter: form, Actions: db.CompanyAuditActions(), Actors: actors, Page: page,
		HasMore: len(es) > auditPageSize, Query: template.URL(form.query())}
	reader := auditview.Reader{Lang: s.lang(c), Zone: s.auditZone(), Users: map[int64]string{}}
	if len(es) > 0 {
		us, err := s.db.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			reader.Users[u.ID] = u.Name
		}
	}
	for _, e := range es[:min(len(es), auditPageSize)] {
		p.Rows = append(p.Rows, auditview.Describe(s.views, reader, e))
	}
	return s.render(c, "company_audit", s.t(c, "audit.title")+" · "+currentCompany(c).Name, p)
}

// exportAudit sends the company's audit trail, with the page's filter, as
// CSV: every matching event, read in batches up to the newest event at the
// start, so that events written meanwhile neither repeat nor shift rows.
func (s *Server) exportAudit(c echo.Context) error {
	ctx := c.Request().Context()
	f, form := s.auditFilter(c)
	if form.Error != "" {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	var err error
	if f.MaxID, err = s.db.LastAuditID(ctx); err != nil {
		return err
	}
	co := currentCompany(c)
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%d-%s.csv"`, co.ID, s.now().In(s.auditZone()).Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if err := writeAuditCSV(ctx, c.Response(), s.db, f, s.auditZone()); err != nil {
		s.log.Error("export audit trail", "company_id", co.ID, "err", err)
	}
	return nil
}

// writeAuditCSV writes the events f matches, newest first, each field as
// stored (csvout quotes and defuses what a spreadsheet would split or
// run). The byte order mark makes spreadsheet programs read the file as
// UTF-8 (å, ä, ö).
func writeAuditCSV(ctx context.Context, w io.Writer, d *db.DB, f db.AuditFilter, loc *time.Location) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csvout.NewWriter(w, ',')
	_ = cw.Write([]string{"time", "actor", "action", "target", "detail", "remote_ip"})
	for offset := 0; ; offset += auditCSVBatch {
		es, err := d.CompanyAudit(ctx, f, offset, auditCSVBatch)
		if err != nil {
			return err
		}
		for _, e := range es {
			_ = cw.Write([]string{e.At.In(loc).Format(time.RFC3339), e.Actor, e.Action, e.Target, e.Detail, e.RemoteIP})
		}
		cw.Flush()
		if err := cw.Error(); err != nil || len(es) < auditCSVBatch {
			return err
		}
	}
}

// audited writes an audit event of action for the company once next has
// done its work, for requests that are themselves the event ("Sync now").
func (s *Server) audited(action string, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			return err
		}
		s.audit(c, action, &currentCompany(c).ID, "", "")
		return nil
	}
}

// truncateStr is s cut to at most n bytes: a column's size, or what a
// filter reads of a query parameter.
func truncateStr(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
