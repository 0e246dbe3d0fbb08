package ingest_test

// Benchmarks for the performance targets (docs/PERFORMANCE.md):
//
//	go test -tags duckdb_arrow,mallocator -run '^$' -bench . -benchtime 3x ./ingest/
//
//  1. BenchmarkCSVIngest: a clean generated 1,000,000-row CSV loaded through
//     our pipeline (CSVReader -> Arrow -> staging -> store, in one
//     transaction) and through DuckDB's own read_csv, side by side. Each
//     path's peak memory is measured in a child process of its own
//     (VmHWM is process-wide and never goes down).
//  2. BenchmarkLSOA11AllEngland: all 326 LSOA 2011 boundary files.
//  3. BenchmarkIMD2019File2: IoD2019 File 2 (domains of deprivation).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/format"
	"commonground/ingest/source"
	"commonground/warehouse"
)

const (
	benchRows = 1_000_000
	// Child-process mode: the sub-benchmark named by benchChildEnv loads the
	// CSV named by benchCSVEnv once and prints its peak RSS.
	benchChildEnv = "CG_BENCH_CHILD"
	benchCSVEnv   = "CG_BENCH_CSV"
	benchPeakTag  = "CG_BENCH_PEAK_KB="
)

// benchCSV is the generated file: its path, size and sum(amount) in pence.
type benchCSV struct {
	path  string
	size  int64
	pence int64
}

// writeBenchCSV writes the clean 1M-row spending-like CSV: payment_date
// dd/mm/yyyy, amount with two decimals, supplier, service, lad_code,
// postcode (10% empty) and id. It is deterministic (fixed seed).
func writeBenchCSV(b *testing.B, path string) benchCSV {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewSource(20261122))
	services := []string{"Adults and Health", "Children and Families", "City Development", "Communities and Environment",
		"Resources", "Housing", "Highways and Transportation", "Public Health", "Education", "Waste Management"}
	suffixes := []string{"Ltd", "Limited", "PLC", "LLP", "Trust", "CIC", "and Sons", "Services Ltd"}
	lads := []string{"E08000001", "E08000002", "E08000003", "E08000004", "E08000005", "E08000006",
		"E08000007", "E08000008", "E08000009", "E08000010", "E08000035", "E06000009"}
	letters := "ABDEFGHJLNPQRSTUWXYZ"
	var total int64
	line := make([]byte, 0, 256)
	w.WriteString("payment_date,amount,supplier,service,lad_code,postcode,id\n")
	for i := 0; i < benchRows; i++ {
		day := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.Intn(3650))
		pence := rng.Int63n(5_000_000) + 1
		if rng.Intn(50) == 0 {
			pence = -pence // credit notes
		}
		total += pence
		line = line[:0]
		line = day.AppendFormat(line, "02/01/2006")
		line = append(line, ',')
		if pence < 0 {
			line = append(line, '-')
		}
		ap := max(pence, -pence)
		line = strconv.AppendInt(line, ap/100, 10)
		line = append(line, '.', byte('0'+ap%100/10), byte('0'+ap%10))
		line = append(line, ',')
		line = fmt.Appendf(line, "Supplier %d %s", rng.Intn(20000), suffixes[rng.Intn(len(suffixes))])
		line = append(line, ',')
		line = append(line, services[rng.Intn(len(services))]...)
		line = append(line, ',')
		line = append(line, lads[rng.Intn(len(lads))]...)
		line = append(line, ',')
		if rng.Intn(10) != 0 {
			line = fmt.Appendf(line, "M%d %d%c%c", rng.Intn(40)+1, rng.Intn(10),
				letters[rng.Intn(len(letters))], letters[rng.Intn(len(letters))])
		}
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(i+1), 10)
		line = append(line, '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return benchCSV{path: path, size: st.Size(), pence: total}
}

// benchSpec declares the generated file's columns as a catalogue entry
// would (dates in the default layouts, of which dd/mm/yyyy is one).
var benchSpec = format.FileSpec{Kind: "bench", Columns: []format.Column{
	{Name: "payment_date", Type: format.Date, Aliases: []string{"payment_date"}, Required: true},
	{Name: "amount", Type: format.Decimal, Scale: 2, Aliases: []string{"amount"}, Required: true},
	{Name: "supplier", Type: format.Text, Aliases: []string{"supplier"}},
	{Name: "service", Type: format.Text, Aliases: []string{"service"}},
	{Name: "lad_code", Type: format.Text, Aliases: []string{"lad_code"}},
	{Name: "postcode", Type: format.Text, Aliases: []string{"postcode"}},
	{Name: "id", Type: format.Int, Aliases: []string{"id"}},
}}

const benchTable = `CREATE OR REPLACE TABLE store.main.bench_spend (payment_date DATE, amount DECIMAL(18,2),
	supplier VARCHAR, service VARCHAR, lad_code VARCHAR, postcode VARCHAR, id BIGINT)`

// benchReadCSV is DuckDB's own loader with explicit columns and the same
// conversions: strptime for the dd/mm/yyyy date, DECIMAL(18,2) for amount.
const benchReadCSV = `INSERT INTO store.main.bench_spend
SELECT strptime(payment_date, '%%d/%%m/%%Y')::DATE AS payment_date, amount, supplier, service, lad_code, postcode, id
FROM read_csv(%s, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
	columns = {'payment_date': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'supplier': 'VARCHAR', 'service': 'VARCHAR',
	           'lad_code': 'VARCHAR', 'postcode': 'VARCHAR', 'id': 'BIGINT'})`

// ingestFunc loads the CSV at path into store.main.bench_spend of db and
// returns the rows loaded.
type ingestFunc func(ctx context.Context, db *warehouse.DB, path string) (int64, error)

// ingestArrow is our pipeline without the runner's file hashing and header
// search: CSVReader -> Arrow stream -> INSERT BY NAME straight into the
// store table, with provenance and rejects, in one transaction
// (warehouse.Load.CommitStream, the path the runner takes for a single CSV).
func ingestArrow(ctx context.Context, db *warehouse.DB, path string) (int64, error) {
	l, err := db.BeginLoad(ctx, warehouse.RunInfo{Dataset: "bench-csv", Synthetic: true, ToolVersion: "bench"})
	if err != nil {
		return 0, err
	}
	defer l.Close()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rdr, err := format.NewCSVReader(f, filepath.Base(path), benchSpec)
	if err != nil {
		return 0, err
	}
	defer rdr.Release()
	check := func(context.Context, warehouse.Querier, int64) error {
		if st := rdr.Stats(); st.Rejected != 0 {
			return fmt.Errorf("%d rows rejected, first %v", st.Rejected, rdr.Rejects()[0])
		}
		return nil
	}
	res := func() warehouse.RunResult {
		st := rdr.Stats()
		return warehouse.RunResult{Source: []string{path}, Files: []warehouse.FileRecord{{File: filepath.Base(path), Kind: benchSpec.Kind,
			Encoding: st.Encoding, DataLines: int64(st.DataLines), Rows: int64(st.Rows)}}}
	}
	return l.CommitStream(ctx, benchSpec.Kind, rdr, warehouse.Swap{Table: "bench_spend",
		Insert: "SELECT * FROM " + warehouse.StagingName(benchSpec.Kind)}, check, res)
}

// ingestReadCSV is DuckDB's read_csv into the same table, one statement.
func ingestReadCSV(ctx context.Context, db *warehouse.DB, path string) (int64, error) {
	res, err := db.SQL().ExecContext(ctx, fmt.Sprintf(benchReadCSV, warehouse.QuoteString(path)))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ingestRunner is the whole `commonground ingest` path for a catalogue-like
// dataset: hashing the source, header recognition, the checks and Commit.
func ingestRunner(ctx context.Context, db *warehouse.DB, path string) (int64, error) {
	ds := ingest.Dataset{ID: "bench-csv", Table: "bench_spend", Files: []format.FileSpec{benchSpec},
		Insert: "SELECT * FROM " + warehouse.StagingName(benchSpec.Kind)}
	r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: filepath.Join(filepath.Dir(db.Path()), "cache"), Logger: benchLogger()},
		Logger: benchLogger(), Synthetic: true, Version: "bench"}
	s, err := r.Run(ctx, ds, []string{path})
	if err != nil {
		return 0, err
	}
	if s.Rejected != 0 {
		return 0, fmt.Errorf("%d rows rejected", s.Rejected)
	}
	return s.Rows, nil
}

func benchLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// benchOpen opens a fresh warehouse file in dir with the target table.
func benchOpen(b *testing.B, dir string) *warehouse.DB {
	b.Helper()
	db, err := warehouse.Open(context.Background(), filepath.Join(dir, "bench.duckdb"), warehouse.Options{Logger: benchLogger()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.SQL().Exec(benchTable); err != nil {
		b.Fatal(err)
	}
	return db
}

// benchIngestOnce opens a fresh warehouse, then loads and checkpoints (the
// timed part, so the rows are in the file, not only in the WAL), checks the
// result and closes. It returns the wall time of the timed part and adds
// its CPU time (user + system, all threads) to *cpu.
func benchIngestOnce(b *testing.B, csv benchCSV, f ingestFunc, cpu *time.Duration) time.Duration {
	b.StopTimer()
	dir, err := os.MkdirTemp(b.TempDir(), "run")
	if err != nil {
		b.Fatal(err)
	}
	db := benchOpen(b, dir)
	ctx := context.Background()
	cpu0 := cpuTime()
	start := time.Now()
	b.StartTimer()
	n, err := f(ctx, db, csv.path)
	if err == nil {
		_, err = db.SQL().ExecContext(ctx, "CHECKPOINT store")
	}
	b.StopTimer()
	took := time.Since(start)
	*cpu += cpuTime() - cpu0
	if err != nil {
		b.Fatal(err)
	}
	if n != benchRows {
		b.Fatalf("loaded %d rows, want %d", n, benchRows)
	}
	var rows, nullPostcodes int64
	var sum string
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*), sum(amount)::VARCHAR, count(*) FILTER (postcode IS NULL)
		FROM store.main.bench_spend`).Scan(&rows, &sum, &nullPostcodes); err != nil {
		b.Fatal(err)
	}
	wantSum := fmt.Sprintf("%d.%02d", csv.pence/100, max(csv.pence, -csv.pence)%100)
	if rows != benchRows || sum != wantSum || nullPostcodes < benchRows/20 || nullPostcodes > benchRows/5 {
		b.Fatalf("table has %d rows, sum(amount) %s (want %s), %d NULL postcodes", rows, sum, wantSum, nullPostcodes)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(dir)
	b.StartTimer()
	return took
}

// cpuTime is the CPU time this process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakKB returns this process's peak resident set size (VmHWM) in KiB.
func peakKB() (int64, error) {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

// benchPeakRuns is how many child processes measure each path's peak RSS;
// the median is reported (DuckDB's peak varies by tens of MB from run to
// run with thread timing).
const benchPeakRuns = 3

// childPeakMB re-runs this test binary for the one sub-benchmark name, in
// child mode (one load of csv, nothing else), benchPeakRuns times, and
// returns the median of the children's peak RSS in MB.
func childPeakMB(b *testing.B, name string, csv benchCSV) float64 {
	b.Helper()
	var peaks []float64
	for range benchPeakRuns {
		peaks = append(peaks, childPeakOnce(b, name, csv))
	}
	return median(peaks)
}

func childPeakOnce(b *testing.B, name string, csv benchCSV) float64 {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkCSVIngest$/^"+name+"$", "-test.benchtime=1x")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+name, benchCSVEnv+"="+csv.path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("child %s: %v\n%s\n%s", name, err, out, stderr.Bytes())
	}
	for _, line := range strings.Split(string(out), "\n") {
		if _, v, ok := strings.Cut(line, benchPeakTag); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatalf("child %s printed no %s line:\n%s\n%s", name, benchPeakTag, out, stderr.Bytes())
	return 0
}

// BenchmarkCSVIngest loads the same clean 1M-row CSV through our Arrow
// pipeline and through DuckDB's read_csv into identical tables of a file
// warehouse. Target: arrow throughput >= 90% of read_csv's, with peak
// memory no higher.
//
//   - arrow, read_csv: each path on its own, with MB/s, rows/s and peak-MB
//     (the peak RSS of a child process that does one load and nothing else).
//   - runner: the whole `commonground ingest` path (hashing, header search,
//     checks, provenance) for the same file, for reference.
//   - paired: each iteration runs both paths back to back, alternating
//     which goes first, and reports the median of the per-pair ratios, so
//     that load from other processes on the machine affects both alike.
//     arrow/read_csv-speed is read_csv's time over arrow's (throughput
//     ratio, target >= 0.90); arrow/read_csv-peak is the peak-MB ratio
//     (target <= 1.00); arrow/read_csv-cpu is the ratio of CPU time used
//     (user + system, all threads), which other processes disturb less.
//
// cpu-s/op is the CPU time of one load.
func BenchmarkCSVIngest(b *testing.B) {
	var csv benchCSV
	if p := os.Getenv(benchCSVEnv); p != "" {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		csv = benchCSV{path: p, size: st.Size()}
	} else {
		csv = writeBenchCSV(b, filepath.Join(b.TempDir(), "spend_1m.csv"))
	}
	child := os.Getenv(benchChildEnv)
	peaks := map[string]float64{} // one child per path, however often b.Run calls back
	peak := func(b *testing.B, name string) float64 {
		if _, ok := peaks[name]; !ok {
			peaks[name] = childPeakMB(b, name, csv)
		}
		return peaks[name]
	}
	paths := []struct {
		name string
		f    ingestFunc
	}{
		{"arrow", ingestArrow},
		{"read_csv", ingestReadCSV},
		{"runner", ingestRunner},
	}
	for _, c := range paths {
		b.Run(c.name, func(b *testing.B) {
			if child != "" {
				if child != c.name {
					b.Skip("child mode")
				}
				benchChild(b, csv, c.f)
				return
			}
			b.SetBytes(csv.size)
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				benchIngestOnce(b, csv, c.f, &cpu)
			}
			b.StopTimer()
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			if c.name != "runner" {
				b.ReportMetric(peak(b, c.name), "peak-MB")
			}
		})
	}
	var ratios []float64
	b.Run("paired", func(b *testing.B) {
		if child != "" {
			b.Skip("child mode")
		}
		b.SetBytes(2 * csv.size)
		var ca, cr time.Duration
		for i := 0; i < b.N; i++ {
			var ta, tr time.Duration
			if len(ratios)%2 == 0 {
				ta = benchIngestOnce(b, csv, ingestArrow, &ca)
				tr = benchIngestOnce(b, csv, ingestReadCSV, &cr)
			} else {
				tr = benchIngestOnce(b, csv, ingestReadCSV, &cr)
				ta = benchIngestOnce(b, csv, ingestArrow, &ca)
			}
			ratios = append(ratios, tr.Seconds()/ta.Seconds())
		}
		b.StopTimer()
		b.ReportMetric(median(ratios), "arrow/read_csv-speed")
		b.ReportMetric(ca.Seconds()/cr.Seconds(), "arrow/read_csv-cpu")
		b.ReportMetric(peak(b, "arrow")/peak(b, "read_csv"), "arrow/read_csv-peak")
	})
}

// benchChild is the child process's part: one load into a fresh warehouse,
// then its peak RSS on stdout for childPeakMB.
func benchChild(b *testing.B, csv benchCSV, f ingestFunc) {
	db := benchOpen(b, b.TempDir())
	defer db.Close()
	if _, err := f(context.Background(), db, csv.path); err != nil {
		b.Fatal(err)
	}
	if _, err := db.SQL().Exec("CHECKPOINT store"); err != nil {
		b.Fatal(err)
	}
	kb, err := peakKB()
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("\n%s%d\n", benchPeakTag, kb)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchSharedData is ../shared/data (or $COMMONGROUND_SHARED_DATA); the
// benchmark is skipped when it is missing.
func benchSharedData(b *testing.B) string {
	b.Helper()
	d := os.Getenv("COMMONGROUND_SHARED_DATA")
	if d == "" {
		var err error
		if d, err = filepath.Abs("../../shared/data"); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(d, "SOURCES.md")); err != nil {
		b.Skipf("real data not found at %s", d)
	}
	return d
}

// benchCatalogIngest times the runner loading files (relative to the shared
// data) as catalogue dataset id into a fresh warehouse, plus the checkpoint
// that puts the rows in the file. It reports rows/s and files' bytes as MB/s.
func benchCatalogIngest(b *testing.B, id string, wantRows int64, wantFiles int, files ...string) {
	dd := benchSharedData(b)
	ds, err := catalog.ByID(id)
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	var size int64
	for _, f := range files {
		p := filepath.Join(dd, f)
		paths = append(paths, p)
		err := filepath.Walk(p, func(_ string, info os.FileInfo, err error) error {
			if err == nil && info.Mode().IsRegular() {
				size += info.Size()
			}
			return err
		})
		if err != nil {
			b.Skipf("%s: %v", f, err)
		}
	}
	b.SetBytes(size)
	ctx := context.Background()
	var rows int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir, err := os.MkdirTemp(b.TempDir(), "run")
		if err != nil {
			b.Fatal(err)
		}
		db, err := warehouse.Open(ctx, filepath.Join(dir, "bench.duckdb"), warehouse.Options{Logger: benchLogger()})
		if err != nil {
			b.Fatal(err)
		}
		r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: filepath.Join(dir, "cache"), Logger: benchLogger()},
			Logger: benchLogger(), Version: "bench"}
		b.StartTimer()
		s, err := r.Run(ctx, ds, paths)
		if err == nil {
			_, err = db.SQL().ExecContext(ctx, "CHECKPOINT store")
		}
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if s.Rows != wantRows || s.Rejected != 0 || len(s.Files) != wantFiles {
			b.Fatalf("rows %d rejected %d files %d, want %d, 0, %d", s.Rows, s.Rejected, len(s.Files), wantRows, wantFiles)
		}
		rows += s.Rows
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkLSOA11AllEngland loads all 32,844 England LSOA 2011 boundaries
// (326 gzipped GeoJSON files). Target: under 30 s.
func BenchmarkLSOA11AllEngland(b *testing.B) {
	benchCatalogIngest(b, "boundaries-lsoa11", 32844, 326, "boundaries/lsoa2011_by_lad")
}

// BenchmarkIMD2019File2 loads IoD2019 File 2 (domains of deprivation,
// 32,844 LSOAs). Target: under 2 s.
func BenchmarkIMD2019File2(b *testing.B) {
	benchCatalogIngest(b, "imd2019", 32844, 1, "deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz")
}
