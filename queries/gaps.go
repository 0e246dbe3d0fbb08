package queries

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"commonground/warehouse"
)

// ServiceType is one kind of service measured for provision against need:
// who it is for, the distance beyond which a resident counts as far from
// one, and which IMD 2019 domain measures the need it meets. The choices
// are explained in docs/METHODS.md.
type ServiceType struct {
	Key      string // the API's service= value
	Category string // services.category
	Name     string // "GP practice"
	Plural   string // "GP practices"
	// ThresholdKm is X: residents of an LSOA whose centroid is further than
	// this from the nearest one count as "more than X km from one".
	ThresholdKm float64
	// Children: provision and distance are for children aged 0-15, not
	// all residents.
	Children bool
	// NeedDomain is the imd column prefix for need: health, idaci, income,
	// employment or imd (the overall index).
	NeedDomain string
}

// ServiceTypes lists every type measured, in the order pages show them.
// Charities are left out: the loaded charity list gives registered
// addresses, not places people go.
var ServiceTypes = []ServiceType{
	{Key: "gp", Category: "gp_practice", Name: "GP practice", Plural: "GP practices", ThresholdKm: 1.5, NeedDomain: "health"},
	{Key: "pharmacy", Category: "pharmacy", Name: "pharmacy", Plural: "pharmacies", ThresholdKm: 1.6, NeedDomain: "health"},
	{Key: "school", Category: "school", Name: "school", Plural: "schools", ThresholdKm: 3.2, Children: true, NeedDomain: "idaci"},
	{Key: "library", Category: "library", Name: "library", Plural: "libraries", ThresholdKm: 2, NeedDomain: "imd"},
	{Key: "food_bank", Category: "food_bank", Name: "food bank", Plural: "food banks", ThresholdKm: 2, NeedDomain: "income"},
	{Key: "childrens_centre", Category: "childrens_centre", Name: "children's centre", Plural: "children's centres", ThresholdKm: 1.6, Children: true, NeedDomain: "idaci"},
	{Key: "dentist", Category: "dentist", Name: "dentist", Plural: "dentists", ThresholdKm: 2, NeedDomain: "health"},
	{Key: "jobcentre", Category: "jobcentre", Name: "Jobcentre", Plural: "Jobcentres", ThresholdKm: 5, NeedDomain: "employment"},
	{Key: "post_office", Category: "post_office", Name: "post office", Plural: "post offices", ThresholdKm: 1.6, NeedDomain: "imd"},
	{Key: "sports_facility", Category: "sports_facility", Name: "sports facility", Plural: "sports facilities", ThresholdKm: 2, NeedDomain: "health"},
	{Key: "allotment", Category: "allotment", Name: "allotment site", Plural: "allotment sites", ThresholdKm: 2, NeedDomain: "imd"},
	{Key: "place_of_worship", Category: "place_of_worship", Name: "place of worship", Plural: "places of worship", ThresholdKm: 2, NeedDomain: "imd"},
}

// ServiceTypeByKey finds a type by its key (or its services.category).
func ServiceTypeByKey(key string) (ServiceType, bool) {
	key = strings.ToLower(strings.TrimSpace(key))
	for _, t := range ServiceTypes {
		if t.Key == key || t.Category == key {
			return t, true
		}
	}
	return ServiceType{}, false
}

// PopulationGroup names who the type is for.
func (t ServiceType) PopulationGroup() string {
	if t.Children {
		return "children aged 0-15"
	}
	return "all residents"
}

// NeedName is the plain-English name of a need domain.
func NeedName(domain string) string {
	switch domain {
	case "health":
		return "health deprivation and disability"
	case "idaci":
		return "income deprivation affecting children"
	case "income":
		return "income deprivation"
	case "employment":
		return "employment deprivation"
	}
	return "overall deprivation (IMD)"
}

// Threshold is X as people write it: "1.5 km".
func (t ServiceType) Threshold() string {
	return strconv.FormatFloat(t.ThresholdKm, 'f', -1, 64) + " km"
}

// accessMethodVersion changes whenever the method (types, thresholds,
// rules) changes, so an older service_access is rebuilt.
const accessMethodVersion = 2

// AccessBuild is what RefreshAccess did.
type AccessBuild struct {
	Rows     int64
	Types    int // service types with at least one covered LSOA
	Duration time.Duration
}

// AccessStale reports whether service_access is older than the newest
// successful ingest run, or was built by another method version.
func AccessStale(ctx context.Context, db *warehouse.DB) (bool, error) {
	var last int64
	if err := db.SQL().QueryRowContext(ctx, `SELECT coalesce(max(run_id), 0) FROM ingest_runs WHERE status = 'ok'`).Scan(&last); err != nil {
		return false, fmt.Errorf("service access: %w", err)
	}
	var built, version sql.NullInt64
	err := db.SQL().QueryRowContext(ctx, `SELECT max(last_run_id), max(method_version) FROM service_access_meta`).Scan(&built, &version)
	if err != nil {
		return false, fmt.Errorf("service access: %w", err)
	}
	return !built.Valid || built.Int64 != last || version.Int64 != accessMethodVersion, nil
}

// EnsureAccess rebuilds service_access when it is stale (for the serve
// command at start and after ingest). The database must be writable.
func EnsureAccess(ctx context.Context, db *warehouse.DB, log *slog.Logger) error {
	stale, err := AccessStale(ctx, db)
	if err != nil || !stale {
		return err
	}
	b, err := RefreshAccess(ctx, db)
	if err != nil {
		return err
	}
	if log != nil {
		log.Info("service access rebuilt", "rows", b.Rows, "types", b.Types, "duration_ms", b.Duration.Milliseconds())
	}
	return nil
}

type accessLSOA struct {
	code, lad string
	at        lonLat
}

type accessService struct {
	at        lonLat
	lsoa, lad string
}

// RefreshAccess rebuilds service_access from services, areas, population
// and imd: for each service type, the nearest-service distance of every
// LSOA in a local authority where that type is loaded, then population,
// need and the flags in SQL (docs/METHODS.md). It replaces the table in
// one transaction, so readers never see half of it.
func RefreshAccess(ctx context.Context, db *warehouse.DB) (AccessBuild, error) {
	start := time.Now()
	var b AccessBuild
	lsoas, maxLat, err := accessLSOAs(ctx, db)
	if err != nil {
		return b, err
	}
	byCat, err := accessServices(ctx, db)
	if err != nil {
		return b, err
	}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return b, fmt.Errorf("service access: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE access_nearest (
		service VARCHAR, lsoa11_code VARCHAR, lad_code VARCHAR, nearest_km DOUBLE, services_in_lsoa INTEGER, services_within INTEGER)`); err != nil {
		return b, fmt.Errorf("service access: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.access_nearest`)

	var built []ServiceType
	for _, t := range ServiceTypes {
		svcs := byCat[t.Category]
		covered := map[string]bool{}
		inLSOA := map[string]int{}
		pts := make([]lonLat, 0, len(svcs))
		for _, s := range svcs {
			pts = append(pts, s.at)
			if s.lad != "" {
				covered[s.lad] = true
			}
			if s.lsoa != "" {
				inLSOA[s.lsoa]++
			}
		}
		if len(covered) == 0 {
			continue
		}
		g := newPointGrid(pts, maxLat)
		var qs []lonLat
		var in []accessLSOA
		for _, l := range lsoas {
			if covered[l.lad] {
				qs, in = append(qs, l.at), append(in, l)
			}
		}
		res := g.nearestAll(qs, t.ThresholdKm)
		rows := make([]string, len(in))
		for i, l := range in {
			rows[i] = t.Key + "|" + l.code + "|" + l.lad + "|" + strconv.FormatFloat(res[i].km, 'g', -1, 64) + "|" +
				strconv.Itoa(inLSOA[l.code]) + "|" + strconv.Itoa(res[i].within)
		}
		if err := insertRows(ctx, conn, rows); err != nil {
			return b, fmt.Errorf("service access %s: %w", t.Key, err)
		}
		built = append(built, t)
	}

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return b, fmt.Errorf("service access: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM service_access`); err != nil {
		return b, fmt.Errorf("service access: %w", err)
	}
	for _, t := range built {
		domain, err := needColumn(ctx, db, t.NeedDomain)
		if err != nil {
			return b, err
		}
		res, err := tx.ExecContext(ctx, accessInsertSQL(t, domain))
		if err != nil {
			return b, fmt.Errorf("service access %s: %w", t.Key, err)
		}
		n, _ := res.RowsAffected()
		b.Rows += n
	}
	b.Types = len(built)
	b.Duration = time.Since(start)
	if _, err := tx.ExecContext(ctx, `DELETE FROM service_access_meta`); err != nil {
		return b, fmt.Errorf("service access: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO service_access_meta
		SELECT current_timestamp::TIMESTAMP, coalesce((SELECT max(run_id) FROM ingest_runs WHERE status = 'ok'), 0), ?, ?, ?`,
		accessMethodVersion, b.Rows, b.Duration.Milliseconds()); err != nil {
		return b, fmt.Errorf("service access: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return b, fmt.Errorf("service access: %w", err)
	}
	Invalidate(db) // Gaps reads the new rows at once, not after versionTTL
	return b, nil
}

// needColumn is the imd column prefix to use for a domain: the domain if
// IMD 2019 has it loaded (IDACI comes in IoD File 3, often not loaded),
// else the overall index.
func needColumn(ctx context.Context, db *warehouse.DB, domain string) (string, error) {
	switch domain {
	case "health", "idaci", "income", "employment", "imd":
	default:
		return "", fmt.Errorf("service access: unknown need domain %q", domain)
	}
	if domain == "imd" {
		return domain, nil
	}
	var n int64
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(`+domain+`_rank) FROM imd WHERE edition = 2019`).Scan(&n); err != nil {
		return "", fmt.Errorf("service access: %w", err)
	}
	if n == 0 {
		return "imd", nil
	}
	return domain, nil
}

// accessInsertSQL adds population, need, ranks and flags to one type's
// distances. domain is a checked column prefix (needColumn). The rules
// are in docs/METHODS.md: "worst fifth" of n ranked LSOAs is rank r with
// 5r <= n, ties sharing the best rank.
func accessInsertSQL(t ServiceType, domain string) string {
	pop := "p.population"
	group := "all residents"
	if t.Children {
		pop, group = "i.pop_0_15", "children aged 0-15"
	}
	return fmt.Sprintf(`INSERT INTO service_access
WITH base AS (
    SELECT n.service, %[1]s AS category, n.lsoa11_code, n.lad_code, %[2]s AS population_group,
           %[3]s AS population, p.population AS residents,
           n.services_in_lsoa, n.nearest_km, %[4]s AS threshold_km, n.services_within,
           n.nearest_km > %[4]s AS beyond_threshold,
           %[5]s AS need_domain, i.%[6]s_rank AS need_rank, i.%[6]s_decile AS need_decile, i.imd_decile
    FROM temp.access_nearest n
    LEFT JOIN population p ON p.area_code = n.lsoa11_code AND p.dataset = 'population-sape' AND p.area_level = 'lsoa11'
         AND p.year = 2017 AND p.sex = 'persons' AND p.age_band = 'all'
    LEFT JOIN imd i ON i.edition = 2019 AND i.lsoa_code = n.lsoa11_code
    WHERE n.service = %[7]s
),
ranked AS (
    SELECT *,
           CASE WHEN need_rank IS NOT NULL THEN rank() OVER (PARTITION BY lad_code ORDER BY need_rank ASC NULLS LAST) END AS need_rank_la,
           count(need_rank) OVER (PARTITION BY lad_code) AS need_lsoas_la,
           count(*) OVER (PARTITION BY lad_code) AS lsoas_la,
           rank() OVER (ORDER BY nearest_km DESC) AS access_rank,
           count(*) OVER () AS lsoas_covered,
           rank() OVER (PARTITION BY lad_code ORDER BY nearest_km DESC) AS access_rank_la
    FROM base
),
flags AS (
    SELECT *,
           coalesce(need_decile <= 2, false) AS need_worst20_england,
           coalesce(5 * need_rank_la <= need_lsoas_la, false) AS need_worst20_la,
           5 * access_rank <= lsoas_covered AS access_worst20_england,
           5 * access_rank_la <= lsoas_la AS access_worst20_la
    FROM ranked
)
SELECT service, category, lsoa11_code, lad_code, population_group, population, residents,
       services_in_lsoa, nearest_km, threshold_km, services_within, beyond_threshold,
       need_domain, need_rank, need_decile, imd_decile, need_rank_la, lsoas_la,
       access_rank, lsoas_covered, access_rank_la,
       need_worst20_england, need_worst20_la, access_worst20_england, access_worst20_la,
       need_worst20_england AND access_worst20_england AS flag_england,
       need_worst20_la AND access_worst20_la AS flag_la
FROM flags`,
		warehouse.QuoteString(t.Category), warehouse.QuoteString(group), pop,
		strconv.FormatFloat(t.ThresholdKm, 'f', -1, 64), warehouse.QuoteString(domain), domain, warehouse.QuoteString(t.Key))
}

// insertRows inserts rows of "|"-separated fields into access_nearest
// through one string parameter split by DuckDB: a multi-row VALUES
// statement of 30,000 rows costs seconds to parse, this a few milliseconds.
// Fields never contain "|" or a newline (codes and numbers).
func insertRows(ctx context.Context, conn *sql.Conn, rows []string) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO temp.access_nearest
		SELECT f[1], f[2], f[3], f[4]::DOUBLE, f[5]::INTEGER, f[6]::INTEGER
		FROM (SELECT string_split(line, '|') AS f FROM unnest(string_split(?::VARCHAR, chr(10))) AS t(line))`, strings.Join(rows, "\n"))
	return err
}

// accessLSOAs reads every LSOA 2011 centroid with its local authority.
func accessLSOAs(ctx context.Context, db *warehouse.DB) ([]accessLSOA, float64, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT code, lad_code, centroid_lon, centroid_lat FROM areas
		WHERE level = 'lsoa11' AND lad_code IS NOT NULL AND centroid_lon IS NOT NULL AND centroid_lat IS NOT NULL ORDER BY code`)
	if err != nil {
		return nil, 0, fmt.Errorf("service access: read LSOAs: %w", err)
	}
	defer rows.Close()
	var out []accessLSOA
	maxLat := 0.0
	for rows.Next() {
		var l accessLSOA
		if err := rows.Scan(&l.code, &l.lad, &l.at.lon, &l.at.lat); err != nil {
			return nil, 0, fmt.Errorf("service access: read LSOAs: %w", err)
		}
		maxLat = max(maxLat, l.at.lat, -l.at.lat)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("service access: read LSOAs: %w", err)
	}
	return out, maxLat, nil
}

// accessServices reads open, located services by category, each counted
// once: a service listed by two datasets (a national list and a local
// one: the same publisher's code, or the same name and postcode when one
// list has no code) keeps its best location, exactly as the
// distance_*_km.sql and *_per_10k.sql indicators choose it. lad is the local authority of the
// LSOA the service lies in ("" outside the loaded LSOAs).
func accessServices(ctx context.Context, db *warehouse.DB) (map[string][]accessService, error) {
	cats := make([]string, len(ServiceTypes))
	for i, t := range ServiceTypes {
		cats[i] = warehouse.QuoteString(t.Category)
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT s.category, s.lon, s.lat, coalesce(a.code, ''), coalesce(a.lad_code, '')
		FROM services s LEFT JOIN areas a ON a.level = 'lsoa11' AND a.code = s.lsoa11_code
		LEFT JOIN (SELECT category, upper(regexp_replace(name, '[^A-Za-z0-9]', '', 'g')) AS name_key,
		                  round(lon, 2) AS lon_key, round(lat, 2) AS lat_key, min(source_id) AS source_id
		           FROM services WHERE source_id IS NOT NULL AND name IS NOT NULL AND lon IS NOT NULL AND lat IS NOT NULL GROUP BY ALL) d
		  -- The CASE keeps a hash join (s.source_id IS NULL in ON gave a nested loop).
		  ON d.category = s.category AND d.lon_key = CASE WHEN s.source_id IS NULL THEN round(s.lon, 2) END AND d.lat_key = round(s.lat, 2)
		 AND d.name_key = upper(regexp_replace(s.name, '[^A-Za-z0-9]', '', 'g'))
		WHERE s.category IN (`+strings.Join(cats, ",")+`) AND s.status = 'open' AND s.lon IS NOT NULL AND s.lat IS NOT NULL
		QUALIFY row_number() OVER (
		    PARTITION BY s.category, coalesce(s.source_id, d.source_id, s.id)
		    ORDER BY CASE s.location_source WHEN 'given' THEN 0 WHEN 'bng' THEN 1 WHEN 'polygon_centroid' THEN 2 ELSE 3 END, s.id) = 1
		ORDER BY s.category, s.id`)
	if err != nil {
		return nil, fmt.Errorf("service access: read services: %w", err)
	}
	defer rows.Close()
	out := map[string][]accessService{}
	for rows.Next() {
		var cat string
		var s accessService
		if err := rows.Scan(&cat, &s.at.lon, &s.at.lat, &s.lsoa, &s.lad); err != nil {
			return nil, fmt.Errorf("service access: read services: %w", err)
		}
		out[cat] = append(out[cat], s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service access: read services: %w", err)
	}
	return out, nil
}
