package server

import "github.com/labstack/echo/v4"

// viewDocument is what the voucher page's frame loads.
func (s *Server) viewDocument(c echo.Context) error {
	return s.showDocument(c)
}
