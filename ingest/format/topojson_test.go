package format

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/paulmach/orb"
)

func readTopoFixture(t *testing.T, object string) ([]geoRow, *GeoReader) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "geo", "topo_squares.json"))
	if err != nil {
		t.Fatal(err)
	}
	spec := FileSpec{Kind: "topo", Geometry: true, LineColumn: "line", Columns: []Column{{Name: "code", NotNull: true}, {Name: "n", Type: Int}}}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rd, err := NewTopoJSONReader(bytes.NewReader(data), "topo_squares.json", spec, object, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rd.Release()
		mem.AssertSize(t, 0)
	})
	return readGeoAll(t, rd), rd
}

// The fixture holds two unit squares side by side, quantized with scale 0.5
// and translate (-3, 53): A is lon -3..-2, B is lon -2..-1, lat 53..54. They
// share arc 0 (the edge lon -2 from south to north), which B uses reversed
// (~0 = -1). Arcs are delta-encoded.
func TestTopoJSONSquares(t *testing.T) {
	for _, object := range []string{"", "squares"} {
		rows, rd := readTopoFixture(t, object)
		if len(rows) != 3 {
			t.Fatalf("object %q: %d rows, rejects %v", object, len(rows), rd.Rejects())
		}
		wantA := orb.Polygon{{{-2, 53}, {-2, 54}, {-3, 54}, {-3, 53}, {-2, 53}}}
		wantB := orb.Polygon{{{-2, 53}, {-1, 53}, {-1, 54}, {-2, 54}, {-2, 53}}}
		if !orb.Equal(rows[0].geom, wantA) {
			t.Errorf("A = %v, want %v", rows[0].geom, wantA)
		}
		if !orb.Equal(rows[1].geom, wantB) {
			t.Errorf("B = %v, want %v", rows[1].geom, wantB)
		}
		if !orb.Equal(rows[2].geom, orb.MultiPolygon{wantA, wantB}) {
			t.Errorf("AB = %v", rows[2].geom)
		}
		if rows[0].text[0] != "A" || rows[0].ints[1] != 1 || rows[1].text[0] != "B" || rows[2].text[0] != "AB" || rows[2].line != 4 {
			t.Errorf("properties %+v %+v %+v", rows[0], rows[1], rows[2])
		}
		if rows[0].centroid != (orb.Point{-2.5, 53.5}) || rows[1].centroid != (orb.Point{-1.5, 53.5}) || !geoNear(rows[2].centroid, orb.Point{-2, 53.5}, 1e-12) {
			t.Errorf("centroids %v %v %v", rows[0].centroid, rows[1].centroid, rows[2].centroid)
		}
		if rows[2].bound != (orb.Bound{Min: orb.Point{-3, 53}, Max: orb.Point{-1, 54}}) {
			t.Errorf("bound %v", rows[2].bound)
		}
		// Geometry of type null: feature 3, rejected.
		rj := rd.Rejects()
		if len(rj) != 1 || rj[0].Line != 3 || rj[0].Column != "geometry" || rd.Stats().DataLines != 4 {
			t.Errorf("rejects %v stats %+v", rj, rd.Stats())
		}
	}
}

func TestTopoJSONPoints(t *testing.T) {
	rows, _ := readTopoFixture(t, "places")
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	// Point and MultiPoint positions are quantized but not delta-encoded.
	if rows[0].geom != (orb.Point{-1, 55}) {
		t.Errorf("P = %v", rows[0].geom)
	}
	if !orb.Equal(rows[1].geom, orb.MultiPoint{{-3, 53}, {-1, 54}}) || rows[1].centroid != (orb.Point{-2, 53.5}) {
		t.Errorf("MP = %v centroid %v", rows[1].geom, rows[1].centroid)
	}
}

func TestTopoJSONVariants(t *testing.T) {
	spec := FileSpec{Kind: "t", Geometry: true, Columns: []Column{{Name: "code"}}}
	tests := []struct {
		name, in, object string
		rows, rejects    int
		errLike          string
		want             orb.Geometry
	}{
		{name: "no transform, absolute arcs, single object",
			in:   `{"type":"Topology","arcs":[[[0,0],[1,0],[1,1]],[[1,1],[0,1],[0,0]]],"objects":{"x":{"type":"Polygon","arcs":[[0,1]]}}}`,
			rows: 1, want: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}},
		{name: "reversed single arc and LineString",
			in:   `{"type":"Topology","arcs":[[[0,0],[1,0],[1,1]]],"objects":{"x":{"type":"LineString","arcs":[-1]}}}`,
			rows: 1, want: orb.LineString{{1, 1}, {1, 0}, {0, 0}}},
		{name: "arc out of range",
			in:      `{"type":"Topology","arcs":[],"objects":{"x":{"type":"GeometryCollection","geometries":[{"type":"Polygon","arcs":[[5]]}]}}}`,
			rejects: 1},
		{name: "unknown object", object: "nope",
			in:      `{"type":"Topology","arcs":[],"objects":{"x":{"type":"GeometryCollection","geometries":[]}}}`,
			errLike: `no object "nope"`},
		{name: "not a topology", in: `{"type":"FeatureCollection","features":[]}`, errLike: "not a TopoJSON topology"},
		{name: "BNG crs on object",
			in:   `{"type":"Topology","arcs":[],"objects":{"x":{"type":"Point","crs":{"type":"name","properties":{"name":"EPSG:27700"}},"coordinates":[331534.552,431920.792]}}}`,
			rows: 1},
		{name: "unsupported crs", in: `{"type":"Topology","crs":{"type":"name","properties":{"name":"EPSG:2157"}},"arcs":[],"objects":{}}`, errLike: "unsupported crs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := NewTopoJSONReader(strings.NewReader(tc.in), "t.json", spec, tc.object)
			if err != nil {
				var pe *ParseError
				if tc.errLike == "" || !strings.Contains(err.Error(), tc.errLike) || !errors.As(err, &pe) {
					t.Fatalf("error %v, want one like %q", err, tc.errLike)
				}
				return
			}
			defer rd.Release()
			if tc.errLike != "" {
				t.Fatalf("no error, want one like %q", tc.errLike)
			}
			rows := readGeoAll(t, rd)
			if len(rows) != tc.rows || rd.Stats().Rejected != tc.rejects {
				t.Fatalf("%d rows %d rejected (%v)", len(rows), rd.Stats().Rejected, rd.Rejects())
			}
			if tc.want != nil && !orb.Equal(rows[0].geom, tc.want) {
				t.Errorf("geometry %v, want %v", rows[0].geom, tc.want)
			}
		})
	}
}

func TestIsTopoJSON(t *testing.T) {
	for in, want := range map[string]bool{
		`{"type":"Topology","objects":{}}`:                                  true,
		"{\n  \"type\" : \"Topology\"":                                      true,
		`{"type":"FeatureCollection","features":[]}`:                        false,
		`{"objects":{},` + strings.Repeat(" ", 5000) + `"type":"Topology"}`: false,
	} {
		if got := IsTopoJSON([]byte(in)); got != want {
			t.Errorf("IsTopoJSON(%.40q) = %v", in, got)
		}
	}
}
