package format

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/paulmach/orb"
)

// geoRow is one output row of a GeoReader, decoded for assertions. Slices
// are indexed by spec column; only the one matching the column type is set.
type geoRow struct {
	text     []string
	floats   []float64
	ints     []int64
	bools    []bool
	nulls    []bool
	geom     orb.Geometry
	bound    orb.Bound
	centroid orb.Point
	file     string
	line     int64
	raw      string
}

func (r geoRow) geomType() string {
	if r.geom == nil {
		return ""
	}
	return r.geom.GeoJSONType()
}

func geoAbs(f float64) float64 { return math.Abs(f) }

// geoRows decodes a record batch with the GeoReader schema.
func geoRows(t testing.TB, rec arrow.RecordBatch) []geoRow {
	t.Helper()
	n := int(rec.NumRows())
	rows := make([]geoRow, n)
	sc := rec.Schema()
	ncols := 0
	for i, f := range sc.Fields() {
		if f.Name == colGeometry {
			ncols = i
			break
		}
	}
	for i := range rows {
		rows[i] = geoRow{
			text: make([]string, ncols), floats: make([]float64, ncols), ints: make([]int64, ncols),
			bools: make([]bool, ncols), nulls: make([]bool, ncols),
		}
	}
	fl := func(name string) *array.Float64 {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s", name)
		}
		return rec.Column(idx[0]).(*array.Float64)
	}
	minx, miny, maxx, maxy := fl(colMinX), fl(colMinY), fl(colMaxX), fl(colMaxY)
	cx, cy := fl(colCentroidLon), fl(colCentroidLat)
	geomCol := rec.Column(ncols).(*array.Binary)
	for r := range n {
		row := &rows[r]
		for c := range ncols {
			col := rec.Column(c)
			row.nulls[c] = col.IsNull(r)
			switch a := col.(type) {
			case *array.String:
				row.text[c] = strings.Clone(a.Value(r)) // Value aliases the Arrow buffer
			case *array.Float64:
				row.floats[c] = a.Value(r)
			case *array.Int64:
				row.ints[c] = a.Value(r)
			case *array.Boolean:
				row.bools[c] = a.Value(r)
			}
		}
		if !geomCol.IsNull(r) {
			g, err := DecodeWKB(geomCol.Value(r))
			if err != nil {
				t.Fatalf("row %d: WKB: %v", r, err)
			}
			row.geom = g
		}
		row.bound = orb.Bound{Min: orb.Point{minx.Value(r), miny.Value(r)}, Max: orb.Point{maxx.Value(r), maxy.Value(r)}}
		row.centroid = orb.Point{cx.Value(r), cy.Value(r)}
		for i, f := range sc.Fields() {
			switch a := rec.Column(i).(type) {
			case *array.String:
				if f.Name == "source_file" {
					row.file = strings.Clone(a.Value(r))
				}
				if f.Name == "raw" {
					row.raw = strings.Clone(a.Value(r))
				}
			case *array.Int64:
				if f.Name == "line" {
					row.line = a.Value(r)
				}
			}
		}
	}
	return rows
}

// fixtureSpec reads the code, name, lon/lat, pop and flag properties.
func geoFixtureSpec() FileSpec {
	return FileSpec{
		Kind: "fixture",
		Columns: []Column{
			{Name: "code", Aliases: []string{"code"}, Required: true, NotNull: true, Pattern: regexp.MustCompile(`^E01\d{6}$`)},
			{Name: "name", Aliases: []string{"Name", "area_name"}},
			{Name: "lon", Type: Float},
			{Name: "lat", Type: Float},
			{Name: "pop", Type: Int, Aliases: []string{"pop", "population"}},
			{Name: "flag", Type: Bool},
			{Name: "note"},
		},
		Geometry:   true,
		FileColumn: "source_file",
		LineColumn: "line",
		RawColumn:  "raw",
	}
}

func readGeoFixture(t *testing.T, name string, spec FileSpec, opts ...Option) ([]geoRow, *GeoReader) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "geo", name))
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rd, err := NewGeoJSONReader(bytes.NewReader(data), name, spec, append([]Option{WithAllocator(mem)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rd.Release()
		mem.AssertSize(t, 0)
	})
	return readGeoAll(t, rd), rd
}

func geoNear(a, b orb.Point, tol float64) bool {
	return geoAbs(a[0]-b[0]) <= tol && geoAbs(a[1]-b[1]) <= tol
}

func TestGeoJSONFixturePrettyWithCRS(t *testing.T) {
	rows, rd := readGeoFixture(t, "fc_crs_pretty.geojson", geoFixtureSpec(), WithChunkSize(2))
	// Six features: 1 Polygon, 2 MultiPolygon, 3 null geometry, 4 unclosed
	// ring, 5 Point with a non-integer pop, 6 Point.
	st := rd.Stats()
	if st.DataLines != 6 || st.Rows != 3 || st.Rejected != 3 || st.Encoding != "utf-8" {
		t.Errorf("stats %+v", st)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	wantRej := []Reject{
		{File: "fc_crs_pretty.geojson", Line: 3, Column: "geometry", Value: "null"},
		{File: "fc_crs_pretty.geojson", Line: 4, Column: "geometry", Value: "Polygon bound [-2.6 53.4, -2.4 53.6]"},
		{File: "fc_crs_pretty.geojson", Line: 5, Column: "pop", Value: "many"},
	}
	rej := rd.Rejects()
	if len(rej) != len(wantRej) {
		t.Fatalf("rejects %v", rej)
	}
	for i, w := range wantRej {
		g := rej[i]
		if g.File != w.File || g.Line != w.Line || g.Column != w.Column || g.Value != w.Value {
			t.Errorf("reject %d = %+v, want %+v", i, g, w)
		}
	}
	if !strings.Contains(rej[1].Reason, "not closed") {
		t.Errorf("unclosed ring reason %q", rej[1].Reason)
	}

	a, b, z := rows[0], rows[1], rows[2]
	// Strings, string numbers, numbers, booleans and null.
	if a.text[0] != "E01000001" || a.text[1] != "Alpha" || a.floats[2] != -2.5 || a.floats[3] != 53.5 ||
		a.ints[4] != 1234 || !a.bools[5] || !a.nulls[6] || a.line != 1 || a.file != "fc_crs_pretty.geojson" {
		t.Errorf("row 1 %+v", a)
	}
	// 12345678901234567 is not a float64; it must arrive intact.
	if b.ints[4] != 12345678901234567 || b.floats[2] != -2.15 || b.floats[3] != 53.25 || b.bools[5] || b.nulls[5] || b.text[6] != "two squares" || b.line != 2 {
		t.Errorf("row 2 %+v", b)
	}
	// "-1.5e0" (string) and 5.35E1 (number), "2,500" with a separator.
	if z.floats[2] != -1.5 || z.floats[3] != 53.5 || z.ints[4] != 2500 || z.line != 6 || !z.nulls[5] {
		t.Errorf("row 6 %+v", z)
	}
	if a.raw != `{"code":"E01000001","Name":"Alpha","lon":"-2.5","lat":"53.5","pop":1234,"flag":true,"note":null}` {
		t.Errorf("raw %s", a.raw)
	}

	// Geometry, bound, centroid.
	wantA := orb.Polygon{{{-2.6, 53.4}, {-2.4, 53.4}, {-2.4, 53.6}, {-2.6, 53.6}, {-2.6, 53.4}}}
	if !orb.Equal(a.geom, wantA) {
		t.Errorf("geometry 1 %v", a.geom)
	}
	if a.bound != (orb.Bound{Min: orb.Point{-2.6, 53.4}, Max: orb.Point{-2.4, 53.6}}) || !geoNear(a.centroid, orb.Point{-2.5, 53.5}, 1e-12) {
		t.Errorf("row 1 bound %v centroid %v", a.bound, a.centroid)
	}
	if mp, ok := b.geom.(orb.MultiPolygon); !ok || len(mp) != 2 {
		t.Errorf("geometry 2 %v", b.geom)
	}
	if !geoNear(b.centroid, orb.Point{-2.15, 53.25}, 1e-12) || b.bound.Min != (orb.Point{-2.3, 53.2}) || b.bound.Max != (orb.Point{-2.0, 53.3}) {
		t.Errorf("row 2 bound %v centroid %v", b.bound, b.centroid)
	}
	if z.geom != (orb.Point{-1.5, 53.5}) || z.centroid != (orb.Point{-1.5, 53.5}) || z.bound.Min != z.bound.Max {
		t.Errorf("row 6 %v %v %v", z.geom, z.centroid, z.bound)
	}
}

func TestGeoJSONFixtureMinifiedNoCRS(t *testing.T) {
	spec := geoFixtureSpec()
	spec.Columns[0].Aliases = []string{"lsoa11cd", "CODE"} // matched as "code"
	rows, rd := readGeoFixture(t, "fc_minified.geojson", spec)
	if len(rows) != 2 || rd.Stats().Rejected != 0 || rd.Stats().DataLines != 2 {
		t.Fatalf("%d rows, stats %+v, rejects %v", len(rows), rd.Stats(), rd.Rejects())
	}
	a, b := rows[0], rows[1]
	if a.text[0] != "E01000011" || a.text[1] != "Eta" || a.floats[2] != -2.45 || a.floats[3] != 53.55 || !a.nulls[4] {
		t.Errorf("row 1 %+v", a)
	}
	if b.text[0] != "E01000012" || b.floats[2] != -2.05 || b.floats[3] != 53.25 {
		t.Errorf("row 2 %+v", b)
	}
	// Polygon with a hole: outer 0.1 x 0.1 (centroid -2.45, 53.55), hole
	// 0.02 x 0.02 at (-2.47, 53.53): (0.01*c - 0.0004*h) / 0.0096.
	p, ok := a.geom.(orb.Polygon)
	if !ok || len(p) != 2 {
		t.Fatalf("geometry %v", a.geom)
	}
	want := orb.Point{(0.01*-2.45 - 0.0004*-2.47) / 0.0096, (0.01*53.55 - 0.0004*53.53) / 0.0096}
	if !geoNear(a.centroid, want, 1e-9) {
		t.Errorf("centroid %v, want %v", a.centroid, want)
	}
}

func TestGeoJSONFixtureBNGCRS(t *testing.T) {
	spec := FileSpec{Kind: "bng", Geometry: true, Columns: []Column{{Name: "code"}}}
	rows, rd := readGeoFixture(t, "bng_crs.geojson", spec)
	if len(rows) != 2 || rd.Stats().Rejected != 0 {
		t.Fatalf("%d rows, rejects %v", len(rows), rd.Rejects())
	}
	// OS test point BLAC: E 331534.552 N 431920.792 is ETRS89
	// 53.779110257 N, 3.040454907 W (OSTN15). Helmert is good to ~5 m:
	// 1e-4 deg is 7-11 m here.
	blac := orb.Point{-3.040454906944444, 53.77911025694444}
	if !geoNear(rows[1].centroid, blac, 1e-4) || !geoNear(rows[0].centroid, blac, 1e-4) {
		t.Errorf("centroids %v %v, want about %v", rows[0].centroid, rows[1].centroid, blac)
	}
	// The 100 m square is about 0.0015 deg wide and 0.0009 deg high.
	w, h := rows[0].bound.Max[0]-rows[0].bound.Min[0], rows[0].bound.Max[1]-rows[0].bound.Min[1]
	if geoAbs(w-0.00152) > 0.00005 || geoAbs(h-0.0009) > 0.00003 {
		t.Errorf("square %g x %g deg", w, h)
	}
}

func TestGeoJSONVariants(t *testing.T) {
	spec := FileSpec{Kind: "v", Geometry: true, Columns: []Column{{Name: "code"}, {Name: "n", Type: Int}}}
	sq := `[[[-2,53],[-1,53],[-1,54],[-2,54],[-2,53]]]`
	bngSq := `[[[330000,430000],[331000,430000],[331000,431000],[330000,431000],[330000,430000]]]`
	tests := []struct {
		name    string
		in      string
		rows    int
		rejects int
		errLike string
		check   func(t *testing.T, rows []geoRow)
	}{
		{name: "bare feature", in: `{"properties":{"code":"x","n":3},"type":"Feature","geometry":{"type":"Polygon","coordinates":` + sq + `}}`, rows: 1,
			check: func(t *testing.T, rows []geoRow) {
				if rows[0].text[0] != "x" || rows[0].ints[1] != 3 || rows[0].line != 1 {
					t.Errorf("%+v", rows[0])
				}
			}},
		{name: "bare geometry", in: `{"type":"Polygon","coordinates":` + sq + `}`, rows: 1,
			check: func(t *testing.T, rows []geoRow) {
				if !rows[0].nulls[0] || !geoNear(rows[0].centroid, orb.Point{-1.5, 53.5}, 1e-12) {
					t.Errorf("%+v", rows[0])
				}
			}},
		{name: "BOM and members after features", in: "\ufeff" + `{"features":[{"type":"Feature","properties":{"code":"a"},"geometry":{"type":"Polygon","coordinates":` + sq + `}}],"crs":{"type":"name","properties":{"name":"EPSG:4326"}},"type":"FeatureCollection"}`, rows: 1},
		{name: "BNG without crs is converted", in: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":` + bngSq + `}}]}`, rows: 1,
			check: func(t *testing.T, rows []geoRow) {
				c := rows[0].centroid
				if c[0] < -3.1 || c[0] > -3.0 || c[1] < 53.7 || c[1] > 53.8 {
					t.Errorf("centroid %v not near Blackpool", c)
				}
			}},
		{name: "BNG with CRS84 crs is rejected", in: `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":` + bngSq + `}}]}`, rejects: 1},
		{name: "old-style EPSG crs", in: `{"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":27700}},"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[331534.552,431920.792]}}]}`, rows: 1},
		{name: "unsupported crs", in: `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}`, errLike: "unsupported crs"},
		{name: "topology", in: `{"type":"Topology","objects":{},"arcs":[]}`, errLike: "TopoJSON"},
		{name: "not json", in: `<html>`, errLike: "not JSON"},
		{name: "empty collection", in: `{"type":"FeatureCollection","features":[]}`},
		{name: "truncated", in: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}},{"type":"Feat`, rows: 0, errLike: "line 2"},
		{name: "bad geometry type", in: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Circle","coordinates":[1,2]}}]}`, rejects: 1},
		{name: "bad coordinates", in: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[["a"]]}}]}`, rejects: 1},
		{name: "NaN-free out of range", in: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[200,95]}}]}`, rejects: 1},
		{name: "not a feature", in: `{"type":"FeatureCollection","features":[{"type":"Polygon","coordinates":` + sq + `},{"type":"Thing"}]}`, rows: 1, rejects: 1},
		{name: "feature of the wrong shape", in: `{"type":"FeatureCollection","features":[5,{"type":7},{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, rows: 1, rejects: 2},
		{name: "properties not object", in: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":[1],"geometry":{"type":"Point","coordinates":[1,2]}}]}`, rejects: 1},
		{name: "nested property and GeometryCollection", in: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":{"a":[1, 2]}},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"Polygon","coordinates":` + sq + `}]}}]}`, rows: 1,
			check: func(t *testing.T, rows []geoRow) {
				if rows[0].text[0] != `{"a":[1,2]}` || rows[0].geomType() != "GeometryCollection" || !geoNear(rows[0].centroid, orb.Point{-1.5, 53.5}, 1e-12) {
					t.Errorf("%+v", rows[0])
				}
			}},
		{name: "trailing garbage", in: `{"type":"FeatureCollection","features":[]} {}`, errLike: "after the top-level object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := spec
			spec.LineColumn = "line"
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rd, err := NewGeoJSONReader(strings.NewReader(tc.in), "v.geojson", spec, WithAllocator(mem))
			if err != nil {
				var pe *ParseError
				if tc.errLike == "" || !strings.Contains(err.Error(), tc.errLike) || !errors.As(err, &pe) || pe.File != "v.geojson" {
					t.Fatalf("error %v, want one like %q", err, tc.errLike)
				}
				return
			}
			defer rd.Release()
			var rows []geoRow
			for rd.Next() {
				rows = append(rows, geoRows(t, rd.RecordBatch())...)
			}
			err = rd.Err()
			if (err == nil) != (tc.errLike == "") || err != nil && !strings.Contains(err.Error(), tc.errLike) {
				t.Fatalf("Err() = %v, want one like %q", err, tc.errLike)
			}
			if len(rows) != tc.rows || rd.Stats().Rejected != tc.rejects {
				t.Fatalf("%d rows, %d rejected (%v); want %d, %d", len(rows), rd.Stats().Rejected, rd.Rejects(), tc.rows, tc.rejects)
			}
			for _, rj := range rd.Rejects() {
				if rj.Line < 1 || (rj.Column != colGeometry && rj.Column != "") || rj.Reason == "" {
					t.Errorf("reject %+v", rj)
				}
			}
			if tc.check != nil {
				tc.check(t, rows)
			}
		})
	}
}

func TestGeoJSONRequiredProperty(t *testing.T) {
	spec := FileSpec{Kind: "r", Geometry: true, Columns: []Column{{Name: "lsoa11cd", Required: true}}}
	in := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"x"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`
	rd, err := NewGeoJSONReader(strings.NewReader(in), "r.geojson", spec)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	if rd.Next() {
		t.Fatal("Next = true")
	}
	var pe *ParseError
	if !errors.As(rd.Err(), &pe) || pe.Line != 1 || !strings.Contains(pe.Error(), "lsoa11cd") {
		t.Fatalf("Err() = %v", rd.Err())
	}
}

func TestGeoJSONMaxRejectsAndRetain(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range 5 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"type":"Feature","properties":{},"geometry":null}`)
	}
	b.WriteString(`]}`)
	rd, err := NewGeoJSONReader(strings.NewReader(b.String()), "n.geojson", FileSpec{Geometry: true}, WithMaxRejects(2))
	if err != nil {
		t.Fatal(err)
	}
	rd.Retain()
	rd.Release()
	defer rd.Release()
	for rd.Next() {
		t.Fatal("a row from only null geometries")
	}
	if rd.Err() != nil || rd.Stats().Rejected != 5 || len(rd.Rejects()) != 2 || rd.Rejects()[1].Line != 2 {
		t.Fatalf("err %v stats %+v rejects %v", rd.Err(), rd.Stats(), rd.Rejects())
	}
}

// TestGeoJSONPanicBecomesReject drives the recover path: orb's decoder
// dereferences a null member of a GeometryCollection, which must become a
// reject, not a crash.
func TestGeoJSONPanicBecomesReject(t *testing.T) {
	if _, err := unmarshalGeometry([]byte(`{"type":"GeometryCollection","geometries":[null]}`)); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("err = %v, want a recovered panic", err)
	}
	in := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[null]}},` +
		`{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}`
	rd, err := NewGeoJSONReader(strings.NewReader(in), "p.geojson", FileSpec{Geometry: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	n := 0
	for rd.Next() {
		n += int(rd.RecordBatch().NumRows())
	}
	if rd.Err() != nil || n != 1 || len(rd.Rejects()) != 1 || rd.Rejects()[0].Line != 1 || !strings.Contains(rd.Rejects()[0].Reason, "panicked") {
		t.Fatalf("err %v, %d rows, rejects %v", rd.Err(), n, rd.Rejects())
	}
}
