package queries

import (
	"math"
	"strings"
	"testing"

	"commonground/warehouse"
)

// A hand-made world for the services, spending and grants indicators,
// whose tables are being filled by other code: four LSOAs in three
// authorities, three GP practices (one closed, one listed twice), a year of payments and a
// handful of grants, with every expected number worked out here.
//
//	E01000001  lad E09000001  ward E05000001  centroid (0.0, 51.0)  2017: 1,000  2021: 1,100
//	E01000002  lad E09000001  ward E05000001  centroid (0.0, 51.2)  2017: 2,000  2021: 2,100
//	E01000003  lad E09000002                   centroid (1.0, 51.0)  2017: 1,500  2021: 1,600
//	E01000004  lad E09000003                   centroid (-2.0, 53.0) 2017: 1,200  (no services)
func fixtureDB(t *testing.T) *warehouse.DB {
	t.Helper()
	db := emptyDB(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	type lsoa struct {
		code, lad, ward string
		lon, lat        float64
		pop17, pop21    int
	}
	for _, l := range []lsoa{
		{"E01000001", "E09000001", "E05000001", 0.0, 51.0, 1000, 1100},
		{"E01000002", "E09000001", "E05000001", 0.0, 51.2, 2000, 2100},
		{"E01000003", "E09000002", "", 1.0, 51.0, 1500, 1600},
		{"E01000004", "E09000003", "", -2.0, 53.0, 1200, 0},
	} {
		exec(`INSERT INTO areas (code, name, level, vintage, lad_code, ward_code, centroid_lon, centroid_lat, population)
			VALUES (?, ?, 'lsoa11', 2011, ?, nullif(?, ''), ?, ?, ?)`, l.code, l.code+" 2011", l.lad, l.ward, l.lon, l.lat, l.pop17)
		exec(`INSERT INTO population VALUES ('population-sape', ?, 'lsoa11', 2017, 'persons', 'all', NULL, NULL, ?)`, l.code, l.pop17)
		if l.pop21 > 0 {
			exec(`INSERT INTO areas (code, name, level, vintage, lad_code, ward_code, centroid_lon, centroid_lat, population)
				VALUES (?, ?, 'lsoa21', 2021, ?, nullif(?, ''), ?, ?, ?)`, l.code, l.code+" 2021", l.lad, l.ward, l.lon, l.lat, l.pop21)
			exec(`INSERT INTO population VALUES ('population-census2021', ?, 'lsoa21', 2021, 'persons', 'all', NULL, NULL, ?)`, l.code, l.pop21)
		}
	}
	for _, lad := range []string{"E09000001", "E09000002", "E09000003"} {
		exec(`INSERT INTO areas (code, name, level, vintage, lad_code) VALUES (?, ?, 'lad', 2023, ?)`, lad, "Authority "+lad[7:], lad)
	}
	exec(`INSERT INTO areas (code, name, level, vintage, lad_code) VALUES ('E05000001', 'Ward One', 'ward', 2023, 'E09000001')`)

	svc := func(dataset, code, status, located string, lon, lat float64, lsoa string) {
		exec(`INSERT INTO services (id, dataset, category, source_id, lon, lat, location_source, status, lsoa11_code)
			VALUES (?, ?, 'gp_practice', ?, ?, ?, ?, ?, ?)`, dataset+":"+code, dataset, code, lon, lat, located, status, lsoa)
	}
	svc("gp-practices", "A1", "open", "given", 0.0, 51.05, "E01000001")
	svc("gp-practices", "A2", "open", "given", 1.0, 51.3, "E01000003")
	svc("gp-practices", "A3", "closed", "given", 0.0, 51.19, "E01000002") // closed: ignored
	svc("local-gps", "A1", "open", "postcode", 0.001, 51.21, "E01000002") // A1 again, less well located: counted once, where "given" puts it

	// Spending: twelve monthly payments of £1,000 to March 2025, a £500
	// credit, and one payment before the 12 months. A second council has
	// only three months.
	for m := 0; m < 12; m++ {
		exec(`INSERT INTO spending (council_code, source_file, source_line, payment_date, amount)
			VALUES ('E09000001', 'f.csv', ?, DATE '2024-04-15' + to_months(?::INTEGER), 1000)`, m+1, m)
	}
	exec(`INSERT INTO spending (council_code, source_file, source_line, payment_date, amount) VALUES ('E09000001', 'f.csv', 20, DATE '2024-09-01', -500)`)
	exec(`INSERT INTO spending (council_code, source_file, source_line, payment_date, amount) VALUES ('E09000001', 'f.csv', 21, DATE '2024-03-10', 7777)`)
	for m := 0; m < 3; m++ {
		exec(`INSERT INTO spending (council_code, source_file, source_line, payment_date, amount)
			VALUES ('E09000002', 'g.csv', ?, DATE '2025-01-15' + to_months(?::INTEGER), 1000)`, m+1, m)
	}

	grant := func(id string, amount float64, date, currency, lsoa, ward, lad string) {
		exec(`INSERT INTO grants (dataset, identifier, currency, amount_awarded, award_date, lsoa21_code, ward_code, lad_code)
			VALUES ('grants-test', ?, ?, ?, CAST(? AS DATE), nullif(?, ''), nullif(?, ''), nullif(?, ''))`, id, currency, amount, date, lsoa, ward, lad)
	}
	grant("g1", 3000, "2025-06-30", "GBP", "E01000001", "E05000001", "E09000001") // its LSOA
	grant("g2", 2000, "2025-01-01", "GBP", "", "E05000001", "E09000001")          // shared across the ward by population
	grant("g3", 640, "2024-08-01", "GBP", "", "", "E09000001")                    // shared across the authority
	grant("g4", 999, "2023-01-01", "GBP", "E01000002", "", "E09000001")           // before the 12 months
	grant("g5", 5000, "2025-02-01", "USD", "E01000002", "", "E09000001")          // not in pounds
	return db
}

// distanceKm is the spherical law of cosines: a second formula for the
// great-circle distance (the SQL uses haversine).
func distanceKm(lon1, lat1, lon2, lat2 float64) float64 {
	r := math.Pi / 180
	c := math.Sin(lat1*r)*math.Sin(lat2*r) + math.Cos(lat1*r)*math.Cos(lat2*r)*math.Cos((lon2-lon1)*r)
	return 6371.0088 * math.Acos(math.Min(1, c))
}

func TestServiceIndicatorsOnFixture(t *testing.T) {
	db := fixtureDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	vs, err := c.Values(t.Context(), db, "distance_gp_km", "lsoa", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Value{}
	for _, v := range vs {
		got[v.Area.Code] = v
	}
	d1 := distanceKm(0, 51.0, 0, 51.05)  // to gp:1, inside the 9 km grid search
	d2 := distanceKm(0, 51.2, 0, 51.05)  // to gp:1 (gp:3 is closed), 16.7 km: the fallback
	d3 := distanceKm(1.0, 51.0, 1, 51.3) // to gp:2, 33 km
	near(t, "E01000001", got["E01000001"].Value, d1, 1e-6)
	near(t, "E01000002", got["E01000002"].Value, d2, 1e-6)
	near(t, "E01000003", got["E01000003"].Value, d3, 1e-6)
	if v := got["E01000004"]; v.Status != StatusNoData {
		t.Errorf("an authority with no GP loaded should have no data, got %+v", v)
	}

	rs, err := c.ForArea(t.Context(), db, "E09000001", "distance_gp_km", "gp_practices_per_10k", "council_spending_per_head", "grants_per_head")
	if err != nil {
		t.Fatal(err)
	}
	dist := find(t, rs, "distance_gp_km")
	near(t, "population-weighted distance", dist.Value, (d1*1000+d2*2000)/3000, 1e-6)
	if dist.England == nil || dist.England.Note == "" || dist.England.Significance != SigNotCompared {
		t.Errorf("England covers 3 of 4 LSOAs, so it should be shown but not compared: %+v", dist.England)
	}
	gp := find(t, rs, "gp_practices_per_10k")
	near(t, "GP practices per 10,000", gp.Value, 1.0/3000*10000, 1e-9)
	if gp.CI95 == nil || !gp.Small || !strings.HasPrefix(gp.Sentence, "Authority 01 has about 3.3 GP practices per 10,000 residents (1 in all)") {
		t.Errorf("one practice: small number with an exact interval: %+v %q", gp.Estimate, gp.Sentence)
	}
	spend := find(t, rs, "council_spending_per_head")
	near(t, "spending per head", spend.Value, (12*1000-500)/3200.0, 1e-9)
	grants := find(t, rs, "grants_per_head")
	near(t, "grants per head", grants.Value, (3000+2000+640)/3200.0, 1e-9)

	// Grants by LSOA: g1 in its LSOA, g2 and g3 shared by residents.
	gv, err := c.Values(t.Context(), db, "grants_per_head", "lsoa", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range gv {
		switch v.Area.Code {
		case "E01000001":
			near(t, "grants E01000001", v.Numerator, 3000+2000*1100/3200.0+640*1100/3200.0, 1e-9)
		case "E01000002":
			near(t, "grants E01000002", v.Numerator, 2000*2100/3200.0+640*2100/3200.0, 1e-9)
		case "E01000003":
			if v.Status != StatusNoData {
				t.Errorf("no grant reaches E09000002, so it has no data: %+v", v)
			}
		}
	}

	// Spending is per council: the second council's three months are not
	// a year, and a ward is not available.
	rs, err = c.ForArea(t.Context(), db, "E09000002", "council_spending_per_head")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Status != StatusNoData {
		t.Errorf("three months of spending: %+v", rs[0].Estimate)
	}
	rs, err = c.ForArea(t.Context(), db, "E05000001", "council_spending_per_head", "gp_practices_per_10k")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Status != StatusNotAvailable || !strings.Contains(rs[0].Sentence, "computed for local authorities and England only") {
		t.Errorf("spending for a ward: %+v", rs[0])
	}
	if rs[1].Parent == nil || rs[1].Parent.Area.Code != "E09000001" {
		t.Errorf("ward's parent: %+v", rs[1].Parent)
	}
	if _, err := c.Values(t.Context(), db, "council_spending_per_head", LevelWard, ""); err == nil {
		t.Error("spending by ward should be refused")
	}
}

// A new ingest run is a new warehouse version: the catalogue reads the
// indicators' rows again.
func TestNewIngestRunRefreshes(t *testing.T) {
	db := fixtureDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	count := func() float64 {
		rs, err := c.ForArea(t.Context(), db, "E09000002", "gp_practices_per_10k")
		if err != nil {
			t.Fatal(err)
		}
		return rs[0].Numerator
	}
	if n := count(); n != 1 {
		t.Fatalf("E09000002 has %v practices, want 1", n)
	}
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO services (id, dataset, category, source_id, lon, lat, location_source, status, lsoa11_code)
		VALUES ('gp-practices:A9', 'gp-practices', 'gp_practice', 'A9', 1.0, 51.01, 'given', 'open', 'E01000003')`); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("without an ingest run the rows read are kept: %v", n)
	}
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO ingest_runs (run_id, dataset, started_at, finished_at, status)
		VALUES (1, 'gp-practices', now(), now(), 'ok')`); err != nil {
		t.Fatal(err)
	}
	// The version is read at most every versionTTL: a new run is seen
	// once it is read again.
	expireVersionChecks()
	if n := count(); n != 2 {
		t.Fatalf("after an ingest run E09000002 has %v practices, want 2", n)
	}
	c.Reset()
	if n := count(); n != 2 {
		t.Fatalf("after Reset: %v", n)
	}
}
