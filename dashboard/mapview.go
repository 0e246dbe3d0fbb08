package dashboard

// The map explorer: GET /map (the page, or ?view=table for the same figures
// as a table) and GET /api/map/values (an indicator's value per area, as
// JSON {code: value} or CSV). The page passes its state to static/map.js in
// data- attributes (the CSP forbids inline scripts); map.js draws tiles from
// /tiles and joins the values to them by code with MapLibre feature-state.

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"commonground/queries"
)

// mapIndicator is a value per area that the map can shade. Until the
// queries package exposes indicators per area, the map has its own few,
// all read from the imd table; one from elsewhere plugs in by giving its
// own Values URL (map.js fetches it and expects {code: value}).
type mapIndicator struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Short labels a value in tooltips: "IMD 2019 decile".
	Short string `json:"short"`
	Unit  string `json:"unit,omitempty"`
	// Kind is "decile" (1–10, 1 the most deprived: ten fixed classes) or
	// "continuous" (quantile classes, higher is darker).
	Kind   string   `json:"kind"`
	Levels []string `json:"levels"`
	// Describe says what the shading means, for the text alternative.
	Describe string `json:"describe"`
	Dataset  string `json:"dataset"`
	// Values is the URL of the values, with {level} to fill in.
	Values string `json:"values"`
	// Overview is the indicator shown for local authorities when the map
	// is zoomed out too far for this one's areas (deciles of
	// neighbourhoods become the share of neighbourhoods in decile 1).
	Overview string `json:"overview,omitempty"`
	// Group is the heading the indicator is listed under in the picker.
	Group string `json:"group"`
	// Polarity is the indicator's ("higher is worse", ...), for the legend.
	Polarity string `json:"polarity,omitempty"`
	// query returns (code, value) for a level ($1); empty for indicators
	// of the queries catalogue, whose values come from Catalog.Values.
	query string
}

// fromCatalog reports whether the indicator's values come from the
// indicators engine (queries.Catalog) rather than the map's own SQL.
func (ind mapIndicator) fromCatalog() bool { return ind.query == "" }

// shareInDecile1 is the share of an area's neighbourhoods (LSOAs) in the
// most deprived 10% in England, for one edition.
func shareInDecile1(edition int) string {
	return fmt.Sprintf(`SELECT m.area_code AS code, round(100.0 * count(*) FILTER (WHERE i.imd_decile = 1) / count(*), 1) AS value
		FROM area_lsoas m JOIN imd i ON i.lsoa_code = m.lsoa_code AND i.lsoa_vintage = m.lsoa_vintage AND i.edition = %d
		WHERE m.area_level = $1 AND i.imd_decile IS NOT NULL GROUP BY 1`, edition)
}

var mapIndicators = []mapIndicator{
	{ID: "imd2019_decile", Title: "Index of Multiple Deprivation 2019, decile", Short: "IMD 2019 decile", Kind: "decile", Group: "Deprivation: IMD 2019",
		Levels: []string{"lsoa11"}, Dataset: "imd2019", Overview: "imd2019_decile1_share",
		Describe: "Each neighbourhood (LSOA 2011) is shaded by its Index of Multiple Deprivation 2019 decile: decile 1, the darkest, is the most deprived 10% of neighbourhoods in England; decile 10, the lightest, the least deprived 10%.",
		query:    `SELECT lsoa_code AS code, imd_decile AS value FROM imd WHERE edition = 2019 AND lsoa_vintage = 2011 AND imd_decile IS NOT NULL AND $1 = 'lsoa11'`},
	{ID: "imd2025_decile", Title: "Index of Multiple Deprivation 2025, decile", Short: "IMD 2025 decile", Kind: "decile", Group: "Deprivation: IMD 2025",
		Levels: []string{"lsoa21"}, Dataset: "imd2025", Overview: "imd2025_decile1_share",
		Describe: "Each neighbourhood (LSOA 2021) is shaded by its Index of Multiple Deprivation 2025 decile: decile 1, the darkest, is the most deprived 10% of neighbourhoods in England; decile 10, the lightest, the least deprived 10%.",
		query:    `SELECT lsoa_code AS code, imd_decile AS value FROM imd WHERE edition = 2025 AND lsoa_vintage = 2021 AND imd_decile IS NOT NULL AND $1 = 'lsoa21'`},
	{ID: "imd2025_decile1_share", Title: "Neighbourhoods in the most deprived 10% (IMD 2025)", Short: "In the most deprived 10% (IMD 2025)", Unit: "%",
		Kind: "continuous", Levels: []string{"ward", "msoa21", "lad", "custom"}, Dataset: "imd2025", Group: "Deprivation: IMD 2025",
		Describe: "Each area is shaded by the share of its neighbourhoods (LSOA 2021) that are in the most deprived 10% in England on the Index of Multiple Deprivation 2025; darker means a larger share. Classes are quantiles of the areas shown.",
		query:    shareInDecile1(2025)},
	{ID: "imd2019_decile1_share", Title: "Neighbourhoods in the most deprived 10% (IMD 2019)", Short: "In the most deprived 10% (IMD 2019)", Unit: "%",
		Kind: "continuous", Levels: []string{"ward", "lad", "custom"}, Dataset: "imd2019", Group: "Deprivation: IMD 2019",
		Describe: "Each area is shaded by the share of its neighbourhoods (LSOA 2011) that are in the most deprived 10% in England on the Index of Multiple Deprivation 2019; darker means a larger share. Classes are quantiles of the areas shown.",
		query:    shareInDecile1(2019)},
}

func init() {
	for i := range mapIndicators {
		mapIndicators[i].Values = "/api/map/values?level={level}&indicator=" + mapIndicators[i].ID
	}
}

// findIndicator looks an indicator up among the map's own and then the
// indicators engine's.
func (s *Server) findIndicator(id string) (mapIndicator, bool) {
	for _, ind := range mapIndicators {
		if ind.ID == id {
			return ind, true
		}
	}
	if s.cat == nil {
		return mapIndicator{}, false
	}
	ind, err := s.cat.Indicator(id)
	if err != nil {
		return mapIndicator{}, false
	}
	return catalogIndicator(ind), true
}

// mapLevelIDs are the levels the map can shade, finest first.
var mapLevelIDs = []string{"lsoa11", "lsoa21", "ward", "msoa21", "lad", "custom"}

// catalogIndicator describes an indicator of the queries catalogue for the
// map: at its own LSOA vintage and every level above it that it applies to
// (or local authorities only, for authority-level measures).
func catalogIndicator(ind queries.Indicator) mapIndicator {
	mi := mapIndicator{ID: ind.ID, Title: ind.Title, Short: ind.Title, Unit: string(ind.Unit), Kind: "continuous",
		Group: indicatorGroup(ind), Polarity: string(ind.Polarity), Describe: ind.Definition}
	if len(ind.Sources) > 0 {
		mi.Dataset = ind.Sources[0].Dataset
	}
	for _, l := range mapLevelIDs {
		geo := string(ind.Geography)
		switch {
		case geo == "lad" && l != "lad":
			continue
		case strings.HasPrefix(l, "lsoa") && l != geo:
			continue
		case len(ind.Levels) > 0 && !slices.Contains(ind.Levels, l):
			continue
		}
		mi.Levels = append(mi.Levels, l)
	}
	mi.Values = "/api/map/values?level={level}&indicator=" + ind.ID
	return mi
}

// indicatorGroup is the picker heading for a catalogue indicator.
func indicatorGroup(ind queries.Indicator) string {
	id := ind.ID
	switch {
	case strings.HasPrefix(id, "imd2019_"):
		return "Deprivation: IMD 2019"
	case strings.HasPrefix(id, "imd2025_"):
		return "Deprivation: IMD 2025"
	case strings.HasPrefix(id, "population"):
		return "Population"
	case strings.HasPrefix(id, "distance_"), strings.HasSuffix(id, "_per_10k"):
		return "Services"
	case strings.Contains(id, "spending"), strings.Contains(id, "grants"):
		return "Money"
	}
	return "Other"
}

// mapLevel is an area layer the map can show.
type mapLevel struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Plural  string     `json:"plural"`
	MinZoom int        `json:"minzoom"`
	Areas   int        `json:"areas"`
	Bounds  [4]float64 `json:"bounds"`
	// Indicators are the ids of the indicators with values at this level.
	Indicators []string `json:"indicators"`
	// Covered is the number of areas with a value of the best-covered
	// indicator.
	Covered int `json:"-"`
}

var levelPlurals = map[string]string{
	"lsoa11": "neighbourhoods (LSOA 2011)", "lsoa21": "neighbourhoods (LSOA 2021)", "msoa21": "middle layer areas (MSOA 2021)",
	"ward": "electoral wards", "lad": "local authorities", "custom": "community-defined areas",
}

// mapService is a category of services that has points to show.
type mapService struct {
	Category string `json:"category"`
	Label    string `json:"label"`
	Colour   string `json:"colour"`
	Count    int    `json:"count"`
	// Swatch is the index of Colour in serviceColours (CSS class map-dot-N).
	Swatch int `json:"-"`
}

var serviceLabels = map[string]string{
	"gp_practice": "GP practices", "pharmacy": "Pharmacies", "school": "Schools", "library": "Libraries", "food_bank": "Food banks",
	"dentist": "Dentists", "jobcentre": "Jobcentres", "post_office": "Post offices", "childrens_centre": "Children's centres",
	"allotment": "Allotments", "place_of_worship": "Places of worship", "sports_facility": "Sports facilities", "charity": "Charities",
}

// serviceColours are distinguishable with colour-blindness (Okabe–Ito,
// without the blues of the choropleth); points also carry a white ring.
var serviceColours = []string{"#d55e00", "#009e73", "#cc79a7", "#e69f00", "#000000", "#f0e442", "#7f3c8d", "#5c3a06"}

// mapCatalogue is what the map can show at the current data version.
type mapCatalogue struct {
	Levels     []mapLevel
	Indicators []mapIndicator
	Services   []mapService
}

func (mc mapCatalogue) level(id string) (mapLevel, bool) {
	for _, l := range mc.Levels {
		if l.ID == id {
			return l, true
		}
	}
	return mapLevel{}, false
}

// mapCatalogue lists the levels with geometry, the indicators with values
// at each, and the service categories with points; it is cached until the
// data version changes.
func (s *Server) mapCatalogue(ctx context.Context) (mapCatalogue, error) {
	v, err := s.tiles.version(ctx)
	if err != nil {
		return mapCatalogue{}, err
	}
	ts := s.tiles
	ts.catMu.Lock()
	defer ts.catMu.Unlock()
	if ts.catalogue != nil && ts.catVersion == v {
		return *ts.catalogue, nil
	}
	mc, err := s.readMapCatalogue(ctx)
	if err != nil {
		return mc, err
	}
	ts.catalogue, ts.catVersion = &mc, v
	return mc, nil
}

func (s *Server) readMapCatalogue(ctx context.Context) (mapCatalogue, error) {
	var mc mapCatalogue
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT level, count(*), min(minx), min(miny), max(maxx), max(maxy)
		FROM areas WHERE geometry IS NOT NULL GROUP BY level`)
	if err != nil {
		return mc, fmt.Errorf("map levels: %w", err)
	}
	found := map[string]mapLevel{}
	for rows.Next() {
		var l mapLevel
		if err := rows.Scan(&l.ID, &l.Areas, &l.Bounds[0], &l.Bounds[1], &l.Bounds[2], &l.Bounds[3]); err != nil {
			rows.Close()
			return mc, fmt.Errorf("map levels: %w", err)
		}
		found[l.ID] = l
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return mc, fmt.Errorf("map levels: %w", err)
	}
	// In the order of the tile allowlist, finest last but LSOAs first in
	// the menu: most people come for neighbourhoods.
	for _, id := range []string{"lsoa21", "lsoa11", "ward", "msoa21", "lad", "custom"} {
		l, ok := found[id]
		if !ok {
			continue
		}
		tl, _ := findTileLayer(id)
		l.Name, l.Plural, l.MinZoom, l.Indicators = levelName(id), levelPlurals[id], tl.MinZoom, []string{}
		mc.Levels = append(mc.Levels, l)
	}
	// Which indicators have values where, the best covered first.
	used := map[string]bool{}
	for i := range mc.Levels {
		l := &mc.Levels[i]
		counts := map[string]int{}
		for _, ind := range mapIndicators {
			if !slices.Contains(ind.Levels, l.ID) {
				continue
			}
			var n int
			if err := s.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM (`+ind.query+`) v JOIN areas a ON a.code = v.code AND a.level = $1`, l.ID).Scan(&n); err != nil {
				return mc, fmt.Errorf("map indicator %s at %s: %w", ind.ID, l.ID, err)
			}
			if n > 0 {
				l.Indicators = append(l.Indicators, ind.ID)
				counts[ind.ID] = n
				used[ind.ID] = true
				l.Covered = max(l.Covered, n)
			}
		}
		slices.SortStableFunc(l.Indicators, func(a, b string) int { return counts[b] - counts[a] })
	}
	for _, ind := range mapIndicators {
		if used[ind.ID] {
			mc.Indicators = append(mc.Indicators, ind)
		}
	}
	if err := s.addCatalogIndicators(ctx, &mc); err != nil {
		return mc, err
	}
	ok, err := hasTable(ctx, s.db, "services")
	if err != nil || !ok {
		return mc, err
	}
	srows, err := s.db.SQL().QueryContext(ctx, `SELECT category, count(*) FROM services
		WHERE lon IS NOT NULL AND lat IS NOT NULL AND coalesce(status, 'open') <> 'closed' AND category IS NOT NULL
		GROUP BY category ORDER BY category`)
	if err != nil {
		return mc, fmt.Errorf("map services: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var sv mapService
		if err := srows.Scan(&sv.Category, &sv.Count); err != nil {
			return mc, fmt.Errorf("map services: %w", err)
		}
		sv.Label = serviceLabels[sv.Category]
		if sv.Label == "" {
			sv.Label = strings.ReplaceAll(sv.Category, "_", " ")
		}
		sv.Swatch = len(mc.Services) % len(serviceColours)
		sv.Colour = serviceColours[sv.Swatch]
		mc.Services = append(mc.Services, sv)
	}
	return mc, srows.Err()
}

// addCatalogIndicators lists the indicators engine's indicators that have
// figures, at the levels with boundaries. An indicator counts as having
// figures when some local authority (or, for one shown only on LSOAs, some
// LSOA) has a value: the rows are cached by the engine, so this is cheap.
func (s *Server) addCatalogIndicators(ctx context.Context, mc *mapCatalogue) error {
	if s.cat == nil {
		return nil
	}
	for _, qi := range s.cat.Indicators() {
		mi := catalogIndicator(qi)
		var at []string
		for _, l := range mi.Levels {
			if _, ok := mc.level(l); ok {
				at = append(at, l)
			}
		}
		if len(at) == 0 {
			continue
		}
		probe := at[len(at)-1]
		if slices.Contains(at, "lad") {
			probe = "lad"
		}
		vals, err := s.cat.Values(ctx, s.db, qi.ID, probe, "")
		if errors.Is(err, queries.ErrNotAvailable) || errors.Is(err, queries.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("map indicator %s: %w", qi.ID, err)
		}
		if !slices.ContainsFunc(vals, func(v queries.Value) bool { return v.Status == queries.StatusOK }) {
			continue
		}
		for i := range mc.Levels {
			if slices.Contains(at, mc.Levels[i].ID) {
				mc.Levels[i].Indicators = append(mc.Levels[i].Indicators, mi.ID)
			}
		}
		mc.Indicators = append(mc.Indicators, mi)
	}
	return nil
}

// catalogValues reads a catalogue indicator's values at a level, for the
// areas that have one.
func (s *Server) catalogValues(ctx context.Context, id, level string) ([]string, []float64, []string, error) {
	vals, err := s.cat.Values(ctx, s.db, id, level, "")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("map values %s at %s: %w", id, level, err)
	}
	codes, nums, names := make([]string, 0, len(vals)), make([]float64, 0, len(vals)), make([]string, 0, len(vals))
	for _, v := range vals {
		if v.Status != queries.StatusOK || math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			continue
		}
		codes, nums, names = append(codes, v.Area.Code), append(nums, v.Value), append(names, v.Area.Name)
	}
	return codes, nums, names, nil
}

// mapState is the view a /map URL describes.
type mapState struct {
	Level, Indicator string
	// Classes is how continuous values are split: "quantile" or "jenks"
	// (natural breaks).
	Classes string
	// Lat, Lon and Zoom are set together, or Bbox is (west,south,east,north).
	Lat, Lon, Zoom float64
	HasCenter      bool
	Bbox           [4]float64
	HasBbox        bool
	// Layers are the service categories shown.
	Layers []string
	// Area is an area to outline (from its profile page's link), Selected
	// the area whose details are open.
	Area      string
	AreaLevel string
	AreaName  string
	Selected  string
}

func mustLevel(mc mapCatalogue, id string) mapLevel {
	l, _ := mc.level(id)
	return l
}

// England, with room for the demo area in the Irish Sea.
var mapLimits = [4]float64{-11, 48.5, 3.5, 58}

func parseFloat(s string, lo, hi float64) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return 0, false
	}
	return f, true
}

// parseMapState reads the URL, ignoring (not failing on) values that make
// no sense, and fills in defaults from what is loaded.
func (s *Server) parseMapState(ctx context.Context, q url.Values, mc mapCatalogue) mapState {
	var st mapState
	if lat, ok := parseFloat(q.Get("lat"), mapLimits[1], mapLimits[3]); ok {
		if lon, ok := parseFloat(q.Get("lon"), mapLimits[0], mapLimits[2]); ok {
			if z, ok := parseFloat(q.Get("zoom"), 0, 22); ok {
				st.Lat, st.Lon, st.Zoom, st.HasCenter = lat, lon, z, true
			}
		}
	}
	if parts := strings.Split(q.Get("bbox"), ","); len(parts) == 4 && !st.HasCenter {
		ok := true
		for i, p := range parts {
			lo, hi := mapLimits[0], mapLimits[2]
			if i%2 == 1 {
				lo, hi = mapLimits[1], mapLimits[3]
			}
			var good bool
			st.Bbox[i], good = parseFloat(p, lo, hi)
			ok = ok && good
		}
		st.HasBbox = ok && st.Bbox[0] < st.Bbox[2] && st.Bbox[1] < st.Bbox[3]
	}
	if code := strings.TrimSpace(q.Get("area")); code != "" {
		if a, err := s.findArea(ctx, code); err == nil {
			st.Area, st.AreaLevel, st.AreaName = a.Code, a.Level, a.Name
			if !st.HasCenter && !st.HasBbox && a.MaxX > a.MinX {
				st.Bbox, st.HasBbox = [4]float64{a.MinX, a.MinY, a.MaxX, a.MaxY}, true
			}
		}
	}
	st.Selected = strings.TrimSpace(q.Get("selected"))
	if len(st.Selected) > 64 {
		st.Selected = ""
	}
	// Level: as asked if loaded, else the area's own level when it is a
	// neighbourhood, else the first neighbourhood level with data.
	if l, ok := mc.level(q.Get("level")); ok {
		st.Level = l.ID
	} else if l, ok := mc.level(st.AreaLevel); ok && strings.HasPrefix(l.ID, "lsoa") {
		st.Level = l.ID
	} else {
		// The neighbourhood level with the most figures (LSOA 2021 first
		// on a tie), else the first level with any.
		for _, l := range mc.Levels {
			if strings.HasPrefix(l.ID, "lsoa") && l.Covered > 0 && (st.Level == "" || l.Covered > mustLevel(mc, st.Level).Covered) {
				st.Level = l.ID
			}
		}
		for _, l := range mc.Levels {
			if st.Level == "" && len(l.Indicators) > 0 {
				st.Level = l.ID
			}
		}
		if st.Level == "" && len(mc.Levels) > 0 {
			st.Level = mc.Levels[0].ID
		}
	}
	l, _ := mc.level(st.Level)
	ind := q.Get("indicator")
	if ind == "none" || slices.Contains(l.Indicators, ind) {
		st.Indicator = ind
	} else if len(l.Indicators) > 0 {
		st.Indicator = l.Indicators[0]
	}
	if st.Indicator == "none" {
		st.Indicator = ""
	}
	st.Classes = "quantile"
	if q.Get("classes") == "jenks" {
		st.Classes = "jenks"
	}
	for _, v := range q["layers"] {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimPrefix(strings.TrimSpace(c), "services:")
			for _, sv := range mc.Services {
				if sv.Category == c && !slices.Contains(st.Layers, c) {
					st.Layers = append(st.Layers, c)
				}
			}
		}
	}
	if !st.HasCenter && !st.HasBbox && l.Areas > 0 {
		st.Bbox, st.HasBbox = l.Bounds, true
	}
	if !st.HasCenter && !st.HasBbox {
		st.Lat, st.Lon, st.Zoom, st.HasCenter = 52.8, -1.6, 5.5, true
	}
	return st
}

func jsonAttr(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// mapQuery is the query string of a map view (for links).
func (st mapState) query(extra ...string) string {
	q := url.Values{}
	q.Set("level", st.Level)
	if st.Indicator != "" {
		q.Set("indicator", st.Indicator)
	} else {
		q.Set("indicator", "none")
	}
	if st.Classes == "jenks" {
		q.Set("classes", st.Classes)
	}
	if st.HasCenter {
		q.Set("lat", strconv.FormatFloat(st.Lat, 'f', 5, 64))
		q.Set("lon", strconv.FormatFloat(st.Lon, 'f', 5, 64))
		q.Set("zoom", strconv.FormatFloat(st.Zoom, 'f', 2, 64))
	} else if st.HasBbox {
		q.Set("bbox", bboxString(st.Bbox))
	}
	if len(st.Layers) > 0 {
		q.Set("layers", strings.Join(st.Layers, ","))
	}
	if st.Area != "" {
		q.Set("area", st.Area)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q.Encode()
}

func bboxString(b [4]float64) string {
	return fmt.Sprintf("%.5f,%.5f,%.5f,%.5f", b[0], b[1], b[2], b[3])
}

// mapPageData is what templates/map.html gets.
type mapPageData struct {
	State      mapState
	Levels     []mapLevel
	Indicators []mapIndicator // those for the current level
	// Groups are Indicators under their picker headings.
	Groups    []mapIndicatorGroup
	Indicator *mapIndicator
	// Draw is whether people may draw their own area (uploads are on).
	Draw      bool
	LevelInfo mapLevel
	Services  []mapService
	// Attrs are the data- attributes map.js reads.
	Attrs           map[string]string
	TableURL        string
	CSVURL          string
	JSONURL         string
	Empty           bool
	BasemapURL      string
	ServicesMinZoom int
}

// mapIndicatorGroup is one <optgroup> of the indicator picker.
type mapIndicatorGroup struct {
	Name       string
	Indicators []mapIndicator
}

// groupIndicators keeps the order of first appearance of each group.
func groupIndicators(inds []mapIndicator) []mapIndicatorGroup {
	var out []mapIndicatorGroup
	for _, ind := range inds {
		i := slices.IndexFunc(out, func(g mapIndicatorGroup) bool { return g.Name == ind.Group })
		if i < 0 {
			out = append(out, mapIndicatorGroup{Name: ind.Group})
			i = len(out) - 1
		}
		out[i].Indicators = append(out[i].Indicators, ind)
	}
	return out
}

// mapPage serves GET /map, and ?view=table.
func (s *Server) mapPage(c echo.Context) error {
	ctx := c.Request().Context()
	mc, err := s.mapCatalogue(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	st := s.parseMapState(ctx, c.QueryParams(), mc)
	if c.QueryParam("view") == "table" {
		return s.mapTable(c, mc, st)
	}
	v, err := s.tiles.version(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	// Start indexing the layers the page will ask tiles of, so the first
	// tiles do not wait for it (the build is shared with tile requests).
	for _, name := range []string{st.Level, "lad"} {
		if tl, ok := findTileLayer(name); ok {
			go s.tiles.index(context.WithoutCancel(ctx), tl, v.forLayer(tl))
		}
	}
	d := mapPageData{State: st, Levels: mc.Levels, Services: mc.Services, Empty: len(mc.Levels) == 0, BasemapURL: s.cfg.BasemapURL}
	d.LevelInfo, _ = mc.level(st.Level)
	for _, ind := range mc.Indicators {
		if slices.Contains(d.LevelInfo.Indicators, ind.ID) {
			d.Indicators = append(d.Indicators, ind)
		}
		if ind.ID == st.Indicator {
			d.Indicator = &ind
		}
	}
	d.Groups = groupIndicators(d.Indicators)
	d.Draw = s.cfg.AddCustomArea != nil
	svcLayer, _ := findTileLayer("services")
	d.ServicesMinZoom = svcLayer.MinZoom
	d.TableURL = "/map?" + st.query("view", "table")
	if st.Indicator != "" {
		d.CSVURL = "/api/map/values?" + url.Values{"level": {st.Level}, "indicator": {st.Indicator}, "format": {"csv"}}.Encode()
		d.JSONURL = "/api/map/values?" + url.Values{"level": {st.Level}, "indicator": {st.Indicator}}.Encode()
	}
	d.Attrs = map[string]string{
		"level": st.Level, "indicator": st.Indicator, "classes": st.Classes, "layers": strings.Join(st.Layers, ","),
		"area": st.Area, "area-level": st.AreaLevel, "selected": st.Selected,
		"levels": jsonAttr(mc.Levels), "indicators": jsonAttr(mc.Indicators), "services": jsonAttr(mc.Services),
		"services-minzoom": strconv.Itoa(svcLayer.MinZoom),
		"version":          fmt.Sprintf("%d-%s", v.run, v.custom),
		"limits":           jsonAttr(mapLimits),
		"basemap":          s.cfg.BasemapURL,
	}
	if d.Draw {
		d.Attrs["draw"] = "true"
	}
	if st.HasCenter {
		d.Attrs["center"] = jsonAttr([3]float64{st.Lon, st.Lat, st.Zoom})
	} else {
		d.Attrs["bbox"] = jsonAttr(st.Bbox)
	}
	if s.cfg.BasemapURL != "" {
		// The basemap's style, tiles, glyphs and sprites come from its
		// origin: allow that origin, on this page only.
		if u, err := url.Parse(s.cfg.BasemapURL); err == nil && u.Scheme == "https" && u.Host != "" {
			origin := "https://" + u.Host
			c.Response().Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: "+origin+
				"; style-src 'self'; script-src 'self'; worker-src 'self' blob:; connect-src 'self' "+origin+
				"; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		}
	}
	title := "Map"
	synthetic := false
	s.db.SQL().QueryRowContext(ctx, `SELECT coalesce(bool_or(synthetic), false) FROM ingest_runs WHERE status = 'ok'`).Scan(&synthetic)
	return c.Render(http.StatusOK, "map", page{Title: title, Synthetic: synthetic,
		Description: "Explore areas on a map: deprivation by neighbourhood, with services, and links to each area's profile.", Data: d})
}

// mapValues reads an indicator's values at a level: code -> value.
func (s *Server) mapValues(ctx context.Context, ind mapIndicator, level string) ([]string, []float64, []string, error) {
	if ind.fromCatalog() {
		return s.catalogValues(ctx, ind.ID, level)
	}
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT v.code, v.value, coalesce(a.name, '') FROM (`+ind.query+`) v
		JOIN areas a ON a.code = v.code AND a.level = $1 ORDER BY v.code`, level)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("map values %s at %s: %w", ind.ID, level, err)
	}
	defer rows.Close()
	var codes, names []string
	var vals []float64
	for rows.Next() {
		var code, name string
		var v sql.NullFloat64
		if err := rows.Scan(&code, &v, &name); err != nil {
			return nil, nil, nil, fmt.Errorf("map values %s at %s: %w", ind.ID, level, err)
		}
		if !v.Valid {
			continue
		}
		codes, vals, names = append(codes, code), append(vals, v.Float64), append(names, name)
	}
	return codes, vals, names, rows.Err()
}

// apiMapValues serves GET /api/map/values?level=&indicator=[&format=csv].
func (s *Server) apiMapValues(c echo.Context) error {
	ctx := c.Request().Context()
	level, id := c.QueryParam("level"), c.QueryParam("indicator")
	ind, ok := s.findIndicator(id)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "There is no map indicator \""+id+"\".")
	}
	if !slices.Contains(ind.Levels, level) {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%s is given for %s, not for level %q.", ind.Title, strings.Join(ind.Levels, ", "), level))
	}
	v, err := s.tiles.version(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	format := c.QueryParam("format")
	etag := fmt.Sprintf(`"v%d-%s-%s-%s-%s"`, v.run, v.custom, level, ind.ID, format)
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=300")
	if etagMatch(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if format == "" || format == "json" {
		// The JSON is what the map fetches: kept encoded, as 33,000 LSOAs
		// take 100-250 ms to compute and 0.5 MB to write.
		if b, ok := s.tiles.values.get(etag); ok {
			return c.JSONBlob(http.StatusOK, b)
		}
	}
	codes, vals, names, err := s.mapValues(ctx, ind, level)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	switch format {
	case "csv":
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, ind.ID, level))
		c.Response().WriteHeader(http.StatusOK)
		w := csv.NewWriter(c.Response())
		w.Write([]string{"code", "name", "level", ind.ID})
		for i := range codes {
			w.Write([]string{codes[i], names[i], level, strconv.FormatFloat(vals[i], 'f', -1, 64)})
		}
		w.Flush()
		return w.Error()
	case "", "json":
		out := make(map[string]float64, len(codes))
		for i := range codes {
			// Six significant figures are plenty for shading and tooltips.
			out[codes[i]], _ = strconv.ParseFloat(strconv.FormatFloat(vals[i], 'g', 6, 64), 64)
		}
		b, err := json.Marshal(out)
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		s.tiles.values.put(etag, b)
		return c.JSONBlob(http.StatusOK, b)
	}
	return echo.NewHTTPError(http.StatusBadRequest, "format must be json or csv.")
}

// mapTableRow is one row of the map's table view.
type mapTableRow struct {
	Code, Name string
	Value      string
}

// mapTableLimit bounds the HTML table; the CSV has everything.
const mapTableLimit = 1000

// mapTable serves /map?view=table: the areas of the view (its bbox, when
// given) with their values: the map's text alternative.
func (s *Server) mapTable(c echo.Context, mc mapCatalogue, st mapState) error {
	ctx := c.Request().Context()
	lvl, ok := mc.level(st.Level)
	if !ok {
		return c.Render(http.StatusOK, "map_table", page{Title: "Map figures", Data: map[string]any{"State": st, "Empty": true}})
	}
	ind, hasInd := s.findIndicator(st.Indicator)
	hasInd = hasInd && slices.Contains(lvl.Indicators, ind.ID)
	q := `SELECT a.code, coalesce(a.name, a.code) FROM areas a WHERE a.level = $1`
	args := []any{st.Level}
	bbox := st.Bbox
	if st.HasCenter {
		// A view's extent, roughly: the client sends a bbox when it can.
		half := 360 / math.Exp2(st.Zoom) * 2
		bbox = [4]float64{st.Lon - half, st.Lat - half/2, st.Lon + half, st.Lat + half/2}
	}
	if st.HasBbox || st.HasCenter {
		q += ` AND a.maxx >= $2 AND a.minx <= $4 AND a.maxy >= $3 AND a.miny <= $5`
		args = append(args, bbox[0], bbox[1], bbox[2], bbox[3])
	}
	rows, err := s.db.SQL().QueryContext(ctx, q, args...)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(fmt.Errorf("map table: %w", err))
	}
	defer rows.Close()
	type tableRow struct {
		mapTableRow
		v   float64
		has bool
	}
	var all []tableRow
	for rows.Next() {
		var r tableRow
		if err := rows.Scan(&r.Code, &r.Name); err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	if hasInd {
		codes, vals, _, err := s.mapValues(ctx, ind, st.Level)
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		byCode := make(map[string]float64, len(codes))
		for i, code := range codes {
			byCode[code] = vals[i]
		}
		for i := range all {
			all[i].v, all[i].has = byCode[all[i].Code]
		}
	}
	// Deciles: most deprived (1) first; other figures: highest first; no
	// figure last; then by name.
	slices.SortFunc(all, func(a, b tableRow) int {
		if a.has != b.has {
			if a.has {
				return -1
			}
			return 1
		}
		if a.has && a.v != b.v {
			if (a.v < b.v) == (ind.Kind == "decile") {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	total := len(all)
	out := make([]mapTableRow, 0, min(total, mapTableLimit))
	for _, r := range all[:min(total, mapTableLimit)] {
		r.Value = "no data"
		if r.has {
			r.Value = formatMapValue(r.v, ind.Unit)
		}
		out = append(out, r.mapTableRow)
	}
	d := map[string]any{"State": st, "Level": lvl, "Rows": out, "Total": total, "Limit": mapTableLimit,
		"MapURL": "/map?" + st.query(), "Filtered": st.HasBbox || st.HasCenter, "BboxText": bboxString(bbox)}
	if hasInd {
		d["Indicator"] = ind
		d["CSVURL"] = "/api/map/values?" + url.Values{"level": {st.Level}, "indicator": {ind.ID}, "format": {"csv"}}.Encode()
	}
	synthetic := false
	s.db.SQL().QueryRowContext(ctx, `SELECT coalesce(bool_or(synthetic), false) FROM ingest_runs WHERE status = 'ok'`).Scan(&synthetic)
	return c.Render(http.StatusOK, "map_table", page{Title: "Map figures: " + lvl.Name, Synthetic: synthetic,
		Description: "The figures shown on the map, as a table.", Data: d})
}

// formatMapValue writes a value for the table view: as stored for deciles
// and counts, else to at most two decimals, with its unit.
func formatMapValue(v float64, unit string) string {
	n := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	switch unit {
	case "":
		return n
	case "%":
		return n + "%"
	case "£ per head":
		return "£" + n + " per head"
	}
	return n + " " + unit
}
