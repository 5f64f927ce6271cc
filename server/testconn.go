package server

import (
	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/connections"
)

// connTestPage is a connection test's verdict: each capability's harmless
// call and how it went, and how many failed.
type connTestPage struct {
	Company   *db.Company
	Connector string
	Probes    []connections.Probe
	Failed    int
}

// testConnection tries the company's current connection with one harmless
// call per capability (connections.TestConnection) and says how it went.
// It reads and never writes upstream, so it is audited as a request.
func (s *Server) testConnection(c echo.Context) error {
	ctx := c.Request().Context()
	co := currentCompany(c)
	conn, err := s.conns.Current(ctx, co.ID)
	if err != nil {
		return err
	}
	probes, _ := s.conns.TestConnection(ctx, conn)
	p := connTestPage{Company: co, Connector: conn.Connector, Probes: probes}
	for _, pr := range probes {
		if !pr.OK {
			p.Failed++
		}
	}
	s.audit(c, db.AuditConnectionTest, &co.ID, conn.Connector, connTestDetail(probes))
	return s.render(c, "connection_test", s.t(c, "conntest.title"), p)
}

// connTestDetail is a test's outcome for the audit trail: each failed
// capability and why.
func connTestDetail(probes []connections.Probe) string {
	out := ""
	for _, p := range probes {
		if p.OK {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += p.Capability + ": " + p.Problem + p.Reason
	}
	if out == "" {
		return "ok"
	}
	return out
}
