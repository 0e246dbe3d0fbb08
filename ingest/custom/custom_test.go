package custom_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/custom"
	"commonground/ingest/format"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// sharedData is ../shared/data beside the checkout, or
// $COMMONGROUND_SHARED_DATA (as in ingest/realdata_test.go).
func sharedData(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("COMMONGROUND_SHARED_DATA"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../../shared/data")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "SOURCES.md")); err != nil {
		if os.Getenv("COMMONGROUND_SKIP_REAL_DATA") != "" {
			t.Skip("real data not available and COMMONGROUND_SKIP_REAL_DATA is set")
		}
		t.Fatalf("real data not found at %s (CI keeps ../shared beside the checkout; set COMMONGROUND_SHARED_DATA)", d)
	}
	return d
}

const (
	lsoa11File      = "boundaries/lsoa2011_by_lad/E08000009.json.gz"
	lsoa21File      = "boundaries/greater_manchester/gm_lsoa21_generalised.geojson"
	localitiesFile  = "boundaries/custom_areas/trafford_localities_2023_generalised.geojson"
	clustersFile    = "boundaries/custom_areas/trafford_creative_clusters_2024_generalised.geojson"
	sapeFile        = "population/pop_table_SAPE20DT1_mid2017_population_estimates.csv"
	census2021File  = "population/census2021/census21_pop_lsoa21_age6_derived.csv.gz"
	censusDataset   = "population-census2021"
	sapeDataset     = "population-sape"
	tolerance       = 1e-9
	traffordLAD     = "E08000009"
	traffordLSOA21N = 139 // Trafford 001A.. in the GM file: grep -o '"Trafford [0-9]*[A-Z]"' | sort -u | wc -l
)

// openTrafford loads Trafford's LSOA 2011 boundaries, Greater Manchester's
// LSOA 2021 boundaries and both population datasets through the ingest
// pipeline into a new warehouse.
func openTrafford(t *testing.T) (*warehouse.DB, string) {
	t.Helper()
	dd := sharedData(t)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	db, err := warehouse.Open(t.Context(), filepath.Join(t.TempDir(), "custom.duckdb"), warehouse.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: t.TempDir(), Logger: log, Backoff: time.Millisecond}, Logger: log}
	for _, l := range []struct{ id, file string }{
		{"boundaries-lsoa11", lsoa11File}, {"boundaries-lsoa21", lsoa21File},
		{sapeDataset, sapeFile}, {censusDataset, census2021File},
	} {
		ds, err := catalog.ByID(l.id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(t.Context(), ds, []string{filepath.Join(dd, l.file)}); err != nil {
			t.Fatal(err)
		}
	}
	return db, dd
}

// rawFC reads a GeoJSON FeatureCollection (gzipped or not) with orb alone,
// independently of the code under test.
func rawFC(t *testing.T, path string) *geojson.FeatureCollection {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// lsoaPoint is an LSOA with its centroid by orb's planar.CentroidArea (not
// format.Centroid, which the ingest used).
type lsoaPoint struct {
	code string
	c    orb.Point
	geom orb.Geometry
}

func lsoaPoints(t *testing.T, path string, codeProp string, keep func(props geojson.Properties) bool) []lsoaPoint {
	var out []lsoaPoint
	for _, f := range rawFC(t, path).Features {
		if keep != nil && !keep(f.Properties) {
			continue
		}
		c, _ := planar.CentroidArea(f.Geometry)
		out = append(out, lsoaPoint{code: f.Properties.MustString(codeProp), c: c, geom: f.Geometry})
	}
	return out
}

// inside is brute-force point in polygon over raw geometry.
func inside(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		for _, poly := range g {
			if planar.PolygonContains(poly, p) {
				return true
			}
		}
	}
	return false
}

// bruteForce lists, for each raw area, the LSOAs whose centroid it holds.
func bruteForce(areas []*geojson.Feature, lsoas []lsoaPoint) [][]string {
	out := make([][]string, len(areas))
	for i, a := range areas {
		for _, l := range lsoas {
			if inside(a.Geometry, l.c) {
				out[i] = append(out[i], l.code)
			}
		}
		sort.Strings(out[i])
	}
	return out
}

func members(t *testing.T, db *warehouse.DB, code string, vintage int) []string {
	t.Helper()
	rows, err := db.SQL().QueryContext(t.Context(), `SELECT lsoa_code FROM area_members WHERE area_code = ? AND area_level = 'custom' AND lsoa_vintage = ? ORDER BY lsoa_code`, code, vintage)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func one[T any](t *testing.T, db *warehouse.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.SQL().QueryRowContext(t.Context(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// addEach adds every feature of a file as its own area, named by
// area_name, as `areas add --each --name-property area_name` does.
func addEach(t *testing.T, db *warehouse.DB, path string) map[string]*custom.Area {
	t.Helper()
	f, err := custom.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*custom.Area{}
	for _, ft := range f.Features {
		name := ft.Name("area_name")
		a, err := custom.Add(t.Context(), db, custom.Spec{Name: name, Geometry: ft.Geometry})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = a
	}
	return out
}

func TestTraffordLocalities(t *testing.T) {
	db, dd := openTrafford(t)
	added := addEach(t, db, filepath.Join(dd, localitiesFile))
	localities := rawFC(t, filepath.Join(dd, localitiesFile)).Features
	if len(added) != 4 || len(localities) != 4 {
		t.Fatalf("added %d localities, the file has %d; want 4", len(added), len(localities))
	}
	lsoa11 := lsoaPoints(t, filepath.Join(dd, lsoa11File), "LSOA11CD", nil)
	lsoa21 := lsoaPoints(t, filepath.Join(dd, lsoa21File), "area_code", func(p geojson.Properties) bool {
		return strings.HasPrefix(p.MustString("area_name"), "Trafford ")
	})
	if len(lsoa11) != 138 || len(lsoa21) != traffordLSOA21N {
		t.Fatalf("raw files: %d LSOA 2011, %d LSOA 2021 in Trafford; want 138 and %d", len(lsoa11), len(lsoa21), traffordLSOA21N)
	}

	t.Run("tile the borough", func(t *testing.T) {
		// (a) Each Trafford LSOA 2011 whose centroid is in some locality is
		// in exactly one, by brute force, and the warehouse agrees.
		for _, vt := range []struct {
			vintage int
			lsoas   []lsoaPoint
		}{{2011, lsoa11}, {2021, lsoa21}} {
			want := map[string]string{} // LSOA -> locality
			for _, l := range vt.lsoas {
				var in []string
				for _, loc := range localities {
					if inside(loc.Geometry, l.c) {
						in = append(in, loc.Properties.MustString("area_name"))
					}
				}
				if len(in) > 1 {
					t.Errorf("%d: brute force puts %s in %v: the localities overlap", vt.vintage, l.code, in)
				}
				if len(in) == 1 {
					want[l.code] = in[0]
				}
			}
			if len(want) != len(vt.lsoas) {
				t.Errorf("%d: %d of %d Trafford LSOAs have their centroid in a locality; the localities should tile the borough", vt.vintage, len(want), len(vt.lsoas))
			}
			got := map[string]string{}
			for name, a := range added {
				for _, code := range members(t, db, a.Code, vt.vintage) {
					if prev, dup := got[code]; dup {
						t.Errorf("%d: %s is in both %s and %s", vt.vintage, code, prev, name)
					}
					got[code] = name
				}
			}
			for code, name := range want {
				if got[code] != name {
					t.Errorf("%d: %s is in %q, brute force says %q", vt.vintage, code, got[code], name)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d: %d LSOAs assigned, brute force %d", vt.vintage, len(got), len(want))
			}
		}
	})

	t.Run("make-up of North", func(t *testing.T) {
		// (b) North's LSOAs and population, computed independently.
		var north *geojson.Feature
		for _, f := range localities {
			if f.Properties.MustString("area_name") == "North" {
				north = f
			}
		}
		a := added["North"]
		want11 := bruteForce([]*geojson.Feature{north}, lsoa11)[0]
		want21 := bruteForce([]*geojson.Feature{north}, lsoa21)[0]
		if got := members(t, db, a.Code, 2011); !slices.Equal(got, want11) {
			t.Errorf("North 2011:\n got %v\nwant %v", got, want11)
		}
		if got := members(t, db, a.Code, 2021); !slices.Equal(got, want21) {
			t.Errorf("North 2021:\n got %v\nwant %v", got, want21)
		}
		// Population: Census 2021 (the newest estimates) summed straight
		// from the population table over the brute-force LSOAs.
		in := "'" + strings.Join(want21, "','") + "'"
		wantPop := one[int64](t, db, `SELECT sum(population) FROM population WHERE dataset = ? AND sex = 'persons' AND age_band = 'all' AND area_code IN (`+in+`)`, censusDataset)
		if got := one[int64](t, db, `SELECT population FROM areas WHERE code = ? AND level = 'custom'`, a.Code); got != wantPop {
			t.Errorf("North population %d, population table sums to %d", got, wantPop)
		}
		if !a.Population.Valid || a.Population.Int64 != wantPop || a.PopulationYear != 2021 || a.PopulationVintage != 2021 {
			t.Errorf("North: population %v year %d vintage %d, want %d, 2021, 2021", a.Population, a.PopulationYear, a.PopulationVintage, wantPop)
		}
		// Each member's population is its own row of the population table.
		in11 := "'" + strings.Join(want11, "','") + "'"
		want11Pop := one[int64](t, db, `SELECT sum(population) FROM population WHERE dataset = ? AND sex = 'persons' AND age_band = 'all' AND area_code IN (`+in11+`)`, sapeDataset)
		if got := one[int64](t, db, `SELECT sum(population) FROM area_members WHERE area_code = ? AND lsoa_vintage = 2011`, a.Code); got != want11Pop {
			t.Errorf("North 2011 members sum to %d, SAPE mid-2017 gives %d", got, want11Pop)
		}
		if a.LADCode != traffordLAD || a.LADShare != 1 {
			t.Errorf("North: local authority %s (%.3f), want %s (all of it)", a.LADCode, a.LADShare, traffordLAD)
		}
		// Show reads back what Add stored.
		s, err := custom.Show(t.Context(), db, a.Code)
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != "North" || s.Population != a.Population || s.LADCode != a.LADCode || len(s.Vintages) != 2 {
			t.Fatalf("Show: %+v", s)
		}
		for i, v := range s.Vintages {
			if v.Vintage != a.Vintages[i].Vintage || len(v.Members) != len(a.Vintages[i].Members) {
				t.Fatalf("Show vintage %d: %d members, Add had %d", v.Vintage, len(v.Members), len(a.Vintages[i].Members))
			}
			for j, m := range v.Members {
				am := a.Vintages[i].Members[j]
				if m.Code != am.Code || m.Share != am.Share || m.Method != custom.MethodCentroid {
					t.Errorf("Show member %d: %+v, Add: %+v", j, m, am)
				}
			}
		}
		if len(s.Warnings) != 0 {
			t.Errorf("Show warnings: %v", s.Warnings)
		}
		// The boundary survives the round trip through WKB.
		if !orb.Equal(s.Geometry, orb.MultiPolygon{north.Geometry.(orb.Polygon)}) {
			t.Error("stored geometry differs from the file's")
		}
	})

	t.Run("shares sum to one", func(t *testing.T) {
		// (c) Per area and vintage, shares sum to 1 and each is the LSOA's
		// population over the members' total.
		var bad int64
		if err := db.SQL().QueryRowContext(t.Context(), `SELECT count(*) FROM (
			SELECT area_code, lsoa_vintage, sum(population_share) AS s FROM area_members WHERE area_level = 'custom' GROUP BY ALL)
			WHERE abs(s - 1) > ?`, tolerance).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Errorf("%d area/vintage pairs have shares not summing to 1", bad)
		}
		if err := db.SQL().QueryRowContext(t.Context(), `SELECT count(*) FROM (
			SELECT population_share, population / sum(population) OVER (PARTITION BY area_code, lsoa_vintage) AS want
			FROM area_members WHERE area_level = 'custom') WHERE abs(population_share - want) > ?`, tolerance).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Errorf("%d members' shares are not population / total", bad)
		}
		for name, a := range added {
			for _, v := range a.Vintages {
				var s float64
				for _, m := range v.Members {
					s += m.Share.Float64
				}
				if math.Abs(s-1) > tolerance {
					t.Errorf("%s %d: shares sum to %v", name, v.Vintage, s)
				}
			}
		}
	})

	t.Run("re-adding replaces", func(t *testing.T) {
		// (f) The same code again: one area, the same members, no
		// duplicates; a new boundary under the same code drops the old
		// members.
		north := added["North"]
		before := members(t, db, north.Code, 2021)
		again := addEach(t, db, filepath.Join(dd, localitiesFile))
		if again["North"].Code != north.Code {
			t.Fatalf("generated code changed: %s then %s", north.Code, again["North"].Code)
		}
		if n := one[int64](t, db, `SELECT count(*) FROM areas WHERE level = 'custom' AND code = ?`, north.Code); n != 1 {
			t.Errorf("%d areas rows for %s", n, north.Code)
		}
		if got := members(t, db, north.Code, 2021); !slices.Equal(got, before) {
			t.Errorf("members changed on re-adding: %v, were %v", got, before)
		}
		if n := one[int64](t, db, `SELECT count(*) FROM (SELECT area_code, lsoa_code, lsoa_vintage FROM area_members GROUP BY ALL HAVING count(*) > 1)`); n != 0 {
			t.Errorf("%d duplicate members", n)
		}
		central := added["Central"]
		if _, err := custom.Add(t.Context(), db, custom.Spec{Code: "MY_AREA", Name: "Mine", Geometry: north.Geometry}); err != nil {
			t.Fatal(err)
		}
		if _, err := custom.Add(t.Context(), db, custom.Spec{Code: "MY_AREA", Name: "Mine, redrawn", Geometry: central.Geometry}); err != nil {
			t.Fatal(err)
		}
		if got, want := members(t, db, "MY_AREA", 2011), members(t, db, central.Code, 2011); !slices.Equal(got, want) {
			t.Errorf("redrawn area has %v, want Central's %v", got, want)
		}
		if got := one[string](t, db, `SELECT string_agg(name, '|') FROM areas WHERE code = 'MY_AREA'`); got != "Mine, redrawn" {
			t.Errorf("names after re-adding: %q", got)
		}
		// Refresh redoes the same fit.
		r, err := custom.Refresh(t.Context(), db, "MY_AREA")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := members(t, db, "MY_AREA", 2021), members(t, db, central.Code, 2021); !slices.Equal(got, want) || r.Population != added["Central"].Population {
			t.Errorf("refresh: %v (population %v), want %v (%v)", got, r.Population, want, added["Central"].Population)
		}
		// A code of an official area is refused by the warehouse, whatever
		// CheckCode says, and nothing is written.
		err = db.SaveCustomArea(t.Context(), warehouse.CustomArea{Code: "E01006152", Name: "clash"}, []warehouse.Member{{LSOACode: "E01006152", LSOAVintage: 2011, Method: custom.MethodCentroid}})
		if !errors.Is(err, warehouse.ErrCodeTaken) {
			t.Errorf("official code: %v", err)
		}
		if n := one[int64](t, db, `SELECT count(*) FROM area_members WHERE area_code = 'E01006152'`); n != 0 {
			t.Errorf("%d members written for a refused code", n)
		}
		if err := custom.Remove(t.Context(), db, "MY_AREA"); err != nil {
			t.Fatal(err)
		}
		if n := one[int64](t, db, `SELECT (SELECT count(*) FROM areas WHERE code = 'MY_AREA') + (SELECT count(*) FROM area_members WHERE area_code = 'MY_AREA')`); n != 0 {
			t.Errorf("%d rows left after remove", n)
		}
		if err := custom.Remove(t.Context(), db, "MY_AREA"); !errors.Is(err, custom.ErrNotFound) {
			t.Errorf("removing twice: %v", err)
		}
		if _, err := custom.Show(t.Context(), db, "MY_AREA"); !errors.Is(err, custom.ErrNotFound) {
			t.Errorf("show removed: %v", err)
		}
	})

	t.Run("list", func(t *testing.T) {
		list, err := custom.List(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range list {
			names = append(names, s.Name)
			if want := len(members(t, db, s.Code, 2011)); s.LSOAs[2011] != want {
				t.Errorf("%s: list says %d LSOAs 2011, area_members has %d", s.Name, s.LSOAs[2011], want)
			}
		}
		if !slices.Equal(names, []string{"Central", "North", "South", "West"}) {
			t.Errorf("list: %v", names)
		}
	})

	t.Run("BNG without crs", func(t *testing.T) {
		// (e) British National Grid metres without a crs member are
		// converted, with a note, and give North's make-up.
		var north *geojson.Feature
		for _, f := range rawFC(t, filepath.Join(dd, localitiesFile)).Features {
			if f.Properties.MustString("area_name") == "North" {
				north = f
			}
		}
		poly := north.Geometry.(orb.Polygon)
		for _, r := range poly {
			for i, p := range r {
				e, n := format.WGS84ToBNG(p[0], p[1])
				r[i] = orb.Point{e, n}
			}
		}
		b, err := json.Marshal(geojson.NewGeometry(poly))
		if err != nil {
			t.Fatal(err)
		}
		f, err := custom.Read(bytes.NewReader(b), "north_bng.geojson")
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "British National Grid") {
			t.Errorf("notes: %v", f.Notes)
		}
		a, err := custom.Add(t.Context(), db, custom.Spec{Code: "NORTH_BNG", Name: "North (BNG)", Geometry: f.Union()})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []int{2011, 2021} {
			if got, want := members(t, db, a.Code, v), members(t, db, added["North"].Code, v); !slices.Equal(got, want) {
				t.Errorf("%d: BNG North has %v, North %v", v, got, want)
			}
		}
		// Declared EPSG:27700 is converted without a note.
		withCRS := `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[{"type":"Feature","properties":{"name":"x"},"geometry":` + string(b) + `}]}`
		f, err = custom.Read(strings.NewReader(withCRS), "declared.geojson")
		if err != nil || len(f.Notes) != 0 || !orb.Equal(f.Union(), a.Geometry) {
			t.Errorf("declared BNG: err %v notes %v", err, f.Notes)
		}
	})
}

func TestCreativeClusters(t *testing.T) {
	// (d) Ten clusters that need not tile the borough; each gets the LSOAs
	// brute force finds, and tiny areas fall back to the containing LSOA.
	db, dd := openTrafford(t)
	added := addEach(t, db, filepath.Join(dd, clustersFile))
	clusters := rawFC(t, filepath.Join(dd, clustersFile)).Features
	if len(added) != 10 {
		t.Fatalf("%d clusters added, want 10", len(added))
	}
	lsoa11 := lsoaPoints(t, filepath.Join(dd, lsoa11File), "LSOA11CD", nil)
	lsoa21 := lsoaPoints(t, filepath.Join(dd, lsoa21File), "area_code", nil)
	want11, want21 := bruteForce(clusters, lsoa11), bruteForce(clusters, lsoa21)
	for i, f := range clusters {
		a := added[f.Properties.MustString("area_name")]
		if got := members(t, db, a.Code, 2011); !slices.Equal(got, want11[i]) {
			t.Errorf("%s 2011: %v, brute force %v", a.Name, got, want11[i])
		}
		if got := members(t, db, a.Code, 2021); !slices.Equal(got, want21[i]) {
			t.Errorf("%s 2021: %v, brute force %v", a.Name, got, want21[i])
		}
		wantMethod := custom.MethodCentroid
		if len(want11[i]) == 0 {
			wantMethod = custom.MethodContaining
		}
		if got := one[string](t, db, `SELECT string_agg(DISTINCT method, ',') FROM area_members WHERE area_code = ? AND lsoa_vintage = 2011`, a.Code); got != wantMethod {
			t.Errorf("%s: method %s, want %s", a.Name, got, wantMethod)
		}
	}

	// A tiny area: each cluster shrunk to 2% of its size about its label
	// point (the file's lon, lat) holds no LSOA centroid (checked by brute
	// force) and is represented by the LSOA containing its centre.
	tinyCount := 0
	for _, f := range clusters {
		poly := f.Geometry.(orb.Polygon).Clone()
		o := orb.Point{f.Properties.MustFloat64("lon"), f.Properties.MustFloat64("lat")}
		for _, r := range poly {
			for i, p := range r {
				r[i] = orb.Point{o[0] + 0.02*(p[0]-o[0]), o[1] + 0.02*(p[1]-o[1])}
			}
		}
		tiny := &geojson.Feature{Geometry: poly}
		if len(bruteForce([]*geojson.Feature{tiny}, lsoa11)[0]) > 0 || len(bruteForce([]*geojson.Feature{tiny}, lsoa21)[0]) > 0 {
			continue // holds a centroid after all: not a fallback case
		}
		tinyCount++
		a, err := custom.Add(t.Context(), db, custom.Spec{Name: "tiny " + f.Properties.MustString("area_name"), Geometry: orb.MultiPolygon{poly}})
		if err != nil {
			t.Fatal(err)
		}
		centre, _ := planar.CentroidArea(poly)
		if !planar.PolygonContains(poly, centre) {
			t.Fatalf("%s: centroid %v is outside the area: choose another test shape", a.Name, centre)
		}
		for _, vt := range []struct {
			vintage int
			lsoas   []lsoaPoint
		}{{2011, lsoa11}, {2021, lsoa21}} {
			var want []string
			for _, l := range vt.lsoas {
				if inside(l.geom, centre) {
					want = append(want, l.code)
				}
			}
			if len(want) != 1 {
				t.Fatalf("%s %d: brute force finds %v containing %v", a.Name, vt.vintage, want, centre)
			}
			got := members(t, db, a.Code, vt.vintage)
			if !slices.Equal(got, want) {
				t.Errorf("%s %d: %v, want the containing LSOA %v", a.Name, vt.vintage, got, want)
			}
			if m := one[string](t, db, `SELECT method || ' ' || population_share FROM area_members WHERE area_code = ? AND lsoa_vintage = ?`, a.Code, vt.vintage); m != custom.MethodContaining+" 1.0" {
				t.Errorf("%s %d: %s", a.Name, vt.vintage, m)
			}
		}
		if len(a.Warnings) != 2 || !strings.Contains(a.Warnings[0], "smaller than an LSOA") {
			t.Errorf("%s: warnings %v", a.Name, a.Warnings)
		}
	}
	t.Logf("%d shrunken clusters fell back to the containing LSOA", tinyCount)
	if tinyCount < 5 {
		t.Errorf("only %d shrunken clusters exercised the fallback", tinyCount)
	}
}

func TestInvalidInput(t *testing.T) {
	square := func(x0, y0, d float64) string {
		return fmt.Sprintf(`[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]`, x0, y0, x0+d, y0, x0+d, y0+d, x0, y0+d, x0, y0)
	}
	trafford := `{"type":"Polygon","coordinates":[` + square(-2.35, 53.42, 0.01) + `]}`
	if _, err := custom.Read(strings.NewReader(trafford), "ok.geojson"); err != nil {
		t.Fatalf("a valid square: %v", err)
	}
	readErrs := []struct {
		name, in, want string
	}{
		{"not JSON", "hello, world", "not JSON"},
		{"empty", "  \n", "empty"},
		{"JSON array", `[1,2]`, "not a GeoJSON object"},
		{"no type", `{"coordinates":[]}`, `no "type"`},
		{"unclosed ring", `{"type":"Polygon","coordinates":[[[-2.35,53.42],[-2.34,53.42],[-2.34,53.43],[-2.35,53.43]]]}`, "ring 1 is not closed"},
		{"too few points", `{"type":"Polygon","coordinates":[[[-2.35,53.42],[-2.34,53.42],[-2.35,53.42]]]}`, "need at least 4"},
		{"point", `{"type":"Feature","properties":{"name":"pin"},"geometry":{"type":"Point","coordinates":[-2.35,53.42]}}`, "feature 1 (pin): the geometry is a Point: a custom area must be a Polygon or MultiPolygon"},
		{"line in a collection", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":` + trafford + `},{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[-2.35,53.42],[-2.34,53.43]]}}]}`, "feature 2: the geometry is a LineString"},
		{"null geometry", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"area_name":"X"},"geometry":null}]}`, "feature 1 (X) has no geometry"},
		{"no features", `{"type":"FeatureCollection","features":[]}`, "no features"},
		{"TopoJSON", `{"type":"Topology","objects":{}}`, "TopoJSON"},
		{"self-crossing", `{"type":"Polygon","coordinates":[[[-2.35,53.42],[-2.33,53.43],[-2.33,53.42],[-2.35,53.44],[-2.35,53.42]]]}`, "crosses itself"},
		{"no area", `{"type":"Polygon","coordinates":[[[-2.35,53.42],[-2.34,53.42],[-2.33,53.42],[-2.35,53.42]]]}`, "encloses no area"},
		{"lat lon swapped", `{"type":"Polygon","coordinates":[` + square(53.42, -2.35, 0.01) + `]}`, "latitude, longitude"},
		{"metres beyond the grid", `{"type":"Polygon","coordinates":[` + square(-378000, 394000, 1000) + `]}`, "not longitude/latitude"},
		{"BNG, said to be WGS84", `{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"coordinates":[` + square(378000, 394000, 1000) + `]}`, "not longitude/latitude (x 378000..379000"},
		{"unknown crs", `{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"coordinates":[` + square(-2.35, 53.42, 0.01) + `]}`, `unsupported crs "EPSG:3857"`},
	}
	for _, tt := range readErrs {
		_, err := custom.Read(strings.NewReader(tt.in), "in.geojson")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, custom.ErrInvalid) || !strings.Contains(err.Error(), "in.geojson") {
			t.Errorf("%s: %v, want an ErrInvalid naming the file and saying %q", tt.name, err, tt.want)
		}
	}

	// A 20 MB file is refused before it is read, by size.
	big := filepath.Join(t.TempDir(), "big.geojson")
	pad := bytes.Repeat([]byte(" "), 20<<20)
	if err := os.WriteFile(big, append(append([]byte(`{"type":"Polygon","coordinates":[`+square(-2.35, 53.42, 0.01)+`]`), pad...), '}'), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := custom.ReadFile(big); err == nil || !strings.Contains(err.Error(), "20.0 MB, more than the limit of 10.0 MB") || !errors.Is(err, custom.ErrInvalid) {
		t.Errorf("20 MB file: %v", err)
	}
	// and a stream longer than the limit is refused too.
	if _, err := custom.Read(io.MultiReader(strings.NewReader(`{"type":"Polygon","coordinates":[]`), bytes.NewReader(pad)), "stream"); err == nil || !strings.Contains(err.Error(), "more than the limit of 10.0 MB") {
		t.Errorf("20 MB stream: %v", err)
	}

	ring := func(cx, cy, r float64, n int) orb.MultiPolygon {
		var rg orb.Ring
		for i := range n {
			a := 2 * math.Pi * float64(i) / float64(n)
			rg = append(rg, orb.Point{cx + r*math.Cos(a), cy + r*math.Sin(a)})
		}
		return orb.MultiPolygon{{append(rg, rg[0])}}
	}
	checkErrs := []struct {
		name string
		mp   orb.MultiPolygon
		want string
	}{
		{"Paris", ring(2.35, 48.85, 0.01, 32), "outside England"},
		{"Edinburgh", ring(-3.19, 55.95, 0.01, 32), "outside England"},
		{"straddling France", orb.MultiPolygon{ring(-2.35, 53.42, 0.01, 32)[0], ring(2.35, 48.85, 0.01, 32)[0]}, "outside England"},
		{"a region", ring(-1.5, 52.5, 0.6, 64), "more than the limit of 5000 km²"},
		{"too many vertices", ring(-2.35, 53.42, 0.01, custom.MaxVertices), "vertices, more than the limit of 200000"},
		{"empty", orb.MultiPolygon{}, "empty"},
	}
	for _, tt := range checkErrs {
		err := custom.Check(tt.mp)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, custom.ErrInvalid) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	// Just inside the limits is fine: a circle of radius 0.4° at 52.5°N is
	// π·(0.4·111.2)²·cos(52.5°) ≈ 3,800 km².
	if err := custom.Check(ring(-1.5, 52.5, 0.4, 64)); err != nil {
		t.Errorf("3,800 km²: %v", err)
	}
	if err := custom.Check(ring(-2.35, 53.42, 0.01, custom.MaxVertices-1)); err != nil {
		t.Errorf("%d vertices: %v", custom.MaxVertices, err)
	}

	for _, c := range []string{"AB", "ab1", "1AB", "A B", strings.Repeat("A", 33), "E08000009", "E01006152"} {
		if err := custom.CheckCode(c); err == nil || !errors.Is(err, custom.ErrInvalid) {
			t.Errorf("code %q accepted", c)
		}
	}
	for _, c := range []string{"ABC", "BIG_LOCAL-1", "X1A2B3C4D", "N" + strings.Repeat("9", 31)} {
		if err := custom.CheckCode(c); err != nil {
			t.Errorf("code %q: %v", c, err)
		}
	}
	mp := ring(-2.35, 53.42, 0.01, 32)
	if a, b := custom.GenerateCode("Sale", mp), custom.GenerateCode("Sale", mp); a != b || custom.CheckCode(a) != nil || a == custom.GenerateCode("Sale Moor", mp) {
		t.Errorf("generated codes %s %s", a, b)
	}
}

func TestInteriorPoint(t *testing.T) {
	// A C shape whose centroid lies in its mouth: the interior point is
	// inside, in the widest stretch of the line through the middle.
	c := orb.MultiPolygon{{{{0, 0}, {3, 0}, {3, 1}, {1, 1}, {1, 2}, {3, 2}, {3, 3}, {0, 3}, {0, 0}}}}
	if cen, _ := planar.CentroidArea(c); planar.MultiPolygonContains(c, cen) {
		t.Fatalf("test shape: centroid %v is inside", cen)
	}
	if p := custom.InteriorPoint(c); p != (orb.Point{0.5, 1.5}) {
		t.Errorf("C shape: %v, want 0.5, 1.5", p)
	}
	// A convex shape: its centroid.
	sq := orb.MultiPolygon{{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}}
	if p := custom.InteriorPoint(sq); p != (orb.Point{1, 1}) {
		t.Errorf("square: %v", p)
	}
}

func TestSelfCrossingScales(t *testing.T) {
	// A flower-shaped ring of 150,000 vertices is checked quickly, and a
	// crossing in it is found.
	n := 150_000
	var r orb.Ring
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		rad := 0.02 + 0.004*math.Sin(7*a)
		r = append(r, orb.Point{-2.35 + rad*math.Cos(a), 53.42 + rad*math.Sin(a)})
	}
	r = append(r, r[0])
	doc := func(r orb.Ring) string {
		b, _ := json.Marshal(geojson.NewGeometry(orb.Polygon{r}))
		return string(b)
	}
	start := time.Now()
	if _, err := custom.Read(strings.NewReader(doc(r)), "star"); err != nil {
		t.Fatalf("valid flower: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second { // quadratic would take minutes
		t.Errorf("checking %d vertices took %v", n, d)
	}
	// Swap two vertices far apart: the chords to and from them cross.
	bad := slices.Clone(r)
	bad[1000], bad[60000] = bad[60000], bad[1000]
	if _, err := custom.Read(strings.NewReader(doc(bad)), "twisted"); err == nil || !strings.Contains(err.Error(), "crosses itself") {
		t.Errorf("twisted flower: %v", err)
	}
}

func TestNoBoundariesLoaded(t *testing.T) {
	db, err := warehouse.Open(t.Context(), filepath.Join(t.TempDir(), "empty.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mp := orb.MultiPolygon{{{{-2.35, 53.42}, {-2.34, 53.42}, {-2.34, 53.43}, {-2.35, 53.42}}}}
	_, err = custom.Add(t.Context(), db, custom.Spec{Name: "Anywhere", Geometry: mp})
	if !errors.Is(err, custom.ErrNoLSOAs) || !strings.Contains(err.Error(), "ingest boundaries-lsoa11") {
		t.Errorf("no boundaries: %v", err)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM areas`); n != 0 {
		t.Errorf("%d areas stored", n)
	}
	if _, err := custom.Add(t.Context(), db, custom.Spec{Name: "  ", Geometry: mp}); !errors.Is(err, custom.ErrInvalid) {
		t.Errorf("blank name: %v", err)
	}
}

func TestOutsideLoadedBoundaries(t *testing.T) {
	// Inside England but where no LSOA is loaded (central London, with
	// only Trafford and Greater Manchester loaded): a clear error, nothing
	// stored.
	db, _ := openTrafford(t)
	mp := orb.MultiPolygon{{{{-0.13, 51.50}, {-0.12, 51.50}, {-0.12, 51.51}, {-0.13, 51.51}, {-0.13, 51.50}}}}
	_, err := custom.Add(t.Context(), db, custom.Spec{Name: "Westminster bit", Geometry: mp})
	if !errors.Is(err, custom.ErrNoLSOAs) {
		t.Fatalf("London: %v", err)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM areas WHERE level = 'custom'`); n != 0 {
		t.Errorf("%d custom areas stored", n)
	}
	// Over Stockport (in the GM LSOA 2021 file but not loaded for 2011):
	// LSOA 2021 members, and a warning that 2011 has none.
	stockport := orb.MultiPolygon{{{{-2.17, 53.40}, {-2.14, 53.40}, {-2.14, 53.42}, {-2.17, 53.42}, {-2.17, 53.40}}}}
	a, err := custom.Add(t.Context(), db, custom.Spec{Name: "Stockport bit", Geometry: stockport})
	if err != nil {
		t.Fatal(err)
	}
	var n2011, n2021 int
	for _, v := range a.Vintages {
		switch v.Vintage {
		case 2011:
			n2011 = len(v.Members)
		case 2021:
			n2021 = len(v.Members)
		}
	}
	if n2011 != 0 || n2021 == 0 || !slices.ContainsFunc(a.Warnings, func(w string) bool { return strings.Contains(w, "no LSOA 2011 boundary loaded") }) {
		t.Errorf("Stockport: %d LSOAs 2011, %d 2021, warnings %v", n2011, n2021, a.Warnings)
	}
	if !strings.HasPrefix(a.Vintages[0].Members[0].Name, "Stockport ") {
		t.Errorf("Stockport: first member %+v", a.Vintages[0].Members[0])
	}
	if a.LADCode != "" {
		t.Errorf("no local authority is known for LSOAs 2021 without a lookup, got %q", a.LADCode)
	}
}
