package ingest_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"commonground/ingest"
	"commonground/ingest/catalog"
)

const (
	traffordGrantsCSV  = "spending/360giving/trafford_council_voluntary_sector_grants.csv"
	traffordGrantsJSON = "spending/360giving/trafford_council_voluntary_sector_grants.json"
)

// grantFacts is what the tests read from a grants file themselves, with
// encoding/csv or encoding/json, independently of the ingest readers.
type grantFacts struct {
	id, amount, code, postcode, charity, company string
}

func grantsFromCSV(t *testing.T, path string) []grantFacts {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var out []grantFacts
	for _, r := range recs[1:] {
		out = append(out, grantFacts{id: r[col["Identifier"]], amount: r[col["Amount Awarded"]],
			code: r[col["Beneficiary Location:Geographic Code"]], postcode: r[col["Recipient Org:Postal Code"]],
			charity: r[col["Recipient Org:Charity Number"]], company: r[col["Recipient Org:Company Number"]]})
	}
	return out
}

func grantsFromJSON(t *testing.T, path string) []grantFacts {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pkg struct {
		Grants []struct {
			ID        string      `json:"id"`
			Amount    json.Number `json:"amountAwarded"`
			Recipient []struct {
				PostalCode    string `json:"postalCode"`
				CharityNumber string `json:"charityNumber"`
				CompanyNumber string `json:"companyNumber"`
			} `json:"recipientOrganization"`
			Beneficiary []struct {
				GeoCode string `json:"geoCode"`
			} `json:"beneficiaryLocation"`
		} `json:"grants"`
	}
	dec := json.NewDecoder(f)
	dec.UseNumber()
	if err := dec.Decode(&pkg); err != nil {
		t.Fatal(err)
	}
	var out []grantFacts
	for _, g := range pkg.Grants {
		gf := grantFacts{id: g.ID, amount: g.Amount.String()}
		if len(g.Recipient) > 0 {
			gf.postcode, gf.charity, gf.company = g.Recipient[0].PostalCode, g.Recipient[0].CharityNumber, g.Recipient[0].CompanyNumber
		}
		if len(g.Beneficiary) > 0 {
			gf.code = g.Beneficiary[0].GeoCode
		}
		out = append(out, gf)
	}
	return out
}

// grantsTotal sums the amounts exactly, as a decimal with two places.
func grantsTotal(t *testing.T, gs []grantFacts) string {
	t.Helper()
	sum := new(big.Rat)
	for _, g := range gs {
		r, ok := new(big.Rat).SetString(g.amount)
		if !ok {
			t.Fatalf("grant %s: amount %q", g.id, g.amount)
		}
		sum.Add(sum, r)
	}
	return sum.FloatString(2)
}

func grantIDs(gs []grantFacts) []string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.id)
	}
	sort.Strings(ids)
	return ids
}

// grantsQuery returns a one-column query's values.
func grantsQuery(h *harness, q string) []string {
	h.t.Helper()
	rows, err := h.db.SQL().QueryContext(h.t.Context(), q)
	if err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// grantRows returns each grant as JSON (all columns but source_file), by
// identifier.
func grantRows(h *harness) map[string]string {
	h.t.Helper()
	out := map[string]string{}
	for _, s := range grantsQuery(h, `SELECT identifier || ' ' || to_json(g)::VARCHAR FROM (SELECT * EXCLUDE (source_file) FROM grants) g`) {
		id, js, _ := strings.Cut(s, " ")
		out[id] = js
	}
	return out
}

// runGrants loads absolute paths (fixtures written by the test) into grants.
func runGrants(h *harness, paths ...string) (ingest.Summary, error) {
	ds, err := catalog.ByID("grants")
	if err != nil {
		h.t.Fatal(err)
	}
	return h.r.Run(h.t.Context(), ds, paths)
}

func TestGrantsTraffordCSVAndJSON(t *testing.T) {
	h := newHarness(t)
	fromCSV := grantsFromCSV(t, filepath.Join(h.dd, traffordGrantsCSV))
	fromJSON := grantsFromJSON(t, filepath.Join(h.dd, traffordGrantsJSON))
	total := grantsTotal(t, fromCSV)
	ids := grantIDs(fromCSV)
	// The two forms of the file hold the same grants (checked here, not assumed).
	if len(fromCSV) != 555 || len(fromJSON) != 555 || grantsTotal(t, fromJSON) != total || fmt.Sprint(grantIDs(fromJSON)) != fmt.Sprint(ids) {
		t.Fatalf("the files disagree: %d and %d grants, totals %s and %s", len(fromCSV), len(fromJSON), total, grantsTotal(t, fromJSON))
	}
	if total != "1291436.54" { // also summed by hand with Python's decimal module
		t.Fatalf("independent total %s", total)
	}
	leadingZero := 0
	for _, g := range fromCSV {
		if strings.HasPrefix(g.company, "0") {
			leadingZero++
		}
	}
	if leadingZero != 139 {
		t.Fatalf("independent count of company numbers with a leading zero: %d", leadingZero)
	}

	s := h.ingest("grants", traffordGrantsCSV)
	if s.Rows != 555 || s.Rejected != 0 {
		t.Fatalf("CSV: rows %d rejected %d, want 555 and 0", s.Rows, s.Rejected)
	}
	h.want(`SELECT sum(amount_awarded)::VARCHAR FROM grants`, total)
	if got := grantsQuery(h, `SELECT identifier FROM grants ORDER BY identifier`); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("CSV identifiers differ from the file's")
	}
	h.want(`SELECT count(*) FROM grants WHERE starts_with(recipient_company_number, '0')`, fmt.Sprint(leadingZero))
	h.want(`SELECT kind || ' ' || encoding || ' ' || data_lines FROM ingest_files`, "grants utf-8 555")
	h.want(`SELECT count(*) FROM grants WHERE dataset = 'grants' AND source_file = 'trafford_council_voluntary_sector_grants.csv'`, "555")

	// Read from the files by hand (grep), in both forms.
	checks := func(form string) {
		t.Helper()
		for _, c := range []struct{ q, want string }{
			// CSV line 5: the company number keeps its leading zero.
			{`SELECT concat_ws('|', recipient_org_name, amount_awarded, award_date, recipient_charity_number, recipient_company_number, recipient_org_id)
			  FROM grants WHERE identifier = '360G-traffordmbc-VSG1345'`,
				"Cyril Flint Befrienders|3056.37|2013-01-18|1146179|07962245|GB-COH-07962245"},
			// CSV line 52: the charity number is "0512710", a leading zero in the charity number too.
			{`SELECT concat_ws('|', recipient_org_name, amount_awarded, award_date, recipient_charity_number, recipient_company_number)
			  FROM grants WHERE identifier = '360G-traffordmbc-UP14002'`,
				"TLC: Talk, Listen, Change|4000.00|2014-07-05|0512710|01559314"},
			{`SELECT concat_ws('|', recipient_org_name, amount_awarded, award_date) FROM grants WHERE identifier = '360G-traffordmbc-VSG1343'`,
				"Be Active|3028.63|2013-01-18"},
			// The last award (2024-06-19), with a recipient postcode.
			{`SELECT concat_ws('|', recipient_org_name, amount_awarded, award_date, recipient_charity_number, recipient_company_number, recipient_postcode, programme)
			  FROM grants WHERE identifier = '360G-traffordmbc-2024VSG5'`,
				"Age UK Trafford (Urmston Community Hub)|16666.00|2024-06-19|1109047|05384301|M41 9EH|Inclusive Neighbourhood Grants"},
			{`SELECT min(award_date) || ' ' || max(award_date) FROM grants`, "2013-01-18 2024-06-19"},
			{`SELECT count(*) FROM grants WHERE recipient_postcode IS NOT NULL`, "11"},
			{`SELECT count(*) FROM grants WHERE recipient_charity_number IS NOT NULL`, "154"},
			{`SELECT count(*) FROM grants WHERE recipient_company_number IS NOT NULL`, "189"},
			{`SELECT string_agg(DISTINCT concat_ws('|', currency, funding_org_id, funding_org_name, beneficiary_location_name, beneficiary_code, beneficiary_code_type), ',') FROM grants`,
				"GBP|GB-LAE-TRF|Trafford Metropolitan Borough Council|Trafford|E08000009|MD"},
		} {
			if got := h.one(c.q); got != c.want {
				t.Errorf("%s: %s = %q, want %q", form, c.q, got, c.want)
			}
		}
	}
	checks("CSV")
	fromCSVRows := grantRows(h)

	// The JSON form replaces the same grants: no duplicates, the same values.
	s = h.ingest("grants", traffordGrantsJSON)
	if s.Rows != 555 || s.Rejected != 0 {
		t.Fatalf("JSON: rows %d rejected %d, want 555 and 0", s.Rows, s.Rejected)
	}
	h.want(`SELECT count(*) FROM grants`, "555")
	h.want(`SELECT sum(amount_awarded)::VARCHAR FROM grants`, total)
	if got := grantsQuery(h, `SELECT identifier FROM grants ORDER BY identifier`); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("JSON identifiers differ from the file's")
	}
	h.want(`SELECT string_agg(DISTINCT source_file, ',') FROM grants`, "trafford_council_voluntary_sector_grants.json")
	h.want(`SELECT kind || ' ' || encoding || ' ' || data_lines FROM ingest_files WHERE file LIKE '%.json'`, "grants utf-8 555")
	checks("JSON")
	diffs := 0
	for id, row := range grantRows(h) {
		if fromCSVRows[id] != row && diffs < 5 {
			diffs++
			t.Errorf("grant %s differs:\n CSV  %s\n JSON %s", id, fromCSVRows[id], row)
		}
	}

	// Loading the same file again changes nothing; both forms in one run
	// are the same grants twice, and fail.
	h.ingest("grants", traffordGrantsJSON)
	h.want(`SELECT count(*) FROM grants`, "555")
	_, err := h.try("grants", traffordGrantsCSV, traffordGrantsJSON)
	if err == nil || !strings.Contains(err.Error(), "values of (identifier) appear more than once") {
		t.Fatalf("CSV and JSON together: %v", err)
	}
	h.want(`SELECT count(*) FROM grants`, "555")
}

func TestGrantsTruncatedJSONKeepsPreviousGrants(t *testing.T) {
	h := newHarness(t)
	h.ingest("grants", traffordGrantsCSV)
	b, err := os.ReadFile(filepath.Join(h.dd, traffordGrantsJSON))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "trafford_truncated.json")
	if err := os.WriteFile(cut, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runGrants(h, cut)
	if err == nil || !strings.Contains(err.Error(), "trafford_truncated.json: truncated: the file ends inside grant ") {
		t.Fatalf("truncated JSON: %v", err)
	}
	h.want(`SELECT count(*) || ' ' || sum(amount_awarded) || ' ' || any_value(source_file) FROM grants`,
		"555 1291436.54 trafford_council_voluntary_sector_grants.csv")
	h.want(`SELECT string_agg(status, ',' ORDER BY run_id) FROM ingest_runs`, "ok,failed")
	h.want(`SELECT error LIKE '%trafford_truncated.json: truncated%' FROM ingest_runs WHERE status = 'failed'`, "true")
}

// loadGrantPlaces loads what grants are placed with: postcodes,
// ward and local authority boundaries, and the LSOA→ward lookup (2022 wards).
func loadGrantPlaces(h *harness) {
	h.t.Helper()
	h.ingest("postcodes", "lookups/postcodes/trafford_postcodes.csv")
	h.ingest("boundaries-ward", "boundaries/greater_manchester/gm_ward2023_generalised.geojson")
	h.ingest("boundaries-lad", "boundaries/greater_manchester/gm_lad2023_generalised.geojson")
	h.ingest("lookup-lsoa-ward-lad", "lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv")
}

// placeGrantsIndependently applies the placement rules of docs/GRANTS.md with
// maps built from the source files by the test itself.
func placeGrantsIndependently(t *testing.T, dd string, gs []grantFacts) (byCode, byPostcode, unlocated int, where map[string]string) {
	t.Helper()
	wards := map[string]bool{}
	var gj struct {
		Features []struct {
			Properties struct {
				Code string `json:"area_code"`
			} `json:"properties"`
		} `json:"features"`
	}
	b, err := os.ReadFile(filepath.Join(dd, "boundaries/greater_manchester/gm_ward2023_generalised.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &gj); err != nil {
		t.Fatal(err)
	}
	for _, f := range gj.Features {
		wards[f.Properties.Code] = true
	}
	readCSV := func(rel string) [][]string {
		f, err := os.Open(filepath.Join(dd, rel))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	for _, r := range readCSV("lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv")[1:] {
		wards[r[2]] = true // wd22cd
	}
	postcodes := map[string]string{} // key -> lsoa ward lad
	for _, r := range readCSV("lookups/postcodes/trafford_postcodes.csv")[1:] {
		postcodes[strings.ReplaceAll(r[0], " ", "")] = r[5] + " " + r[1] + " " + r[8] // lsoa_code ward_code la_code
	}
	if len(wards) < 215 || len(postcodes) != 11264 {
		t.Fatalf("%d wards, %d postcodes", len(wards), len(postcodes))
	}
	lad := regexp.MustCompile(`^(E0[6-9]|W06)[0-9]{6}$`)
	where = map[string]string{}
	for _, g := range gs {
		code := strings.ToUpper(g.code)
		pc := strings.ToUpper(strings.ReplaceAll(g.postcode, " ", ""))
		switch {
		case wards[code] || lad.MatchString(code):
			byCode++
		case postcodes[pc] != "":
			byPostcode++
			where[g.id] = postcodes[pc]
		default:
			unlocated++
		}
	}
	return byCode, byPostcode, unlocated, where
}

func TestGrantsPlacedOnTheMap(t *testing.T) {
	h := newHarness(t)
	loadGrantPlaces(h)
	gs := grantsFromCSV(t, filepath.Join(h.dd, traffordGrantsCSV))
	code, postcode, unlocated, _ := placeGrantsIndependently(t, h.dd, gs)
	// Every Trafford grant names Trafford (E08000009, type MD) as beneficiary.
	if code != 555 || postcode != 0 || unlocated != 0 {
		t.Fatalf("independent placement %d/%d/%d", code, postcode, unlocated)
	}
	s := h.ingest("grants", traffordGrantsCSV)
	want := fmt.Sprintf("mapped: by beneficiary code %d, by recipient postcode %d, unlocated %d", code, postcode, unlocated)
	if len(s.Notes) != 1 || s.Notes[0] != want || s.Located == nil || *s.Located != int64(code+postcode) || *s.Unlocated != int64(unlocated) {
		t.Errorf("notes %q, want [%q]", s.Notes, want)
	}
	h.want(`SELECT string_agg(location_source || ':' || n, ' ' ORDER BY location_source) FROM (SELECT location_source, count(*) n FROM grants GROUP BY ALL)`,
		fmt.Sprintf("beneficiary_code:%d", code))
	// A local authority code places a grant in the authority, no finer,
	// even where the recipient's postcode is known.
	h.want(`SELECT count(*) FROM grants WHERE lad_code = 'E08000009' AND ward_code IS NULL AND lsoa21_code IS NULL`, "555")

	// Without its beneficiary codes the same file is placed by postcode
	// where it has one (the test blanks the column in a temporary copy).
	f, err := os.Open(filepath.Join(h.dd, traffordGrantsCSV))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	codeCol := -1
	for i, c := range recs[0] {
		if c == "Beneficiary Location:Geographic Code" {
			codeCol = i
		}
	}
	for _, r := range recs[1:] {
		r[codeCol] = ""
	}
	blank := filepath.Join(t.TempDir(), "trafford_without_codes.csv")
	out, err := os.Create(blank)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	w.WriteAll(recs)
	if err := out.Close(); err != nil || w.Error() != nil {
		t.Fatal(err, w.Error())
	}
	for i := range gs {
		gs[i].code = ""
	}
	code, postcode, unlocated, where := placeGrantsIndependently(t, h.dd, gs)
	if code != 0 || postcode != 11 || unlocated != 544 {
		t.Fatalf("independent placement without codes %d/%d/%d", code, postcode, unlocated)
	}
	s, err = runGrants(h, blank)
	if err != nil {
		t.Fatal(err)
	}
	want = fmt.Sprintf("mapped: by beneficiary code %d, by recipient postcode %d, unlocated %d", code, postcode, unlocated)
	if len(s.Notes) != 1 || s.Notes[0] != want {
		t.Errorf("notes %q, want [%q]", s.Notes, want)
	}
	h.want(`SELECT count(*) FROM grants`, "555") // replaced by identifier
	for id, place := range where {
		h.want(`SELECT concat_ws(' ', lsoa21_code, ward_code, lad_code) FROM grants WHERE location_source = 'recipient_postcode' AND identifier = ?`, place, id)
	}
	// By hand: M41 9EH is in LSOA Trafford 009E, ward Urmston (trafford_postcodes.csv).
	h.want(`SELECT concat_ws(' ', location_source, lsoa21_code, ward_code, lad_code) FROM grants WHERE identifier = '360G-traffordmbc-2024VSG5'`,
		"recipient_postcode E01006202 E05015259 E08000009")
	h.want(`SELECT count(*) FROM grants WHERE location_source = 'unlocated' AND coalesce(lsoa21_code, ward_code, lad_code) IS NULL`, "544")
}

// A made-up funder's grants, one for each placement rule, in both forms.
// Expected places were read from the source files by hand: E05015253 is
// Old Trafford in the 2023 ward boundaries; E05000829 (Gorse Hill) is only
// in the 2022 LSOA→ward lookup; M16 7GX is in E01006113 and Old Trafford;
// M15 4AB is in E01034001 and Gorse Hill & Cornbrook (E05015247).
const placementCSV = `Identifier,Title,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,Recipient Org:Postal Code,Beneficiary Location:Name,Beneficiary Location:Geographic Code,Beneficiary Location:Geographic Code Type,Funding Org:Identifier,Funding Org:Name
360G-test-1,Ward in the boundaries,GBP,100,2024-01-01,T-1,One,M15 4AB,Old Trafford,E05015253,WD,GB-TEST,Test Funder
360G-test-2,Ward in the lookup only,GBP,200,2024-01-02,T-2,Two,,Gorse Hill,e05000829,WD,GB-TEST,Test Funder
360G-test-3,Local authority,GBP,300,2024-01-03,T-3,Three,M16 7GX,Manchester,E08000003,MD,GB-TEST,Test Funder
360G-test-4,Region: by postcode,GBP,400,2024-01-04,T-4,Four,m16 7gx,North West,E12000002,RGN,GB-TEST,Test Funder
360G-test-5,No code: by postcode,GBP,500,2024-01-05,T-5,Five,M154AB,,,,GB-TEST,Test Funder
360G-test-6,Postcode unknown,GBP,600,2024-01-06,T-6,Six,SW1A 1AA,,,,GB-TEST,Test Funder
360G-test-7,Nothing to go on,GBP,700,2024-01-07,T-7,Seven,,,,,GB-TEST,Test Funder
360G-test-8,Ward code unknown,GBP,800,2024-01-08,T-8,Eight,,Nowhere,E05999999,WD,GB-TEST,Test Funder
`

const placementJSON = `{"grants": [
 {"id": "360G-test-1", "title": "Ward in the boundaries", "currency": "GBP", "amountAwarded": 100, "awardDate": "2024-01-01",
  "recipientOrganization": [{"id": "T-1", "name": "One", "postalCode": "M15 4AB"}],
  "beneficiaryLocation": [{"name": "Old Trafford", "geoCode": "E05015253", "geoCodeType": "WD"}],
  "fundingOrganization": [{"id": "GB-TEST", "name": "Test Funder"}]},
 {"id": "360G-test-2", "title": "Ward in the lookup only", "currency": "GBP", "amountAwarded": 200, "awardDate": "2024-01-02",
  "recipientOrganization": [{"id": "T-2", "name": "Two"}],
  "beneficiaryLocation": [{"name": "Gorse Hill", "geoCode": "e05000829", "geoCodeType": "WD"}],
  "fundingOrganization": [{"id": "GB-TEST", "name": "Test Funder"}]},
 {"id": "360G-test-3", "title": "Local authority", "currency": "GBP", "amountAwarded": 300, "awardDate": "2024-01-03",
  "recipientOrganization": [{"id": "T-3", "name": "Three", "postalCode": "M16 7GX"}],
  "beneficiaryLocation": [{"name": "Manchester", "geoCode": "E08000003", "geoCodeType": "MD"}],
  "fundingOrganization": [{"id": "GB-TEST", "name": "Test Funder"}]},
 {"id": "360G-test-4", "title": "Region: by postcode", "currency": "GBP", "amountAwarded": 400, "awardDate": "2024-01-04",
  "recipientOrganization": [{"id": "T-4", "name": "Four", "postalCode": "m16 7gx"}],
  "beneficiaryLocation": [{"name": "North West", "geoCode": "E12000002", "geoCodeType": "RGN"}],
  "fundingOrganization": [{"id": "GB-TEST", "name": "Test Funder"}]},
 {"id": "360G-test-5", "title": "No code: by postcode", "currency": "GBP", "amountAwarded": 500, "awardDate": "2024-01-05",
  "recipientOrganization": [{"id": "T-5", "name": "Five", "postalCode": "M154AB"}],
  "fundingOrganization": [{"id": "GB-TEST", "name": "Test Funder"}]},
 {"id": "360G-test-6", "title": "Postcode unknown", "currency": "GBP", "amountAwarded": 600, "awardDate": "2024-01-06",
  "recipientOrganization": [{"id": "T-6", "name": "Six", "postalCode": "SW1A 1AA"}],
  "fundingOrganization": [{"id": "GB-TEST", "name": "Test Funder"}]},
 {"id": "360G-test-7", "title": "Nothing to go on", "currency": "GBP", "amountAwarded": 700, "awardDate": "2024-01-07",
  "recipientOrganization": [{"id": "T-7", "name": "Seven"}],
  "fundingOrganization": [{"id": "GB-TEST", "name": "Test Funder"}]},
 {"id": "360G-test-8", "title": "Ward code unknown", "currency": "GBP", "amountAwarded": 800, "awardDate": "2024-01-08",
  "recipientOrganization": [{"id": "T-8", "name": "Eight"}],
  "beneficiaryLocation": [{"name": "Nowhere", "geoCode": "E05999999", "geoCodeType": "WD"}],
  "fundingOrganization": [{"id": "GB-TEST", "name": "Test Funder"}]}
]}`

func writeGrantsFixture(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGrantsPlacementRules(t *testing.T) {
	h := newHarness(t)
	loadGrantPlaces(h)
	h.want(`SELECT count(*) FROM areas WHERE code IN ('E05000829', 'E05999999')`, "0") // the lookup-only ward is not a boundary
	dir := t.TempDir()
	want := []string{
		"360G-test-1 beneficiary_code - E05015253 E08000009",
		"360G-test-2 beneficiary_code - E05000829 E08000009",
		"360G-test-3 beneficiary_code - - E08000003",
		"360G-test-4 recipient_postcode E01006113 E05015253 E08000009",
		"360G-test-5 recipient_postcode E01034001 E05015247 E08000009",
		"360G-test-6 unlocated - - -",
		"360G-test-7 unlocated - - -",
		"360G-test-8 unlocated - - -",
	}
	for _, f := range []string{writeGrantsFixture(t, dir, "test_funder.csv", placementCSV), writeGrantsFixture(t, dir, "test_funder.json", placementJSON)} {
		s, err := runGrants(h, f)
		if err != nil {
			t.Fatal(err)
		}
		if s.Rows != 8 || s.Rejected != 0 {
			t.Fatalf("%s: rows %d rejected %d", f, s.Rows, s.Rejected)
		}
		if w := "mapped: by beneficiary code 3, by recipient postcode 2, unlocated 3"; len(s.Notes) != 1 || s.Notes[0] != w || len(s.Warnings) != 1 {
			t.Errorf("%s: notes %q warnings %q, want %q and the row-range warning", f, s.Notes, s.Warnings, w)
		}
		got := grantsQuery(h, `SELECT concat_ws(' ', identifier, location_source, coalesce(lsoa21_code, '-'), coalesce(ward_code, '-'), coalesce(lad_code, '-'))
			FROM grants ORDER BY identifier`)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s placed:\n%s\nwant:\n%s", f, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		h.want(`SELECT sum(amount_awarded)::VARCHAR FROM grants`, "3600.00") // 100+200+...+800
	}
}

// A load replaces grants with the same identifiers, and earlier grants from
// a file of the same name and funder; other publishers' grants stay.
func TestGrantsReplaceByPublisherFile(t *testing.T) {
	h := newHarness(t)
	header := "Identifier,Amount Awarded,Award Date,Funding Org:Identifier\n"
	a1 := writeGrantsFixture(t, filepath.Join(t.TempDir(), "a"), "grants.csv", header+"360G-a-1,10,2024-01-01,GB-A\n360G-a-2,20,2024-01-01,GB-A\n360G-a-3,30,2024-01-01,GB-A\n")
	b1 := writeGrantsFixture(t, filepath.Join(t.TempDir(), "b"), "grants.csv", header+"360G-b-1,1,2024-01-01,GB-B\n360G-b-2,2,2024-01-01,GB-B\n")
	a2 := writeGrantsFixture(t, filepath.Join(t.TempDir(), "a2"), "grants.csv", header+"360G-a-1,11,2024-01-01,GB-A\n360G-a-3,30,2024-01-01,GB-A\n")
	for _, f := range []string{a1, b1} {
		if _, err := runGrants(h, f); err != nil {
			t.Fatal(err)
		}
	}
	h.want(`SELECT string_agg(identifier || '=' || amount_awarded, ' ' ORDER BY identifier) FROM grants`,
		"360G-a-1=10.00 360G-a-2=20.00 360G-a-3=30.00 360G-b-1=1.00 360G-b-2=2.00")
	// Funder A republishes grants.csv without 360G-a-2 and with a correction.
	if _, err := runGrants(h, a2); err != nil {
		t.Fatal(err)
	}
	h.want(`SELECT string_agg(identifier || '=' || amount_awarded, ' ' ORDER BY identifier) FROM grants`,
		"360G-a-1=11.00 360G-a-3=30.00 360G-b-1=1.00 360G-b-2=2.00")
	h.ingest("grants", traffordGrantsCSV)
	h.want(`SELECT count(*) FROM grants`, "559") // 555 + 4
}

// Files flattened by JSON path ("recipientOrganization/0/name") instead of
// by title load the same way.
func TestGrantsCSVFlattenedByPath(t *testing.T) {
	h := newHarness(t)
	f := writeGrantsFixture(t, t.TempDir(), "by_path.csv",
		"id,title,currency,amountAwarded,awardDate,recipientOrganization/0/name,recipientOrganization/0/companyNumber,beneficiaryLocation/0/name,beneficiaryLocation/0/geoCode,beneficiaryLocation/0/geoCodeType,fundingOrganization/0/id,grantProgramme/0/title\n"+
			"360G-path-1,By path,GBP,\"1,250.50\",02/03/2024,Path Org,00012345,Trafford,E08000009,MD,GB-PATH,Small Grants\n")
	if s, err := runGrants(h, f); err != nil || s.Rows != 1 || s.Rejected != 0 {
		t.Fatalf("rows %d rejected %d: %v", s.Rows, s.Rejected, err)
	}
	h.want(`SELECT concat_ws('|', identifier, title, amount_awarded, award_date, recipient_org_name, recipient_company_number,
		beneficiary_location_name, beneficiary_code, beneficiary_code_type, funding_org_id, programme, location_source, lad_code) FROM grants`,
		"360G-path-1|By path|1250.50|2024-03-02|Path Org|00012345|Trafford|E08000009|MD|GB-PATH|Small Grants|beneficiary_code|E08000009")
}
