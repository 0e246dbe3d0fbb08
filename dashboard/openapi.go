package dashboard

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// The OpenAPI 3 description of every /api route, served at
// /api/openapi.json. TestOpenAPICoversRoutes walks the echo routes and
// fails when a route is undocumented or a documented one is missing, so
// add an entry here with every new /api route.

// apiParam is one parameter of an operation.
type apiParam struct {
	Name, In, Description string
	Required              bool
	Schema                map[string]any
}

// apiOp is one documented operation.
type apiOp struct {
	Method, Path string // echo style: /api/areas/:code
	Tag          string
	Summary      string
	Description  string
	Params       []apiParam
	// Formats are the response media types besides JSON errors; the first
	// is the default.
	Formats []string
	// Body, when set, describes a request body (form or JSON).
	Body map[string]any
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }

func enum(def string, vals ...string) map[string]any {
	return map[string]any{"type": "string", "enum": vals, "default": def}
}

func pathParam(name, desc string) apiParam {
	return apiParam{Name: name, In: "path", Description: desc, Required: true, Schema: map[string]any{"type": "string"}}
}

func query(name, desc string, schema map[string]any) apiParam {
	if schema == nil {
		schema = map[string]any{"type": "string"}
	}
	return apiParam{Name: name, In: "query", Description: desc, Schema: schema}
}

func required(p apiParam) apiParam { p.Required = true; return p }

var (
	mediaJSON    = "application/json"
	mediaCSV     = "text/csv"
	mediaParquet = "application/vnd.apache.parquet"
	mediaGeoJSON = "application/geo+json"
	tableFormats = []string{mediaJSON, mediaCSV, mediaParquet, mediaGeoJSON}
	levelSchema  = enum("lad", "lsoa11", "lsoa21", "lsoa", "ward", "msoa21", "lad", "country", "custom")
	formatParam  = query("format", "Response format: json, csv, parquet, or geojson (needs a geometry or lon/lat column).",
		enum("json", "json", "csv", "parquet", "geojson"))
)

// apiOps documents every /api route. Keep in step with routes.go.
var apiOps = []apiOp{
	{Method: "GET", Path: "/api/openapi.json", Tag: "meta", Summary: "This document",
		Description: "The OpenAPI 3 description of every /api route.", Formats: []string{mediaJSON}},
	{Method: "GET", Path: "/api/search", Tag: "areas", Summary: "Find areas by name, code or postcode",
		Params: []apiParam{required(query("q", "A place name, an area code (E01012673) or a postcode (M32 0TH).", nil)),
			query("limit", "Most results to return (1-50, default 10).", map[string]any{"type": "integer", "minimum": 1, "maximum": 50, "default": 10})},
		Formats: []string{mediaJSON}},
	{Method: "GET", Path: "/api/areas/:code", Tag: "areas", Summary: "One area: name, level, population, parents and children",
		Params: []apiParam{pathParam("code", "GSS code of an LSOA, ward, MSOA or local authority, or a custom area's code."),
			query("geometry", "true to include the boundary as GeoJSON.", map[string]any{"type": "boolean", "default": false})},
		Formats: []string{mediaJSON}},
	{Method: "GET", Path: "/api/areas/:code/indicators", Tag: "indicators", Summary: "Every indicator for an area, compared with its local authority and England",
		Params:  []apiParam{pathParam("code", "Area code."), query("format", "json (default) or csv.", enum("json", "json", "csv"))},
		Formats: []string{mediaJSON, mediaCSV}},
	{Method: "GET", Path: "/api/indicators", Tag: "indicators", Summary: "The indicator catalogue: definitions, units, sources",
		Formats: []string{mediaJSON}},
	{Method: "GET", Path: "/api/indicators/:id", Tag: "indicators", Summary: "One indicator for every area of a level",
		Params: []apiParam{pathParam("id", "Indicator id, from /api/indicators."),
			query("level", "Area level (default lad).", levelSchema),
			query("within", "Only areas within this area code (default: all England).", nil)},
		Formats: []string{mediaJSON}},
	{Method: "GET", Path: "/api/sources", Tag: "meta", Summary: "Datasets with publisher, licence, attribution and load status",
		Formats: []string{mediaJSON}},
	{Method: "GET", Path: "/api/map/values", Tag: "indicators", Summary: "An indicator's value for every area of a level, for the map",
		Params: []apiParam{required(query("level", "Area level.", levelSchema)), required(query("indicator", "Indicator id.", nil)),
			query("format", "json (an object from code to value; default) or csv.", enum("json", "json", "csv"))},
		Formats: []string{mediaJSON, mediaCSV}},
	{Method: "GET", Path: "/api/money", Tag: "money", Summary: "Money against need: council spending and grants per area, with deprivation",
		Params: []apiParam{query("within", "Local authority code.", nil),
			query("level", "ward (default) or custom.", enum("ward", "ward", "custom")),
			query("format", "json (default) or csv.", enum("json", "json", "csv")),
			query("table", "csv only: areas (default), deciles, spend_status or grant_status.", enum("areas", "areas", "deciles", "spend_status", "grant_status"))},
		Formats: []string{mediaJSON, mediaCSV}},
	{Method: "GET", Path: "/api/gaps", Tag: "services", Summary: "Service gaps: neighbourhoods of high need and low provision of one service",
		Params: []apiParam{required(query("service", "Service key: gp, pharmacy, school, library, food_bank, ... (the /gaps page lists them).", nil)),
			required(query("within", "Area code, e.g. E08000009.", nil)),
			query("format", "json (default) or csv.", enum("json", "json", "csv"))},
		Formats: []string{mediaJSON, mediaCSV}},
	{Method: "GET", Path: "/api/sql", Tag: "sql", Summary: "Run one read-only SQL query in the sandbox",
		Description: "JSON (the default) gives columns with types, up to 1,000 rows, the total row count, a truncation flag and the elapsed time. " +
			"Other formats, or download=1, stream the whole result as a file. Only a single SELECT runs; time, memory and concurrency are limited (429 when busy).",
		Params: []apiParam{required(query("q", "The SQL (one SELECT).", nil)), formatParam,
			query("download", "1 to stream the whole JSON result as a file.", enum("0", "0", "1"))},
		Formats: tableFormats},
	{Method: "POST", Path: "/api/sql", Tag: "sql", Summary: "Run one read-only SQL query (for long queries)",
		Description: "As GET /api/sql, with the query in the body: a form field q, JSON {\"q\": \"SELECT ...\"}, or the SQL itself as text/plain.",
		Params:      []apiParam{formatParam},
		Body: map[string]any{"required": true, "content": map[string]any{
			"application/x-www-form-urlencoded": map[string]any{"schema": map[string]any{"type": "object", "required": []string{"q"},
				"properties": map[string]any{"q": str("The SQL (one SELECT)."), "format": str("json, csv, parquet or geojson.")}}},
			"application/json": map[string]any{"schema": map[string]any{"type": "object", "required": []string{"q"},
				"properties": map[string]any{"q": str("The SQL (one SELECT).")}}},
			"text/plain": map[string]any{"schema": str("The SQL (one SELECT).")}}},
		Formats: tableFormats},
	{Method: "GET", Path: "/api/recipes", Tag: "recipes", Summary: "The recipes: saved, parameterised queries with their parameters",
		Description: "Each recipe lists its parameters (kind, label, default, bounds, and options for choices), result columns and formats.",
		Formats:     []string{mediaJSON}},
	{Method: "GET", Path: "/api/recipes/:id", Tag: "recipes", Summary: "Run a recipe and download the whole result",
		Description: "Parameters are the recipe's own (see /api/recipes), passed as query parameters; a missing one takes its default. " +
			"Area parameters accept a code or a name. Invalid parameters give 400 with a message per parameter.",
		Params:  []apiParam{pathParam("id", "Recipe id, from /api/recipes."), formatParam},
		Formats: tableFormats},
	{Method: "GET", Path: "/api/export/:table", Tag: "export", Summary: "Export a warehouse table, or areas with indicator values",
		Description: "Streams the whole table (constant memory). Tables: " + strings.Join(exportTableNames(), ", ") + ". " +
			"Filters apply where they make sense (see each parameter); a filter the table does not take gives 400.",
		Params: []apiParam{pathParam("table", "Table name: "+strings.Join(exportTableNames(), ", ")+"."), formatParam,
			query("level", "areas: only this level (lsoa11, lsoa21, ward, msoa21, lad, custom).", nil),
			query("within", "areas, services, imd, population, postcodes, grants: only rows within this area code (a local authority, ward or custom area).", nil),
			query("indicators", "areas: comma-separated indicator ids whose values to add as columns (needs level).", nil),
			query("category", "services: only this category (gp_practice, pharmacy, school, ...).", nil),
			query("edition", "imd: 2019 or 2025.", map[string]any{"type": "integer", "enum": []int{2019, 2025}}),
			query("council", "spending: only this council's code (E08000009).", nil)},
		Formats: tableFormats},
}

// openAPIDocument builds the document once.
var openAPIDocument = sync.OnceValue(func() []byte {
	paths := map[string]map[string]any{}
	for _, op := range apiOps {
		p := openAPIPath(op.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		var params []map[string]any
		for _, pr := range op.Params {
			params = append(params, map[string]any{"name": pr.Name, "in": pr.In, "description": pr.Description,
				"required": pr.Required, "schema": pr.Schema})
		}
		content := map[string]any{}
		for _, f := range op.Formats {
			content[f] = map[string]any{"schema": map[string]any{}}
			if f == mediaCSV || f == mediaParquet {
				content[f] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
		}
		o := map[string]any{
			"operationId": operationID(op),
			"summary":     op.Summary,
			"tags":        []string{op.Tag},
			"responses": map[string]any{
				"200": map[string]any{"description": "OK", "content": content},
				"400": map[string]any{"$ref": "#/components/responses/Error"},
				"404": map[string]any{"$ref": "#/components/responses/Error"},
			},
		}
		if op.Description != "" {
			o["description"] = op.Description
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.Body != nil {
			o["requestBody"] = op.Body
		}
		paths[p][strings.ToLower(op.Method)] = o
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "Commonground API",
			"version": "1",
			"description": "Public data about neighbourhoods in England, with sources. Every GET answers CORS requests from any origin. " +
				"Errors are JSON: {\"error\": message, \"status\": code}.",
			"license": map[string]any{"name": "Data: Open Government Licence v3.0",
				"url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
		},
		"servers": []map[string]any{{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "required": []string{"error", "status"},
				"properties": map[string]any{"error": str("What went wrong, in plain English."), "status": map[string]any{"type": "integer"},
					"params": map[string]any{"type": "object", "description": "Recipes: a message per invalid parameter.",
						"additionalProperties": map[string]any{"type": "string"}}}}},
			"responses": map[string]any{"Error": map[string]any{"description": "An error",
				"content": map[string]any{mediaJSON: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}},
		},
	}
	tags := map[string]bool{}
	for _, op := range apiOps {
		tags[op.Tag] = true
	}
	var tl []map[string]string
	for t := range tags {
		tl = append(tl, map[string]string{"name": t})
	}
	sort.Slice(tl, func(i, j int) bool { return tl[i]["name"] < tl[j]["name"] })
	doc["tags"] = tl
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // the document is built from constants: a bug, not data
	}
	return b
})

// openAPIPath turns /api/areas/:code into /api/areas/{code}.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func operationID(op apiOp) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(op.Method))
	for _, s := range strings.Split(strings.TrimPrefix(op.Path, "/api/"), "/") {
		s = strings.TrimPrefix(s, ":")
		s = strings.NewReplacer(".", "_", "-", "_").Replace(s)
		if s == "" {
			continue
		}
		b.WriteString(strings.ToUpper(s[:1]) + s[1:])
	}
	return b.String()
}

func (s *Server) apiOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPIDocument())
}
