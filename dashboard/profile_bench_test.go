package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"commonground/dashboard"
	"commonground/queries"
	"commonground/warehouse"
)

// BenchmarkAreaProfile renders area profiles concurrently (as many clients
// as -cpu says, times 25: -cpu 2 is 50 clients) and reports the 95th
// percentile and the page size. It uses the demo warehouse, or the
// warehouse at $COMMONGROUND_BENCH_DB (a copy of real.duckdb: never the
// file a server has open) with the profiles of Trafford, a custom area and
// a neighbourhood.
//
//	COMMONGROUND_BENCH_DB=/tmp/me/real.duckdb go test -tags duckdb_arrow,mallocator -run XXX -bench AreaProfile -cpu 2 ./dashboard/
func BenchmarkAreaProfile(b *testing.B) {
	var db *warehouse.DB
	paths := []string{"/areas/E06099999", "/areas/E05099001", "/areas/E01099001"}
	if p := os.Getenv("COMMONGROUND_BENCH_DB"); p != "" {
		var err error
		if db, err = warehouse.Open(context.Background(), p, warehouse.Options{}); err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		var custom string
		db.SQL().QueryRow(`SELECT code FROM areas WHERE level = 'custom' ORDER BY name LIMIT 1`).Scan(&custom)
		paths = []string{"/areas/E08000009", "/areas/E01006074"}
		if custom != "" {
			paths = append(paths, "/areas/"+custom)
		}
	} else {
		db = demoDB(&testing.T{})
	}
	cat, err := queries.Default()
	if err != nil {
		b.Fatal(err)
	}
	if err := cat.Warm(context.Background(), db); err != nil {
		b.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, db, cat)
	if err != nil {
		b.Fatal(err)
	}
	size := 0
	for _, p := range paths { // first visits fill the section cache
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		if w.Code != 200 {
			b.Fatalf("%s: %d", p, w.Code)
		}
		size = max(size, w.Body.Len())
	}
	var mu sync.Mutex
	var took []time.Duration
	b.SetParallelism(25)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req := httptest.NewRequest("GET", paths[i%len(paths)], nil)
			req.Header.Set("Accept-Encoding", "gzip")
			w := httptest.NewRecorder()
			t0 := time.Now()
			h.ServeHTTP(w, req)
			d := time.Since(t0)
			mu.Lock()
			took = append(took, d)
			mu.Unlock()
			i++
		}
	})
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	if len(took) > 0 {
		b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
	}
	b.ReportMetric(float64(size)/1024, "max-page-KiB")
}
