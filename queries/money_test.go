package queries

import (
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// Money against need is checked on real Trafford data (its 2024-25
// spending, its 360Giving grants, the charities, schools and services that
// place suppliers and recipients) against an independent computation in Go:
// the name key, the matching rules and the sums are re-implemented here from
// docs/METHODS.md and run on the raw tables, not on the views.

var (
	moneyOnce sync.Once
	moneyDir  string
	moneyWH   *warehouse.DB
	moneyErr  error
)

// customTraffordMoney is a community-defined area of six Trafford LSOAs
// (2021, Trafford 005E, 007D, 007E, 010C, 028A and 028B), chosen by hand.
const customTraffordMoney = "X00000009"

var customTraffordMoneyLSOAs = []string{"E01006130", "E01006131", "E01006132", "E01006133", "E01006134", "E01006135"}

func moneyDB(t testing.TB) *warehouse.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("loads Trafford and Manchester spending and grants (about 20 s)")
	}
	dd := sharedData(t)
	moneyOnce.Do(func() {
		start := time.Now()
		moneyDir, moneyErr = os.MkdirTemp("", "queries-money-")
		if moneyErr != nil {
			return
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		moneyWH, moneyErr = warehouse.Open(t.Context(), filepath.Join(moneyDir, "money.duckdb"), warehouse.Options{Logger: log})
		if moneyErr != nil {
			return
		}
		r := &ingest.Runner{DB: moneyWH, Fetcher: &source.Fetcher{CacheDir: filepath.Join(moneyDir, "cache"), Logger: log}, Logger: log}
		g := "services/greater_manchester/"
		for _, l := range []struct {
			id    string
			files []string
		}{
			{"lookup-lsoa-ward-lad", []string{"lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv"}},
			{"postcodes", []string{"lookups/postcodes/trafford_postcodes.csv"}},
			{"boundaries-lsoa21", []string{"boundaries/greater_manchester/gm_lsoa21_generalised.geojson"}},
			{"boundaries-lad", []string{"boundaries/greater_manchester/gm_lad2023_generalised.geojson"}},
			{"population-census2021", []string{"population/census2021/census21_pop_lsoa21_age6_derived.csv.gz"}},
			{"imd2025", []string{"deprivation/iod2025_derived/imd2025_england_lsoa21.csv"}},
			{"trafford-charities", []string{g + "charities_operating_in_trafford.csv"}},
			{"trafford-schools", []string{g + "trafford_schools_and_colleges.geojson"}},
			{"trafford-gp-practices", []string{g + "trafford_general_practices.geojson"}},
			{"trafford-sports-facilities", []string{g + "sports_facilities.csv"}},
			{"gm-pharmacies", []string{g + "gm_pharmacies.geojson"}},
			{"gm-libraries", []string{g + "gm_libraries.geojson"}},
			{"gm-food-banks", []string{g + "gm_food_banks.geojson"}},
			{"spending", []string{"spending/trafford/trafford-supplier-spend-2024-25.zip", "spending/trafford/government_procurement_card_transactions_2024-25.csv",
				"spending/manchester/manchester_spending_odileeds_clean_2022-03.csv", "spending/manchester/manchester_spending_odileeds_clean_2022-04.csv",
				"spending/manchester/manchester_spending_odileeds_clean_2022-05.csv"}},
			{"grants", []string{"spending/360giving/trafford_council_voluntary_sector_grants.csv"}},
		} {
			ds, err := catalog.ByID(l.id)
			if err != nil {
				moneyErr = err
				return
			}
			var paths []string
			for _, f := range l.files {
				paths = append(paths, filepath.Join(dd, f))
			}
			if _, err := r.Run(t.Context(), ds, paths); err != nil {
				moneyErr = err
				return
			}
		}
		if moneyErr = syncDatasets(t, moneyWH); moneyErr != nil {
			return
		}
		if _, moneyErr = moneyWH.SQL().Exec(`INSERT INTO areas (code, name, level, vintage, dataset) VALUES (?, 'Test area in Trafford', 'custom', 2024, 'test')`, customTraffordMoney); moneyErr != nil {
			return
		}
		for _, l := range customTraffordMoneyLSOAs {
			if _, moneyErr = moneyWH.SQL().Exec(`INSERT INTO area_members SELECT ?, 'custom', code, vintage, population, NULL, 'best_fit_centroid'
				FROM areas WHERE code = ? AND level = 'lsoa21'`, customTraffordMoney, l); moneyErr != nil {
				return
			}
		}
		t.Logf("loaded Trafford money data in %v", time.Since(start).Round(time.Millisecond))
	})
	if moneyErr != nil {
		t.Fatal(moneyErr)
	}
	return moneyWH
}

// nameKey is the supplier/organisation name key of docs/METHODS.md, written
// again in Go.
var (
	brackets = regexp.MustCompile(`\([^)]*\)`)
	nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)
	legal    = map[string]bool{"the": true, "ltd": true, "limited": true, "plc": true, "cic": true, "cio": true, "llp": true, "inc": true}
)

func nameKey(s string) string {
	s = strings.ReplaceAll(s, "&", " and ")
	s = strings.NewReplacer("'", "", "’", "").Replace(s)
	s = strings.ToLower(s)
	s = brackets.ReplaceAllString(s, " ")
	s = nonAlnum.ReplaceAllString(s, " ")
	var words []string
	for _, w := range strings.Fields(s) {
		if !legal[w] {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

func TestNameKey(t *testing.T) {
	for in, want := range map[string]string{
		"The Together Trust":                 "together trust",
		"Play Works (M/cr) Ltd":              "play works",
		"AGE UK TRAFFORD LIMITED":            "age uk trafford",
		"St. Nick’s Kids Inc.":               "st nicks kids",
		"Smith & Sons PLC":                   "smith and sons",
		"Trafford Domestic Abuse Svc (TDAS)": "trafford domestic abuse svc",
	} {
		if got := nameKey(in); got != want {
			t.Errorf("nameKey(%q) = %q, want %q", in, got, want)
		}
	}
}

type place struct{ lsoa, lad, postcode string }

// independentMoney recomputes the spending side of the report for
// Trafford from the raw tables: per LSOA the net paid in the council's
// latest 12 months to suppliers uniquely matched by name to an organisation
// placed in Trafford, and the total by status.
func independentMoney(t *testing.T, db *warehouse.DB, lad string) (perLSOA map[string]float64, byStatus map[string]float64) {
	t.Helper()
	ctx := t.Context()
	pcs := map[string]place{}
	rows, err := db.SQL().QueryContext(ctx, `SELECT postcode_key, coalesce(lsoa21_code, ''), coalesce(lad_code, '') FROM postcodes ORDER BY terminated NULLS FIRST, postcode`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var p place
		if err := rows.Scan(&k, &p.lsoa, &p.lad); err != nil {
			t.Fatal(err)
		}
		if _, seen := pcs[k]; !seen {
			pcs[k] = p
		}
	}
	rows.Close()
	// Organisations by key: every distinct place (LSOA, else postcode).
	orgs := map[string]map[string]place{}
	add := func(name, lsoa, lad, postcode string) {
		if name == "" || (lsoa == "" && postcode == "") {
			return
		}
		if lsoa == "" || lad == "" {
			if p, ok := pcs[strings.ToUpper(strings.ReplaceAll(postcode, " ", ""))]; ok {
				if lsoa == "" {
					lsoa = p.lsoa
				}
				if lad == "" {
					lad = p.lad
				}
			}
		}
		k := nameKey(name)
		if k == "" {
			return
		}
		if orgs[k] == nil {
			orgs[k] = map[string]place{}
		}
		id := lsoa
		if id == "" {
			id = postcode
		}
		orgs[k][id] = place{lsoa, lad, postcode}
	}
	rows, err = db.SQL().QueryContext(ctx, `SELECT name, coalesce(lsoa21_code, ''), coalesce(lad_code, ''), coalesce(postcode, '') FROM services WHERE name IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, l, d, p string
		if err := rows.Scan(&n, &l, &d, &p); err != nil {
			t.Fatal(err)
		}
		add(n, l, d, p)
	}
	rows.Close()
	rows, err = db.SQL().QueryContext(ctx, `SELECT recipient_org_name, recipient_postcode FROM grants WHERE recipient_org_name IS NOT NULL AND recipient_postcode IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, p string
		if err := rows.Scan(&n, &p); err != nil {
			t.Fatal(err)
		}
		add(n, "", "", p)
	}
	rows.Close()

	var last time.Time
	if err := db.SQL().QueryRowContext(ctx, `SELECT max(payment_date) FROM spending WHERE council_code = ?`, lad).Scan(&last); err != nil {
		t.Fatal(err)
	}
	from := last.AddDate(0, -MoneySpendMonths, 0)
	rows, err = db.SQL().QueryContext(ctx, `SELECT coalesce(supplier_name, ''), amount::DOUBLE, payment_date FROM spending WHERE council_code = ?`, lad)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	perLSOA, byStatus = map[string]float64{}, map[string]float64{}
	for rows.Next() {
		var name string
		var amount float64
		var paid time.Time
		if err := rows.Scan(&name, &amount, &paid); err != nil {
			t.Fatal(err)
		}
		if !paid.After(from) {
			continue
		}
		k := nameKey(name)
		status := "unmatched"
		switch places := orgs[k]; {
		case k == "" || k == "redacted" || strings.Contains(strings.ToLower(name), "redact"):
			status = "redacted"
		case len(places) > 1:
			status = "ambiguous"
		case len(places) == 1:
			for _, p := range places {
				switch {
				case p.lsoa != "" && p.lad == lad:
					status = "local"
					perLSOA[p.lsoa] += amount
				case p.lad != "":
					status = "elsewhere"
				default:
					status = "postcode_not_placed"
				}
			}
		}
		byStatus[status] += amount
	}
	return perLSOA, byStatus
}

func moneyNear(a, b float64) bool { return math.Abs(a-b) <= 0.01+1e-9*math.Abs(b) }

func TestMoneyTraffordAgainstIndependentSums(t *testing.T) {
	db := moneyDB(t)
	const trafford = "E08000009"
	r, err := Money(t.Context(), db, trafford, LevelWard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Within.Name != "Trafford" || r.SpendMonths != 12 || r.SpendTo.Format("2006-01-02") != "2025-03-31" {
		t.Fatalf("report for %+v, %d months to %v", r.Within, r.SpendMonths, r.SpendTo)
	}

	// Every pound of the 12 months is in exactly one status.
	var all float64
	if err := db.SQL().QueryRowContext(t.Context(), `SELECT sum(amount)::DOUBLE FROM spending WHERE council_code = ? AND payment_date > DATE '2025-03-31' - INTERVAL 12 MONTH`, trafford).Scan(&all); err != nil {
		t.Fatal(err)
	}
	if !moneyNear(r.SpendTotal, all) {
		t.Errorf("spend total %.2f, independent sum of the 12 months %.2f", r.SpendTotal, all)
	}

	perLSOA, byStatus := independentMoney(t, db, trafford)
	for _, st := range r.Spend {
		if !moneyNear(st.Amount, byStatus[st.Status]) {
			t.Errorf("status %s: report £%.2f, independent £%.2f", st.Status, st.Amount, byStatus[st.Status])
		}
		delete(byStatus, st.Status)
	}
	for st, v := range byStatus {
		t.Errorf("status %s (£%.2f) missing from the report", st, v)
	}
	var local float64
	for _, v := range perLSOA {
		local += v
	}
	if !moneyNear(r.SpendLocal, local) || r.SpendLocal <= 0 {
		t.Errorf("spend with local suppliers %.2f, independent %.2f", r.SpendLocal, local)
	}
	// The unmapped share is large and must be reported, not hidden.
	if r.UnplacedPct() < 50 || !strings.Contains(r.UnmappedSentence(), "unmapped") {
		t.Errorf("unplaced %.1f%%: %q", r.UnplacedPct(), r.UnmappedSentence())
	}

	// Wards partition the authority: their residents and money add up.
	var res int64
	var spend, grants float64
	for _, a := range r.Areas {
		res += a.Residents
		spend += a.Spend
		grants += a.Grants
	}
	if len(r.Areas) != 21 || res != r.Residents || !moneyNear(spend, r.SpendLocal) || !moneyNear(grants, r.GrantsPlaced) {
		t.Errorf("%d wards: residents %d of %d, spend %.2f of %.2f, grants %.2f of %.2f", len(r.Areas), res, r.Residents, spend, r.SpendLocal, grants, r.GrantsPlaced)
	}
	// So do the deciles, and the shares sum to 100.
	var resPct, spendPct float64
	var lsoas int
	for _, d := range r.Deciles {
		resPct += d.ResidentsPct
		spendPct += d.SpendPct
		lsoas += d.LSOAs
	}
	if lsoas != 139 || !moneyNear(resPct, 100) || !moneyNear(spendPct, 100) {
		t.Errorf("deciles: %d LSOAs, residents %.3f%%, spend %.3f%%", lsoas, resPct, spendPct)
	}
	// The most deprived fifth: independently, from imd and the LSOA sums.
	var dep, depRes float64
	rows, err := db.SQL().QueryContext(t.Context(), `SELECT a.code, p.population FROM areas a
		JOIN imd i ON i.lsoa_code = a.code AND i.edition = 2025 AND i.imd_decile <= 2
		JOIN population p ON p.area_code = a.code AND p.dataset = 'population-census2021' AND p.sex = 'persons' AND p.age_band = 'all' AND p.area_level = 'lsoa21'
		WHERE a.level = 'lsoa21' AND a.lad_code = ?`, trafford)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code string
		var pop float64
		if err := rows.Scan(&code, &pop); err != nil {
			t.Fatal(err)
		}
		dep += perLSOA[code]
		depRes += pop
	}
	rows.Close()
	if !moneyNear(r.MostDeprived.SpendPct, 100*dep/local) || !moneyNear(r.MostDeprived.ResidentsPct, 100*depRes/float64(r.Residents)) {
		t.Errorf("most deprived 20%%: spend %.3f%% (independent %.3f%%), residents %.3f%% (independent %.3f%%)",
			r.MostDeprived.SpendPct, 100*dep/local, r.MostDeprived.ResidentsPct, 100*depRes/float64(r.Residents))
	}
	if s := r.Sentence(); !strings.Contains(s, "20% most deprived") || !strings.Contains(s, "Trafford") {
		t.Errorf("sentence %q", s)
	}
}

func TestMoneyGrantsTrafford(t *testing.T) {
	db := moneyDB(t)
	r, err := Money(t.Context(), db, "E08000009", LevelWard)
	if err != nil {
		t.Fatal(err)
	}
	// Independently: grants in the five years to the latest award, for
	// Trafford, and those whose recipient's postcode is in a Trafford LSOA.
	var total, byPostcode float64
	if err := db.SQL().QueryRowContext(t.Context(), `
		WITH g AS (SELECT * FROM grants WHERE award_date > (SELECT max(award_date) FROM grants) - INTERVAL 60 MONTH AND amount_awarded IS NOT NULL)
		SELECT sum(amount_awarded)::DOUBLE,
		       coalesce(sum(amount_awarded) FILTER (WHERE upper(replace(recipient_postcode, ' ', '')) IN (SELECT postcode_key FROM postcodes WHERE lad_code = 'E08000009')), 0)::DOUBLE
		FROM g WHERE lad_code = 'E08000009'`).Scan(&total, &byPostcode); err != nil {
		t.Fatal(err)
	}
	if !moneyNear(r.GrantsTotal, total) {
		t.Errorf("grants total %.2f, independent %.2f", r.GrantsTotal, total)
	}
	if r.GrantsPlaced < byPostcode || r.GrantsPlaced > total || byPostcode == 0 {
		t.Errorf("grants placed %.2f: want at least those placed by postcode (%.2f) and at most all (%.2f)", r.GrantsPlaced, byPostcode, total)
	}
	var sum float64
	for _, s := range r.Grants {
		sum += s.Amount
	}
	if !moneyNear(sum, total) {
		t.Errorf("grant statuses add to %.2f, total %.2f", sum, total)
	}
}

// The indicators give the same figures as the report, through the
// ordinary indicator engine (so the SQL console and exports agree).
func TestMoneyIndicatorsAgreeWithReport(t *testing.T) {
	db := moneyDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Money(t.Context(), db, "E08000009", LevelWard)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]MoneyArea{}
	for _, a := range r.Areas {
		byCode[a.Code] = a
	}
	for _, id := range []string{"local_supplier_spend_per_head", "grants_received_per_head"} {
		vs, err := c.Values(t.Context(), db, id, LevelWard, "E08000009")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range vs {
			a, ok := byCode[v.Area.Code]
			if !ok || v.Status != StatusOK {
				continue
			}
			want := a.SpendPerHead
			if id == "grants_received_per_head" {
				want = a.GrantsPerHead
			}
			if math.Abs(v.Value-want) > 0.01 {
				t.Errorf("%s %s: indicator %.4f, report %.4f", id, v.Area.Code, v.Value, want)
			}
			n++
		}
		if n != len(r.Areas) {
			t.Errorf("%s: %d wards compared of %d", id, n, len(r.Areas))
		}
	}
	rs, err := c.ForArea(t.Context(), db, "E08000009", "local_supplier_spend_placed_pc")
	if err != nil {
		t.Fatal(err)
	}
	var placed float64
	for _, s := range r.Spend {
		if s.Status == "local" || s.Status == "elsewhere" {
			placed += s.Amount
		}
	}
	if v := rs[0].Value; rs[0].Status != StatusOK || math.Abs(v-100*placed/r.SpendTotal) > 0.05 {
		t.Errorf("placed share %v, report %.2f%%", v, 100*placed/r.SpendTotal)
	}
}

func TestMoneyCustomAreas(t *testing.T) {
	db := moneyDB(t)
	r, err := Money(t.Context(), db, "E08000009", LevelCustom)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Areas) != 1 || r.Areas[0].Code != customTraffordMoney || r.Areas[0].LSOAs != len(customTraffordMoneyLSOAs) {
		t.Fatalf("custom areas %+v", r.Areas)
	}
	perLSOA, _ := independentMoney(t, db, "E08000009")
	var want float64
	for _, l := range customTraffordMoneyLSOAs {
		want += perLSOA[l]
	}
	if !moneyNear(r.Areas[0].Spend, want) {
		t.Errorf("custom area spend %.2f, independent %.2f", r.Areas[0].Spend, want)
	}
}

func TestMoneyBadInput(t *testing.T) {
	db := emptyDB(t)
	for _, c := range []struct{ within, level string }{
		{"", "ward"}, {"E01006130", "ward"}, {"E08000009'; DROP TABLE areas; --", "ward"}, {"E08000009", "lsoa21"}, {"E08000009", ""},
	} {
		if _, err := Money(t.Context(), db, c.within, c.level); err == nil || !strings.Contains(err.Error(), "bad request") {
			t.Errorf("Money(%q, %q): %v, want a bad request", c.within, c.level, err)
		}
	}
	if _, err := Money(t.Context(), db, "E08000009", "ward"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("empty warehouse: %v, want not found", err)
	}
}

// The matching rules on a hand-made fixture: the suppliers lookup by id
// and by name, a unique name match, a name shared by two places, a
// redacted supplier, one based elsewhere and one not found.
func TestSupplierPlacesRules(t *testing.T) {
	db := emptyDB(t)
	for _, q := range []string{
		`INSERT INTO postcodes (postcode, postcode_key, lsoa21_code, ward_code, lad_code) VALUES
			('ZZ1 1AA', 'ZZ11AA', 'E01999991', 'E05999991', 'E08999999'),
			('ZZ2 2BB', 'ZZ22BB', 'E01999992', 'E05999992', 'E08999998')`,
		`INSERT INTO services (id, dataset, category, name, postcode, location_source, status, lsoa21_code, lad_code) VALUES
			('a', 'test', 'charity', 'THE RIVERSIDE TRUST LIMITED', 'ZZ1 1AA', 'postcode', 'open', 'E01999991', 'E08999999'),
			('b', 'test', 'charity', 'Hilltop Care (North)', 'ZZ2 2BB', 'postcode', 'open', 'E01999992', 'E08999998'),
			('c', 'test', 'school', 'Twin Oaks', 'ZZ1 1AA', 'postcode', 'open', 'E01999991', 'E08999999'),
			('d', 'test', 'school', 'Twin Oaks', 'ZZ2 2BB', 'postcode', 'open', 'E01999992', 'E08999998')`,
		`INSERT INTO spending (council_code, source_file, source_line, payment_date, supplier_name, supplier_id, amount) VALUES
			('E08999999', 'f', 1, DATE '2025-01-01', 'Anything', 'S1', 10),
			('E08999999', 'f', 2, DATE '2025-01-01', 'ACME AND SONS LIMITED', NULL, 20),
			('E08999999', 'f', 3, DATE '2025-01-01', 'Riverside Trust', NULL, 30),
			('E08999999', 'f', 4, DATE '2025-01-01', 'Twin Oaks', NULL, 40),
			('E08999999', 'f', 5, DATE '2025-01-01', 'REDACTED', NULL, 50),
			('E08999999', 'f', 6, DATE '2025-01-01', 'Hilltop Care Ltd', NULL, 60),
			('E08999999', 'f', 7, DATE '2025-01-01', 'Nobody Known', NULL, 70)`,
	} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The suppliers lookup goes through the ordinary ingest (a hand-made
	// file; its bad postcode is rejected, not guessed).
	ds, err := catalog.ByID("suppliers")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: t.TempDir(), Logger: log}, Logger: log}
	sum, err := run.Run(t.Context(), ds, []string{filepath.Join("testdata", "suppliers.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 2 || sum.Rejected != 1 {
		t.Errorf("suppliers load: %d rows, %d rejected; want 2 and 1", sum.Rows, sum.Rejected)
	}
	if _, err := run.Run(t.Context(), ds, nil); err == nil || !strings.Contains(err.Error(), "no official source") {
		t.Errorf("suppliers without files: %v", err)
	}
	want := map[string][3]string{ // name → method, status, lsoa
		"Anything":              {"lookup_id", "local", "E01999991"},
		"ACME AND SONS LIMITED": {"lookup_name", "elsewhere", "E01999992"},
		"Riverside Trust":       {"name", "local", "E01999991"},
		"Twin Oaks":             {"ambiguous", "ambiguous", ""},
		"REDACTED":              {"redacted", "redacted", ""},
		"Hilltop Care Ltd":      {"name", "elsewhere", "E01999992"},
		"Nobody Known":          {"unmatched", "unmatched", ""},
	}
	rows, err := db.SQL().Query(`SELECT supplier_name, method, status, coalesce(lsoa21_code, '') FROM supplier_places`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name string
		var got [3]string
		if err := rows.Scan(&name, &got[0], &got[1], &got[2]); err != nil {
			t.Fatal(err)
		}
		if got != want[name] {
			t.Errorf("%s: got %v, want %v", name, got, want[name])
		}
		n++
	}
	if n != len(want) {
		t.Errorf("%d suppliers, want %d", n, len(want))
	}
}

// Greater Manchester: Manchester's three loaded months (March to May 2022),
// placed by name against the Greater Manchester services, checked against
// the same independent computation; a part year is said to be one.
func TestMoneyManchesterAgainstIndependentSums(t *testing.T) {
	db := moneyDB(t)
	const manchester = "E08000003"
	r, err := Money(t.Context(), db, manchester, LevelWard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Within.Name != "Manchester" || r.SpendMonths != 3 || !r.CouncilPay {
		t.Fatalf("report for %+v: %d months", r.Within, r.SpendMonths)
	}
	perLSOA, byStatus := independentMoney(t, db, manchester)
	var total, local float64
	for _, st := range r.Spend {
		if !moneyNear(st.Amount, byStatus[st.Status]) {
			t.Errorf("status %s: report £%.2f, independent £%.2f", st.Status, st.Amount, byStatus[st.Status])
		}
		total += byStatus[st.Status]
		delete(byStatus, st.Status)
	}
	for st, v := range byStatus {
		t.Errorf("status %s (£%.2f) missing from the report", st, v)
	}
	for _, v := range perLSOA {
		local += v
	}
	if !moneyNear(r.SpendLocal, local) || local <= 0 || !moneyNear(r.SpendTotal, total) {
		t.Errorf("local %.2f (independent %.2f), total %.2f (independent %.2f)", r.SpendLocal, local, r.SpendTotal, total)
	}
	var wards float64
	for _, a := range r.Areas {
		wards += a.Spend
	}
	if len(r.Areas) < 30 || !moneyNear(wards, r.SpendLocal) {
		t.Errorf("%d wards with £%.2f of £%.2f", len(r.Areas), wards, r.SpendLocal)
	}
	// No 360Giving grants are loaded for Manchester: none, not zero per head.
	if r.GrantsTotal != 0 || len(r.Grants) != 0 {
		t.Errorf("grants for Manchester: %+v", r.Grants)
	}
}
