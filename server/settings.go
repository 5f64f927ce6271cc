package server

import "github.com/labstack/echo/v4"

type settingsPage struct{}

func (s *Server) showSettings(c echo.Context) error {
	return s.render(c, "settings", s.t(c, "settings.title"), settingsPage{})
}

// settingsRoutes mounts the settings forms (API tokens).
func (s *Server) settingsRoutes(g *echo.Group) {}
