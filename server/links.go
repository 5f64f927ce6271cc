package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/views"
)

type ttlOption struct{ Value, Label string }

func (s *Server) ttlOptions() []ttlOption {
	opts := []ttlOption{{"15m0s", "link.ttl.15m"}, {"1h0m0s", "link.ttl.1h"}, {"24h0m0s", "link.ttl.1d"}, {"72h0m0s", "link.ttl.3d"}, {"168h0m0s", "link.ttl.7d"}, {"336h0m0s", "link.ttl.14d"}}
	for _, o := range opts {
		if o.Value == s.linkTTL.String() {
			return opts
		}
	}
	return append([]ttlOption{{s.linkTTL.String(), s.linkTTL.String()}}, opts...)
}

type linkView struct {
	ID          int64
	State       string
	Reason      string
	ExpectedOrg string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Revocable   bool
}

func (s *Server) linkView(c echo.Context, l *db.ConsentLink) linkView {
	st := l.State(s.now())
	v := linkView{ID: l.ID, State: st, ExpectedOrg: l.ExpectedOrgNumber, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt,
		Revocable: st != db.LinkConnected && st != db.LinkRevoked && st != db.LinkExpired}
	if st == db.LinkFailed {
		v.Reason = s.t(c, "reason."+l.Reason)
		if l.Detail != "" {
			v.Reason += " (" + l.Detail + ")"
		}
	}
	return v
}

func (s *Server) createLink(c echo.Context) error {
	co := currentCompany(c)
	if !co.Active {
		return echo.ErrForbidden
	}
	f, l := s.linkForm(c, co)
	if !f.OK() {
		return s.renderCompany(c, f)
	}
	secret := randomToken(32)
	if err := s.db.CreateLink(c.Request().Context(), l, secret); err != nil {
		return err
	}
	s.audit(c, db.AuditLinkCreate, &co.ID, "link "+strconv.FormatInt(l.ID, 10),
		"connector="+l.Connector+" expires="+l.ExpiresAt.Format(time.RFC3339)+" expected_org="+l.ExpectedOrgNumber)
	sess := sessionOf(c)
	sess.Reveal = &reveal{CompanyID: co.ID, URL: s.absURL("/connect/" + secret), ExpiresAt: l.ExpiresAt, ExpectedOrg: l.ExpectedOrgNumber}
	if err := s.saveSession(c, sess); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/companies/%d", co.ID))
}

// linkForm reads the "activate" form into the link it asks for; the form
// holds what was wrong with it. The link expects the company's own
// organisation number, from the company record (db.CreateLink keeps to it
// too): a number typed into a form could bind another client's books.
func (s *Server) linkForm(c echo.Context, co *db.Company) (*views.Form, *db.ConsentLink) {
	f := views.NewForm()
	f.Values["ttl"] = c.FormValue("ttl")
	f.Values["connector"] = c.FormValue("connector")
	l := &db.ConsentLink{CompanyID: co.ID, CreatedByID: currentUser(c).ID, ExpectedOrgNumber: co.OrgNumber}
	ttl, ok := s.linkTTL, true
	if v := f.Values["ttl"]; v != "" {
		ok = slices.ContainsFunc(s.ttlOptions(), func(o ttlOption) bool { return o.Value == v })
		ttl, _ = time.ParseDuration(v)
	}
	if !ok {
		f.Fail("ttl", "err.400")
	}
	l.ExpiresAt = s.now().Add(ttl).UTC()
	offered := s.conns.Offered(co.Country)
	switch l.Connector = f.Values["connector"]; {
	case len(offered) == 0:
		f.Fail("connector", "link.connector.none")
	case len(offered) == 1 && l.Connector == "":
		l.Connector = offered[0]
	case !slices.Contains(offered, l.Connector):
		f.Fail("connector", "link.connector.pick")
	}
	return f, l
}

func (s *Server) revokeLink(c echo.Context) error {
	co := currentCompany(c)
	id, err := paramID(c, "linkID")
	if err != nil {
		return err
	}
	if err := s.db.RevokeLink(c.Request().Context(), co.ID, id); err != nil {
		return err
	}
	s.audit(c, db.AuditLinkRevoke, &co.ID, "link "+strconv.FormatInt(id, 10), "")
	return s.flashTo(c, s.t(c, "link.revoked"), fmt.Sprintf("/companies/%d", co.ID))
}

type linkStatusJSON struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Label  string `json:"label"`
	Reason string `json:"reason,omitempty"`
}

// linkStatus feeds the live status on the company page.
func (s *Server) linkStatus(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	out := struct {
		Links      []linkStatusJSON `json:"links"`
		Connection string           `json:"connection"`
	}{Links: []linkStatusJSON{}, Connection: "none"}
	if currentUser(c).CanManageConnections() {
		links, err := s.db.LinksForCompany(ctx, co.ID, 10)
		if err != nil {
			return err
		}
		for i := range links {
			v := s.linkView(c, &links[i])
			out.Links = append(out.Links, linkStatusJSON{ID: v.ID, State: v.State, Label: s.t(c, "link.status."+v.State), Reason: v.Reason})
		}
	}
	if conn, err := s.conns.Current(ctx, co.ID); err == nil {
		out.Connection = conn.Status + "@" + conn.ApprovedAt.UTC().Format(time.RFC3339Nano)
	} else if !isNotFound(err) {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

func (s *Server) disconnect(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	if c.FormValue("confirm") != "yes" {
		return s.flashTo(c, s.t(c, "conn.disconnect.unconfirmed"), fmt.Sprintf("/companies/%d", co.ID))
	}
	conn, err := s.conns.Current(ctx, co.ID)
	if err != nil {
		return err
	}
	if err := s.conns.Disconnect(ctx, conn); err != nil {
		return err
	}
	s.audit(c, db.AuditDisconnect, &co.ID, conn.Connector, conn.ExternalName+" "+conn.OrgNumber)
	return s.flashTo(c, s.t(c, "conn.disconnected.flash"), fmt.Sprintf("/companies/%d", co.ID))
}
