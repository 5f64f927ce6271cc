package server

import "bilag/db"

// afterConnect starts what a new connection needs (the first sync).
func (s *Server) afterConnect(conn *db.Connection) {}
