package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

const testSeed = 1

var (
	genOnce  sync.Once
	genDir   string
	genFiles Files
	genErr   error
)

// generated runs Generate once for the whole package and returns its
// directory.
func generated(t *testing.T) (string, Files) {
	t.Helper()
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "demo-test-")
		if genErr == nil {
			genFiles, genErr = Generate(context.Background(), genDir, testSeed)
		}
	})
	if genErr != nil {
		t.Fatalf("Generate: %v", genErr)
	}
	return genDir, genFiles
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		_ = os.RemoveAll(genDir)
	}
	os.Exit(code)
}

func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	fa, err := Generate(t.Context(), a, 42)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(t.Context(), b, 42); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(t.Context(), c, 43); err != nil {
		t.Fatal(err)
	}
	ha, hb, hc := hashTree(t, a), hashTree(t, b), hashTree(t, c)
	if len(ha) < 20 {
		t.Fatalf("only %d files generated", len(ha))
	}
	for name, sum := range ha {
		if hb[name] != sum {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if len(hb) != len(ha) {
		t.Errorf("runs wrote %d and %d files", len(ha), len(hb))
	}
	same := 0
	for name, sum := range ha {
		if hc[name] == sum {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d files identical across different seeds", same)
	}
	// Every returned path exists, inside the directory.
	n := 0
	for id, paths := range fa {
		for _, p := range paths {
			n++
			if !strings.HasPrefix(p, a) {
				t.Errorf("%s: path %s outside %s", id, p, a)
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}
	}
	if n != len(ha)-1 { // all but README.txt
		t.Errorf("Files lists %d paths, %d files written", n, len(ha))
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Generate(ctx, t.TempDir(), 1); err == nil {
		t.Fatal("Generate with a cancelled context succeeded")
	}
}

func TestFilesByDataset(t *testing.T) {
	dir, files := generated(t)
	want := map[string][]string{
		DatasetBoundariesLSOA11: {"boundaries/lsoa2011_by_lad/E06099999.json"},
		DatasetBoundariesLSOA21: {"boundaries/lsoa21.geojson"},
		DatasetBoundariesMSOA21: {"boundaries/msoa21.geojson"},
		DatasetBoundariesWard:   {"boundaries/wards.geojson"},
		DatasetBoundariesLAD:    {"boundaries/lad.geojson"},
		DatasetIMD2019: {"deprivation/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv",
			"deprivation/File_2_-_IoD2019_Domains_of_Deprivation.csv",
			"deprivation/File_6_-_IoD2019_Population_Denominators.csv"},
		DatasetIMD2025:          {"deprivation/imd2025_england_lsoa21.csv"},
		DatasetLookupLSOAWard:   {"lookups/LSOA11_WD21_LAD21_EW_LU.csv"},
		DatasetLookupOA:         {"lookups/OA11_OAC11_LSOA11_MSOA11_LAD17_RGN11_UK_lookup.csv"},
		DatasetPostcodes:        {"lookups/postcodes.csv"},
		DatasetPopulationSAPE:   {"population/sape_mid2017.csv"},
		DatasetPopulationCensus: {"population/census21_pop_lsoa21_age6.csv"},
		DatasetGPPractices:      {"services/epraccur.csv"},
		DatasetPharmacies:       {"services/pharmacies_edispensary.csv"},
		DatasetLibraries:        {"services/gm_libraries.csv"},
		DatasetFoodBanks:        {"services/gm_food_banks.csv"},
		DatasetSchools:          {"services/gias_open_schools.csv"},
		DatasetSpending:         {"spending/exampleton_spending_2024-06.csv", "spending/exampleton_spending_2024-07.csv"},
		DatasetGrants:           {"grants/exampleton_grants.csv"},
	}
	if len(files) != len(want) {
		t.Errorf("got %d datasets, want %d", len(files), len(want))
	}
	for id, rels := range want {
		var got []string
		for _, p := range files[id] {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, filepath.ToSlash(rel))
		}
		if !slices.Equal(got, rels) {
			t.Errorf("%s: got %v, want %v", id, got, rels)
		}
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"synthetic", "commonground demo", fmt.Sprintf("seed %d", testSeed)} {
		if !bytes.Contains(readme, []byte(s)) {
			t.Errorf("README.txt does not mention %q", s)
		}
	}
}

// The expected first lines are copied from the real files (see
// shared/data/SOURCES.md), with their byte-order marks.
func TestCSVLayouts(t *testing.T) {
	dir, _ := generated(t)
	const bom = "\ufeff"
	tests := []struct {
		rel      string
		header   string // "" for headerless files
		bom      bool
		crlf     bool
		finalEOL bool
	}{
		{"deprivation/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv",
			"LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile",
			true, true, false},
		{"deprivation/File_2_-_IoD2019_Domains_of_Deprivation.csv",
			`LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),Income Rank (where 1 is most deprived),Income Decile (where 1 is most deprived 10% of LSOAs),Employment Rank (where 1 is most deprived),Employment Decile (where 1 is most deprived 10% of LSOAs),"Education, Skills and Training Rank (where 1 is most deprived)","Education, Skills and Training Decile (where 1 is most deprived 10% of LSOAs)",Health Deprivation and Disability Rank (where 1 is most deprived),Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs),Crime Rank (where 1 is most deprived),Crime Decile (where 1 is most deprived 10% of LSOAs),Barriers to Housing and Services Rank (where 1 is most deprived),Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs),Living Environment Rank (where 1 is most deprived),Living Environment Decile (where 1 is most deprived 10% of LSOAs)`,
			true, true, false},
		{"deprivation/File_6_-_IoD2019_Population_Denominators.csv",
			"LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Total population: mid 2015 (excluding prisoners),Dependent Children aged 0-15: mid 2015 (excluding prisoners),Population aged 16-59: mid 2015 (excluding prisoners),Older population aged 60 and over: mid 2015 (excluding prisoners),Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)",
			true, true, false},
		{"deprivation/imd2025_england_lsoa21.csv",
			`"lsoa21_code","IMD_decile","Income_decile","Employment_decile","Education_decile","Health_decile","Crime_decile","Housing_and_Services_decile","Environment_decile","IMD_rank","Income_rank","Employment_rank","Education_rank","Health_rank","Crime_rank","Housing_and_Services_rank","Environment_rank","IMD_score","Income_score","Employment_score","Education_score","Health_score","Crime_score","Housing_and_Services_score","Environment_score"`,
			false, false, true},
		{"lookups/LSOA11_WD21_LAD21_EW_LU.csv", "LSOA11CD,LSOA11NM,WD21CD,WD21NM,LAD21CD,LAD21NM", true, false, true},
		{"lookups/OA11_OAC11_LSOA11_MSOA11_LAD17_RGN11_UK_lookup.csv",
			"OA11CD,OAC11CD,OAC11NM,LSOA11CD,LSOA11NM,SOAC11CD,SOAC11NM,MSOA11CD,MSOA11NM,LAD17CD,LAD17NM,LACCD,LACNM,RGN11CD,RGN11NM,CTRY11CD,CTRY11NM,FID",
			true, false, true},
		{"lookups/postcodes.csv", "postcode,ward_code,ward_name,msoa_code,msoa_hcl_name,lsoa_code,lsoa_name,locality,la_code,la_name,lon,lat", false, false, true},
		{"population/sape_mid2017.csv", "Area Codes,All Ages", false, true, true},
		{"population/census21_pop_lsoa21_age6.csv", `"lsoa21_code","lsoa21_name","age_group","usual_residents"`, false, false, true},
		{"services/epraccur.csv", "", false, false, true},
		{"services/pharmacies_edispensary.csv", "", false, false, true},
		{"services/gm_libraries.csv", "name,address,postcode,type,email,website,area_name,area_code,lon,lat", false, false, true},
		{"services/gm_food_banks.csv", "Name,Referral method,Opening times,Address,Postcode,Contact,Website,Area name,Area code", false, true, false},
		{"services/gias_open_schools.csv",
			`"urn","la_code","la_name","establishment_number","establishment_name","establishment_type","establishment_type_group","education_phase","number_of_pupils","percentage_fsm","easting","northing","lsoa_code","pcon_code","longitude","latitude"`,
			false, false, true},
		{"spending/exampleton_spending_2024-06.csv",
			"Body,BodyName,ServiceLabel,ServiceDivisionLabel,ExpenditureCategory,DetailedExpenditureType,DetailedExpenditureCode,DatePaid,TransactionNumber,NetAmount,CapitalOrRevenue,SupplierName",
			false, true, true},
		{"spending/exampleton_spending_2024-07.csv",
			"OrganisationLabel,OrganisationURI,EffectiveDate,OrganisationalUnit,BeneficiaryName,BeneficiaryOtherID,PaymentDate,TransactionNumber,Amount,IrrecoverableVATAmount,Purpose,ProclassLabel,ProclassCode,InvoiceNumber,ProfitCentre,VATRegistrationNumber",
			false, true, true},
		{"grants/exampleton_grants.csv",
			"Identifier,Title,Description,Currency,Amount Applied For,Amount Awarded,Amount Disbursed,Award Date,URL,Planned Dates:Start Date,Planned Dates:End Date,Planned Dates:Duration (months),Recipient Org:Identifier,Recipient Org:Name,Recipient Org:Charity Number,Recipient Org:Company Number,Recipient Org:Street Address,Recipient Org:City,Recipient Org:County,Recipient Org:Country,Recipient Org:Postal Code,Recipient Org:Description,Recipient Org:Web Address,Beneficiary Location:Name,Beneficiary Location:Country Code,Beneficiary Location:Latitude,Beneficiary Location:Longitude,Beneficiary Location:Geographic Code,Beneficiary Location:Geographic Code Type,Funding Org:Identifier,Funding Org:Name,Funding Org:Department,Grant Programme:Code,Grant Programme:Title,Grant Programme:URL,From an open call?,Related Activity,Last modified,Data Source",
			false, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.HasPrefix(b, []byte(bom)); got != tc.bom {
				t.Errorf("BOM = %v, want %v", got, tc.bom)
			}
			eol := "\n"
			if tc.crlf {
				eol = "\r\n"
			}
			first, _, ok := strings.Cut(strings.TrimPrefix(string(b), bom), eol)
			if !ok {
				t.Fatalf("no %q line ending", eol)
			}
			if tc.header != "" && first != tc.header {
				t.Errorf("header\n got %q\nwant %q", first, tc.header)
			}
			if !tc.crlf && bytes.Contains(b, []byte("\r")) {
				t.Error("LF file contains CR")
			}
			if got := bytes.HasSuffix(b, []byte(eol)); got != tc.finalEOL {
				t.Errorf("final line ending = %v, want %v", got, tc.finalEOL)
			}
			// Every record parses with the same number of fields.
			rows := readCSV(t, b)
			if len(rows) < 2 {
				t.Fatalf("%d records", len(rows))
			}
			want := len(rows[0])
			if tc.header == "" {
				want = 27
				// ODS extracts quote every field, including empty ones.
				for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
					if !strings.HasPrefix(line, `"`) || !strings.HasSuffix(line, `""`) || strings.Count(line, `","`) != 26 {
						t.Fatalf("not a fully quoted 27-column ODS line: %s", line)
					}
				}
			}
			for i, r := range rows {
				if len(r) != want {
					t.Fatalf("record %d has %d fields, want %d", i+1, len(r), want)
				}
			}
		})
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func readCSVFile(t *testing.T, dir, rel string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return readCSV(t, b)
}

// The quirks of the messy real files are reproduced on purpose.
func TestQuirks(t *testing.T) {
	dir, _ := generated(t)
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if s := read("deprivation/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"); !strings.Contains(s, `,"`) {
		t.Error("IMD2019 File 1: no quoted thousands-separated rank")
	}
	if s := read("population/sape_mid2017.csv"); !strings.Contains(s, "\r\nE06099999,\"") {
		t.Error("SAPE: the LAD row does not come first with a quoted count")
	}
	fb := read("services/gm_food_banks.csv")
	if !strings.Contains(fb, "\u00a3") || !strings.Contains(fb, "\u2013") {
		t.Error("food banks: no UTF-8 pound sign or en dash")
	}
	if strings.Count(fb, "\n") == strings.Count(fb, "\r\n") {
		t.Error("food banks: no embedded bare LF in a quoted field")
	}
	july := readCSV(t, []byte(read("spending/exampleton_spending_2024-07.csv")))
	bad, credits, pounds := 0, 0, 0
	for _, r := range july[1:] {
		if r[6] == "2024-07-32" {
			bad++
		}
		if strings.HasPrefix(r[8], "(") && strings.HasSuffix(r[8], ")") {
			credits++
		}
		if strings.HasPrefix(r[8], "\u00a3") && strings.Contains(r[8], ",") {
			pounds++
		}
	}
	if bad != 1 || credits == 0 || pounds == 0 {
		t.Errorf("2024-07 spending: %d bad dates (want 1), %d credits, %d £-formatted amounts over 1,000", bad, credits, pounds)
	}
	june := readCSV(t, []byte(read("spending/exampleton_spending_2024-06.csv")))
	negative := 0
	for _, r := range june[1:] {
		if strings.HasPrefix(r[9], "-") {
			negative++
		}
		if len(r[7]) != len("20-Jun-24") || r[7][2] != '-' || r[7][6] != '-' {
			t.Fatalf("2024-06 spending: date %q not dd-Mon-yy", r[7])
		}
	}
	if len(june) < 1400 || negative == 0 {
		t.Errorf("2024-06 spending: %d rows, %d credits", len(june)-1, negative)
	}
	grants := readCSV(t, []byte(read("grants/exampleton_grants.csv")))
	wards := map[string]bool{}
	for _, r := range readCSVFile(t, dir, "lookups/LSOA11_WD21_LAD21_EW_LU.csv")[1:] {
		wards[r[2]] = true
	}
	for _, r := range grants[1:] {
		if !wards[r[27]] || r[28] != "WD" {
			t.Errorf("grant %s: beneficiary %q (%s) is not a ward", r[0], r[27], r[28])
		}
	}
	if len(grants)-1 < 30 {
		t.Errorf("%d grants", len(grants)-1)
	}
}

// geoFile reads a generated GeoJSON file.
func geoFile(t *testing.T, dir, rel string) *geojson.FeatureCollection {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return fc
}

func multi(t *testing.T, g orb.Geometry) orb.MultiPolygon {
	t.Helper()
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	t.Fatalf("geometry is %T", g)
	return nil
}

// The GeoJSON layouts: top lines, property names in order, JSON types.
func TestGeoJSONLayouts(t *testing.T) {
	dir, _ := generated(t)
	const crs = `"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } },`
	tests := []struct {
		rel    string
		prefix string
		keys   []string
		geom   string
	}{
		{"boundaries/lsoa2011_by_lad/E06099999.json", "{\n\"type\": \"FeatureCollection\",\n" + crs + "\n" + strings.Repeat(" ", 80) + "\n\"features\": [\n",
			[]string{"LSOA11CD", "LSOA11NM"}, ""},
		{"boundaries/lsoa21.geojson", "{\n\"type\": \"FeatureCollection\",\n\"name\": ", []string{"area_code", "area_name"}, "MultiPolygon"},
		{"boundaries/msoa21.geojson", "{\n\"type\": \"FeatureCollection\",\n\"name\": ", []string{"area_code", "area_name"}, "MultiPolygon"},
		{"boundaries/wards.geojson", "{\n\"type\": \"FeatureCollection\",\n\"name\": ",
			[]string{"area_code", "area_name", "lon", "lat", "area", "area_units", "local_authority_area_code", "local_authority_area_name"}, "Polygon"},
		{"boundaries/lad.geojson", "{\n\"type\": \"FeatureCollection\",\n\"name\": ", []string{"area_code", "area_name", "lon", "lat", "area", "area_units"}, "Polygon"},
	}
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if !strings.HasPrefix(s, tc.prefix) || !strings.Contains(s, "\n"+crs+"\n") || !strings.HasSuffix(s, "\n]\n}\n") {
				t.Errorf("layout differs from ogr2ogr's: %.300q", s)
			}
			lines := strings.Split(s, "\n")
			for _, line := range lines {
				if !strings.HasPrefix(line, `{ "type": "Feature", "properties": { `) {
					continue
				}
				props := line[strings.Index(line, `"properties": `)+len(`"properties": `) : strings.Index(line, `, "geometry": `)]
				keys, types := orderedKeys(t, props)
				if !slices.Equal(keys, tc.keys) {
					t.Fatalf("properties %v, want %v", keys, tc.keys)
				}
				if strings.HasSuffix(tc.rel, "wards.geojson") && (types["lon"] != "string" || types["lat"] != "string" || types["area"] != "number") {
					t.Errorf("ward lon/lat/area types %v, want string/string/number", types)
				}
				if strings.HasSuffix(tc.rel, "lad.geojson") && (types["lon"] != "number" || types["lat"] != "number") {
					t.Errorf("LAD lon/lat types %v, want numbers", types)
				}
				if tc.geom != "" && !strings.Contains(line, `"geometry": { "type": "`+tc.geom+`", `) {
					t.Errorf("geometry is not %s: %.200s", tc.geom, line)
				}
			}
		})
	}
}

func orderedKeys(t *testing.T, obj string) ([]string, map[string]string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(obj))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	types := map[string]string{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		v, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		switch v.(type) {
		case string:
			types[k.(string)] = "string"
		case json.Number:
			types[k.(string)] = "number"
		}
	}
	return keys, types
}

// checkPolygon validates one polygon: closed rings of at least 4 points, no
// repeated vertex, no two edges crossing or touching except consecutive
// ones, shell counter-clockwise and holes clockwise.
func checkPolygon(t *testing.T, name string, p orb.Polygon) {
	t.Helper()
	for ri, r := range p {
		if len(r) < 4 || r[0] != r[len(r)-1] {
			t.Errorf("%s ring %d: not closed or too short (%d points)", name, ri, len(r))
			continue
		}
		seen := map[orb.Point]bool{}
		for _, pt := range r[:len(r)-1] {
			if seen[pt] {
				t.Errorf("%s ring %d: repeated vertex %v", name, ri, pt)
			}
			seen[pt] = true
		}
		if ccw := geo.SignedArea(r) > 0; ccw != (ri == 0) {
			t.Errorf("%s ring %d: counter-clockwise = %v", name, ri, ccw)
		}
		n := len(r) - 1
		for i := range n {
			for j := i + 1; j < n; j++ {
				if j == i+1 || (i == 0 && j == n-1) {
					continue
				}
				if segmentsMeet(r[i], r[i+1], r[j], r[j+1]) {
					t.Errorf("%s ring %d: edges %d and %d meet", name, ri, i, j)
				}
			}
		}
	}
}

func segmentsMeet(a, b, c, d orb.Point) bool {
	cross := func(o, p, q orb.Point) float64 { return (p[0]-o[0])*(q[1]-o[1]) - (p[1]-o[1])*(q[0]-o[0]) }
	d1, d2 := cross(c, d, a), cross(c, d, b)
	d3, d4 := cross(a, b, c), cross(a, b, d)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	on := func(p, q, r orb.Point) bool { // r on segment pq, given collinear
		return math.Min(p[0], q[0]) <= r[0] && r[0] <= math.Max(p[0], q[0]) && math.Min(p[1], q[1]) <= r[1] && r[1] <= math.Max(p[1], q[1])
	}
	return (d1 == 0 && on(c, d, a)) || (d2 == 0 && on(c, d, b)) || (d3 == 0 && on(a, b, c)) || (d4 == 0 && on(a, b, d))
}

type segment [2]orb.Point

// edges returns the directed edges of a multipolygon.
func edges(mp orb.MultiPolygon) []segment {
	var out []segment
	for _, p := range mp {
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				out = append(out, segment{r[i], r[i+1]})
			}
		}
	}
	return out
}

// unionEdges is the boundary of the union of seamless parts: their directed
// edges minus those whose reverse is also present.
func unionEdges(parts []orb.MultiPolygon) map[segment]int {
	all := map[segment]int{}
	for _, mp := range parts {
		for _, e := range edges(mp) {
			all[e]++
		}
	}
	out := map[segment]int{}
	for e, n := range all {
		if all[segment{e[1], e[0]}] == 0 {
			out[e] = n
		}
	}
	return out
}

func TestTessellation(t *testing.T) {
	dir, _ := generated(t)
	lsoas := map[string]orb.MultiPolygon{}
	var lsoaArea float64
	for _, f := range geoFile(t, dir, "boundaries/lsoa21.geojson").Features {
		code := f.Properties.MustString("area_code")
		mp := multi(t, f.Geometry)
		for _, p := range mp {
			checkPolygon(t, code, p)
		}
		lsoas[code] = mp
		lsoaArea += geo.Area(mp)
		if km2 := geo.Area(mp) / 1e6; km2 < 0.1 || km2 > 15 {
			t.Errorf("%s: %.2f km2", code, km2)
		}
	}
	if n := len(lsoas); n < 45 || n > 75 {
		t.Errorf("%d LSOAs, want about 60", n)
	}
	// The 2011 file has the same LSOAs and geometry.
	for _, f := range geoFile(t, dir, "boundaries/lsoa2011_by_lad/E06099999.json").Features {
		code := f.Properties.MustString("LSOA11CD")
		if mp, ok := lsoas[code]; !ok || !slices.EqualFunc(edges(mp), edges(multi(t, f.Geometry)), func(a, b segment) bool { return a == b }) {
			t.Errorf("%s: 2011 geometry differs from 2021", code)
		}
	}
	lad := geoFile(t, dir, "boundaries/lad.geojson").Features
	if len(lad) != 1 || lad[0].Properties.MustString("area_code") != LADCode || lad[0].Properties.MustString("area_name") != LADName {
		t.Fatalf("LAD file: %d features", len(lad))
	}
	ladMP := multi(t, lad[0].Geometry)
	for _, p := range ladMP {
		checkPolygon(t, LADCode, p)
	}
	ladArea := geo.Area(ladMP)
	if math.Abs(lsoaArea-ladArea) > 0.001*ladArea {
		t.Errorf("sum of LSOA areas %.0f m2, LAD area %.0f m2", lsoaArea, ladArea)
	}
	if got := lad[0].Properties.MustFloat64("area"); math.Abs(got-ladArea) > 1 {
		t.Errorf("LAD area property %.3f, geometry %.3f", got, ladArea)
	}
	// Exactly inside the Irish Sea box, away from real land.
	if b := ladMP.Bound(); b.Min[0] < -4.1 || b.Max[0] > -3.8 || b.Min[1] < 53.95 || b.Max[1] > 54.15 {
		t.Errorf("LAD bound %v outside the Irish Sea box", b)
	}
	// The LAD is the exact union of all LSOAs.
	var all []orb.MultiPolygon
	for _, mp := range lsoas {
		all = append(all, mp)
	}
	assertUnion(t, LADCode, ladMP, all)

	// Wards and MSOAs are exact unions of their LSOAs (membership from the
	// lookups).
	wardOf := map[string][]string{}
	for _, r := range readCSVFile(t, dir, "lookups/LSOA11_WD21_LAD21_EW_LU.csv")[1:] {
		wardOf[r[2]] = append(wardOf[r[2]], r[0])
	}
	msoaOf := map[string][]string{}
	seen := map[string]bool{}
	for _, r := range readCSVFile(t, dir, "lookups/OA11_OAC11_LSOA11_MSOA11_LAD17_RGN11_UK_lookup.csv")[1:] {
		if !seen[r[3]] {
			seen[r[3]] = true
			msoaOf[r[7]] = append(msoaOf[r[7]], r[3])
			if !strings.HasPrefix(r[4], r[8]) {
				t.Errorf("LSOA %s %q is not named after its MSOA %q", r[3], r[4], r[8])
			}
		}
	}
	for _, level := range []struct {
		rel     string
		members map[string][]string
		lo, hi  int
	}{
		{"boundaries/wards.geojson", wardOf, 8, 18},
		{"boundaries/msoa21.geojson", msoaOf, 5, 11},
	} {
		fs := geoFile(t, dir, level.rel).Features
		if len(fs) < level.lo || len(fs) > level.hi || len(fs) != len(level.members) {
			t.Errorf("%s: %d features, %d in the lookup", level.rel, len(fs), len(level.members))
		}
		for _, f := range fs {
			code := f.Properties.MustString("area_code")
			mp := multi(t, f.Geometry)
			for _, p := range mp {
				checkPolygon(t, code, p)
			}
			var parts []orb.MultiPolygon
			for _, l := range level.members[code] {
				parts = append(parts, lsoas[l])
			}
			if len(parts) == 0 {
				t.Errorf("%s: no LSOAs", code)
			}
			assertUnion(t, code, mp, parts)
		}
	}
}

func assertUnion(t *testing.T, code string, got orb.MultiPolygon, parts []orb.MultiPolygon) {
	t.Helper()
	want := unionEdges(parts)
	have := map[segment]int{}
	for _, e := range edges(got) {
		have[e]++
	}
	if len(have) != len(want) {
		t.Errorf("%s: %d boundary edges, union of its LSOAs has %d", code, len(have), len(want))
		return
	}
	for e, n := range want {
		if have[e] != n || n != 1 {
			t.Errorf("%s: edge %v not on the union's boundary exactly once", code, e)
			return
		}
	}
}

func TestPostcodesInsideTheirLSOA(t *testing.T) {
	dir, _ := generated(t)
	lsoas := map[string]orb.MultiPolygon{}
	for _, f := range geoFile(t, dir, "boundaries/lsoa21.geojson").Features {
		lsoas[f.Properties.MustString("area_code")] = multi(t, f.Geometry)
	}
	rows := readCSVFile(t, dir, "lookups/postcodes.csv")[1:]
	perLSOA := map[string]int{}
	seen := map[string]bool{}
	for _, r := range rows {
		pc := r[0]
		if seen[pc] {
			t.Errorf("duplicate postcode %s", pc)
		}
		seen[pc] = true
		if !strings.HasPrefix(pc, "XM") || len(strings.Fields(pc)) != 2 || len(strings.Fields(pc)[1]) != 3 {
			t.Errorf("postcode %q is not an XM postcode in pcds form", pc)
		}
		lon, err1 := strconv.ParseFloat(r[10], 64)
		lat, err2 := strconv.ParseFloat(r[11], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad lon/lat %q %q", pc, r[10], r[11])
		}
		p := orb.Point{lon, lat}
		mp, ok := lsoas[r[5]]
		if !ok || !planar.MultiPolygonContains(mp, p) {
			t.Errorf("%s at %v is not inside its LSOA %s", pc, p, r[5])
		}
		for code, other := range lsoas {
			if code != r[5] && planar.MultiPolygonContains(other, p) {
				t.Errorf("%s is inside %s as well as %s", pc, code, r[5])
			}
		}
		if !slices.Contains([]string{"North", "Central", "South", "West"}, r[7]) {
			t.Errorf("%s: locality %q", pc, r[7])
		}
		perLSOA[r[5]]++
	}
	for code := range lsoas {
		if n := perLSOA[code]; n < 10 || n > 20 {
			t.Errorf("%s has %d postcodes", code, n)
		}
	}
}

func TestDeprivation(t *testing.T) {
	dir, _ := generated(t)
	rank := func(s string) int {
		n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		if err != nil {
			t.Fatalf("rank %q: %v", s, err)
		}
		return n
	}
	checkDecile := func(file string, r, d string, n int) {
		rk := rank(r)
		dec, err := strconv.Atoi(d)
		if err != nil || rk < 1 || rk > n || dec != int(math.Ceil(float64(rk)/(float64(n)/10))) {
			t.Errorf("%s: rank %s decile %s inconsistent", file, r, d)
		}
	}
	f1 := readCSVFile(t, dir, "deprivation/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv")[1:]
	imdRank := map[string]int{}
	for _, r := range f1 {
		checkDecile("File 1", r[4], r[5], lsoasIoD2019)
		imdRank[r[0]] = rank(r[4])
		if r[2] != LADCode || r[3] != LADName {
			t.Errorf("File 1: LAD %s %s", r[2], r[3])
		}
	}
	deciles := map[int]bool{}
	for _, r := range readCSVFile(t, dir, "deprivation/File_2_-_IoD2019_Domains_of_Deprivation.csv")[1:] {
		for k := 4; k < 20; k += 2 {
			checkDecile("File 2", r[k], r[k+1], lsoasIoD2019)
		}
		if rank(r[4]) != imdRank[r[0]] {
			t.Errorf("File 2: %s IMD rank %s, File 1 has %d", r[0], r[4], imdRank[r[0]])
		}
		d, _ := strconv.Atoi(r[5])
		deciles[d] = true
	}
	// A story: both deprived and affluent LSOAs.
	if !deciles[1] || !deciles[10] {
		t.Errorf("IMD2019 deciles present %v, want both 1 and 10", deciles)
	}
	for _, r := range readCSVFile(t, dir, "deprivation/File_6_-_IoD2019_Population_Denominators.csv")[1:] {
		total, c, m, o := rank(r[4]), rank(r[5]), rank(r[6]), rank(r[7])
		if c+m+o != total {
			t.Errorf("File 6 %s: %d+%d+%d != %d", r[0], c, m, o, total)
		}
	}

	rows := readCSVFile(t, dir, "deprivation/imd2025_england_lsoa21.csv")[1:]
	type rs struct {
		rank  int
		score float64
	}
	byDomain := make([][]rs, 8)
	for _, r := range rows {
		for k := range 8 {
			checkDecile("IoD2025", r[9+k], r[1+k], lsoasIoD2025)
			s, err := strconv.ParseFloat(r[17+k], 64)
			if err != nil || math.Round(s*1000)/1000 != s {
				t.Errorf("IoD2025 %s: score %q not 3 dp", r[0], r[17+k])
			}
			byDomain[k] = append(byDomain[k], rs{rank(r[9+k]), s})
		}
		inc, _ := strconv.ParseFloat(r[18], 64)
		emp, _ := strconv.ParseFloat(r[19], 64)
		health, _ := strconv.ParseFloat(r[21], 64)
		crime, _ := strconv.ParseFloat(r[22], 64)
		if inc < 0 || inc > 0.6 || emp < 0 || emp > 0.6 || math.Abs(health) > 3.3 || math.Abs(crime) > 3.3 {
			t.Errorf("IoD2025 %s: scores out of range: %v", r[0], r[17:])
		}
	}
	for k, xs := range byDomain {
		for _, a := range xs {
			for _, b := range xs {
				if a.score > b.score && a.rank > b.rank {
					t.Errorf("IoD2025 column %d: score %v > %v but rank %d > %d", k, a.score, b.score, a.rank, b.rank)
				}
			}
		}
	}
}

func TestPopulation(t *testing.T) {
	dir, _ := generated(t)
	rows := readCSVFile(t, dir, "population/sape_mid2017.csv")[1:]
	n := func(s string) int {
		v, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if rows[0][0] != LADCode {
		t.Fatalf("first SAPE row is %s, want the LAD", rows[0][0])
	}
	pop := map[string]int{}
	sum := 0
	for _, r := range rows[1:] {
		p := n(r[1])
		if !strings.HasPrefix(r[0], "E01") || p < 1200 || p > 2600 {
			t.Errorf("SAPE %s: %d", r[0], p)
		}
		pop[r[0]] = p
		sum += p
	}
	if n(rows[0][1]) != sum {
		t.Errorf("LAD total %s, LSOAs sum to %d", rows[0][1], sum)
	}
	census := map[string]int{}
	groups := map[string]bool{}
	for _, r := range readCSVFile(t, dir, "population/census21_pop_lsoa21_age6.csv")[1:] {
		census[r[0]] += n(r[3])
		groups[r[2]] = true
	}
	if len(groups) != 6 {
		t.Errorf("%d age groups", len(groups))
	}
	for code, p := range pop {
		if c := census[code]; math.Abs(float64(c-p)) > 0.2*float64(p) {
			t.Errorf("%s: 2017 %d, 2021 %d", code, p, c)
		}
	}
}

func TestServices(t *testing.T) {
	dir, _ := generated(t)
	postcodes := map[string]string{} // postcode -> LSOA
	for _, r := range readCSVFile(t, dir, "lookups/postcodes.csv")[1:] {
		postcodes[r[0]] = r[5]
	}
	decile := map[string]int{}
	for _, r := range readCSVFile(t, dir, "deprivation/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv")[1:] {
		decile[r[0]], _ = strconv.Atoi(r[5])
	}
	gps := readCSVFile(t, dir, "services/epraccur.csv")
	closed := 0
	var openDeciles, closedDeciles []int
	for _, r := range gps {
		if postcodes[r[9]] == "" {
			t.Errorf("GP %s: postcode %s not in the postcode list", r[0], r[9])
		}
		if r[25] != "4" || len(r[10]) != 8 {
			t.Errorf("GP %s: prescribing setting %q, open date %q", r[0], r[25], r[10])
		}
		if r[12] == "C" {
			closed++
			closedDeciles = append(closedDeciles, decile[postcodes[r[9]]])
		} else {
			openDeciles = append(openDeciles, decile[postcodes[r[9]]])
		}
	}
	if len(gps) != 9 || closed != 2 {
		t.Errorf("%d GP practices, %d closed; want 9 and 2", len(gps), closed)
	}
	mean := func(xs []int) float64 {
		s := 0
		for _, x := range xs {
			s += x
		}
		return float64(s) / float64(len(xs))
	}
	// The service-gap story: open practices sit in less deprived places.
	if mean(openDeciles) <= mean(closedDeciles) {
		t.Errorf("open GP practices' mean IMD decile %.1f, closed %.1f", mean(openDeciles), mean(closedDeciles))
	}
	for _, r := range readCSVFile(t, dir, "services/pharmacies_edispensary.csv") {
		if postcodes[r[9]] == "" {
			t.Errorf("pharmacy %s: postcode %s not in the postcode list", r[0], r[9])
		}
	}
	for _, f := range []struct {
		rel string
		col int
	}{{"services/gm_libraries.csv", 2}, {"services/gm_food_banks.csv", 4}} {
		for _, r := range readCSVFile(t, dir, f.rel)[1:] {
			if postcodes[r[f.col]] == "" {
				t.Errorf("%s: postcode %s not in the postcode list", f.rel, r[f.col])
			}
		}
	}
	lad := multi(t, geoFile(t, dir, "boundaries/lad.geojson").Features[0].Geometry)
	schools := readCSVFile(t, dir, "services/gias_open_schools.csv")[1:]
	if len(schools) < 20 {
		t.Errorf("%d schools", len(schools))
	}
	for _, r := range schools {
		lon, _ := strconv.ParseFloat(r[14], 64)
		lat, _ := strconv.ParseFloat(r[15], 64)
		e, _ := strconv.Atoi(r[10])
		n, _ := strconv.Atoi(r[11])
		if !planar.MultiPolygonContains(lad, orb.Point{lon, lat}) {
			t.Errorf("school %s at %v, %v is outside the LAD", r[0], lon, lat)
		}
		we, wn := wgs84ToBNG(lon, lat)
		if math.Abs(we-float64(e)) > 1 || math.Abs(wn-float64(n)) > 1 {
			t.Errorf("school %s: easting/northing %d,%d, lon/lat give %.0f,%.0f", r[0], e, n, we, wn)
		}
	}
}

// The Transverse Mercator step against the worked example in the Ordnance
// Survey guide (Annex C): OSGB36 52°39'27.2531"N 1°43'4.5177"E is
// E 651409.903, N 313177.270.
func TestTMForward(t *testing.T) {
	deg := math.Pi / 180
	phi := (52 + 39.0/60 + 27.2531/3600) * deg
	lam := (1 + 43.0/60 + 4.5177/3600) * deg
	e, n := tmForward(phi, lam)
	if math.Abs(e-651409.903) > 0.01 || math.Abs(n-313177.270) > 0.01 {
		t.Errorf("tmForward = %.3f, %.3f; want 651409.903, 313177.270", e, n)
	}
	// WGS84 -> BNG for a point near Exampleton lands in the Irish Sea part
	// of the grid (west of Walney Island, south of the Isle of Man).
	e, n = wgs84ToBNG(originLon, originLat)
	if e < 260000 || e > 285000 || n < 450000 || n > 475000 {
		t.Errorf("origin at %.0f, %.0f", e, n)
	}
}

func TestDissolve(t *testing.T) {
	// Two unit squares side by side and a third on top of the left one,
	// leaving an L-shape; plus a ring of four squares around a hole.
	pts := []orb.Point{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1}, {2, 1}, {0, 2}, {1, 2}}
	cells := []idRing{{0, 1, 4, 3}, {1, 2, 5, 4}, {3, 4, 7, 6}}
	polys, err := dissolve(pts, cells)
	if err != nil {
		t.Fatal(err)
	}
	if len(polys) != 1 || len(polys[0]) != 1 || len(polys[0][0]) != 8 || ringArea(pts, polys[0][0]) != 3 {
		t.Fatalf("L-shape: %v", polys)
	}
	// 3x3 grid without the centre: one shell with one hole.
	var grid []orb.Point
	for y := range 4 {
		for x := range 4 {
			grid = append(grid, orb.Point{float64(x), float64(y)})
		}
	}
	id := func(x, y int) int { return y*4 + x }
	var ring []idRing
	for y := range 3 {
		for x := range 3 {
			if x == 1 && y == 1 {
				continue
			}
			ring = append(ring, idRing{id(x, y), id(x+1, y), id(x+1, y+1), id(x, y+1)})
		}
	}
	polys, err = dissolve(grid, ring)
	if err != nil {
		t.Fatal(err)
	}
	if len(polys) != 1 || len(polys[0]) != 2 || ringArea(grid, polys[0][0]) != 9 || ringArea(grid, polys[0][1]) != -1 {
		t.Fatalf("ring: %v", polys)
	}
	// Overlapping cells are an error.
	if _, err := dissolve(pts, []idRing{{0, 1, 4, 3}, {0, 1, 4, 3}}); err == nil {
		t.Error("overlapping cells dissolved without error")
	}
}
