package server

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/companystate"
	"bilag/server/csvout"
	"bilag/views"
)

// statsMonths is how many months the statistics go back, this one included.
const statsMonths = 12

// statsTable is one table of the statistics: the page draws it and its CSV
// writes it, from the same cells, so the two never disagree.
type statsTable struct {
	// Name is the table's file name ("links" → links.csv) and its words
	// ("stats.table.links").
	Name   string
	Header []string
	Rows   [][]string
}

type statsPage struct {
	// Base is where the page lives: /admin/statistics for admins (every
	// company), /statistics for analysts (their companies).
	Base   string
	Tables []statsTable
	Charts []views.Chart
	// Oldest is the connected company whose last successful sync is the
	// longest ago, and how long ago; nil when none.
	Oldest *statsOldest
}

type statsOldest struct {
	Company db.Company
	Age     string
}

// showStatistics is the firm's statistics over the companies the user may
// see: every company for an admin, an analyst's own for an analyst.
func (s *Server) showStatistics(c echo.Context) error {
	p, err := s.statistics(c)
	if err != nil {
		return err
	}
	return s.render(c, "statistics", s.t(c, "stats.title"), p)
}

// exportStatistics is one table of the statistics as CSV.
func (s *Server) exportStatistics(c echo.Context) error {
	p, err := s.statistics(c)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(p.Tables, func(t statsTable) bool { return t.Name+".csv" == c.Param("table") })
	if i < 0 {
		return echo.ErrNotFound
	}
	t := p.Tables[i]
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="statistics-%s-%s.csv"`, t.Name, s.now().Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	// The byte order mark makes spreadsheets read the file as UTF-8.
	if _, err := c.Response().Write([]byte("\ufeff")); err != nil {
		return nil
	}
	w := csvout.NewWriter(c.Response(), ',')
	_ = w.Write(t.Header)
	for _, r := range t.Rows {
		_ = w.Write(r)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.log.Warn("export statistics", "table", t.Name, "err", err)
	}
	return nil
}

// statistics reads the statistics page of the companies the user may see.
func (s *Server) statistics(c echo.Context) (*statsPage, error) {
	ctx := c.Request().Context()
	cs, conns, err := s.companiesWithConnection(c)
	if err != nil {
		return nil, err
	}
	st, err := s.standings(ctx, cs, conns)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(cs))
	for i, co := range cs {
		ids[i] = co.ID
	}
	now := s.now().UTC()
	fs, err := s.db.FirmStats(ctx, ids, time.Date(now.Year(), now.Month()-statsMonths+1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	base := "/statistics"
	if c.Path() == "/admin/statistics" || c.Path() == "/admin/statistics/:table" {
		base = "/admin/statistics"
	}
	p := &statsPage{Base: base}
	p.Tables = []statsTable{s.statesTable(c, cs, conns, st.states), s.linksTable(c, fs), s.opensTable(c, fs), s.opensByTable(c, cs, fs),
		s.invoicesTable(c, fs), s.syncTable(c, cs, conns, fs)}
	p.Charts = s.statsCharts(c, fs)
	p.Oldest = s.oldestSync(c, cs, conns, fs)
	return p, nil
}

// statesTable counts the companies per system and state, in the
// dashboard's words; a company with no connection has no system.
func (s *Server) statesTable(c echo.Context, cs []db.Company, conns map[int64]*db.Connection, states map[int64]companystate.State) statsTable {
	type key struct {
		system string
		state  int
	}
	counts := map[key]int{}
	for _, co := range cs {
		k := key{state: slices.Index(companystate.All(), states[co.ID])}
		if conn := conns[co.ID]; conn != nil {
			k.system = conn.Connector
		}
		counts[k]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.system, b.system), cmp.Compare(a.state, b.state)) })
	t := statsTable{Name: "companies", Header: s.words(c, "stats.system", "stats.state", "stats.companies")}
	lang := s.lang(c)
	for _, k := range keys {
		system := s.t(c, "stats.nosystem")
		if k.system != "" {
			system = s.views.ConnectorName(lang, k.system)
		}
		t.Rows = append(t.Rows, []string{system, s.t(c, "state."+string(companystate.All()[k.state])), strconv.Itoa(counts[k])})
	}
	return t
}

// words translates each of keys.
func (s *Server) words(c echo.Context, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = s.t(c, k)
	}
	return out
}

func n64(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) linksTable(c echo.Context, fs *db.FirmStats) statsTable {
	t := statsTable{Name: "links", Header: s.words(c, "stats.month", "stats.links.made", "stats.links.opened", "stats.links.approved")}
	for _, m := range fs.Links {
		t.Rows = append(t.Rows, []string{m.Month, n64(m.Made), n64(m.Opened), n64(m.Approved)})
	}
	return t
}

func (s *Server) opensTable(c echo.Context, fs *db.FirmStats) statsTable {
	t := statsTable{Name: "opens", Header: s.words(c, "stats.month", "stats.opens")}
	for _, m := range fs.Opens {
		t.Rows = append(t.Rows, []string{m.Month, n64(m.Count)})
	}
	return t
}

func (s *Server) opensByTable(c echo.Context, cs []db.Company, fs *db.FirmStats) statsTable {
	t := statsTable{Name: "opens-by-company", Header: s.words(c, "stats.company", "stats.orgnr", "stats.opens")}
	for _, co := range cs {
		t.Rows = append(t.Rows, []string{co.Name, co.OrgNumber, n64(fs.OpensBy[co.ID])})
	}
	return t
}

func (s *Server) invoicesTable(c echo.Context, fs *db.FirmStats) statsTable {
	t := statsTable{Name: "invoices", Header: s.words(c, "stats.month", "stats.system", "stats.invoices.sent", "stats.invoices.refused", "stats.invoices.unknown")}
	lang := s.lang(c)
	for _, m := range fs.Invoices {
		t.Rows = append(t.Rows, []string{m.Month, s.views.ConnectorName(lang, m.Connector), n64(m.Sent), n64(m.Refused), n64(m.Unknown)})
	}
	return t
}

// syncTable is each connected company's sync health.
func (s *Server) syncTable(c echo.Context, cs []db.Company, conns map[int64]*db.Connection, fs *db.FirmStats) statsTable {
	t := statsTable{Name: "sync", Header: s.words(c, "stats.company", "stats.orgnr", "stats.sync.last", "stats.sync.failures")}
	zone := s.zone
	for _, co := range cs {
		if conns[co.ID] == nil || conns[co.ID].Status != db.ConnActive {
			continue
		}
		h := fs.Sync[co.ID]
		last := s.t(c, "stats.sync.never")
		if h.LastSuccess != nil {
			last = h.LastSuccess.In(zone).Format("2006-01-02 15:04")
		}
		t.Rows = append(t.Rows, []string{co.Name, co.OrgNumber, last, n64(h.Failures7d)})
	}
	return t
}

// oldestSync is the connected company whose index is the oldest: its last
// successful sync is the longest ago (never beats any time).
func (s *Server) oldestSync(c echo.Context, cs []db.Company, conns map[int64]*db.Connection, fs *db.FirmStats) *statsOldest {
	var out *statsOldest
	var oldest *time.Time
	for _, co := range cs {
		if conns[co.ID] == nil || conns[co.ID].Status != db.ConnActive {
			continue
		}
		last := fs.Sync[co.ID].LastSuccess
		if out != nil && (oldest == nil || (last != nil && !last.Before(*oldest))) {
			continue
		}
		out, oldest = &statsOldest{Company: co, Age: s.t(c, "stats.sync.never")}, last
		if last != nil {
			out.Age = s.t(c, "stats.sync.hours", int64(s.now().Sub(*last).Hours()))
		}
	}
	return out
}

// statsCharts draws links made, documents opened and invoices sent per
// month, as the company page draws its months.
func (s *Server) statsCharts(c echo.Context, fs *db.FirmStats) []views.Chart {
	labels := fs.Months
	made, opens, sent := make([]int64, len(labels)), make([]int64, len(labels)), make([]int64, len(labels))
	for i := range labels {
		made[i], opens[i] = fs.Links[i].Made, fs.Opens[i].Count
	}
	for _, m := range fs.Invoices {
		if i := slices.Index(labels, m.Month); i >= 0 {
			sent[i] += m.Sent
		}
	}
	return []views.Chart{views.NewChart(s.t(c, "stats.links.made"), labels, made), views.NewChart(s.t(c, "stats.opens"), labels, opens),
		views.NewChart(s.t(c, "stats.invoices.sent"), labels, sent)}
}
