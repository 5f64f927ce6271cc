package server

import (
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"bilag/connectors/orgnr"
	"bilag/db"
	"bilag/server/password"
	"bilag/views"
)

// countries are those Bilag knows organisation numbers of.
func countries() []string { return []string{"SE", "NO", "DK", "FI", "NL"} }

func (s *Server) audit(c echo.Context, action string, companyID *int64, target, detail string) {
	e := auditBy(c)
	e.Action, e.CompanyID, e.Target, e.Detail = action, companyID, target, detail
	if err := s.db.Audit(c.Request().Context(), e); err != nil {
		s.log.Error("write audit event", "action", action, "err", err)
	}
}

// auditBy is an audit event by c's user, from c's address, for db to fill
// in with what was done.
func auditBy(c echo.Context) db.AuditEvent {
	e := db.AuditEvent{RemoteIP: c.RealIP()}
	if u := currentUser(c); u != nil {
		e.UserID, e.Actor = &u.ID, u.Email
	}
	return e
}

// --- users ---

type usersPage struct {
	Users []db.User
	// Overview is each user's companies and last login, by user id.
	Overview map[int64]db.UserOverview
}

func (s *Server) listUsers(c echo.Context) error {
	us, err := s.db.Users(c.Request().Context())
	if err != nil {
		return err
	}
	ov, err := s.db.UsersOverview(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, "admin_users", s.t(c, "admin.users"), usersPage{Users: us, Overview: ov})
}

type userFormPage struct {
	ID    int64
	Form  *views.Form
	Roles []string
	// SecondFactor: the user has one, which the admin may reset.
	SecondFactor bool
	// Companies a new user can be made a member of; Selected those chosen.
	Companies []db.Company
	Selected  map[int64]bool
	// Role is the edited user's stored role, MemberOf the names of their
	// companies: a viewer of exactly one can be made its client user.
	Role     string
	MemberOf []string
}

func (s *Server) newUser(c echo.Context) error {
	f := views.NewForm()
	f.Values["role"] = db.RoleViewer
	p, err := s.newUserPage(c, f)
	if err != nil {
		return err
	}
	return s.render(c, "admin_user_form", s.t(c, "admin.user.new"), p)
}

// newUserPage is the new-user form with the companies to choose from.
func (s *Server) newUserPage(c echo.Context, f *views.Form) (userFormPage, error) {
	cs, err := s.db.CompaniesForUser(c.Request().Context(), currentUser(c))
	if err != nil {
		return userFormPage{}, err
	}
	return userFormPage{Form: f, Roles: db.Roles(), Companies: cs, Selected: map[int64]bool{}}, nil
}

// chosenCompanies reads the companies ticked on the new-user form; an id
// that is no company fails the form, so a forged form saves nothing.
func chosenCompanies(c echo.Context, f *views.Form, p userFormPage) []int64 {
	known := map[int64]bool{}
	for _, co := range p.Companies {
		known[co.ID] = true
	}
	var ids []int64
	for _, v := range c.Request().Form["companies"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !known[id] {
			f.Fail("companies", "err.members")
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

// rolesFor are the roles the user form offers u (nil when creating): a
// client user stays one (the form offering only firm roles would make a
// client an administrator by its first option), and a firm user becomes
// a client only through makeClient, which checks the memberships.
func rolesFor(u *db.User) []string {
	if u != nil && u.IsClient() {
		return []string{db.RoleClient}
	}
	return db.Roles()
}

// userForm reads and validates the user form; email is the user's when
// editing, "" when creating (the email is then part of the form); roles
// are those the form offers (rolesFor).
func userForm(c echo.Context, email string, roles []string) *views.Form {
	creating := email == ""
	f := views.NewForm()
	for _, k := range []string{"name", "email", "role", "password", "active"} {
		f.Values[k] = strings.TrimSpace(c.FormValue(k))
	}
	f.Values["password"] = c.FormValue("password")
	switch name := f.Values["name"]; {
	case name == "":
		f.Fail("name", "err.required")
	case utf8.RuneCountInString(name) > 200:
		f.Fail("name", "err.toolong")
	}
	if creating {
		switch email := f.Values["email"]; {
		case email == "":
			f.Fail("email", "err.required")
		case len(email) > 254:
			f.Fail("email", "err.toolong")
		default:
			if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
				f.Fail("email", "err.email")
			}
		}
	}
	if !slices.Contains(roles, f.Values["role"]) {
		f.Fail("role", "err.role")
	}
	if !creating {
		f.Values["email"] = email
	}
	if p := f.Values["password"]; p != "" {
		if key := passwordProblem(p, f.Values["name"], f.Values["email"]); key != "" {
			f.Fail("password", key)
		}
	}
	return f
}

// passwordProblem is the message key of why pass may not be the password
// of the person called name with email (password.Check), or "".
func passwordProblem(pass, name, email string) string {
	switch err := password.Check(pass, name, email); {
	case err == nil:
		return ""
	case errors.Is(err, password.ErrTooShort):
		return "err.password.short"
	case errors.Is(err, password.ErrTooLong):
		return "err.toolong"
	case errors.Is(err, password.ErrCommon):
		return "err.password.common"
	default:
		return "err.password.personal"
	}
}

func (s *Server) createUser(c echo.Context) error {
	f := userForm(c, "", rolesFor(nil))
	p, err := s.newUserPage(c, f)
	if err != nil {
		return err
	}
	chosen := chosenCompanies(c, f, p)
	for _, id := range chosen {
		p.Selected[id] = true
	}
	if !f.OK() {
		return c.Render(http.StatusUnprocessableEntity, "admin_user_form", s.page(c, s.t(c, "admin.user.new"), p))
	}
	pass, generated := f.Values["password"], false
	if pass == "" {
		pass, generated = password.Generate(), true
	}
	hash, err := s.hasher.Hash(pass)
	if err != nil {
		return err
	}
	u := &db.User{Email: f.Values["email"], Name: f.Values["name"], Role: f.Values["role"], PasswordHash: hash, Active: true}
	if err := s.db.CreateUser(c.Request().Context(), u); err != nil {
		if errors.Is(err, db.ErrDuplicate) {
			f.Fail("email", "err.email.taken")
			return c.Render(http.StatusUnprocessableEntity, "admin_user_form", s.page(c, s.t(c, "admin.user.new"), p))
		}
		return err
	}
	if err := s.db.AddUserToCompanies(c.Request().Context(), u.ID, chosen); err != nil {
		return err
	}
	s.audit(c, db.AuditUserCreate, nil, u.Email, "role="+u.Role+" companies="+strconv.Itoa(len(chosen)))
	msg := s.t(c, "admin.user.saved")
	if generated {
		msg = s.t(c, "admin.user.created", pass)
	}
	return s.flashTo(c, msg, "/admin/users")
}

func (s *Server) loadUser(c echo.Context) (*db.User, error) {
	id, err := paramID(c, "userID")
	if err != nil {
		return nil, err
	}
	return s.db.User(c.Request().Context(), id)
}

func (s *Server) editUser(c echo.Context) error {
	u, err := s.loadUser(c)
	if err != nil {
		return err
	}
	f := views.NewForm()
	f.Values["name"], f.Values["email"], f.Values["role"] = u.Name, u.Email, u.Role
	if u.Active {
		f.Values["active"] = "1"
	}
	p, err := s.editUserPage(c, u, f)
	if err != nil {
		return err
	}
	return s.render(c, "admin_user_form", s.t(c, "admin.user.edit"), p)
}

// editUserPage is the edit form of u, with the companies u is a member
// of (what making u a client user would keep).
func (s *Server) editUserPage(c echo.Context, u *db.User, f *views.Form) (userFormPage, error) {
	ov, err := s.db.UsersOverview(c.Request().Context())
	if err != nil {
		return userFormPage{}, err
	}
	return userFormPage{ID: u.ID, Form: f, Roles: rolesFor(u), Role: u.Role, SecondFactor: u.HasSecondFactor(),
		MemberOf: ov[u.ID].Companies}, nil
}

func (s *Server) updateUser(c echo.Context) error {
	u, err := s.loadUser(c)
	if err != nil {
		return err
	}
	f := userForm(c, u.Email, rolesFor(u))
	active := f.Values["active"] == "1"
	if u.ID == currentUser(c).ID && (!active || f.Values["role"] != db.RoleAdmin) {
		f.Fail("active", "admin.user.self")
	}
	if !f.OK() {
		p, err := s.editUserPage(c, u, f)
		if err != nil {
			return err
		}
		return c.Render(http.StatusUnprocessableEntity, "admin_user_form", s.page(c, s.t(c, "admin.user.edit"), p))
	}
	// A new password, a new role or a deactivation ends the user's
	// sessions: whoever holds one logs in again under the new terms.
	ends := f.Values["password"] != "" || f.Values["role"] != u.Role || (u.Active && !active)
	u.Name, u.Role, u.Active = f.Values["name"], f.Values["role"], active
	if p := f.Values["password"]; p != "" {
		if u.PasswordHash, err = s.hasher.Hash(p); err != nil {
			return err
		}
	}
	if err := s.db.UpdateUser(c.Request().Context(), u); err != nil {
		return err
	}
	s.audit(c, db.AuditUserUpdate, nil, u.Email, "role="+u.Role+" active="+strconv.FormatBool(u.Active)+" password_changed="+strconv.FormatBool(f.Values["password"] != ""))
	msg, err := s.endSessionsOf(c, u, ends, s.t(c, "admin.user.saved"))
	if err != nil {
		return err
	}
	return s.flashTo(c, msg, "/admin/users")
}

// endSessionsOf ends u's sessions when ends (all but the admin's own
// session, when u is the admin), and returns msg, saying so if it did.
func (s *Server) endSessionsOf(c echo.Context, u *db.User, ends bool, msg string) (string, error) {
	if !ends {
		return msg, nil
	}
	keep := ""
	if u.ID == currentUser(c).ID {
		keep = sessionOf(c).SID
	}
	n, err := s.db.EndUserSessions(c.Request().Context(), u.ID, keep)
	if err != nil {
		return "", err
	}
	s.audit(c, db.AuditUserUpdate, nil, u.Email, "sessions_ended="+strconv.FormatInt(n, 10))
	return msg + " " + s.t(c, "admin.user.sessions.ended"), nil
}

func (s *Server) resetPassword(c echo.Context) error {
	u, err := s.loadUser(c)
	if err != nil {
		return err
	}
	pass := password.Generate()
	if u.PasswordHash, err = s.hasher.Hash(pass); err != nil {
		return err
	}
	if err := s.db.UpdateUser(c.Request().Context(), u); err != nil {
		return err
	}
	s.audit(c, db.AuditUserUpdate, nil, u.Email, "password_reset")
	msg, err := s.endSessionsOf(c, u, true, s.t(c, "admin.user.reset", pass))
	if err != nil {
		return err
	}
	return s.flashTo(c, msg, "/admin/users/"+strconv.FormatInt(u.ID, 10))
}

// --- companies ---

type companiesPage struct{ Companies []db.Company }

func (s *Server) listCompanies(c echo.Context) error {
	cs, err := s.db.CompaniesForUser(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.render(c, "admin_companies", s.t(c, "admin.companies"), companiesPage{Companies: cs})
}

type companyFormPage struct {
	ID         int64
	Form       *views.Form
	Countries  []string
	Candidates []db.User
	Selected   map[int64]bool
}

func (s *Server) companyFormPage(c echo.Context, id int64, f *views.Form, selected map[int64]bool) (companyFormPage, error) {
	us, err := s.db.Users(c.Request().Context())
	if err != nil {
		return companyFormPage{}, err
	}
	p := companyFormPage{ID: id, Form: f, Countries: countries(), Selected: selected}
	for _, u := range us {
		if !u.IsAdmin() {
			p.Candidates = append(p.Candidates, u)
		}
	}
	return p, nil
}

func (s *Server) newCompany(c echo.Context) error {
	f := views.NewForm()
	f.Values["country"] = "SE"
	p, err := s.companyFormPage(c, 0, f, map[int64]bool{})
	if err != nil {
		return err
	}
	return s.render(c, "admin_company_form", s.t(c, "admin.company.new"), p)
}

// companyForm reads and validates the company form.
func companyForm(c echo.Context) (*views.Form, []int64) {
	f := views.NewForm()
	for _, k := range []string{"name", "country", "org_number", "active", "prefetch"} {
		f.Values[k] = strings.TrimSpace(c.FormValue(k))
	}
	switch name := f.Values["name"]; {
	case name == "":
		f.Fail("name", "err.required")
	case utf8.RuneCountInString(name) > 200:
		f.Fail("name", "err.toolong")
	}
	country := f.Values["country"]
	known := false
	for _, k := range countries() {
		known = known || k == country
	}
	if !known {
		f.Fail("country", "err.country")
	}
	if org := f.Values["org_number"]; org == "" {
		f.Fail("org_number", "err.required")
	} else if len(org) > 32 {
		f.Fail("org_number", "err.toolong")
	} else if known {
		if norm, err := orgnr.Validate(country, org); err != nil {
			f.Fail("org_number", orgErrorKey(err))
		} else {
			f.Values["org_number"] = norm
		}
	}
	var members []int64
	for _, v := range c.Request().Form["members"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			members = append(members, id)
		}
	}
	return f, members
}

func orgErrorKey(err error) string {
	if errors.Is(err, orgnr.ErrCheckDigit) {
		return "err.orgnr.check"
	}
	return "err.orgnr.format"
}

func selectedSet(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func (s *Server) createCompany(c echo.Context) error {
	ctx := c.Request().Context()
	f, members := companyForm(c)
	fail := func() error {
		p, err := s.companyFormPage(c, 0, f, selectedSet(members))
		if err != nil {
			return err
		}
		return c.Render(http.StatusUnprocessableEntity, "admin_company_form", s.page(c, s.t(c, "admin.company.new"), p))
	}
	if err := s.checkMembers(c, f, members); err != nil {
		return err
	}
	if !f.OK() {
		return fail()
	}
	co := &db.Company{Name: f.Values["name"], Country: f.Values["country"], OrgNumber: f.Values["org_number"], Active: true}
	if err := s.db.CreateCompany(ctx, co); err != nil {
		if errors.Is(err, db.ErrDuplicate) {
			f.Fail("org_number", "err.orgnr.taken")
			return fail()
		}
		return err
	}
	if err := s.db.SetMembers(ctx, co.ID, members); err != nil {
		return err
	}
	s.audit(c, db.AuditCompanyCreate, &co.ID, co.Name, co.Country+" "+co.OrgNumber)
	return s.flashTo(c, s.t(c, "admin.company.created"), "/admin/companies")
}

func (s *Server) loadCompanyAdmin(c echo.Context) (*db.Company, error) {
	id, err := paramID(c, "companyID")
	if err != nil {
		return nil, err
	}
	return s.db.Company(c.Request().Context(), id)
}

func (s *Server) editCompany(c echo.Context) error {
	co, err := s.loadCompanyAdmin(c)
	if err != nil {
		return err
	}
	members, err := s.db.Members(c.Request().Context(), co.ID)
	if err != nil {
		return err
	}
	f := views.NewForm()
	f.Values["name"], f.Values["country"], f.Values["org_number"] = co.Name, co.Country, co.OrgNumber
	if co.Active {
		f.Values["active"] = "1"
	}
	if !co.NoPrefetch {
		f.Values["prefetch"] = "1"
	}
	p, err := s.companyFormPage(c, co.ID, f, selectedSet(members))
	if err != nil {
		return err
	}
	return s.render(c, "admin_company_form", s.t(c, "admin.company.edit"), p)
}

func (s *Server) updateCompany(c echo.Context) error {
	ctx := c.Request().Context()
	co, err := s.loadCompanyAdmin(c)
	if err != nil {
		return err
	}
	f, members := companyForm(c)
	fail := func() error {
		p, err := s.companyFormPage(c, co.ID, f, selectedSet(members))
		if err != nil {
			return err
		}
		return c.Render(http.StatusUnprocessableEntity, "admin_company_form", s.page(c, s.t(c, "admin.company.edit"), p))
	}
	if err := s.checkMembers(c, f, members); err != nil {
		return err
	}
	if !f.OK() {
		return fail()
	}
	oldOrg := co.OrgNumber
	co.Name, co.Country, co.OrgNumber, co.Active = f.Values["name"], f.Values["country"], f.Values["org_number"], f.Values["active"] == "1"
	co.NoPrefetch = f.Values["prefetch"] != "1"
	closed, err := s.db.UpdateCompany(ctx, co, auditBy(c))
	if err != nil {
		if errors.Is(err, db.ErrDuplicate) {
			f.Fail("org_number", "err.orgnr.taken")
			return fail()
		}
		return err
	}
	if err := s.db.SetMembers(ctx, co.ID, members); err != nil {
		return err
	}
	return s.companySaved(c, co, oldOrg, len(members), closed)
}

// companySaved audits a saved company (its number as it was, when it
// changed) and says so; closed is how many of its links the save closed.
func (s *Server) companySaved(c echo.Context, co *db.Company, oldOrg string, members int, closed int64) error {
	detail := "active=" + strconv.FormatBool(co.Active) + " prefetch=" + strconv.FormatBool(!co.NoPrefetch) + " members=" + strconv.Itoa(members)
	if co.OrgNumber != oldOrg {
		detail += " org_number=" + oldOrg + "→" + co.OrgNumber
	}
	s.audit(c, db.AuditCompanyUpdate, &co.ID, co.Name, detail)
	msg := s.t(c, "admin.company.saved")
	if closed > 0 {
		// The links' holders have nothing left to open: their makers
		// should know to send new ones.
		msg = s.t(c, "admin.company.links_closed", closed)
	}
	return s.flashTo(c, msg, "/admin/companies")
}

// checkMembers fails the form when a member id is not a non-admin user, so
// that a forged form cannot half-save a company.
func (s *Server) checkMembers(c echo.Context, f *views.Form, members []int64) error {
	us, err := s.db.Users(c.Request().Context())
	if err != nil {
		return err
	}
	ok := map[int64]bool{}
	for _, u := range us {
		ok[u.ID] = !u.IsAdmin()
	}
	for _, id := range members {
		if !ok[id] {
			f.Fail("members", "err.members")
			break
		}
	}
	return nil
}
