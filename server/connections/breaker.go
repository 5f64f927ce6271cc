package connections

import (
	"errors"
	"regexp"
	"slices"
	"sync"
	"time"
)

// A refused grant can mean the customer withdrew it, or that Bilag's own
// side is wrong (a rotated client secret, a skewed clock): then every
// connection of the connector fails alike, and ending them all would make
// every customer re-approve for a fault of Bilag's. So when the same
// failure would end breakerThreshold connections of one connector within
// breakerWindow, the breaker trips: those connections are not ended (the
// ones ended just before are taken back), a configuration error is logged
// once and admins see a banner, until the failures stop for a window.
//
// Its state is in memory, per instance. Several instances each count the
// ends they see; the refresh sweep, which meets most dead grants, runs on
// one instance at a time (a job claim), so that instance trips first, and
// a misconfiguration shared by all instances trips each of them after at
// most breakerThreshold-1 ends of its own. The database keeps what was
// written: the ends before a trip, which the tripping instance takes back.
const (
	breakerWindow    = 10 * time.Minute
	breakerThreshold = 3
)

type breaker struct {
	mu sync.Mutex
	// ends are the recent ends (or would-be ends) by connector and failure.
	ends map[breakerKey]map[int64]time.Time
	// tripped holds, per connector, the failure that tripped it.
	tripped map[string]string
}

type breakerKey struct{ connector, failure string }

// verdict is what the breaker says of one end.
type verdict struct {
	// hold: do not end the connection.
	hold bool
	// justTripped: this end tripped the breaker; takeBack are the
	// connections ended within the window for the same failure.
	justTripped bool
	takeBack    []int64
}

// record notes that connID of connector would end for failure at now.
func (b *breaker) record(connector, failure string, connID int64, now time.Time) verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ends == nil {
		b.ends, b.tripped = map[breakerKey]map[int64]time.Time{}, map[string]string{}
	}
	b.pruneLocked(now)
	k := breakerKey{connector, failure}
	if b.ends[k] == nil {
		b.ends[k] = map[int64]time.Time{}
	}
	b.ends[k][connID] = now
	if _, ok := b.tripped[connector]; ok {
		return verdict{hold: true}
	}
	if len(b.ends[k]) < breakerThreshold {
		return verdict{}
	}
	b.tripped[connector] = failure
	v := verdict{hold: true, justTripped: true}
	for id := range b.ends[k] {
		if id != connID {
			v.takeBack = append(v.takeBack, id)
		}
	}
	slices.Sort(v.takeBack)
	return v
}

// pruneLocked forgets ends older than the window, and closes a tripped
// connector whose failures have stopped for it.
func (b *breaker) pruneLocked(now time.Time) {
	for k, ids := range b.ends {
		for id, at := range ids {
			if now.Sub(at) >= breakerWindow {
				delete(ids, id)
			}
		}
		if len(ids) == 0 {
			delete(b.ends, k)
		}
	}
	for connector, failure := range b.tripped {
		if len(b.ends[breakerKey{connector, failure}]) == 0 {
			delete(b.tripped, connector)
		}
	}
}

// open lists the tripped connectors at now.
func (b *breaker) open(now time.Time) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pruneLocked(now)
	var out []string
	for connector := range b.tripped {
		out = append(out, connector)
	}
	slices.Sort(out)
	return out
}

// digits finds the numbers failureOf leaves out; compiled on first use,
// not when the program starts.
var digits = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[0-9]+`) })

// failureOf names a failure so that the same fault of different
// connections compares equal: the innermost error's text (what the
// upstream said), without the numbers that differ per connection.
func failureOf(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	return digits().ReplaceAllString(err.Error(), "#")
}

// Misconfigured names the connectors whose connections are failing alike
// in numbers that point at Bilag's own configuration, in name order.
func (s *Service) Misconfigured() []string { return s.breaker.open(s.now()) }
