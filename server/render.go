package server

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/views"
)

// ofConnector is page data that shows one connector's words: the link's
// on the consent pages, the connection's on the company page.
type ofConnector interface{ connector() string }

// page wraps data in the envelope every template gets, and consumes the
// session's flash message. Data of a connector's gives the page that
// connector's words (views.Page.Connector).
func (s *Server) page(c echo.Context, title string, data any) *views.Page {
	sess := sessionOf(c)
	u := currentUser(c)
	p := &views.Page{
		Title:    title,
		Lang:     s.lang(c),
		User:     pageUser(u),
		Company:  pageCompany(currentCompany(c)),
		Path:     c.Request().URL.RequestURI(),
		Static:   s.staticURL,
		FirmName: s.firm,
		Zone:     s.zone,
		Data:     data,
	}
	p.Unread = s.unreadNotifications(c)
	if u != nil && u.IsAdmin() {
		p.Misconfigured = s.conns.Misconfigured()
	}
	if d, ok := data.(ofConnector); ok {
		p.Connector = d.connector()
	}
	if tok, ok := c.Get("csrf").(string); ok {
		p.CSRF = tok
	}
	if sess.Flash != "" {
		p.Flash = sess.Flash
		sess.Flash = ""
		_ = s.saveSession(c, sess)
	}
	return p
}

// barePage is the envelope of a page outside the portal (the
// accountant's): no user, no notifications, no flash; the session is not
// read, whoever else uses the browser.
func (s *Server) barePage(c echo.Context, title string, data any) *views.Page {
	p := &views.Page{Title: title, Lang: s.lang(c), Path: c.Request().URL.RequestURI(), Static: s.staticURL, FirmName: s.firm, Zone: s.zone, Data: data, Bare: true}
	if tok, ok := c.Get("csrf").(string); ok {
		p.CSRF = tok
	}
	return p
}

// pageUser is what a page shows of u; nil for nobody.
func pageUser(u *db.User) *views.User {
	if u == nil {
		return nil
	}
	return &views.User{Name: u.Name, Email: u.Email, Role: u.Role, IsAdmin: u.IsAdmin(), CanManageConnections: u.CanManageConnections(), IsClient: u.IsClient()}
}

// pageCompany is what a page's header shows of co; nil for none.
func pageCompany(co *db.Company) *views.Company {
	if co == nil {
		return nil
	}
	return &views.Company{ID: co.ID, Name: co.Name, Country: co.Country, OrgNumber: co.OrgNumber, Active: co.Active}
}

// renderer renders echo's c.Render with the views.
type renderer struct{ views *views.Renderer }

func (r renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.views.Execute(w, name, data)
}

// render renders a page with status 200.
func (s *Server) render(c echo.Context, name, title string, data any) error {
	return c.Render(http.StatusOK, name, s.page(c, title, data))
}

// t translates into the visitor's language.
func (s *Server) t(c echo.Context, key string, args ...any) string {
	return s.views.Translate(s.lang(c), key, args...)
}

// ct translates into the visitor's language as connector words it
// (views.TranslateFor), for a page of that connector's.
func (s *Server) ct(c echo.Context, connector, key string, args ...any) string {
	return s.views.TranslateFor(s.lang(c), connector, key, args...)
}

func paramID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("parameter %s: %w", name, echo.ErrNotFound)
	}
	return id, nil
}
