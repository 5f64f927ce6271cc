package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/auditview"
	"bilag/server/connections"
	"bilag/server/mail"
	"bilag/views"
)

// clientInviteTTL is how long an invitation of a client user works.
const clientInviteTTL = 7 * 24 * time.Hour

// clientAllowed reports the routes (method and pattern) a client user may
// reach: their company's page of their own, its vouchers and documents,
// and their settings. Everything else answers 404, as a company they may
// not see does, so a route added later is closed to them until it is
// listed here.
func clientAllowed(route string) bool {
	// A switch, not a map: nothing is built at init (TestNothingHeavyAtStart).
	switch route {
	case "GET /settings", "POST /settings/password",
		"POST /settings/second-factor", "POST /settings/second-factor/confirm",
		"POST /settings/second-factor/codes", "POST /settings/second-factor/off",
		"GET /vouchers/go",
		"GET /companies/:companyID/client",
		"POST /companies/:companyID/client/withdraw",
		"GET /companies/:companyID/vouchers",
		"GET /companies/:companyID/vouchers/lookup",
		"GET /companies/:companyID/vouchers/:voucherID",
		"GET /companies/:companyID/vouchers/:voucherID/documents/:docID",
		"GET /companies/:companyID/vouchers/:voucherID/documents/:docID/view",
		"GET /companies/:companyID/sync/status":
		return true
	}
	return false
}

// clientFence keeps client users to clientAllowed. The dashboard and the
// company page are the client's own page instead.
func (s *Server) clientFence(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		if u == nil || !u.IsClient() {
			return next(c)
		}
		co, err := s.db.ClientCompany(c.Request().Context(), u)
		if err == nil {
			companyLanguage(c, co)
		} else if !isNotFound(err) {
			return err
		}
		route := c.Request().Method + " " + c.Path()
		switch {
		case route == "GET /":
			if err != nil {
				return err
			}
			return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/companies/%d/client", co.ID))
		case route == "GET /companies/:companyID":
			if err != nil || c.Param("companyID") != strconv.FormatInt(co.ID, 10) {
				return echo.ErrNotFound
			}
			return c.Redirect(http.StatusSeeOther, "/companies/"+c.Param("companyID")+"/client")
		case !clientAllowed(route):
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// requireClient admits client users only (their own page).
func (s *Server) requireClient(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !currentUser(c).IsClient() {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// clientRoutes mounts the client users' part: their page and withdrawal
// (c, the company group), the firm's invitations and endings (m, those
// who manage the company), and the invitation's page (e, public: the
// address is the credential).
func (s *Server) clientRoutes(e *echo.Echo, c, m *echo.Group) {
	c.GET("/client", s.showClientHome, s.requireClient)
	c.POST("/client/withdraw", s.withdrawAccess, s.requireClient)
	m.POST("/clients/invite", s.inviteClient)
	m.POST("/clients/invitations/:invitationID/end", s.endClientInvitation)
	m.POST("/clients/:userID/end", s.endClientUser)
	e.GET("/invite/:secret", s.showInvitation)
	e.POST("/invite/:secret", s.acceptInvitation)
}

// clientOpen is one opening of a document, as the client reads it.
type clientOpen struct{ At, Sentence string }

type clientHomePage struct {
	Company    *db.Company
	Connection *db.Connection
	// System is the connection's system as people know it.
	System string
	Opens  []clientOpen
}

// showClientHome is a client user's page: their company, who at the firm
// opened its documents and when, the connection, and the withdrawal.
func (s *Server) showClientHome(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	p := clientHomePage{Company: co}
	if conn, err := s.conns.Current(ctx, co.ID); err == nil && conn.Status == db.ConnActive {
		p.Connection, p.System = conn, s.views.ConnectorName(s.lang(c), conn.Connector)
	} else if err != nil && !isNotFound(err) {
		return err
	}
	var err error
	if p.Opens, err = s.clientOpens(c, co.ID); err != nil {
		return err
	}
	return s.render(c, "client_home", co.Name, p)
}

// clientOpens are the firm's openings of the company's documents, newest
// first, naming colleagues by name only: the stored actor (an e-mail
// address) is never shown to a client, nor are the event's details.
func (s *Server) clientOpens(c echo.Context, companyID int64) ([]clientOpen, error) {
	ctx := c.Request().Context()
	es, err := s.db.CompanyAudit(ctx, db.AuditFilter{CompanyID: companyID, Action: db.AuditDocumentOpen}, 0, 100)
	if err != nil {
		return nil, err
	}
	us, err := s.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	reader := auditview.Reader{Lang: s.lang(c), Zone: s.auditZone(), Users: map[int64]string{}}
	for _, u := range us {
		if !u.IsClient() {
			reader.Users[u.ID] = u.Name
		}
	}
	var out []clientOpen
	for _, e := range es {
		if e.UserID == nil || reader.Users[*e.UserID] == "" {
			continue // the client's own openings, or nobody the firm knows
		}
		e.Actor, e.RemoteIP = "", ""
		row := auditview.Describe(s.views, reader, e)
		out = append(out, clientOpen{At: row.At, Sentence: row.Sentence})
	}
	return out, nil
}

// withdrawAccess ends Bilag's access to the client's company, confirmed:
// revoked at the upstream where its connector can, the connection ended,
// the firm told; where there is no revoke call, the page says how to
// finish it in the system, in the words of the approver's receipt.
func (s *Server) withdrawAccess(c echo.Context) error {
	ctx := c.Request().Context()
	co, u := currentCompany(c), currentUser(c)
	back := fmt.Sprintf("/companies/%d/client", co.ID)
	if c.FormValue("confirm") != "yes" {
		return s.flashTo(c, s.t(c, "client.withdraw.unconfirmed"), back)
	}
	conn, err := s.conns.Current(ctx, co.ID)
	if isNotFound(err) || err == nil && conn.Status != db.ConnActive {
		return s.flashTo(c, s.t(c, "client.noaccess"), back)
	}
	if err != nil {
		return err
	}
	if err := s.conns.Disconnect(ctx, conn); err != nil {
		return err
	}
	s.audit(c, db.AuditClientWithdraw, &co.ID, conn.Connector, conn.ExternalName+" "+conn.OrgNumber)
	s.Notify(ctx, connections.Event{Kind: db.NotifyClientWithdrew, CompanyID: co.ID, Connection: conn, Approver: u.Name})
	if _, ok := s.conns.Connector(conn.Connector).(connectors.Revoker); ok {
		return s.flashTo(c, s.t(c, "client.withdraw.done"), back)
	}
	system := s.views.ConnectorName(s.lang(c), conn.Connector)
	return s.flashTo(c, s.t(c, "client.withdraw.finish", system)+" "+s.ct(c, conn.Connector, "result.ok.withdraw", s.firm), back)
}

// clientsView is the company page's part on client users, for those who
// manage the company.
type clientsView struct {
	Users       []db.User
	Invitations []db.ClientInvitation
	Now         time.Time
	// NewURL is the invitation just made, to copy when it was not
	// e-mailed; NewTo whom it is for.
	NewURL, NewTo string
	NewExpires    time.Time
}

// clientsOf is co's clientsView, nil for those who do not manage it.
func (s *Server) clientsOf(c echo.Context, co *db.Company) (*clientsView, error) {
	if !currentUser(c).CanManageConnections() {
		return nil, nil
	}
	ctx := c.Request().Context()
	v := &clientsView{Now: s.now()}
	var err error
	if v.Users, err = s.db.ClientUsers(ctx, co.ID); err != nil {
		return nil, err
	}
	if v.Invitations, err = s.db.OpenClientInvitations(ctx, co.ID); err != nil {
		return nil, err
	}
	if inv, ok := c.Get(keyNewInvitation).(*newInvitation); ok {
		v.NewURL, v.NewTo, v.NewExpires = inv.url, inv.to, inv.expires
	}
	return v, nil
}

// keyNewInvitation carries an invitation just made to the company page,
// which shows its address once when it could not be e-mailed.
const keyNewInvitation = "bilag.new_invitation"

type newInvitation struct {
	url, to string
	expires time.Time
}

// inviteClient invites one of the company's own people: e-mailed when the
// portal sends mail, else shown once on the page to copy.
func (s *Server) inviteClient(c echo.Context) error {
	ctx := c.Request().Context()
	co, u := currentCompany(c), currentUser(c)
	back := fmt.Sprintf("/companies/%d", co.ID)
	name := strings.TrimSpace(c.FormValue("name"))
	to, ok := recipient(name, c.FormValue("email"))
	if !ok || name == "" || len(name) > 200 {
		return s.flashTo(c, s.t(c, "client.invite.bad"), back)
	}
	email := db.NormalizeEmail(c.FormValue("email"))
	if _, err := s.db.UserByEmail(ctx, email); err == nil {
		return s.flashTo(c, s.t(c, "client.invite.taken"), back)
	}
	secret := newSessionToken()
	inv := &db.ClientInvitation{CompanyID: co.ID, Email: email, Name: name, CreatedByID: u.ID, ExpiresAt: s.now().Add(clientInviteTTL).UTC()}
	if err := s.db.CreateClientInvitation(ctx, inv, secret); err != nil {
		return err
	}
	s.audit(c, db.AuditClientInvite, &co.ID, email, fmt.Sprintf("invitation=%d", inv.ID))
	link := s.absURL("/invite/" + secret)
	err := s.sendMail(ctx, s.invitationMail(c, co, inv, to, link))
	if err == nil {
		return s.flashTo(c, s.t(c, "client.invite.sent", email), back)
	}
	if !errors.Is(err, errMailOff) {
		s.log.Warn("mail client invitation", "company_id", co.ID, "err", err)
	}
	c.Set(keyNewInvitation, &newInvitation{url: link, to: email, expires: inv.ExpiresAt})
	return s.renderCompany(c, nil)
}

// invitationMail is the invitation, in the company's language with the
// English below.
func (s *Server) invitationMail(c echo.Context, co *db.Company, inv *db.ClientInvitation, to, link string) mail.Message {
	var subjects, texts []string
	for _, lang := range uniqueLangs(messageLang(co.Country, ""), "en") {
		until := inv.ExpiresAt.In(s.auditZone()).Format("2006-01-02 15:04 MST")
		subjects = append(subjects, s.views.Translate(lang, "client.mail.subject", co.Name))
		texts = append(texts, s.views.Translate(lang, "client.mail.body", inv.Name, s.firm, co.Name, until, link))
	}
	return mail.Message{To: to, Subject: strings.Join(subjects, " / "), Text: strings.Join(texts, "\n\n---\n\n")}
}

func uniqueLangs(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// endClientInvitation ends an open invitation of the company.
func (s *Server) endClientInvitation(c echo.Context) error {
	co := currentCompany(c)
	id, err := paramID(c, "invitationID")
	if err != nil {
		return err
	}
	inv, err := s.db.EndClientInvitation(c.Request().Context(), co.ID, id)
	if err != nil {
		return err
	}
	s.audit(c, db.AuditClientEnd, &co.ID, inv.Email, fmt.Sprintf("invitation=%d", inv.ID))
	return s.flashTo(c, s.t(c, "client.invite.ended"), fmt.Sprintf("/companies/%d", co.ID))
}

// endClientUser ends a client user of the company: they can no longer log
// in, and their sessions end at once.
func (s *Server) endClientUser(c echo.Context) error {
	co := currentCompany(c)
	id, err := paramID(c, "userID")
	if err != nil {
		return err
	}
	u, err := s.db.EndClientUser(c.Request().Context(), co.ID, id)
	if err != nil {
		return err
	}
	s.audit(c, db.AuditClientEnd, &co.ID, u.Email, fmt.Sprintf("user=%d", u.ID))
	return s.flashTo(c, s.t(c, "client.user.ended", u.Name), fmt.Sprintf("/companies/%d", co.ID))
}

type invitationPage struct {
	Invitation *db.ClientInvitation
	Company    *db.Company
	Form       *views.Form
	// Gone: used, ended or expired (or no such invitation).
	Gone bool
}

// invitation is the open invitation whose address c holds, with its
// company; nil when there is none that works.
func (s *Server) invitation(c echo.Context) (*db.ClientInvitation, *db.Company, error) {
	ctx := c.Request().Context()
	inv, err := s.db.ClientInvitationBySecret(ctx, c.Param("secret"))
	if isNotFound(err) || err == nil && !inv.Open(s.now()) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	co, err := s.db.Company(ctx, inv.CompanyID)
	if err != nil || !co.Active {
		return nil, nil, err
	}
	companyLanguage(c, co)
	return inv, co, nil
}

// showInvitation is the invitation's page: choose a password.
func (s *Server) showInvitation(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	inv, co, err := s.invitation(c)
	if err != nil {
		return err
	}
	if inv == nil {
		return c.Render(http.StatusNotFound, "client_invite", s.page(c, s.t(c, "client.accept.gone.title"), invitationPage{Gone: true}))
	}
	return s.render(c, "client_invite", s.t(c, "client.accept.title"), invitationPage{Invitation: inv, Company: co, Form: views.NewForm()})
}

// acceptInvitation makes the invitee a client user with the password
// they chose (under the policy), once, and logs them in.
func (s *Server) acceptInvitation(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	inv, co, err := s.invitation(c)
	if err != nil {
		return err
	}
	gone := func() error {
		return c.Render(http.StatusGone, "client_invite", s.page(c, s.t(c, "client.accept.gone.title"), invitationPage{Gone: true}))
	}
	if inv == nil {
		return gone()
	}
	pw := c.FormValue("new_password")
	f := views.NewForm()
	if key := passwordProblem(pw, inv.Name, inv.Email); key != "" {
		f.Fail("new_password", key)
	} else if c.FormValue("new_password_confirm") != pw {
		f.Fail("new_password_confirm", "settings.password.mismatch")
	}
	if !f.OK() {
		return c.Render(http.StatusUnprocessableEntity, "client_invite", s.page(c, s.t(c, "client.accept.title"), invitationPage{Invitation: inv, Company: co, Form: f}))
	}
	return s.createClientFrom(c, inv, co, pw, gone)
}

// createClientFrom is acceptInvitation's second half: the user made, the
// acceptance audited, the session started.
func (s *Server) createClientFrom(c echo.Context, inv *db.ClientInvitation, co *db.Company, pw string, gone func() error) error {
	ctx := c.Request().Context()
	hash, err := s.hasher.Hash(pw)
	if err != nil {
		return err
	}
	u := &db.User{Name: inv.Name, PasswordHash: hash}
	err = s.db.AcceptClientInvitation(ctx, inv, u)
	if errors.Is(err, db.ErrInvitationUsed) || errors.Is(err, db.ErrDuplicate) {
		return gone()
	}
	if err != nil {
		return err
	}
	_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditUserCreate, UserID: &u.ID, Actor: u.Email, CompanyID: &co.ID, Target: u.Email,
		Detail: fmt.Sprintf("role=client invitation=%d", inv.ID), RemoteIP: c.RealIP()})
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/companies/%d/client", co.ID))
}
