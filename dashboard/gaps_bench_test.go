package dashboard_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"commonground/dashboard"
	"commonground/queries"
	"commonground/warehouse"
)

// The gaps page for a local authority, on real data: the target is
// under 300 ms. COMMONGROUND_BENCH_DB names a warehouse built by `make
// real-data`; it is copied first, so the original is never opened:
//
//	COMMONGROUND_BENCH_DB=real.duckdb go test -run '^$' -bench GapsPage ./dashboard/
func BenchmarkGapsPage(b *testing.B) {
	src := os.Getenv("COMMONGROUND_BENCH_DB")
	if src == "" {
		b.Skip("set COMMONGROUND_BENCH_DB to a warehouse built by make real-data")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bench.duckdb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := warehouse.Open(b.Context(), path, warehouse.Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := queries.EnsureAccess(b.Context(), db, log); err != nil {
		b.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Logger: log}, db, nil)
	if err != nil {
		b.Fatal(err)
	}
	get := func(b *testing.B, path string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			b.Fatalf("%s: %d", path, rec.Code)
		}
	}
	// Cold: every request a service and authority not asked for before
	// (Greater Manchester's ten, six types: run with -benchtime 60x or less).
	var cold []string
	for _, svc := range []string{"gp", "pharmacy", "school", "library", "food_bank", "childrens_centre"} {
		for i := 1; i <= 10; i++ {
			cold = append(cold, fmt.Sprintf("/gaps?service=%s&within=E080000%02d", svc, i))
		}
	}
	b.Run("cold", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if i == len(cold) {
				b.Fatal("more iterations than distinct pages: use -benchtime 60x")
			}
			get(b, cold[i])
			i++
		}
	})
	// Warm: the same page again (a map lookup, then rendering).
	for _, tc := range []struct{ name, path string }{
		{"warm_Trafford_gp", "/gaps?service=gp&within=E08000009"},
		{"warm_api_Trafford_gp", "/api/gaps?service=gp&within=E08000009"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				get(b, tc.path)
			}
		})
	}
}
