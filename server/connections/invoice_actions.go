package connections

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"bilag/connectors"
	"bilag/db"
)

// Actions on an invoice Bilag sent and its upstream accepted
// (connectors.SentInvoiceActions): the upstream's state read for the
// confirm step, then one write, recorded in the order's history. Like a
// send, an action is never repeated: a lost answer is recorded as
// unknown, for a person to look at.

// maxActionName bounds an action's name: it is stored in the attempt's
// kind after db.AttemptAction.
const maxActionName = 12

// InvoiceActions are what conn's connector offers on o's invoice: none
// unless o was accepted with a reference and not deleted since.
func (s *Service) InvoiceActions(conn *db.Connection, o *db.ImportOrder, history []db.ImportAttempt) []string {
	act, ok := s.connectors[conn.Connector].(connectors.SentInvoiceActions)
	if !ok || o.Status != db.ImportAccepted || o.AnswerRef == "" || Deleted(history) {
		return nil
	}
	var out []string
	for _, a := range act.InvoiceActions() {
		if len(a) <= maxActionName {
			out = append(out, a)
		}
	}
	return out
}

// Deleted reports whether an order's history has a delete its upstream
// accepted.
func Deleted(history []db.ImportAttempt) bool {
	return slices.ContainsFunc(history, func(a db.ImportAttempt) bool {
		return a.Kind == db.AttemptAction+"delete" && a.Outcome == db.ImportAccepted
	})
}

// InvoiceState reads o's invoice upstream: its status and what may be
// done now. An upstream failure is an *UpstreamError.
func (s *Service) InvoiceState(ctx context.Context, conn *db.Connection, o *db.ImportOrder) (string, map[string]bool, error) {
	act, err := s.actor(conn, o)
	if err != nil {
		return "", nil, err
	}
	var st string
	var allowed map[string]bool
	err = s.use(connectors.WithCompany(ctx, conn.CompanyID), conn, func(ctx context.Context, g connectors.Grant) error {
		st, allowed, err = act.InvoiceState(ctx, g, o.AnswerRef)
		return err
	})
	if err != nil {
		return "", nil, &UpstreamError{Connector: conn.Connector, Err: err}
	}
	return st, allowed, nil
}

// ActOnInvoice takes action on o's invoice once and records what came of
// it in o's history: accepted, refused (the upstream's answer) or unknown
// (the answer was lost). Bad input (connectors.ErrActionInput) records
// nothing. An upstream failure is an *UpstreamError.
func (s *Service) ActOnInvoice(ctx context.Context, conn *db.Connection, o *db.ImportOrder, action, text string, by Sender) (connectors.SendAnswer, error) {
	act, err := s.actor(conn, o)
	if err == nil && !slices.Contains(s.InvoiceActions(conn, o, nil), action) {
		err = fmt.Errorf("%s action %q: %w", conn.Connector, action, connectors.ErrActionInput)
	}
	if err != nil {
		return connectors.SendAnswer{}, err
	}
	var ans connectors.SendAnswer
	err = s.use(connectors.WithCompany(ctx, conn.CompanyID), conn, func(ctx context.Context, g connectors.Grant) error {
		ans, err = act.ActOnInvoice(ctx, g, o.AnswerRef, action, text)
		return err
	})
	a := db.ImportAttempt{OrderID: o.ID, BatchID: o.BatchID, CompanyID: o.CompanyID, Kind: db.AttemptAction + action,
		Reference: o.AnswerRef, Target: o.Target, ByID: by.ID, ByName: by.Name}
	switch {
	case err == nil && ans.Accepted:
		a.Outcome, a.Message = db.ImportAccepted, strings.TrimSpace(text)
	case err == nil:
		a.Outcome, a.Code, a.Message = db.ImportRefused, ans.Code, ans.Message
	case connectors.AnswerLost(err):
		a.Outcome = db.ImportUnknown
	default:
		return ans, &UpstreamError{Connector: conn.Connector, Err: err}
	}
	s.log.Info("invoice action", "order_id", o.ID, "action", action, "outcome", a.Outcome)
	if rerr := s.db.RecordImportAttempt(context.WithoutCancel(ctx), &a); rerr != nil {
		return ans, rerr
	}
	if err != nil {
		return ans, &UpstreamError{Connector: conn.Connector, Err: err}
	}
	return ans, nil
}

// actor is conn's connector as SentInvoiceActions, for an order of conn's
// that was accepted with a reference.
func (s *Service) actor(conn *db.Connection, o *db.ImportOrder) (connectors.SentInvoiceActions, error) {
	act, ok := s.connectors[conn.Connector].(connectors.SentInvoiceActions)
	if !ok || o.CompanyID != conn.CompanyID || o.Connector != conn.Connector || o.Status != db.ImportAccepted || o.AnswerRef == "" {
		return nil, fmt.Errorf("order %d through %s: %w", o.ID, conn.Connector, db.ErrNotFound)
	}
	return act, nil
}
