package dashboard_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"commonground/dashboard"
	"commonground/warehouse"
)

// The profile reads areas, their make-up, deprivation, services and
// boundaries from an in-memory directory (areadir.go); the warehouse's SQL
// it replaced is the spec. Compared on the demo (every level, custom
// areas, services) and on real London, Manchester and Trafford boundaries.
func TestDirectoryMatchesSQL(t *testing.T) {
	for _, tc := range []struct {
		name string
		db   func(testing.TB) *warehouse.DB
	}{
		{"demo", func(tb testing.TB) *warehouse.DB { return demoDB(tb.(*testing.T)) }},
		{"real", realDB},
		// All of real.duckdb (make real-data), when a copy is given.
		{"bench", func(tb testing.TB) *warehouse.DB {
			p := os.Getenv("COMMONGROUND_BENCH_DB")
			if p == "" {
				tb.Skip("COMMONGROUND_BENCH_DB not set")
			}
			db, err := warehouse.Open(tb.Context(), p, warehouse.Options{ReadOnly: true})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { db.Close() })
			return db
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.db(t)
			var codes []string
			rows, err := db.SQL().QueryContext(t.Context(), `SELECT code FROM (
				SELECT code, level, row_number() OVER (PARTITION BY level ORDER BY hash(code)) AS n FROM areas)
				WHERE n <= CASE level WHEN 'custom' THEN 50 WHEN 'lad' THEN 8 ELSE 15 END ORDER BY level, code`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var c string
				rows.Scan(&c)
				codes = append(codes, c)
			}
			rows.Close()
			if len(codes) < 10 {
				t.Fatalf("only %d areas to compare", len(codes))
			}
			s, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			diffs, err := dashboard.DirectoryMismatches(t.Context(), s, codes)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range diffs {
				if i == 10 {
					t.Errorf("and %d more", len(diffs)-10)
					break
				}
				t.Error(d)
			}
			t.Logf("%d areas compared", len(codes))
		})
	}
}
