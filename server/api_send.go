package server

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"bilag/db"
	"bilag/server/connections"
)

// The API for front systems (issue 26 step 5): a front system sends a
// company's invoices with a company-scoped, send-only integration token
// and polls the batch it made. A person's own API token may do the same
// when its owner could send on the imports page (admins and member
// analysts). Everything else refuses an integration token.

const (
	// integrationTokenPrefix starts every integration token; it tells one
	// from a personal token at a glance (and in requireToken).
	integrationTokenPrefix = "bilag_send_"
	integrationTokenLen    = len(integrationTokenPrefix) + 43
)

// keySender is the context key of the apiSender of a send-only route; keyAPIToken
// the personal token requireToken admitted.
const (
	keySender   ctxKey = "api_sender"
	keyAPIToken ctxKey = "api_token"
)

// newIntegrationToken returns a fresh integration token: its prefix and
// 256 random bits.
func newIntegrationToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return integrationTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// integrationBearer reads an integration token from the Authorization
// header: ok only for one of the integration token's shape.
func integrationBearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, strings.HasPrefix(tok, integrationTokenPrefix) && len(tok) == integrationTokenLen
}

// errSendOnly answers an integration token on any route but sending.
var errSendOnly = &apiProblem{Status: http.StatusForbidden, Code: "send_only_token", Key: "api.err.sendonly"}

// apiSender is who sends through the API: an integration token, or a
// person (currentUser) with their own token.
type apiSender struct {
	Integration *db.IntegrationToken
	Personal    *db.APIToken
}

func currentSender(c echo.Context) apiSender {
	s, _ := c.Get(string(keySender)).(apiSender)
	return s
}

// scope is the Idempotency-Key's scope within the company: the token.
func (a apiSender) scope() (string, int64) {
	if a.Integration != nil {
		return db.KeyScopeIntegration, a.Integration.ID
	}
	return db.KeyScopePersonal, a.Personal.ID
}

// sender is who the history says sent: the token's name, or the person.
func (a apiSender) sender(u *db.User) connections.Sender {
	if a.Integration != nil {
		return connections.Sender{Name: a.Integration.Name}
	}
	return connections.Sender{ID: &u.ID, Name: u.Name}
}

// audit is an audit event by the sender, from c's address.
func (a apiSender) audit(c echo.Context, action string, companyID int64) db.AuditEvent {
	e := auditBy(c)
	e.Action, e.CompanyID = action, &companyID
	if a.Integration != nil {
		e.Actor = "API: " + a.Integration.Name + " (" + a.Integration.Prefix + "…)"
	}
	return e
}

// sendRoutes mounts the send-only routes: an integration token of the
// company, or a personal token whose owner may send.
func (s *Server) sendRoutes(g *echo.Group) {
	snd := g.Group("/companies/:companyID/invoices", s.requireSender)
	snd.POST("", s.apiSendInvoices)
	snd.GET("/batches/:batchID", s.apiInvoiceBatch)
}

// requireSender admits an integration token on its own company's send-only
// routes, and otherwise a personal token (requireToken) whose owner sees
// the company (requireCompany) and may send (admins and analysts).
func (s *Server) requireSender(next echo.HandlerFunc) echo.HandlerFunc {
	personal := s.requireToken(s.requireCompany(func(c echo.Context) error {
		if !currentUser(c).CanManageConnections() {
			return &apiProblem{Status: http.StatusForbidden, Code: "forbidden", Key: "api.err.cannotsend"}
		}
		tok, _ := c.Get(string(keyAPIToken)).(*db.APIToken)
		c.Set(string(keySender), apiSender{Personal: tok})
		return next(c)
	}))
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		secret, ok := integrationBearer(c.Request())
		if !ok {
			return personal(c)
		}
		ctx := c.Request().Context()
		tok, err := s.db.IntegrationTokenBySecret(ctx, secret)
		if errors.Is(err, db.ErrNotFound) {
			return errNoToken
		}
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(c.Param("companyID"), 10, 64)
		if err != nil || id != tok.CompanyID {
			return &apiProblem{Status: http.StatusForbidden, Code: "forbidden", Key: "api.err.sendonly.company"}
		}
		co, err := s.db.Company(ctx, id)
		if err != nil {
			return err
		}
		if !co.Active {
			return &apiProblem{Status: http.StatusForbidden, Code: "forbidden", Key: "api.err.sendonly.company"}
		}
		if now := s.now(); tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= apiTokenTouch {
			if err := s.db.TouchIntegrationToken(ctx, tok.ID, now, apiTokenTouch); err != nil {
				s.log.Warn("record integration token use", "token_id", tok.ID, "err", err)
			}
		}
		c.Set(string(keyCompany), co)
		c.Set(string(keySender), apiSender{Integration: tok})
		return next(c)
	}
}
