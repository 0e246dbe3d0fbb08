package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// publisher stands in for an open-data publisher: one CSV with an ETag,
// answering conditional GETs with 304 until the file changes.
type publisher struct {
	mu          sync.Mutex
	body, etag  string
	down        bool
	full, cond  atomic.Int32
	srv         *httptest.Server
	lastRequest atomic.Value
}

func newPublisher(t *testing.T, body string) *publisher {
	p := &publisher{body: body, etag: `"v1"`}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.down {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("If-None-Match") == p.etag {
			p.cond.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		p.full.Add(1)
		w.Header().Set("ETag", p.etag)
		fmt.Fprint(w, p.body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *publisher) publish(body, etag string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.body, p.etag = body, etag
}

// postcodeCSV makes n made-up postcodes (ZZ is not a real postcode area).
func postcodeCSV(n int) string {
	var b strings.Builder
	b.WriteString("postcode,lsoa_code,lat,long\n")
	for i := range n {
		fmt.Fprintf(&b, "ZZ1 %dAA,E01099%03d,53.4%d,-2.3%d\n", i, i, i, i)
	}
	return b.String()
}

func TestRefresh(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	w, err := warehouse.Open(ctx, filepath.Join(dir, "cg.duckdb"), warehouse.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := syncCatalog(ctx, w); err != nil {
		t.Fatal(err)
	}
	pub := newPublisher(t, postcodeCSV(3))
	ds, err := catalog.ByID("postcodes")
	if err != nil {
		t.Fatal(err)
	}
	ds.URLs = []string{pub.srv.URL + "/postcodes.csv"}
	ds.Checks.MinRows = 0 // the stand-in file is tiny

	f := &source.Fetcher{CacheDir: filepath.Join(dir, "cache"), Backoff: time.Millisecond, Retries: -1, Logger: log}
	changed := 0
	r := newRefresher(w, f, log, func() { changed++ })
	r.dataset = func(id string) (ingest.Dataset, error) {
		if id == ds.ID {
			return ds, nil
		}
		return catalog.ByID(id)
	}
	if _, err := r.runner.RunWith(ctx, ds, ingest.Request{}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := w.SQL().QueryRowContext(ctx, `SELECT count(*) FROM postcodes`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 3 {
		t.Fatalf("first load: %d rows", n)
	}

	// What `serve` does for the SQL console (warehouse.DB.Lockdown): no
	// file access and a locked configuration. Loads must still work.
	for _, q := range []string{"SET enable_external_access = false", "SET lock_configuration = true"} {
		if _, err := w.SQL().ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}

	only := func(res []refreshResult) refreshResult {
		t.Helper()
		for _, x := range res {
			if x.Dataset == ds.ID {
				return x
			}
		}
		t.Fatalf("no result for %s in %+v", ds.ID, res)
		return refreshResult{}
	}

	// Unchanged: a conditional GET, a 304, no load.
	res, err := r.round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := only(res); got.Outcome != "unchanged" || pub.cond.Load() != 1 || changed != 0 {
		t.Fatalf("unchanged source: %+v, %d conditional GETs, changed %d", got, pub.cond.Load(), changed)
	}
	var runs int
	w.SQL().QueryRowContext(ctx, `SELECT count(*) FROM ingest_runs WHERE dataset = 'postcodes'`).Scan(&runs)
	if runs != 1 {
		t.Fatalf("an unchanged source made a run: %d runs", runs)
	}

	// Changed: loaded while readers keep reading; they see 3 rows or 5,
	// never anything else.
	pub.publish(postcodeCSV(5), `"v2"`)
	stop := make(chan struct{})
	var seen sync.Map
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				if err := w.SQL().QueryRowContext(context.Background(), `SELECT count(*) FROM postcodes`).Scan(&n); err == nil {
					seen.Store(n, true)
				}
			}
		}()
	}
	res, err = r.round(ctx)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := only(res); got.Outcome != "loaded" || got.Rows != 5 || changed != 1 {
		t.Fatalf("changed source: %+v, changed %d", got, changed)
	}
	if n := count(); n != 5 {
		t.Fatalf("after refresh: %d rows", n)
	}
	seen.Range(func(k, _ any) bool {
		if n := k.(int); n != 3 && n != 5 {
			t.Errorf("a reader saw %d rows, a half-loaded dataset", n)
		}
		return true
	})

	// The publisher fails: the run is reported, the data stays.
	pub.mu.Lock()
	pub.down = true
	pub.mu.Unlock()
	pub.publish(postcodeCSV(1), `"v3"`)
	res, err = r.round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := only(res); got.Outcome != "failed" || changed != 1 || count() != 5 {
		t.Fatalf("publisher down: %+v, changed %d, %d rows", got, changed, count())
	}

	// Datasets loaded from local files, or needing parameters, are left alone.
	if got := r.refreshOne(ctx, lastRun{dataset: "postcodes", sources: []string{"/data/postcodes.csv"}}); got.Outcome != "skipped" {
		t.Errorf("local file: %+v", got)
	}
	if got := r.refreshOne(ctx, lastRun{dataset: "spending", sources: []string{pub.srv.URL + "/x.csv"}}); got.Outcome != "skipped" {
		t.Errorf("dataset with parameters: %+v", got)
	}
}

func TestParseRefresh(t *testing.T) {
	for _, tt := range []struct {
		d  time.Duration
		ok bool
	}{{0, true}, {24 * time.Hour, true}, {time.Minute, true}, {time.Second, false}, {-time.Hour, false}} {
		if err := parseRefresh(tt.d); (err == nil) != tt.ok {
			t.Errorf("parseRefresh(%s): %v", tt.d, err)
		}
	}
	if code, _, errb := runCLI(t, "serve", "--refresh", "5s", "--db", filepath.Join(t.TempDir(), "x.duckdb")); code != 2 || !strings.Contains(errb, "too often") {
		t.Errorf("serve --refresh 5s: code %d, %q", code, errb)
	}
}
