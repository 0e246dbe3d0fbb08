package dashboard

// APIRoutes lists the method and path of every route under /api, for the
// OpenAPI coverage test in package dashboard_test.
func APIRoutes(s *Server) [][2]string {
	var out [][2]string
	for _, r := range s.echo.Routes() {
		switch r.Method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			continue // echo's own not-found routes for the group
		}
		if len(r.Path) >= 5 && r.Path[:5] == "/api/" {
			out = append(out, [2]string{r.Method, r.Path})
		}
	}
	return out
}
