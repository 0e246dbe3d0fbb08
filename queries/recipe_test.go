package queries

import (
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

func TestRecipeFileErrors(t *testing.T) {
	head := "-- id: r\n-- title: T\n-- description: D\n-- group: G\n"
	for _, tc := range []struct {
		name, text, want string
	}{
		{"undeclared", head + "\nSELECT $x AS a", "r.sql:6: undeclared parameter $x"},
		{"unused", head + "-- param: n integer [1, 5] = 2 | N\n\nSELECT 1", "r.sql:5: param \"n\" is declared but the SQL does not use $n"},
		{"default out of bounds", head + "-- param: n integer [1, 5] = 9 | N\n\nSELECT $n", "r.sql:5: param n: default \"9\": enter a whole number from 1 to 5"},
		{"bad kind", head + "-- param: n number = 1\n\nSELECT $n", "r.sql:5: param \"n number = 1\" is not"},
		{"bounds on text", head + "-- param: n text [1, 2] = a\n\nSELECT $n", "r.sql:5: param n: only integer and double take [min, max]"},
		{"choice without list", head + "-- param: c choice = a\n\nSELECT $c", "r.sql:5: param c: choice needs a list or a query"},
		{"default not a choice", head + "-- param: c choice(a, b) = z\n\nSELECT $c", "r.sql:5: param c: default \"z\" is not one of the choices"},
		{"bad level", head + "-- param: a area(county) = X\n\nSELECT $a", "r.sql:5: param a: unknown level \"county\""},
		{"missing group", "-- id: r\n-- title: T\n-- description: D\n\nSELECT 1", "r.sql:1: missing header field \"group\""},
		{"id mismatch", strings.Replace(head, "id: r", "id: other", 1) + "\nSELECT 1", "r.sql:1: id \"other\" does not match the file name"},
		{"unknown field", head + "-- unit: %\n\nSELECT 1", "r.sql:5: unknown header field \"unit\""},
		{"no sql", head, "no SQL after the header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadRecipes(fstest.MapFS{"r.sql": {Data: []byte(tc.text)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRecipeParamSyntax(t *testing.T) {
	p, err := parseRecipeParam("service choice(SELECT DISTINCT category, upper(category) FROM services ORDER BY 1) = gp_practice | Type of service | A hint")
	if err != nil {
		t.Fatal(err)
	}
	if p.ChoiceSQL != "SELECT DISTINCT category, upper(category) FROM services ORDER BY 1" || p.Default != "gp_practice" || p.Label != "Type of service" || p.Hint != "A hint" {
		t.Fatalf("%+v", p)
	}
	p, err = parseRecipeParam("km double [0.1, 20] = 1")
	if err != nil || *p.Min != 0.1 || *p.Max != 20 || p.Label != "Km" {
		t.Fatalf("%+v %v", p, err)
	}
	for _, tc := range []struct {
		v    string
		ok   bool
		want any
	}{{"1", true, 1.0}, {"0.05", false, nil}, {"20", true, 20.0}, {"NaN", false, nil}, {"Inf", false, nil}, {"x", false, nil}, {"1,5", true, 15.0}} {
		got, msg := p.check(tc.v)
		if (msg == "") != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("check(%q) = %v, %q", tc.v, got, msg)
		}
	}
	a, err := parseRecipeParam("council area(lad, custom) = E08000009 | Council")
	if err != nil || len(a.Levels) != 2 || a.Levels[1] != "custom" {
		t.Fatalf("%+v %v", a, err)
	}
	d, _ := parseRecipeParam("from date = 2024-04-01")
	if _, msg := d.check("2024-02-30"); msg == "" {
		t.Error("2024-02-30 accepted")
	}
	if _, msg := (RecipeParam{Kind: KindText}).check(strings.Repeat("x", 201)); msg == "" {
		t.Error("201 characters accepted")
	}
}

func TestRecipesValidateAgainstSchema(t *testing.T) {
	b, err := DefaultRecipes()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b.List()); n < 8 {
		t.Fatalf("%d recipes, want at least 8", n)
	}
	db := emptyDB(t)
	if err := b.Validate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	for _, r := range b.List() {
		if len(r.Columns) == 0 {
			t.Errorf("%s: no columns", r.ID)
		}
	}
	// A broken recipe is reported with its file and line.
	bad, err := LoadRecipes(fstest.MapFS{"bad.sql": {Data: []byte("-- id: bad\n-- title: T\n-- description: D\n-- group: G\n-- param: n integer = 1\n\nSELECT nope\nFROM areas WHERE $n = 1")}})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Validate(t.Context(), db)
	if err == nil || !strings.Contains(err.Error(), "bad.sql:7:") || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("got %v, want bad.sql:7 naming the column", err)
	}
	// Not a SELECT.
	w, _ := LoadRecipes(fstest.MapFS{"w.sql": {Data: []byte("-- id: w\n-- title: T\n-- description: D\n-- group: G\n\nDELETE FROM areas")}})
	if err := w.Validate(t.Context(), db); err == nil || !strings.Contains(err.Error(), "w.sql:6:") {
		t.Fatalf("a DELETE recipe: %v", err)
	}
}

// recipeLoads are real files for the recipe tests: Trafford and Greater
// Manchester in detail, deprivation and population for England.
var recipeLoads = []struct {
	id    string
	files []string
}{
	{"lookup-lsoa-ward-lad", []string{"lookups/LSOA11_WD21_LAD21_EW_LU.csv", "lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv"}},
	{"postcodes", []string{"lookups/postcodes/trafford_postcodes.csv"}},
	{"boundaries-lsoa11", []string{"boundaries/lsoa2011_by_lad/E08000009.json.gz", "boundaries/lsoa2011_by_lad/E08000003.json.gz"}},
	{"boundaries-lsoa21", []string{"boundaries/greater_manchester/gm_lsoa21_generalised.geojson"}},
	{"boundaries-ward", []string{"boundaries/greater_manchester/gm_ward2023_generalised.geojson"}},
	{"boundaries-lad", []string{"boundaries/greater_manchester/gm_lad2023_generalised.geojson"}},
	{"population-census2021", []string{"population/census2021/census21_pop_lsoa21_age6_derived.csv.gz"}},
	{"imd2019", []string{"deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
		"deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"}},
	{"imd2025", []string{"deprivation/iod2025_derived/imd2025_england_lsoa21.csv"}},
	{"trafford-gp-practices", []string{"services/greater_manchester/trafford_general_practices.geojson"}},
	{"gm-pharmacies", []string{"services/greater_manchester/gm_pharmacies.geojson"}},
	{"spending", []string{"spending/trafford/trafford-supplier-spend-2024-25.zip"}},
	{"grants", []string{"spending/360giving/trafford_council_voluntary_sector_grants.csv"}},
}

var (
	recipeOnce sync.Once
	recipeWH   *warehouse.DB
	recipeErr  error
)

// recipeDB loads recipeLoads into a warehouse of its own once (the other
// real-data tests expect no services in theirs).
func recipeDB(t *testing.T) *warehouse.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("loads real data (about 15 s)")
	}
	dd := sharedData(t)
	recipeOnce.Do(func() {
		start := time.Now()
		dir, err := os.MkdirTemp("", "recipes-test-")
		if err != nil {
			recipeErr = err
			return
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		recipeWH, recipeErr = warehouse.Open(t.Context(), filepath.Join(dir, "r.duckdb"), warehouse.Options{Logger: log})
		if recipeErr != nil {
			return
		}
		r := &ingest.Runner{DB: recipeWH, Fetcher: &source.Fetcher{CacheDir: filepath.Join(dir, "cache"), Logger: log}, Logger: log}
		for _, l := range recipeLoads {
			ds, err := catalog.ByID(l.id)
			if err != nil {
				recipeErr = err
				return
			}
			var paths []string
			for _, f := range l.files {
				paths = append(paths, filepath.Join(dd, f))
			}
			if _, err := r.Run(t.Context(), ds, paths); err != nil {
				recipeErr = err
				return
			}
		}
		// A community area of three Trafford LSOAs (Old Trafford), as
		// custom.Add writes it.
		if _, recipeErr = recipeWH.SQL().Exec(`INSERT INTO areas (code, name, level, vintage, dataset) VALUES ('X00000009', 'Test Old Trafford', 'custom', 2024, 'test')`); recipeErr != nil {
			return
		}
		_, recipeErr = recipeWH.SQL().Exec(`INSERT INTO area_members SELECT 'X00000009', 'custom', code, vintage, population, NULL, 'best_fit_centroid'
			FROM areas WHERE code IN ('E01006109', 'E01006110', 'E01006111') AND level IN ('lsoa11', 'lsoa21')`)
		t.Logf("loaded the recipe data in %v", time.Since(start).Round(time.Millisecond))
	})
	if recipeErr != nil {
		t.Fatal(recipeErr)
	}
	return recipeWH
}

// runRecipe binds values (others default) and returns every row.
func runRecipe(t *testing.T, db *warehouse.DB, id string, values map[string]string) *RecipeTable {
	t.Helper()
	b, err := DefaultRecipes()
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Recipe(id)
	if err != nil {
		t.Fatal(err)
	}
	bd, err := r.Bind(t.Context(), db, func(k string) string { return values[k] })
	if err != nil || !bd.OK() {
		t.Fatalf("%s: bind: %v %v", id, err, bd.Errors)
	}
	tb, err := r.Run(t.Context(), db, bd.Args, 100000)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return tb
}

func col(t *testing.T, tb *RecipeTable, name string) int {
	t.Helper()
	for i, c := range tb.Columns {
		if c == name {
			return i
		}
	}
	t.Fatalf("no column %s in %v", name, tb.Columns)
	return -1
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return f
}

func haversineKm(lon1, lat1, lon2, lat2 float64) float64 {
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Pow(math.Sin(dlat/2), 2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Pow(math.Sin(dlon/2), 2)
	return 2 * 6371.0088 * math.Asin(math.Sqrt(a))
}

type point struct {
	code, name string
	lon, lat   float64
}

func points(t *testing.T, db *warehouse.DB, q string, args ...any) []point {
	t.Helper()
	var out []point
	if err := scanEach(t.Context(), db, q, func(r *sql.Rows) error {
		var p point
		err := r.Scan(&p.code, &p.name, &p.lon, &p.lat)
		out = append(out, p)
		return err
	}, args...); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRecipesRealData runs every recipe on real data and checks at least
// one figure of each against a computation of its own (the source file
// read in Go, a brute-force distance, or a different SQL route).
func TestRecipesRealData(t *testing.T) {
	db := recipeDB(t)
	b, err := DefaultRecipes()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	checked := map[string]bool{}
	// File 1 of IoD2019, read in Go: Trafford's LSOAs and their ranks.
	traffordRank := map[string]int{}
	readCSV(t, "deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz", func(row map[string]string) {
		if row["Local Authority District code (2019)"] == "E08000009" {
			n, _ := strconv.Atoi(strings.ReplaceAll(row["Index of Multiple Deprivation (IMD) Rank"], ",", ""))
			traffordRank[row["LSOA code (2011)"]] = n
		}
	})
	decileOf := func(rank int) int { return int(math.Ceil(float64(rank) / 32844 * 10)) }

	t.Run("most_deprived_neighbourhoods", func(t *testing.T) {
		tb := runRecipe(t, db, "most_deprived_neighbourhoods", map[string]string{"area": "Trafford", "limit": "5"})
		best, bestCode := math.MaxInt, ""
		for code, r := range traffordRank {
			if r < best {
				best, bestCode = r, code
			}
		}
		if len(tb.Rows) != 5 || tb.Rows[0][col(t, tb, "lsoa_code")] != bestCode || num(t, tb.Rows[0][col(t, tb, "imd_rank")]) != float64(best) {
			t.Fatalf("first row %v, want %s rank %d", tb.Rows[0], bestCode, best)
		}
		checked["most_deprived_neighbourhoods"] = true
	})
	t.Run("wards_by_deprivation", func(t *testing.T) {
		tb := runRecipe(t, db, "wards_by_deprivation", map[string]string{"council": "E08000009", "decile": "2"})
		var lsoas, deprived float64
		for _, row := range tb.Rows {
			lsoas += num(t, row[col(t, tb, "neighbourhoods")])
			deprived += num(t, row[col(t, tb, "most_deprived")])
		}
		want := 0
		for _, r := range traffordRank {
			if decileOf(r) <= 2 {
				want++
			}
		}
		if int(lsoas) != len(traffordRank) || int(deprived) != want {
			t.Fatalf("%v LSOAs, %v most deprived; the file has %d and %d", lsoas, deprived, len(traffordRank), want)
		}
		checked["wards_by_deprivation"] = true
	})
	t.Run("services_near_deprived", func(t *testing.T) {
		tb := runRecipe(t, db, "services_near_deprived", map[string]string{"area": "E08000009", "service": "pharmacy", "km": "1.5", "decile": "2"})
		// Brute force in Go: every deprived LSOA centre against every open pharmacy.
		var lsoas []point
		for _, p := range points(t, db, `SELECT code, name, centroid_lon, centroid_lat FROM areas WHERE level = 'lsoa11' AND lad_code = 'E08000009'`) {
			if r, ok := traffordRank[p.code]; ok && decileOf(r) <= 2 {
				lsoas = append(lsoas, p)
			}
		}
		svcs := points(t, db, `SELECT id, name, lon, lat FROM services WHERE category = 'pharmacy' AND status = 'open' AND lon IS NOT NULL`)
		want := 0
		for _, l := range lsoas {
			for _, s := range svcs {
				if haversineKm(l.lon, l.lat, s.lon, s.lat) <= 1.5 {
					want++
				}
			}
		}
		if len(tb.Rows) != want || want == 0 {
			t.Fatalf("%d pairs, brute force finds %d", len(tb.Rows), want)
		}
		checked["services_near_deprived"] = true
	})
	t.Run("neighbourhoods_far_from_service", func(t *testing.T) {
		tb := runRecipe(t, db, "neighbourhoods_far_from_service", map[string]string{"area": "Trafford", "service": "gp_practice", "km": "1"})
		lsoas := points(t, db, `SELECT code, name, centroid_lon, centroid_lat FROM areas WHERE level = 'lsoa11' AND lad_code = 'E08000009'`)
		svcs := points(t, db, `SELECT id, name, lon, lat FROM services WHERE category = 'gp_practice' AND status = 'open' AND lon IS NOT NULL`)
		far := map[string]float64{}
		for _, l := range lsoas {
			best := math.Inf(1)
			for _, s := range svcs {
				best = math.Min(best, haversineKm(l.lon, l.lat, s.lon, s.lat))
			}
			if best > 1 {
				far[l.code] = best
			}
		}
		if len(tb.Rows) != len(far) || len(far) == 0 {
			t.Fatalf("%d far LSOAs, brute force finds %d", len(tb.Rows), len(far))
		}
		for _, row := range tb.Rows {
			if d := num(t, row[col(t, tb, "nearest_km")]); math.Abs(d-far[row[0]]) > 0.006 {
				t.Errorf("%s: %v km, brute force %v", row[0], d, far[row[0]])
			}
		}
		checked["neighbourhoods_far_from_service"] = true
	})
	t.Run("services_in_area", func(t *testing.T) {
		tb := runRecipe(t, db, "services_in_area", map[string]string{"area": "Trafford", "service": "gp_practice"})
		// A different route: the local authority found by point in polygon.
		want := one[int](t, db, `SELECT count(*) FROM services WHERE category = 'gp_practice' AND status = 'open' AND lad_code = 'E08000009'`)
		if len(tb.Rows) != want || want < 20 {
			t.Fatalf("%d practices, the lad_code route finds %d", len(tb.Rows), want)
		}
		// A community area sees only its own.
		small := runRecipe(t, db, "services_in_area", map[string]string{"area": "Test Old Trafford", "service": "gp_practice"})
		if len(small.Rows) >= len(tb.Rows) {
			t.Fatalf("the custom area has %d practices, Trafford %d", len(small.Rows), len(tb.Rows))
		}
		checked["services_in_area"] = true
	})
	t.Run("worse_than_england", func(t *testing.T) {
		tb := runRecipe(t, db, "worse_than_england", map[string]string{"area": "E08000009", "domain": "income"})
		var sum float64
		n := 0
		readCSV(t, "deprivation/iod2025_derived/imd2025_england_lsoa21.csv", func(row map[string]string) {
			f, err := strconv.ParseFloat(row["Income_score"], 64)
			if err == nil {
				sum += f
				n++
			}
		})
		avg := sum / float64(n)
		if len(tb.Rows) == 0 {
			t.Fatal("no rows")
		}
		for _, row := range tb.Rows {
			if got := num(t, row[col(t, tb, "england_average")]); math.Abs(got-avg) > 0.0006 {
				t.Fatalf("England average %v, the file gives %v", got, avg)
			}
			if num(t, row[col(t, tb, "score")]) <= avg {
				t.Fatalf("row %v is not worse than England", row)
			}
		}
		checked["worse_than_england"] = true
	})
	t.Run("top_suppliers", func(t *testing.T) {
		tb := runRecipe(t, db, "top_suppliers", map[string]string{"council": "E08000009", "limit": "10"})
		top := tb.Rows[0][col(t, tb, "supplier_name")]
		var want float64
		if err := db.SQL().QueryRowContext(t.Context(), `SELECT sum(amount)::DOUBLE FROM spending WHERE supplier_name = ? AND council_code = 'E08000009'`, top).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if len(tb.Rows) != 10 || math.Abs(num(t, tb.Rows[0][col(t, tb, "total_pounds")])-want) > 0.005 {
			t.Fatalf("top supplier %v, a separate sum gives %v", tb.Rows[0], want)
		}
		for i := 1; i < len(tb.Rows); i++ {
			if num(t, tb.Rows[i][2]) > num(t, tb.Rows[i-1][2]) {
				t.Fatalf("not in order: %v after %v", tb.Rows[i], tb.Rows[i-1])
			}
		}
		checked["top_suppliers"] = true
	})
	t.Run("payments_to_supplier", func(t *testing.T) {
		tb := runRecipe(t, db, "payments_to_supplier", map[string]string{"council": "E08000009", "supplier": "age uk"})
		want := one[int](t, db, `SELECT count(*) FROM spending WHERE council_code = 'E08000009' AND contains(lower(supplier_name), 'age uk')`)
		if len(tb.Rows) != want || want == 0 {
			t.Fatalf("%d payments, a separate count gives %d", len(tb.Rows), want)
		}
		// Wildcards typed by a user are bound, not spliced: a quote is just a character.
		if q := runRecipe(t, db, "payments_to_supplier", map[string]string{"council": "E08000009", "supplier": "x' OR '1'='1"}); len(q.Rows) != 0 {
			t.Fatalf("%d rows for a quote", len(q.Rows))
		}
		checked["payments_to_supplier"] = true
	})
	t.Run("grants_in_area", func(t *testing.T) {
		tb := runRecipe(t, db, "grants_in_area", map[string]string{"area": "Trafford"})
		rows := 0
		readCSV(t, "spending/360giving/trafford_council_voluntary_sector_grants.csv", func(map[string]string) { rows++ })
		rejected := one[int](t, db, `SELECT coalesce(sum(rows_rejected), 0) FROM ingest_runs WHERE dataset = 'grants' AND status = 'ok'`)
		if len(tb.Rows) != rows-rejected || len(tb.Rows) == 0 {
			t.Fatalf("%d grants; the file has %d rows, %d rejected", len(tb.Rows), rows, rejected)
		}
		small := runRecipe(t, db, "grants_in_area", map[string]string{"area": "X00000009"})
		want := one[int](t, db, `SELECT count(*) FROM grants g JOIN postcodes p ON p.postcode_key = upper(replace(g.recipient_postcode, ' ', ''))
			WHERE p.lsoa21_code IN ('E01006109', 'E01006110', 'E01006111')`)
		if len(small.Rows) != want {
			t.Fatalf("custom area: %d grants, by postcode %d", len(small.Rows), want)
		}
		checked["grants_in_area"] = true
	})
	t.Run("age_profile", func(t *testing.T) {
		tb := runRecipe(t, db, "age_profile", map[string]string{"area": "Trafford"})
		var residents, old float64
		for _, row := range tb.Rows {
			residents += num(t, row[col(t, tb, "residents")])
			old += num(t, row[col(t, tb, "aged_65_plus")])
		}
		var want, wantOld int
		readCSV(t, "population/census2021/census21_pop_lsoa21_age6_derived.csv.gz", func(row map[string]string) {
			if strings.HasPrefix(row["lsoa21_name"], "Trafford ") {
				n, _ := strconv.Atoi(row["usual_residents"])
				want += n
				if strings.Contains(row["age_group"], "65") {
					wantOld += n
				}
			}
		})
		if int(residents) != want || int(old) != wantOld || want == 0 {
			t.Fatalf("%v residents, %v aged 65+; the census file has %d and %d", residents, old, want, wantOld)
		}
		checked["age_profile"] = true
	})
	for _, r := range b.List() {
		if !checked[r.ID] {
			t.Errorf("recipe %s has no real-data check", r.ID)
		}
	}
}

func TestResolveArea(t *testing.T) {
	db := recipeDB(t)
	for _, tc := range []struct {
		in     string
		levels []string
		code   string
		msg    string
	}{
		{"E08000009", nil, "E08000009", ""},
		{"e08000009", nil, "E08000009", ""},
		{"Trafford", nil, "E08000009", ""},
		{"trafford (Local authority)", nil, "E08000009", ""},
		{"Test Old Trafford", nil, "X00000009", ""},
		{"Traff", []string{"lad"}, "E08000009", ""},
		{"Park", []string{"ward"}, "", "matches more than one area"},
		{"Atlantis", nil, "", "we could not find an area"},
		// A postcode: its ward, else what the parameter takes.
		{"m32 0th", nil, "E05000829", ""}, // the ward its LSOA is placed in (the 2021 lookup), which has LSOAs
		{"M32 0TH", []string{"lad"}, "E08000009", ""},
		{"ZZ1 1ZZ", nil, "", "could not place the postcode"},
		{"E01006109", []string{"lad"}, "", "we could not find a local authority"},
	} {
		code, _, msg, err := ResolveArea(t.Context(), db, tc.in, tc.levels)
		if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("ResolveArea(%q, %v) = %q, %q; want %q, %q", tc.in, tc.levels, code, msg, tc.code, tc.msg)
		}
	}
}

func TestRecipeBindErrors(t *testing.T) {
	db := recipeDB(t)
	b, _ := DefaultRecipes()
	r, _ := b.Recipe("services_near_deprived")
	vals := map[string]string{"area": "Nowhere", "service": "casino", "km": "500", "decile": "two"}
	bd, err := r.Bind(t.Context(), db, func(k string) string { return vals[k] })
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"area", "service", "km", "decile"} {
		if bd.Errors[p] == "" {
			t.Errorf("no error for %s=%q", p, vals[p])
		}
	}
	if bd.OK() || errors.Is(err, ErrNotFound) {
		t.Fatal("bound")
	}
}
