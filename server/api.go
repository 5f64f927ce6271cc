package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiError is the JSON body of every API error: a stable code and a
// message in the caller's language.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// ResetsAt is when a spent upstream quota resets (RFC 3339, UTC),
	// beside Retry-After's seconds; only with rate_limited.
	ResetsAt string `json:"resets_at,omitempty"`
}

func apiCode(status int) string {
	switch status {
	case 400:
		return "bad_request"
	case 401:
		return "unauthorized"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 405:
		return "method_not_allowed"
	case 409:
		return "conflict"
	case 413:
		return "too_large"
	case 422:
		return "invalid"
	case 429:
		return "rate_limited"
	case 503:
		return "upstream_unavailable"
	}
	return "internal"
}

// apiProblem is an API error that says more than its status: which query
// parameter was wrong, that the token is missing, that the company's
// connection needs a new approval. Code is stable (clients switch on it);
// Key is the catalog key of the message.
type apiProblem struct {
	Status int
	Code   string
	Key    string
	Args   []any
	// Err is the cause, for errors.Is and the log.
	Err error
}

func (p *apiProblem) Error() string {
	if p.Err != nil {
		return p.Code + ": " + p.Err.Error()
	}
	return p.Code
}

func (p *apiProblem) Unwrap() error { return p.Err }

// badParam is the answer to a malformed query parameter.
func badParam(name string) error {
	return &apiProblem{Status: http.StatusBadRequest, Code: "bad_request", Key: "api.err.param", Args: []any{name}}
}

// apiRoutes mounts the JSON API. Its description is public; everything
// else needs a personal API token and sees what its owner may see.
func (s *Server) apiRoutes(g *echo.Group) {
	g.GET("/openapi.json", s.openAPIDocument)

	a := g.Group("", s.requireToken)
	a.GET("/companies", s.apiCompanies)

	// Company-scoped: requireCompany answers 404 to anyone who may not see
	// it, before anything is read or fetched.
	c := a.Group("/companies/:companyID", s.requireCompany)
	c.GET("/vouchers", s.apiVouchers)
	c.GET("/vouchers/lookup", s.apiLookupVouchers)
	c.GET("/vouchers/:voucherID", s.apiVoucher)
	c.GET("/vouchers/:voucherID/documents/:docID", s.apiDocument)

	// Send-only (api_send.go): a company's integration token, or a
	// personal token whose owner may send.
	s.sendRoutes(g)
}
