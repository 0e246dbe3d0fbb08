package geo_test

import (
	"compress/gzip"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"commonground/ingest/geo"
)

func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func build(t *testing.T, areas ...geo.Area) *geo.Index {
	t.Helper()
	ix, err := geo.Build(areas)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestLocateSharedEdgeIsDeterministic(t *testing.T) {
	left := geo.Area{Code: "E01000002", Geometry: orb.Polygon{square(0, 0, 1, 1)}}
	right := geo.Area{Code: "E01000001", Geometry: orb.Polygon{square(1, 0, 2, 1)}}
	for _, order := range [][]geo.Area{{left, right}, {right, left}} {
		ix := build(t, order...)
		for _, c := range []struct {
			p    orb.Point
			want string
			ok   bool
		}{
			{orb.Point{0.5, 0.5}, "E01000002", true},
			{orb.Point{1.5, 0.5}, "E01000001", true},
			{orb.Point{1, 0.5}, "E01000001", true}, // on the shared edge: the first code wins
			{orb.Point{1, 1}, "E01000001", true},   // shared corner
			{orb.Point{0, 0}, "E01000002", true},   // outer corner: boundary counts as inside
			{orb.Point{2.5, 0.5}, "", false},
			{orb.Point{math.NaN(), 0.5}, "", false},
		} {
			got, ok := ix.Locate(c.p)
			if got != c.want || ok != c.ok {
				t.Errorf("order %s,%s: Locate(%v) = %q, %v; want %q, %v", order[0].Code, order[1].Code, c.p, got, ok, c.want, c.ok)
			}
		}
	}
}

func TestLocateHolesAndMultiPolygons(t *testing.T) {
	ring := geo.Area{Code: "B", Geometry: orb.Polygon{square(0, 0, 10, 10), square(4, 4, 6, 6)}}
	inHole := geo.Area{Code: "C", Geometry: orb.Polygon{square(4.5, 4.5, 5.5, 5.5)}}
	islands := geo.Area{Code: "A", Geometry: orb.MultiPolygon{{square(20, 0, 21, 1)}, {square(30, 0, 31, 1)}}}
	ix := build(t, ring, inHole, islands)
	if ix.Len() != 3 {
		t.Errorf("Len = %d", ix.Len())
	}
	for p, want := range map[orb.Point]string{
		{1, 1}:       "B",
		{4.2, 4.2}:   "", // in B's hole, outside C
		{5, 5}:       "C",
		{30.5, 0.5}:  "A",
		{20.5, 0.5}:  "A",
		{25, 0.5}:    "", // between the islands, inside A's overall box
		{-1, -1}:     "",
		{10, 5}:      "B",
		{5.75, 5.75}: "",
	} {
		if got, _ := ix.Locate(p); got != want {
			t.Errorf("Locate(%v) = %q, want %q", p, got, want)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	p := orb.Polygon{square(0, 0, 1, 1)}
	if _, err := geo.Build([]geo.Area{{Code: "X", Geometry: p}, {Code: "X", Geometry: p}}); !errors.Is(err, geo.ErrDuplicateCode) {
		t.Errorf("duplicate code: %v", err)
	}
	if _, err := geo.Build([]geo.Area{{Code: "X", Geometry: orb.Point{1, 1}}}); err == nil || !strings.Contains(err.Error(), "not a polygon") {
		t.Errorf("point: %v", err)
	}
	if _, err := geo.AreaFromWKB("X", []byte{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "area X") {
		t.Errorf("bad WKB: %v", err)
	}
	ix := build(t) // empty index
	if _, ok := ix.Locate(orb.Point{0, 0}); ok {
		t.Error("empty index located a point")
	}
}

func TestAreaFromWKB(t *testing.T) {
	mp := orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(2, 0, 3, 1)}}
	a, err := geo.AreaFromWKB("M", wkb.MustMarshal(mp))
	if err != nil {
		t.Fatal(err)
	}
	ix := build(t, a)
	if got, ok := ix.Locate(orb.Point{2.5, 0.5}); !ok || got != "M" {
		t.Errorf("Locate = %q, %v", got, ok)
	}
}

// sharedData is ../shared/data beside the checkout, or
// $COMMONGROUND_SHARED_DATA.
func sharedData(tb testing.TB) string {
	tb.Helper()
	d := os.Getenv("COMMONGROUND_SHARED_DATA")
	if d == "" {
		var err error
		if d, err = filepath.Abs("../../../shared/data"); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(d, "SOURCES.md")); err != nil {
		if os.Getenv("COMMONGROUND_SKIP_REAL_DATA") != "" {
			tb.Skip("real data not available and COMMONGROUND_SKIP_REAL_DATA is set")
		}
		tb.Fatalf("real data not found at %s (set COMMONGROUND_SHARED_DATA)", d)
	}
	return d
}

// readAreas reads a GeoJSON FeatureCollection (optionally gzipped) with
// orb/geojson, taking the code from the first property of props present.
func readAreas(tb testing.TB, path string, props ...string) []geo.Area {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	var out []geo.Area
	for _, ft := range fc.Features {
		code := ""
		for _, p := range props {
			if code = ft.Properties.MustString(p, ""); code != "" {
				break
			}
		}
		if code == "" {
			tb.Fatalf("%s: feature without %v", path, props)
		}
		out = append(out, geo.Area{Code: code, Geometry: ft.Geometry})
	}
	return out
}

// crossings is an independent even-odd ray-casting test (no orb/planar):
// the number of ring edges a ray from p towards +x crosses.
func crossings(r orb.Ring, p orb.Point) int {
	n := 0
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if p[0] < x {
				n++
			}
		}
	}
	return n
}

func bruteContains(g orb.Geometry, p orb.Point) bool {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	for _, poly := range polys {
		n := 0
		for _, r := range poly {
			n += crossings(r, p)
		}
		if n%2 == 1 {
			return true
		}
	}
	return false
}

// The index must agree with a brute-force scan of every polygon (lowest code
// first) on random points across Greater Manchester's LSOA 2021 boundaries.
func TestLocateMatchesBruteForceGM(t *testing.T) {
	areas := readAreas(t, filepath.Join(sharedData(t), "boundaries/greater_manchester/gm_lsoa21_generalised.geojson"), "area_code")
	if len(areas) != 1702 {
		t.Fatalf("%d areas, want 1702", len(areas))
	}
	ix := build(t, areas...)
	byCode := slices.Clone(areas)
	sort.Slice(byCode, func(i, j int) bool { return byCode[i].Code < byCode[j].Code })
	var bound orb.Bound
	for i, a := range areas {
		if i == 0 {
			bound = a.Geometry.Bound()
		}
		bound = bound.Union(a.Geometry.Bound())
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	hits := 0
	for range 2000 {
		p := orb.Point{bound.Min[0] + rng.Float64()*(bound.Max[0]-bound.Min[0]), bound.Min[1] + rng.Float64()*(bound.Max[1]-bound.Min[1])}
		want := ""
		for _, a := range byCode {
			if bruteContains(a.Geometry, p) {
				want = a.Code
				break
			}
		}
		got, ok := ix.Locate(p)
		if got != want || ok != (want != "") {
			t.Errorf("Locate(%v) = %q, %v; brute force %q", p, got, ok, want)
		}
		if ok {
			hits++
		}
	}
	// GM fills roughly half of its bounding box; make sure the test bites.
	if hits < 800 || hits > 1800 {
		t.Errorf("%d of 2000 random points in GM LSOAs; expected roughly half", hits)
	}
	t.Logf("%d of 2000 random points fell in a GM LSOA", hits)
}
