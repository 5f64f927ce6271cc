package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/password"
	"bilag/views"
)

// changePassword sets the person's own password. It proves the current
// one (a wrong one counts against the login throttle, so a borrowed
// session cannot guess it) and ends every other session of theirs.
func (s *Server) changePassword(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	next := c.FormValue("new_password")
	f := s.passwordForm(c, u, next)
	if !f.OK() {
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsPage{Form: views.NewForm(), Password: f})
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if err := s.db.UpdateUser(ctx, u); err != nil {
		return err
	}
	n, err := s.db.EndUserSessions(ctx, u.ID, sessionOf(c).SID)
	if err != nil {
		return err
	}
	s.audit(c, db.AuditUserUpdate, nil, u.Email, "own_password_changed sessions_ended="+strconv.FormatInt(n, 10))
	return s.flashTo(c, s.t(c, "settings.password.changed"), "/settings")
}

// passwordForm checks the password form: the current password, the new
// one against the policy, and its confirmation. It never keeps a password
// in the form's values, so none is written back into the page.
func (s *Server) passwordForm(c echo.Context, u *db.User, next string) *views.Form {
	f := views.NewForm()
	if key := s.checkCurrentPassword(c, u); key != "" {
		f.Fail("current_password", key)
		return f
	}
	if key := passwordProblem(next, u.Name, u.Email); key != "" {
		f.Fail("new_password", key)
	} else if c.FormValue("new_password_confirm") != next {
		f.Fail("new_password_confirm", "settings.password.mismatch")
	}
	return f
}

// checkCurrentPassword is the message key of why the form's
// current_password is not u's password, or "". Wrong ones count against
// the login throttle, so a borrowed session cannot guess it.
func (s *Server) checkCurrentPassword(c echo.Context, u *db.User) string {
	ip := c.RealIP()
	current := c.FormValue("current_password")
	if blocked, _ := s.throttle.blocked(u.Email, ip); blocked {
		return "settings.password.throttled"
	}
	if ok, err := password.Verify(u.PasswordHash, current); len(current) > 4*password.MaxLength || err != nil || !ok {
		s.throttle.fail(u.Email, ip)
		return "settings.password.wrong"
	}
	return ""
}
