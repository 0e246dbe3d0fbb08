//go:build unix

package queries

import (
	"strconv"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared, loaded
// machine it says what the work costs when wall time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Nearest-service distances for every LSOA 2011 centroid in England (32,844)
// against every open school in the GIAS extract (about 26,600 located): the
// issue's target is under 2 s for one service type (docs/PERFORMANCE.md).
func BenchmarkNearestAllEngland(b *testing.B) {
	db := realDB(b)
	lsoas, maxLat, err := accessLSOAs(b.Context(), db)
	if err != nil {
		b.Fatal(err)
	}
	var schools []lonLat
	readCSV(b, "services/gias/gias_open_schools_england_20250524_derived.csv", func(r map[string]string) {
		lon, err1 := strconv.ParseFloat(r["longitude"], 64)
		lat, err2 := strconv.ParseFloat(r["latitude"], 64)
		if err1 == nil && err2 == nil {
			schools = append(schools, lonLat{lon, lat})
		}
	})
	if len(lsoas) != 32844 || len(schools) < 20000 {
		b.Fatalf("%d LSOAs, %d schools", len(lsoas), len(schools))
	}
	b.ReportMetric(float64(len(lsoas)), "lsoas")
	b.ReportMetric(float64(len(schools)), "services")
	qs := make([]lonLat, len(lsoas))
	for i, l := range lsoas {
		qs[i] = l.at
	}
	cpu := cpuTime()
	for b.Loop() {
		res := newPointGrid(schools, maxLat).nearestAll(qs, 3.2)
		if res[0].km > 50 {
			b.Fatalf("nearest school %v km", res[0].km)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// The whole rebuild of service_access on Greater Manchester data (every
// service type, the national schools list, need, ranks and flags).
func BenchmarkRefreshAccessGM(b *testing.B) {
	db := gmDBB(b)
	cpu := cpuTime()
	for b.Loop() {
		if _, err := RefreshAccess(b.Context(), db); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// One local authority's gaps report (what /gaps and /api/gaps read).
func BenchmarkGapsReportTrafford(b *testing.B) {
	db := gmDBB(b)
	for b.Loop() {
		if _, err := Gaps(b.Context(), db, "gp", "E08000009"); err != nil {
			b.Fatal(err)
		}
	}
}
