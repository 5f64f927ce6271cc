package server

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/db"
	"bilag/server/connections"
)

// Actions on an invoice sent and accepted (connectors.SentInvoiceActions:
// Netvisor's status change, comment and delete), from the batch page. One
// form posts the action; without confirm=yes the answer is the confirm
// page, which reads the invoice's state upstream and says whether the
// action may be taken now; with it the action is taken once, audited and
// recorded in the order's history. Nothing here names an upstream: the
// buttons appear because the connector offers them.

// maxActionText bounds a comment as typed (the connector checks its own
// limit; this keeps a form from carrying a novel).
const maxActionText = 2000

// actionPage is the confirm page.
type actionPage struct {
	Company *db.Company
	Batch   *db.ImportBatch
	Order   db.ImportOrder
	System  string
	// Action is the action's name, Label its words, Text a comment.
	Action, Label, Text string
	// Status is the invoice's status upstream, in the person's words.
	Status  string
	Allowed bool
}

// actionForm is what the batch page's action form posts.
type actionForm struct {
	batch  *db.ImportBatch
	order  db.ImportOrder
	conn   *db.Connection
	action string
	text   string
}

// readActionForm is the order and action posted, 404 for an order that is
// not the batch's, not accepted, or whose connector offers no such action.
func (s *Server) readActionForm(c echo.Context) (actionForm, error) {
	var f actionForm
	co := currentCompany(c)
	bid, err := paramID(c, "batchID")
	if err != nil {
		return f, err
	}
	oid, err := paramID(c, "orderID")
	if err != nil {
		return f, err
	}
	b, orders, err := s.db.ImportBatchOf(c.Request().Context(), co.ID, bid)
	if err != nil {
		return f, err
	}
	f.batch, f.action, f.text = b, c.FormValue("action"), strings.TrimSpace(c.FormValue("text"))
	if f.conn, err = s.batchReceiver(c, b); err != nil || f.conn == nil {
		return f, cmpErr(err, echo.ErrNotFound)
	}
	attempts, err := s.db.ImportAttemptsOf(c.Request().Context(), b.ID)
	if err != nil {
		return f, err
	}
	for _, o := range orders {
		if o.ID == oid {
			f.order = o
			offered := s.conns.InvoiceActions(f.conn, &o, orderAttempts(attempts, o.ID))
			for _, a := range offered {
				if a == f.action {
					return f, nil
				}
			}
		}
	}
	return f, echo.ErrNotFound
}

// cmpErr is err, else fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// orderAttempts are the attempts of one order.
func orderAttempts(all []db.ImportAttempt, orderID int64) []db.ImportAttempt {
	var out []db.ImportAttempt
	for _, a := range all {
		if a.OrderID == orderID {
			out = append(out, a)
		}
	}
	return out
}

// actOnInvoice is the action form's target: the confirm page, or, once
// confirmed, the action.
func (s *Server) actOnInvoice(c echo.Context) error {
	f, err := s.readActionForm(c)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(f.text) > maxActionText {
		f.text = string([]rune(f.text)[:maxActionText])
	}
	if c.FormValue("confirm") != "yes" {
		return s.confirmInvoiceAction(c, f)
	}
	return s.takeInvoiceAction(c, f)
}

// confirmInvoiceAction shows what is about to happen, with the invoice's
// state read upstream now.
func (s *Server) confirmInvoiceAction(c echo.Context, f actionForm) error {
	st, allowed, err := s.conns.InvoiceState(c.Request().Context(), f.conn, &f.order)
	if err != nil {
		return err
	}
	p := actionPage{Company: currentCompany(c), Batch: f.batch, Order: f.order, System: s.connectorName(s.lang(c), f.conn.Connector),
		Action: f.action, Label: s.ct(c, f.conn.Connector, f.conn.Connector+".imports.act."+f.action), Text: f.text,
		Status: s.invoiceStatusText(c, f.conn.Connector, st), Allowed: allowed[f.action]}
	return s.render(c, "invoice_action", s.t(c, "imports.act.title", p.Label), p)
}

// invoiceStatusText words a status code as the connector's catalogue
// does ("<connector>.imports.status.<code>"), else shows the code.
func (s *Server) invoiceStatusText(c echo.Context, connector, code string) string {
	key := connector + ".imports.status." + code
	if t := s.ct(c, connector, key); t != key {
		return t
	}
	return code
}

// takeInvoiceAction takes the confirmed action once, audits it and goes
// back to the batch page with what came of it.
func (s *Server) takeInvoiceAction(c echo.Context, f actionForm) error {
	ctx := c.Request().Context()
	co, u := currentCompany(c), currentUser(c)
	back := fmt.Sprintf("/companies/%d/imports/%d#order-%d", co.ID, f.batch.ID, f.order.ID)
	system := s.connectorName(s.lang(c), f.conn.Connector)
	ans, err := s.conns.ActOnInvoice(ctx, f.conn, &f.order, f.action, f.text, connections.Sender{ID: &u.ID, Name: u.Name})
	outcome := "accepted"
	switch {
	case errors.Is(err, connectors.ErrActionInput):
		return s.flashTo(c, s.t(c, "imports.act.input"), back)
	case connectors.AnswerLost(err):
		outcome = "unknown"
	case err != nil:
		return err
	case !ans.Accepted:
		outcome = "refused"
	}
	s.audit(c, db.AuditInvoiceAction, &co.ID, f.conn.Connector, fmt.Sprintf("order=%s key=%s action=%s outcome=%s",
		auditValue(f.order.Label), f.order.AnswerRef, f.action, outcome))
	label := s.ct(c, f.conn.Connector, f.conn.Connector+".imports.act."+f.action)
	switch outcome {
	case "unknown":
		return s.flashTo(c, s.t(c, "imports.act.unknown", system), back)
	case "refused":
		return s.flashTo(c, s.t(c, "imports.act.refused", system, ans.Message), back)
	}
	return s.flashTo(c, s.t(c, "imports.act.done", label), back)
}

// auditValue keeps a value one token of an audit detail (no spaces).
func auditValue(v string) string {
	return strings.Join(strings.Fields(v), "_")
}

// actionButton is one action the batch page offers on an invoice.
type actionButton struct {
	Name, Label string
	// Comment: the action takes a text.
	Comment bool
}

// actedView is an action taken on an invoice, as its history shows it.
type actedView struct {
	db.ImportAttempt
	// Text says what was done and what came of it.
	Text string
}

// orderActions fills v's history: its sends and look-ups, the actions
// taken on it, and the actions it offers now.
func (s *Server) orderActions(c echo.Context, conn *db.Connection, v *orderView, history []db.ImportAttempt) {
	connector := v.Connector
	for _, a := range history {
		action, ok := strings.CutPrefix(a.Kind, db.AttemptAction)
		if !ok {
			v.Attempts = append(v.Attempts, a)
			continue
		}
		label := s.ct(c, connector, connector+".imports.act."+action)
		v.Acted = append(v.Acted, actedView{ImportAttempt: a, Text: s.t(c, "imports.act.outcome."+a.Outcome, label)})
	}
	if conn == nil {
		return
	}
	for _, name := range s.conns.InvoiceActions(conn, &v.ImportOrder, history) {
		v.Actions = append(v.Actions, actionButton{Name: name, Label: s.ct(c, connector, connector+".imports.act."+name),
			Comment: name == connectors.ActionComment})
	}
}
