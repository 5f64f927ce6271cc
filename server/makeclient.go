package server

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"bilag/db"
)

// makeClient turns a viewer with exactly one membership into a client
// user of that company (issue 28): the edit page's form, confirmed by a
// tick as offboarding is, so that it works without JavaScript. Any other
// role or number of memberships is refused with a message saying which,
// and changes nothing. db.MakeClient ends the user's sessions and audits
// it on the company's trail.
func (s *Server) makeClient(c echo.Context) error {
	id, err := paramID(c, "userID")
	if err != nil {
		return err
	}
	to := "/admin/users/" + strconv.FormatInt(id, 10)
	if c.FormValue("confirm") != "yes" {
		return s.flashTo(c, s.t(c, "admin.user.client.unconfirmed"), to)
	}
	u, co, err := s.db.MakeClient(c.Request().Context(), id, auditBy(c))
	var many *db.MembershipsError
	switch {
	case errors.Is(err, db.ErrNotViewer):
		return s.flashTo(c, s.t(c, "admin.user.client.notviewer"), to)
	case errors.As(err, &many):
		return s.flashTo(c, s.t(c, "admin.user.client.memberships", many.N), to)
	case err != nil:
		return err
	}
	return s.flashTo(c, s.t(c, "admin.user.client.done", u.Name, co.Name), to)
}
