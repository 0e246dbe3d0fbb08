package dashboard

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// areaDir is what a profile needs to know about areas, read once per data
// version: every area (no geometry), which LSOAs each is made of, IMD
// deciles and the open services with a location. The warehouse answers
// these with small queries, but area_lsoas is a view over every LSOA, so
// each one costs milliseconds; a first visit to a profile asked a dozen.
// On all-England data it is about 20 MB and takes about a second to read.
type areaDir struct {
	areas map[string][]*Area // by code, best first (as findArea orders them)
	// lsoas are the LSOA rows by vintage and code.
	lsoas map[lsoaKey]*Area
	// members are each area's LSOAs (area_lsoas), by code and level.
	members map[areaKey][]member
	// wards of each local authority (level ward), by name.
	wards map[string][]*Area
	imd   map[lsoaKey][]imdDecile
	// services are the open services with a location, in (dataset, id)
	// order, so the first of duplicates is the one the SQL kept.
	services []dirService
	money    moneyPresence
	built    time.Duration
}

// moneyPresence says which codes have any spending or grant rows, so a
// profile with no money (most of England) skips the money section's SQL.
type moneyPresence struct {
	councils map[string]bool  // spending.council_code
	grantLAD map[string]bool  // grants.lad_code
	ward     map[string]bool  // grants.ward_code
	lsoa21   map[string]bool  // grants.lsoa21_code
	ladOnly  map[string]int64 // grants placed only at authority level, by lad_code
}

type lsoaKey struct {
	code    string
	vintage int
}

type areaKey struct{ code, level string }

// member is one LSOA of an area; custom and best-fit members carry the
// population given in area_members.
type member struct {
	lsoa       *Area
	fromTable  bool // in area_members (best fit), not the lookups
	population sql.NullInt64
	share      float64
}

type imdDecile struct{ edition, decile int }

type dirService struct {
	category, name, address string
	lon, lat                float64
	lsoa11, lsoa21          string
	dedupe                  string // category, name folded and place rounded
}

// directory returns the area directory of the current data version.
func (s *Server) directory(ctx context.Context) (*areaDir, error) {
	return cachedPinned(ctx, s, "dir", s.loadDirectory)
}

func (s *Server) loadDirectory(ctx context.Context) (*areaDir, error) {
	start := time.Now()
	d := &areaDir{areas: map[string][]*Area{}, lsoas: map[lsoaKey]*Area{}, members: map[areaKey][]member{},
		wards: map[string][]*Area{}, imd: map[lsoaKey][]imdDecile{}}
	db := s.db.SQL()
	synthetic := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT dataset, arg_max(synthetic, run_id) FROM ingest_runs WHERE status = 'ok' GROUP BY dataset`)
	if err != nil {
		return nil, fmt.Errorf("area directory: %w", err)
	}
	for rows.Next() {
		var ds string
		var syn sql.NullBool
		if err := rows.Scan(&ds, &syn); err != nil {
			rows.Close()
			return nil, fmt.Errorf("area directory: %w", err)
		}
		synthetic[ds] = syn.Bool
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("area directory: %w", err)
	}

	rows, err = db.QueryContext(ctx, `SELECT code, coalesce(name, ''), level, coalesce(vintage, 0), coalesce(lad_code, ''), coalesce(ward_code, ''),
		coalesce(msoa_code, ''), coalesce(population, 0), coalesce(population_year, 0), coalesce(minx, 0), coalesce(miny, 0), coalesce(maxx, 0),
		coalesce(maxy, 0), coalesce(centroid_lon, 0), coalesce(centroid_lat, 0), coalesce(dataset, '') FROM areas`)
	if err != nil {
		return nil, fmt.Errorf("area directory: %w", err)
	}
	// Levels, datasets and parent codes repeat across 40,000 rows: keep
	// one copy of each.
	strs := map[string]string{}
	intern := func(p *string) {
		if v, ok := strs[*p]; ok {
			*p = v
		} else {
			strs[*p] = *p
		}
	}
	type parents struct{ ward, msoa string }
	var all []*Area
	var par []parents
	for rows.Next() {
		a := new(Area)
		var p parents
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &a.Vintage, &a.LADCode, &p.ward, &p.msoa, &a.Population, &a.PopulationYear,
			&a.MinX, &a.MinY, &a.MaxX, &a.MaxY, &a.Lon, &a.Lat, &a.Dataset); err != nil {
			rows.Close()
			return nil, fmt.Errorf("area directory: %w", err)
		}
		for _, p := range []*string{&a.Level, &a.LADCode, &p.ward, &p.msoa, &a.Dataset} {
			intern(p)
		}
		a.WardCode = p.ward
		a.Synthetic = synthetic[a.Dataset]
		all, par = append(all, a), append(par, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("area directory: %w", err)
	}
	names := map[areaKey]string{}
	for _, a := range all {
		if a.Level == "lad" || a.Level == "ward" {
			if _, ok := names[areaKey{a.Code, a.Level}]; !ok {
				names[areaKey{a.Code, a.Level}] = a.Name
			}
		}
	}
	for i, a := range all {
		a.LADName, a.WardName = names[areaKey{a.LADCode, "lad"}], names[areaKey{a.WardCode, "ward"}]
		d.areas[a.Code] = append(d.areas[a.Code], a)
		switch a.Level {
		case "lsoa11", "lsoa21":
			d.lsoas[lsoaKey{a.Code, a.Vintage}] = a
			// area_lsoas: the LSOA itself, its ward, MSOA (2021), authority
			// and England.
			d.addMember(a.Code, a.Level, member{lsoa: a})
			if par[i].ward != "" {
				d.addMember(par[i].ward, "ward", member{lsoa: a})
			}
			if par[i].msoa != "" && a.Level == "lsoa21" {
				d.addMember(par[i].msoa, "msoa21", member{lsoa: a})
			}
			if a.LADCode != "" {
				d.addMember(a.LADCode, "lad", member{lsoa: a})
			}
			if strings.HasPrefix(a.Code, "E01") {
				d.addMember("E92000001", "country", member{lsoa: a})
			}
		case "ward":
			if a.LADCode != "" {
				d.wards[a.LADCode] = append(d.wards[a.LADCode], a)
			}
		}
	}
	for code, as := range d.areas {
		// findArea's order: authority, ward, the rest; with a parent first;
		// LSOA 2011 last.
		rank := func(a *Area) int {
			r := 0
			switch a.Level {
			case "lad":
			case "ward":
				r = 10
			default:
				r = 20
			}
			if a.LADCode == "" {
				r += 2
			}
			if a.Level == "lsoa11" {
				r++
			}
			return r
		}
		slices.SortStableFunc(as, func(x, y *Area) int { return cmp.Compare(rank(x), rank(y)) })
		d.areas[code] = as
	}
	// An authority's wards are its newest set and the older wards its
	// LSOAs still name (unchanged codes), not the wards a newer set
	// replaced (queries' areaIndex keeps the same rule).
	named := map[string]bool{}
	for _, p := range par {
		if p.ward != "" {
			named[p.ward] = true
		}
	}
	for lad, ws := range d.wards {
		newest := 0
		for _, w := range ws {
			newest = max(newest, w.Vintage)
		}
		ws = slices.DeleteFunc(ws, func(w *Area) bool { return w.Vintage != newest && !named[w.Code] })
		slices.SortStableFunc(ws, func(x, y *Area) int { return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.Code, y.Code)) })
		d.wards[lad] = ws
	}

	rows, err = db.QueryContext(ctx, `SELECT area_code, area_level, lsoa_code, lsoa_vintage, population, coalesce(population_share, 0) FROM area_members`)
	if err != nil {
		return nil, fmt.Errorf("area directory: members: %w", err)
	}
	for rows.Next() {
		var code, level, lsoa string
		var v int
		m := member{fromTable: true}
		if err := rows.Scan(&code, &level, &lsoa, &v, &m.population, &m.share); err != nil {
			rows.Close()
			return nil, fmt.Errorf("area directory: members: %w", err)
		}
		if m.lsoa = d.lsoas[lsoaKey{lsoa, v}]; m.lsoa == nil {
			continue // its boundary is not loaded: nothing to show or join
		}
		d.addMember(code, level, m)
		// A ward no lookup covers got its LSOAs by best fit: those LSOAs'
		// lookup ward is then an older one with no area of its own
		// (Trafford's 2022 wards, replaced in 2023), so the LSOA's profile
		// names the ward it is in now instead of linking to nothing.
		if level == "ward" && m.lsoa.WardName == "" {
			if n, ok := names[areaKey{code, "ward"}]; ok {
				m.lsoa.WardCode, m.lsoa.WardName = code, n
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("area directory: members: %w", err)
	}

	if ok, err := hasTable(ctx, s.db, "imd"); err != nil {
		return nil, err
	} else if ok {
		if err := scanRows(ctx, db, `SELECT edition, imd_decile, lsoa_code, lsoa_vintage FROM imd WHERE imd_decile BETWEEN 1 AND 10`, func(r *sql.Rows) error {
			var x imdDecile
			var k lsoaKey
			err := r.Scan(&x.edition, &x.decile, &k.code, &k.vintage)
			d.imd[k] = append(d.imd[k], x)
			return err
		}); err != nil {
			return nil, fmt.Errorf("area directory: deprivation: %w", err)
		}
	}
	if ok, err := hasTable(ctx, s.db, "services"); err != nil {
		return nil, err
	} else if ok {
		if err := scanRows(ctx, db, `SELECT category, coalesce(name, ''), trim(coalesce(address, '') || ' ' || coalesce(postcode, '')),
			lon, lat, coalesce(lsoa11_code, ''), coalesce(lsoa21_code, '') FROM services
			WHERE status = 'open' AND lon IS NOT NULL AND lat IS NOT NULL ORDER BY dataset, id`, func(r *sql.Rows) error {
			var sv dirService
			err := r.Scan(&sv.category, &sv.name, &sv.address, &sv.lon, &sv.lat, &sv.lsoa11, &sv.lsoa21)
			sv.dedupe = serviceKey(sv.category, sv.name, sv.lon, sv.lat)
			d.services = append(d.services, sv)
			return err
		}); err != nil {
			return nil, fmt.Errorf("area directory: services: %w", err)
		}
	}
	if d.money, err = readMoneyPresence(ctx, db); err != nil {
		return nil, err
	}
	d.built = time.Since(start)
	s.log.Info("area directory read", "areas", len(all), "services", len(d.services), "duration_ms", d.built.Milliseconds())
	return d, nil
}

func readMoneyPresence(ctx context.Context, db *sql.DB) (moneyPresence, error) {
	m := moneyPresence{councils: map[string]bool{}, grantLAD: map[string]bool{}, ward: map[string]bool{},
		lsoa21: map[string]bool{}, ladOnly: map[string]int64{}}
	for _, q := range []struct {
		sql string
		set map[string]bool
	}{
		{`SELECT DISTINCT council_code FROM spending WHERE council_code IS NOT NULL`, m.councils},
		{`SELECT DISTINCT lad_code FROM grants WHERE lad_code IS NOT NULL`, m.grantLAD},
		{`SELECT DISTINCT ward_code FROM grants WHERE ward_code IS NOT NULL`, m.ward},
		{`SELECT DISTINCT lsoa21_code FROM grants WHERE lsoa21_code IS NOT NULL`, m.lsoa21},
	} {
		if err := scanRows(ctx, db, q.sql, func(r *sql.Rows) error {
			var c string
			err := r.Scan(&c)
			q.set[c] = true
			return err
		}); err != nil {
			return m, fmt.Errorf("area directory: money: %w", err)
		}
	}
	if err := scanRows(ctx, db, `SELECT lad_code, count(*) FROM grants
		WHERE lad_code IS NOT NULL AND ward_code IS NULL AND lsoa21_code IS NULL GROUP BY 1`, func(r *sql.Rows) error {
		var c string
		var n int64
		err := r.Scan(&c, &n)
		m.ladOnly[c] = n
		return err
	}); err != nil {
		return m, fmt.Errorf("area directory: money: %w", err)
	}
	return m, nil
}

// noMoney reports whether a's money section is certainly empty (nil), from
// the presence sets alone.
func (d *areaDir) noMoney(a Area) bool {
	m := d.money
	if a.Level == "lad" {
		return !m.councils[a.Code] && !m.grantLAD[a.Code]
	}
	if a.LADCode != "" && (m.councils[a.LADCode] || m.ladOnly[a.LADCode] > 0) {
		return false
	}
	if a.Level == "ward" {
		return !m.ward[a.Code]
	}
	for _, mb := range d.membersOf(a.Code, a.Level, 2021) {
		if m.lsoa21[mb.lsoa.Code] {
			return false
		}
	}
	return true
}

func (d *areaDir) addMember(code, level string, m member) {
	k := areaKey{code, level}
	d.members[k] = append(d.members[k], m)
}

// serviceKey is what makes two service rows the same place: category,
// name without case or punctuation, and place to about a kilometre (the
// SQL's regexp_replace(lower(name), '[^a-z0-9]', ”) and round(lon, 2)).
func serviceKey(category, name string, lon, lat float64) string {
	var b strings.Builder
	b.WriteString(category)
	b.WriteByte(0)
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	fmt.Fprintf(&b, "\x00%.2f\x00%.2f", roundHalfAway(lon, 2), roundHalfAway(lat, 2))
	return b.String()
}

func roundHalfAway(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}

// area returns the area findArea would, or false.
func (d *areaDir) area(code string) (Area, bool) {
	as := d.areas[code]
	if len(as) == 0 {
		return Area{}, false
	}
	return *as[0], true
}

// membersOf lists an area's LSOAs of one vintage (0: every vintage).
func (d *areaDir) membersOf(code, level string, vintage int) []member {
	ms := d.members[areaKey{code, level}]
	if vintage == 0 {
		return ms
	}
	var out []member
	for _, m := range ms {
		if m.lsoa.Vintage == vintage {
			out = append(out, m)
		}
	}
	return out
}

// maxVintage is the newest LSOA vintage an area is made of (0: none).
func (d *areaDir) maxVintage(code, level string) int {
	v := 0
	for _, m := range d.members[areaKey{code, level}] {
		v = max(v, m.lsoa.Vintage)
	}
	return v
}

// servicesInBox returns the open services of the given categories (all
// when cats is nil) inside a box, one per place: the first in (dataset,
// id) order of those the box holds.
func (d *areaDir) servicesInBox(x0, x1, y0, y1 float64, cats []string) []*dirService {
	seen := map[string]bool{}
	var out []*dirService
	for i := range d.services {
		sv := &d.services[i]
		if sv.lon < x0 || sv.lon > x1 || sv.lat < y0 || sv.lat > y1 {
			continue
		}
		if cats != nil && !slices.Contains(cats, sv.category) {
			continue
		}
		if seen[sv.dedupe] {
			continue
		}
		seen[sv.dedupe] = true
		out = append(out, sv)
	}
	return out
}

// haversineKm is the great-circle distance between two points, as the
// SQL it replaces computed it.
func haversineKm(lon1, lat1, lon2, lat2 float64) float64 {
	rad := math.Pi / 180
	a := math.Pow(math.Sin((lat2-lat1)*rad/2), 2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Pow(math.Sin((lon2-lon1)*rad/2), 2)
	return 2 * 6371 * math.Asin(math.Sqrt(a))
}

func scanRows(ctx context.Context, db *sql.DB, q string, f func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
