package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/views"
)

// The company page's part about the API for front systems, for admins: a
// company's send-only integration tokens (made, shown once, revoked) and
// whether the invoices they send are sent at once or held for a person.

// maxIntegrationTokens bounds a company's live integration tokens.
const maxIntegrationTokens = 20

// keyIntegrations carries the section's state from a form that failed, or
// made a token, to the company page that answers it.
const keyIntegrations ctxKey = "integrations"

// integrationsView is the section as the company page shows it.
type integrationsView struct {
	Tokens []db.IntegrationToken
	// Receivers are the connectors of the company's receiving
	// connections, with their names, for the token form's choice.
	Receivers []receiverChoice
	Form      *views.Form
	// NewToken is a token just made, shown this once: only its hash is
	// kept.
	NewToken string
	AtOnce   bool
}

type receiverChoice struct{ Connector, Name string }

// integrationRoutes mounts the section's forms on the company's group;
// admins only (others get 404).
func (s *Server) integrationRoutes(c *echo.Group) {
	c.POST("/integrations/tokens", s.createIntegrationToken, s.requireAdmin)
	c.POST("/integrations/tokens/:tokenID/revoke", s.revokeIntegrationToken, s.requireAdmin)
	c.POST("/integrations/sending", s.setAPISending, s.requireAdmin)
}

// integrations is the section for the company page: nil unless the
// person is an admin.
func (s *Server) integrations(c echo.Context, co *db.Company) (*integrationsView, error) {
	if !currentUser(c).IsAdmin() {
		return nil, nil
	}
	v, _ := c.Get(string(keyIntegrations)).(*integrationsView)
	if v == nil {
		v = &integrationsView{Form: views.NewForm()}
	}
	ctx := c.Request().Context()
	var err error
	if v.Tokens, err = s.db.IntegrationTokensOf(ctx, co.ID); err != nil {
		return nil, err
	}
	conns, err := s.conns.Receivers(ctx, co.ID)
	if err != nil {
		return nil, err
	}
	for _, conn := range conns {
		v.Receivers = append(v.Receivers, receiverChoice{Connector: conn.Connector, Name: s.connectorName(s.lang(c), conn.Connector)})
	}
	v.AtOnce = co.APISendAtOnce
	return v, nil
}

// createIntegrationToken makes a send-only token for the company and
// shows it on the page this POST answers, once.
func (s *Server) createIntegrationToken(c echo.Context) error {
	ctx := c.Request().Context()
	co, u := currentCompany(c), currentUser(c)
	f := views.NewForm()
	name, connector := strings.TrimSpace(c.FormValue("name")), c.FormValue("connector")
	f.Values["name"], f.Values["connector"] = name, connector
	switch {
	case name == "":
		f.Fail("name", "err.required")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100:
		f.Fail("name", "err.toolong")
	}
	conns, err := s.conns.Receivers(ctx, co.ID)
	if err != nil {
		return err
	}
	if connector != "" && !slices.ContainsFunc(conns, func(c db.Connection) bool { return c.Connector == connector }) {
		f.Fail("connector", "integrations.err.connector")
	}
	if live, err := s.db.IntegrationTokensOf(ctx, co.ID); err != nil {
		return err
	} else if len(live) >= maxIntegrationTokens {
		f.Fail("name", "integrations.err.toomany")
	}
	if !f.OK() {
		c.Set(string(keyIntegrations), &integrationsView{Form: f})
		return s.renderCompany(c, nil)
	}
	secret := newIntegrationToken()
	t := &db.IntegrationToken{CompanyID: co.ID, Name: name, Connector: connector, CreatedBy: &u.ID, CreatedByName: u.Name}
	if err := s.db.CreateIntegrationToken(ctx, t, secret); err != nil {
		return err
	}
	s.audit(c, db.AuditIntegrationTokenCreate, &co.ID, name, fmt.Sprintf("token_id=%d prefix=%s connector=%s", t.ID, t.Prefix, or(connector, "only")))
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Set(string(keyIntegrations), &integrationsView{Form: views.NewForm(), NewToken: secret})
	return s.renderCompany(c, nil)
}

// revokeIntegrationToken revokes one of the company's tokens.
func (s *Server) revokeIntegrationToken(c echo.Context) error {
	co := currentCompany(c)
	id, err := paramID(c, "tokenID")
	if err != nil {
		return err
	}
	t, err := s.db.RevokeIntegrationToken(c.Request().Context(), co.ID, id)
	if err != nil {
		return err
	}
	s.audit(c, db.AuditIntegrationTokenRevoke, &co.ID, t.Name, fmt.Sprintf("token_id=%d prefix=%s", t.ID, t.Prefix))
	return s.flashTo(c, s.t(c, "integrations.revoked", t.Name), companyURL(co)+"#integrations")
}

// setAPISending records whether API batches are sent at once or held.
func (s *Server) setAPISending(c echo.Context) error {
	co := currentCompany(c)
	atOnce := c.FormValue("sending") == "at_once"
	if atOnce != co.APISendAtOnce {
		if err := s.db.SetAPISendAtOnce(c.Request().Context(), co.ID, atOnce); err != nil {
			return err
		}
		word := map[bool]string{true: "at_once", false: "held"}
		s.audit(c, db.AuditAPISending, &co.ID, word[atOnce], word[co.APISendAtOnce]+" → "+word[atOnce])
	}
	return s.flashTo(c, s.t(c, "integrations.saved"), companyURL(co)+"#integrations")
}

func companyURL(co *db.Company) string { return "/companies/" + strconv.FormatInt(co.ID, 10) }

// or is v, or def when v is empty.
func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
