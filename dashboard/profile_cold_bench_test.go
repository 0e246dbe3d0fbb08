package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sort"
	"testing"
	"time"

	"commonground/dashboard"
	"commonground/queries"
	"commonground/warehouse"
)

// BenchmarkAreaProfileFirstVisit renders profiles of areas not seen before
// (a different LSOA, ward or authority each time), the cost a crowd of
// residents exploring England puts on the server. It needs a real
// warehouse at $COMMONGROUND_BENCH_DB (a copy: never a file a server has
// open).
//
//	COMMONGROUND_BENCH_DB=/tmp/me/real.duckdb go test -tags duckdb_arrow,mallocator -run '^$' -bench AreaProfileFirstVisit -benchtime 200x ./dashboard/
func BenchmarkAreaProfileFirstVisit(b *testing.B) {
	p := os.Getenv("COMMONGROUND_BENCH_DB")
	if p == "" {
		b.Skip("COMMONGROUND_BENCH_DB not set")
	}
	ctx := context.Background()
	db, err := warehouse.Open(ctx, p, warehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var codes []string
	// About the mix of commonground bench: mostly neighbourhoods, then
	// wards, then every authority.
	rows, err := db.SQL().QueryContext(ctx, `SELECT code FROM (
		(SELECT code FROM areas WHERE level = 'lsoa11' AND code LIKE 'E%' ORDER BY hash(code) LIMIT 3500)
		UNION ALL (SELECT code FROM areas WHERE level = 'ward' AND code LIKE 'E%' ORDER BY hash(code) LIMIT 1000)
		UNION ALL (SELECT DISTINCT code FROM areas WHERE level = 'lad' AND code LIKE 'E%')
	) ORDER BY hash(code)`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var c string
		rows.Scan(&c)
		codes = append(codes, c)
	}
	rows.Close()
	cat, err := queries.Default()
	if err != nil {
		b.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, db, cat)
	if err != nil {
		b.Fatal(err)
	}
	if err := cat.Warm(ctx, db); err != nil {
		b.Fatal(err)
	}
	if err := queries.WarmMoney(ctx, db); err != nil {
		b.Fatal(err)
	}
	for _, c := range codes[len(codes)-20:] { // shared, once-per-version work (ranges, authorities)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/areas/"+c, nil))
	}
	var took []time.Duration
	// COMMONGROUND_BENCH_CPUPROFILE=file profiles the timed requests only
	// (go test's -cpuprofile also takes in the loading above).
	if f := os.Getenv("COMMONGROUND_BENCH_CPUPROFILE"); f != "" && b.N > 1 {
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		pprof.StartCPUProfile(out)
		defer func() { pprof.StopCPUProfile(); out.Close() }()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", "/areas/"+codes[i%len(codes)], nil)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, req)
		took = append(took, time.Since(t0))
		if w.Code != 200 {
			b.Fatalf("%s: %d", req.URL.Path, w.Code)
		}
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	if len(took) > 0 {
		b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
	}
}
