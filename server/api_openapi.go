package server

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPI describes the JSON API; api_test.go checks every response the
// tests see against it, so the two cannot drift apart quietly.
//
//go:embed openapi.json
var openAPI []byte

// openAPIDocument serves the API's description. It is public: it holds
// nothing a token would protect.
func (s *Server) openAPIDocument(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPI)
}
