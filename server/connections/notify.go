package connections

import (
	"context"

	"bilag/db"
)

// Notifier hears what happened to a company's consent links and connection,
// so the people who follow the company can be told. The web server
// implements it; a Service without one tells nobody.
type Notifier interface {
	Notify(ctx context.Context, e Event)
}

// Event is one thing a Notifier hears.
type Event struct {
	// Kind is a db.Notify… kind.
	Kind      string
	CompanyID int64
	// Link is the consent link it happened through, if any.
	Link *db.ConsentLink
	// Connection is the connection it happened to, if any.
	Connection *db.Connection
	// Approver is the upstream user who approved or tried, when known.
	Approver string
	// Reason is why a link or a sync failed (a class, not words); Detail
	// adds facts (the permission areas missing, the company chosen).
	Reason, Detail string
}

// SetNotifier makes n hear the Service's events from now on. The web
// server, built after the Service, sets itself.
func (s *Service) SetNotifier(n Notifier) { s.notifier.Store(&notifierRef{n}) }

type notifierRef struct{ n Notifier }

func (s *Service) notify(ctx context.Context, e Event) {
	if r := s.notifier.Load(); r != nil && r.n != nil {
		r.n.Notify(context.WithoutCancel(ctx), e)
	}
}
