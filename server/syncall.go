package server

import (
	"errors"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/connections"
)

// syncAllPage is the newest firm-wide sync and how far it got: companies
// done, failed (each with its reason and a link) and waiting.
type syncAllPage struct {
	Run *db.SyncAllRun
	// Interrupted: the run never finished and nothing holds its lease any
	// more (its instance stopped); a new run may start.
	Interrupted                    bool
	Done, Failed, Waiting, Skipped int
	Failures                       []syncAllFailure
}

type syncAllFailure struct {
	Company db.Company
	Reason  string
}

// showSyncAll is the firm-wide sync's page: its button and the newest
// run's progress, whoever started it (the button, the schedule, the
// command line).
func (s *Server) showSyncAll(c echo.Context) error {
	ctx := c.Request().Context()
	run, items, err := s.db.LatestSyncAll(ctx)
	if err != nil {
		return err
	}
	p := syncAllPage{Run: run}
	if run != nil && run.FinishedAt == nil {
		running, err := s.db.SyncAllRunning(ctx)
		if err != nil {
			return err
		}
		p.Interrupted = !running
	}
	for _, it := range items {
		switch it.Status {
		case db.SyncItemDone:
			p.Done++
		case db.SyncItemSkipped:
			p.Skipped++
		case db.SyncItemFailed:
			p.Failed++
			co, err := s.db.Company(ctx, it.CompanyID)
			if err != nil {
				return err
			}
			p.Failures = append(p.Failures, syncAllFailure{Company: *co, Reason: it.Reason})
		default:
			p.Waiting++
		}
	}
	return s.render(c, "admin_sync_all", s.t(c, "syncall.title"), p)
}

// startSyncAll starts a firm-wide sync, unless one is running anywhere.
func (s *Server) startSyncAll(c echo.Context) error {
	u := currentUser(c)
	err := s.conns.StartSyncAll(u.Email)
	if errors.Is(err, connections.ErrSyncAllRunning) {
		return s.flashTo(c, s.t(c, "syncall.running"), "/admin/sync-all")
	}
	if err != nil {
		return err
	}
	s.audit(c, db.AuditSyncRequest, nil, "all companies", "")
	return s.flashTo(c, s.t(c, "syncall.started"), "/admin/sync-all")
}
