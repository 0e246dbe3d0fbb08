package custom_test

import (
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/custom"
	"commonground/ingest/format"
	"commonground/ingest/source"
	"commonground/warehouse"
)

func square(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// TestWardBestFitFixture: two wards side by side, W1 covered by the lookup
// (its LSOAs carry ward_code), W2 not. Only W2 gets best-fit members, one
// per LSOA vintage whose centroid it holds, with population shares; a rerun
// replaces them, and once a lookup covers W2 they go.
func TestWardBestFitFixture(t *testing.T) {
	db, err := warehouse.Open(t.Context(), filepath.Join(t.TempDir(), "wards.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(t.Context(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
	area := func(code, level string, vintage int, ward any, g orb.MultiPolygon, pop any) {
		t.Helper()
		wkb, err := format.EncodeWKB(g)
		if err != nil {
			t.Fatal(err)
		}
		b, c := g.Bound(), format.Centroid(g)
		exec(`INSERT INTO areas (code, name, level, vintage, lad_code, ward_code, geometry, minx, miny, maxx, maxy, centroid_lon, centroid_lat, population, population_year)
			VALUES (?, ?, ?, ?, 'E08000009', ?, ?, ?, ?, ?, ?, ?, ?, ?, 2020)`,
			code, code, level, vintage, ward, wkb, b.Min[0], b.Min[1], b.Max[0], b.Max[1], c[0], c[1], pop)
	}
	area("W1", "ward", 2023, nil, square(0, 0, 1, 1), nil)
	area("W2", "ward", 2023, nil, square(1, 0, 2, 1), nil)
	area("A11", "lsoa11", 2011, "W1", square(0, 0, 0.5, 1), 100) // covered by the lookup
	area("B11", "lsoa11", 2011, nil, square(0.5, 0, 1, 1), 200)  // in W1 but no ward_code: W1 is covered, so not added
	area("C11", "lsoa11", 2011, nil, square(1, 0, 1.5, 1), 300)
	area("D11", "lsoa11", 2011, nil, square(1.5, 0, 2, 1), 100)
	area("E21", "lsoa21", 2021, nil, square(1, 0, 2, 0.5), 250)
	area("F21", "lsoa21", 2021, nil, square(2, 0, 3, 1), 999) // outside both wards

	type row struct {
		ward, lsoa string
		vintage    int
		share      float64
		method     string
	}
	read := func() []row {
		t.Helper()
		rows, err := db.SQL().QueryContext(t.Context(), `SELECT area_code, lsoa_code, lsoa_vintage, population_share, method
			FROM area_members WHERE area_level = 'ward' ORDER BY lsoa_vintage, lsoa_code`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.ward, &r.lsoa, &r.vintage, &r.share, &r.method); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	want := []row{
		{"W2", "C11", 2011, 0.75, custom.MethodCentroid},
		{"W2", "D11", 2011, 0.25, custom.MethodCentroid},
		{"W2", "E21", 2021, 1, custom.MethodCentroid},
	}
	for run := range 2 { // a rerun replaces, never duplicates
		if _, err := custom.WardBestFit(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		got := read()
		if len(got) != len(want) {
			t.Fatalf("run %d: got %v, want %v", run, got, want)
		}
		for i := range want {
			if g, w := got[i], want[i]; g.ward != w.ward || g.lsoa != w.lsoa || g.vintage != w.vintage || math.Abs(g.share-w.share) > 1e-9 || g.method != w.method {
				t.Errorf("run %d row %d: got %+v, want %+v", run, i, g, w)
			}
		}
	}
	if n := one[int64](t, db, `SELECT count(*) FROM area_lsoas WHERE area_code = 'W1' AND area_level = 'ward'`); n != 1 {
		t.Errorf("W1 (covered by the lookup) has %d LSOAs in area_lsoas, want 1 (A11 only)", n)
	}
	if p := one[int64](t, db, `SELECT population FROM areas WHERE code = 'W2'`); p != 250 {
		t.Errorf("W2 population %d, want 250 (its LSOA 2021 member, the newest vintage)", p)
	}
	// A lookup now covers W2: the best-fit rows go.
	exec(`UPDATE areas SET ward_code = 'W2' WHERE code = 'C11'`)
	if _, err := custom.WardBestFit(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	if got := read(); len(got) != 0 {
		t.Errorf("after the lookup covers W2, best-fit rows remain: %v", got)
	}
}

// TestWardBestFitTrafford: with the real lookups (which stop at 2022
// wards) and Trafford's 2023 wards, every Trafford ward gets LSOAs through
// the ingest pipeline, no LSOA is in two wards, and the wards add up to
// Trafford.
func TestWardBestFitTrafford(t *testing.T) {
	db, dd := openTrafford(t)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: t.TempDir(), Logger: log, Backoff: time.Millisecond}, Logger: log}
	for _, l := range []struct {
		id    string
		files []string
	}{
		{"lookup-lsoa-ward-lad", []string{"lookups/LSOA11_WD21_LAD21_EW_LU.csv", "lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv"}},
		{"boundaries-ward", []string{"boundaries/greater_manchester/gm_ward2023_generalised.geojson"}},
	} {
		ds, err := catalog.ByID(l.id)
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, f := range l.files {
			paths = append(paths, filepath.Join(dd, f))
		}
		if _, err := r.Run(t.Context(), ds, paths); err != nil {
			t.Fatal(err)
		}
	}
	wards := one[int64](t, db, `SELECT count(*) FROM areas WHERE level = 'ward' AND lad_code = ?`, traffordLAD)
	if wards != 21 {
		t.Fatalf("%d Trafford wards loaded, want 21", wards)
	}
	for _, v := range []int{2011, 2021} {
		with := one[int64](t, db, `SELECT count(DISTINCT m.area_code) FROM area_lsoas m JOIN areas w ON w.code = m.area_code AND w.level = 'ward'
			WHERE m.area_level = 'ward' AND m.lsoa_vintage = ? AND w.lad_code = ?`, v, traffordLAD)
		if with != wards {
			t.Errorf("LSOA %d: %d of %d Trafford wards have LSOAs", v, with, wards)
		}
	}
	if n := one[int64](t, db, `SELECT count(*) FROM (SELECT lsoa_code, lsoa_vintage FROM area_members WHERE area_level = 'ward' GROUP BY ALL HAVING count(*) > 1)`); n != 0 {
		t.Errorf("%d LSOAs are in more than one ward by best fit", n)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM area_members m JOIN areas l ON l.code = m.lsoa_code AND l.level IN ('lsoa11', 'lsoa21')
		WHERE m.area_level = 'ward' AND l.ward_code IS NOT NULL AND l.ward_code = m.area_code`); n != 0 {
		t.Errorf("%d best-fit rows double a lookup row", n)
	}
	// Trafford's LSOA 2011 population, and how much of it the 2023 wards hold.
	all := one[int64](t, db, `SELECT sum(population) FROM areas WHERE level = 'lsoa11' AND lad_code = ?`, traffordLAD)
	inWards := one[int64](t, db, `SELECT sum(l.population) FROM area_members m JOIN areas w ON w.code = m.area_code AND w.level = 'ward'
		JOIN areas l ON l.code = m.lsoa_code AND l.vintage = m.lsoa_vintage AND l.level = 'lsoa11' WHERE m.area_level = 'ward' AND w.lad_code = ?`, traffordLAD)
	if all == 0 || math.Abs(float64(inWards-all))/float64(all) > 0.02 {
		t.Errorf("Trafford's 2023 wards hold %d people by LSOA 2011, Trafford's LSOAs %d: want within 2%%", inWards, all)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM areas WHERE level = 'ward' AND lad_code = ? AND population IS NULL`, traffordLAD); n != 0 {
		t.Errorf("%d Trafford wards have no population", n)
	}
}
