// Package companystate says where a company stands with its accounting
// system, in the one vocabulary the dashboard, the company page, the bulk
// request and the API all use, and which of those states wait for someone
// at the firm. It reads what storage holds and interprets it; it stores
// nothing.
package companystate

import (
	"time"

	"bilag/db"
)

// State is where a company stands. The values are stable: the API hands
// them out, and the pages name them "state.<value>".
type State string

// The states, from nothing asked to a connection that works.
const (
	// NotAsked: no link is on its way and nothing failed; a new request
	// is up to the firm, when it wants one.
	NotAsked State = "not_asked"
	// Waiting: a link is on its way (made, sent, opened, being approved).
	Waiting State = "waiting"
	// Connected: the connection works.
	Connected State = "connected"
	// Failed: the newest link's last attempt failed; its reason says why.
	Failed State = "failed"
	// NeedsReapproval: the upstream ended the grant; only a new link helps.
	NeedsReapproval State = "needs_reapproval"
	// SyncFailing: connected, but the last sync since it failed.
	SyncFailing State = "sync_failing"
	// Inactive: the firm deactivated the company.
	Inactive State = "inactive"
	// Disconnected: someone at the firm ended the connection on purpose.
	Disconnected State = "disconnected"
	// Offboarded: the firm offboarded the company (ended its connections
	// and deleted what Bilag kept of its books); it stays so until it is
	// reactivated, and then needs a new link.
	Offboarded State = "offboarded"
)

// All are the states in the order a filter offers them.
func All() []State {
	return []State{NotAsked, Waiting, Connected, Failed, NeedsReapproval, SyncFailing, Inactive, Offboarded, Disconnected}
}

// NeedsAction reports whether nothing moves until someone at the firm acts:
// a failure to look into, a grant to ask for again, syncs that fail. A
// company nobody asked yet, or one whose link is on its way, does not.
func (s State) NeedsAction() bool {
	return s == Failed || s == NeedsReapproval || s == SyncFailing
}

// Facts are what a company's state is read from.
type Facts struct {
	// Active is the company's own flag.
	Active bool
	// Offboarded: the company was offboarded and not reactivated since.
	Offboarded bool
	// Connection is the company's current connection, nil when it never
	// had one.
	Connection *db.Connection
	// LastSync is the company's last finished sync run, nil when none.
	LastSync *db.SyncRun
	// Link is the company's newest consent link, nil when none.
	Link *db.ConsentLink
	// Now is when the state is read: links expire.
	Now time.Time
}

// Of is the state of a company with facts f. A working connection wins
// over any link (a link made while connected asks for a re-approval that
// changes nothing until it is given); otherwise the newest link speaks
// first, so that a link sent after a connection ended is waited for, and
// its failure is seen.
func Of(f Facts) State {
	if !f.Active {
		if f.Offboarded {
			return Offboarded
		}
		return Inactive
	}
	conn := f.Connection
	if conn != nil && conn.Status == db.ConnActive {
		if syncFailed(f.LastSync, conn) {
			return SyncFailing
		}
		return Connected
	}
	if l := f.Link; l != nil {
		switch {
		case l.Status == db.LinkFailed:
			// Expired or not: the last thing that happened was a failure,
			// and nothing has replaced it.
			return Failed
		case l.Usable(f.Now):
			return Waiting
		}
	}
	if conn != nil {
		switch conn.Status {
		case db.ConnNeedsReapproval:
			return NeedsReapproval
		case db.ConnDisconnected:
			return Disconnected
		}
	}
	return NotAsked
}

// syncFailed: the last sync of conn's grant failed. A run that started
// before the grant was approved read through the grant it replaced and
// says nothing about this one.
func syncFailed(run *db.SyncRun, conn *db.Connection) bool {
	return run != nil && run.Status == db.SyncFailed && !run.StartedAt.Before(conn.ApprovedAt)
}
