package dbtest

import (
	"context"
	"fmt"
)

// Server is a throwaway PostgreSQL server started outside a test, the way
// the tests start theirs (or the one ExternalURLEnv names): for the bench.
type Server struct{ c *cluster }

// StartServer starts a server. Without PostgreSQL's binaries it returns a
// nil Server and why.
func StartServer() (s *Server, why string, err error) {
	c, why, err := start()
	if why != "" || err != nil {
		return nil, why, err
	}
	return &Server{c: c}, "", nil
}

// NewDatabase creates an empty database called name and returns its URL.
func (s *Server) NewDatabase(ctx context.Context, name string) (string, error) {
	if _, err := s.c.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.c.urlFor(name), nil
}

// Stop shuts the server down and removes its files.
func (s *Server) Stop() { s.c.stop() }
