package ingest_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"commonground/ingest/catalog"
)

// Services on the map, from the real files in ../shared/data/services.
// Expected counts are computed here from the files themselves (encoding/csv,
// encoding/json); the areas named were checked by hand with an independent
// point-in-polygon (a Python ray-casting script over the same boundary
// files) and against the postcode lookup (grep).

const (
	svcDir = "services/"
	gmDir  = "services/greater_manchester/"
)

// with returns the harness reporting to t (for subtests).
func (h *harness) with(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

// servicesHarness loads the Greater Manchester geography the services are
// placed in: LSOA 2011 for Trafford and Manchester, LSOA 2021, wards 2023
// and local authorities 2023 for all of GM, and Trafford's postcodes.
func servicesHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.ingest("boundaries-lsoa11", "boundaries/lsoa2011_by_lad/E08000009.json.gz", "boundaries/lsoa2011_by_lad/E08000003.json.gz")
	h.ingest("boundaries-lsoa21", "boundaries/greater_manchester/gm_lsoa21_generalised.geojson")
	h.ingest("boundaries-ward", "boundaries/greater_manchester/gm_ward2023_generalised.geojson")
	h.ingest("boundaries-lad", "boundaries/greater_manchester/gm_lad2023_generalised.geojson")
	h.ingest("postcodes", "lookups/postcodes/trafford_postcodes.csv")
	return h
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

func pcKey(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// traffordPostcodes maps each postcode key of the lookup to its lon,lat.
func traffordPostcodes(t *testing.T, dd string) map[string][2]string {
	recs := readCSV(t, filepath.Join(dd, "lookups/postcodes/trafford_postcodes.csv"))
	m := map[string][2]string{}
	for _, r := range recs[1:] {
		m[pcKey(r[0])] = [2]string{r[10], r[11]}
	}
	return m
}

// located is how many rows of a file should load, be open, and be located
// each way.
type located struct {
	rows, open                                int
	given, bng, postcode, centroid, unlocated int
}

func (l located) warning() string {
	return fmt.Sprintf("located: given %d, bng %d, postcode %d, polygon_centroid %d, unlocated %d",
		l.given, l.bng, l.postcode, l.centroid, l.unlocated)
}

// expectCSV counts a CSV file's rows by how they can be located: lon/lat
// columns (by header), else easting/northing, else a postcode in pcs.
// keep filters rows (nil keeps all); open says which are open (nil: all).
func expectCSV(t *testing.T, path string, headerless bool, lon, lat, east, north, pc string, pcs map[string][2]string,
	keep, open func(r []string, col func(string) string) bool) located {
	recs := readCSV(t, path)
	idx := map[string]int{}
	if !headerless {
		for i, h := range recs[0] {
			idx[h] = i
		}
		recs = recs[1:]
	}
	var l located
	for _, r := range recs {
		col := func(name string) string {
			if name == "" {
				return ""
			}
			if headerless {
				n, _ := strconv.Atoi(name)
				return r[n-1]
			}
			i, ok := idx[name]
			if !ok {
				return ""
			}
			return strings.TrimSpace(r[i])
		}
		if keep != nil && !keep(r, col) {
			continue
		}
		l.rows++
		if open == nil || open(r, col) {
			l.open++
		}
		num := func(name string) (float64, bool) {
			f, err := strconv.ParseFloat(col(name), 64)
			return f, err == nil && f != 0
		}
		_, okX := num(lon)
		_, okY := num(lat)
		_, okE := num(east)
		_, okN := num(north)
		_, okPC := pcs[pcKey(col(pc))]
		switch {
		case okX && okY:
			l.given++
		case okE && okN:
			l.bng++
		case okPC:
			l.postcode++
		default:
			l.unlocated++
		}
	}
	return l
}

// expectGeoJSON counts a GeoJSON file's features: points are given,
// polygons located at their centroid.
func expectGeoJSON(t *testing.T, path string) located {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry struct{ Type string } `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	var l located
	for _, f := range fc.Features {
		l.rows++
		l.open++
		switch f.Geometry.Type {
		case "Point":
			l.given++
		case "Polygon", "MultiPolygon":
			l.centroid++
		default:
			t.Fatalf("%s: geometry %s", path, f.Geometry.Type)
		}
	}
	return l
}

// Every services file in SOURCES.md (except trafford_fast_food_outlets.csv,
// which has no dataset) loads with the rows, open rows and location counts
// computed from the file, reports them in ingest_runs.warnings, lists the
// unlocated rows as rejects, and places every located GM service in an LSOA
// 2021, a ward and a local authority.
func TestServicesRealFiles(t *testing.T) {
	h := servicesHarness(t)
	pcs := traffordPostcodes(t, h.dd)
	path := func(f string) string { return filepath.Join(h.dd, f) }
	statusA := func(r []string, col func(string) string) bool { return col("13") == "A" }
	setting4 := func(r []string, col func(string) string) bool { return col("26") == "4" }
	csvFile := func(f, lon, lat, pc string) func(t *testing.T) located {
		return func(t *testing.T) located { return expectCSV(t, path(f), false, lon, lat, "", "", pc, pcs, nil, nil) }
	}
	geoFile := func(f string) func(t *testing.T) located {
		return func(t *testing.T) located { return expectGeoJSON(t, path(f)) }
	}
	for _, c := range []struct {
		id, file string
		expect   func(t *testing.T) located
		// inGM: every located row lies in Greater Manchester (placed in
		// LSOA 2021, ward and LAD); inLSOA11: in Trafford or Manchester.
		inGM, inLSOA11 bool
	}{
		{"gp-practices", svcDir + "epraccur.csv", func(t *testing.T) located {
			return expectCSV(t, path(svcDir+"epraccur.csv"), true, "", "", "", "", "10", pcs, setting4, statusA)
		}, true, true},
		{"pharmacies", svcDir + "edispensary.csv", func(t *testing.T) located {
			return expectCSV(t, path(svcDir+"edispensary.csv"), true, "", "", "", "", "10", pcs, nil, statusA)
		}, true, true},
		{"schools", svcDir + "gias/gias_open_schools_england_20250524_derived.csv", func(t *testing.T) located {
			return expectCSV(t, path(svcDir+"gias/gias_open_schools_england_20250524_derived.csv"), false,
				"longitude", "latitude", "easting", "northing", "", pcs, nil, nil)
		}, false, false},
		{"gm-libraries", gmDir + "gm_libraries.csv", csvFile(gmDir+"gm_libraries.csv", "lon", "lat", "postcode"), true, false},
		{"gm-libraries", gmDir + "gm_libraries.geojson", geoFile(gmDir + "gm_libraries.geojson"), true, false},
		{"gm-food-banks", gmDir + "gm_food_banks.csv", csvFile(gmDir+"gm_food_banks.csv", "", "", "Postcode"), true, false},
		{"gm-food-banks", gmDir + "gm_food_banks.geojson", geoFile(gmDir + "gm_food_banks.geojson"), true, false},
		{"gm-pharmacies", gmDir + "gm_pharmacies.csv", csvFile(gmDir+"gm_pharmacies.csv", "", "", "postcode"), true, false},
		{"gm-pharmacies", gmDir + "gm_pharmacies.geojson", geoFile(gmDir + "gm_pharmacies.geojson"), true, false},
		{"gm-dentists", gmDir + "gm_dentists.csv", csvFile(gmDir+"gm_dentists.csv", "lon", "lat", "postcode"), true, false},
		{"gm-jobcentres", gmDir + "gm_jobcentreplus.csv", csvFile(gmDir+"gm_jobcentreplus.csv", "lon", "lat", "postcode"), true, false},
		{"gm-post-offices", gmDir + "gm_post_offices.geojson", geoFile(gmDir + "gm_post_offices.geojson"), true, false},
		{"trafford-gp-practices", gmDir + "trafford_general_practices.csv", csvFile(gmDir+"trafford_general_practices.csv", "lon", "lat", "postcode"), true, true},
		{"trafford-gp-practices", gmDir + "trafford_general_practices.geojson", geoFile(gmDir + "trafford_general_practices.geojson"), true, true},
		{"trafford-schools", gmDir + "trafford_schools_and_colleges.csv", csvFile(gmDir+"trafford_schools_and_colleges.csv", "lon", "lat", "postcode"), true, true},
		{"trafford-schools", gmDir + "trafford_schools_and_colleges.geojson", geoFile(gmDir + "trafford_schools_and_colleges.geojson"), true, true},
		{"trafford-childrens-centres", gmDir + "trafford_childrens_centres.csv", csvFile(gmDir+"trafford_childrens_centres.csv", "lon", "lat", "postcode"), true, true},
		{"trafford-allotments", gmDir + "trafford_allotments.csv", csvFile(gmDir+"trafford_allotments.csv", "lon", "lat", ""), true, true},
		{"trafford-allotments", gmDir + "trafford_allotments.geojson", geoFile(gmDir + "trafford_allotments.geojson"), true, true},
		{"trafford-places-of-worship", gmDir + "trafford_places_of_worship_RAW.geojson", geoFile(gmDir + "trafford_places_of_worship_RAW.geojson"), true, true},
		{"trafford-sports-facilities", gmDir + "sports_facilities.csv", csvFile(gmDir+"sports_facilities.csv", "lon", "lat", "postcode"), true, true},
		{"trafford-charities", gmDir + "charities_operating_in_trafford.csv", csvFile(gmDir+"charities_operating_in_trafford.csv", "", "", "charity_contact_postcode"), true, true},
	} {
		t.Run(c.id+"/"+filepath.Base(c.file), func(t *testing.T) {
			h := h.with(t)
			want := c.expect(t)
			t.Logf("expected from the file: %+v", want)
			s := h.ingest(c.id, c.file)
			if s.Rows != int64(want.rows) || s.Rejected != int64(want.unlocated) {
				t.Errorf("rows %d rejected %d, want %d and %d (the unlocated)", s.Rows, s.Rejected, want.rows, want.unlocated)
			}
			ds := "dataset = '" + c.id + "'"
			h.want(`SELECT count(*) FROM ingest_files WHERE rows_rejected > 0 AND dataset = ?`, "0", c.id) // no reader rejects
			h.want(`SELECT count(*) FILTER (status = 'open') || ' ' || count(*) FILTER (status = 'closed') FROM services WHERE `+ds,
				fmt.Sprintf("%d %d", want.open, want.rows-want.open))
			h.want(`SELECT string_agg(location_source || ':' || n, ' ' ORDER BY location_source) FROM
				(SELECT location_source, count(*) n FROM services WHERE `+ds+` GROUP BY 1)`, nonZero(want))
			if !strings.Contains(strings.Join(s.Notes, "\n"), want.warning()) {
				t.Errorf("notes %q lack %q", s.Notes, want.warning())
			}
			if loc := int64(want.given + want.bng + want.postcode + want.centroid); s.Located == nil || *s.Located != loc || *s.Unlocated != int64(want.unlocated) {
				t.Errorf("located/unlocated recorded as %v/%v, want %d/%d", s.Located, s.Unlocated, loc, want.unlocated)
			}
			h.want(`SELECT status || ' ' || contains(notes, ?) || ' ' || located || ' ' || unlocated FROM ingest_runs WHERE dataset = ? ORDER BY run_id DESC LIMIT 1`,
				fmt.Sprintf("ok true %d %d", want.given+want.bng+want.postcode+want.centroid, want.unlocated), want.warning(), c.id)
			// Unlocated rows: loaded without coordinates or areas, and listed
			// in ingest_rejects with their file and line.
			h.want(`SELECT count(*) FROM services WHERE `+ds+` AND location_source = 'unlocated'
				AND lon IS NULL AND lat IS NULL AND lsoa11_code IS NULL AND lsoa21_code IS NULL AND ward_code IS NULL AND lad_code IS NULL`, strconv.Itoa(want.unlocated))
			h.want(`SELECT count(*) FROM services s JOIN ingest_rejects r ON r.dataset = s.dataset AND r.file = s.source_file AND r.line = s.source_line
				WHERE s.`+ds+` AND s.location_source = 'unlocated' AND r.reason LIKE 'unlocated: %'`, strconv.Itoa(want.unlocated))
			h.want(`SELECT count(*) FROM services WHERE `+ds+` AND source_file = ? AND source_line > 0`, strconv.Itoa(want.rows), filepath.Base(c.file))
			nLocated := strconv.Itoa(want.rows - want.unlocated)
			if c.inGM {
				h.want(`SELECT count(*) FROM services WHERE `+ds+` AND lsoa21_code IS NOT NULL AND ward_code IS NOT NULL AND lad_code IS NOT NULL`, nLocated)
			}
			if c.inLSOA11 {
				h.want(`SELECT count(*) FROM services WHERE `+ds+` AND lsoa11_code IS NOT NULL AND lad_code IN ('E08000009', 'E08000003')`, nLocated)
			}
		})
	}
}

// nonZero renders the expected location counts as "source:n ..." in the
// order SQL sorts the source names.
func nonZero(l located) string {
	var parts []string
	for _, p := range []struct {
		name string
		n    int
	}{{"bng", l.bng}, {"given", l.given}, {"polygon_centroid", l.centroid}, {"postcode", l.postcode}, {"unlocated", l.unlocated}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", p.name, p.n))
		}
	}
	return strings.Join(parts, " ")
}

// GP practices: only prescribing setting 4 is a GP practice; the other
// settings are skipped and counted in a warning. Trafford's open practices
// are the 26 of Trafford Data Lab's list.
func TestServicesGPPractices(t *testing.T) {
	h := servicesHarness(t)
	recs := readCSV(t, filepath.Join(h.dd, svcDir+"epraccur.csv"))
	pcs := traffordPostcodes(t, h.dd)
	var gp, openTrafford int
	for _, r := range recs {
		if r[25] == "4" {
			gp++
			if _, ok := pcs[pcKey(r[9])]; ok && r[12] == "A" {
				openTrafford++
			}
		}
	}
	traffordList := len(readCSV(t, filepath.Join(h.dd, gmDir+"trafford_general_practices.csv"))) - 1
	if openTrafford != traffordList {
		t.Fatalf("epraccur has %d open GP practices with a Trafford postcode, Trafford Data Lab lists %d", openTrafford, traffordList)
	}
	s := h.ingest("gp-practices", svcDir+"epraccur.csv")
	skipped := fmt.Sprintf("%d rows skipped: not GP practices", len(recs)-gp)
	if !strings.Contains(strings.Join(s.Notes, "\n"), skipped) || !strings.Contains(strings.Join(s.Notes, "\n"), "setting 0: ") {
		t.Errorf("notes %q lack %q", s.Notes, skipped)
	}
	h.want(`SELECT count(*) FROM services WHERE dataset = 'gp-practices' AND status = 'open' AND lad_code = 'E08000009'`, strconv.Itoa(openTrafford))
	h.want(`SELECT count(*) FROM services WHERE dataset = 'gp-practices' AND category <> 'gp_practice'`, "0")
	// Line 1: A81001, Stockton-on-Tees, not in Trafford's postcode lookup.
	h.want(`SELECT "column" || '|' || value || '|' || reason FROM ingest_rejects WHERE dataset = 'gp-practices' AND file = 'epraccur.csv' AND line = 1`,
		"postcode|TS18 1HU|unlocated: no coordinates and postcode TS18 1HU not in the postcode lookup")
	// P91003 Park Medical Practice, WA15 7XR: the postcode's centroid
	// (-2.315695, 53.398559 in trafford_postcodes.csv line 10532) lies in
	// LSOA E01006204 (Trafford 022A, the lookup's LSOA too), ward E05015257
	// (Timperley Central).
	h.want(`SELECT lon || ',' || lat || ' ' || location_source || ' ' || lsoa11_code || ' ' || lsoa21_code || ' ' || ward_code || ' ' || lad_code || ' ' || status || ' ' || opened
		FROM services WHERE id = 'gp-practices:P91003'`, "-2.315695,53.398559 postcode E01006204 E01006204 E05015257 E08000009 open 1974-04-01")
	// A81003 closed on 2017-10-31 (status C).
	h.want(`SELECT status || ' ' || closed || ' ' || json_extract_string(attributes, '$.ods_status') FROM services WHERE id = 'gp-practices:A81003'`, "closed 2017-10-31 C")
}

// A gm_pharmacies.csv row has no coordinates: Alphabet Pharmacy (FGE02,
// line 513) is located by its postcode M32 9LD (trafford_postcodes.csv line
// 3490: -2.320783, 53.451121, LSOA E01006159, ward E05015251), which puts
// it in the ward the pharmacy file itself names (E05015251, Lostock &
// Barton). From the GeoJSON it keeps its given point.
func TestServicesLocatedByPostcode(t *testing.T) {
	h := servicesHarness(t)
	h.ingest("gm-pharmacies", gmDir+"gm_pharmacies.csv")
	h.want(`SELECT lon || ',' || lat || ' ' || location_source || ' ' || lsoa11_code || ' ' || lsoa21_code || ' ' || ward_code || ' ' || lad_code || ' ' || source_line || ' ' || json_extract_string(attributes, '$.ward_code')
		FROM services WHERE id = 'gm-pharmacies:FGE02'`, "-2.320783,53.451121 postcode E01006159 E01006159 E05015251 E08000009 513 E05015251")
	h.want(`SELECT json_extract_string(attributes, '$.opening_hours.sunday') FROM services WHERE id = 'gm-pharmacies:FGE02'`, "CLOSED")
	h.ingest("gm-pharmacies", gmDir+"gm_pharmacies.geojson")
	h.want(`SELECT location_source || ' ' || ward_code FROM services WHERE id = 'gm-pharmacies:FGE02'`, "given E05015251")

	// Food banks, CSV: unlocated rows are reported at the physical line
	// their record starts on; the record at line 21 spans lines 21-23
	// (quoted newlines), so Christ the Vine Ministries starts at line 24.
	h.ingest("gm-food-banks", gmDir+"gm_food_banks.csv")
	h.want(`SELECT reason FROM ingest_rejects WHERE dataset = 'gm-food-banks' AND file = 'gm_food_banks.csv' AND line = 24`,
		"unlocated: no coordinates and postcode M9 5TF not in the postcode lookup")
	h.want(`SELECT name FROM services WHERE id = 'gm-food-banks:gm_food_banks.csv:24'`, "Christ the Vine Ministries")
}

// A school located from British National Grid: a one-row fixture written
// here from the derived GIAS list with its longitude and latitude blanked.
// St John Vianney School (URN 106167, easting 381616, northing 395003) must
// land where its given lon/lat put it: LSOA E01006146 (also the file's own
// lsoa_code), ward E05015250.
func TestServicesSchoolFromBNG(t *testing.T) {
	h := servicesHarness(t)
	recs := readCSV(t, filepath.Join(h.dd, svcDir+"gias/gias_open_schools_england_20250524_derived.csv"))
	var row []string
	for _, r := range recs {
		if r[0] == "106167" {
			row = append([]string(nil), r...)
		}
	}
	if row == nil || recs[0][14] != "longitude" || recs[0][15] != "latitude" {
		t.Fatal("URN 106167 or the longitude/latitude columns not found")
	}
	givenLon, givenLat := row[14], row[15]
	row[14], row[15] = "", ""
	fixture := filepath.Join(t.TempDir(), "one_school.csv")
	f, err := os.Create(fixture)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.WriteAll([][]string{recs[0], row})
	if err := f.Close(); err != nil || w.Error() != nil {
		t.Fatal(err, w.Error())
	}
	ds, err := catalog.ByID("schools")
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.r.Run(t.Context(), ds, []string{fixture})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 1 || !strings.Contains(strings.Join(s.Notes, "\n"), "located: given 0, bng 1, postcode 0, polygon_centroid 0, unlocated 0") ||
		s.Located == nil || *s.Located != 1 || *s.Unlocated != 0 {
		t.Fatalf("rows %d notes %q", s.Rows, s.Notes)
	}
	const where = ` FROM services WHERE id = 'schools:106167'`
	h.want(`SELECT location_source || ' ' || lsoa11_code || ' ' || lsoa21_code || ' ' || ward_code || ' ' || lad_code || ' ' || subtype`+where,
		"bng E01006146 E01006146 E05015250 E08000009 Not applicable")
	var lon, lat float64
	fmt.Sscan(h.one(`SELECT lon || ' ' || lat`+where), &lon, &lat)
	gLon, _ := strconv.ParseFloat(givenLon, 64)
	gLat, _ := strconv.ParseFloat(givenLat, 64)
	// About 1 m (1e-5 degrees): GIAS's lon/lat agree with the conversion.
	if math.Abs(lon-gLon) > 1e-5 || math.Abs(lat-gLat) > 1e-5 {
		t.Errorf("BNG %f,%f; the file gives %s,%s", lon, lat, givenLon, givenLat)
	}
	// The whole list: the same school from its given coordinates lands in
	// the same areas.
	h.ingest("schools", svcDir+"gias/gias_open_schools_england_20250524_derived.csv")
	h.want(`SELECT location_source || ' ' || lsoa11_code || ' ' || lsoa21_code || ' ' || ward_code`+where, "given E01006146 E01006146 E05015250")
	// Dubai British School (line 10960) has neither coordinates nor a postcode.
	h.want(`SELECT reason FROM ingest_rejects WHERE dataset = 'schools' AND line = 10960`, "unlocated: no coordinates and no postcode")

	// The original 133-column extract: located by easting/northing, open
	// and closed as its EstablishmentStatus says.
	full := readCSV(t, filepath.Join(h.dd, svcDir+"gias/edubasealldata20181029_first20rows.csv"))
	open := 0
	for _, r := range full[1:] {
		if r[10] == "Open" {
			open++
		}
	}
	s = h.ingest("schools", svcDir+"gias/edubasealldata20181029_first20rows.csv")
	if s.Rows != int64(len(full)-1) {
		t.Errorf("rows %d, want %d", s.Rows, len(full)-1)
	}
	h.want(`SELECT count(*) FILTER (status = 'open') || ' ' || count(*) FILTER (location_source = 'bng') FROM services WHERE dataset = 'schools'`,
		fmt.Sprintf("%d %d", open, len(full)-1))
	// Sherborne Nursery School closed on 31-08-1992.
	h.want(`SELECT status || ' ' || closed || ' ' || subtype FROM services WHERE id = 'schools:100004'`, "closed 1992-08-31 Nursery")
	// City of London School for Girls: easting 532301, northing 181746 here;
	// the 2025 list gives -0.0945661084860113, 51.5191477516734.
	h.want(`SELECT round(lon, 6) || ',' || round(lat, 6) FROM services WHERE id = 'schools:100001'`, "-0.094566,51.519148")
}

// Building outlines are located at their centroid: post office
// 2C630345-8547-4201-A688-C3B139A6F27E (feature 275, Trafford) has its
// area-weighted centroid at -2.266625, 53.458910 (computed by hand with
// the shoelace formula), in LSOA E01006110 and ward E05015253. Every post
// office's local authority by point in polygon is the one the file names.
func TestServicesPostOfficeCentroids(t *testing.T) {
	h := servicesHarness(t)
	h.ingest("gm-post-offices", gmDir+"gm_post_offices.geojson")
	h.want(`SELECT round(lon, 6) || ',' || round(lat, 6) || ' ' || location_source || ' ' || lsoa11_code || ' ' || lsoa21_code || ' ' || ward_code || ' ' || lad_code || ' ' || name || ' ' || source_line
		FROM services WHERE id = 'gm-post-offices:2C630345-8547-4201-A688-C3B139A6F27E'`,
		"-2.266625,53.45891 polygon_centroid E01006110 E01006110 E05015253 E08000009 Post Office 275")
	b, err := os.ReadFile(filepath.Join(h.dd, gmDir+"gm_post_offices.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties struct {
				ID       string `json:"ID"`
				AreaCode string `json:"area_code"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, f := range fc.Features {
		pairs = append(pairs, fmt.Sprintf("('gm-post-offices:%s', '%s')", f.Properties.ID, f.Properties.AreaCode))
	}
	h.want(`SELECT count(*) FROM services s JOIN (VALUES `+strings.Join(pairs, ", ")+`) v(id, lad) ON s.id = v.id AND s.lad_code = v.lad`,
		strconv.Itoa(len(fc.Features)))
}

// The two children's centres, checked by hand: Partington (URN 22329) in
// LSOA E01006104, ward E05015244; Stretford (URN 22963) in LSOA E01006179,
// ward E05015256.
func TestServicesChildrensCentres(t *testing.T) {
	h := servicesHarness(t)
	s := h.ingest("trafford-childrens-centres", gmDir+"trafford_childrens_centres.csv")
	if s.Rows != 2 || s.Rejected != 0 {
		t.Fatalf("rows %d rejected %d", s.Rows, s.Rejected)
	}
	h.want(`SELECT string_agg(id || ' ' || name || ' ' || lsoa11_code || ' ' || lsoa21_code || ' ' || ward_code || ' ' || lad_code || ' ' || category, '; ' ORDER BY id)
		FROM services WHERE dataset = 'trafford-childrens-centres'`,
		"trafford-childrens-centres:22329 Partington Children's Centre E01006104 E01006104 E05015244 E08000009 childrens_centre; "+
			"trafford-childrens-centres:22963 Stretford Children's Centre E01006179 E01006179 E05015256 E08000009 childrens_centre")
}

// gm_dentists.csv gives most local authority codes with a digit lost
// (Salford "E0800006"); point in polygon puts every dentist in the
// authority the code meant.
func TestServicesDentistsAuthority(t *testing.T) {
	h := servicesHarness(t)
	s := h.ingest("gm-dentists", gmDir+"gm_dentists.csv")
	h.want(`SELECT count(*) FROM services WHERE dataset = 'gm-dentists'
		AND lad_code = 'E08' || lpad(substr(json_extract_string(attributes, '$.area_code'), 4), 6, '0')`, strconv.FormatInt(s.Rows, 10))
	// Smile Dental Care Salford, line 2: area code E0800006, at -2.418753, 53.529467.
	h.want(`SELECT json_extract_string(attributes, '$.area_code') || ' ' || lad_code FROM services WHERE id = 'gm-dentists:gm_dentists.csv:2'`, "E0800006 E08000006")
}

// The CSV and GeoJSON of one list are two forms of it: giving both fails
// and keeps the previous version.
func TestServicesOneFormAtATime(t *testing.T) {
	h := servicesHarness(t)
	h.ingest("gm-libraries", gmDir+"gm_libraries.geojson")
	_, err := h.try("gm-libraries", gmDir+"gm_libraries.csv", gmDir+"gm_libraries.geojson")
	if err == nil || !strings.Contains(err.Error(), "forms of the same list") {
		t.Fatalf("both forms: %v", err)
	}
	h.want(`SELECT count(*) || ' ' || min(source_file) FROM services WHERE dataset = 'gm-libraries'`, "141 gm_libraries.geojson")
}

// The services ids are a contract (docs, dashboards, users' scripts).
func TestServicesCatalogIDs(t *testing.T) {
	for _, id := range []string{"gp-practices", "pharmacies", "schools", "gm-libraries", "gm-food-banks", "gm-pharmacies",
		"gm-dentists", "gm-jobcentres", "gm-post-offices", "trafford-gp-practices", "trafford-schools",
		"trafford-childrens-centres", "trafford-allotments", "trafford-places-of-worship", "trafford-sports-facilities",
		"trafford-charities"} {
		d, err := catalog.ByID(id)
		if err != nil {
			t.Error(err)
			continue
		}
		if d.Table != "services" || d.Replace != "dataset = '"+id+"'" || d.Enrich == nil || len(d.URLs) == 0 || d.Landing == "" ||
			d.Checks.MinRows == 0 || !slices.Equal(d.Checks.Unique, []string{"id"}) {
			t.Errorf("%s: table %q replace %q enrich %v urls %v landing %q checks %+v", id, d.Table, d.Replace, d.Enrich != nil, d.URLs, d.Landing, d.Checks)
		}
	}
}
