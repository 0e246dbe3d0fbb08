package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/demo"
	"commonground/warehouse"
)

const demoHelp = `Generates "Exampleton", a synthetic local authority of about 60 LSOAs with its
wards, boundaries, deprivation, population, postcodes, services and spending,
as files in the same formats as the real sources, and loads them through the
normal ingest pipeline. Everything it creates is marked synthetic. It sits in
the Irish Sea, so it never overlaps a real area.`

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "demo [--db PATH] [--dir DIR] [--seed N]", demoHelp)
	db := dbFlag(fs)
	dir := fs.String("dir", "", "where to write the generated files (default: demo-data beside the database)")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same files")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		*dir = filepath.Join(filepath.Dir(*db), "demo-data")
	}
	files, err := demo.Generate(ctx, *dir, *seed)
	if err != nil {
		return fmt.Errorf("generate demo data: %w", err)
	}
	w, err := warehouse.Open(ctx, *db, warehouse.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	if err := syncCatalog(ctx, w); err != nil {
		return err
	}
	var jobs []job
	for _, d := range catalog.All() {
		if fs, ok := files[d.ID]; ok {
			jobs = append(jobs, job{ds: d, files: fs})
		}
	}
	r := &ingest.Runner{DB: w, Fetcher: newFetcher(e, defaultCacheDir()), Logger: e.log, Synthetic: true, Version: version}
	if err := runJobs(ctx, e, r, jobs); err != nil {
		return err
	}
	return printDemoSummary(ctx, e, w)
}

func printDemoSummary(ctx context.Context, e *env, w *warehouse.DB) error {
	var name string
	var lsoas, wards, pop int64
	err := w.SQL().QueryRowContext(ctx, `SELECT
		(SELECT name FROM areas WHERE level = 'lad' AND code = ?),
		(SELECT count(*) FROM areas WHERE level = 'lsoa11' AND lad_code = ?),
		(SELECT count(*) FROM areas WHERE level = 'ward' AND lad_code = ?),
		(SELECT coalesce(sum(population), 0) FROM areas WHERE level = 'lsoa11' AND lad_code = ?)`,
		demo.LADCode, demo.LADCode, demo.LADCode, demo.LADCode).Scan(&name, &lsoas, &wards, &pop)
	if err != nil {
		return fmt.Errorf("demo summary: %w", err)
	}
	var deprived int64
	if err := w.SQL().QueryRowContext(ctx, `SELECT count(*) FROM imd WHERE edition = 2019 AND imd_decile = 1 AND lad_code = ?`, demo.LADCode).Scan(&deprived); err != nil {
		return fmt.Errorf("demo summary: %w", err)
	}
	fmt.Fprintf(e.stdout, "\n%s (%s) — SYNTHETIC DEMO DATA\n  %d LSOAs in %d wards, %s residents (mid-2017 estimate)\n  %d LSOAs in the 10%% most deprived in England (IMD 2019)\n",
		name, demo.LADCode, lsoas, wards, thousands(pop), deprived)
	fmt.Fprintf(e.stdout, "\nTry:\n  commonground query --db %s \"SELECT code, name, population FROM areas WHERE lad_code = '%s' AND level = 'ward' ORDER BY name\"\n", w.Path(), demo.LADCode)
	return nil
}

// thousands formats n with comma separators: 104,830.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
