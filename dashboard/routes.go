package dashboard

import "net/http"

// routes lists every route in one place.
func (s *Server) routes() {
	e := s.echo
	e.GET("/", s.home)
	e.GET("/search", s.search)
	e.GET("/areas/new", s.newArea)
	e.POST("/areas", s.createArea)
	e.GET("/areas/:code", s.area)
	e.GET("/areas/:code/briefing", s.briefing)
	e.GET("/sources", s.sources)
	e.GET("/sources/:id/rejects", s.rejects)
	e.GET("/static/:hash/*", s.static.handler)
	e.GET("/map", s.mapPage)                      // the map explorer; ?view=table for its figures
	e.GET("/tiles/:layer/:z/:x/:y", s.handleTile) // y is "{y}.mvt"; see tiles.go
	e.GET("/gaps", s.gapsPage)                    // service gaps: ?service=gp&within=E08000009
	e.GET("/money", s.moneyPage)                  // money against need: ?within=E08000009&level=ward|custom
	e.GET("/recipes", s.recipeList)
	e.GET("/recipes/:id", s.recipePage)
	e.GET("/sql", s.sqlPage) // the SQL console: ?q= runs and shows a query (sql.go)
	e.GET("/healthz", func(c echoContext) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", s.readyz)

	api := e.Group("/api", corsGET)
	api.GET("/search", s.apiSearch)
	api.GET("/areas/:code", s.apiArea)
	api.GET("/areas/:code/indicators", s.apiAreaIndicators)
	api.GET("/indicators", s.apiIndicators)
	api.GET("/indicators/:id", s.apiIndicator)
	api.GET("/sources", s.apiSources)
	api.GET("/map/values", s.apiMapValues)
	api.GET("/gaps", s.apiGaps)
	api.GET("/sql", s.apiSQL)  // the SQL sandbox: ?q=…&format=json|csv|parquet|geojson (sql.go)
	api.POST("/sql", s.apiSQL) // the same, for long queries
	api.GET("/money", s.apiMoney)
	api.GET("/recipes", s.apiRecipes)
	api.GET("/recipes/:id", s.apiRecipe)
	api.GET("/export/:table", s.apiExport)
	api.GET("/openapi.json", s.apiOpenAPI)
}
