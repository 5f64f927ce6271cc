package server

import (
	"context"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/companystate"
	"bilag/views"
)

type dashboardRow struct {
	Company    db.Company
	Connection *db.Connection
	// Connector is the connection's, else the one a link would use.
	Connector string
	Link      *linkView
	Stats     *db.CompanyStats
	// LinkDays is how many days the open link has left.
	LinkDays int
	// State is where the company stands; NeedsAction is the state's: nothing
	// moves until someone at the firm acts.
	State       companystate.State
	NeedsAction bool
}

type dashboardPage struct {
	Rows []dashboardRow
	// NeedsAction filters the rows to those that need action; All counts
	// every row, Waiting those needing action.
	NeedsAction  bool
	All, Waiting int
	CanManage    bool
	MailOn       bool
	// Connectors are every system a link may be made for: with several,
	// a bulk request says which (or each company's current one).
	Connectors []string
	// Missing counts the vouchers missing a document in every company
	// shown, each by its own rules (missing_docs.go).
	Missing int
}

func (s *Server) showDashboard(c echo.Context) error {
	cs, conns, err := s.companiesWithConnection(c)
	if err != nil {
		return err
	}
	rows, err := s.portfolio(c, cs, conns)
	if err != nil {
		return err
	}
	u := currentUser(c)
	p := dashboardPage{NeedsAction: c.QueryParam("needs") == "action", All: len(rows), CanManage: u.CanManageConnections(), MailOn: s.mailOn(), Connectors: s.conns.Names()}
	if p.Missing, err = s.firmMissing(c.Request().Context(), cs); err != nil {
		return err
	}
	for _, r := range rows {
		if r.NeedsAction {
			p.Waiting++
		}
		if !p.NeedsAction || r.NeedsAction {
			p.Rows = append(p.Rows, r)
		}
	}
	return s.render(c, "dashboard", s.t(c, "dash.title"), p)
}

// portfolio is the dashboard's row of each company: its connection, its
// newest link (shown to those who manage links), its index and its state.
func (s *Server) portfolio(c echo.Context, cs []db.Company, conns map[int64]*db.Connection) ([]dashboardRow, error) {
	st, err := s.standings(c.Request().Context(), cs, conns)
	if err != nil {
		return nil, err
	}
	manage := currentUser(c).CanManageConnections()
	rows := make([]dashboardRow, len(cs))
	for i, co := range cs {
		r := dashboardRow{Company: co, Connection: conns[co.ID], Stats: st.stats[co.ID], State: st.states[co.ID]}
		r.NeedsAction = r.State.NeedsAction()
		if r.Connection != nil {
			r.Connector = r.Connection.Connector
		} else if offered := s.conns.Offered(co.Country); len(offered) > 0 {
			r.Connector = offered[0]
		}
		if l, ok := st.links[co.ID]; ok && manage {
			v := s.linkView(c, &l)
			r.Link = &v
			r.LinkDays = int(l.ExpiresAt.Sub(s.now()).Hours()+23) / 24
		}
		rows[i] = r
	}
	return rows, nil
}

// standings is what the states of some companies were read from, and the
// states.
type standings struct {
	stats  map[int64]*db.CompanyStats
	links  map[int64]db.ConsentLink
	states map[int64]companystate.State
}

// standings reads the state of each of cs, whose current connections are
// conns: every page and the API say where a company stands from here.
func (s *Server) standings(ctx context.Context, cs []db.Company, conns map[int64]*db.Connection) (standings, error) {
	ids := make([]int64, len(cs))
	for i, co := range cs {
		ids[i] = co.ID
	}
	st := standings{states: make(map[int64]companystate.State, len(cs))}
	var err error
	if st.stats, err = s.db.PortfolioStats(ctx, ids); err != nil {
		return st, err
	}
	if st.links, err = s.db.LatestLinks(ctx, ids); err != nil {
		return st, err
	}
	now := s.now()
	for _, co := range cs {
		f := companystate.Facts{Active: co.Active, Offboarded: co.OffboardedAt != nil, Connection: conns[co.ID], Now: now}
		if stats := st.stats[co.ID]; stats != nil {
			f.LastSync = stats.LastSync
		}
		if l, ok := st.links[co.ID]; ok {
			f.Link = &l
		}
		st.states[co.ID] = companystate.Of(f)
	}
	return st, nil
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
	// State is where the company stands, as the dashboard says it.
	State     companystate.State
	CanManage bool
	Links     []linkView
	// Copy is the newest link nobody has opened yet, to copy or send.
	Copy *linkCopy
	// MailOn: the link form offers to e-mail the link.
	MailOn   bool
	LinkForm *views.Form
	TTLs     []ttlOption
	// Reads: the connection's connector reads vouchers and documents.
	Reads bool
	// RequestFirst: making a link is the page's next step, so its button
	// is the primary one: nothing is connected and no link is on its way.
	RequestFirst bool
	// Imports: invoice orders can concern the company, so the page links
	// them (importsApply).
	Imports bool
	// Pairings are the company's receiving systems that need a pairing,
	// by connector, for links to their pairing pages.
	Pairings []pairingLink
	// Connectors are the ones a link may be made for; the choice shows
	// only when there are several.
	Connectors []string
	// Thens are the second steps a link may carry, one per connector of
	// Connectors that has a companion: the analyst picks "read" or "read
	// and" the companion (issue 26).
	Thens []thenChoice
	// MessageLangs are the languages the link's message may be written
	// in; MessageLang is the one first chosen (the company's).
	MessageLangs []string
	MessageLang  string
	Runs         []db.SyncRun
	// Charts compare months: vouchers booked and documents opened.
	Charts []views.Chart
	// Upstream is the company's details as its system gave them at
	// approval, beside the firm's; nil without a connection.
	Upstream *upstreamDetails
	// Disconnected says who disconnected the connection and when; nil
	// unless it is disconnected.
	Disconnected *disconnection
	// Integrations is the API for front systems' part (integrations.go),
	// for admins; nil for everyone else.
	Integrations *integrationsView
	// Clients are the company's client users and invitations
	// (clients.go), for those who manage it; nil for everyone else.
	Clients *clientsView
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
	p := companyPage{Company: co, CanManage: u.CanManageConnections(), TTLs: s.ttlOptions(), Connectors: s.conns.Offered(co.Country), MailOn: s.mailOn(),
		MessageLangs: views.Languages(), MessageLang: messageLang(co.Country, "")}
	p.Thens = s.thenChoices(p.Connectors)
	ids, err := s.db.Members(ctx, co.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		// Client users are the company's own people, not the firm's:
		// they are listed with the invitations, not as members.
		if m, err := s.db.User(ctx, id); err == nil && m.Active && !m.IsClient() {
			p.Members = append(p.Members, *m)
		}
	}
	if conn, err := s.conns.Current(ctx, co.ID); err == nil {
		p.Connection, p.Reads, p.Upstream = conn, s.conns.Reads(conn), upstreamDetailsOf(co, conn)
	} else if !isNotFound(err) {
		return err
	}
	if p.Disconnected, err = s.disconnectionOf(ctx, p.Connection); err != nil {
		return err
	}
	st, err := s.standings(ctx, []db.Company{*co}, map[int64]*db.Connection{co.ID: p.Connection})
	if err != nil {
		return err
	}
	p.State = st.states[co.ID]
	if p.Runs, err = s.db.SyncRuns(ctx, co.ID, 5); err != nil {
		return err
	}
	if p.Imports, err = s.importsApply(ctx, co); err != nil {
		return err
	}
	if p.Pairings, err = s.pairingLinks(c); err != nil {
		return err
	}
	if p.Connection != nil {
		if p.Charts, err = s.activityCharts(c, co.ID); err != nil {
			return err
		}
	}
	if p.CanManage {
		if err := s.db.ForgetExpiredLinkSecrets(ctx, co.ID); err != nil {
			return err
		}
		links, err := s.db.LinksForCompany(ctx, co.ID, 10)
		if err != nil {
			return err
		}
		for i := range links {
			p.Links = append(p.Links, s.linkView(c, &links[i]))
		}
		if p.Copy, err = s.newestCopy(ctx, co, links, c.QueryParam("msg")); err != nil {
			return err
		}
	}
	p.RequestFirst = requestFirst(p.Connection, p.Links)
	if form == nil {
		form = views.NewForm()
		form.Values["expected_org"] = co.OrgNumber
		form.Values["ttl"] = s.linkTTL.String()
	}
	if l := form.Values["message_lang"]; views.Supported(l) {
		p.MessageLang = l
	}
	p.LinkForm = form
	if p.Clients, err = s.clientsOf(c, co); err != nil {
		return err
	}
	if p.Integrations, err = s.integrations(c, co); err != nil {
		return err
	}
	status := 200
	if !form.OK() || p.Integrations != nil && !p.Integrations.Form.OK() {
		status = 422
	}
	return c.Render(status, "company", s.page(c, co.Name, p))
}

// requestFirst says whether making a link is a company's next step: it has
// no active connection and none of its links is on its way (made, opened,
// or with the approver at the upstream). A failed, expired or revoked link
// leaves it the next step again.
func requestFirst(conn *db.Connection, links []linkView) bool {
	if conn != nil && conn.Status == db.ConnActive {
		return false
	}
	for _, l := range links {
		switch l.State {
		case db.LinkCreated, db.LinkOpened, db.LinkLoginStarted, db.LinkApproved:
			return false
		}
	}
	return true
}

// importsApply says whether invoice orders can concern co: a connector
// that sends them serves its country, or it has (or had) a connection
// through one, whose history its page keeps.
func (s *Server) importsApply(ctx context.Context, co *db.Company) (bool, error) {
	for _, name := range s.conns.Offered(co.Country) {
		if s.sendsOrders(name) {
			return true, nil
		}
	}
	conns, err := s.db.ConnectionsForCompanies(ctx, []int64{co.ID})
	if err != nil {
		return false, err
	}
	for _, conn := range conns {
		if s.sendsOrders(conn.Connector) {
			return true, nil
		}
	}
	return false, nil
}

// sendsOrders: the connector named name sends invoices into the books (connectors.InvoiceSender).
func (s *Server) sendsOrders(name string) bool {
	_, ok := s.conns.Connector(name).(connectors.InvoiceSender)
	return ok
}

// newestCopy is the copy of the newest of links that can still be shown,
// signed by the link's maker, its message in lang (see messageLang).
func (s *Server) newestCopy(ctx context.Context, co *db.Company, links []db.ConsentLink, lang string) (*linkCopy, error) {
	for i := range links {
		l := &links[i]
		if l.State(s.now()) != db.LinkCreated || len(l.SecretSealed) == 0 {
			continue
		}
		sender := s.firm
		if u, err := s.db.User(ctx, l.CreatedByID); err == nil {
			sender = u.Name
		}
		return s.linkCopyOf(ctx, co, l, sender, lang)
	}
	return nil, nil
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

// disconnection is who disconnected a connection and when.
type disconnection struct {
	// By is the person's name (their e-mail address when they are no
	// longer a user).
	By string
	At time.Time
	// Connector is the disconnected connection's.
	Connector string
}

// disconnectionOf says who disconnected conn and when: the audit trail's
// newest disconnect of its connector since its approval (the connection
// row keeps neither). It is nil when conn is nil or not disconnected, or
// when no such row is found; the pages then say only "Disconnected".
func (s *Server) disconnectionOf(ctx context.Context, conn *db.Connection) (*disconnection, error) {
	if conn == nil || conn.Status != db.ConnDisconnected {
		return nil, nil
	}
	events, err := s.db.CompanyAudit(ctx, db.AuditFilter{CompanyID: conn.CompanyID, Action: db.AuditDisconnect}, 0, 20)
	if err != nil {
		return nil, fmt.Errorf("disconnection of connection %d: %w", conn.ID, err)
	}
	for _, e := range events {
		if e.Target != conn.Connector || e.At.Before(conn.ApprovedAt) || e.Actor == "" {
			continue
		}
		d := &disconnection{By: e.Actor, At: e.At, Connector: conn.Connector}
		if e.UserID != nil {
			if u, err := s.db.User(ctx, *e.UserID); err == nil && u.Name != "" {
				d.By = u.Name
			}
		}
		return d, nil
	}
	return nil, nil
}
