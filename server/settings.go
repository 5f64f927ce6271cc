package server

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/views"
)

// maxAPITokens bounds a person's live tokens; more is a sign of tokens
// made and forgotten rather than of need.
const maxAPITokens = 20

type settingsPage struct {
	Tokens []db.APIToken
	Form   *views.Form
	// NewToken is a token just created, shown this once and never again:
	// only its hash is stored.
	NewToken string
	// Password is the password form (account.go).
	Password *views.Form
	// SecondFactor is the person's second-factor state (secondfactor.go).
	SecondFactor secondFactorState
	// RecoveryCodes are the codes of an enrolment just confirmed, or made
	// anew, shown this once; RecoveryFile is them as a text file to
	// download. CodeError is a refused confirmation code.
	RecoveryCodes []string
	RecoveryFile  template.URL
	CodeError     string
	// ManageError is why a second-factor change was refused.
	ManageError string
}

// secondFactorState is what the Settings page says of the second factor.
type secondFactorState struct {
	Enabled bool
	// Required: an admin without one may do nothing else.
	Required bool
	// Pending is a key to scan and confirm.
	Pending *enrolment
	// Left is the number of unused recovery codes.
	Left int64
	// CanTurnOff: the second factor is optional for this person.
	CanTurnOff bool
}

// settingsRoutes mounts the settings forms (API tokens, password, second
// factor).
func (s *Server) settingsRoutes(g *echo.Group) {
	g.POST("/settings/second-factor", s.startSecondFactor)
	g.POST("/settings/second-factor/confirm", s.confirmSecondFactor)
	g.POST("/settings/second-factor/codes", s.replaceRecoveryCodes)
	g.POST("/settings/second-factor/off", s.turnOffSecondFactor)
	g.POST("/settings/password", s.changePassword)
	g.POST("/settings/tokens", s.createAPIToken)
	g.POST("/settings/tokens/:tokenID/revoke", s.revokeAPIToken)
}

func (s *Server) showSettings(c echo.Context) error {
	return s.renderSettings(c, http.StatusOK, settingsPage{Form: views.NewForm()})
}

func (s *Server) renderSettings(c echo.Context, status int, p settingsPage) error {
	var err error
	if p.Password == nil {
		p.Password = views.NewForm()
	}
	if p.Tokens, err = s.db.APITokensForUser(c.Request().Context(), currentUser(c).ID); err != nil {
		return err
	}
	if p.SecondFactor, err = s.secondFactorState(c.Request().Context(), currentUser(c).ID); err != nil {
		return err
	}
	return c.Render(status, "settings", s.page(c, s.t(c, "settings.title"), p))
}

// createAPIToken makes a personal API token and shows it on the page this
// POST answers, once: it is not kept anywhere it could be shown again.
func (s *Server) createAPIToken(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	f := views.NewForm()
	name := strings.TrimSpace(c.FormValue("name"))
	f.Values["name"] = name
	switch {
	case name == "":
		f.Fail("name", "err.required")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100:
		f.Fail("name", "err.toolong")
	}
	if f.OK() {
		live, err := s.db.APITokensForUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(live) >= maxAPITokens {
			f.Fail("name", "api.token.toomany")
		}
	}
	if !f.OK() {
		return s.renderSettings(c, http.StatusUnprocessableEntity, settingsPage{Form: f})
	}
	secret := newAPIToken()
	t := &db.APIToken{UserID: u.ID, Name: name}
	if err := s.db.CreateAPIToken(ctx, t, secret); err != nil {
		return err
	}
	s.audit(c, db.AuditAPITokenCreate, nil, name, fmt.Sprintf("token_id=%d prefix=%s", t.ID, t.Prefix))
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.renderSettings(c, http.StatusOK, settingsPage{Form: views.NewForm(), NewToken: secret})
}

// revokeAPIToken revokes one of the user's own tokens; anyone else's is 404.
func (s *Server) revokeAPIToken(c echo.Context) error {
	id, err := paramID(c, "tokenID")
	if err != nil {
		return err
	}
	u := currentUser(c)
	if err := s.db.RevokeAPIToken(c.Request().Context(), u.ID, id); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return echo.ErrNotFound
		}
		return err
	}
	s.audit(c, db.AuditAPITokenRevoke, nil, "", fmt.Sprintf("token_id=%d", id))
	if err := s.flash(c, s.t(c, "api.token.revoked")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings")
}
