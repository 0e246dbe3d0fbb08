package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"time"

	"commonground/dashboard"
	"commonground/ingest/custom"
	"commonground/queries"
	"commonground/warehouse"
)

const serveHelp = `Serves the dashboard and the JSON API from the warehouse file. The server
process owns the database: stop it before running ingest from another process.`

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [--db PATH] [--addr HOST:PORT] [--refresh 24h] [--sql-timeout 1s] [--memory-limit 2GB] [--page-dir DIR] [--debug-addr 127.0.0.1:6060]", serveHelp)
	db := dbFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	refresh := fs.Duration("refresh", 0, "re-ingest the datasets loaded from URLs this often (conditional GET; unchanged ones are skipped); 0 = never")
	cacheDir := fs.String("cache-dir", defaultCacheDir(), "where downloads are cached, for --refresh (env COMMONGROUND_CACHE)")
	sqlTimeout := fs.Duration("sql-timeout", warehouse.DefaultSandboxTimeout, "time limit for a query in the SQL console and /api/sql (at most 30s)")
	sqlDownload := fs.Duration("sql-download-timeout", 30*time.Second, "time limit for a full SQL download: CSV, JSON, Parquet, GeoJSON (at most 5m)")
	sqlConc := fs.Int("sql-concurrency", 4, "SQL console queries that run at once; more wait up to 2s, then get HTTP 429")
	memLimit := fs.String("memory-limit", serveDuckDBMemoryLimit, "DuckDB's memory limit for the whole server (its buffer pool and queries; larger queries spill to disk), e.g. 2GB")
	pageDir := fs.String("page-dir", "", "where drawn area profiles are kept for the data version (default: the database's path + \".pages\"; \"off\" keeps none)")
	prerender := fs.Bool("prerender", true, "draw every area's profile into --page-dir while the server is idle, so no visitor waits for one")
	debugAddr := fs.String("debug-addr", "", "also serve Go's profiler (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060; off by default")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *debugAddr != "" {
		if err := serveDebug(e, *debugAddr); err != nil {
			return err
		}
	}
	if *sqlTimeout <= 0 || *sqlTimeout > warehouse.MaxSandboxTimeout {
		return usageError{"--sql-timeout must be more than 0 and at most 30s"}
	}
	if err := parseRefresh(*refresh); err != nil {
		return err
	}
	// A soft limit on Go's memory keeps the collector from letting the heap
	// double before it runs (the server's RSS target is 500 MB with all of
	// England loaded: docs/PERFORMANCE.md, issue 5). It is lower while the
	// start-up warming makes garbage and DuckDB is busiest, and rises when
	// the caches start to fill. GOMEMLIMIT overrides both.
	setGoLimit := func(n int64) {
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(n)
		}
	}
	setGoLimit(warmQueriesGoLimit)
	w, err := warehouse.Open(ctx, *db, warehouse.Options{Logger: e.log, MemoryLimit: *memLimit, AllocatorFlush: serveAllocatorFlush})
	if err != nil {
		return err
	}
	defer w.Close()
	// Parquet downloads are written here by DuckDB and streamed; it is the
	// only directory the locked-down database may touch (docs/SQL.md).
	exportDir, err := warehouse.NewExportDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(exportDir)
	if err := syncCatalog(ctx, w); err != nil {
		return err
	}
	// Service gaps (service_access) are derived from the loaded data:
	// rebuild them if a load is newer, before the indicators read them.
	if err := queries.EnsureAccess(ctx, w, e.log); err != nil {
		return err
	}
	cat, err := queries.Default()
	if err != nil {
		return err
	}
	if err := cat.Validate(ctx, w); err != nil {
		return fmt.Errorf("indicator files: %w", err)
	}
	switch *pageDir {
	case "":
		*pageDir = *db + ".pages"
	case "off":
		*pageDir = ""
	}
	h, err := dashboard.New(dashboard.Config{Logger: e.log, Version: version, AddCustomArea: customAreaAdder(w, cat), PageDir: *pageDir,
		SQL: warehouse.SandboxOptions{Timeout: *sqlTimeout, DownloadTimeout: *sqlDownload, MaxConcurrent: *sqlConc, ExportDir: exportDir}}, w, cat)
	if err != nil {
		return err
	}
	// Read every indicator's rows, the dashboard's indexes and the money
	// reports now, so the first visitors do not wait (about 30 s in all on
	// all-England data; requests before then share the work). /readyz says
	// when it is done.
	go func() {
		start := time.Now()
		// A failure leaves the work to the first requests: log it, go on.
		if err := cat.Warm(ctx, w); err != nil {
			e.log.Warn("warming indicators", "err", err)
		} else {
			e.log.Info("indicators ready", "duration_ms", time.Since(start).Milliseconds())
		}
		// Each step's garbage goes back to the system before the next
		// (the RSS target is a peak, and the steps' peaks add up).
		debug.FreeOSMemory()
		if err := h.WarmMap(ctx); err != nil {
			e.log.Warn("warming the map", "err", err)
		}
		// Money before the dashboard: its matching is DuckDB's largest
		// memory, best reached while Go's heap is still small (the RSS
		// target is a peak).
		start = time.Now()
		if err := queries.WarmMoney(ctx, w); err != nil { // money against need (/money, profiles)
			e.log.Warn("warming money reports", "err", err)
		}
		e.log.Info("money reports ready", "duration_ms", time.Since(start).Milliseconds())
		debug.FreeOSMemory()
		setGoLimit(warmDashboardGoLimit)
		if err := h.Warm(ctx); err != nil {
			e.log.Warn("warming the dashboard", "err", err)
		}
		setGoLimit(serveGoMemoryLimit)
		h.MarkReady()
		if *prerender {
			if err := h.Prerender(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("prerendering profiles", "err", err)
			}
		}
	}()
	if *refresh > 0 {
		// See refresh.go. The dashboard must not import ingest, so it is
		// wired here; after new data its caches are dropped and refilled.
		f := newFetcher(e, *cacheDir)
		f.Progress = nil
		go newRefresher(w, f, e.log, func() {
			// New data: rebuild service gaps before the caches refill.
			if err := queries.EnsureAccess(ctx, w, e.log); err != nil {
				e.log.Warn("service gaps", "err", err)
			}
			h.DataChanged()
			if err := cat.Warm(ctx, w); err != nil {
				e.log.Warn("warming indicators", "err", err)
			}
			if err := h.Warm(ctx); err != nil {
				e.log.Warn("warming the dashboard", "err", err)
			}
			if *prerender {
				go h.Prerender(ctx) // returns at once if one is running: that one starts again
			}
		}).loop(ctx, *refresh)
		e.log.Info("refresh scheduled", "every", refresh.String())
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(e.stdout, "Commonground is serving %s at http://%s/ (Ctrl-C to stop)\n", w.Path(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveDebug serves net/http/pprof on a loopback address of its own, for
// profiling a running server (docs/PERFORMANCE.md): never on the public one.
func serveDebug(e *env, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{"--debug-addr must be HOST:PORT"}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{"--debug-addr must be a loopback address (127.0.0.1:PORT): the profiler is not for the public"}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	e.log.Info("profiler listening", "addr", ln.Addr().String())
	go http.Serve(ln, mux)
	return nil
}

// customAreaAdder stores uploaded custom areas for the dashboard: the
// dashboard must not import ingest, so the command wires it in.
func customAreaAdder(w *warehouse.DB, cat *queries.Catalog) dashboard.AddCustomArea {
	return func(ctx context.Context, name string, r io.Reader, file string) (string, error) {
		f, err := custom.Read(r, file)
		if err != nil {
			return "", fmt.Errorf("%w: %v", dashboard.ErrBadUpload, err)
		}
		a, err := custom.Add(ctx, w, custom.Spec{Name: name, Geometry: f.Union()})
		if errors.Is(err, custom.ErrInvalid) || errors.Is(err, custom.ErrNoLSOAs) {
			return "", fmt.Errorf("%w: %v", dashboard.ErrBadUpload, err)
		}
		if err != nil {
			return "", err
		}
		cat.Reset() // the area's make-up is new: recompute indicator caches
		return a.Code, nil
	}
}
