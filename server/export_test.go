package server

import (
	"context"
	"net/http"
	"sort"

	"bilag/connectors"
	"bilag/db"
)

// Routes lists the registered routes as "METHOD /path", so the access test
// can check that it walks every company-scoped route.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.echo.Routes() {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			out = append(out, r.Method+" "+r.Path)
		}
	}
	sort.Strings(out)
	return out
}

// FreshGrantForTest is what a request needing a token calls.
func (s *Server) FreshGrantForTest(ctx context.Context, conn *db.Connection) (connectors.Grant, error) {
	return s.freshGrant(ctx, conn)
}
