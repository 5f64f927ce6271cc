package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"bilag/connectors"
	"bilag/connectors/invoice"
	"bilag/db"
	"bilag/server/connections"
)

const (
	// maxAPIInvoiceBody bounds a batch sent through the API: 1,000
	// invoices with their PDFs; a longer period is several batches.
	maxAPIInvoiceBody = 32 << 20
	// maxAPIInvoices bounds the invoices of one batch.
	maxAPIInvoices = 1000
	// maxIdempotencyKey bounds an Idempotency-Key.
	maxIdempotencyKey = 255
	// apiLang is the language of the findings the API gives beside their
	// codes: a program reads them, and a developer, in English.
	apiLang = "en"
)

// apiSendInvoices reads a batch of invoices in Bilag's JSON format, checks
// it and stores it as an upload would be (held for a person, or sent at
// once as the company chose), and answers 202 with the batch to poll. The
// Idempotency-Key makes a repeat answer with the same batch.
func (s *Server) apiSendInvoices(c echo.Context) error {
	ctx := c.Request().Context()
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	body, err := readAPIBody(c)
	if err != nil {
		return err
	}
	kind, tokID := currentSender(c).scope()
	sum := sha256.Sum256(body)
	k := &db.IdempotencyKey{CompanyID: currentCompany(c).ID, TokenKind: kind, TokenID: tokID, Key: key, BodyHash: hex.EncodeToString(sum[:])}
	had, err := s.db.ReserveIdempotencyKey(ctx, k)
	if err != nil {
		return err
	}
	if had != nil {
		return s.answerRepeat(c, had, k.BodyHash)
	}
	b, err := s.makeAPIBatch(c, body)
	if err != nil {
		if rerr := s.db.ReleaseIdempotencyKey(context.WithoutCancel(ctx), k.ID); rerr != nil {
			s.log.Warn("release idempotency key", "company_id", k.CompanyID, "err", rerr)
		}
		return err
	}
	if err := s.db.FinishIdempotencyKey(context.WithoutCancel(ctx), k.ID, b.ID, http.StatusAccepted); err != nil {
		// The batch stands; a repeat finds the key stale later, and the
		// invoices sent before in the batch it then makes.
		s.log.Error("record idempotency key", "company_id", k.CompanyID, "batch_id", b.ID, "err", err)
	}
	return s.answerStored(c, http.StatusAccepted, b.CompanyID, b.ID)
}

// idempotencyKey is the request's Idempotency-Key: required, printable
// ASCII, at most maxIdempotencyKey characters.
func idempotencyKey(c echo.Context) (string, error) {
	k := c.Request().Header.Get("Idempotency-Key")
	bad := k == "" || len(k) > maxIdempotencyKey
	for i := 0; i < len(k) && !bad; i++ {
		bad = k[i] < 0x20 || k[i] > 0x7e
	}
	if bad {
		return "", &apiProblem{Status: http.StatusBadRequest, Code: "idempotency_key_required", Key: "api.err.idemkey", Args: []any{maxIdempotencyKey}}
	}
	return k, nil
}

var errTooLarge = &apiProblem{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Key: "api.err.toolarge", Args: []any{maxAPIInvoiceBody >> 20, maxAPIInvoices}}

// readAPIBody reads the request's body, refusing one over maxAPIInvoiceBody.
func readAPIBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > maxAPIInvoiceBody {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, maxAPIInvoiceBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("read API batch: %w", err)
	}
	return body, nil
}

// answerRepeat answers a request whose key was used before: with the
// same batch when the body is the same, else 422; 409 while the first
// request runs.
func (s *Server) answerRepeat(c echo.Context, had *db.IdempotencyKey, hash string) error {
	switch {
	case had.BodyHash != hash:
		return &apiProblem{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused", Key: "api.err.idemreused"}
	case had.BatchID == nil:
		c.Response().Header().Set("Retry-After", "1")
		return &apiProblem{Status: http.StatusConflict, Code: "idempotency_key_in_use", Key: "api.err.idembusy"}
	}
	c.Response().Header().Set("Idempotent-Replayed", "true")
	return s.answerStored(c, had.Status, currentCompany(c).ID, *had.BatchID)
}

// apiEnvelope is the request's body: {"invoices": [...]}.
type apiEnvelope struct {
	Invoices json.RawMessage `json:"invoices"`
}

// invoicesOf is the body's list of invoices, as Bilag's JSON format reads
// it; a problem when the body is not the envelope or holds too many.
func invoicesOf(body []byte) (json.RawMessage, int, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var env apiEnvelope
	var list []json.RawMessage
	if dec.Decode(&env) != nil || dec.More() || json.Unmarshal(env.Invoices, &list) != nil || len(list) == 0 {
		return nil, 0, &apiProblem{Status: http.StatusUnprocessableEntity, Code: "invalid_body", Key: "api.err.body"}
	}
	if len(list) > maxAPIInvoices {
		return nil, 0, &apiProblem{Status: http.StatusUnprocessableEntity, Code: "too_many_invoices", Key: "api.err.toomany",
			Args: []any{len(list), maxAPIInvoices}}
	}
	return env.Invoices, len(list), nil
}

// makeAPIBatch stores the body's invoices as a batch of the receiving
// connection the sender sends to, audited, and sends it when the company
// chose so.
func (s *Server) makeAPIBatch(c echo.Context, body []byte) (*db.ImportBatch, error) {
	ctx := c.Request().Context()
	snd := currentSender(c)
	raw, n, err := invoicesOf(body)
	if err != nil {
		return nil, err
	}
	conn, err := s.apiReceiver(c, snd)
	if err != nil {
		return nil, err
	}
	up := connections.Upload{Source: connections.SourceAPI, Format: invoice.FormatJSON, Data: raw}
	if snd.Integration != nil {
		up.IntegrationToken = &snd.Integration.ID
	}
	b, err := s.conns.PrepareImport(ctx, conn, snd.sender(currentUser(c)), up)
	var fe *connectors.ImportFileError
	if errors.As(err, &fe) {
		return nil, &apiProblem{Status: http.StatusUnprocessableEntity, Code: "invalid_body", Key: "imports.file." + fe.Code, Args: []any{fe.Row, fe.Name}, Err: err}
	}
	if err != nil {
		return nil, err
	}
	e := snd.audit(c, db.AuditAPIBatch, conn.CompanyID)
	e.Target, e.Detail = conn.Connector, fmt.Sprintf("batch=%d invoices=%d", b.ID, n)
	if err := s.db.Audit(ctx, e); err != nil {
		return nil, err
	}
	if currentCompany(c).APISendAtOnce {
		s.sendAPIBatch(c, conn, b)
	}
	return b, nil
}

// sendAPIBatch sends a batch at once, as the company chose; a pre-flight
// finding leaves it held, as it would a person's upload.
func (s *Server) sendAPIBatch(c echo.Context, conn *db.Connection, b *db.ImportBatch) {
	ctx := c.Request().Context()
	snd := currentSender(c)
	n, err := s.conns.StartImport(ctx, conn, b.ID, nil, snd.sender(currentUser(c)))
	switch {
	case errors.Is(err, connections.ErrPreflight):
		return
	case err != nil:
		s.log.Warn("API batch: send at once", "batch_id", b.ID, "err", err)
		return
	case n == 0:
		return
	}
	e := snd.audit(c, db.AuditImportSend, conn.CompanyID)
	e.Target, e.Detail = b.Target, fmt.Sprintf("upload %d: %d orders (API, sent at once)", b.ID, n)
	if err := s.db.Audit(ctx, e); err != nil {
		s.log.Error("write audit event", "action", db.AuditImportSend, "err", err)
	}
}

// apiReceiver is the receiving connection the sender sends to: the
// integration token's, or the one the query names (a personal token's),
// else the company's only one.
func (s *Server) apiReceiver(c echo.Context, snd apiSender) (*db.Connection, error) {
	conns, err := s.conns.Receivers(c.Request().Context(), currentCompany(c).ID)
	if err != nil {
		return nil, err
	}
	want := c.QueryParam("connector")
	if snd.Integration != nil {
		want = snd.Integration.Connector
	}
	for i := range conns {
		if want == "" && len(conns) == 1 || conns[i].Connector == want {
			return &conns[i], nil
		}
	}
	if want == "" && len(conns) > 1 {
		return nil, &apiProblem{Status: http.StatusConflict, Code: "receiver_ambiguous", Key: "api.err.receivers"}
	}
	return nil, &apiProblem{Status: http.StatusConflict, Code: "no_receiver", Key: "api.err.noreceiver"}
}

// apiInvoiceBatch answers a batch's state: an integration token sees only
// the batches it made.
func (s *Server) apiInvoiceBatch(c echo.Context) error {
	id, err := paramID(c, "batchID")
	if err != nil {
		return err
	}
	b, orders, err := s.db.ImportBatchOf(c.Request().Context(), currentCompany(c).ID, id)
	if err != nil {
		return err
	}
	if tok := currentSender(c).Integration; tok != nil && (b.IntegrationTokenID == nil || *b.IntegrationTokenID != tok.ID) {
		return echo.ErrNotFound
	}
	return s.answerBatch(c, http.StatusOK, b, orders)
}

// answerStored reads the company's batch as it stands and answers it.
func (s *Server) answerStored(c echo.Context, status int, companyID, batchID int64) error {
	b, orders, err := s.db.ImportBatchOf(c.Request().Context(), companyID, batchID)
	if err != nil {
		return err
	}
	return s.answerBatch(c, status, b, orders)
}

// answerBatch writes the batch with its orders, as read once (a front
// system polls a batch of up to 1,000 invoices while it is sent), with its
// URL in Location.
func (s *Server) answerBatch(c echo.Context, status int, b *db.ImportBatch, orders []db.ImportOrder) error {
	out := s.toAPIBatch(b, orders)
	if status == http.StatusAccepted {
		c.Response().Header().Set(echo.HeaderLocation, out.URL)
	}
	return c.JSON(status, out)
}

// apiBatch is a batch as the API shows it.
type apiBatch struct {
	ID        int64             `json:"id"`
	URL       string            `json:"url"`
	Status    string            `json:"status"`
	Connector string            `json:"connector"`
	CreatedAt string            `json:"created_at"`
	Counts    apiBatchCounts    `json:"counts"`
	Preflight []apiPreflight    `json:"preflight"`
	Invoices  []apiBatchInvoice `json:"invoices"`
}

type apiBatchCounts struct {
	Invoices  int `json:"invoices"`
	Invalid   int `json:"invalid"`
	Duplicate int `json:"duplicate"`
	ToSend    int `json:"to_send"`
	Sent      int `json:"sent"`
	Refused   int `json:"refused"`
	Unknown   int `json:"unknown"`
	NotSent   int `json:"not_sent"`
}

type apiPreflight struct {
	Code     string   `json:"code"`
	Args     []string `json:"args"`
	Message  string   `json:"message"`
	Invoices int      `json:"invoices"`
}

type apiBatchInvoice struct {
	Position int          `json:"position"`
	Number   string       `json:"number"`
	Status   string       `json:"status"`
	Findings []apiFinding `json:"findings"`
	Answer   *apiAnswer   `json:"answer,omitempty"`
}

type apiFinding struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Warning bool   `json:"warning"`
}

type apiAnswer struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Reference string `json:"reference"`
}

// The statuses of a batch in the API.
const (
	batchHeld    = "held"    // waiting for a person to send it
	batchBlocked = "blocked" // pre-flight findings stand; nothing is sent
	batchSending = "sending"
	batchDone    = "done" // nothing left to send
)

func (s *Server) toAPIBatch(b *db.ImportBatch, orders []db.ImportOrder) apiBatch {
	out := apiBatch{ID: b.ID, Connector: b.Connector, CreatedAt: b.CreatedAt.UTC().Format(time.RFC3339), Preflight: []apiPreflight{},
		URL: s.absURL("/api/v1/companies/" + strconv.FormatInt(b.CompanyID, 10) + "/invoices/batches/" + strconv.FormatInt(b.ID, 10))}
	for _, f := range connections.PreflightFindings(b) {
		out.Preflight = append(out.Preflight, apiPreflight{Code: f.Code, Args: f.Args, Invoices: len(f.Invoices),
			Message: s.preflightIn(apiLang, b.Connector, f)})
	}
	var p batchPage
	pending, ready := 0, 0
	for i := range orders {
		o := &orders[i]
		p.count(*o)
		switch o.Status {
		case db.ImportQueued, db.ImportSending:
			pending++
		case db.ImportReady:
			ready++
		case db.ImportInvalid:
			out.Counts.Invalid++
		case db.ImportDuplicate:
			out.Counts.Duplicate++
		}
		out.Invoices = append(out.Invoices, s.toAPIBatchInvoice(b.Connector, o))
	}
	out.Counts.Invoices = len(orders)
	out.Counts.ToSend, out.Counts.Sent, out.Counts.Refused, out.Counts.Unknown, out.Counts.NotSent = p.ToSend, p.Sent, p.Refused, p.Unknown, p.NotSent
	switch {
	case pending > 0:
		out.Status = batchSending
	case len(out.Preflight) > 0:
		out.Status = batchBlocked
	case ready > 0:
		out.Status = batchHeld
	default:
		out.Status = batchDone
	}
	return out
}

func (s *Server) toAPIBatchInvoice(connector string, o *db.ImportOrder) apiBatchInvoice {
	v := apiBatchInvoice{Position: o.Position, Number: o.Label, Status: o.Status, Findings: []apiFinding{}}
	for _, f := range connections.Findings(o) {
		fv := s.findingIn(apiLang, connector, f)
		v.Findings = append(v.Findings, apiFinding{Line: f.Line, Field: fv.Field, Code: f.Code, Message: fv.Text, Warning: f.Warning})
	}
	if o.AnswerCode != "" || o.AnswerMessage != "" || o.AnswerRef != "" {
		v.Answer = &apiAnswer{Code: o.AnswerCode, Message: o.AnswerMessage, Reference: o.AnswerRef}
	}
	return v
}
