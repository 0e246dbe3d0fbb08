package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/custom"
	"commonground/ingest/demo"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// The server locks the database down for the SQL console at start
// (dashboard.New). Its own writes must keep working afterwards: an ingest
// through Arrow views (as serve --refresh does) and a custom area upload.
func TestServerWritesAfterLockdown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files, err := demo.Generate(ctx, filepath.Join(dir, "files"), 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := warehouse.Open(ctx, filepath.Join(dir, "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := syncCatalog(ctx, w); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(dir, "export")
	if err := os.Mkdir(export, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := w.Lockdown(ctx, export); err != nil {
		t.Fatal(err)
	}
	r := &ingest.Runner{DB: w, Fetcher: &source.Fetcher{CacheDir: filepath.Join(dir, "cache")},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Synthetic: true}
	loaded := 0
	for _, d := range catalog.All() {
		if fs, ok := files[d.ID]; ok {
			if _, err := r.Run(ctx, d, fs); err != nil {
				t.Fatalf("ingest %s after lockdown: %v", d.ID, err)
			}
			loaded++
		}
	}
	if loaded < 3 {
		t.Fatalf("only %d demo datasets", loaded)
	}
	// A custom area over the west half of the demo authority.
	var minx, miny, maxx, maxy float64
	if err := w.SQL().QueryRowContext(ctx, `SELECT min(minx), min(miny), max(maxx), max(maxy) FROM areas WHERE level = 'lsoa11'`).
		Scan(&minx, &miny, &maxx, &maxy); err != nil {
		t.Fatal(err)
	}
	midx := (minx + maxx) / 2
	ring := orb.Ring{{minx - 0.01, miny - 0.01}, {midx, miny - 0.01}, {midx, maxy + 0.01}, {minx - 0.01, maxy + 0.01}, {minx - 0.01, miny - 0.01}}
	a, err := custom.Add(ctx, w, custom.Spec{Name: "West Exampleton", Geometry: orb.MultiPolygon{{ring}}})
	if err != nil {
		t.Fatalf("custom area after lockdown: %v", err)
	}
	var members int
	if err := w.SQL().QueryRowContext(ctx, `SELECT count(*) FROM area_members WHERE area_code = ?`, a.Code).Scan(&members); err != nil || members == 0 {
		t.Fatalf("custom area members: %d %v", members, err)
	}
	// The sandbox sees the new data; the configuration is still locked.
	sb := warehouse.NewSandbox(w, warehouse.SandboxOptions{ExportDir: export})
	res, err := sb.Preview(ctx, "SELECT count(*) AS n FROM areas WHERE level = 'custom'")
	if err != nil || res.Rows[0][0] != int64(1) {
		t.Fatalf("sandbox after writes: %v %v", res, err)
	}
	if _, err := w.SQL().ExecContext(ctx, "SET enable_external_access = true"); err == nil {
		t.Fatal("configuration unlocked")
	}
	if err := sb.StreamParquet(ctx, "SELECT * FROM areas", nil, func(string) error { return nil }); err != nil {
		t.Fatalf("parquet export: %v", err)
	}
}
