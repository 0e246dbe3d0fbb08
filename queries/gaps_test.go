package queries

import (
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// handDB builds the hand-worked case of docs/METHODS.md ("The flag, worked
// by hand"): two local authorities on a line of centroids, one GP practice
// each.
//
//	A (E06000001): L01..L10 at 53.0 N, 0.01 degrees of longitude apart
//	  eastwards from 2.0 W (0.67 km); its practice at 2.0 W, 53.0 N.
//	B (E06000002): M1..M5 at 54.0 N, the same spacing; its practice 8 km
//	  north of M0 (54.072 N, 2.0 W), so every M is further than any L.
func handDB(t *testing.T) *warehouse.DB {
	db := emptyDB(t)
	ex := func(q string, args ...any) {
		t.Helper()
		if _, err := db.SQL().ExecContext(t.Context(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// health rank and decile per LSOA, chosen so the worked answer is:
	// England need (decile <= 2): L01, L02, L10, M2, M3, M5;
	// local need (5r <= n): A: L01, L10; B: M5.
	health := map[string][2]int{
		"L01": {50, 1}, "L02": {5000, 2}, "L03": {25000, 8}, "L04": {26000, 8}, "L05": {27000, 9},
		"L06": {28000, 9}, "L07": {29000, 9}, "L08": {30000, 10}, "L09": {20000, 7}, "L10": {100, 1},
		"M1": {15000, 5}, "M2": {200, 1}, "M3": {6000, 2}, "M4": {30000, 10}, "M5": {10, 1},
	}
	add := func(code, lad string, lon, lat float64) {
		ex(`INSERT INTO areas (code, name, level, vintage, lad_code, centroid_lon, centroid_lat) VALUES (?, ?, 'lsoa11', 2011, ?, ?, ?)`,
			code, "Test "+code, lad, lon, lat)
		ex(`INSERT INTO population VALUES ('population-sape', ?, 'lsoa11', 2017, 'persons', 'all', NULL, NULL, 1500)`, code)
		h := health[code]
		ex(`INSERT INTO imd (edition, lsoa_code, lsoa_vintage, lad_code, imd_decile, health_rank, health_decile, pop_total, pop_0_15)
			VALUES (2019, ?, 2011, ?, 5, ?, ?, 1500, 300)`, code, lad, h[0], h[1])
	}
	for i := 1; i <= 10; i++ {
		add(fmt.Sprintf("L%02d", i), "E06000001", -2.0+0.01*float64(i), 53.0)
	}
	for i := 1; i <= 5; i++ {
		add(fmt.Sprintf("M%d", i), "E06000002", -2.0+0.01*float64(i), 54.0)
	}
	// Each practice lies in the first LSOA of its authority (for coverage).
	ex(`INSERT INTO services (id, dataset, category, status, lon, lat, location_source, lsoa11_code) VALUES
		('t:A', 'test', 'gp_practice', 'open', -2.0, 53.0, 'given', 'L01'),
		('t:B', 'test', 'gp_practice', 'open', -2.0, 54.072, 'given', 'M1'),
		('t:B2', 'test', 'gp_practice', 'closed', -2.0, 54.0, 'given', 'M1')`)
	return db
}

func TestAccessFlagsHandWorked(t *testing.T) {
	db := handDB(t)
	b, err := RefreshAccess(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if b.Rows != 15 || b.Types != 1 {
		t.Fatalf("built %+v, want 15 rows of 1 type", b)
	}
	type row struct {
		code                                                    string
		km                                                      float64
		within, accessRank, accessLA                            int
		needEng, needLA, accEng, accLA, flagEng, flagLA, beyond bool
	}
	rows, err := db.SQL().QueryContext(t.Context(), `SELECT lsoa11_code, nearest_km, services_within, access_rank, access_rank_la,
		need_worst20_england, need_worst20_la, access_worst20_england, access_worst20_la, flag_england, flag_la, beyond_threshold
		FROM service_access WHERE service = 'gp' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]row{}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.code, &r.km, &r.within, &r.accessRank, &r.accessLA, &r.needEng, &r.needLA, &r.accEng, &r.accLA, &r.flagEng, &r.flagLA, &r.beyond); err != nil {
			t.Fatal(err)
		}
		got[r.code] = r
	}
	set := func(f func(row) bool) []string {
		var out []string
		for c, r := range got {
			if f(r) {
				out = append(out, c)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct {
		name string
		f    func(row) bool
		want string
	}{
		{"need, England (decile <= 2)", func(r row) bool { return r.needEng }, "[L01 L02 L10 M2 M3 M5]"},
		// A has 10 LSOAs: ranks 1-2 (5r <= 10); B has 5: rank 1.
		{"need, local authority", func(r row) bool { return r.needLA }, "[L01 L10 M5]"},
		// 15 covered LSOAs: the 3 furthest (5r <= 15) are all in B.
		{"access, England", func(r row) bool { return r.accEng }, "[M3 M4 M5]"},
		{"access, local authority", func(r row) bool { return r.accLA }, "[L09 L10 M5]"},
		{"flag, England", func(r row) bool { return r.flagEng }, "[M3 M5]"},
		{"flag, local authority", func(r row) bool { return r.flagLA }, "[L10 M5]"},
		// 0.01 degree at 53 N is 0.669 km: L01, L02 are within 1.5 km.
		{"beyond 1.5 km", func(r row) bool { return r.beyond }, "[L03 L04 L05 L06 L07 L08 L09 L10 M1 M2 M3 M4 M5]"},
	} {
		if g := fmt.Sprint(set(c.f)); g != c.want {
			t.Errorf("%s: %s, want %s", c.name, g, c.want)
		}
	}
	if r := got["L01"]; math.Abs(r.km-0.6692) > 0.001 || r.within != 1 || r.accessLA != 10 {
		t.Errorf("L01: %+v", r)
	}
	if r := got["M5"]; r.accessRank != 1 || r.accessLA != 1 {
		t.Errorf("M5: %+v", r)
	}

	// The report for A and its sentences.
	rep, err := Gaps(t.Context(), db, "gp", "E06000001")
	if err == nil {
		t.Fatalf("E06000001 has no areas row, want ErrNoArea, got %+v", rep.Within)
	}
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO areas (code, name, level, vintage) VALUES ('E06000001', 'Aton', 'lad', 2023)`); err != nil {
		t.Fatal(err)
	}
	rep, err = Gaps(t.Context(), db, "gp", "E06000001")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Covered.LSOAs != 10 || rep.Beyond.LSOAs != 8 || rep.Beyond.Residents != 12000 || rep.BeyondNeed.LSOAs != 1 ||
		rep.FlaggedLA.LSOAs != 1 || rep.FlaggedEngland.LSOAs != 0 || rep.Services != 1 || rep.Rows[0].LSOA != "L10" {
		t.Errorf("report: %+v", rep)
	}
	if got, want := *rep.Per10k, 1/15000.0*10000; math.Abs(got-want) > 1e-9 {
		t.Errorf("per 10k %v, want %v", got, want)
	}
	s := rep.Sentences()
	want := "About 12,000 residents of Aton live in neighbourhoods whose centre is more than 1.5 km in a straight line from the nearest GP practice; " +
		"about 1,500 of them (13%) are in the 20% most deprived neighbourhoods in England for health deprivation and disability."
	if s[0] != want {
		t.Errorf("sentence\n got %s\nwant %s", s[0], want)
	}
	if _, err := Gaps(t.Context(), db, "launderette", "E06000001"); err == nil {
		t.Error("unknown service accepted")
	}

	// Staleness: built from no runs, so fresh until a run is recorded.
	if stale, err := AccessStale(t.Context(), db); err != nil || stale {
		t.Errorf("stale %v %v after a build", stale, err)
	}
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO ingest_runs (run_id, dataset, started_at, status) VALUES (99, 'x', now(), 'ok')`); err != nil {
		t.Fatal(err)
	}
	if stale, err := AccessStale(t.Context(), db); err != nil || !stale {
		t.Errorf("stale %v %v after a new run", stale, err)
	}
}

func TestPeople(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "no"}, {7, "fewer than 100"}, {99, "fewer than 100"}, {100, "about 100"}, {456, "about 460"}, {3249, "about 3,200"}, {3250, "about 3,300"}, {123456, "about 120,000"}} {
		if got := people(c.n); got != c.want {
			t.Errorf("people(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// The grid search against a brute-force scan, on points around England
// with clusters and empty stretches.
func TestPointGridMatchesBruteForce(t *testing.T) {
	var svc, q []lonLat
	seed := uint64(12345)
	rnd := func() float64 {
		seed = seed*6364136223846793005 + 1442695040888963407
		return float64(seed>>11) / (1 << 53)
	}
	for i := 0; i < 3000; i++ {
		lon, lat := -5.5+rnd()*7, 50+rnd()*5.5
		if i%3 == 0 { // a town
			lon, lat = -2.3+rnd()*0.2, 53.4+rnd()*0.1
		}
		svc = append(svc, lonLat{lon, lat})
	}
	for i := 0; i < 2000; i++ {
		q = append(q, lonLat{-6 + rnd()*8, 49.8 + rnd()*6})
	}
	g := newPointGrid(svc, 56)
	for _, p := range q {
		best, n := math.Inf(1), 0
		for _, s := range svc {
			d := greatCircleKm(p.lon, p.lat, s.lon, s.lat)
			best = math.Min(best, d)
			if d <= 2 {
				n++
			}
		}
		got, _ := g.nearest(p)
		if math.Abs(got-best) > 1e-9 {
			t.Fatalf("nearest to %v: %v, brute force %v", p, got, best)
		}
		if w := g.within(p, 2); w != n {
			t.Fatalf("within 2 km of %v: %d, brute force %d", p, w, n)
		}
	}
	if d, i := newPointGrid(nil, 56).nearest(lonLat{0, 52}); !math.IsInf(d, 1) || i != -1 {
		t.Errorf("empty grid: %v %v", d, i)
	}
}

var (
	gmOnce sync.Once
	gmDir  string
	gmWH   *warehouse.DB
	gmErr  error
)

// closeGM closes the Greater Manchester warehouse and removes its files
// (called from TestMain).
func closeGM() {
	if gmWH != nil {
		gmWH.Close()
	}
	if gmDir != "" {
		os.RemoveAll(gmDir)
	}
}

// gmDB loads Greater Manchester's LSOAs (2011), all England's population
// and IMD 2019, and the GM and Trafford service lists plus the national
// schools list, then builds service_access. Its own warehouse: the shared
// realDB has no services, and its golden sentences depend on that.
func gmDB(t *testing.T) *warehouse.DB { return gmDBB(t) }

func gmDBB(t testing.TB) *warehouse.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("loads Greater Manchester's shared data (about 15 s)")
	}
	dd := sharedData(t)
	gmOnce.Do(func() {
		start := time.Now()
		gmDir, gmErr = os.MkdirTemp("", "gaps-test-")
		if gmErr != nil {
			return
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		gmWH, gmErr = warehouse.Open(t.Context(), filepath.Join(gmDir, "gm.duckdb"), warehouse.Options{Logger: log})
		if gmErr != nil {
			return
		}
		var bounds []string
		for i := 1; i <= 10; i++ {
			bounds = append(bounds, fmt.Sprintf("boundaries/lsoa2011_by_lad/E080000%02d.json.gz", i))
		}
		g := "services/greater_manchester/"
		loads := []struct {
			id    string
			files []string
		}{
			{"lookup-lsoa-ward-lad", []string{"lookups/LSOA11_WD21_LAD21_EW_LU.csv"}},
			{"boundaries-lsoa11", bounds},
			{"boundaries-lad", []string{"boundaries/greater_manchester/gm_lad2023_generalised.geojson"}},
			{"population-sape", []string{"population/pop_table_SAPE20DT1_mid2017_population_estimates.csv"}},
			{"imd2019", []string{"deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
				"deprivation/iod2019/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
				"deprivation/iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz"}},
			{"postcodes", []string{"lookups/postcodes/trafford_postcodes.csv"}},
			// NHS Digital's list (with ODS codes, located by Trafford's
			// postcodes) and Trafford's own (no codes): the same practices.
			{"gp-practices", []string{"services/epraccur.csv"}},
			{"trafford-gp-practices", []string{g + "trafford_general_practices.geojson"}},
			{"gm-pharmacies", []string{g + "gm_pharmacies.geojson"}},
			{"gm-libraries", []string{g + "gm_libraries.geojson"}},
			{"gm-food-banks", []string{g + "gm_food_banks.geojson"}},
			{"trafford-childrens-centres", []string{g + "trafford_childrens_centres.csv"}},
			{"schools", []string{"services/gias/gias_open_schools_england_20250524_derived.csv"}},
			{"trafford-schools", []string{g + "trafford_schools_and_colleges.geojson"}},
		}
		r := &ingest.Runner{DB: gmWH, Fetcher: &source.Fetcher{CacheDir: filepath.Join(gmDir, "cache"), Logger: log}, Logger: log}
		for _, l := range loads {
			ds, err := catalog.ByID(l.id)
			if err != nil {
				gmErr = err
				return
			}
			var paths []string
			for _, f := range l.files {
				paths = append(paths, filepath.Join(dd, f))
			}
			if _, err := r.Run(t.Context(), ds, paths); err != nil {
				gmErr = err
				return
			}
		}
		if gmErr = syncDatasets(t, gmWH); gmErr != nil {
			return
		}
		_, gmErr = RefreshAccess(t.Context(), gmWH)
		t.Logf("loaded Greater Manchester in %v", time.Since(start).Round(time.Millisecond))
	})
	if gmErr != nil {
		t.Fatal(gmErr)
	}
	return gmWH
}

// An independent brute-force computation of service_access on real
// Greater Manchester data: services deduplicated in Go, every LSOA against
// every service, ranks and flags recomputed from their definitions.
func TestAccessRealBruteForce(t *testing.T) {
	db := gmDB(t)
	ctx := t.Context()
	type svc struct {
		lon, lat float64
		lsoa     string
		rank     int
		id       string
	}
	lsoaLAD := map[string]string{}
	type cen struct {
		code, lad string
		lon, lat  float64
	}
	var cens []cen
	rows, err := db.SQL().QueryContext(ctx, `SELECT code, lad_code, centroid_lon, centroid_lat FROM areas WHERE level = 'lsoa11'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c cen
		if err := rows.Scan(&c.code, &c.lad, &c.lon, &c.lat); err != nil {
			t.Fatal(err)
		}
		lsoaLAD[c.code] = c.lad
		cens = append(cens, c)
	}
	rows.Close()
	if len(cens) < 1600 {
		t.Fatalf("%d GM LSOAs", len(cens))
	}
	for _, tc := range []struct {
		key, category string
		minLADs       int
	}{{"gp", "gp_practice", 1}, {"pharmacy", "pharmacy", 10}, {"food_bank", "food_bank", 10}, {"school", "school", 10}, {"childrens_centre", "childrens_centre", 1}} {
		t.Run(tc.key, func(t *testing.T) {
			st, _ := ServiceTypeByKey(tc.key)
			// Dedupe in Go: one location per publisher code, the best.
			best := map[string]svc{}
			// A service with no publisher's code takes the code of one with
			// the same name (letters and digits, any case) at the same place
			// to 0.01 degrees (about 1 km), as the map counts them.
			norm := func(v string) string {
				var b strings.Builder
				for _, r := range strings.ToUpper(v) {
					if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
						b.WriteRune(r)
					}
				}
				return b.String()
			}
			coded := map[string]string{}
			place := func(lon, lat float64) string {
				r := func(x float64) float64 { return math.Round(x*100) / 100 }
				return fmt.Sprintf("%.2f,%.2f", r(lon), r(lat))
			}
			rows, err := db.SQL().QueryContext(ctx, `SELECT source_id, name, lon, lat FROM services
				WHERE category = ? AND source_id IS NOT NULL AND name IS NOT NULL AND lon IS NOT NULL AND lat IS NOT NULL`, tc.category)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id, name string
				var lon, lat float64
				if err := rows.Scan(&id, &name, &lon, &lat); err != nil {
					t.Fatal(err)
				}
				k := norm(name) + "|" + place(lon, lat)
				if o, ok := coded[k]; !ok || id < o {
					coded[k] = id
				}
			}
			rows.Close()
			rows, err = db.SQL().QueryContext(ctx, `SELECT id, source_id, coalesce(name, ''), coalesce(postcode, ''), lon, lat, location_source, coalesce(lsoa11_code, '')
				FROM services WHERE category = ? AND status = 'open' AND lon IS NOT NULL`, tc.category)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id, name, pc, ls, lsoa string
				var src sql.NullString
				var s svc
				if err := rows.Scan(&id, &src, &name, &pc, &s.lon, &s.lat, &ls, &lsoa); err != nil {
					t.Fatal(err)
				}
				key := id
				if src.Valid {
					key = src.String
				} else if c, ok := coded[norm(name)+"|"+place(s.lon, s.lat)]; ok && name != "" {
					key = c
				}
				s.lsoa, s.id = lsoa, id
				s.rank = map[string]int{"given": 0, "bng": 1, "polygon_centroid": 2}[ls]
				if _, ok := map[string]bool{"given": true, "bng": true, "polygon_centroid": true}[ls]; !ok {
					s.rank = 3
				}
				if o, ok := best[key]; !ok || s.rank < o.rank || (s.rank == o.rank && s.id < o.id) {
					best[key] = s
				}
			}
			rows.Close()
			covered := map[string]bool{}
			inLSOA := map[string]int{}
			for _, s := range best {
				if lad := lsoaLAD[s.lsoa]; lad != "" {
					covered[lad] = true
					inLSOA[s.lsoa]++
				}
			}
			if len(covered) < tc.minLADs {
				t.Fatalf("%d authorities covered", len(covered))
			}
			type want struct {
				km     float64
				within int
			}
			all := make([]svc, 0, len(best))
			for _, s := range best {
				all = append(all, s)
			}
			wants := map[string]want{}
			for _, c := range cens {
				if !covered[c.lad] {
					continue
				}
				w := want{km: math.Inf(1)}
				for _, s := range all {
					// A latitude difference alone bounds the distance from
					// below (R times the angle): skip what cannot matter.
					if dy := math.Abs(s.lat-c.lat) * math.Pi / 180 * 6371.0088; dy > w.km && dy > st.ThresholdKm {
						continue
					}
					d := haversineTest(c.lon, c.lat, s.lon, s.lat)
					w.km = math.Min(w.km, d)
					if d <= st.ThresholdKm {
						w.within++
					}
				}
				wants[c.code] = w
			}
			rows, err = db.SQL().QueryContext(ctx, `SELECT lsoa11_code, lad_code, nearest_km, services_within, services_in_lsoa, access_rank_la, lsoas_la,
				access_worst20_la, need_rank, need_worst20_england, need_worst20_la, flag_england, flag_la, coalesce(population, -1)
				FROM service_access WHERE service = ?`, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			type got struct {
				lad                                  string
				km                                   float64
				within, in, accRankLA, nLA, needRank int
				accLA, needEng, needLA, fEng, fLA    bool
				pop                                  int64
			}
			gots := map[string]got{}
			for rows.Next() {
				var code string
				var g got
				if err := rows.Scan(&code, &g.lad, &g.km, &g.within, &g.in, &g.accRankLA, &g.nLA, &g.accLA, &g.needRank, &g.needEng, &g.needLA, &g.fEng, &g.fLA, &g.pop); err != nil {
					t.Fatal(err)
				}
				gots[code] = g
			}
			rows.Close()
			if len(gots) != len(wants) {
				t.Fatalf("%d rows, brute force covers %d LSOAs", len(gots), len(wants))
			}
			// Per authority: the rank rules recomputed in Go.
			byLAD := map[string][]string{}
			for code, g := range gots {
				w, ok := wants[code]
				if !ok {
					t.Fatalf("%s not covered by brute force", code)
				}
				if math.Abs(g.km-w.km) > 1e-9 || g.within != w.within || g.in != inLSOA[code] {
					t.Errorf("%s: km %v within %d in %d; brute force %v, %d, %d", code, g.km, g.within, g.in, w.km, w.within, inLSOA[code])
				}
				if g.pop <= 0 {
					t.Errorf("%s: population %d", code, g.pop)
				}
				byLAD[g.lad] = append(byLAD[g.lad], code)
			}
			flagged := 0
			for _, codes := range byLAD {
				n := len(codes)
				for _, c := range codes {
					g := gots[c]
					further, moreDeprived := 0, 0
					for _, o := range codes {
						if gots[o].km > g.km {
							further++
						}
						if gots[o].needRank < g.needRank {
							moreDeprived++
						}
					}
					accLA := 5*(further+1) <= n
					needLA := 5*(moreDeprived+1) <= n
					if g.accRankLA != further+1 || g.nLA != n || g.accLA != accLA || g.needLA != needLA || g.fLA != (accLA && needLA) {
						t.Errorf("%s: rank %d of %d, worst fifth %v, need %v, flag %v; by hand rank %d of %d, %v, %v",
							c, g.accRankLA, g.nLA, g.accLA, g.needLA, g.fLA, further+1, n, accLA, needLA)
					}
					if g.fLA {
						flagged++
					}
				}
			}
			t.Logf("%s: %d LSOAs, %d authorities, %d services, %d flagged locally", tc.key, len(gots), len(covered), len(best), flagged)
		})
	}
}

// haversineTest is written out again so the check does not share code with
// what it checks.
func haversineTest(lon1, lat1, lon2, lat2 float64) float64 {
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * 6371.0088 * math.Atan2(math.Sqrt(h), math.Sqrt(1-h))
}

// The gaps report agrees with the distance_gp_km indicator, which finds
// the nearest practice by its own grid in SQL, and with the population
// table for Trafford's residents.
func TestGapsReportRealTrafford(t *testing.T) {
	db := gmDB(t)
	rep, err := Gaps(t.Context(), db, "gp", "E08000009")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Within.Name != "Trafford" && rep.Within.Code != "E08000009" {
		t.Errorf("within %+v", rep.Within)
	}
	pop := one[int64](t, db, `SELECT sum(p.population) FROM population p JOIN areas a ON a.code = p.area_code AND a.level = 'lsoa11'
		WHERE p.dataset = 'population-sape' AND p.area_level = 'lsoa11' AND p.age_band = 'all' AND a.lad_code = 'E08000009'`)
	// 26 practices in Trafford's list, 26 located from the national one:
	// the same practices, counted once by name and place (a few names
	// differ between the lists).
	if rep.Services < 26 || rep.Services > 32 {
		t.Errorf("%d GP practices in Trafford, want 26-32 (the national and local lists counted once)", rep.Services)
	}
	if rep.Covered.LSOAs != 138 || rep.Covered.Residents != pop || rep.Covered.Population != pop {
		t.Errorf("covered %+v, Trafford has 138 LSOAs and %d residents", rep.Covered, pop)
	}
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.ForArea(t.Context(), db, "E08000009", "distance_gp_km", "gp_practices_per_10k")
	if err != nil {
		t.Fatal(err)
	}
	ind := find(t, rs, "distance_gp_km")
	if rep.MeanKm == nil || math.Abs(ind.Value-*rep.MeanKm) > 1e-9 {
		t.Errorf("distance_gp_km %v, gaps report %v", ind.Value, rep.MeanKm)
	}
	per := find(t, rs, "gp_practices_per_10k")
	if rep.Per10k == nil || math.Abs(per.Value-*rep.Per10k) > 1e-9 {
		t.Errorf("gp_practices_per_10k %v, gaps report %v", per.Value, rep.Per10k)
	}
	// Beyond-threshold residents, summed by hand from the table.
	beyond := one[int64](t, db, `SELECT coalesce(sum(residents), 0) FROM service_access WHERE service = 'gp' AND lad_code = 'E08000009' AND nearest_km > 1.5`)
	if rep.Beyond.Residents != beyond {
		t.Errorf("beyond %d, by hand %d", rep.Beyond.Residents, beyond)
	}
	for _, s := range rep.Sentences() {
		t.Log(s)
	}
	if n := rep.CoverageNote(); n == "" {
		t.Error("GP practices are loaded for Trafford only; the coverage note is missing")
	}
	// Schools are for children: the population is children aged 0-15.
	sch, err := Gaps(t.Context(), db, "school", "E08000009")
	if err != nil {
		t.Fatal(err)
	}
	kids := one[int64](t, db, `SELECT sum(pop_0_15) FROM imd WHERE edition = 2019 AND lad_code = 'E08000009'`)
	if sch.Covered.Population != kids || sch.PopulationGroup != "children aged 0-15" {
		t.Errorf("school population %d (%s), Trafford children %d", sch.Covered.Population, sch.PopulationGroup, kids)
	}
}
