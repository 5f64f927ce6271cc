package connections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"bilag/connectors"
	"bilag/db"
)

// A company's pairing for a receiving system (connectors.Pairer): stored
// in db, shown and changed on the pairing page against the target's own
// lists read live, and read by the send pipeline once per batch.

// ErrNoPairing: the connection's connector pairs nothing.
var ErrNoPairing = errors.New("connection's system needs no pairing")

// Pairing is the company's pairing for conn's connector (empty when
// nothing is paired).
func (s *Service) Pairing(ctx context.Context, conn *db.Connection) (connectors.Pairing, error) {
	return s.db.Pairing(ctx, conn.CompanyID, conn.Connector)
}

// Pairer is conn's connector as a connectors.Pairer; ErrNoPairing when it
// is none.
func (s *Service) Pairer(conn *db.Connection) (connectors.Pairer, error) {
	p, ok := s.connectors[conn.Connector].(connectors.Pairer)
	if !ok {
		return nil, fmt.Errorf("%s connection %d: %w", conn.Connector, conn.ID, ErrNoPairing)
	}
	return p, nil
}

// PairingTables are the pairing page's tables for the company's pairing,
// the target's lists read live through conn's grant, with rows for what
// the invoices in seen use. A person waits: the read has PairingWait, and
// ends with context.DeadlineExceeded after it. An upstream's failure is
// an *UpstreamError.
func (s *Service) PairingTables(ctx context.Context, conn *db.Connection, seen []connectors.Invoice) ([]connectors.PairingTable, error) {
	pr, err := s.Pairer(conn)
	if err != nil {
		return nil, err
	}
	p, err := s.Pairing(ctx, conn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(connectors.WithCompany(ctx, conn.CompanyID), s.pairingWait)
	defer cancel()
	var tables []connectors.PairingTable
	err = s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) error {
		tables, err = pr.PairingTables(ctx, g, p, seen)
		return err
	})
	if err != nil {
		return nil, &UpstreamError{Connector: conn.Connector, Err: fmt.Errorf("%s pairing tables: %w", conn.Connector, err)}
	}
	return tables, nil
}

// PairingProblem is what is wrong with one change of a pairing: Index is
// its position among the changes; Code is "table" (no such table), "key"
// (none, too long, or not one of a fixed table's), "value" (too long, or
// not one of the table's options) or "twice" (the same key given again
// with another value).
type PairingProblem struct {
	Index int
	db.PairChange
	Code string
}

// PairingError is every problem of a change of a pairing, found at once;
// nothing was changed.
type PairingError struct{ Problems []PairingProblem }

func (e *PairingError) Error() string {
	return fmt.Sprintf("pairing: %d problems, the first %s %q/%q", len(e.Problems), e.Problems[0].Code, e.Problems[0].Table, e.Problems[0].Key)
}

// SetPairing checks changes against the target's tables, read live, all
// at once (a *PairingError, and nothing changed, when any is wrong), then
// sets them, all or none, each change audited by who did it (by: the
// user, actor and address). It returns what changed.
func (s *Service) SetPairing(ctx context.Context, conn *db.Connection, changes []db.PairChange, by db.AuditEvent) ([]db.PairChanged, error) {
	probs, err := s.CheckPairing(ctx, conn, changes)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, &PairingError{Problems: probs}
	}
	return s.db.SetPairs(ctx, conn.CompanyID, conn.Connector, changes, by)
}

// CheckPairing is CheckPairs against the target's tables, read live.
func (s *Service) CheckPairing(ctx context.Context, conn *db.Connection, changes []db.PairChange) ([]PairingProblem, error) {
	tables, err := s.PairingTables(ctx, conn, nil)
	if err != nil {
		return nil, err
	}
	return CheckPairs(tables, changes), nil
}

// CheckPairs are the problems of changes against tables.
func CheckPairs(tables []connectors.PairingTable, changes []db.PairChange) []PairingProblem {
	var out []PairingProblem
	given := map[[2]string]string{}
	for i, c := range changes {
		code := pairProblem(tables, c)
		k := [2]string{c.Table, c.Key}
		if v, ok := given[k]; code == "" && ok && v != c.Value {
			code = "twice"
		}
		given[k] = c.Value
		if code != "" {
			out = append(out, PairingProblem{Index: i, PairChange: c, Code: code})
		}
	}
	return out
}

// pairProblem is the code of what is wrong with c, "" when nothing is.
func pairProblem(tables []connectors.PairingTable, c db.PairChange) string {
	i := slices.IndexFunc(tables, func(t connectors.PairingTable) bool { return t.Name == c.Table })
	if i < 0 || len(c.Table) > db.PairTableMax {
		return "table"
	}
	t := tables[i]
	fixed := !t.Open && !slices.ContainsFunc(t.Rows, func(r connectors.PairingRow) bool { return r.Key == c.Key })
	if c.Key == "" || len(c.Key) > db.PairKeyMax || fixed {
		return "key"
	}
	option := slices.ContainsFunc(t.Options, func(o connectors.PairingOption) bool { return o.Value == c.Value })
	if len(c.Value) > db.PairValueMax || c.Value != "" && len(t.Options) > 0 && !option {
		return "value"
	}
	return ""
}

// PairingWait is how long PairingTables waits for the target.
func (s *Service) PairingWait() time.Duration { return s.pairingWait }
