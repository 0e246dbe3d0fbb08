package geo_test

// Point in polygon against every LSOA 2011 in England:
//
//	go test -tags duckdb_arrow,mallocator -run '^$' -bench . -benchtime 3x ./ingest/geo/
//
// The target (issue "Services onto the map") is 100,000 points in under 1 s,
// index build excluded; the build is timed separately.

import (
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"commonground/ingest/geo"
)

var (
	englandOnce  sync.Once
	englandAreas []geo.Area
	englandRead  time.Duration
)

// englandLSOA11 reads the 326 per-authority files of all 32,844 England LSOA
// 2011 boundaries once per process.
func englandLSOA11(b *testing.B) []geo.Area {
	dd := sharedData(b)
	englandOnce.Do(func() {
		start := time.Now()
		files, err := filepath.Glob(filepath.Join(dd, "boundaries/lsoa2011_by_lad/*.json.gz"))
		if err != nil || len(files) != 326 {
			b.Fatalf("lsoa2011_by_lad: %d files, %v", len(files), err)
		}
		for _, f := range files {
			englandAreas = append(englandAreas, readAreas(b, f, "LSOA11CD")...)
		}
		englandRead = time.Since(start)
	})
	if len(englandAreas) != 32844 {
		b.Fatalf("%d LSOAs, want 32844", len(englandAreas))
	}
	return englandAreas
}

// samplePoints draws n points the way services fall: a random LSOA (so dense
// urban areas get as many as rural ones, per area), then a uniform point in
// its bounding box; most land in that LSOA, some in a neighbour, a few
// outside England (coastal boxes).
func samplePoints(areas []geo.Area, n int) []orb.Point {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]orb.Point, n)
	for i := range pts {
		b := areas[rng.IntN(len(areas))].Geometry.Bound()
		pts[i] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
	}
	return pts
}

func BenchmarkBuildEnglandLSOA11(b *testing.B) {
	areas := englandLSOA11(b)
	for b.Loop() {
		if _, err := geo.Build(areas); err != nil {
			b.Fatal(err)
		}
	}
	// Reported after the loop: ResetTimer and b.Loop drop earlier metrics.
	b.ReportMetric(float64(englandRead.Milliseconds()), "read+parse_ms")
}

// One op = 100,000 points located among 32,844 LSOAs.
func BenchmarkLocate100kEnglandLSOA11(b *testing.B) {
	areas := englandLSOA11(b)
	start := time.Now()
	ix, err := geo.Build(areas)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	pts := samplePoints(areas, 100000)
	hits := 0
	for b.Loop() {
		hits = 0
		for _, p := range pts {
			if _, ok := ix.Locate(p); ok {
				hits++
			}
		}
	}
	b.ReportMetric(float64(build.Milliseconds()), "build_ms")
	b.ReportMetric(float64(hits)/float64(len(pts))*100, "%hit")
}
