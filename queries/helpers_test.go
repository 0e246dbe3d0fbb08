package queries

import (
	"compress/gzip"
	"encoding/csv"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

var update = flag.Bool("update", false, "rewrite golden files and the indicator list in docs/INDICATORS.md")

var (
	realOnce sync.Once
	realDir  string
	realWH   *warehouse.DB
	realErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if realWH != nil {
		realWH.Close()
	}
	if realDir != "" {
		os.RemoveAll(realDir)
	}
	closeGM()
	if moneyWH != nil { // money_test.go
		moneyWH.Close()
	}
	if moneyDir != "" {
		os.RemoveAll(moneyDir)
	}
	os.Exit(code)
}

// sharedData is ../../shared/data beside the checkout, or
// $COMMONGROUND_SHARED_DATA (as in ingest/realdata_test.go).
func sharedData(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("COMMONGROUND_SHARED_DATA"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../shared/data")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "SOURCES.md")); err != nil {
		if os.Getenv("COMMONGROUND_SKIP_REAL_DATA") != "" {
			t.Skip("real data not available and COMMONGROUND_SKIP_REAL_DATA is set")
		}
		t.Fatalf("real data not found at %s (CI keeps ../shared beside the checkout; set COMMONGROUND_SHARED_DATA)", d)
	}
	return d
}

// realLoads are the shared files the real-data tests load, through the
// ingest pipeline, once per test binary.
var realLoads = []struct {
	id    string
	files []string
}{
	{"lookup-lsoa-ward-lad", []string{"lookups/LSOA11_WD21_LAD21_EW_LU.csv", "lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv"}},
	{"lookup-oa", []string{"lookups/greater_manchester/gm_oa21_lsoa21_msoa21_lad22_lookup.csv"}},
	{"boundaries-lsoa11", []string{"boundaries/lsoa2011_by_lad"}},
	{"boundaries-lsoa21", []string{"boundaries/greater_manchester/gm_lsoa21_generalised.geojson"}},
	{"boundaries-ward", []string{"boundaries/north_of_england/wd22_north.geojson", "boundaries/greater_manchester/gm_ward2023_generalised.geojson"}},
	{"boundaries-lad", []string{"boundaries/lad2013_england_topo.json", "boundaries/north_of_england/lad22_north.geojson", "boundaries/greater_manchester/gm_lad2023_generalised.geojson"}},
	{"population-sape", []string{"population/pop_table_SAPE20DT1_mid2017_population_estimates.csv"}},
	{"population-census2021", []string{"population/census2021/census21_pop_lsoa21_age6_derived.csv.gz"}},
	{"imd2019", []string{"deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
		"deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
		"deprivation/iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz"}},
	{"imd2025", []string{"deprivation/iod2025_derived/imd2025_england_lsoa21.csv"}},
}

// Custom areas the tests add (what the custom-areas code writes: an areas
// row and area_members), chosen by hand.
const (
	// customTrafford: five Trafford LSOAs (024A, 025A-C, 027A; the same
	// codes in 2011 and 2021) and Manchester 018B (2011 only); most
	// residents are in Trafford.
	customTrafford = "X00000001"
	// customBlackpool: three Blackpool LSOAs and Fylde 008A (2011 only).
	customBlackpool = "X00000002"
)

var customMembers = map[string][]string{
	customTrafford:  {"E01006074", "E01006075", "E01006076", "E01006077", "E01006078", "E01005062"},
	customBlackpool: {"E01012673", "E01012674", "E01012675", "E01024981"},
}

// realDB loads the shared data into a warehouse once, and returns it.
func realDB(t testing.TB) *warehouse.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("loads the national shared data (about 20 s)")
	}
	dd := sharedData(t)
	realOnce.Do(func() {
		start := time.Now()
		realDir, realErr = os.MkdirTemp("", "queries-test-")
		if realErr != nil {
			return
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		realWH, realErr = warehouse.Open(t.Context(), filepath.Join(realDir, "real.duckdb"), warehouse.Options{Logger: log})
		if realErr != nil {
			return
		}
		r := &ingest.Runner{DB: realWH, Fetcher: &source.Fetcher{CacheDir: filepath.Join(realDir, "cache"), Logger: log}, Logger: log}
		for _, l := range realLoads {
			ds, err := catalog.ByID(l.id)
			if err != nil {
				realErr = err
				return
			}
			var paths []string
			for _, f := range l.files {
				paths = append(paths, filepath.Join(dd, f))
			}
			if _, err := r.Run(t.Context(), ds, paths); err != nil {
				realErr = err
				return
			}
		}
		if realErr = syncDatasets(t, realWH); realErr != nil {
			return
		}
		realErr = addCustomAreas(realWH)
		t.Logf("loaded the shared data in %v", time.Since(start).Round(time.Millisecond))
	})
	if realErr != nil {
		t.Fatal(realErr)
	}
	return realWH
}

// syncDatasets fills the datasets table from the catalogue, as the CLI does.
func syncDatasets(t testing.TB, db *warehouse.DB) error {
	var infos []warehouse.DatasetInfo
	for _, d := range catalog.All() {
		infos = append(infos, warehouse.DatasetInfo{ID: d.ID, Title: d.Title, Publisher: d.Publisher, Licence: d.Licence,
			Attribution: d.Attribution, Format: d.Format, Geography: d.Geography, Vintage: d.Vintage, Table: d.Table, Description: d.Description})
	}
	return db.SyncDatasets(t.Context(), infos)
}

func addCustomAreas(db *warehouse.DB) error {
	names := map[string]string{customTrafford: "Test area in Trafford", customBlackpool: "Test area in Blackpool"}
	for code, lsoas := range customMembers {
		if _, err := db.SQL().Exec(`INSERT INTO areas (code, name, level, vintage, dataset) VALUES (?, ?, 'custom', 2024, 'test')`, code, names[code]); err != nil {
			return err
		}
		for _, l := range lsoas {
			// Every vintage the LSOA exists in, with its population, as
			// the best-fit membership would have it.
			if _, err := db.SQL().Exec(`INSERT INTO area_members
				SELECT ?, 'custom', code, vintage, population, NULL, 'best_fit_centroid' FROM areas
				WHERE code = ? AND level IN ('lsoa11', 'lsoa21')`, code, l); err != nil {
				return err
			}
		}
	}
	return nil
}

// one returns a single value from SQL.
func one[T any](t testing.TB, db *warehouse.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.SQL().QueryRowContext(t.Context(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// readCSV reads a (optionally gzipped) CSV file from the shared data,
// calling f with each row as a map from header to value.
func readCSV(t testing.TB, rel string, f func(map[string]string)) {
	t.Helper()
	fh, err := os.Open(filepath.Join(sharedData(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var r io.Reader = fh
	if strings.HasSuffix(rel, ".gz") {
		gz, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range header {
		header[i] = strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		row := make(map[string]string, len(header))
		for i, h := range header {
			if i < len(rec) {
				row[h] = strings.TrimSpace(rec[i])
			}
		}
		f(row)
	}
}

// result finds one indicator's result.
func find(t testing.TB, rs []Result, id string) Result {
	t.Helper()
	for _, r := range rs {
		if r.Indicator.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return Result{}
}

// emptyDB opens a fresh, migrated warehouse.
func emptyDB(t testing.TB) *warehouse.DB {
	t.Helper()
	db, err := warehouse.Open(t.Context(), filepath.Join(t.TempDir(), "empty.duckdb"), warehouse.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
