package queries

// Benchmarks for the performance targets (docs/PERFORMANCE.md):
//
//	go test -tags duckdb_arrow,mallocator -run '^$' -bench . -benchtime 20x ./queries/
//
// "Warm" is the steady state: the indicators' LSOA rows were read once for
// this warehouse version. "Cold" resets the catalogue's cache first, so
// every indicator's SQL runs (the first call after start-up or an ingest
// run, unless Warm was called).

import (
	"testing"

	"commonground/warehouse"
)

func benchForArea(b *testing.B, code string, cold bool) {
	db := realDB(b)
	c, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.ForArea(b.Context(), db, code); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if cold {
			c.Reset()
		}
		rs, err := c.ForArea(b.Context(), db, code)
		if err != nil || len(rs) != len(c.list) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(c.list)), "indicators")
}

// All indicators for one local authority (target: under 200 ms).
func BenchmarkForAreaLAD(b *testing.B)     { benchForArea(b, "E08000009", false) }
func BenchmarkForAreaLADCold(b *testing.B) { benchForArea(b, "E08000009", true) }

// All indicators for a custom area (target: under 300 ms).
func BenchmarkForAreaCustom(b *testing.B)     { benchForArea(b, customTrafford, false) }
func BenchmarkForAreaCustomCold(b *testing.B) { benchForArea(b, customTrafford, true) }

// A ward and an LSOA, for comparison.
func BenchmarkForAreaWard(b *testing.B) { benchForArea(b, "E05000820", false) }
func BenchmarkForAreaLSOA(b *testing.B) { benchForArea(b, "E01012673", false) }

func benchValues(b *testing.B, db *warehouse.DB, id string, want int, cold bool) {
	c, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if cold {
			c.Reset()
		}
		vs, err := c.Values(b.Context(), db, id, "lsoa", "")
		if err != nil {
			b.Fatal(err)
		}
		if len(vs) != want {
			b.Fatalf("%d values, want %d", len(vs), want)
		}
	}
}

// One indicator for all 32,844 LSOAs (target: under 1 s).
func BenchmarkValuesAllLSOAs(b *testing.B) {
	benchValues(b, realDB(b), "imd2019_most_deprived_10pc", 32844, false)
}
func BenchmarkValuesAllLSOAsCold(b *testing.B) {
	benchValues(b, realDB(b), "imd2019_most_deprived_10pc", 32844, true)
}

// The nearest-GP distance for every LSOA in England, against 6,569
// synthetic practices (one at a point near the centroid of every fifth
// LSOA: about England's density of practices), computed from scratch
// each time: the grid search in distance_gp_km.sql.
func BenchmarkDistanceAllLSOAsCold(b *testing.B) {
	db := realDB(b)
	if _, err := db.SQL().ExecContext(b.Context(), `INSERT INTO services (id, dataset, category, source_id, lon, lat, location_source, status, lsoa11_code)
		SELECT 'bench:' || code, 'bench', 'gp_practice', code, centroid_lon + 0.004, centroid_lat - 0.003, 'given', 'open', code
		FROM areas WHERE level = 'lsoa11' AND hash(code) % 5 = 0`); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.SQL().Exec(`DELETE FROM services WHERE dataset = 'bench'`) })
	n := one[int](b, db, `SELECT count(*) FROM services WHERE dataset = 'bench'`)
	b.Logf("%d synthetic practices", n)
	benchValues(b, db, "distance_gp_km", 32844, true)
}
