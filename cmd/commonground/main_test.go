package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"commonground/dashboard"
	"commonground/queries"
	"commonground/warehouse"
)

var update = flag.Bool("update", false, "rewrite golden files")

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func sharedData(t *testing.T) string {
	t.Helper()
	d, _ := filepath.Abs("../../../shared/data")
	if env := os.Getenv("COMMONGROUND_SHARED_DATA"); env != "" {
		d = env
	}
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("real data not found at %s", d)
	}
	return d
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"ingest"}, 2, "name a dataset"},
		{[]string{"ingest", "no-such-dataset"}, 2, "imd2019"},
		{[]string{"ingest", "--all", "imd2019"}, 2, "--all takes no dataset"},
		{[]string{"query"}, 2, "give the SQL"},
		{[]string{"query", "--format", "xml", "SELECT 1"}, 2, "--format must be"},
		{[]string{"sources", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"ingest", "--help"}, 0, "Usage: commonground ingest"},
	}
	for _, tt := range tests {
		code, out, errb := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errb, tt.want) {
			t.Errorf("%v: code %d, output %q; want code %d containing %q", tt.args, code, out+errb, tt.code, tt.want)
		}
	}
}

func TestIngestSourcesQuery(t *testing.T) {
	dd := sharedData(t)
	db := filepath.Join(t.TempDir(), "cli.duckdb")
	t.Setenv("COMMONGROUND_CACHE", t.TempDir())
	code, out, errb := runCLI(t, "ingest", "boundaries-lsoa11", "--db", db, filepath.Join(dd, "boundaries/lsoa2011_by_lad/E06000009.json.gz"))
	if code != 0 || !strings.Contains(out, "boundaries-lsoa11") {
		t.Fatalf("ingest: code %d\n%s\n%s", code, out, errb)
	}
	t.Setenv("COMMONGROUND_DB", db)
	code, out, errb = runCLI(t, "query", "--format", "csv", "SELECT count(*) AS n FROM areas WHERE level = 'lsoa11' AND lad_code = 'E06000009'")
	if code != 0 || out != "n\n94\n" {
		t.Fatalf("query: code %d out %q err %q", code, out, errb)
	}
	code, out, _ = runCLI(t, "query", "--format", "json", "SELECT code, name FROM areas WHERE code = 'E01012673'")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["name"] != "Blackpool 010A" {
		t.Fatalf("json query: code %d out %q", code, out)
	}
	code, _, errb = runCLI(t, "query", "DROP TABLE areas")
	if code != 1 || !strings.Contains(errb, "read-only") {
		t.Fatalf("DROP: code %d err %q", code, errb)
	}
	code, _, errb = runCLI(t, "query", "SELECT * FROM read_text('/etc/passwd')")
	if code != 1 || !strings.Contains(errb, "disabled") {
		t.Fatalf("read_text: code %d err %q", code, errb)
	}
	code, out, errb = runCLI(t, "sources", "--format", "json")
	var srcs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &srcs) != nil {
		t.Fatalf("sources: %d %q %q", code, out, errb)
	}
	var found bool
	for _, s := range srcs {
		if s["id"] == "boundaries-lsoa11" {
			found = s["rows"].(float64) == 94 && s["status"] == "ok" && s["licence"] != ""
		}
	}
	if !found || len(srcs) < 12 {
		t.Fatalf("sources does not report boundaries-lsoa11 with 94 rows: %s", out)
	}
	code, out, _ = runCLI(t, "sources")
	if code != 0 || !strings.Contains(out, "LAST LOADED") || !strings.Contains(out, "not loaded") {
		t.Fatalf("sources table: %s", out)
	}
	// A bad file fails clearly, naming dataset and file, and keeps the old data.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("Foo,Bar\n1,2\n"), 0o644)
	code, _, errb = runCLI(t, "ingest", "boundaries-lsoa11", bad)
	if code != 1 || !strings.Contains(errb, "boundaries-lsoa11") || !strings.Contains(errb, "bad.csv") {
		t.Fatalf("bad file: code %d err %q", code, errb)
	}
	code, out, _ = runCLI(t, "query", "--format", "csv", "SELECT count(*) FROM areas")
	if code != 0 || !strings.HasSuffix(out, "\n94\n") {
		t.Fatalf("after failed ingest: %q", out)
	}
}

// docs/SCHEMA.md is the output of `commonground schema`.
func TestSchemaDocIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := writeSchema(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	path := "../../docs/SCHEMA.md"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		t.Fatal("docs/SCHEMA.md is out of date: run `go test ./cmd/commonground -run SchemaDoc -update` or `make schema`")
	}
	for _, table := range []string{"areas", "imd", "ingest_runs", "ingest_rejects", "population", "postcodes"} {
		if !strings.Contains(b.String(), "### `"+table+"`") {
			t.Errorf("schema doc lacks table %s", table)
		}
	}
}

// The package map in STYLE.md, as a test (after go/build's deps_test.go).
func TestDependencyPolicy(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags=duckdb_arrow,mallocator", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "commonground/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	forbidden := map[string][]string{
		"commonground/warehouse":      {"commonground/ingest", "commonground/queries", "commonground/dashboard", "github.com/labstack/echo", "github.com/paulmach/orb"},
		"commonground/ingest":         {"commonground/queries", "commonground/dashboard", "github.com/labstack/echo"},
		"commonground/ingest/catalog": {"commonground/warehouse", "commonground/queries", "commonground/dashboard"},
		"commonground/ingest/format":  {"commonground/warehouse", "github.com/duckdb/duckdb-go", "commonground/ingest"},
		"commonground/ingest/source":  {"commonground/"},
		"commonground/queries":        {"commonground/dashboard", "commonground/ingest", "github.com/labstack/echo", "github.com/duckdb/duckdb-go"},
		"commonground/dashboard":      {"commonground/ingest", "github.com/duckdb/duckdb-go"},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		for _, bad := range forbidden[pkg] {
			for _, imp := range imports {
				if imp == bad || strings.HasPrefix(imp, bad+"/") || (strings.HasSuffix(bad, "/") && strings.HasPrefix(imp, bad)) {
					if pkg == "commonground/ingest/format" && imp == "commonground/ingest/format" {
						continue
					}
					t.Errorf("%s imports %s, which the package map forbids", pkg, imp)
				}
			}
		}
	}
}

func TestDemoLoadsSyntheticArea(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.duckdb")
	code, out, errb := runCLI(t, "demo", "--db", db)
	if code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errb)
	}
	if !strings.Contains(out, "SYNTHETIC DEMO DATA") || !strings.Contains(out, "60 LSOAs in 12 wards") {
		t.Fatalf("summary: %s", out)
	}
	if strings.Contains(out, "warning:") {
		t.Errorf("demo should not warn about its own size:\n%s", out)
	}
	t.Setenv("COMMONGROUND_DB", db)
	// Marked synthetic in provenance, and everything it loaded is in the demo authority.
	code, out, _ = runCLI(t, "query", "--format", "csv", "SELECT bool_and(synthetic), count(*) FROM ingest_runs WHERE status = 'ok'")
	if code != 0 || !strings.HasPrefix(strings.Split(out, "\n")[1], "true,") {
		t.Fatalf("provenance: %q", out)
	}
	code, out, _ = runCLI(t, "query", "--format", "csv", "SELECT count(*) FROM areas WHERE level = 'lsoa11' AND (lad_code <> 'E06099999' OR population IS NULL OR ward_code IS NULL)")
	if code != 0 || out != "count_star()\n0\n" {
		t.Fatalf("areas: %q", out)
	}
	code, out, _ = runCLI(t, "sources")
	if code != 0 || !strings.Contains(out, "synthetic") {
		t.Fatalf("sources should mark synthetic loads:\n%s", out)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 104830: "104,830", -1234567: "-1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %s", n, got)
		}
	}
}

// The dashboard upload, wired as serve wires it: the demo authority's own
// boundary becomes a custom area made of all its 60 LSOAs.
func TestCustomAreaUploadWiring(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.duckdb")
	if code, out, errb := runCLI(t, "demo", "--db", db, "--dir", filepath.Join(dir, "files")); code != 0 {
		t.Fatalf("demo: %s %s", out, errb)
	}
	w, err := warehouse.Open(t.Context(), db, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cat, err := queries.Default()
	if err != nil {
		t.Fatal(err)
	}
	add := customAreaAdder(w, cat)
	f, err := os.Open(filepath.Join(dir, "files", "boundaries", "lad.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	code, err := add(t.Context(), "Whole of Exampleton", f, "lad.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var name string
	if err := w.SQL().QueryRow(`SELECT count(*) FILTER (WHERE lsoa_vintage = 2011), any_value(a.name) FROM area_members m JOIN areas a ON a.code = m.area_code AND a.level = 'custom' WHERE m.area_code = ?`, code).Scan(&n, &name); err != nil {
		t.Fatal(err)
	}
	if n != 60 || name != "Whole of Exampleton" {
		t.Fatalf("custom area %s: %d LSOAs 2011, name %q", code, n, name)
	}
	res, err := cat.ForArea(t.Context(), w, code)
	if err != nil || len(res) == 0 {
		t.Fatalf("indicators for the custom area: %v (%d)", err, len(res))
	}
	// Its profile lists the LSOAs with their share of the residents.
	h, err := dashboard.New(dashboard.Config{}, w, cat)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/areas/"+code, nil))
	page := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(page, "Neighbourhoods that make up Whole of Exampleton") || strings.Count(page, "Exampleton 0") < 60 ||
		!strings.Contains(page, "Share of residents") {
		t.Fatalf("custom area profile: %d", rec.Code)
	}
	if _, err := add(t.Context(), "Nowhere", strings.NewReader(`{"type":"Point","coordinates":[0,51]}`), "p.geojson"); !errors.Is(err, dashboard.ErrBadUpload) {
		t.Fatalf("a point should be a bad upload, got %v", err)
	}
}
