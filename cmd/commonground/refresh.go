package main

// serve --refresh: re-ingest, on a schedule and inside the server process,
// the datasets that were last loaded from URLs.
//
// Each round reads the newest successful run of every dataset from
// ingest_runs. A dataset whose sources were all http(s) URLs is fetched
// again through the source cache (a conditional GET with the ETag and
// Last-Modified of the cached copy); when the bytes are the ones already
// loaded (a 304, or a 200 with the same sha256) nothing is loaded. Changed
// data is loaded by the ordinary ingest.Runner, whose swap is one
// transaction: readers see the old rows until it commits, then the new
// ones, never a mixture, and a failed load leaves the old rows in place.
// After a round that loaded something, the dashboard's caches are dropped.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// Serve's soft limits on Go's memory (without GOMEMLIMIT), which with
// DuckDB's limit and the binary keep the server under 500 MB RSS with all
// of England loaded (docs/PERFORMANCE.md). While the indicators and money
// reports warm, DuckDB is at its largest and Go's heap about 120 MB live:
// warmQueriesGoLimit. The dashboard's indexes then take it to about 190 MB:
// warmDashboardGoLimit. Once warm, serveGoMemoryLimit leaves room for
// requests' garbage without the collector running all the time (it was
// 40% of the CPU when the limit was within 10% of the live heap).
const (
	warmQueriesGoLimit   = 180 << 20
	warmDashboardGoLimit = 224 << 20
	serveGoMemoryLimit   = 272 << 20
)

// serveDuckDBMemoryLimit is serve's default --memory-limit. Together with
// serveGoMemoryLimit and the binary it keeps the server under 500 MB RSS
// with all of England loaded (docs/PERFORMANCE.md); DuckDB's own default,
// 80% of RAM, let warming the indicators alone take 100 MB more.
const serveDuckDBMemoryLimit = "200MB"

// serveAllocatorFlush is how much freed memory DuckDB may hold in serve
// (warehouse.Options.AllocatorFlush): at its default, 128 MiB, warming the
// money reports left the server 100 MB larger.
const serveAllocatorFlush = "16MB"

// minRefresh keeps a mistyped --refresh 1s from hammering publishers.
const minRefresh = time.Minute

// refresher runs the refresh rounds. It is used by one goroutine.
type refresher struct {
	db      *warehouse.DB
	runner  *ingest.Runner
	fetcher *source.Fetcher
	log     *slog.Logger
	// dataset finds a dataset's declaration (catalog.ByID; tests override
	// it to point a dataset at a stand-in publisher).
	dataset func(id string) (ingest.Dataset, error)
	// changed is called after a round that loaded new data.
	changed func()
}

func newRefresher(w *warehouse.DB, f *source.Fetcher, log *slog.Logger, changed func()) *refresher {
	return &refresher{db: w, fetcher: f, log: log, changed: changed, dataset: catalog.ByID,
		runner: &ingest.Runner{DB: w, Fetcher: f, Logger: log, Version: version}}
}

// refreshResult is what a round did with one dataset.
type refreshResult struct {
	Dataset string
	// Outcome is "unchanged", "loaded", "failed" or "skipped".
	Outcome string
	Rows    int64
	Reason  string
	Err     error
}

// loop runs a round every interval until ctx ends.
func (r *refresher) loop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		res, err := r.round(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("refresh failed", "err", err)
			}
			continue
		}
		counts := map[string]int{}
		for _, x := range res {
			counts[x.Outcome]++
		}
		r.log.Info("refresh done", "loaded", counts["loaded"], "unchanged", counts["unchanged"], "failed", counts["failed"],
			"skipped", counts["skipped"], "duration_ms", time.Since(start).Milliseconds(), "next", time.Now().Add(interval).Format(time.RFC3339))
	}
}

// lastRun is a dataset's newest successful load.
type lastRun struct {
	dataset string
	sources []string
	sha256  string
}

func (r *refresher) lastRuns(ctx context.Context) ([]lastRun, error) {
	rows, err := r.db.SQL().QueryContext(ctx, `SELECT dataset, coalesce(source, ''), coalesce(sha256, '') FROM ingest_runs
		WHERE status = 'ok' AND NOT synthetic
		QUALIFY run_id = max(run_id) OVER (PARTITION BY dataset) ORDER BY dataset`)
	if err != nil {
		return nil, fmt.Errorf("refresh: read ingest runs: %w", err)
	}
	defer rows.Close()
	var out []lastRun
	for rows.Next() {
		var lr lastRun
		var src string
		if err := rows.Scan(&lr.dataset, &src, &lr.sha256); err != nil {
			return nil, fmt.Errorf("refresh: read ingest runs: %w", err)
		}
		for _, s := range strings.Split(src, "\n") {
			if s = strings.TrimSpace(s); s != "" {
				lr.sources = append(lr.sources, s)
			}
		}
		out = append(out, lr)
	}
	return out, rows.Err()
}

// round refreshes every dataset loaded from URLs once, one at a time (the
// warehouse has one writer). A failure of one dataset does not stop the
// others; only a failure to read ingest_runs (or ctx ending) is an error.
func (r *refresher) round(ctx context.Context) ([]refreshResult, error) {
	runs, err := r.lastRuns(ctx)
	if err != nil {
		return nil, err
	}
	var out []refreshResult
	loaded := false
	for _, lr := range runs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		res := r.refreshOne(ctx, lr)
		switch res.Outcome {
		case "loaded":
			loaded = true
			r.log.Info("refresh: loaded new data", "dataset", res.Dataset, "rows", res.Rows)
		case "failed":
			r.log.Warn("refresh: could not refresh; the loaded data is kept", "dataset", res.Dataset, "err", res.Err)
		case "unchanged":
			r.log.Debug("refresh: unchanged", "dataset", res.Dataset)
		}
		out = append(out, res)
	}
	if loaded && r.changed != nil {
		r.changed()
	}
	return out, nil
}

func (r *refresher) refreshOne(ctx context.Context, lr lastRun) refreshResult {
	res := refreshResult{Dataset: lr.dataset, Outcome: "skipped"}
	if len(lr.sources) == 0 || slices.ContainsFunc(lr.sources, func(s string) bool { return !source.IsURL(s) }) {
		res.Reason = "loaded from local files"
		return res
	}
	ds, err := r.dataset(lr.dataset)
	if err != nil {
		res.Reason = "not in the catalogue"
		return res
	}
	// Per-run parameters (a council's code for spending) are not recorded,
	// so a dataset that takes them cannot be re-run as it was loaded.
	if len(ds.Params) > 0 {
		res.Reason = "takes parameters on the command line, which are not recorded"
		return res
	}
	// Revalidate each source; the runner's own fetch then finds the cache
	// current and reads it without a download.
	hashes := make([]string, 0, len(lr.sources))
	for _, u := range lr.sources {
		got, err := r.fetcher.Fetch(ctx, u)
		if err != nil {
			res.Outcome, res.Err = "failed", err
			return res
		}
		if got.FromCache {
			res.Outcome, res.Err = "failed", fmt.Errorf("fetch %s: the publisher could not be reached", u)
			return res
		}
		hashes = append(hashes, got.SHA256)
	}
	// A 304 gives the cached copy's hash: compare hashes, not statuses, so a
	// copy fetched earlier but never loaded (its load failed) is loaded now.
	if combinedHash(hashes) == lr.sha256 {
		res.Outcome = "unchanged"
		return res
	}
	// The catalogue's own URLs load as official (with its row-count checks);
	// other URLs as given files.
	req := ingest.Request{}
	if !slices.Equal(lr.sources, ds.URLs) {
		req.Files = lr.sources
	}
	sum, err := r.runner.RunWith(ctx, ds, req)
	if err != nil {
		res.Outcome, res.Err = "failed", err
		return res
	}
	res.Outcome, res.Rows = "loaded", sum.Rows
	return res
}

// combinedHash is ingest_runs.sha256 for several files: one file's own
// sha256, or the sha256 of their sha256s in order (as the runner records).
func combinedHash(hashes []string) string {
	if len(hashes) == 1 {
		return hashes[0]
	}
	h := sha256.New()
	for _, s := range hashes {
		io.WriteString(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// parseRefresh checks a --refresh interval: 0 is off.
func parseRefresh(d time.Duration) error {
	if d < 0 {
		return usageError{"--refresh must be positive"}
	}
	if d != 0 && d < minRefresh {
		return usageError{fmt.Sprintf("--refresh %s is too often: use at least %s (for example 24h)", d, minRefresh)}
	}
	return nil
}
