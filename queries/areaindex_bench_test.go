package queries

// Benchmarks for the in-memory geography and gaps indexes (issue 5: an
// area profile costs a few ms of CPU):
//
//	go test -tags duckdb_arrow,mallocator -run '^$' -bench 'ValuesWithin|GapsArea' ./queries/
//
// COMMONGROUND_BENCH_DB names a warehouse file to use instead (a copy of
// the all-England real.duckdb: never the shared one, DuckDB lets one
// process open a file).

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"commonground/warehouse"
)

var (
	benchOnce sync.Once
	benchWH   *warehouse.DB
	benchErr  error
)

// benchDB is $COMMONGROUND_BENCH_DB opened once, or else the Greater
// Manchester test warehouse (which has service_access).
func benchDB(b *testing.B) *warehouse.DB {
	b.Helper()
	path := os.Getenv("COMMONGROUND_BENCH_DB")
	if path == "" {
		return gmDBB(b)
	}
	benchOnce.Do(func() {
		benchWH, benchErr = warehouse.Open(b.Context(), path, warehouse.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchWH
}

func benchValuesWithin(b *testing.B, id, level, within string) {
	db := benchDB(b)
	c, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Values(b.Context(), db, id, level, within); err != nil {
		b.Fatal(err)
	}
	var n int
	for b.Loop() {
		vs, err := c.Values(b.Context(), db, id, level, within)
		if err != nil || len(vs) == 0 {
			b.Fatal(err, len(vs))
		}
		n = len(vs)
	}
	b.ReportMetric(float64(n), "areas")
}

// One indicator for Trafford's LSOAs and wards (what a profile's map and
// charts ask for), after the first call.
func BenchmarkValuesWithinLADLSOAs(b *testing.B) {
	benchValuesWithin(b, "imd2019_score", "lsoa", "E08000009")
}
func BenchmarkValuesWithinLADWards(b *testing.B) {
	benchValuesWithin(b, "imd2019_score", "ward", "E08000009")
}
func BenchmarkValuesWithinWard(b *testing.B) {
	benchValuesWithin(b, "imd2019_score", "lsoa", "E05000820")
}

func benchGaps(b *testing.B, within string) {
	db := benchDB(b)
	if _, err := Gaps(b.Context(), db, "gp", within); err != nil {
		b.Fatal(err)
	}
	var n int
	for b.Loop() {
		rep, err := Gaps(b.Context(), db, "gp", within)
		if err != nil {
			b.Fatal(err)
		}
		n = len(rep.Rows)
	}
	b.ReportMetric(float64(n), "rows")
}

// Gaps for a covered authority, one of its wards, and an authority where
// no GP practices are loaded (most of England), after the first call.
func BenchmarkGapsAreaCoveredLAD(b *testing.B)   { benchGaps(b, "E08000009") }
func BenchmarkGapsAreaWard(b *testing.B)         { benchGaps(b, "E05000820") }
func BenchmarkGapsAreaUncoveredLAD(b *testing.B) { benchGaps(b, "E06000009") }
