package ingest_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// sharedData is ../shared/data beside the checkout (CI puts it there), or
// $COMMONGROUND_SHARED_DATA.
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

type harness struct {
	t  *testing.T
	db *warehouse.DB
	r  *ingest.Runner
	dd string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return openHarness(t, filepath.Join(t.TempDir(), "test.duckdb"))
}

func openHarness(t *testing.T, path string) *harness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := warehouse.Open(t.Context(), path, warehouse.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &harness{t: t, db: db, dd: sharedData(t),
		r: &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: t.TempDir(), Logger: log, Backoff: time.Millisecond}, Logger: log}}
}

func (h *harness) ingest(id string, files ...string) ingest.Summary {
	h.t.Helper()
	s, err := h.try(id, files...)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) try(id string, files ...string) (ingest.Summary, error) {
	ds, err := catalog.ByID(id)
	if err != nil {
		h.t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(h.dd, f))
	}
	return h.r.Run(h.t.Context(), ds, paths)
}

// one returns a single value from SQL, as text.
func (h *harness) one(q string, args ...any) string {
	h.t.Helper()
	var v sql.NullString
	if err := h.db.SQL().QueryRowContext(h.t.Context(), q, args...).Scan(&v); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return v.String
}

func (h *harness) want(q, want string, args ...any) {
	h.t.Helper()
	if got := h.one(q, args...); got != want {
		h.t.Errorf("%s %v = %q, want %q", q, args, got, want)
	}
}

// Values below were read from the source files by hand (zcat | grep).
func TestIMD2019Files126(t *testing.T) {
	h := newHarness(t)
	s := h.ingest("imd2019",
		"deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
		"deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
		"deprivation/iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz")
	if s.Rows != 32844 || s.Rejected != 0 {
		t.Fatalf("rows %d rejected %d, want 32844 and 0", s.Rows, s.Rejected)
	}
	// Blackpool 010A: rank 2 in England; income 1, health 3, crime 8; File 6 total "1,264".
	h.want(`SELECT imd_rank || ',' || imd_decile || ',' || income_rank || ',' || health_rank || ',' || crime_rank || ',' || pop_total || ',' || lad_code FROM imd WHERE lsoa_code = 'E01012673'`, "2,1,1,3,8,1264,E06000009")
	// City of London 001A: File 1 quotes the rank as "29,199"; File 6 total "1,296".
	h.want(`SELECT imd_rank || ',' || imd_decile || ',' || pop_total FROM imd WHERE lsoa_code = 'E01000001'`, "29199,9,1296")
	h.want(`SELECT lsoa_code FROM imd WHERE edition = 2019 AND imd_rank = 1`, "E01021988")
	h.want(`SELECT data_type FROM information_schema.columns WHERE table_name = 'imd' AND column_name = 'imd_rank'`, "INTEGER")
	h.want(`SELECT count(*) FROM imd WHERE edition = 2019 AND imd_score IS NULL`, "32844") // Files 1, 2, 6 publish no scores
	h.want(`SELECT string_agg(kind || ':' || encoding, ' ' ORDER BY kind) FROM ingest_files`, "file1:utf-8 (BOM) file2:utf-8 (BOM) file6:utf-8 (BOM)")
	h.want(`SELECT status || ' ' || rows_loaded || ' ' || bytes FROM ingest_runs WHERE dataset = 'imd2019'`,
		fmt.Sprintf("ok 32844 %d", fileSize(t, h.dd, "deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
			"deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz", "deprivation/iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz")))
}

func fileSize(t *testing.T, dir string, files ...string) int64 {
	var n int64
	for _, f := range files {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

func TestIMD2019ExcelSavedFile1(t *testing.T) {
	h := newHarness(t)
	s := h.ingest("imd2019", "deprivation/iod2019/IMD2019_File1_as_saved_by_excel.csv")
	if s.Rows != 32844 || s.Rejected != 0 {
		t.Fatalf("rows %d rejected %d", s.Rows, s.Rejected)
	}
	h.want(`SELECT imd_rank FROM imd WHERE lsoa_code = 'E01000001'`, "29199")
	// Two copies of File 1 in one call is a mistake, not a merge.
	_, err := h.try("imd2019", "deprivation/iod2019/IMD2019_File1_as_saved_by_excel.csv", "deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz")
	if err == nil || !strings.Contains(err.Error(), "file1") {
		t.Fatalf("two File 1s: %v", err)
	}
	h.want(`SELECT count(*) FROM imd`, "32844") // previous version intact
}

func TestIMD2025Derived(t *testing.T) {
	h := newHarness(t)
	s := h.ingest("imd2025", "deprivation/iod2025_derived/imd2025_england_lsoa21.csv")
	if s.Rows != 33755 || s.Rejected != 0 {
		t.Fatalf("rows %d rejected %d", s.Rows, s.Rejected)
	}
	h.want(`SELECT imd_rank || ',' || imd_decile || ',' || imd_score || ',' || housing_decile || ',' || lsoa_vintage FROM imd WHERE edition = 2025 AND lsoa_code = 'E01012673'`, "3,1,91.186,5,2021")
	h.want(`SELECT health_score FROM imd WHERE edition = 2025 AND lsoa_code = 'E01000001'`, "-1.771")
}

func TestBoundariesAndLookups(t *testing.T) {
	h := newHarness(t)
	s := h.ingest("boundaries-lsoa11", "boundaries/lsoa2011_by_lad/E06000009.json.gz")
	if s.Rows != 94 {
		t.Fatalf("Blackpool LSOAs = %d, want 94", s.Rows)
	}
	if len(s.Warnings) == 0 {
		t.Error("a one-authority load should warn that it is below the national row range")
	}
	h.want(`SELECT count(*) FROM areas WHERE level = 'lsoa11' AND lad_code = 'E06000009'`, "94")
	h.want(`SELECT count(*) FROM areas WHERE level = 'lsoa11' AND (geometry IS NULL OR centroid_lon NOT BETWEEN minx AND maxx OR centroid_lat NOT BETWEEN miny AND maxy)`, "0")
	h.want(`SELECT name FROM areas WHERE code = 'E01012673'`, "Blackpool 010A")

	h.ingest("lookup-lsoa-ward-lad", "lookups/LSOA11_WD20_LAD20_EW_LU.csv", "lookups/LSOA11_WD21_LAD21_EW_LU.csv")
	h.want(`SELECT count(*) FROM lookup_lsoa_ward_lad`, "69506")
	h.want(`SELECT string_agg(ward_vintage || ':' || ward_code, ' ' ORDER BY ward_vintage) FROM lookup_lsoa_ward_lad WHERE lsoa_code = 'E01012673'`, "2020:E05001645 2021:E05001645")
	// The derive step gave the LSOA its ward.
	h.want(`SELECT ward_code FROM areas WHERE code = 'E01012673'`, "E05001645")

	h.ingest("population-sape", "population/pop_table_SAPE20DT1_mid2017_population_estimates.csv")
	h.want(`SELECT count(*) FROM population WHERE dataset = 'population-sape'`, "35101")
	h.want(`SELECT area_level || ' ' || year || ' ' || population FROM population WHERE area_code = 'E06000009'`, "lad 2017 139870")
	h.want(`SELECT population || ' ' || population_year FROM areas WHERE code = 'E01012673'`, "1371 2017")
	h.want(`SELECT count(*) FROM population WHERE area_level NOT IN ('lsoa11', 'lad')`, "0")

	// A ward with no estimate of its own gets the sum of its LSOAs.
	h.ingest("boundaries-ward", "boundaries/wards2013_by_lad/E06000009.json.gz")
	h.want(`SELECT population FROM areas WHERE level = 'ward' AND code = 'E05001645'`,
		h.one(`SELECT sum(p.population)::BIGINT FROM population p JOIN lookup_lsoa_ward_lad l ON l.lsoa_code = p.area_code AND l.ward_vintage = 2021
		       WHERE l.ward_code = 'E05001645' AND p.area_level = 'lsoa11'`))
}

func TestAllEnglandLSOA11(t *testing.T) {
	if testing.Short() {
		t.Skip("loads all 326 boundary files")
	}
	h := newHarness(t)
	s := h.ingest("boundaries-lsoa11", "boundaries/lsoa2011_by_lad")
	if s.Rows != 32844 || s.Rejected != 0 || len(s.Files) != 326 || len(s.Warnings) != 0 {
		t.Fatalf("rows %d rejected %d files %d warnings %v", s.Rows, s.Rejected, len(s.Files), s.Warnings)
	}
	h.want(`SELECT count(*) FROM areas WHERE level = 'lsoa11' AND lad_code = 'E06000009'`, "94")
}

func TestGreaterManchesterGeographies(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		id, file string
		rows     int64
	}{
		{"boundaries-lsoa21", "boundaries/greater_manchester/gm_lsoa21_generalised.geojson", 1702},
		{"boundaries-msoa21", "boundaries/greater_manchester/gm_msoa21_generalised.geojson", 353},
		{"boundaries-ward", "boundaries/greater_manchester/gm_ward2023_generalised.geojson", 215},
		{"boundaries-lad", "boundaries/lad2013_england_topo.json", 326},
		{"lookup-lsoa-ward-lad", "lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv", 1702},
		{"lookup-oa", "lookups/greater_manchester/gm_oa21_lsoa21_msoa21_lad22_lookup.csv", 8966},
		{"postcodes", "lookups/postcodes/trafford_postcodes.csv", 11264},
		{"population-census2021", "population/census2021/census21_pop_lsoa21_age6_derived.csv.gz", 214032 + 35672},
	} {
		s := h.ingest(c.id, c.file)
		if s.Rows != c.rows || s.Rejected != 0 {
			t.Errorf("%s: rows %d rejected %d, want %d and 0", c.id, s.Rows, s.Rejected, c.rows)
		}
	}
	h.want(`SELECT lad_code FROM areas WHERE level = 'ward' AND code = 'E05011350'`, "E08000003") // Ancoats & Beswick, Manchester
	h.want(`SELECT count(*) FROM areas WHERE level = 'lsoa21' AND lad_code = 'E08000009'`, "139") // Trafford, via the lookup
	h.want(`SELECT lsoa21_code || ' ' || ward_code || ' ' || lon FROM postcodes WHERE postcode_key = 'M154AB'`, "E01034001 E05015247 -2.26046")
	h.want(`SELECT population FROM population WHERE area_code = 'E01000001' AND age_band = 'all'`, "1477") // 125+110+291+336+245+370
	h.want(`SELECT population FROM areas WHERE level = 'lsoa21' AND code = 'E01034001'`,
		h.one(`SELECT population FROM population WHERE area_code = 'E01034001' AND age_band = 'all'`))
	h.want(`SELECT msoa_code FROM areas WHERE level = 'lsoa21' AND code = 'E01034001'`, "E02001259")
	h.want(`SELECT count(*) FROM areas WHERE level = 'lad' AND code = 'E06000009' AND centroid_lon BETWEEN -3.06 AND -2.98`, "1")
}

func TestOALookupGreatBritain(t *testing.T) {
	if testing.Short() {
		t.Skip("227,759 rows")
	}
	h := newHarness(t)
	s := h.ingest("lookup-oa", "lookups/OA11_OAC11_LSOA11_MSOA11_LAD17_RGN11_UK_lookup.csv.gz")
	if s.Rows != 227759 || s.Rejected != 0 {
		t.Fatalf("rows %d rejected %d", s.Rows, s.Rejected)
	}
	h.want(`SELECT lsoa_code || ' ' || msoa_code || ' ' || oac_name FROM lookup_oa WHERE oa_code = 'E00060343'`, "E01011966 E02002488 Ageing Communities and Families")
}

// A killed ingest must leave the previous version in place, and the
// database must open cleanly afterwards.
func TestKilledIngestKeepsPreviousVersion(t *testing.T) {
	if os.Getenv("CG_KILL_CHILD") != "" {
		childIngest(t)
		return
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	dd := sharedData(t)
	path := filepath.Join(t.TempDir(), "kill.duckdb")
	h := openHarness(t, path)
	h.ingest("boundaries-lsoa11", "boundaries/lsoa2011_by_lad/E06000009.json.gz")
	h.db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledIngestKeepsPreviousVersion$", "-test.v")
	cmd.Env = append(os.Environ(), "CG_KILL_CHILD="+path, "COMMONGROUND_SHARED_DATA="+dd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once the child has read 40 of the 326 files: mid-load.
	sc := bufio.NewScanner(stderr)
	n := 0
	for sc.Scan() {
		if strings.Contains(sc.Text(), "read file") {
			n++
			if n == 40 {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
	}
	cmd.Wait()
	if n < 40 {
		t.Fatalf("child read only %d files before exiting", n)
	}

	h = openHarness(t, path)
	h.want(`SELECT count(*) FROM areas WHERE level = 'lsoa11'`, "94")
	h.want(`SELECT string_agg(status, ',' ORDER BY run_id) FROM ingest_runs`, "ok,interrupted")
	// And a new load works.
	h.ingest("boundaries-lsoa11", "boundaries/lsoa2011_by_lad/E08000009.json.gz")
	h.want(`SELECT count(*) FROM areas WHERE level = 'lsoa11'`, h.one(`SELECT rows_loaded FROM ingest_runs ORDER BY run_id DESC LIMIT 1`))
}

func childIngest(t *testing.T) {
	path := os.Getenv("CG_KILL_CHILD")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := warehouse.Open(context.Background(), path, warehouse.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := catalog.ByID("boundaries-lsoa11")
	r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: t.TempDir()}, Logger: log}
	r.Run(context.Background(), ds, []string{filepath.Join(os.Getenv("COMMONGROUND_SHARED_DATA"), "boundaries/lsoa2011_by_lad")})
	time.Sleep(time.Minute) // the parent kills us long before
}

// The South West extract is a zipped shapefile in British National Grid.
func TestShapefileInBritishNationalGrid(t *testing.T) {
	h := newHarness(t)
	s := h.ingest("boundaries-lsoa11", "boundaries/LSOA_2011_sw5forces_BGC_V2.zip")
	if s.Rows != 3281 || s.Rejected != 0 {
		t.Fatalf("rows %d rejected %d, want 3281 and 0", s.Rows, s.Rejected)
	}
	// Converted to lon/lat: every LSOA lies in the South West of England.
	h.want(`SELECT count(*) FROM areas WHERE level = 'lsoa11' AND NOT (minx BETWEEN -6.5 AND -1.4 AND maxy BETWEEN 49.8 AND 52.2)`, "0")
	// The same LSOA from the GeoJSON set lands within metres of it.
	sw := h.one(`SELECT round(centroid_lon, 3) || ',' || round(centroid_lat, 3) FROM areas WHERE code = 'E01015063'`)
	h.ingest("boundaries-lsoa11", "boundaries/lsoa2011_by_lad/E06000026.json.gz") // Plymouth
	if geo := h.one(`SELECT round(centroid_lon, 3) || ',' || round(centroid_lat, 3) FROM areas WHERE code = 'E01015063'`); geo != sw || sw == "" {
		t.Errorf("Plymouth LSOA centroid from shapefile %s, from GeoJSON %s", sw, geo)
	}
}

// Ward sets of several vintages: each authority keeps only its newest wards.
func TestWardVintagesDoNotOverlap(t *testing.T) {
	h := newHarness(t)
	h.ingest("boundaries-ward", "boundaries/wards2013_by_lad/E08000009.json.gz", "boundaries/wards2013_by_lad/E06000009.json.gz",
		"boundaries/greater_manchester/gm_ward2023_generalised.geojson")
	// Trafford: only the 2023 wards (21, as in the GM file); Blackpool: 2013 only.
	h.want(`SELECT string_agg(DISTINCT vintage::VARCHAR, ',') || ' ' || count(*) FROM areas WHERE level = 'ward' AND lad_code = 'E08000009'`, "2023 21")
	h.want(`SELECT string_agg(DISTINCT vintage::VARCHAR, ',') FROM areas WHERE level = 'ward' AND lad_code = 'E06000009'`, "2013")
}

// Parents the LSOAs name but no boundary file has get rows of their own
// (no geometry, extent from their LSOAs), so every link resolves:
// Buckinghamshire (formed 2020) over Chiltern's 2011 LSOAs. Wards a newer
// boundary set replaced do not (Trafford's 2022 lookup wards, replaced by
// its 2023 wards).
func TestLookupAreasWithoutBoundaries(t *testing.T) {
	h := newHarness(t)
	h.ingest("boundaries-lsoa11", "boundaries/lsoa2011_by_lad/E07000005.json.gz", "boundaries/lsoa2011_by_lad/E08000009.json.gz")
	h.ingest("boundaries-ward", "boundaries/greater_manchester/gm_ward2023_generalised.geojson")
	h.ingest("lookup-lsoa-ward-lad", "lookups/LSOA11_WD20_LAD20_EW_LU.csv", "lookups/LSOA11_WD21_LAD21_EW_LU.csv")
	h.want(`SELECT name || ' ' || vintage || ' ' || (geometry IS NULL) || ' ' || dataset FROM areas WHERE code = 'E06000060' AND level = 'lad'`,
		"Buckinghamshire 2021 true lookup-lsoa-ward-lad")
	h.want(`SELECT name || ' ' || lad_code FROM areas WHERE code = 'E05013154' AND level = 'ward'`, "Penn Wood and Old Amersham E06000060")
	// Its extent and centre are its LSOAs'.
	h.want(`SELECT count(*) FROM areas a WHERE a.dataset = 'lookup-lsoa-ward-lad' AND NOT (centroid_lon BETWEEN minx AND maxx AND centroid_lat BETWEEN miny AND maxy)`, "0")
	h.want(`SELECT (b.minx = min(l.minx) AND b.maxy = max(l.maxy))::VARCHAR FROM areas b, areas l
	        WHERE b.code = 'E06000060' AND l.level = 'lsoa11' AND l.lad_code = 'E06000060' GROUP BY b.minx, b.maxy`, "true")
	// Every English LSOA's ward and authority now has an area, except
	// Trafford's 2022 wards, which its 2023 boundaries replaced.
	h.want(`SELECT count(*) FROM areas l WHERE l.level = 'lsoa11' AND l.code LIKE 'E%' AND l.lad_code <> 'E08000009'
	        AND (NOT EXISTS (SELECT 1 FROM areas w WHERE w.level = 'ward' AND w.code = l.ward_code)
	             OR NOT EXISTS (SELECT 1 FROM areas a WHERE a.level = 'lad' AND a.code = l.lad_code))`, "0")
	h.want(`SELECT count(*) FROM areas WHERE level = 'ward' AND lad_code = 'E08000009'`, "21")
	h.want(`SELECT count(*) FROM areas WHERE code = 'E05000819'`, "0")
	// A boundary load of the same level replaces them, and the next derive
	// leaves out what the boundaries now have.
	h.ingest("boundaries-lad", "boundaries/greater_manchester/gm_lad2023_generalised.geojson")
	h.want(`SELECT string_agg(dataset, ',' ORDER BY dataset) FROM areas WHERE level = 'lad' AND code IN ('E08000009', 'E06000060')`,
		"boundaries-lad,lookup-lsoa-ward-lad")
}
