package server

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/mail"
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
	ID    int64
	State string
	// Then is a link of two steps' second connector; ThenState where its
	// step stands (db.ConsentLink.ThenState), ThenReason why it failed,
	// in words, ThenLine all of it in a line. A half-done approval shows
	// on its own line.
	Then, ThenState, ThenReason, ThenLine string
	Reason                                string
	Next                                  string
	ExpectedOrg                           string
	CreatedAt                             time.Time
	ExpiresAt                             time.Time
	Revocable                             bool
	SentTo                                string
	Approver                              string
}

func (s *Server) linkView(c echo.Context, l *db.ConsentLink) linkView {
	st := l.State(s.now())
	v := linkView{ID: l.ID, State: st, ExpectedOrg: l.ExpectedOrgNumber, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt,
		Revocable: st != db.LinkConnected && st != db.LinkRevoked && st != db.LinkExpired, SentTo: l.SentTo, Approver: l.Approver}
	if l.ThenConnector != "" {
		v.Then, v.ThenState = l.ThenConnector, l.ThenState(s.now())
		v.Revocable = v.Revocable || l.ThenUsable(s.now())
		if l.ThenReason != "" && (v.ThenState == db.LinkFailed || v.ThenState == db.LinkRevoked || v.ThenState == db.LinkExpired) {
			v.ThenReason, _ = s.failureWords(s.lang(c), l.ThenReason, l.ThenDetail)
		}
		v.ThenLine = s.thenLine(c, v)
	}
	switch {
	case st == db.LinkFailed:
		v.Reason, v.Next = s.failureWords(s.lang(c), l.Reason, l.Detail)
	case st == db.LinkRevoked && (l.Reason == "superseded" || l.Reason == "org_changed"):
		v.Reason = s.t(c, "reason."+l.Reason)
	case l.Status == db.LinkFailed || st == db.LinkRevoked && l.Reason != "":
		// Expired or closed after a failure: the history still says what
		// went wrong, without a next step for a link that is done.
		why, _ := s.failureWords(s.lang(c), l.Reason, l.Detail)
		v.Reason = s.t(c, "link.last_failure", why)
	}
	return v
}

// failureWords puts why a link failed in words, the permission areas
// included, and what to do next.
func (s *Server) failureWords(lang, reason, detail string) (why, next string) {
	why = s.views.Translate(lang, "reason."+reason)
	if detail != "" {
		if reason == "permission" || reason == "missing_scope" {
			var areas []string
			for a := range strings.SplitSeq(detail, ",") {
				a = strings.TrimSpace(a)
				if w := s.views.Translate(lang, "area."+a); w != "area."+a {
					a = w
				}
				areas = append(areas, a)
			}
			detail = strings.Join(areas, ", ")
		}
		why += " (" + detail + ")"
	}
	next = s.views.Translate(lang, "next."+reason)
	if next == "next."+reason {
		next = s.views.Translate(lang, "next.default")
	}
	return why, next
}

func (s *Server) createLink(c echo.Context) error {
	co := currentCompany(c)
	if !co.Active {
		return echo.ErrForbidden
	}
	f, l := s.linkForm(c, co)
	f.Values["approver_name"], f.Values["approver_email"] = c.FormValue("approver_name"), c.FormValue("approver_email")
	f.Values["message_lang"] = c.FormValue("message_lang")
	to, toOK := recipient(f.Values["approver_name"], f.Values["approver_email"])
	if c.FormValue("approver_email") != "" && !toOK {
		f.Fail("approver_email", "share.bad_address")
	}
	if !f.OK() {
		return s.renderCompany(c, f)
	}
	cp, err := s.makeLink(c, co, l, c.FormValue("message_lang"))
	if err != nil {
		return err
	}
	msg := s.t(c, "link.made")
	if toOK && c.FormValue("approver_email") != "" {
		msg = s.sendWords(c, co.ID, s.mailLink(c, co, l, cp, to), to)
	}
	return s.flashTo(c, msg, copyURL(co.ID, cp.Lang))
}

// copyURL is the company page showing a link's copy with its message in
// lang, as the analyst picked or the mail went.
func copyURL(companyID int64, lang string) string {
	return fmt.Sprintf("/companies/%d?msg=%s#link-copy", companyID, url.QueryEscape(lang))
}

// randomToken returns n random bytes, base64url encoded: a link's secret.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// makeLink stores l with a fresh secret and audits it; the copy is what
// its maker passes on, its message in lang (see messageLang).
func (s *Server) makeLink(c echo.Context, co *db.Company, l *db.ConsentLink, lang string) (*linkCopy, error) {
	secret := randomToken(32)
	if err := s.db.CreateLink(c.Request().Context(), l, secret); err != nil {
		return nil, err
	}
	s.audit(c, db.AuditLinkCreate, &co.ID, "link "+strconv.FormatInt(l.ID, 10),
		"connector="+l.Connector+thenDetail(l)+" expires="+l.ExpiresAt.Format(time.RFC3339)+" expected_org="+l.ExpectedOrgNumber)
	cp, err := s.linkCopyOf(c.Request().Context(), co, l, currentUser(c).Name, lang)
	if err == nil && cp == nil {
		err = fmt.Errorf("consent link %d cannot be shown", l.ID)
	}
	return cp, err
}

// thenDetail is the audit's word of l's second step, "" for none.
func thenDetail(l *db.ConsentLink) string {
	if l.ThenConnector == "" {
		return ""
	}
	return " then=" + l.ThenConnector
}

// sendWords is the flash after e-mailing a link: sent, or why not, in
// words. A fault of the mail server is logged, never shown.
func (s *Server) sendWords(c echo.Context, companyID int64, err error, to string) string {
	switch {
	case err == nil:
		return s.t(c, "share.sent", to)
	case errors.Is(err, errMailOff):
		return s.t(c, "share.mail_off")
	case errors.Is(err, mail.ErrInvalidMessage):
		return s.t(c, "share.bad_address")
	}
	s.log.Warn("send consent link", "company_id", companyID, "err", err)
	return s.t(c, "share.failed")
}

// sendLink e-mails a link nobody has opened yet to a named approver.
func (s *Server) sendLink(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	id, err := paramID(c, "linkID")
	if err != nil {
		return err
	}
	l, err := s.db.Link(ctx, id)
	if err != nil || l.CompanyID != co.ID {
		return echo.ErrNotFound
	}
	lang := messageLang(co.Country, c.FormValue("lang"))
	back := copyURL(co.ID, lang)
	to, ok := recipient(c.FormValue("name"), c.FormValue("email"))
	if !ok {
		return s.flashTo(c, s.t(c, "share.bad_address"), back)
	}
	cp, err := s.linkCopyOf(ctx, co, l, currentUser(c).Name, lang)
	if err != nil {
		return err
	}
	if cp == nil {
		return s.flashTo(c, s.t(c, "share.gone"), back)
	}
	return s.flashTo(c, s.sendWords(c, co.ID, s.mailLink(c, co, l, cp, to), to), back)
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
	case l.Connector == "":
		// A bulk request that names no system: the one the company is
		// connected with, if any; never a guess among several.
		if cur, err := s.conns.Current(c.Request().Context(), co.ID); err == nil && slices.Contains(offered, cur.Connector) {
			l.Connector = cur.Connector
		} else {
			f.Fail("connector", "link.connector.pick")
		}
	case !slices.Contains(offered, l.Connector):
		f.Fail("connector", "link.connector.pick")
	}
	// The second step, when asked for, must be the chosen connector's
	// companion: a link never asks for more than its analyst picked.
	if f.Values["then"] = c.FormValue("then"); f.Values["then"] != "" {
		if f.Values["then"] != s.conns.Companion(l.Connector) {
			f.Fail("then", "link.then.pick")
		}
		l.ThenConnector = f.Values["then"]
	}
	return f, l
}

// thenChoice is a second step a link for Connector may carry.
type thenChoice struct{ Connector, Then string }

// thenChoices are the second steps links for connectors may carry.
func (s *Server) thenChoices(connectors []string) []thenChoice {
	var out []thenChoice
	for _, name := range connectors {
		if then := s.conns.Companion(name); then != "" {
			out = append(out, thenChoice{Connector: name, Then: then})
		}
	}
	return out
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
	// ThenState and Then are a link of two steps' second step: where it
	// stands, and its line in words.
	ThenState string `json:"then_state,omitempty"`
	Then      string `json:"then,omitempty"`
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
			out.Links = append(out.Links, linkStatusJSON{ID: v.ID, State: v.State, Label: s.t(c, "link.status."+v.State), Reason: v.Reason,
				ThenState: v.ThenState, Then: v.ThenLine})
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

// thenLine is v's second step in words, as the link list shows it.
func (s *Server) thenLine(c echo.Context, v linkView) string {
	line := s.t(c, "link.then.line", s.views.ConnectorName(s.lang(c), v.Then), s.t(c, "link.status."+v.ThenState))
	if v.ThenReason != "" {
		line += " — " + v.ThenReason
	}
	return line
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
	// In the connector's words: not every upstream lets Bilag withdraw its
	// access there.
	return s.flashTo(c, s.ct(c, conn.Connector, "conn.disconnected.flash"), fmt.Sprintf("/companies/%d", co.ID))
}
