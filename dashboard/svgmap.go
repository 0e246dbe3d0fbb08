package dashboard

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
)

// decilePalette runs from the most deprived decile (1, dark) to the least
// (10, light): a single-hue sequential scheme, readable in greyscale and by
// people with colour-blindness (ColorBrewer PuBu, reversed).
var decilePalette = [10]string{"#023858", "#045a8d", "#0570b0", "#3690c0", "#74a9cf", "#a6bddb", "#d0d1e6", "#e7e3f0", "#f3f0f7", "#fff7fb"}

// DecileRow is one bar of the deprivation profile.
type DecileRow struct {
	Decile     int
	LSOAs      int
	Population int64
	Share      float64
	Colour     string
}

// Deprivation summarises an area's LSOAs by IMD decile for one edition.
type Deprivation struct {
	Edition        int
	Rows           []DecileRow
	LSOAs          int
	Population     int64
	MostDeprived   float64 // share of residents in decile 1
	EnglandShare   float64 // 10% by construction, but computed
	PopulationNote string
}

func (s *Server) deprivationProfile(ctx context.Context, a Area) ([]Deprivation, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := d.area(a.Code); !ok {
		return s.deprivationSQL(ctx, a)
	}
	type cell struct{ edition, decile int }
	counts := map[cell]*DecileRow{}
	var editions []int
	for _, m := range d.membersOf(a.Code, a.Level, 0) {
		for _, x := range d.imd[lsoaKey{m.lsoa.Code, m.lsoa.Vintage}] {
			c := cell{x.edition, x.decile}
			r := counts[c]
			if r == nil {
				r = &DecileRow{Decile: x.decile}
				counts[c] = r
				if !slices.Contains(editions, x.edition) {
					editions = append(editions, x.edition)
				}
			}
			r.LSOAs++
			r.Population += m.lsoa.Population
		}
	}
	slices.SortFunc(editions, func(x, y int) int { return y - x })
	var out []Deprivation
	for _, ed := range editions {
		dp := Deprivation{Edition: ed}
		for dec := 1; dec <= 10; dec++ {
			if r := counts[cell{ed, dec}]; r != nil {
				r.Colour = decilePalette[dec-1]
				dp.Rows = append(dp.Rows, *r)
				dp.LSOAs += r.LSOAs
				dp.Population += r.Population
			}
		}
		out = append(out, dp)
	}
	fillDeciles(out)
	return out, nil
}

func (s *Server) deprivationSQL(ctx context.Context, a Area) ([]Deprivation, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `
		SELECT i.edition, i.imd_decile, count(*), coalesce(sum(l.population), 0)
		FROM area_lsoas m
		JOIN imd i ON i.lsoa_code = m.lsoa_code AND i.lsoa_vintage = m.lsoa_vintage
		LEFT JOIN areas l ON l.code = m.lsoa_code AND l.vintage = m.lsoa_vintage AND l.level IN ('lsoa11', 'lsoa21')
		WHERE m.area_code = ? AND m.area_level = ?
		GROUP BY ALL ORDER BY 1 DESC, 2`, a.Code, a.Level)
	if err != nil {
		return nil, fmt.Errorf("deprivation profile %s: %w", a.Code, err)
	}
	defer rows.Close()
	var out []Deprivation
	for rows.Next() {
		var ed, dec, n int
		var pop int64
		if err := rows.Scan(&ed, &dec, &n, &pop); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Edition != ed {
			out = append(out, Deprivation{Edition: ed})
		}
		d := &out[len(out)-1]
		if dec < 1 || dec > 10 {
			continue
		}
		d.Rows = append(d.Rows, DecileRow{Decile: dec, LSOAs: n, Population: pop, Colour: decilePalette[dec-1]})
		d.LSOAs += n
		d.Population += pop
	}
	fillDeciles(out)
	return out, rows.Err()
}

// fillDeciles gives each edition all ten deciles and their shares.
func fillDeciles(out []Deprivation) {
	for i := range out {
		d := &out[i]
		full := make([]DecileRow, 10)
		for k := range full {
			full[k] = DecileRow{Decile: k + 1, Colour: decilePalette[k]}
		}
		for _, r := range d.Rows {
			full[r.Decile-1] = r
		}
		for k := range full {
			if d.Population > 0 {
				full[k].Share = float64(full[k].Population) / float64(d.Population)
			} else if d.LSOAs > 0 {
				full[k].Share = float64(full[k].LSOAs) / float64(d.LSOAs)
				d.PopulationNote = "Population estimates are not loaded for these neighbourhoods, so shares are of neighbourhoods, not residents."
			}
		}
		d.Rows = full
		d.MostDeprived = full[0].Share
	}
}

// MapView is a static SVG map, rendered on the server so it prints and
// works without JavaScript.
type MapView struct {
	SVG     template.HTML
	Caption string
	Legend  []DecileRow
}

// decileShape is one boundary of the deprivation map.
type decileShape struct {
	code, name string
	geom       orb.Geometry
	decile     int
}

// areaMap draws the area's LSOAs coloured by IMD decile (newest edition),
// or the area's own outline when it has no LSOAs loaded.
func (s *Server) areaMap(ctx context.Context, a Area) (*MapView, error) {
	shapes, err := s.areaMapShapes(ctx, a)
	if err != nil || len(shapes) == 0 {
		return nil, err
	}
	return drawDecileMap(a, shapes), nil
}

// areaMapShapes finds the deprivation map's boundaries in the directory
// and the map's boundary index (areaMapShapesSQL is the spec).
func (s *Server) areaMapShapes(ctx context.Context, a Area) ([]decileShape, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := d.area(a.Code); !ok {
		return s.areaMapShapesSQL(ctx, a)
	}
	ms := d.membersOf(a.Code, a.Level, 0)
	edition := 0
	for _, m := range ms {
		for _, x := range d.imd[lsoaKey{m.lsoa.Code, m.lsoa.Vintage}] {
			edition = max(edition, x.edition)
		}
	}
	vintage := d.maxVintage(a.Code, a.Level)
	switch {
	case edition == 2025:
		vintage = 2021
	case edition > 0:
		vintage = 2011
	}
	var shapes []decileShape
	if vintage > 0 {
		idx, err := s.lsoaLayer(ctx, vintage)
		if err != nil {
			return nil, fmt.Errorf("area map %s: %w", a.Code, err)
		}
		for _, m := range ms {
			if m.lsoa.Vintage != vintage {
				continue
			}
			f, ok := idx.feature(m.lsoa.Code)
			if !ok {
				continue
			}
			sh := decileShape{code: f.code, name: m.lsoa.Name, geom: f.geom[len(f.geom)-1].geometry()}
			for _, x := range d.imd[lsoaKey{m.lsoa.Code, m.lsoa.Vintage}] {
				if x.edition == edition {
					sh.decile = x.decile
				}
			}
			shapes = append(shapes, sh)
		}
	}
	slices.SortFunc(shapes, func(x, y decileShape) int { return cmp.Compare(x.code, y.code) })
	shapes = slices.CompactFunc(shapes, func(x, y decileShape) bool { return x.code == y.code })
	if len(shapes) > 3000 {
		shapes = shapes[:3000]
	}
	if len(shapes) == 0 {
		// No neighbourhoods: the area's own outline, from the map's layer.
		l, ok := findTileLayer(a.Level)
		if !ok || l.Level == "" {
			return nil, nil
		}
		v, err := s.tiles.version(ctx)
		if err != nil {
			return nil, err
		}
		idx, err := s.tiles.index(ctx, l, v.forLayer(l))
		if err != nil {
			return nil, fmt.Errorf("area map %s: %w", a.Code, err)
		}
		if f, ok := idx.feature(a.Code); ok {
			shapes = append(shapes, decileShape{code: a.Code, name: a.Name, geom: f.geom[len(f.geom)-1].geometry()})
		}
	}
	return shapes, nil
}

func (s *Server) areaMapShapesSQL(ctx context.Context, a Area) ([]decileShape, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `
		WITH ed AS (SELECT max(i.edition) AS edition FROM area_lsoas m JOIN imd i ON i.lsoa_code = m.lsoa_code AND i.lsoa_vintage = m.lsoa_vintage
		            WHERE m.area_code = $1 AND m.area_level = $2)
		SELECT l.code, l.name, l.geometry, i.imd_decile
		FROM area_lsoas m
		JOIN areas l ON l.code = m.lsoa_code AND l.vintage = m.lsoa_vintage AND l.level IN ('lsoa11', 'lsoa21')
		LEFT JOIN imd i ON i.lsoa_code = m.lsoa_code AND i.lsoa_vintage = m.lsoa_vintage AND i.edition = (SELECT edition FROM ed)
		WHERE m.area_code = $1 AND m.area_level = $2 AND l.geometry IS NOT NULL
		  AND m.lsoa_vintage = coalesce((SELECT CASE WHEN edition = 2025 THEN 2021 ELSE 2011 END FROM ed),
		                               (SELECT max(lsoa_vintage) FROM area_lsoas WHERE area_code = $1 AND area_level = $2))
		ORDER BY l.code LIMIT 3000`, a.Code, a.Level)
	if err != nil {
		return nil, fmt.Errorf("area map %s: %w", a.Code, err)
	}
	defer rows.Close()
	var shapes []decileShape
	for rows.Next() {
		var code string
		var name sql.NullString
		var b []byte
		var dec sql.NullInt32
		if err := rows.Scan(&code, &name, &b, &dec); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			continue
		}
		shapes = append(shapes, decileShape{code, name.String, g, int(dec.Int32)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(shapes) == 0 {
		var b []byte
		if err := s.db.SQL().QueryRowContext(ctx, `SELECT geometry FROM areas WHERE code = ? AND level = ?`, a.Code, a.Level).Scan(&b); err != nil || b == nil {
			return nil, nil
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, nil
		}
		shapes = append(shapes, decileShape{a.Code, a.Name, g, 0})
	}
	return shapes, nil
}

// drawDecileMap renders the deprivation map.
func drawDecileMap(a Area, shapes []decileShape) *MapView {
	var bound orb.Bound
	for i, sh := range shapes {
		if i == 0 {
			bound = sh.geom.Bound()
		} else {
			bound = bound.Union(sh.geom.Bound())
		}
	}
	const width, height, pad = 640.0, 480.0, 8.0
	kx := math.Cos((bound.Min[1] + bound.Max[1]) / 2 * math.Pi / 180)
	w, h := (bound.Max[0]-bound.Min[0])*kx, bound.Max[1]-bound.Min[1]
	scale := math.Min((width-2*pad)/math.Max(w, 1e-9), (height-2*pad)/math.Max(h, 1e-9))
	offX, offY := (width-w*scale)/2, (height-h*scale)/2
	project := func(p orb.Point) (float64, float64) {
		return offX + (p[0]-bound.Min[0])*kx*scale, height - offY - (p[1]-bound.Min[1])*scale
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="map-title map-desc" class="area-map">`, width, height)
	fmt.Fprintf(&b, `<title id="map-title">Map of %s</title>`, template.HTMLEscapeString(a.Name))
	desc := fmt.Sprintf("%d neighbourhoods, shaded by deprivation decile: darker is more deprived.", len(shapes))
	if len(shapes) == 1 && shapes[0].code == a.Code {
		desc = "The boundary of the area."
	}
	fmt.Fprintf(&b, `<desc id="map-desc">%s</desc>`, template.HTMLEscapeString(desc))
	for _, sh := range shapes {
		fill := "#dee0e2"
		if sh.decile >= 1 && sh.decile <= 10 {
			fill = decilePalette[sh.decile-1]
		}
		var d strings.Builder
		writeRings(&d, sh.geom, project)
		label := sh.name
		if sh.decile > 0 {
			label += fmt.Sprintf(": IMD decile %d", sh.decile)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="%s" fill-rule="evenodd" stroke="#ffffff" stroke-width="0.8"><title>%s</title></path>`,
			d.String(), fill, template.HTMLEscapeString(label))
	}
	b.WriteString(`</svg>`)
	mv := &MapView{SVG: template.HTML(b.String())}
	if len(shapes) > 1 || shapes[0].decile > 0 {
		mv.Caption = "Neighbourhoods (LSOAs) shaded by Index of Multiple Deprivation decile. Decile 1 is the most deprived 10% in England."
		for k := 0; k < 10; k++ {
			mv.Legend = append(mv.Legend, DecileRow{Decile: k + 1, Colour: decilePalette[k]})
		}
	}
	return mv
}

func (s *Server) areaGeoJSON(ctx context.Context, a Area) (*geojson.Geometry, error) {
	var b []byte
	if err := s.db.SQL().QueryRowContext(ctx, `SELECT geometry FROM areas WHERE code = ? AND level = ?`, a.Code, a.Level).Scan(&b); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, nil
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	return geojson.NewGeometry(g), nil
}
