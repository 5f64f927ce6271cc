package connections

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"bilag/connectors"
	"bilag/connectors/orgnr"
	"bilag/db"
)

// Approval is a fresh grant for a consent link, however it was obtained (an
// upstream's redirect or a form of pasted keys).
type Approval struct {
	Link *db.ConsentLink
	// Company is the link's company; Approve reads it again, as it
	// stands when the grant is checked.
	Company  *db.Company
	Grant    connectors.Grant
	RemoteIP string
	// Approver is who approved as they named themselves (the key form
	// asks: pasted keys name no person, and a connector's Check names at
	// most the API identifier). "" takes the upstream's name for its user.
	Approver string
	// Then: the grant is for the link's second step, a connection of its
	// ThenConnector beside the one its first step made.
	Then bool
}

// connector is the connector a's grant is for.
func (a Approval) connector() string {
	if a.Then {
		return a.Link.ThenConnector
	}
	return a.Link.Connector
}

// Outcome is what an approval came to.
type Outcome struct {
	// Connection is set when the company is connected.
	Connection *db.Connection
	// Reason is "" when connected; otherwise a problem code of the check
	// ("no_bookkeeping", "permission", …), "org_mismatch", one of
	// UpstreamReason's, or "used" when the link connected meanwhile.
	Reason string
	// Areas are the program areas the approver lacks rights in.
	Areas []string
	// Seen is the upstream company the grant belongs to, when checked.
	Seen connectors.Company
	// OldGrantKept: the company was connected already and the grant this
	// approval replaces could not be revoked at the upstream (its
	// connector has no revocation call, or the call failed); the
	// accountant should remove it there.
	OldGrantKept bool
}

// Approve checks a fresh grant, matches its company's organisation number
// with the company's current one and stores it as the company's
// connection, then starts the first sync; a grant Bilag does not keep is
// revoked at the upstream.
// A refusal is an Outcome with a Reason (recorded on the link); err is for
// faults of Bilag's own.
func (s *Service) Approve(ctx context.Context, a Approval) (Outcome, error) {
	l, name := a.Link, a.connector()
	var out Outcome
	// kept: the grant is stored as the company's connection. Every other
	// way out of here withdraws it, refusal or fault alike.
	kept := false
	defer func() {
		if !kept {
			s.revokeQuietly(ctx, name, a.Grant)
		}
	}()
	// The number the link was made for, or the one the caller read, may
	// have been corrected since: the grant must reach the company the
	// record names now.
	co, err := s.db.Company(ctx, a.Company.ID)
	if err != nil {
		return out, err
	}
	a.Company = co
	if err := s.approveLink(ctx, a); err != nil {
		return out, err
	}
	verdict, err := s.check(ctx, a)
	if err != nil {
		out.Reason = UpstreamReason(err)
		s.failStep(ctx, a.Then, l, out.Reason, "", a.Approver, err, a.RemoteIP)
		return out, nil
	}
	if a.Approver != "" {
		verdict.Approver = a.Approver
	}
	out.Seen = verdict.Company
	if !verdict.OK() {
		out.Reason = string(verdict.Problems[0].Code)
		for _, p := range verdict.Problems {
			if p.Area != "" {
				out.Areas = append(out.Areas, p.Area)
			}
		}
		s.failStep(ctx, a.Then, l, out.Reason, strings.Join(out.Areas, ", "), verdict.Approver, nil, a.RemoteIP)
		return out, nil
	}
	if !orgnr.Equal(a.Company.Country, a.Company.OrgNumber, verdict.Company.OrgNumber) {
		out.Reason = "org_mismatch"
		s.failStep(ctx, a.Then, l, out.Reason, verdict.Company.Name+" "+verdict.Company.OrgNumber, verdict.Approver, nil, a.RemoteIP)
		return out, nil
	}
	conn := &db.Connection{CompanyID: a.Company.ID, Connector: name, ExternalID: verdict.Company.ExternalID,
		ExternalName: verdict.Company.Name, OrgNumber: verdict.Company.OrgNumber, ApprovedBy: verdict.Approver}
	conn.SetAddress(verdict.Company.Address)
	var revoke db.RevokeFunc
	rv, canRevoke := s.connectors[name].(connectors.Revoker)
	if canRevoke {
		revoke = rv.Revoke
	}
	rep, err := s.db.ConnectReplacing(ctx, l.ID, conn, a.Grant, revoke)
	if isNotFound(err) {
		out.Reason = "used"
		return out, nil
	}
	if err != nil {
		return out, err
	}
	kept = true
	_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditConnect, CompanyID: &a.Company.ID, Actor: approverActor(verdict.Approver, l),
		Target: name, Detail: verdict.Company.Name + " " + verdict.Company.OrgNumber, RemoteIP: a.RemoteIP})
	if rep.OtherCompany {
		s.log.Info("connection reaches another upstream company; its index starts afresh", "company_id", conn.CompanyID,
			"connection_id", conn.ID, "connector", name)
	}
	if rep.Had {
		s.recordReplaced(ctx, conn, l, rep, canRevoke, a.RemoteIP)
		out.OldGrantKept = !rep.Revoked
	}
	// A reconnect may reach another upstream company, so the first sync is
	// full.
	if err := s.db.ResetSync(context.WithoutCancel(ctx), conn.ID); err != nil {
		s.log.Warn("reset sync state", "connection_id", conn.ID, "err", err)
	}
	if s.Reads(conn) {
		// ErrSyncRunning: a sync of the grant this one replaces is still
		// running; the next scheduled sync catches up.
		if err := s.StartSync(conn); err != nil {
			s.log.Info("first sync not started", "connection_id", conn.ID, "err", err)
		}
	}
	out.Connection = conn
	s.notify(ctx, Event{Kind: db.NotifyLinkConnected, CompanyID: a.Company.ID, Link: l, Connection: conn, Approver: verdict.Approver})
	return out, nil
}

// recordReplaced audits what became of the grant an approval replaced.
// One that was not revoked stays live at the upstream until someone
// removes it there.
func (s *Service) recordReplaced(ctx context.Context, conn *db.Connection, l *db.ConsentLink, rep db.Replaced, canRevoke bool, remoteIP string) {
	detail := "old grant revoked"
	switch {
	case !canRevoke:
		detail = "old grant not revoked: the connector has no revocation call"
	case rep.Err != nil:
		detail = "old grant not revoked: the revocation failed"
		s.log.Warn("revoke replaced grant", "connection_id", conn.ID, "err", rep.Err)
	}
	_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditGrantReplaced, CompanyID: &conn.CompanyID, Actor: linkActor(l),
		Target: conn.Connector, Detail: detail, RemoteIP: remoteIP})
}

// approveLink records that the approver said yes to a's step of its link.
func (s *Service) approveLink(ctx context.Context, a Approval) error {
	if a.Then {
		return s.db.ApproveThen(ctx, a.Link.ID)
	}
	return s.db.ApproveLink(ctx, a.Link.ID)
}

// check asks the connector what the grant reaches. A connector without
// checks can only be taken at its word: the company is the link's.
func (s *Service) check(ctx context.Context, a Approval) (connectors.Verdict, error) {
	ch, ok := s.connectors[a.connector()].(connectors.Checker)
	if !ok {
		return connectors.Verdict{Company: connectors.Company{Name: a.Company.Name, OrgNumber: a.Company.OrgNumber, Country: a.Company.Country}}, nil
	}
	v, err := ch.Check(ctx, a.Grant)
	if err != nil {
		return v, fmt.Errorf("check grant: %w", err)
	}
	if v.Company.Name == "" && orgnr.Equal(a.Company.Country, a.Company.OrgNumber, v.Company.OrgNumber) {
		// An upstream that knows a company by its number alone (keys
		// that reach a business id) names the company of the record.
		v.Company.Name = a.Company.Name
	}
	return v, nil
}

// FailLink records why a link's approval failed, on the link, in the log
// and in the audit trail.
func (s *Service) FailLink(ctx context.Context, l *db.ConsentLink, reason, detail string, cause error, remoteIP string) {
	s.failLink(ctx, l, reason, detail, "", cause, remoteIP)
}

// FailLinkBy is FailLink naming who tried, as they named themselves (the
// key form's approver).
func (s *Service) FailLinkBy(ctx context.Context, l *db.ConsentLink, reason, detail, approver string, cause error, remoteIP string) {
	s.failLink(ctx, l, reason, detail, approver, cause, remoteIP)
}

// FailThen is FailLink for the link's second step: the first step's
// connection stands.
func (s *Service) FailThen(ctx context.Context, l *db.ConsentLink, reason, detail string, cause error, remoteIP string) {
	s.failStep(ctx, true, l, reason, detail, "", cause, remoteIP)
}

// failLink is FailLink naming the approver, when the upstream said who
// tried.
func (s *Service) failLink(ctx context.Context, l *db.ConsentLink, reason, detail, approver string, cause error, remoteIP string) {
	s.failStep(ctx, false, l, reason, detail, approver, cause, remoteIP)
}

// failStep is failLink for the link's first step, or (then) its second.
func (s *Service) failStep(ctx context.Context, then bool, l *db.ConsentLink, reason, detail, approver string, cause error, remoteIP string) {
	record, target := s.db.FailLink, l.Connector
	if then {
		record, target = s.db.FailThen, l.ThenConnector
	}
	if err := record(ctx, l.ID, reason, detail); err != nil {
		s.log.Error("record consent failure", "link_id", l.ID, "second_step", then, "err", err)
	}
	attrs := []any{"link_id", l.ID, "company_id", l.CompanyID, "connector", target, "reason", reason}
	if cause != nil {
		attrs = append(attrs, "err", cause)
	}
	s.log.Info("consent failed", attrs...)
	_ = s.db.Audit(ctx, db.AuditEvent{Action: db.AuditConnectFailed, CompanyID: &l.CompanyID, Actor: linkActor(l),
		Target: target, Detail: reason + " " + detail, RemoteIP: remoteIP})
	s.notify(ctx, Event{Kind: db.NotifyLinkFailed, CompanyID: l.CompanyID, Link: l, Approver: approver, Reason: reason, Detail: detail})
}

// UpstreamReason is the reason a link records when the upstream failed
// while a grant was being given or checked: "upstream" for a fault that
// passes (no answer in time, a rate limit), which another try in a while
// may get past; "upstream_error" for an answer another try will not
// change (a 400, an answer Bilag cannot use), which must not invite one.
func UpstreamReason(err error) string {
	if connectors.Transient(err) {
		return "upstream"
	}
	return "upstream_error"
}

func linkActor(l *db.ConsentLink) string { return "consent link " + strconv.FormatInt(l.ID, 10) }

// approverActor is who approved through l: the upstream's user when the
// upstream names them, so the audit trail says who approved.
func approverActor(approver string, l *db.ConsentLink) string {
	if approver == "" {
		return linkActor(l)
	}
	return approver + " (" + linkActor(l) + ")"
}

// revokeQuietly withdraws a grant Bilag will not keep.
func (s *Service) revokeQuietly(ctx context.Context, name string, g connectors.Grant) {
	rv, ok := s.connectors[name].(connectors.Revoker)
	if !ok {
		return
	}
	if err := rv.Revoke(context.WithoutCancel(ctx), g); err != nil {
		s.log.Warn("revoke unused grant", "connector", name, "err", err)
	}
}

// Disconnect ends conn at a person's request: the grant is withdrawn at the
// upstream when the connector can, and deleted here in any case, under the
// lock refreshes take, so a refresh in flight cannot leave a rotated grant
// alive after it.
func (s *Service) Disconnect(ctx context.Context, conn *db.Connection) error {
	var revoke db.RevokeFunc
	if rv, ok := s.connectors[conn.Connector].(connectors.Revoker); ok {
		revoke = rv.Revoke
	}
	revokeErr, err := s.db.Disconnect(ctx, conn.ID, revoke)
	if revokeErr != nil {
		// The stored tokens went anyway: tokens we no longer hold are useless.
		s.log.Warn("revoke grant at upstream", "connection_id", conn.ID, "err", revokeErr)
	}
	if err == nil {
		s.forgetDocuments(conn)
	}
	return err
}

func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }
