package queries

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"commonground/warehouse"
)

// good is a valid indicator file; tests break it one line at a time.
const good = `-- id: good
-- title: A good indicator
-- definition: Residents in decile 1 as a share of all residents.
-- unit: %
-- polarity: higher is worse
-- rule: ratio
-- numerator: residents of decile 1 LSOAs
-- denominator: all residents
-- sources: imd2019 (imd)
-- geography: lsoa11
-- caveat: A caveat that runs
--   over two lines.
-- sentence: {value} of residents in {area} live in decile 1{compare}.

SELECT lsoa_code,
       CASE WHEN imd_decile = 1 THEN pop_total ELSE 0 END AS numerator,
       pop_total AS denominator
FROM imd
WHERE edition = 2019
`

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, text := range files {
		m[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return m
}

func TestLoadGood(t *testing.T) {
	c, err := Load(mapFS(map[string]string{"good.sql": good}))
	if err != nil {
		t.Fatal(err)
	}
	ind, err := c.Indicator("good")
	if err != nil {
		t.Fatal(err)
	}
	if ind.Unit != UnitPercent || ind.Polarity != HigherIsWorse || ind.Rule != RuleRatio || ind.CI != CIWilson ||
		ind.Geography != GeoLSOA11 || len(ind.Sources) != 1 || ind.Sources[0] != (Source{"imd2019", "imd"}) {
		t.Errorf("parsed %+v", ind)
	}
	if len(ind.Caveats) != 1 || ind.Caveats[0] != "A caveat that runs over two lines." {
		t.Errorf("caveats %q", ind.Caveats)
	}
	if ind.bodyLine != 15 {
		t.Errorf("SQL starts on line %d, want 15", ind.bodyLine)
	}
	if _, err := c.Indicator("goo"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "did you mean good?") {
		t.Errorf("unknown id: %v", err)
	}
}

// replaceLine swaps line n (1-based) of good.
func replaceLine(n int, with string) string {
	lines := strings.Split(good, "\n")
	lines[n-1] = with
	return strings.Join(lines, "\n")
}

func TestLoadRejectsBadHeaders(t *testing.T) {
	for _, c := range []struct {
		name, text, want string
	}{
		{"polarity", replaceLine(5, "-- polarity: up"), `good.sql:5: unknown polarity "up"`},
		{"unit", replaceLine(4, "-- unit: percent"), `good.sql:4: unknown unit "percent"`},
		{"rule", replaceLine(6, "-- rule: median"), `good.sql:6: unknown rule "median"`},
		{"geography", replaceLine(10, "-- geography: msoa"), `good.sql:10: unknown geography "msoa"`},
		{"unknown field", replaceLine(3, "-- defintion: typo"), `good.sql:3: unknown header field "defintion"`},
		{"missing field", replaceLine(2, "-- caveat: no title"), `good.sql:1: missing header field "title"`},
		{"id and file", replaceLine(1, "-- id: other"), `good.sql:1: id "other" does not match the file name "good.sql"`},
		{"repeated", replaceLine(3, "-- unit: %"), `good.sql:4: header field "unit" repeated (first on line 3)`},
		{"sources", replaceLine(9, "-- sources: imd2019"), `good.sql:9: source "imd2019" is not "dataset (table)"`},
		{"placeholder", replaceLine(13, "-- sentence: {value} in {place}."), `good.sql:13: sentence: unknown placeholder {place}`},
		{"no value", replaceLine(13, "-- sentence: Something about {area}."), `good.sql:13: sentence: the template must show {value}`},
		{"ci", replaceLine(10, "-- geography: lsoa11\n-- ci: byar"), `good.sql:11: ci byar is for rates`},
		{"ratio needs denominator", replaceLine(8, "-- weight: residents"), `good.sql:6: rule ratio needs numerator and denominator fields`},
		{"not a field", replaceLine(3, "-- just a comment"), `good.sql:3: header line is not "-- field: value"`},
		{"undeclared parameter", strings.Replace(good, "WHERE edition = 2019", "WHERE edition = $edition", 1), `good.sql:19: undeclared parameter $edition`},
		{"unused parameter", replaceLine(10, "-- geography: lsoa11\n-- param: edition integer = 2019"), `good.sql:11: param "edition" is declared but the SQL does not use $edition`},
		{"bad parameter", replaceLine(10, "-- geography: lsoa11\n-- param: edition integer = soon"), `good.sql:11: param edition: default "soon" is not an integer`},
		{"no SQL", strings.Split(good, "\nSELECT")[0], `good.sql:14: no SQL after the header`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(mapFS(map[string]string{"good.sql": c.text}))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "good.sql" || fe.Line == 0 {
				t.Errorf("error is not a FileError with a line: %#v", err)
			}
		})
	}
}

func TestLoadReadsOnlyRootSQLFiles(t *testing.T) {
	_, err := Load(mapFS(map[string]string{"good.sql": good, "sub/good.sql": "-- not an indicator", "notes.txt": ""}))
	if err != nil {
		t.Fatalf("files outside the root and other extensions are ignored: %v", err)
	}
	if _, err := Load(mapFS(map[string]string{"notes.txt": "x"})); err == nil {
		t.Error("a directory without indicators should fail to load")
	}
}

// validate loads one file and validates it against a migrated warehouse.
func validate(t *testing.T, db *warehouse.DB, text string) error {
	t.Helper()
	c, err := Load(mapFS(map[string]string{"good.sql": text}))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c.Validate(t.Context(), db)
}

func TestValidateRejectsBrokenSQL(t *testing.T) {
	db := emptyDB(t)
	if err := validate(t, db, good); err != nil {
		t.Fatalf("good file: %v", err)
	}
	sqlAt := func(sql string) string { return strings.SplitAfter(good, "\n\n")[0] + sql }
	for _, c := range []struct {
		name, text, want string
	}{
		{"not a SELECT", sqlAt("DELETE FROM imd"), "good.sql:15: statement is DELETE, not a read-only SELECT"},
		{"two statements", sqlAt("SELECT 1 AS lsoa_code, 1 AS numerator, 1 AS denominator;\nDROP TABLE imd"), "good.sql:15: not a single read-only SELECT"},
		{"missing column", sqlAt("SELECT lsoa_code, pop_total AS numerator\nFROM imd"), "good.sql:15: missing column denominator"},
		{"text numerator", sqlAt("SELECT lsoa_code, lsoa_name AS numerator, pop_total AS denominator\nFROM imd"), "good.sql:15: columns numerator, denominator must be numbers"},
		{"unknown column", sqlAt("SELECT lsoa_code,\n  imd_decile AS numerator,\n  no_such_column AS denominator\nFROM imd"), "good.sql:17: SQL does not prepare"},
		{"unknown table", sqlAt("SELECT lsoa_code, 1 AS numerator, 1 AS denominator\nFROM no_such_table"), "good.sql:16: SQL does not prepare"},
		{"unknown source table", strings.Replace(good, "imd2019 (imd)", "imd2019 (deprivation)", 1), `good.sql:9: unknown source table "deprivation"`},
		{"untyped parameter", strings.Replace(strings.Replace(good, "WHERE edition = 2019", "WHERE edition = 2019 LIMIT $n", 1),
			"-- geography: lsoa11", "-- geography: lsoa11\n-- param: n integer = 10", 1), ""},
		{"unknown parameter type", strings.Replace(strings.Replace(good, "pop_total AS denominator", "pop_total * $k AS denominator", 1),
			"-- geography: lsoa11", "-- geography: lsoa11\n-- param: k double = 1", 1), "good.sql:18: DuckDB cannot tell the result columns until a parameter's type is known"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := validate(t, db, c.text)
			if c.want == "" {
				if err != nil {
					t.Fatalf("should validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
		})
	}

	// Dataset ids are checked once the datasets table is filled.
	if err := validate(t, db, strings.Replace(good, "imd2019 (imd)", "imd2018 (imd)", 1)); err != nil {
		t.Fatalf("with an empty datasets table, dataset ids are not checked: %v", err)
	}
	if err := syncDatasets(t, db); err != nil {
		t.Fatal(err)
	}
	err := validate(t, db, strings.Replace(good, "imd2019 (imd)", "imd2018 (imd)", 1))
	if err == nil || !strings.Contains(err.Error(), `good.sql:9: unknown source dataset "imd2018"`) {
		t.Fatalf("unknown dataset: %v", err)
	}
}

// The embedded library loads and validates against an empty warehouse
// with the real catalogue: every table and dataset it names exists.
func TestDefaultValidates(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Indicators()); n < 25 {
		t.Errorf("%d indicators, want at least 25", n)
	}
	db := emptyDB(t)
	if err := syncDatasets(t, db); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	// Every indicator runs on the empty warehouse and says it has no data.
	for _, ind := range c.Indicators() {
		vs, err := c.Values(t.Context(), db, ind.ID, LevelCountry, "")
		if errors.Is(err, ErrNotAvailable) && ind.Geography == GeoLAD {
			continue // no England figure
		}
		if err != nil || len(vs) != 1 || vs[0].Status != StatusNoData {
			t.Errorf("%s on an empty warehouse: %+v, %v", ind.ID, vs, err)
		}
	}
}

// A deliberately broken file in an otherwise good set fails the whole
// load, naming the file and line.
func TestBrokenFileFailsLoad(t *testing.T) {
	files := map[string]string{"good.sql": good}
	files["broken.sql"] = strings.Replace(strings.Replace(good, "-- id: good", "-- id: broken", 1), "-- polarity: higher is worse", "-- polarity: up", 1)
	_, err := Load(mapFS(files))
	if err == nil || !strings.Contains(err.Error(), `broken.sql:5: unknown polarity "up"`) {
		t.Fatalf("got %v", err)
	}
	// And the embedded set reports the path under queries/.
	ind, err := parse("queries/imd_score.sql", strings.Replace(strings.Replace(good, "-- id: good", "-- id: imd_score", 1), "-- polarity: higher is worse", "-- polarity: up", 1))
	if ind != nil || err == nil || !strings.HasPrefix(err.Error(), `queries/imd_score.sql:5: unknown polarity "up"`) {
		t.Fatalf("got %v", err)
	}
}
