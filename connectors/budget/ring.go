package budget

import (
	"fmt"
	"strconv"
	"strings"
)

// ring is what every instance has spent of one quota in its last span
// buckets: counts[len-1] is bucket head's, counts[0] the oldest's. It is
// the state a Store keeps, as text ("head:c0,c1,…").
type ring struct {
	head   int64
	counts []int
}

// parseRing reads a stored ring for a span of n buckets; nothing stored,
// or a ring of another span (the options changed), reads as its newest
// buckets, never as fewer calls than were spent in them.
func parseRing(state []byte, n int) (ring, error) {
	r := ring{counts: make([]int, n)}
	if len(state) == 0 {
		return r, nil
	}
	h, list, ok := strings.Cut(string(state), ":")
	head, err := strconv.ParseInt(h, 10, 64)
	if !ok || err != nil {
		return r, fmt.Errorf("budget state %q: not a ring", state)
	}
	r.head = head
	fields := strings.Split(list, ",")
	for i := range min(n, len(fields)) {
		c, err := strconv.Atoi(fields[len(fields)-1-i])
		if err != nil {
			return r, fmt.Errorf("budget state %q: %w", state, err)
		}
		r.counts[n-1-i] = c
	}
	return r, nil
}

func (r ring) encode() []byte {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(r.head, 10))
	for i, c := range r.counts {
		if i == 0 {
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(c))
	}
	return []byte(b.String())
}

// advance moves the ring on to bucket to, forgetting the buckets that
// leave the span. A bucket behind head (this instance's clock is behind
// another's) leaves it at head: calls then count in a later bucket than
// they are made in, which only keeps them longer.
func (r *ring) advance(to int64) {
	d := to - r.head
	if d <= 0 {
		return
	}
	n := len(r.counts)
	if d >= int64(n) {
		clear(r.counts)
	} else {
		copy(r.counts, r.counts[d:])
		clear(r.counts[n-int(d):])
	}
	r.head = to
}

func (r ring) sum() int {
	s := 0
	for _, c := range r.counts {
		s += c
	}
	return s
}

// take adds up to want calls to the head bucket while the span holds
// fewer than limit, and says how many it added.
func (r *ring) take(want, limit int) int {
	n := max(0, min(want, limit-r.sum()))
	r.counts[len(r.counts)-1] += n
	return n
}

// roomAfter is how many buckets after head the span first holds fewer
// than limit calls (at most the span's length, when it holds none).
func (r ring) roomAfter(limit int) int {
	left := r.sum()
	for d := 1; d < len(r.counts); d++ {
		left -= r.counts[d-1]
		if left < limit {
			return d
		}
	}
	return len(r.counts)
}
