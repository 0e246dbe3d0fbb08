package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"commonground/queries"
	"commonground/warehouse"
)

// recipePageRows is how many rows a recipe page shows; downloads have all.
const recipePageRows = 1000

// recipeFormats are the download formats, in the order the page lists them.
var recipeFormats = []string{"csv", "json", "parquet", "geojson"}

// loadRecipes reads the embedded recipes and prepares each against the
// warehouse, so a broken recipe stops the server at start-up (naming its
// file and line) rather than failing for a visitor.
func loadRecipes(db *warehouse.DB) (*queries.RecipeBook, error) {
	b, err := queries.DefaultRecipes()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Validate(ctx, db); err != nil {
		return nil, fmt.Errorf("recipes: %w", err)
	}
	return b, nil
}

// recipeField is one parameter of the form, with its current value.
type recipeField struct {
	queries.RecipeParam
	Value    string
	AreaName string
	Error    string
	Options  []queries.Option
	Step     string
	// MinText and MaxText are the bounds as the number input takes them.
	MinText, MaxText string
}

func (s *Server) recipeList(c echo.Context) error {
	return c.Render(http.StatusOK, "recipes", page{Title: "Recipes",
		Description: "Ready-made questions about an area: fill in the form, see the answer, download it.",
		Data:        map[string]any{"Groups": s.recipes.Groups()}})
}

func (s *Server) lookupRecipe(id string) (*queries.Recipe, error) {
	r, err := s.recipes.Recipe(id)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "There is no recipe called \""+id+"\". See the list of recipes at /recipes.")
	}
	return r, nil
}

// recipeQuery is the query string of a recipe's bound values, for
// shareable links and downloads.
func recipeQuery(r *queries.Recipe, values map[string]string, format string) string {
	q := url.Values{}
	for _, p := range r.Params {
		q.Set(p.Name, values[p.Name])
	}
	if format != "" {
		q.Set("format", format)
	}
	return q.Encode()
}

func (s *Server) recipePage(c echo.Context) error {
	r, err := s.lookupRecipe(c.Param("id"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	b, err := r.Bind(ctx, s.db, c.QueryParam)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	fields := make([]recipeField, 0, len(r.Params))
	for _, p := range r.Params {
		f := recipeField{RecipeParam: p, Value: b.Values[p.Name], AreaName: b.AreaNames[p.Name], Error: b.Errors[p.Name], Step: "1"}
		if p.Kind == queries.KindDouble {
			f.Step = "any"
		}
		if p.Min != nil {
			f.MinText, f.MaxText = strconv.FormatFloat(*p.Min, 'f', -1, 64), strconv.FormatFloat(*p.Max, 'f', -1, 64)
		}
		if f.Error != "" {
			// Show what was typed, not the resolved or default value.
			if v := c.QueryParam(p.Name); v != "" {
				f.Value = v
			}
		}
		if p.Kind == queries.KindChoice || p.Kind == queries.KindArea {
			if f.Options, err = p.Options(ctx, s.db); err != nil {
				return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
			}
		}
		fields = append(fields, f)
	}
	data := map[string]any{"Recipe": r, "Fields": fields, "Errors": b.Errors}
	status := http.StatusOK
	if b.OK() {
		qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		t, err := r.Run(qctx, s.db, b.Args, recipePageRows)
		if err != nil {
			if qctx.Err() != nil && ctx.Err() == nil {
				return echo.NewHTTPError(http.StatusServiceUnavailable, "This recipe took too long to run. Try a smaller area or distance.")
			}
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		data["Table"] = t
		data["Numeric"] = numericColumns(t)
		headers := make([]string, len(t.Columns))
		for i, col := range t.Columns {
			headers[i] = humanColumn(col)
		}
		data["Headers"] = headers
		qs := recipeQuery(r, b.Values, "")
		data["Permalink"] = "/recipes/" + r.ID + "?" + qs
		var dls []map[string]string
		for _, f := range recipeFormats {
			if f == "geojson" && !r.Geometry {
				continue
			}
			dls = append(dls, map[string]string{"Format": f, "Label": formatLabel(f),
				"URL": "/api/recipes/" + r.ID + "?" + recipeQuery(r, b.Values, f)})
		}
		data["Downloads"] = dls
	} else {
		status = http.StatusBadRequest
	}
	return c.Render(status, "recipe", page{Title: r.Title, Description: r.Description, Data: data})
}

// humanColumn turns a column name into a heading: "distance_km" becomes
// "Distance km", "imd_decile" "IMD decile".
func humanColumn(c string) string {
	words := strings.Split(c, "_")
	for i, w := range words {
		switch w {
		case "imd", "lsoa", "lad", "gp", "id", "pc":
			if w == "pc" {
				words[i] = "%"
			} else {
				words[i] = strings.ToUpper(w)
			}
		case "km":
		default:
			if i == 0 && w != "" {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
	}
	return strings.Join(words, " ")
}

func formatLabel(f string) string {
	switch f {
	case "csv":
		return "CSV (spreadsheet)"
	case "json":
		return "JSON"
	case "parquet":
		return "Parquet (for analysts)"
	case "geojson":
		return "GeoJSON (map)"
	}
	return f
}

// numericColumns marks columns whose every non-empty cell is a number, so
// the page can right-align them.
func numericColumns(t *queries.RecipeTable) []bool {
	out := make([]bool, len(t.Columns))
	for j := range t.Columns {
		num, any := true, false
		for _, row := range t.Rows {
			if row[j] == "" {
				continue
			}
			any = true
			if _, err := strconv.ParseFloat(row[j], 64); err != nil {
				num = false
				break
			}
		}
		out[j] = num && any
	}
	return out
}

// apiRecipes lists the recipes with their parameters and, for choices
// and areas, the values they accept.
func (s *Server) apiRecipes(c echo.Context) error {
	ctx := c.Request().Context()
	out := make([]map[string]any, 0, len(s.recipes.List()))
	for _, r := range s.recipes.List() {
		params := make([]map[string]any, 0, len(r.Params))
		for _, p := range r.Params {
			m := map[string]any{"name": p.Name, "kind": p.Kind, "label": p.Label, "default": p.Default}
			if p.Hint != "" {
				m["hint"] = p.Hint
			}
			if p.Min != nil {
				m["min"], m["max"] = *p.Min, *p.Max
			}
			if len(p.Levels) > 0 {
				m["levels"] = p.Levels
			}
			if p.Kind == queries.KindChoice {
				opts, err := p.Options(ctx, s.db)
				if err != nil {
					return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
				}
				m["options"] = opts
			}
			params = append(params, m)
		}
		formats := []string{"json", "csv", "parquet"}
		if r.Geometry {
			formats = append(formats, "geojson")
		}
		out = append(out, map[string]any{"id": r.ID, "title": r.Title, "description": r.Description, "group": r.Group,
			"params": params, "columns": r.Columns, "formats": formats, "caveats": r.Caveats,
			"url": "/api/recipes/" + r.ID, "page": "/recipes/" + r.ID})
	}
	return c.JSON(http.StatusOK, map[string]any{"recipes": out})
}

// apiRecipe runs a recipe and streams the whole result.
func (s *Server) apiRecipe(c echo.Context) error {
	r, err := s.lookupRecipe(c.Param("id"))
	if err != nil {
		return err
	}
	format := strings.ToLower(c.QueryParam("format"))
	if format == "" {
		format = "json"
	}
	switch format {
	case "json", "csv", "parquet":
	case "geojson":
		if !r.Geometry {
			return echo.NewHTTPError(http.StatusBadRequest, "This recipe's result has no geometry or lon/lat columns, so it cannot be GeoJSON: use csv, json or parquet.")
		}
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown format \""+format+"\": use json, csv, parquet or geojson.")
	}
	b, err := r.Bind(c.Request().Context(), s.db, c.QueryParam)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	if !b.OK() {
		return c.JSON(http.StatusBadRequest, map[string]any{"error": "Some parameters are not valid.", "status": http.StatusBadRequest, "params": b.Errors})
	}
	return s.recipeDownload(c, r.Query(), b.Args, format, r.ID)
}

// recipeDownload streams a whole result (recipes and exports) through the
// shared result writers (resultwriter.go): constant memory, the sandbox's
// download time limit.
func (s *Server) recipeDownload(c echo.Context, q string, args []any, format, filename string) error {
	return s.streamResult(c, q, args, format, filename)
}
