package connections

import (
	"context"
	"errors"

	"bilag/connectors"
	"bilag/db"
)

// The capabilities a connection test tries, each with one harmless call:
// a usable grant (refreshed if due), the connector's own check of what the
// grant reaches, one voucher read and the accounting years listed.
const (
	ProbeGrant       = "grant"
	ProbeCheck       = "check"
	ProbeVouchers    = "vouchers"
	ProbeFiscalYears = "fiscal_years"
)

// Probe is how one capability's call went.
type Probe struct {
	Capability string
	OK         bool
	// Problem is what the check found (a connectors.ProblemCode); Reason
	// is a failed call's class (db.SyncReason…). Both "" when OK.
	Problem string
	Reason  string
}

// TestConnection makes one harmless call per capability of conn's
// connector: it reads and never writes. The grant comes first; without
// it nothing else is tried. The check's verdict is returned too, nil when
// the connector has no Checker or the check failed.
func (s *Service) TestConnection(ctx context.Context, conn *db.Connection) ([]Probe, *connectors.Verdict) {
	if conn.Status != db.ConnActive {
		return []Probe{{Capability: ProbeGrant, Reason: db.SyncReasonReapproval}}, nil
	}
	// Each call goes through use: a grant refused for good ends the
	// connection there, as any call's refusal does.
	call := func(capability string, op func(ctx context.Context, g connectors.Grant) error) Probe {
		return probeOf(capability, s.use(ctx, conn, op))
	}
	probes := []Probe{call(ProbeGrant, func(context.Context, connectors.Grant) error { return nil })}
	if !probes[0].OK {
		return probes, nil
	}
	c := s.connectors[conn.Connector]
	verdict := (*connectors.Verdict)(nil)
	if ch, ok := c.(connectors.Checker); ok {
		var p Probe
		p, verdict = s.checkProbe(ctx, conn, ch)
		probes = append(probes, p)
	}
	if vr, ok := c.(connectors.VoucherReader); ok {
		probes = append(probes, call(ProbeVouchers, func(ctx context.Context, g connectors.Grant) error {
			_, err := vr.Vouchers(ctx, g, connectors.VoucherQuery{PageSize: 1})
			return err
		}))
	}
	if fl, ok := c.(connectors.FiscalYearLister); ok {
		probes = append(probes, call(ProbeFiscalYears, func(ctx context.Context, g connectors.Grant) error {
			_, err := fl.FiscalYears(ctx, g)
			return err
		}))
	}
	return probes, verdict
}

// checkProbe runs the connector's own check of what conn's grant reaches:
// a problem it finds fails the probe; its verdict is nil when it failed.
func (s *Service) checkProbe(ctx context.Context, conn *db.Connection, ch connectors.Checker) (Probe, *connectors.Verdict) {
	var verdict *connectors.Verdict
	p := probeOf(ProbeCheck, s.use(ctx, conn, func(ctx context.Context, g connectors.Grant) error {
		v, err := ch.Check(ctx, g)
		if err == nil {
			verdict = &v
		}
		return err
	}))
	if p.OK && !verdict.OK() {
		p.OK, p.Problem = false, string(verdict.Problems[0].Code)
	}
	return p, verdict
}

// probeOf is capability's probe after a call that ended with err. A grant
// the upstream refused for good ends the connection, as every call does.
func probeOf(capability string, err error) Probe {
	if err == nil {
		return Probe{Capability: capability, OK: true}
	}
	p := Probe{Capability: capability, Reason: syncReason(err)}
	if errors.Is(err, connectors.ErrGrantRevoked) {
		p.Reason = db.SyncReasonReapproval
	}
	return p
}
