package server

import (
	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/views"
)

type dashboardRow struct {
	Company    db.Company
	Connection *db.Connection
}

type dashboardPage struct{ Rows []dashboardRow }

func (s *Server) showDashboard(c echo.Context) error {
	cs, conns, err := s.companiesWithConnection(c)
	if err != nil {
		return err
	}
	rows := make([]dashboardRow, len(cs))
	for i, co := range cs {
		rows[i] = dashboardRow{Company: co, Connection: conns[co.ID]}
	}
	return s.render(c, "dashboard", s.t(c, "dash.title"), dashboardPage{Rows: rows})
}

// companiesWithConnection is the companies the user may see, with the
// current connection of each that has one.
func (s *Server) companiesWithConnection(c echo.Context) ([]db.Company, map[int64]*db.Connection, error) {
	ctx := c.Request().Context()
	cs, err := s.db.CompaniesForUser(ctx, currentUser(c))
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(cs))
	for i, co := range cs {
		ids[i] = co.ID
	}
	conns, err := s.conns.CurrentConnections(ctx, ids)
	return cs, conns, err
}

type companyPage struct {
	Company    *db.Company
	Members    []db.User
	Connection *db.Connection
	CanManage  bool
	Links      []linkView
	Reveal     *reveal
	LinkForm   *views.Form
	TTLs       []ttlOption
	// Reads: the connection's connector reads vouchers and documents.
	Reads bool
	// Connectors are the ones a link may be made for; the choice shows
	// only when there are several.
	Connectors []string
	Runs       []db.SyncRun
	// Charts compare months: vouchers booked and documents opened.
	Charts []views.Chart
}

// connector is the one whose words the page shows: the current
// connection's, else the first a link may be made for.
func (p companyPage) connector() string {
	switch {
	case p.Connection != nil:
		return p.Connection.Connector
	case len(p.Connectors) > 0:
		return p.Connectors[0]
	}
	return ""
}

func (s *Server) showCompany(c echo.Context) error {
	return s.renderCompany(c, nil)
}

// renderCompany renders the company page, with form holding the errors
// of a failed link creation.
func (s *Server) renderCompany(c echo.Context, form *views.Form) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	u := currentUser(c)
	p := companyPage{Company: co, CanManage: u.CanManageConnections(), TTLs: s.ttlOptions(), Connectors: s.conns.Offered(co.Country)}
	ids, err := s.db.Members(ctx, co.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if m, err := s.db.User(ctx, id); err == nil && m.Active {
			p.Members = append(p.Members, *m)
		}
	}
	if conn, err := s.conns.Current(ctx, co.ID); err == nil {
		p.Connection, p.Reads = conn, s.conns.Reads(conn)
	} else if !isNotFound(err) {
		return err
	}
	if p.Runs, err = s.db.SyncRuns(ctx, co.ID, 5); err != nil {
		return err
	}
	if p.Connection != nil {
		if p.Charts, err = s.activityCharts(c, co.ID); err != nil {
			return err
		}
	}
	if p.CanManage {
		links, err := s.db.LinksForCompany(ctx, co.ID, 10)
		if err != nil {
			return err
		}
		for i := range links {
			p.Links = append(p.Links, s.linkView(c, &links[i]))
		}
		sess := sessionOf(c)
		if sess.Reveal != nil && sess.Reveal.CompanyID == co.ID {
			p.Reveal = sess.Reveal
			sess.Reveal = nil
			if err := s.saveSession(c, sess); err != nil {
				return err
			}
		}
	}
	if form == nil {
		form = views.NewForm()
		form.Values["expected_org"] = co.OrgNumber
		form.Values["ttl"] = s.linkTTL.String()
	}
	p.LinkForm = form
	status := 200
	if !form.OK() {
		status = 422
	}
	return c.Render(status, "company", s.page(c, co.Name, p))
}

// activityCharts charts the last 24 months of a company.
func (s *Server) activityCharts(c echo.Context, companyID int64) ([]views.Chart, error) {
	vouchers, opens, err := s.db.Activity(c.Request().Context(), companyID, s.now().UTC().AddDate(0, -23, 0))
	if err != nil {
		return nil, err
	}
	chart := func(title string, ms []db.MonthCount) views.Chart {
		labels, values := make([]string, len(ms)), make([]int64, len(ms))
		for i, m := range ms {
			labels[i], values[i] = m.Month, m.Count
		}
		return views.NewChart(title, labels, values)
	}
	return []views.Chart{chart(s.t(c, "chart.vouchers"), vouchers), chart(s.t(c, "chart.opens"), opens)}, nil
}
