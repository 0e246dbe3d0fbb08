package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"commonground/dashboard"
	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

var (
	spendOnce sync.Once
	spendSrv  *httptest.Server
	spendSB   *warehouse.Sandbox
	spendErr  error
)

// spendingServer loads every council spending file in ../shared/data (as
// docs/load-shared-data.sh does) into a fresh warehouse and serves it,
// locked down as serve does. It needs no prepared database, so it runs in
// CI.
func spendingServer(b *testing.B) (*httptest.Server, *warehouse.Sandbox) {
	b.Helper()
	spendOnce.Do(func() {
		dd := os.Getenv("COMMONGROUND_SHARED_DATA")
		if dd == "" {
			dd, _ = filepath.Abs("../../shared/data")
		}
		p := filepath.Join(dd, "spending")
		if _, err := os.Stat(p); err != nil {
			spendErr = fmt.Errorf("spending files not found (%w); set COMMONGROUND_SHARED_DATA", err)
			return
		}
		dir, err := osMkdirTemp()
		if err != nil {
			spendErr = err
			return
		}
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		db, err := warehouse.Open(ctx, filepath.Join(dir, "spend.duckdb"), warehouse.Options{Logger: log})
		if err != nil {
			spendErr = err
			return
		}
		var infos []warehouse.DatasetInfo
		for _, d := range catalog.All() {
			infos = append(infos, warehouse.DatasetInfo{ID: d.ID, Title: d.Title, Publisher: d.Publisher, Licence: d.Licence, Attribution: d.Attribution, Table: d.Table})
		}
		if spendErr = db.SyncDatasets(ctx, infos); spendErr != nil {
			return
		}
		ds, err := catalog.ByID("spending")
		if err != nil {
			spendErr = err
			return
		}
		glob := func(pat string) []string { m, _ := filepath.Glob(filepath.Join(p, pat)); return m }
		r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: filepath.Join(dir, "cache")}, Logger: log}
		for _, req := range []ingest.Request{
			{Files: glob("leeds/*.csv")},
			{Files: glob("manchester/*.csv")},
			{Files: []string{filepath.Join(p, "trafford/trafford-supplier-spend-2024-25.zip"), filepath.Join(p, "trafford/government_procurement_card_transactions_2024-25.csv")}},
			{Files: []string{filepath.Join(p, "north_tyneside/northtyneside_spending_odileeds_clean_2022-07_p.csv")}, Params: map[string]string{"council": "E08000022"}},
		} {
			if _, err := r.RunWith(ctx, ds, req); err != nil {
				spendErr = fmt.Errorf("load spending %v: %w", req.Files, err)
				return
			}
		}
		h, err := dashboard.New(dashboard.Config{Logger: log}, db, nil)
		if err != nil {
			spendErr = err
			return
		}
		spendSrv = httptest.NewServer(h)
		spendSB = warehouse.NewSandbox(db, warehouse.SandboxOptions{})
	})
	if spendErr != nil {
		b.Fatal(spendErr)
	}
	return spendSrv, spendSB
}

const spendingGroupBy = "SELECT council_name, expense_type, count(*) AS payments, sum(amount) AS total FROM spending GROUP BY ALL ORDER BY total DESC"

// BenchmarkSQLSpendingGroupBy: a group-by over the whole spending table,
// in the sandbox and end to end over HTTP (target: under 200 ms).
func BenchmarkSQLSpendingGroupBy(b *testing.B) {
	srv, sb := spendingServer(b)
	var n int64
	res, err := sb.Preview(context.Background(), "SELECT count(*) FROM spending")
	if err != nil {
		b.Fatal(err)
	}
	n = res.Rows[0][0].(int64)
	b.ReportMetric(float64(n), "rows")
	b.Run("sandbox", func(b *testing.B) {
		for b.Loop() {
			if _, err := sb.Preview(context.Background(), spendingGroupBy); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The sandbox's own cost: the checks, the transaction, one row.
	b.Run("select1", func(b *testing.B) {
		for b.Loop() {
			if _, err := sb.Preview(context.Background(), "SELECT 1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("http", func(b *testing.B) {
		i := 0
		for b.Loop() {
			// A new comment each time: the result cache must not answer.
			i++
			u := srv.URL + "/api/sql?q=" + url.QueryEscape(fmt.Sprintf("%s -- %d %d", spendingGroupBy, i, time.Now().UnixNano()))
			res, err := srv.Client().Get(u)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}

// consoleQueries are what people typically run on the console.
var consoleQueries = []string{
	spendingGroupBy,
	"SELECT council_name, supplier_name, sum(amount) AS total_pounds, count(*) AS payments FROM spending GROUP BY council_name, supplier_name ORDER BY total_pounds DESC LIMIT 20",
	"SELECT council_name, date_trunc('month', payment_date)::DATE AS month, sum(amount) AS total_pounds FROM spending GROUP BY ALL ORDER BY council_name, month",
	"SELECT payment_date, supplier_name, amount, expense_type FROM spending WHERE supplier_name ILIKE '%care%' ORDER BY amount DESC LIMIT 100",
	"SELECT * FROM spending WHERE council_code = 'E08000009' LIMIT 200",
	"SELECT id, title, publisher, licence FROM datasets ORDER BY id",
	"SELECT service_area, count(*) AS n FROM spending GROUP BY 1 ORDER BY 2 DESC LIMIT 50",
}

// BenchmarkSQLConsole20Users: 20 concurrent console users, each running 10
// typical queries back to back over loopback HTTP (target: p95 under
// 300 ms, no errors). Run it with -benchtime=1x.
// "distinct" makes every query text unique (a comment with the user and
// step), so nothing comes from the result cache: the engine's own speed.
// "shared" is the same typical queries, as when people run the examples:
// a warm-up round, then the measured round, mostly from the cache.
func BenchmarkSQLConsole20Users(b *testing.B) {
	b.Run("distinct", func(b *testing.B) { consoleLoad(b, true) })
	b.Run("shared", func(b *testing.B) {
		consoleRound(b, false) // warm-up, not measured
		consoleLoad(b, false)
	})
}

func consoleLoad(b *testing.B, distinct bool) {
	for b.Loop() {
		consoleRound(b, distinct)
	}
}

func consoleRound(b *testing.B, distinct bool) {
	srv, _ := spendingServer(b)
	const users, each = 20, 10
	{
		var mu sync.Mutex
		var lat []time.Duration
		errs := map[int]int{}
		var wg sync.WaitGroup
		start := time.Now()
		for u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					q := consoleQueries[(u+i)%len(consoleQueries)]
					if distinct {
						q += fmt.Sprintf("\n-- user %d, query %d, %d", u, i, time.Now().UnixNano())
					}
					t0 := time.Now()
					res, err := srv.Client().Get(srv.URL + "/api/sql?q=" + url.QueryEscape(q))
					code := 0
					if err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						code = res.StatusCode
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					if code != http.StatusOK {
						errs[code]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		wall := time.Since(start)
		slices.Sort(lat)
		pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
		b.ReportMetric(pct(0.5), "p50_ms")
		b.ReportMetric(pct(0.95), "p95_ms")
		b.ReportMetric(pct(1), "max_ms")
		b.ReportMetric(float64(len(lat))/wall.Seconds(), "queries/s")
		nerr := 0
		for _, n := range errs {
			nerr += n
		}
		b.ReportMetric(float64(nerr), "errors")
		b.Logf("%d queries in %s: p50 %.0f ms, p95 %.0f ms, max %.0f ms, errors %v", len(lat), wall.Round(time.Millisecond), pct(0.5), pct(0.95), pct(1), errs)
		if nerr > 0 {
			b.Errorf("errors by status: %v", errs)
		}
	}
}
