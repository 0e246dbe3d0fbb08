package custom

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"commonground/ingest/format"
	"commonground/warehouse"
)

// WardLevel is areas.level (and area_members.area_level) of electoral wards.
const WardLevel = "ward"

// WardBestFit gives LSOAs, by best fit, to the wards no loaded lookup covers
// (no LSOA has the ward as areas.ward_code: a ward vintage newer than the
// lookups, such as Trafford's 2023 wards). As for custom areas, an LSOA
// belongs to the ward whose boundary holds its centroid, for each LSOA
// vintage loaded; the rows go to area_members with method best_fit_centroid.
// Earlier best-fit ward rows are replaced, so a ward a lookup now covers
// loses them (never counted twice). The wards' population becomes the sum of
// their members' where there is no direct estimate. It returns a note for
// the run summary ("" when there was nothing to do).
func WardBestFit(ctx context.Context, db *warehouse.DB) (string, error) {
	wards, err := uncoveredWards(ctx, db)
	if err != nil {
		return "", err
	}
	pts, err := lsoaCentroids(ctx, db)
	if err != nil {
		return "", err
	}
	var ms []wardMember
	found := 0
	for _, w := range wards {
		got := w.members(pts)
		if len(got) > 0 {
			found++
		}
		ms = append(ms, got...)
	}
	if err := saveWardMembers(ctx, db, ms); err != nil {
		return "", err
	}
	if len(wards) == 0 {
		return "", nil
	}
	return fmt.Sprintf("%d wards are not in any loaded LSOA lookup: %d of them were given %d LSOAs by best fit (LSOA centroid in the ward)",
		len(wards), found, len(ms)), nil
}

type ward struct {
	code string
	geom orb.MultiPolygon
}

type lsoaPoint struct {
	code       string
	vintage    int
	population sql.NullInt64
	p          orb.Point
}

type wardMember struct {
	ward, lsoa string
	vintage    int
	population sql.NullInt64
	share      sql.NullFloat64
}

func uncoveredWards(ctx context.Context, db *warehouse.DB) ([]ward, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT w.code, w.geometry FROM areas w
		WHERE w.level = 'ward' AND w.geometry IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM areas l WHERE l.level IN ('lsoa11', 'lsoa21') AND l.ward_code = w.code)
		ORDER BY w.code`)
	if err != nil {
		return nil, fmt.Errorf("ward best fit: wards without a lookup: %w", err)
	}
	defer rows.Close()
	var out []ward
	for rows.Next() {
		var w ward
		var wkb []byte
		if err := rows.Scan(&w.code, &wkb); err != nil {
			return nil, fmt.Errorf("ward best fit: %w", err)
		}
		g, err := format.DecodeWKB(wkb)
		if err != nil {
			continue // a ward we cannot read keeps no members rather than failing the load
		}
		if w.geom, err = areal(g); err != nil {
			continue
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// lsoaCentroids returns every LSOA centroid, sorted by longitude so each
// ward scans only the strip of its bounding box.
func lsoaCentroids(ctx context.Context, db *warehouse.DB) ([]lsoaPoint, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT code, vintage, population, centroid_lon, centroid_lat FROM areas
		WHERE level IN ('lsoa11', 'lsoa21') AND centroid_lon IS NOT NULL AND centroid_lat IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("ward best fit: LSOA centroids: %w", err)
	}
	defer rows.Close()
	var pts []lsoaPoint
	for rows.Next() {
		var p lsoaPoint
		if err := rows.Scan(&p.code, &p.vintage, &p.population, &p.p[0], &p.p[1]); err != nil {
			return nil, fmt.Errorf("ward best fit: LSOA centroids: %w", err)
		}
		pts = append(pts, p)
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].p[0] < pts[j].p[0] })
	return pts, rows.Err()
}

// members are the LSOAs whose centroid lies in the ward, with their share of
// the ward's population within their vintage.
func (w ward) members(pts []lsoaPoint) []wardMember {
	b := w.geom.Bound()
	i := sort.Search(len(pts), func(i int) bool { return pts[i].p[0] >= b.Min[0] })
	var out []wardMember
	total := map[int]int64{}
	for ; i < len(pts) && pts[i].p[0] <= b.Max[0]; i++ {
		p := pts[i]
		if p.p[1] < b.Min[1] || p.p[1] > b.Max[1] || !planar.MultiPolygonContains(w.geom, p.p) {
			continue
		}
		out = append(out, wardMember{ward: w.code, lsoa: p.code, vintage: p.vintage, population: p.population})
		if p.population.Valid {
			total[p.vintage] += p.population.Int64
		}
	}
	for i := range out {
		m := &out[i]
		if t := total[m.vintage]; m.population.Valid && t > 0 {
			m.share = sql.NullFloat64{Float64: float64(m.population.Int64) / float64(t), Valid: true}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].vintage != out[j].vintage {
			return out[i].vintage > out[j].vintage
		}
		return out[i].lsoa < out[j].lsoa
	})
	return out
}

// saveWardMembers replaces every best-fit ward row in one transaction, and
// sets those wards' population from their members.
func saveWardMembers(ctx context.Context, db *warehouse.DB, ms []wardMember) (err error) {
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ward best fit: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err = tx.ExecContext(ctx, `DELETE FROM area_members WHERE area_level = ?`, WardLevel); err != nil {
		return fmt.Errorf("ward best fit: clear earlier rows: %w", err)
	}
	const batch = 500
	for start := 0; start < len(ms); start += batch {
		chunk := ms[start:min(start+batch, len(ms))]
		var q strings.Builder
		q.WriteString(`INSERT INTO area_members (area_code, area_level, lsoa_code, lsoa_vintage, population, population_share, method) VALUES `)
		args := make([]any, 0, len(chunk)*7)
		for i, m := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, m.ward, WardLevel, m.lsoa, m.vintage, m.population, m.share, MethodCentroid)
		}
		if _, err = tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("ward best fit: insert members: %w", err)
		}
	}
	// Population from the newest LSOA vintage with estimates, as deriveAreas
	// does for wards of the lookup, unless the ward has its own estimate.
	if _, err = tx.ExecContext(ctx, `UPDATE areas AS a SET population = s.population, population_year = s.year
		FROM (SELECT * FROM (
		        SELECT m.area_code, m.lsoa_vintage, sum(l.population) AS population, max(l.population_year) AS year
		        FROM area_members m JOIN areas l ON l.code = m.lsoa_code AND l.vintage = m.lsoa_vintage AND l.level IN ('lsoa11', 'lsoa21')
		        WHERE m.area_level = 'ward' AND l.population IS NOT NULL GROUP BY ALL)
		      QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY year DESC, lsoa_vintage DESC) = 1) s
		WHERE a.level = 'ward' AND a.code = s.area_code
		  AND NOT EXISTS (SELECT 1 FROM population p WHERE p.area_code = a.code AND p.area_level = 'ward'
		                  AND p.sex = 'persons' AND p.age_band = 'all')`); err != nil {
		return fmt.Errorf("ward best fit: ward population: %w", err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("ward best fit: %w", err)
	}
	return nil
}
