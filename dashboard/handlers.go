package dashboard

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

type echoContext = echo.Context

// corsGET lets other sites read the JSON API.
func corsGET(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodGet {
			c.Response().Header().Set("Access-Control-Allow-Origin", "*")
		}
		return next(c)
	}
}

func (s *Server) home(c echo.Context) error {
	ctx := c.Request().Context()
	var lads []AreaRef
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT a.code, a.name, a.level, coalesce(a.population, 0) FROM areas a
		WHERE a.level = 'lad' AND EXISTS (SELECT 1 FROM areas l WHERE l.lad_code = a.code AND l.level IN ('lsoa11','lsoa21'))
		ORDER BY a.name LIMIT 400`)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r AreaRef
		if err := rows.Scan(&r.Code, &r.Name, &r.Level, &r.Population); err != nil {
			return err
		}
		lads = append(lads, r)
	}
	var custom []AreaRef
	crow, err := s.db.SQL().QueryContext(ctx, `SELECT code, name, level, coalesce(population, 0) FROM areas WHERE level = 'custom' ORDER BY name LIMIT 100`)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	defer crow.Close()
	for crow.Next() {
		var r AreaRef
		if err := crow.Scan(&r.Code, &r.Name, &r.Level, &r.Population); err != nil {
			return err
		}
		custom = append(custom, r)
	}
	synthetic := false
	s.db.SQL().QueryRowContext(ctx, `SELECT coalesce(bool_or(synthetic), false) FROM ingest_runs WHERE status = 'ok'`).Scan(&synthetic)
	return c.Render(http.StatusOK, "home", page{Title: "Find your area", Synthetic: synthetic,
		Description: "The same facts about a neighbourhood, with their sources.",
		Data:        map[string]any{"LADs": lads, "Custom": custom}})
}

func (s *Server) search(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	res, err := s.searchAreas(c.Request().Context(), q, 50)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	// One exact hit (a code or a postcode): go straight there.
	if len(res) == 1 || (len(res) > 0 && (strings.EqualFold(res[0].Code, q) || res[0].Note != "")) {
		return c.Redirect(http.StatusSeeOther, res[0].URL)
	}
	return c.Render(http.StatusOK, "search", page{Title: "Search results", Data: map[string]any{"Query": q, "Results": res}})
}

func (s *Server) apiSearch(c echo.Context) error {
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	res, err := s.searchAreas(c.Request().Context(), c.QueryParam("q"), limit)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	if res == nil {
		res = []SearchResult{}
	}
	return c.JSON(http.StatusOK, map[string]any{"query": c.QueryParam("q"), "results": res})
}

func (s *Server) loadArea(c echo.Context) (Area, error) {
	code := strings.TrimSpace(c.Param("code"))
	a, err := s.findArea(c.Request().Context(), code)
	if errors.Is(err, errNoArea) {
		return a, echo.NewHTTPError(http.StatusNotFound, "We could not find an area with the code \""+code+
			"\". Codes look like E01012673 (neighbourhood), E05001645 (ward) or E06000009 (local authority); you can also search by name or postcode.")
	}
	if err != nil {
		return a, echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	return a, nil
}

func (s *Server) area(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.loadArea(c) // from the area directory, which checks the data version
	if err != nil {
		return err
	}
	// A page already drawn for this state is sent as it is, gzipped (the
	// gzip middleware skips this route: see server.go): from memory, or
	// from the page store for the default view (pagestore.go).
	q := c.QueryParams()
	key := s.profileKey(a, q)
	if gz, ok := s.storedPage(key); ok {
		return writeGzipped(c, gz)
	}
	gz, keep, err := s.renderProfile(ctx, a, q)
	if err != nil {
		return err
	}
	if keep {
		s.keepPage(key, gz)
	}
	return writeGzipped(c, gz)
}

// profileKey names a profile page by its area and map state, which is all
// it depends on besides the data.
func (s *Server) profileKey(a Area, q url.Values) string {
	id, svc := s.profileMapState(q, s.mapIndicators())
	return a.Code + "|" + a.Level + "|" + id + "|" + strings.Join(svc, ",")
}

// renderProfile draws an area's profile for the map state in q, gzipped.
// keep is false for a page drawn without a section that failed (shown,
// but not kept).
func (s *Server) renderProfile(ctx context.Context, a Area, q url.Values) (gz []byte, keep bool, err error) {
	// Everything but the map depends only on the area and the data, so it
	// is built once per data version (profile.go); the map also depends on
	// ?indicator= and ?svc=.
	pb, err := cachedSection(ctx, s, "profile|"+a.Code+"|"+a.Level, func(ctx context.Context) (*profileBase, error) {
		return s.buildProfile(ctx, a)
	})
	if errors.Is(err, errIndicatorsFailed) {
		// The profile is still useful without indicators; say so (logged).
	} else if err != nil {
		return nil, false, err
	}
	a = pb.Area
	im, err := s.indicatorMap(ctx, a, q)
	if err != nil {
		return nil, false, echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	var m *MapView
	if im == nil {
		// An area without neighbourhood boundaries gets its own outline.
		if m, err = cachedSection(ctx, s, "outline|"+a.Code+"|"+a.Level, func(ctx context.Context) (*MapView, error) { return s.areaMap(ctx, a) }); err != nil {
			return nil, false, echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
	}
	var buf bytes.Buffer
	if err := s.views.render(&buf, "area", page{Title: a.Name, Synthetic: a.Synthetic,
		Description: levelName(a.Level) + " profile: " + a.Name,
		Data: map[string]any{"Area": a, "Children": pb.Children, "Deprivation": pb.Deprivation, "Map": m, "IndicatorMap": im,
			"Headline": pb.Headline, "Spine": pb.Spine, "Indicators": pb.Indicators, "Notes": pb.Notes, "IndicatorsFailed": pb.IndicatorsFailed,
			"Services": pb.Services, "Gaps": pb.Gaps, "Money": pb.Money, "MoneyNeed": pb.MoneyNeed}}); err != nil {
		return nil, false, echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	return gzipBytes(buf.Bytes()), !pb.IndicatorsFailed, nil
}

func (s *Server) apiArea(c echo.Context) error {
	a, err := s.loadArea(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	kids, err := s.children(ctx, a)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	out := map[string]any{
		"code": a.Code, "name": a.Name, "level": a.Level, "vintage": a.Vintage,
		"population": nullZero(a.Population), "population_year": nullZero(int64(a.PopulationYear)),
		"bbox": []float64{a.MinX, a.MinY, a.MaxX, a.MaxY}, "centroid": []float64{a.Lon, a.Lat},
		"synthetic": a.Synthetic, "dataset": a.Dataset,
	}
	var parents []map[string]string
	if a.WardCode != "" {
		parents = append(parents, map[string]string{"code": a.WardCode, "name": a.WardName, "level": "ward"})
	}
	if a.LADCode != "" && a.LADCode != a.Code {
		parents = append(parents, map[string]string{"code": a.LADCode, "name": a.LADName, "level": "lad"})
	}
	out["parents"] = parents
	ch := make([]map[string]any, 0, len(kids))
	for _, k := range kids {
		ch = append(ch, map[string]any{"code": k.Code, "name": k.Name, "level": k.Level, "population": nullZero(k.Population)})
	}
	out["children"] = ch
	if c.QueryParam("geometry") == "true" || c.QueryParam("geometry") == "1" {
		g, err := s.areaGeoJSON(ctx, a)
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		out["geometry"] = g
	}
	return c.JSON(http.StatusOK, out)
}

func nullZero(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func (s *Server) sources(c echo.Context) error {
	srcs, err := s.listSources(c.Request().Context())
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	synthetic := false
	for _, src := range srcs {
		synthetic = synthetic || src.Synthetic
	}
	return c.Render(http.StatusOK, "sources", page{Title: "Sources", Synthetic: synthetic,
		Description: "Every dataset, its publisher, licence and when it was last loaded.", Data: srcs})
}

func (s *Server) apiSources(c echo.Context) error {
	srcs, err := s.listSources(c.Request().Context())
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	out := make([]map[string]any, 0, len(srcs))
	for _, src := range srcs {
		m := map[string]any{"id": src.ID, "title": src.Title, "publisher": src.Publisher, "licence": src.Licence,
			"attribution": src.Attribution, "geography": src.Geography, "vintage": src.Vintage, "rows": src.Rows,
			"rejects": src.Rejected, "status": src.Status, "synthetic": src.Synthetic}
		if !src.LoadedAt.IsZero() {
			m["last_loaded"] = src.LoadedAt.UTC()
		}
		out = append(out, m)
	}
	return c.JSON(http.StatusOK, out)
}

// Reject is one rejected row shown on the rejects page.
type Reject struct {
	File, Column, Value, Reason string
	Line                        int64
}

func (s *Server) rejects(c echo.Context) error {
	id := c.Param("id")
	ctx := c.Request().Context()
	var title string
	if err := s.db.SQL().QueryRowContext(ctx, `SELECT title FROM datasets WHERE id = ?`, id).Scan(&title); err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "There is no dataset \""+id+"\" in the catalogue.")
	}
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT file, coalesce(line, 0), coalesce("column", ''), coalesce(value, ''), reason
		FROM ingest_rejects WHERE dataset = ? ORDER BY run_id DESC, file, line LIMIT 1000`, id)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	defer rows.Close()
	var rs []Reject
	for rows.Next() {
		var r Reject
		if err := rows.Scan(&r.File, &r.Line, &r.Column, &r.Value, &r.Reason); err != nil {
			return err
		}
		rs = append(rs, r)
	}
	var total int64
	s.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM ingest_rejects WHERE dataset = ?`, id).Scan(&total)
	return c.Render(http.StatusOK, "rejects", page{Title: "Rejected rows: " + title,
		Data: map[string]any{"ID": id, "Title": title, "Rejects": rs, "Total": total}})
}
