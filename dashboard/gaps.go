package dashboard

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"commonground/queries"
)

// Service gaps (issue 7): provision against need for a service type in an
// area, from the service_access table (queries.Gaps; docs/METHODS.md).

// gapColours shade the gaps map: flagged in both frames, against England
// only, against the local authority only, further than X but not flagged,
// and the rest. An orange-purple diverging scheme (ColorBrewer PuOr) that
// reads for colour-blind people; each class also has a text label.
var gapColours = []struct{ Key, Fill, Label string }{
	{"both", "#b35806", "High need, low provision compared with England and the local authority"},
	{"england", "#e08214", "High need, low provision compared with England only"},
	{"la", "#fdb863", "High need, low provision compared with the local authority only"},
	{"beyond", "#b2abd2", "Not flagged, but further than the distance threshold"},
	{"other", "#f2f2f2", "Other neighbourhoods"},
}

func gapClass(r queries.GapRow) string {
	switch {
	case r.FlagEngland && r.FlagLA:
		return "both"
	case r.FlagEngland:
		return "england"
	case r.FlagLA:
		return "la"
	case r.Beyond:
		return "beyond"
	}
	return "other"
}

// GapsChoice is an option of the page's selects.
type GapsChoice struct {
	Value, Label string
	Selected     bool
}

// gapsView is what gaps.html gets.
type gapsView struct {
	Services, Areas []GapsChoice
	ServiceKey      string
	Within          string
	Report          *queries.GapReport
	Sentences       []string
	Coverage        string
	Map             *gapsMapView
	Flagged         []rankedGap
	NeedName        string
	// PluralCap and NameCap are the type's names with a capital.
	PluralCap, NameCap string
	// Per10k and MeanKm, when Has (the report's are pointers).
	Per10k, MeanKm float64
	Has            bool
	Error          string
	// Money is money against need in the same area (money.go).
	Money *MoneyNeed
}

type rankedGap struct {
	Rank int
	queries.GapRow
}

type gapsMapView struct {
	SVG     template.HTML
	Legend  []gapsLegend
	Caption string
}

type gapsLegend struct {
	Fill, Label string
	LSOAs       int
}

func (s *Server) gapsPage(c echo.Context) error {
	ctx := c.Request().Context()
	key := strings.TrimSpace(c.QueryParam("service"))
	if key == "" {
		key = "gp"
	}
	within := strings.ToUpper(strings.TrimSpace(c.QueryParam("within")))
	v := gapsView{ServiceKey: key, Within: within}
	t, ok := queries.ServiceTypeByKey(key)
	for _, st := range queries.ServiceTypes {
		v.Services = append(v.Services, GapsChoice{Value: st.Key, Label: capitalFirst(st.Plural), Selected: ok && st.Key == t.Key})
	}
	areas, err := cachedSection(ctx, s, "gaps\x00areas\x00"+within, func(ctx context.Context) ([]GapsChoice, error) { return s.gapsAreas(ctx, within) })
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	v.Areas = areas
	status := http.StatusOK
	title := "Service gaps"
	switch {
	case !ok:
		status, v.Error = http.StatusBadRequest, fmt.Sprintf("There is no service type %q. Choose one from the list.", key)
	case within != "":
		g, err := s.cachedGaps(ctx, t.Key, within, true)
		rep := g.rep
		switch {
		case errors.Is(err, queries.ErrNoArea):
			status, v.Error = http.StatusNotFound, fmt.Sprintf("We could not find an area with the code %q. Choose one from the list, or use a code such as E08000009.", within)
		case err != nil:
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		default:
			v.Report, v.Sentences, v.Coverage, v.NeedName = &rep, rep.Sentences(), rep.CoverageNote(), queries.NeedName(rep.NeedDomain)
			v.PluralCap, v.NameCap = capitalFirst(t.Plural), capitalFirst(t.Name)
			if rep.Per10k != nil && rep.MeanKm != nil {
				v.Per10k, v.MeanKm, v.Has = *rep.Per10k, *rep.MeanKm, true
			}
			for i, r := range rep.Flagged() {
				v.Flagged = append(v.Flagged, rankedGap{i + 1, r})
			}
			title = "Service gaps: " + capitalFirst(t.Plural) + " in " + rep.Within.Name
			v.Map = g.m
			v.Money = s.moneyNeedFor(ctx, rep.Within.Code)
		}
	}
	return c.Render(status, "gaps", page{Title: title,
		Description: "Where need is high and provision low: distance to the nearest service against deprivation, by neighbourhood.",
		Data:        v})
}

// gapsResult is a report with its map, cached per data version.
type gapsResult struct {
	rep queries.GapReport
	m   *gapsMapView
}

// cachedGaps returns the report (and, with withMap, its map) from the
// profile cache: both change only when data is loaded.
func (s *Server) cachedGaps(ctx context.Context, service, within string, withMap bool) (gapsResult, error) {
	key := "gaps\x00" + service + "\x00" + strings.ToUpper(strings.TrimSpace(within))
	if withMap {
		key += "\x00map"
	}
	return cachedSection(ctx, s, key, func(ctx context.Context) (gapsResult, error) {
		var g gapsResult
		rep, err := queries.Gaps(ctx, s.db, service, within)
		if err != nil {
			return g, err
		}
		g.rep = rep
		if withMap && len(rep.Rows) > 0 && len(rep.Rows) <= 3000 {
			if g.m, err = s.gapsMap(ctx, rep); err != nil {
				return g, err
			}
		}
		return g, nil
	})
}

// gapsAreas lists local authorities where any service type is loaded and
// every custom area, with within selected (added if it is another area).
func (s *Server) gapsAreas(ctx context.Context, within string) ([]GapsChoice, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `
		SELECT code, any_value(name ORDER BY vintage DESC NULLS LAST), any_value(level) FROM areas
		WHERE (level = 'lad' AND code IN (SELECT DISTINCT lad_code FROM service_access)) OR level = 'custom'
		GROUP BY code ORDER BY any_value(level) DESC, 2`)
	if err != nil {
		return nil, fmt.Errorf("gaps areas: %w", err)
	}
	defer rows.Close()
	var out []GapsChoice
	found := within == ""
	for rows.Next() {
		var code, level string
		var name sql.NullString
		if err := rows.Scan(&code, &name, &level); err != nil {
			return nil, fmt.Errorf("gaps areas: %w", err)
		}
		label := name.String
		if level == "custom" {
			label += " (community-defined area)"
		}
		out = append(out, GapsChoice{Value: code, Label: label, Selected: code == within})
		found = found || code == within
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gaps areas: %w", err)
	}
	if !found {
		out = append([]GapsChoice{{Value: within, Label: within, Selected: true}}, out...)
	}
	return out, nil
}

// gapsMap draws the report's neighbourhoods shaded by flag, with the
// services of the type as dots, as a static SVG (no JavaScript needed).
func (s *Server) gapsMap(ctx context.Context, rep queries.GapReport) (*gapsMapView, error) {
	codes := make([]string, len(rep.Rows))
	byCode := map[string]queries.GapRow{}
	for i, r := range rep.Rows {
		codes[i] = r.LSOA
		byCode[r.LSOA] = r
	}
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT code, geometry FROM areas WHERE level = 'lsoa11' AND geometry IS NOT NULL
		AND code IN (SELECT unnest(string_split(?, ',')))`, strings.Join(codes, ","))
	if err != nil {
		return nil, fmt.Errorf("gaps map: %w", err)
	}
	defer rows.Close()
	type shape struct {
		row  queries.GapRow
		geom orb.Geometry
	}
	var shapes []shape
	var bound orb.Bound
	for rows.Next() {
		var code string
		var b []byte
		if err := rows.Scan(&code, &b); err != nil {
			return nil, fmt.Errorf("gaps map: %w", err)
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			continue
		}
		if len(shapes) == 0 {
			bound = g.Bound()
		} else {
			bound = bound.Union(g.Bound())
		}
		shapes = append(shapes, shape{byCode[code], g})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gaps map: %w", err)
	}
	if len(shapes) == 0 {
		return nil, nil
	}
	// Services of the type inside the map's extent (each once).
	// (Duplicates matched as queries.RefreshAccess does: code, or name and postcode.)
	pts, err := s.db.SQL().QueryContext(ctx, `SELECT coalesce(s.name, ''), s.lon, s.lat FROM services s
		LEFT JOIN (SELECT category, upper(regexp_replace(name, '[^A-Za-z0-9]', '', 'g')) AS name_key,
		                  upper(replace(postcode, ' ', '')) AS postcode_key, min(source_id) AS source_id
		           FROM services WHERE source_id IS NOT NULL AND name IS NOT NULL AND postcode IS NOT NULL GROUP BY ALL) d
		  ON d.category = s.category AND d.postcode_key = CASE WHEN s.source_id IS NULL THEN upper(replace(s.postcode, ' ', '')) END
		 AND d.name_key = upper(regexp_replace(s.name, '[^A-Za-z0-9]', '', 'g'))
		WHERE s.category = ? AND s.status = 'open' AND s.lon BETWEEN ? AND ? AND s.lat BETWEEN ? AND ?
		QUALIFY row_number() OVER (PARTITION BY coalesce(s.source_id, d.source_id, s.id)
		    ORDER BY CASE s.location_source WHEN 'given' THEN 0 WHEN 'bng' THEN 1 WHEN 'polygon_centroid' THEN 2 ELSE 3 END, s.id) = 1
		LIMIT 5000`, rep.Service.Category, bound.Min[0], bound.Max[0], bound.Min[1], bound.Max[1])
	if err != nil {
		return nil, fmt.Errorf("gaps map: %w", err)
	}
	defer pts.Close()
	type point struct {
		name     string
		lon, lat float64
	}
	var points []point
	for pts.Next() {
		var p point
		if err := pts.Scan(&p.name, &p.lon, &p.lat); err != nil {
			return nil, fmt.Errorf("gaps map: %w", err)
		}
		points = append(points, p)
	}
	if err := pts.Err(); err != nil {
		return nil, fmt.Errorf("gaps map: %w", err)
	}

	const width, height, pad = 640.0, 480.0, 8.0
	kx := math.Cos((bound.Min[1] + bound.Max[1]) / 2 * math.Pi / 180)
	w, h := (bound.Max[0]-bound.Min[0])*kx, bound.Max[1]-bound.Min[1]
	scale := math.Min((width-2*pad)/math.Max(w, 1e-9), (height-2*pad)/math.Max(h, 1e-9))
	offX, offY := (width-w*scale)/2, (height-h*scale)/2
	project := func(lon, lat float64) (float64, float64) {
		return offX + (lon-bound.Min[0])*kx*scale, height - offY - (lat-bound.Min[1])*scale
	}
	fills := map[string]string{}
	counts := map[string]int{}
	for _, gc := range gapColours {
		fills[gc.Key] = gc.Fill
	}
	t := rep.Service
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="gaps-map-title gaps-map-desc" class="area-map" id="gaps-map-svg">`, width, height)
	fmt.Fprintf(&b, `<title id="gaps-map-title">Map of %s in %s</title>`, template.HTMLEscapeString(t.Plural), template.HTMLEscapeString(rep.Within.Name))
	fmt.Fprintf(&b, `<desc id="gaps-map-desc">%d neighbourhoods shaded by whether they are high need and low provision; %d %s shown as dots. The table below lists the same neighbourhoods.</desc>`,
		len(shapes), len(points), template.HTMLEscapeString(t.Plural))
	for _, sh := range shapes {
		cls := gapClass(sh.row)
		counts[cls]++
		var d strings.Builder
		var rings []orb.Ring
		switch g := sh.geom.(type) {
		case orb.Polygon:
			rings = g
		case orb.MultiPolygon:
			for _, p := range g {
				rings = append(rings, p...)
			}
		}
		for _, r := range rings {
			for i, p := range r {
				x, y := project(p[0], p[1])
				if i == 0 {
					fmt.Fprintf(&d, "M%.1f %.1f", x, y)
				} else {
					fmt.Fprintf(&d, "L%.1f %.1f", x, y)
				}
			}
			d.WriteString("Z")
		}
		label := fmt.Sprintf("%s: %.1f km to the nearest %s", sh.row.Name, sh.row.NearestKm, t.Name)
		if sh.row.NeedDecile > 0 {
			label += fmt.Sprintf("; need decile %d", sh.row.NeedDecile)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="%s" fill-rule="evenodd" stroke="#6f777b" stroke-width="0.5" data-lsoa="%s" data-class="%s"><title>%s</title></path>`,
			d.String(), fills[cls], sh.row.LSOA, cls, template.HTMLEscapeString(label))
	}
	for _, p := range points {
		x, y := project(p.lon, p.lat)
		if x < 0 || y < 0 || x > width || y > height {
			continue
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#0b0c0c" stroke="#ffffff" stroke-width="1.2"><title>%s</title></circle>`,
			x, y, template.HTMLEscapeString(p.name))
	}
	b.WriteString(`</svg>`)
	mv := &gapsMapView{SVG: template.HTML(b.String()),
		Caption: fmt.Sprintf("Neighbourhoods (LSOAs, 2011) of %s shaded by the flag; dots are %s (open, located). Distances are measured from each neighbourhood's centre, and count services over the boundary too.",
			rep.Within.Name, t.Plural)}
	for _, gc := range gapColours {
		mv.Legend = append(mv.Legend, gapsLegend{Fill: gc.Fill, Label: gc.Label, LSOAs: counts[gc.Key]})
	}
	return mv, nil
}

// apiGaps is GET /api/gaps?service=gp&within=E08000009 (&format=csv).
func (s *Server) apiGaps(c echo.Context) error {
	key := strings.TrimSpace(c.QueryParam("service"))
	within := strings.TrimSpace(c.QueryParam("within"))
	if key == "" || within == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "give service (one of "+serviceKeys()+") and within (an area code, e.g. E08000009)")
	}
	g, err := s.cachedGaps(c.Request().Context(), key, within, false)
	rep := g.rep
	switch {
	case errors.Is(err, queries.ErrUnknownService):
		return echo.NewHTTPError(http.StatusBadRequest, "unknown service "+strconv.Quote(key)+"; use one of "+serviceKeys())
	case errors.Is(err, queries.ErrNoArea):
		return echo.NewHTTPError(http.StatusNotFound, "no area with code "+strconv.Quote(within))
	case err != nil:
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	t := rep.Service
	if c.QueryParam("format") == "csv" || strings.Contains(c.Request().Header.Get("Accept"), "text/csv") {
		return writeGapsCSV(c, rep)
	}
	if rep.Rows == nil {
		rep.Rows = []queries.GapRow{}
	}
	return c.JSON(http.StatusOK, map[string]any{
		"service": map[string]any{"key": t.Key, "category": t.Category, "name": t.Name, "plural": t.Plural,
			"threshold_km": t.ThresholdKm, "population_group": t.PopulationGroup(), "need_domain": t.NeedDomain},
		"need":      map[string]any{"domain": rep.NeedDomain, "name": queries.NeedName(rep.NeedDomain), "edition": 2019},
		"report":    rep,
		"sentences": rep.Sentences(),
		"coverage":  rep.CoverageNote(),
		"method":    "docs/METHODS.md: distances from LSOA 2011 centroids (great circle); worst fifth = rank r of n with 5r <= n; flagged when worst fifth on need and on distance, relative to England and, separately, to the local authority",
	})
}

func writeGapsCSV(c echo.Context, rep queries.GapReport) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gaps-%s-%s.csv"`, rep.Service.Key, rep.Within.Code))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.Write([]string{"lsoa11_code", "name", "ward_code", "ward_name", "lad_code", "service", "nearest_km", "threshold_km", "beyond_threshold",
		"services_within_threshold", "services_in_lsoa", "population_group", "population", "residents", "need_domain", "need_rank", "need_decile",
		"imd_decile", "need_rank_la", "lsoas_la", "access_rank", "lsoas_covered", "access_rank_la",
		"need_worst20_england", "need_worst20_la", "access_worst20_england", "access_worst20_la", "flag_england", "flag_la"})
	itoa := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	bs := strconv.FormatBool
	for _, r := range rep.Rows {
		w.Write([]string{r.LSOA, r.Name, r.WardCode, r.WardName, r.LADCode, rep.Service.Key, strconv.FormatFloat(r.NearestKm, 'f', 3, 64),
			strconv.FormatFloat(rep.Service.ThresholdKm, 'f', -1, 64), bs(r.Beyond), strconv.Itoa(r.Within), strconv.Itoa(r.InLSOA),
			rep.PopulationGroup, strconv.FormatInt(r.Population, 10), strconv.FormatInt(r.Residents, 10), rep.NeedDomain,
			itoa(r.NeedRank), itoa(r.NeedDecile), itoa(r.IMDDecile), itoa(r.NeedRankLA), strconv.Itoa(r.LSOAsLA),
			strconv.Itoa(r.AccessRank), strconv.Itoa(r.LSOAsCovered), strconv.Itoa(r.AccessRankLA),
			bs(r.NeedWorstEngland), bs(r.NeedWorstLA), bs(r.AccessWorstEng), bs(r.AccessWorstLA), bs(r.FlagEngland), bs(r.FlagLA)})
	}
	w.Flush()
	return w.Error()
}

func serviceKeys() string {
	keys := make([]string, len(queries.ServiceTypes))
	for i, t := range queries.ServiceTypes {
		keys[i] = t.Key
	}
	return strings.Join(keys, ", ")
}

func capitalFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// GapsSection is the gaps section of an area profile and briefing pack:
// one line per main service type loaded for the area.
type GapsSection struct {
	Area  string
	Code  string
	Items []GapsItem
	// MissingText names the main types not loaded for the area.
	MissingText string
	// Top are the items for the briefing: those with most neighbourhoods
	// flagged, at most three.
	Top []GapsItem
}

// GapsItem is one service type's summary for an area.
type GapsItem struct {
	Key, Plural, Sentence, Flagged string
	Threshold                      string
	FlaggedLSOAs                   int
}

// gapsSectionTypes are the types the area profile and briefing summarise.
var gapsSectionTypes = []string{"gp", "pharmacy", "school", "library", "food_bank", "childrens_centre"}

// areaGaps summarises provision against need for an area (nil when no
// type is loaded for it, or on error, which is logged: the profile is
// still useful without it).
func (s *Server) areaGaps(ctx context.Context, a Area) *GapsSection {
	sec := &GapsSection{Area: a.Name, Code: a.Code}
	var missing []string
	for _, key := range gapsSectionTypes {
		g, err := s.cachedGaps(ctx, key, a.Code, false)
		rep := g.rep
		if err != nil {
			if !errors.Is(err, queries.ErrNoArea) {
				s.log.Error("gaps section", "area", a.Code, "service", key, "err", err)
			}
			return nil
		}
		if rep.Covered.LSOAs == 0 {
			missing = append(missing, rep.Service.Plural)
			continue
		}
		ss := rep.Sentences()
		it := GapsItem{Key: key, Plural: capitalFirst(rep.Service.Plural), Sentence: ss[0], Threshold: rep.Service.Threshold(),
			FlaggedLSOAs: rep.FlaggedEither.LSOAs}
		if len(ss) > 1 && rep.FlaggedEither.LSOAs > 0 {
			it.Flagged = ss[1]
		}
		sec.Items = append(sec.Items, it)
	}
	if len(sec.Items) == 0 {
		return nil
	}
	if len(missing) > 0 {
		sec.MissingText = "Not loaded with locations for this area, so not shown: " + strings.Join(missing, ", ") + "."
	}
	sec.Top = append([]GapsItem(nil), sec.Items...)
	sort.SliceStable(sec.Top, func(i, j int) bool { return sec.Top[i].FlaggedLSOAs > sec.Top[j].FlaggedLSOAs })
	if len(sec.Top) > 3 {
		sec.Top = sec.Top[:3]
	}
	return sec
}
