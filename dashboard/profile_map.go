package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"commonground/queries"
)

// serviceKind is how a service category is drawn and named on the profile.
type serviceKind struct {
	Category, Label, Colour, Shape string
}

// serviceKinds: shapes tell them apart without colour; the colours are
// Okabe–Ito (safe with colour-blindness), each with a white ring.
var serviceKinds = []serviceKind{
	{"gp_practice", "GP practices", "#d55e00", "circle"},
	{"pharmacy", "Pharmacies", "#009e73", "square"},
	{"school", "Schools", "#e69f00", "triangle"},
	{"library", "Libraries", "#cc79a7", "diamond"},
	{"food_bank", "Food banks", "#000000", "plus"},
	{"dentist", "Dentists", "#56b4e9", "itriangle"},
	{"jobcentre", "Jobcentres", "#7f3c8d", "square"},
	{"post_office", "Post offices", "#5c3a06", "circle"},
	{"childrens_centre", "Children's centres", "#f0e442", "diamond"},
	{"allotment", "Allotments", "#009e73", "plus"},
	{"place_of_worship", "Places of worship", "#7f3c8d", "triangle"},
	{"sports_facility", "Sports facilities", "#0072b2", "itriangle"},
	{"charity", "Charities", "#5c3a06", "plus"},
}

// defaultMapServices are drawn until someone chooses: the everyday
// services people ask about, few enough to read.
var defaultMapServices = []string{"gp_practice", "pharmacy", "library", "food_bank"}

func kindOf(cat string) serviceKind {
	for _, k := range serviceKinds {
		if k.Category == cat {
			return k
		}
	}
	return serviceKind{cat, strings.ReplaceAll(cat, "_", " "), "#505a5f", "circle"}
}

// symbol draws a service marker centred on x, y.
func symbol(b *strings.Builder, k serviceKind, x, y, r float64, extra string) {
	attrs := fmt.Sprintf(`fill="%s" stroke="#ffffff" stroke-width="1.5"%s`, k.Colour, extra)
	switch k.Shape {
	case "square":
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" %s`, x-r*0.9, y-r*0.9, r*1.8, r*1.8, attrs)
	case "triangle":
		fmt.Fprintf(b, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fZ" %s`, x, y-r*1.1, x+r*1.1, y+r*0.9, x-r*1.1, y+r*0.9, attrs)
	case "itriangle":
		fmt.Fprintf(b, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fZ" %s`, x, y+r*1.1, x+r*1.1, y-r*0.9, x-r*1.1, y-r*0.9, attrs)
	case "diamond":
		fmt.Fprintf(b, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ" %s`, x, y-r*1.2, x+r*1.2, y, x, y+r*1.2, x-r*1.2, y, attrs)
	case "plus":
		t := r * 0.45
		fmt.Fprintf(b, `<path d="M%.1f %.1fH%.1fV%.1fH%.1fV%.1fH%.1fV%.1fH%.1fV%.1fH%.1fV%.1fH%.1fZ" %s`,
			x-t, y-r*1.2, x+t, y-t, x+r*1.2, y+t, x+t, y+r*1.2, x-t, y+t, x-r*1.2, y-t, x-t, attrs)
	default:
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="%.1f" %s`, x, y, r, attrs)
	}
}

// symbolSVG is a key entry's marker on its own (decorative: the label
// beside it names it).
func symbolSVG(k serviceKind) template.HTML {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" class="key-symbol" aria-hidden="true" focusable="false">`)
	symbol(&b, k, 8, 8, 5.5, "/>")
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// mapPalette is viridis in five steps, dark to light: sequential, readable
// in greyscale and by people with colour-blindness. The darkest class is
// the worst one when the indicator has a polarity.
var mapPalette = []string{"#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"}

// MapOption is an indicator offered in the map's chooser.
type MapOption struct {
	ID, Title string
	Selected  bool
}

// MapOptionGroup is a theme of the chooser (an optgroup).
type MapOptionGroup struct {
	Label   string
	Options []MapOption
}

// optionGroup names an indicator's theme from its id, so the long list
// reads as a few short ones.
func optionGroup(id string) string {
	switch {
	case strings.HasPrefix(id, "imd2025"):
		return "Deprivation (IMD 2025)"
	case strings.HasPrefix(id, "imd2019"):
		return "Deprivation (IMD 2019)"
	case strings.HasPrefix(id, "population"):
		return "Population"
	case strings.HasPrefix(id, "distance_") || strings.HasSuffix(id, "_per_10k"):
		return "Services"
	}
	return "Money and other"
}

// MapClass is one legend entry: a colour and the values it covers.
type MapClass struct {
	Colour, Label string
	Index, Count  int
	Swatch        template.HTML // the colour as a small SVG (the CSP forbids inline styles)
}

// MapServiceKey is a service category in the map's key and chooser.
type MapServiceKey struct {
	Category, Label string
	Symbol          template.HTML
	Count           int
	Checked         bool
}

// MapRow is one neighbourhood in the map's table alternative.
type MapRow struct {
	Code, Name, Value, Compared string
	Class                       int
}

// IndicatorMap is the profile's map of its neighbourhoods coloured by a
// chosen indicator, with service points: the state is the query string
// (?indicator=…&svc=…), so a link reproduces it.
type IndicatorMap struct {
	SVG                   template.HTML
	Indicator, Title      string
	Definition, Unit      string
	Options               []MapOption
	Groups                []MapOptionGroup
	Classes               []MapClass
	Services              []MapServiceKey
	Rows                  []MapRow
	Dist                  *Distribution
	Caption, Note         string
	MapURL                string
	ServicesShown, Shapes int
	Capped                bool
}

// mapIndicators are the indicators that can colour neighbourhoods: those
// computed on LSOAs, in catalogue order.
func (s *Server) mapIndicators() []queries.Indicator {
	s.mapIndsOnce.Do(func() { // the catalogue is fixed for the server's life
		if s.cat == nil {
			return
		}
		for _, ind := range s.cat.Indicators() {
			g := string(ind.Geography)
			if (g == "lsoa11" || g == "lsoa21") && (len(ind.Levels) == 0 || slices.Contains(ind.Levels, g)) {
				s.mapInds = append(s.mapInds, ind)
			}
		}
	})
	return s.mapInds
}

// mapState reads ?indicator= and ?svc= (with ?map=1 meaning the form was
// sent, so no svc at all means "no services").
func (s *Server) profileMapState(q url.Values, inds []queries.Indicator) (string, []string) {
	id := q.Get("indicator")
	ok := false
	for _, ind := range inds {
		ok = ok || ind.ID == id
	}
	if !ok {
		id = "" // chosen by defaultMapIndicator, by what the area has
	}
	var svc []string
	if q.Get("map") == "" && len(q["svc"]) == 0 {
		svc = defaultMapServices
	}
	for _, v := range q["svc"] {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			for _, k := range serviceKinds {
				if k.Category == c && !slices.Contains(svc, c) {
					svc = append(svc, c)
				}
			}
		}
	}
	return id, svc
}

type lsoaShape struct {
	code, name string
	geom       orb.Geometry
}

// lsoaLayer is the map's index of one vintage's LSOA boundaries (tiles.go),
// which the profile maps draw from too.
func (s *Server) lsoaLayer(ctx context.Context, vintage int) (*layerIndex, error) {
	l, _ := findTileLayer("lsoa11")
	if vintage == 2021 {
		l, _ = findTileLayer("lsoa21")
	}
	v, err := s.tiles.version(ctx)
	if err != nil {
		return nil, err
	}
	return s.tiles.index(ctx, l, v.forLayer(l))
}

// feature finds a feature by code (features are in code order).
func (idx *layerIndex) feature(code string) (*tileFeature, bool) {
	i, ok := slices.BinarySearchFunc(idx.features, code, func(f tileFeature, c string) int { return cmp.Compare(f.code, c) })
	if !ok {
		return nil, false
	}
	return &idx.features[i], true
}

// areaShapes returns the boundaries of an area's LSOAs of one vintage.
func (s *Server) areaShapes(ctx context.Context, a Area, vintage int) ([]lsoaShape, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := d.area(a.Code); !ok {
		return s.areaShapesSQL(ctx, a, vintage)
	}
	idx, err := s.lsoaLayer(ctx, vintage)
	if err != nil {
		return nil, fmt.Errorf("area shapes %s: %w", a.Code, err)
	}
	var out []lsoaShape
	seen := map[string]bool{}
	for _, m := range d.membersOf(a.Code, a.Level, vintage) {
		f, ok := idx.feature(m.lsoa.Code)
		if !ok || seen[f.code] {
			continue
		}
		seen[f.code] = true
		out = append(out, lsoaShape{code: f.code, name: m.lsoa.Name, geom: f.geom[len(f.geom)-1].geometry()})
	}
	slices.SortFunc(out, func(x, y lsoaShape) int { return cmp.Compare(x.code, y.code) })
	if len(out) > 3000 {
		out = out[:3000]
	}
	return out, nil
}

func (s *Server) areaShapesSQL(ctx context.Context, a Area, vintage int) ([]lsoaShape, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `
		SELECT l.code, coalesce(l.name, ''), l.geometry FROM area_lsoas m
		JOIN areas l ON l.code = m.lsoa_code AND l.vintage = m.lsoa_vintage AND l.level IN ('lsoa11', 'lsoa21')
		WHERE m.area_code = ? AND m.area_level = ? AND m.lsoa_vintage = ? AND l.geometry IS NOT NULL
		ORDER BY l.code LIMIT 3000`, a.Code, a.Level, vintage)
	if err != nil {
		return nil, fmt.Errorf("area shapes %s: %w", a.Code, err)
	}
	defer rows.Close()
	var out []lsoaShape
	for rows.Next() {
		var sh lsoaShape
		var b []byte
		if err := rows.Scan(&sh.code, &sh.name, &b); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			continue // a broken boundary is left off, not fatal
		}
		sh.geom = g
		out = append(out, sh)
	}
	return out, rows.Err()
}

// contextShapes returns the LSOAs of one vintage around a neighbourhood
// (its own box and most of it again on each side), itself first; none
// when it has no boundary of that vintage.
func (s *Server) contextShapes(ctx context.Context, a Area, vintage int) ([]lsoaShape, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := d.area(a.Code); !ok {
		return s.contextShapesSQL(ctx, a, vintage)
	}
	idx, err := s.lsoaLayer(ctx, vintage)
	if err != nil {
		return nil, fmt.Errorf("shapes around %s: %w", a.Code, err)
	}
	if _, ok := idx.feature(a.Code); !ok {
		return nil, nil
	}
	dx, dy := (a.MaxX-a.MinX)*0.8, (a.MaxY-a.MinY)*0.8
	var out []lsoaShape
	idx.tree.Search([2]float64{a.MinX - dx, a.MinY - dy}, [2]float64{a.MaxX + dx, a.MaxY + dy}, func(_, _ [2]float64, i int32) bool {
		f := &idx.features[i]
		name := ""
		if l := d.lsoas[lsoaKey{f.code, vintage}]; l != nil {
			name = l.Name
		}
		out = append(out, lsoaShape{code: f.code, name: name, geom: f.geom[len(f.geom)-1].geometry()})
		return true
	})
	slices.SortFunc(out, func(x, y lsoaShape) int {
		if (x.code == a.Code) != (y.code == a.Code) {
			if x.code == a.Code {
				return -1
			}
			return 1
		}
		return cmp.Compare(x.code, y.code)
	})
	if len(out) > 120 {
		out = out[:120]
	}
	return out, nil
}

func (s *Server) contextShapesSQL(ctx context.Context, a Area, vintage int) ([]lsoaShape, error) {
	level := "lsoa11"
	if vintage == 2021 {
		level = "lsoa21"
	}
	dx, dy := (a.MaxX-a.MinX)*0.8, (a.MaxY-a.MinY)*0.8
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT code, coalesce(name, ''), geometry FROM areas
		WHERE level = ? AND vintage = ? AND geometry IS NOT NULL AND maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?
		ORDER BY code = ? DESC, code LIMIT 120`, level, vintage, a.MinX-dx, a.MaxX+dx, a.MinY-dy, a.MaxY+dy, a.Code)
	if err != nil {
		return nil, fmt.Errorf("shapes around %s: %w", a.Code, err)
	}
	defer rows.Close()
	var out []lsoaShape
	for rows.Next() {
		var sh lsoaShape
		var b []byte
		if err := rows.Scan(&sh.code, &sh.name, &b); err != nil {
			return nil, err
		}
		if g, err := wkb.Unmarshal(b); err == nil {
			sh.geom = g
			out = append(out, sh)
		}
	}
	if len(out) > 0 && out[0].code != a.Code {
		return nil, rows.Err() // the neighbourhood itself has no boundary of this vintage
	}
	return out, rows.Err()
}

func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// profileService is one service point.
type profileService struct {
	Category, Name string
	Lon, Lat       float64
}

const maxMapServices = 800

// servicesIn lists open services of some categories inside a bounding box.
func (s *Server) servicesIn(ctx context.Context, b orb.Bound, cats []string) ([]profileService, bool, error) {
	if len(cats) == 0 {
		return nil, false, nil
	}
	d, err := s.directory(ctx)
	if err != nil {
		return s.servicesInSQL(ctx, b, cats)
	}
	var out []profileService
	for _, sv := range d.servicesInBox(b.Min[0], b.Max[0], b.Min[1], b.Max[1], cats) {
		out = append(out, profileService{Category: sv.category, Name: sv.name, Lon: sv.lon, Lat: sv.lat})
	}
	slices.SortStableFunc(out, func(x, y profileService) int {
		return cmp.Or(cmp.Compare(x.Category, y.Category), cmp.Compare(x.Name, y.Name))
	})
	capped := len(out) > maxMapServices
	if capped {
		out = out[:maxMapServices]
	}
	return out, capped, nil
}

func (s *Server) servicesInSQL(ctx context.Context, b orb.Bound, cats []string) ([]profileService, bool, error) {
	ph := strings.TrimSuffix(strings.Repeat("?,", len(cats)), ",")
	args := []any{b.Min[0], b.Max[0], b.Min[1], b.Max[1]}
	for _, c := range cats {
		args = append(args, c)
	}
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT category, coalesce(name, ''), lon, lat FROM services
		WHERE status = 'open' AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ? AND category IN (`+ph+`)
		QUALIFY row_number() OVER (PARTITION BY category, regexp_replace(lower(coalesce(name, '')), '[^a-z0-9]', '', 'g'),
		                                        round(lon, 2), round(lat, 2) ORDER BY dataset, id) = 1
		ORDER BY category, name LIMIT `+fmt.Sprint(maxMapServices+1), args...)
	if err != nil {
		return nil, false, fmt.Errorf("services in box: %w", err)
	}
	defer rows.Close()
	var out []profileService
	for rows.Next() {
		var m profileService
		if err := rows.Scan(&m.Category, &m.Name, &m.Lon, &m.Lat); err != nil {
			return nil, false, err
		}
		out = append(out, m)
	}
	capped := len(out) > maxMapServices
	if capped {
		out = out[:maxMapServices]
	}
	return out, capped, rows.Err()
}

// quantileBreaks splits sorted values into up to k classes of about equal
// size, returning the upper bound of each class but the last.
func quantileBreaks(sorted []float64, k int) []float64 {
	var br []float64
	for i := 1; i < k; i++ {
		q := quantile(sorted, float64(i)/float64(k))
		if len(br) == 0 || q > br[len(br)-1] {
			if q < sorted[len(sorted)-1] {
				br = append(br, q)
			}
		}
	}
	return br
}

// classOf is the class index (0 = lowest values) of v given the breaks.
func classOf(v float64, breaks []float64) int {
	return sort.Search(len(breaks), func(i int) bool { return v <= breaks[i] })
}

// indicatorMap builds the map section for an area (nil when the area has
// no neighbourhood boundaries for the chosen indicator).
func (s *Server) indicatorMap(ctx context.Context, a Area, q url.Values) (*IndicatorMap, error) {
	inds := s.mapIndicators()
	id, svc := s.profileMapState(q, inds)
	key := "map|" + a.Code + "|" + a.Level + "|" + id + "|" + strings.Join(svc, ",")
	return cachedSection(ctx, s, key, func(ctx context.Context) (*IndicatorMap, error) {
		return s.buildIndicatorMap(ctx, a, inds, id, svc)
	})
}

// mapPreference is the order in which a default map indicator is looked
// for; then the catalogue's order.
var mapPreference = []string{"imd2025_score", "imd2019_score", "imd2025_income_rate", "distance_gp_km", "population_aged_65_plus",
	"imd2019_most_deprived_20pc", "imd2019_most_deprived_10pc"}

// defaultMapIndicator is the first indicator (by mapPreference) with
// values for at least two of the area's neighbourhoods (or for the
// neighbourhood itself), trying a handful.
func (s *Server) defaultMapIndicator(ctx context.Context, a Area, inds []queries.Indicator) string {
	if s.cat == nil || len(inds) == 0 {
		return ""
	}
	var order []string
	order = append(order, mapPreference...)
	for _, ind := range inds {
		order = append(order, ind.ID)
	}
	known := map[string]bool{}
	for _, ind := range inds {
		known[ind.ID] = true
	}
	isLSOA := a.Level == "lsoa11" || a.Level == "lsoa21"
	tried := 0
	for _, id := range order {
		if !known[id] || tried >= 10 {
			continue
		}
		tried++
		vs, err := s.cat.Values(ctx, s.db, id, "lsoa", a.Code)
		if err != nil {
			continue
		}
		n := 0
		for _, v := range vs {
			if v.Status == queries.StatusOK {
				n++
			}
		}
		if n >= 2 || (isLSOA && n == 1) {
			return id
		}
	}
	return "" // nothing to colour by: the profile shows its deprivation map instead
}

func (s *Server) buildIndicatorMap(ctx context.Context, a Area, inds []queries.Indicator, id string, svc []string) (*IndicatorMap, error) {
	if id == "" {
		if id = s.defaultMapIndicator(ctx, a, inds); id == "" {
			return nil, nil
		}
	}
	m := &IndicatorMap{Indicator: id}
	var ind queries.Indicator
	for _, i := range inds {
		o := MapOption{ID: i.ID, Title: i.Title, Selected: i.ID == id}
		m.Options = append(m.Options, o)
		if i.ID == id {
			ind = i
		}
		g := optionGroup(i.ID)
		k := slices.IndexFunc(m.Groups, func(x MapOptionGroup) bool { return x.Label == g })
		if k < 0 {
			m.Groups = append(m.Groups, MapOptionGroup{Label: g})
			k = len(m.Groups) - 1
		}
		m.Groups[k].Options = append(m.Groups[k].Options, o)
	}
	vintage := 2011
	if ind.Geography == "lsoa21" {
		vintage = 2021
	}
	isLSOA := a.Level == "lsoa11" || a.Level == "lsoa21"
	var shapes []lsoaShape
	var err error
	if isLSOA {
		// One neighbourhood alone says little: draw it among its neighbours.
		shapes, err = s.contextShapes(ctx, a, vintage)
	} else {
		shapes, err = s.areaShapes(ctx, a, vintage)
	}
	if err != nil {
		return nil, err
	}
	if len(shapes) == 0 {
		// The other vintage may have boundaries: draw them uncoloured.
		if isLSOA {
			shapes, err = s.contextShapes(ctx, a, 4032-vintage)
		} else {
			shapes, err = s.areaShapes(ctx, a, 4032-vintage)
		}
		if err != nil {
			return nil, err
		}
		if len(shapes) == 0 {
			return nil, nil
		}
		m.Note = fmt.Sprintf("%s is published for %d neighbourhoods (LSOA %d), whose boundaries are not loaded for this area, so the map is not coloured.", ind.Title, vintage, vintage)
		ind = queries.Indicator{}
	}
	m.Title, m.Definition, m.Unit, m.Shapes = ind.Title, ind.Definition, string(ind.Unit), len(shapes)

	// Values of the chosen indicator for the area's neighbourhoods.
	vals := map[string]queries.Value{}
	var sorted []float64
	var valueList []queries.Value
	if ind.ID != "" && s.cat != nil {
		within := a.Code
		if isLSOA && a.LADCode != "" {
			within = a.LADCode // the neighbours' values too
		}
		vs, err := s.cat.Values(ctx, s.db, ind.ID, "lsoa", within)
		if err != nil {
			s.log.Warn("map values", "area", a.Code, "indicator", ind.ID, "err", err)
		}
		inArea := map[string]bool{}
		for _, sh := range shapes {
			inArea[sh.code] = true
		}
		for _, v := range vs {
			if !inArea[v.Area.Code] {
				continue
			}
			vals[v.Area.Code] = v
			valueList = append(valueList, v)
			if v.Status == queries.StatusOK {
				sorted = append(sorted, v.Value)
			}
		}
		sort.Float64s(sorted)
		if eng, ok := s.englandValue(ctx, ind.ID); !isLSOA && (ok || len(sorted) > 0) {
			m.Dist = distribution(ind, valueList, eng, ok, a.Name)
		}
	}
	var breaks []float64
	if len(sorted) > 0 {
		breaks = quantileBreaks(sorted, len(mapPalette))
	}
	nClasses := len(breaks) + 1
	// Darkest is worst: for "higher is worse" the highest class is darkest.
	colour := func(c int) string {
		if ind.Polarity == queries.HigherIsWorse {
			return mapPalette[nClasses-1-c]
		}
		return mapPalette[c]
	}
	if len(sorted) > 0 {
		u := ind.Unit
		lo := sorted[0]
		for c := 0; c < nClasses; c++ {
			hi := sorted[len(sorted)-1]
			if c < len(breaks) {
				hi = breaks[c]
			}
			label := queries.FormatValue(u, lo) + " to " + queries.FormatValue(u, hi)
			if lo == hi {
				label = queries.FormatValue(u, lo)
			}
			m.Classes = append(m.Classes, MapClass{Colour: colour(c), Label: label, Index: c + 1, Swatch: template.HTML(
				`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 18 18" class="key-swatch" aria-hidden="true" focusable="false"><rect x="0.5" y="0.5" width="17" height="17" fill="` +
					colour(c) + `" stroke="#0b0c0c"/></svg>`)})
			lo = hi
		}
	}

	// Projection: equirectangular scaled by the cosine of the latitude,
	// fitted to the box.
	var bound orb.Bound
	for i, sh := range shapes {
		if i == 0 {
			bound = sh.geom.Bound()
		} else {
			bound = bound.Union(sh.geom.Bound())
		}
	}
	const width, height, pad = 640.0, 520.0, 10.0
	kx := math.Cos((bound.Min[1] + bound.Max[1]) / 2 * math.Pi / 180)
	w, h := (bound.Max[0]-bound.Min[0])*kx, bound.Max[1]-bound.Min[1]
	scale := math.Min((width-2*pad)/math.Max(w, 1e-9), (height-2*pad)/math.Max(h, 1e-9))
	offX, offY := (width-w*scale)/2, (height-h*scale)/2
	project := func(p orb.Point) (float64, float64) {
		return offX + (p[0]-bound.Min[0])*kx*scale, height - offY - (p[1]-bound.Min[1])*scale
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="imap-title imap-desc" class="area-map">`, width, height)
	title := "Map of " + a.Name
	if m.Title != "" {
		title += ": " + lowerFirst(m.Title) + " by neighbourhood"
	}
	fmt.Fprintf(&b, `<title id="imap-title">%s</title>`, template.HTMLEscapeString(title))
	desc := fmt.Sprintf("%d neighbourhoods", len(shapes))
	if len(m.Classes) > 0 {
		desc += fmt.Sprintf(", shaded in %d groups of about equal size from lighter to darker", len(m.Classes))
		if ind.Polarity == queries.HigherIsWorse {
			desc += " (darker is higher, which is worse)"
		} else if ind.Polarity == queries.HigherIsBetter {
			desc += " (darker is lower, which is worse)"
		} else {
			desc += " (darker is lower)"
		}
	}
	if isLSOA {
		desc += ". " + a.Name + " is outlined in black among the neighbourhoods around it"
	}
	desc += ". The same figures are in the table below the map."
	fmt.Fprintf(&b, `<desc id="imap-desc">%s</desc>`, template.HTMLEscapeString(desc))
	counts := make([]int, nClasses)
	for _, sh := range shapes {
		fill, label := "#dee0e2", sh.name
		if v, ok := vals[sh.code]; ok && v.Status == queries.StatusOK && len(sorted) > 0 {
			c := classOf(v.Value, breaks)
			counts[c]++
			fill = colour(c)
			label += ": " + queries.FormatValue(ind.Unit, v.Value)
		}
		b.WriteString(`<path d="`)
		writeRings(&b, sh.geom, project)
		fmt.Fprintf(&b, `" fill="%s" fill-rule="evenodd" stroke="#ffffff" stroke-width="0.8"><title>%s</title></path>`, fill, template.HTMLEscapeString(label))
	}
	if isLSOA {
		for _, sh := range shapes {
			if sh.code == a.Code {
				b.WriteString(`<path d="`)
				writeRings(&b, sh.geom, project)
				b.WriteString(`" fill="none" stroke="#0b0c0c" stroke-width="4" stroke-linejoin="round"/>`)
			}
		}
	}
	for i := range m.Classes {
		m.Classes[i].Count = counts[i]
	}

	// Services inside the drawn box (a little beyond the area's edge).
	pt := orb.Point{(bound.Max[0] - bound.Min[0]) * 0.02, (bound.Max[1] - bound.Min[1]) * 0.02}
	box := orb.Bound{Min: orb.Point{bound.Min[0] - pt[0], bound.Min[1] - pt[1]}, Max: orb.Point{bound.Max[0] + pt[0], bound.Max[1] + pt[1]}}
	pts, capped, err := s.servicesIn(ctx, box, svc)
	if err != nil {
		return nil, err
	}
	m.Capped = capped
	perCat := map[string]int{}
	if len(pts) > 0 {
		b.WriteString(`<g class="map-services">`)
		for _, p := range pts {
			x, y := project(orb.Point{p.Lon, p.Lat})
			if x < 0 || y < 0 || x > width || y > height {
				continue
			}
			k := kindOf(p.Category)
			perCat[p.Category]++
			symbol(&b, k, x, y, 5, `><title>`+template.HTMLEscapeString(k.Label+": "+p.Name)+`</title></`+svgTag(k.Shape)+`>`)
		}
		b.WriteString(`</g>`)
	}
	m.ServicesShown = len(pts)
	b.WriteString(`</svg>`)
	m.SVG = template.HTML(b.String())
	for _, k := range serviceKinds {
		m.Services = append(m.Services, MapServiceKey{Category: k.Category, Label: k.Label, Symbol: symbolSVG(k),
			Count: perCat[k.Category], Checked: slices.Contains(svc, k.Category)})
	}

	// The table alternative, in the map's order of classes.
	for _, sh := range shapes {
		r := MapRow{Code: sh.code, Name: sh.name, Value: "no data"}
		if v, ok := vals[sh.code]; ok {
			r.Value = formatEstimate(ind.Unit, v.Estimate)
			if v.Status == queries.StatusOK && len(sorted) > 0 {
				r.Class = classOf(v.Value, breaks) + 1
			}
			if t := judgementText[v.Judgement]; t != "" {
				r.Compared = t
			}
		}
		m.Rows = append(m.Rows, r)
	}
	sort.SliceStable(m.Rows, func(i, j int) bool { return m.Rows[i].Name < m.Rows[j].Name })

	mq := url.Values{}
	mq.Set("area", a.Code)
	mq.Set("bbox", bboxString([4]float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}))
	if ind.ID != "" {
		mq.Set("indicator", ind.ID)
		mq.Set("level", string(ind.Geography))
	}
	if len(svc) > 0 {
		mq.Set("layers", strings.Join(svc, ","))
	}
	m.MapURL = "/map?" + mq.Encode()
	switch {
	case m.Title != "" && isLSOA:
		m.Caption = a.Name + " (outlined in black) and the neighbourhoods around it, shaded by " + lowerFirst(m.Title) +
			", in groups of about equal size (quantiles) among those shown. Neighbourhoods outside " + orDefault(a.LADName, "its local authority") + " are grey."
	case m.Title != "":
		m.Caption = "Neighbourhoods (LSOAs) shaded by " + lowerFirst(m.Title) + ", in groups of about equal size (quantiles) within " + a.Name + "."
	}
	return m, nil
}

// svgTag is the element a symbol shape is drawn with (to close it).
func svgTag(shape string) string {
	switch shape {
	case "square":
		return "rect"
	case "triangle", "itriangle", "diamond", "plus":
		return "path"
	}
	return "circle"
}

// writeRings writes a polygon's rings as path data, dropping points closer
// than half a pixel to the last one kept: a local authority's boundaries
// shrink several times over and look the same.
func writeRings(b *strings.Builder, g orb.Geometry, project func(orb.Point) (float64, float64)) {
	var rings []orb.Ring
	switch g := g.(type) {
	case orb.Polygon:
		rings = g
	case orb.MultiPolygon:
		for _, p := range g {
			rings = append(rings, p...)
		}
	}
	for _, r := range rings {
		var lx, ly float64
		n := 0
		for i, p := range r {
			x, y := project(p)
			if i > 0 && i < len(r)-1 && math.Abs(x-lx) < 0.5 && math.Abs(y-ly) < 0.5 {
				continue
			}
			// strconv, not fmt: a map of an authority writes 10,000s of these.
			var buf [32]byte
			out := buf[:0]
			if n == 0 {
				out = append(out, 'M')
			} else {
				out = append(out, 'L')
			}
			out = strconv.AppendFloat(out, x, 'f', 1, 64)
			out = append(out, ' ')
			out = strconv.AppendFloat(out, y, 'f', 1, 64)
			b.Write(out)
			lx, ly, n = x, y, n+1
		}
		b.WriteString("Z")
	}
}

// englandValue is an indicator's England figure (cached per data version).
func (s *Server) englandValue(ctx context.Context, id string) (float64, bool) {
	type ev struct {
		v  float64
		ok bool
	}
	r, err := cachedSection(ctx, s, "england|"+id, func(ctx context.Context) (ev, error) {
		vs, err := s.cat.Values(ctx, s.db, id, "country", "")
		if err != nil || len(vs) == 0 || vs[0].Status != queries.StatusOK {
			return ev{}, nil
		}
		return ev{vs[0].Value, true}, nil
	})
	if err != nil {
		return 0, false
	}
	return r.v, r.ok
}
