package dashboard_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"commonground/dashboard"
	"commonground/warehouse"
	"commonground/warehouse/hostile"
)

var (
	sqlOnce sync.Once
	sqlSrv  *httptest.Server
	sqlDB   *warehouse.DB
	sqlErr  error
)

// sqlServer serves a writable copy of the demo warehouse, locked down as
// serve does, with a short time limit so the hostile suite stays fast.
func sqlServer(t *testing.T) *httptest.Server {
	t.Helper()
	demoDB(t)
	sqlOnce.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			sqlErr = err
			return
		}
		b, err := os.ReadFile(dbPath)
		if err != nil {
			sqlErr = err
			return
		}
		p := filepath.Join(dir, "sql.duckdb")
		if sqlErr = os.WriteFile(p, b, 0o600); sqlErr != nil {
			return
		}
		if sqlDB, sqlErr = warehouse.Open(t.Context(), p, warehouse.Options{}); sqlErr != nil {
			return
		}
		h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			SQL: warehouse.SandboxOptions{Timeout: 500 * time.Millisecond, DownloadTimeout: 2 * time.Second}}, sqlDB, nil)
		if err != nil {
			sqlErr = err
			return
		}
		sqlSrv = httptest.NewServer(h)
	})
	if sqlErr != nil {
		t.Fatal(sqlErr)
	}
	return sqlSrv
}

// runSQL sends q by GET when short and by POST (text/plain) when long.
func runSQL(t *testing.T, srv *httptest.Server, q, extra string) (*http.Response, []byte) {
	t.Helper()
	var res *http.Response
	var err error
	if len(q) < 4000 {
		res, err = srv.Client().Get(srv.URL + "/api/sql?q=" + url.QueryEscape(q) + extra)
	} else {
		res, err = srv.Client().Post(srv.URL+"/api/sql?"+strings.TrimPrefix(extra, "&"), "text/plain; charset=utf-8", strings.NewReader(q))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestHostileSQLOverHTTP(t *testing.T) {
	srv := sqlServer(t)
	cases := hostile.Queries()
	if len(cases) < 30 {
		t.Fatalf("only %d hostile queries", len(cases))
	}
	for _, h := range cases {
		t.Run(h.Name, func(t *testing.T) {
			res, body := runSQL(t, srv, h.SQL, "")
			if res.StatusCode < 400 || res.StatusCode >= 500 {
				t.Fatalf("status %d: %.300s", res.StatusCode, body)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Fatalf("no clear message: %.300s", body)
			}
			if strings.Contains(e.Error, sqlDB.Path()) || strings.Contains(e.Error, "goroutine") || strings.Contains(e.Error, ".go:") {
				t.Fatalf("message leaks internals: %s", e.Error)
			}
			res, body = runSQL(t, srv, "SELECT count(*) AS n FROM areas", "")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("server no longer answers: %d %s", res.StatusCode, body)
			}
		})
	}
	// The downloads go through the same rules.
	for _, f := range []string{"csv", "json&download=1", "parquet", "geojson"} {
		res, body := runSQL(t, srv, "SELECT * FROM read_text('/etc/passwd')", "&format="+f)
		if res.StatusCode != http.StatusForbidden || strings.Contains(string(body), "root:") {
			t.Errorf("format %s: %d %.200s", f, res.StatusCode, body)
		}
	}
}

func TestAPISQL(t *testing.T) {
	srv := sqlServer(t)
	res, body := runSQL(t, srv, "SELECT code, name, population FROM areas WHERE level = 'lsoa11' ORDER BY code", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	var out struct {
		Columns   []struct{ Name, Type string }
		Rows      [][]any
		RowCount  int64   `json:"row_count"`
		Truncated bool    `json:"truncated"`
		ElapsedMS float64 `json:"elapsed_ms"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Columns) != 3 || out.Columns[0].Name != "code" || out.Columns[0].Type != "VARCHAR" || out.Columns[2].Type == "" {
		t.Fatalf("columns %+v", out.Columns)
	}
	if out.RowCount < 10 || int64(len(out.Rows)) != out.RowCount || out.Truncated || out.ElapsedMS <= 0 {
		t.Fatalf("row_count %d rows %d truncated %v elapsed %v", out.RowCount, len(out.Rows), out.Truncated, out.ElapsedMS)
	}
	// More rows than the display cap: truncated, with the full count.
	res, body = runSQL(t, srv, "SELECT range AS n FROM range(5000)", "")
	if err := json.Unmarshal(body, &out); err != nil || res.StatusCode != 200 {
		t.Fatal(res.StatusCode, err)
	}
	if out.RowCount != 5000 || len(out.Rows) != 1000 || !out.Truncated {
		t.Fatalf("row_count %d rows %d truncated %v", out.RowCount, len(out.Rows), out.Truncated)
	}
	// POST with a form and with JSON.
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/json"} {
		payload := "q=" + url.QueryEscape("SELECT 42 AS answer")
		if ct == "application/json" {
			payload = `{"q": "SELECT 42 AS answer"}`
		}
		r, err := srv.Client().Post(srv.URL+"/api/sql", ct, strings.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || !strings.Contains(string(b), "[42]") {
			t.Fatalf("POST %s: %d %s", ct, r.StatusCode, b)
		}
	}
}

func TestSQLDownloads(t *testing.T) {
	srv := sqlServer(t)
	q := "SELECT code, name, geometry FROM areas WHERE level = 'lsoa11' ORDER BY code LIMIT 3"
	res, body := runSQL(t, srv, q, "&format=csv")
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if res.StatusCode != 200 || len(lines) != 4 || lines[0] != "code,name,geometry" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), `filename=query.csv`) {
		t.Fatalf("csv: %d %q %s", res.StatusCode, lines, res.Header.Get("Content-Disposition"))
	}
	res, body = runSQL(t, srv, q, "&format=json&download=1")
	var rows []map[string]any
	if err := json.Unmarshal(body, &rows); err != nil || res.StatusCode != 200 || len(rows) != 3 || rows[0]["code"] == nil {
		t.Fatalf("json: %d %v %.200s", res.StatusCode, err, body)
	}
	res, body = runSQL(t, srv, q, "&format=geojson")
	var fc struct {
		Type     string
		Features []struct {
			Geometry   struct{ Type string }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(body, &fc); err != nil || res.StatusCode != 200 || fc.Type != "FeatureCollection" || len(fc.Features) != 3 {
		t.Fatalf("geojson: %d %v %.200s", res.StatusCode, err, body)
	}
	if g := fc.Features[0].Geometry.Type; g != "Polygon" && g != "MultiPolygon" {
		t.Fatalf("geometry %q", g)
	}
	if _, ok := fc.Features[0].Properties["geometry"]; ok || fc.Features[0].Properties["code"] == nil {
		t.Fatalf("properties %v", fc.Features[0].Properties)
	}
	// Points from lon/lat.
	res, body = runSQL(t, srv, "SELECT 'a' AS name, -2.3 AS lon, 53.4 AS lat", "&format=geojson")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"coordinates":[-2.3,53.4]`) {
		t.Fatalf("points: %d %s", res.StatusCode, body)
	}
	// No geometry: a clear 400.
	res, body = runSQL(t, srv, "SELECT 1 AS x", "&format=geojson")
	if res.StatusCode != 400 || !strings.Contains(string(body), "geometry") {
		t.Fatalf("no geometry: %d %s", res.StatusCode, body)
	}
	res, body = runSQL(t, srv, q, "&format=parquet")
	if res.StatusCode != 200 || len(body) < 8 || string(body[:4]) != "PAR1" || string(body[len(body)-4:]) != "PAR1" {
		t.Fatalf("parquet: %d %d bytes", res.StatusCode, len(body))
	}
	res, _ = runSQL(t, srv, q, "&format=xlsx")
	if res.StatusCode != 400 {
		t.Fatalf("unknown format: %d", res.StatusCode)
	}
}

// A saturated sandbox answers 429 with a message and Retry-After, and
// recovers; the same query twice comes from the cache the second time.
func TestSQLBusyAndCache(t *testing.T) {
	sqlServer(t) // sqlDB
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SQL: warehouse.SandboxOptions{Timeout: 400 * time.Millisecond, MaxConcurrent: 1, MaxQueue: 1, QueueWait: 50 * time.Millisecond}}, sqlDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	slow := "SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE a.range + b.range = -1"
	var wg sync.WaitGroup
	codes := make([]int, 4)
	retry := make([]string, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := runSQL(t, srv, fmt.Sprintf("%s -- %d", slow, i), "")
			codes[i], retry[i] = res.StatusCode, res.Header.Get("Retry-After")
		}()
		time.Sleep(15 * time.Millisecond)
	}
	wg.Wait()
	busy := 0
	for i, c := range codes {
		if c == http.StatusTooManyRequests {
			busy++
			if retry[i] == "" {
				t.Error("429 without Retry-After")
			}
		} else if c != http.StatusRequestTimeout {
			t.Errorf("status %d", c)
		}
	}
	if busy == 0 {
		t.Fatalf("no 429 among %v", codes)
	}
	var out struct{ Cached bool }
	for i, want := range []bool{false, true} {
		res, body := runSQL(t, srv, "SELECT 'cache test' AS x", "")
		if err := json.Unmarshal(body, &out); err != nil || res.StatusCode != 200 || out.Cached != want {
			t.Fatalf("run %d: %d cached=%v", i, res.StatusCode, out.Cached)
		}
	}
}
