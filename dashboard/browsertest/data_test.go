package browsertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"commonground/dashboard"
	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/custom"
	"commonground/ingest/source"
	"commonground/queries"
	"commonground/warehouse"
)

// trafford is the local authority the browser tests look at.
const trafford = "E08000009"

// sharedData is ../../../shared/data beside the checkout, or
// $COMMONGROUND_SHARED_DATA, as in the other real-data tests.
func sharedData(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("COMMONGROUND_SHARED_DATA"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../../shared/data")
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

// traffordLoads is just enough of the shared data for Trafford's pages:
// its LSOA boundaries only (the loader takes a subset of the per-authority
// files and warns), the national lookups, deprivation and population (so
// England comparisons are real), its postcodes, GP practices and pharmacies, and its council's card
// spending and voluntary sector grants.
var traffordLoads = []struct {
	id    string
	files []string
}{
	{"lookup-lsoa-ward-lad", []string{"lookups/LSOA11_WD21_LAD21_EW_LU.csv", "lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv"}},
	{"lookup-oa", []string{"lookups/greater_manchester/gm_oa21_lsoa21_msoa21_lad22_lookup.csv"}},
	{"postcodes", []string{"lookups/postcodes/trafford_postcodes.csv"}},
	{"boundaries-lsoa11", []string{"boundaries/lsoa2011_by_lad/" + trafford + ".json.gz"}},
	{"boundaries-lsoa21", []string{"boundaries/greater_manchester/gm_lsoa21_generalised.geojson"}},
	{"boundaries-ward", []string{"boundaries/greater_manchester/gm_ward2023_generalised.geojson"}},
	{"boundaries-lad", []string{"boundaries/greater_manchester/gm_lad2023_generalised.geojson"}},
	{"population-sape", []string{"population/pop_table_SAPE20DT1_mid2017_population_estimates.csv"}},
	{"population-census2021", []string{"population/census2021/census21_pop_lsoa21_age6_derived.csv.gz"}},
	{"imd2019", []string{"deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
		"deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
		"deprivation/iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz"}},
	{"imd2025", []string{"deprivation/iod2025_derived/imd2025_england_lsoa21.csv"}},
	{"trafford-gp-practices", []string{"services/greater_manchester/trafford_general_practices.geojson"}},
	{"gm-pharmacies", []string{"services/greater_manchester/gm_pharmacies.geojson"}},
	{"spending", []string{"spending/trafford/government_procurement_card_transactions_2024-25.csv"}},
	{"grants", []string{"spending/360giving/trafford_council_voluntary_sector_grants.csv"}},
}

var (
	dataOnce sync.Once
	dataDir  string
	dataWH   *warehouse.DB
	dataErr  error
)

// traffordDB loads traffordLoads into a warehouse once per test binary.
func traffordDB(t testing.TB) *warehouse.DB {
	t.Helper()
	dd := sharedData(t)
	dataOnce.Do(func() {
		start := time.Now()
		ctx := context.Background()
		if dataDir, dataErr = os.MkdirTemp("", "browsertest-"); dataErr != nil {
			return
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		if dataWH, dataErr = warehouse.Open(ctx, filepath.Join(dataDir, "trafford.duckdb"), warehouse.Options{Logger: log}); dataErr != nil {
			return
		}
		var infos []warehouse.DatasetInfo
		for _, d := range catalog.All() {
			infos = append(infos, warehouse.DatasetInfo{ID: d.ID, Title: d.Title, Publisher: d.Publisher, Licence: d.Licence,
				Attribution: d.Attribution, Format: d.Format, Geography: d.Geography, Vintage: d.Vintage, Table: d.Table, Description: d.Description})
		}
		if dataErr = dataWH.SyncDatasets(ctx, infos); dataErr != nil {
			return
		}
		r := &ingest.Runner{DB: dataWH, Fetcher: &source.Fetcher{CacheDir: filepath.Join(dataDir, "cache"), Logger: log}, Logger: log}
		for _, l := range traffordLoads {
			ds, err := catalog.ByID(l.id)
			if err != nil {
				dataErr = err
				return
			}
			var paths []string
			for _, f := range l.files {
				paths = append(paths, filepath.Join(dd, f))
			}
			if _, err := r.Run(ctx, ds, paths); err != nil {
				dataErr = err
				return
			}
		}
		// Trafford's localities, as residents' own areas (as make
		// real-data does with areas add --each).
		f, err := custom.ReadFile(filepath.Join(dd, "boundaries/custom_areas/trafford_localities_2023_generalised.geojson"))
		if err != nil {
			dataErr = err
			return
		}
		for _, ft := range f.Features {
			if _, err := custom.Add(ctx, dataWH, custom.Spec{Name: ft.Name(""), Geometry: ft.Geometry}); err != nil {
				dataErr = fmt.Errorf("custom area %s: %w", ft.Name(""), err)
				return
			}
		}
		// As commonground serve does at start: derive the service gaps.
		if dataErr = queries.EnsureAccess(ctx, dataWH, nil); dataErr != nil {
			return
		}
		t.Logf("loaded Trafford's data in %v", time.Since(start).Round(time.Millisecond))
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return dataWH
}

var (
	srvOnce sync.Once
	srv     *httptest.Server
	srvErr  error
	// tileRequests counts requests for vector tiles: MapLibre fetches them
	// in a web worker, out of sight of the page's own performance entries.
	tileRequests atomic.Int64
)

// server serves the dashboard on Trafford's data for the browser tests,
// once per test binary.
func server(t testing.TB) *httptest.Server {
	t.Helper()
	requireChromium(t)
	return traffordServer(t)
}

// traffordServer is server without the need for a browser, for tests that
// only read pages.
func traffordServer(t testing.TB) *httptest.Server {
	t.Helper()
	db := traffordDB(t)
	srvOnce.Do(func() {
		cat, err := queries.Default()
		if err != nil {
			srvErr = err
			return
		}
		if srvErr = cat.Validate(context.Background(), db); srvErr != nil {
			return
		}
		// Uploads on, as commonground serve has them (cmd/commonground
		// customAreaAdder): the add-area page and drawing on the map.
		add := func(ctx context.Context, name string, r io.Reader, file string) (string, error) {
			f, err := custom.Read(r, file)
			if err != nil {
				return "", fmt.Errorf("%w: %v", dashboard.ErrBadUpload, err)
			}
			a, err := custom.Add(ctx, db, custom.Spec{Name: name, Geometry: f.Union()})
			if errors.Is(err, custom.ErrInvalid) || errors.Is(err, custom.ErrNoLSOAs) {
				return "", fmt.Errorf("%w: %v", dashboard.ErrBadUpload, err)
			}
			if err != nil {
				return "", err
			}
			cat.Reset()
			return a.Code, nil
		}
		h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AddCustomArea: add}, db, cat)
		if err != nil {
			srvErr = err
			return
		}
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/tiles/") {
				tileRequests.Add(1)
			}
			h.ServeHTTP(w, r)
		}))
	})
	if srvErr != nil {
		t.Fatal(srvErr)
	}
	return srv
}
