package server

import "github.com/labstack/echo/v4"

// apiError is the JSON body of every API error: a stable code and a
// message in the caller's language.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
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
	case 422:
		return "invalid"
	case 429:
		return "rate_limited"
	case 503:
		return "upstream_unavailable"
	}
	return "internal"
}

// apiRoutes mounts the JSON API (see api_routes.go when built).
func (s *Server) apiRoutes(g *echo.Group) {}
