package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// areaBlocks splits `areas add` output into one block per area, by code.
func areaBlocks(t *testing.T, out string) map[string]string {
	t.Helper()
	head := regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_-]{2,31})  (.+)$`)
	locs := head.FindAllStringSubmatchIndex(out, -1)
	blocks := map[string]string{}
	for i, l := range locs {
		end := len(out)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		name := out[l[4]:l[5]]
		blocks[name] = strings.TrimRight(out[l[0]:end], "\n") + "\n"
	}
	return blocks
}

func TestAreasCommand(t *testing.T) {
	dd := sharedData(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "areas.duckdb")
	t.Setenv("COMMONGROUND_CACHE", t.TempDir())
	t.Setenv("COMMONGROUND_DB", db)
	for _, in := range [][]string{
		{"boundaries-lsoa11", "boundaries/lsoa2011_by_lad/E08000009.json.gz"},
		{"boundaries-lsoa21", "boundaries/greater_manchester/gm_lsoa21_generalised.geojson"},
		{"population-sape", "population/pop_table_SAPE20DT1_mid2017_population_estimates.csv"},
		{"population-census2021", "population/census2021/census21_pop_lsoa21_age6_derived.csv.gz"},
	} {
		if code, out, errb := runCLI(t, "ingest", in[0], filepath.Join(dd, in[1])); code != 0 {
			t.Fatalf("ingest %s: %d\n%s\n%s", in[0], code, out, errb)
		}
	}
	localities := filepath.Join(dd, "boundaries/custom_areas/trafford_localities_2023_generalised.geojson")

	code, out, errb := runCLI(t, "areas", "add", "--each", "--name-property", "area_name", localities)
	if code != 0 {
		t.Fatalf("areas add --each: %d\n%s\n%s", code, out, errb)
	}
	if errb != "" {
		t.Errorf("unexpected warnings: %s", errb)
	}
	blocks := areaBlocks(t, out)
	if len(blocks) != 4 {
		t.Fatalf("%d areas in the output, want 4:\n%s", len(blocks), out)
	}
	// Counts and populations for North from a ray-casting script over the
	// raw GeoJSON (LSOA centroids by the shoelace formula) and the raw
	// population CSVs: 32 LSOAs 2011 with 56,192 people (mid-2017), 33
	// LSOAs 2021 with 57,753 (Census 2021).
	north := blocks["North"]
	for _, want := range []string{
		"population       57,753 (2021, sum over its 33 LSOAs 2021)",
		"LSOAs            33 (2021), 32 (2011), by best fit",
		"local authority  E08000009",
		"LSOA 2021: 33 LSOAs, 57,753 people",
		"LSOA 2011: 32 LSOAs, 56,192 people",
		"CODE       NAME           POPULATION  SHARE  METHOD",
	} {
		if !strings.Contains(north, want) {
			t.Errorf("North lacks %q:\n%s", want, north)
		}
	}
	if n := strings.Count(north, "  centroid"); n != 32+33 {
		t.Errorf("North lists %d LSOAs, want 65", n)
	}
	northCode := strings.Fields(north)[0]

	// show prints exactly what add printed.
	code, out, errb = runCLI(t, "areas", "show", northCode)
	if code != 0 || out != north {
		t.Errorf("show %s: %d %s\n--- got\n%s--- add printed\n%s", northCode, code, errb, out, north)
	}
	// Adding again replaces: still four areas.
	if code, _, errb = runCLI(t, "areas", "add", "--each", localities); code != 0 {
		t.Fatalf("re-add: %d %s", code, errb)
	}
	code, out, _ = runCLI(t, "areas", "list")
	if code != 0 || !strings.Contains(out, "(4 custom areas)") || !regexp.MustCompile(northCode+` +North +33 +32 +57,753 +2021 +E08000009`).MatchString(out) {
		t.Errorf("list: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "query", "--format", "csv", "SELECT count(*) AS n, count(DISTINCT lsoa_code) AS d FROM area_members WHERE lsoa_vintage = 2011")
	if code != 0 || out != "n,d\n138,138\n" {
		t.Errorf("members after re-adding: %q", out)
	}

	// A tiny area: the containing LSOA, with a warning.
	tiny := filepath.Join(dir, "tiny.geojson")
	os.WriteFile(tiny, []byte(`{"type":"Feature","properties":{"name":"Bench"},"geometry":{"type":"Polygon","coordinates":[[[-2.3500,53.4200],[-2.3495,53.4200],[-2.3495,53.4203],[-2.3500,53.4203],[-2.3500,53.4200]]]}}`), 0o644)
	code, out, errb = runCLI(t, "areas", "add", "--code", "BENCH", tiny)
	if code != 0 || !strings.HasPrefix(out, "BENCH  Bench\n") || !strings.Contains(out, "contains the area") ||
		!strings.Contains(errb, "warning: BENCH (Bench): no LSOA 2011 centroid lies inside the area") {
		t.Errorf("tiny: %d\n%s\n%s", code, out, errb)
	}
	if code, out, _ = runCLI(t, "areas", "remove", "BENCH"); code != 0 || out != "removed BENCH\n" {
		t.Errorf("remove: %d %q", code, out)
	}
	if code, _, errb = runCLI(t, "areas", "show", "BENCH"); code != 1 || !strings.Contains(errb, "no custom area has this code") {
		t.Errorf("show removed: %d %s", code, errb)
	}

	// British National Grid without a crs: converted, with a note.
	bng := filepath.Join(dir, "bng.geojson")
	os.WriteFile(bng, []byte(`{"type":"Polygon","coordinates":[[[378000,394000],[379000,394000],[379000,395000],[378000,395000],[378000,394000]]]}`), 0o644)
	code, out, errb = runCLI(t, "areas", "add", "--name", "Grid square", bng)
	if code != 0 || !strings.Contains(errb, "note: bng.geojson: the coordinates are British National Grid metres") || !strings.Contains(out, "local authority  E08000009") {
		t.Errorf("BNG: %d\n%s\n%s", code, out, errb)
	}

	big := filepath.Join(dir, "big.geojson")
	os.WriteFile(big, bytes.Repeat([]byte(" "), 20<<20), 0o644)
	notJSON := filepath.Join(dir, "notjson.geojson")
	os.WriteFile(notJSON, []byte("area,name\n1,2\n"), 0o644)
	point := filepath.Join(dir, "point.geojson")
	os.WriteFile(point, []byte(`{"type":"Point","coordinates":[-2.35,53.42]}`), 0o644)
	paris := filepath.Join(dir, "paris.geojson")
	os.WriteFile(paris, []byte(`{"type":"Polygon","coordinates":[[[2.35,48.85],[2.36,48.85],[2.36,48.86],[2.35,48.85]]]}`), 0o644)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"areas"}, 2, "name a subcommand"},
		{[]string{"areas", "frob"}, 2, `unknown subcommand "frob"`},
		{[]string{"areas", "--help"}, 0, "Subcommands:"},
		{[]string{"areas", "add", "--help"}, 0, "Usage: commonground areas add"},
		{[]string{"areas", "add"}, 2, "give one GeoJSON file"},
		{[]string{"areas", "add", "--each", "--name", "X", localities}, 2, "--each names and codes each area"},
		{[]string{"areas", "add", localities}, 2, "give the area a --name (the file has 4 features"},
		{[]string{"areas", "add", "--each", "--name-property", "ward", localities}, 2, "feature 1 of " + localities + " has no ward property"},
		{[]string{"areas", "add", "--name", "X", "--code", "e01", localities}, 2, "use 3 to 32 capital letters"},
		{[]string{"areas", "add", "--name", "X", "--code", "E08000009", localities}, 2, "looks like an ONS code"},
		{[]string{"areas", "add", "--name", "X", notJSON}, 1, "not JSON"},
		{[]string{"areas", "add", "--name", "X", point}, 1, "the geometry is a Point"},
		{[]string{"areas", "add", "--name", "X", paris}, 1, "outside England"},
		{[]string{"areas", "add", "--name", "X", big}, 1, "the file is 20.0 MB, more than the limit of 10.0 MB"},
		{[]string{"areas", "add", "--name", "X", filepath.Join(dir, "missing.geojson")}, 1, "no such file"},
		{[]string{"areas", "show"}, 2, "give one area code"},
		{[]string{"areas", "remove", "NOPE"}, 1, "no custom area has this code"},
		{[]string{"areas", "list", "extra"}, 2, "list takes no arguments"},
	}
	for _, tt := range tests {
		code, out, errb := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errb, tt.want) {
			t.Errorf("%v: code %d, output %q; want code %d containing %q", tt.args, code, out+errb, tt.code, tt.want)
		}
	}
	// None of the failures stored anything: four localities and the grid square.
	code, out, _ = runCLI(t, "query", "--format", "csv", "SELECT count(*) AS n FROM areas WHERE level = 'custom'")
	if code != 0 || out != "n\n5\n" {
		t.Errorf("custom areas after the failures: %q", out)
	}
	// refresh redoes every area.
	code, out, errb = runCLI(t, "areas", "refresh")
	if code != 0 || strings.Count(out, "\n") != 5 || !strings.Contains(out, northCode+"  North: 33 LSOAs 2021, 32 LSOAs 2011, population 57,753 (2021)") {
		t.Errorf("refresh: %d\n%s\n%s", code, out, errb)
	}
}
