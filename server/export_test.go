package server

import (
	"net/http"
	"sort"
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

// DummyHash is the hash an unknown address's password is checked against.
func (s *Server) DummyHash() (string, error) { return s.dummyHash() }
