package companystate_test

import (
	"testing"
	"time"

	"bilag/db"
	"bilag/server/companystate"
)

func TestOf(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	approved := now.Add(-48 * time.Hour)
	conn := func(status string) *db.Connection {
		return &db.Connection{Status: status, ApprovedAt: approved, LinkID: 1}
	}
	link := func(status string, expires time.Duration) *db.ConsentLink {
		return &db.ConsentLink{ID: 2, Status: status, ExpiresAt: now.Add(expires), Reason: map[bool]string{true: "denied"}[status == db.LinkFailed]}
	}
	run := func(status string, started time.Time) *db.SyncRun {
		end := started.Add(time.Minute)
		return &db.SyncRun{Status: status, StartedAt: started, FinishedAt: &end}
	}
	tests := []struct {
		name  string
		facts companystate.Facts
		want  companystate.State
	}{
		{"nothing yet", companystate.Facts{Active: true}, companystate.NotAsked},
		{"inactive, never asked", companystate.Facts{}, companystate.Inactive},
		{"inactive beats a working connection", companystate.Facts{Connection: conn(db.ConnActive)}, companystate.Inactive},
		{"inactive beats a failure", companystate.Facts{Link: link(db.LinkFailed, time.Hour)}, companystate.Inactive},
		{"offboarded", companystate.Facts{Offboarded: true, Connection: conn(db.ConnDisconnected)}, companystate.Offboarded},
		{"offboarded, a link closed by it", companystate.Facts{Offboarded: true, Link: link(db.LinkRevoked, time.Hour)}, companystate.Offboarded},
		{"reactivated after offboarding: no longer offboarded", companystate.Facts{Active: true, Offboarded: true, Connection: conn(db.ConnDisconnected)}, companystate.Disconnected},

		{"link made", companystate.Facts{Active: true, Link: link(db.LinkCreated, time.Hour)}, companystate.Waiting},
		{"link opened", companystate.Facts{Active: true, Link: link(db.LinkOpened, time.Hour)}, companystate.Waiting},
		{"approver at the upstream", companystate.Facts{Active: true, Link: link(db.LinkLoginStarted, time.Hour)}, companystate.Waiting},
		{"being checked", companystate.Facts{Active: true, Link: link(db.LinkApproved, time.Hour)}, companystate.Waiting},
		{"link expired unused", companystate.Facts{Active: true, Link: link(db.LinkOpened, -time.Hour)}, companystate.NotAsked},
		{"link revoked", companystate.Facts{Active: true, Link: link(db.LinkRevoked, time.Hour)}, companystate.NotAsked},

		{"declined", companystate.Facts{Active: true, Link: link(db.LinkFailed, time.Hour)}, companystate.Failed},
		{"declined, then the link expired", companystate.Facts{Active: true, Link: link(db.LinkFailed, -time.Hour)}, companystate.Failed},

		{"connected", companystate.Facts{Active: true, Connection: conn(db.ConnActive), Link: link(db.LinkConnected, time.Hour)}, companystate.Connected},
		{"connected, synced", companystate.Facts{Active: true, Connection: conn(db.ConnActive), LastSync: run(db.SyncOK, now.Add(-time.Hour))}, companystate.Connected},
		{"connected, a re-approval link out", companystate.Facts{Active: true, Connection: conn(db.ConnActive), Link: link(db.LinkOpened, time.Hour)}, companystate.Connected},
		{"connected, a re-approval declined", companystate.Facts{Active: true, Connection: conn(db.ConnActive), Link: link(db.LinkFailed, time.Hour)}, companystate.Connected},
		{"sync failing", companystate.Facts{Active: true, Connection: conn(db.ConnActive), LastSync: run(db.SyncFailed, now.Add(-time.Hour))}, companystate.SyncFailing},
		{"sync failing from the moment of approval", companystate.Facts{Active: true, Connection: conn(db.ConnActive), LastSync: run(db.SyncFailed, approved)}, companystate.SyncFailing},
		{"a failed sync of the grant it replaced", companystate.Facts{Active: true, Connection: conn(db.ConnActive), LastSync: run(db.SyncFailed, approved.Add(-time.Hour))}, companystate.Connected},

		{"grant ended", companystate.Facts{Active: true, Connection: conn(db.ConnNeedsReapproval), Link: link(db.LinkConnected, time.Hour)}, companystate.NeedsReapproval},
		{"grant ended, syncs failed too", companystate.Facts{Active: true, Connection: conn(db.ConnNeedsReapproval), LastSync: run(db.SyncFailed, now.Add(-time.Hour))}, companystate.NeedsReapproval},
		{"grant ended, a new link out", companystate.Facts{Active: true, Connection: conn(db.ConnNeedsReapproval), Link: link(db.LinkCreated, time.Hour)}, companystate.Waiting},
		{"grant ended, the new link declined", companystate.Facts{Active: true, Connection: conn(db.ConnNeedsReapproval), Link: link(db.LinkFailed, time.Hour)}, companystate.Failed},
		{"grant ended, the new link expired", companystate.Facts{Active: true, Connection: conn(db.ConnNeedsReapproval), Link: link(db.LinkCreated, -time.Hour)}, companystate.NeedsReapproval},
		{"grant ended, the new link revoked", companystate.Facts{Active: true, Connection: conn(db.ConnNeedsReapproval), Link: link(db.LinkRevoked, time.Hour)}, companystate.NeedsReapproval},

		{"disconnected", companystate.Facts{Active: true, Connection: conn(db.ConnDisconnected), Link: link(db.LinkConnected, time.Hour)}, companystate.Disconnected},
		{"disconnected, asked again", companystate.Facts{Active: true, Connection: conn(db.ConnDisconnected), Link: link(db.LinkOpened, time.Hour)}, companystate.Waiting},
		{"disconnected, asked again and declined", companystate.Facts{Active: true, Connection: conn(db.ConnDisconnected), Link: link(db.LinkFailed, time.Hour)}, companystate.Failed},
	}
	seen := map[companystate.State]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.facts.Now = now
			if got := companystate.Of(tt.facts); got != tt.want {
				t.Errorf("Of(%s) = %q, want %q", tt.name, got, tt.want)
			}
		})
		seen[tt.want] = true
	}
	for _, s := range companystate.All() {
		if !seen[s] {
			t.Errorf("no case comes to %q", s)
		}
	}
}

func TestNeedsAction(t *testing.T) {
	want := map[companystate.State]bool{
		companystate.NotAsked: false, companystate.Waiting: false, companystate.Connected: false, companystate.Failed: true,
		companystate.NeedsReapproval: true, companystate.SyncFailing: true, companystate.Inactive: false, companystate.Offboarded: false, companystate.Disconnected: false,
	}
	for _, s := range companystate.All() {
		w, ok := want[s]
		if !ok {
			t.Errorf("state %q: the test does not know whether it needs action", s)
		}
		if got := s.NeedsAction(); got != w {
			t.Errorf("%q.NeedsAction() = %v, want %v", s, got, w)
		}
	}
}
