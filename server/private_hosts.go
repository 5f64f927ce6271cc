package server

import (
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"bilag/db"
)

// The private hosts a company's connections may reach: an admin's list.

type hostsPage struct {
	Company *db.Company
	Hosts   string
	Error   string
}

func (s *Server) showPrivateHosts(c echo.Context) error {
	co := currentCompany(c)
	hs, err := s.db.PrivateHostsOf(c.Request().Context(), co.ID)
	if err != nil {
		return err
	}
	var names []string
	for _, h := range hs {
		names = append(names, h.Host)
	}
	return s.render(c, "private_hosts", s.t(c, "hosts.title", co.Name), hostsPage{Company: co, Hosts: strings.Join(names, "\n")})
}

// hostName is a DNS name of letters, digits and inner hyphens; compiled
// on first use, not at start (issue 25 item 21).
var hostName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*$`)
})

func (s *Server) setPrivateHosts(c echo.Context) error {
	co := currentCompany(c)
	u := currentUser(c)
	raw := c.FormValue("hosts")
	var hosts []string
	seen := map[string]bool{}
	for _, h := range strings.Fields(strings.ReplaceAll(raw, ",", " ")) {
		h = strings.ToLower(strings.Trim(h, "[]"))
		if _, err := netip.ParseAddr(h); err != nil && (len(h) > 253 || !hostName().MatchString(h)) {
			c.Response().Status = http.StatusUnprocessableEntity
			return c.Render(http.StatusUnprocessableEntity, "private_hosts", s.page(c, s.t(c, "hosts.title", co.Name),
				hostsPage{Company: co, Hosts: raw, Error: "hosts.err.host"}))
		}
		if !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	if len(hosts) > 20 {
		return c.Render(http.StatusUnprocessableEntity, "private_hosts", s.page(c, s.t(c, "hosts.title", co.Name),
			hostsPage{Company: co, Hosts: raw, Error: "hosts.err.many"}))
	}
	if err := s.db.SetPrivateHosts(c.Request().Context(), co.ID, hosts, u.Email); err != nil {
		return err
	}
	detail := strings.Join(hosts, " ")
	if err := s.db.Audit(c.Request().Context(), db.AuditEvent{At: s.now(), UserID: &u.ID, Actor: u.Email, Action: db.AuditPrivateHosts,
		CompanyID: &co.ID, Detail: truncateRunes(detail, 1000), RemoteIP: c.RealIP()}); err != nil {
		return err
	}
	_ = s.flash(c, s.t(c, "hosts.saved"))
	return c.Redirect(http.StatusSeeOther, "/companies/"+strconv.FormatInt(co.ID, 10)+"/hosts")
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
