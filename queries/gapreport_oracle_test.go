package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"commonground/warehouse"
)

// gapsSQL is Gaps as it was, one set of SQL queries per call: the oracle
// the in-memory Gaps is tested against. It reports provision against need for a service type (key as in
// ServiceTypes) in an area of any level (LSOA, ward, local authority,
// custom area, England), from service_access. Rows are ranked: flagged in
// both frames first, then in either, then by distance, furthest first.
func gapsSQL(ctx context.Context, db *warehouse.DB, service, within string) (GapReport, error) {
	t, ok := ServiceTypeByKey(service)
	if !ok {
		return GapReport{}, fmt.Errorf("%w %q", ErrUnknownService, service)
	}
	rep := GapReport{Service: t, PopulationGroup: t.PopulationGroup(), NeedDomain: t.NeedDomain}
	within = strings.ToUpper(strings.TrimSpace(within))
	var name sql.NullString
	err := db.SQL().QueryRowContext(ctx, `SELECT code, name, level FROM areas WHERE code = ?
		ORDER BY CASE level WHEN 'lad' THEN 0 WHEN 'custom' THEN 1 WHEN 'ward' THEN 2 WHEN 'lsoa11' THEN 3 ELSE 4 END, vintage DESC NULLS LAST LIMIT 1`,
		within).Scan(&rep.Within.Code, &name, &rep.Within.Level)
	if errors.Is(err, sql.ErrNoRows) && within == EnglandCode {
		rep.Within = GapArea{Code: EnglandCode, Name: "England", Level: "country"}
	} else if errors.Is(err, sql.ErrNoRows) {
		// A ward of the LSOA lookup whose boundaries are not loaded is still
		// an area made of LSOAs (area_lsoas); its name is in the lookup.
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT count(*), any_value(l.ward_name) FROM area_lsoas m
			LEFT JOIN lookup_lsoa_ward_lad l ON l.ward_code = m.area_code
			WHERE m.area_code = ? AND m.area_level = 'ward'`, within).Scan(&n, &name); err != nil {
			return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
		}
		if n == 0 {
			return rep, fmt.Errorf("%w %q", ErrNoArea, within)
		}
		rep.Within = GapArea{Code: within, Level: "ward"}
	} else if err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	if name.Valid {
		rep.Within.Name = name.String
	}
	level := rep.Within.Level
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM area_lsoas WHERE area_code = ? AND area_level = ? AND lsoa_vintage = 2011`,
		rep.Within.Code, level).Scan(&rep.LSOAs); err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	lads, err := db.SQL().QueryContext(ctx, `SELECT DISTINCT lad_code, max(lsoas_covered) OVER () FROM service_access WHERE service = ? ORDER BY 1`, t.Key)
	if err != nil {
		return rep, fmt.Errorf("gaps %s: %w", t.Key, err)
	}
	for lads.Next() {
		var c sql.NullString
		if err := lads.Scan(&c, &rep.CoveredLSOAsEn); err != nil {
			lads.Close()
			return rep, fmt.Errorf("gaps %s: %w", t.Key, err)
		}
		rep.CoveredLADs = append(rep.CoveredLADs, c.String)
	}
	lads.Close()
	if err := lads.Err(); err != nil {
		return rep, fmt.Errorf("gaps %s: %w", t.Key, err)
	}

	rows, err := db.SQL().QueryContext(ctx, `
		SELECT s.lsoa11_code, coalesce(a.name, ''), coalesce(a.ward_code, ''), coalesce(w.name, lk.ward_name, ''), coalesce(s.lad_code, ''), coalesce(l.name, ''),
		       coalesce(a.centroid_lon, 0), coalesce(a.centroid_lat, 0),
		       s.nearest_km, s.services_within, s.services_in_lsoa, coalesce(s.population, 0), coalesce(s.residents, 0), s.beyond_threshold,
		       coalesce(s.need_rank, 0), coalesce(s.need_decile, 0), coalesce(s.imd_decile, 0), coalesce(s.need_rank_la, 0), s.lsoas_la,
		       s.access_rank, s.lsoas_covered, s.access_rank_la, s.need_worst20_england, s.need_worst20_la,
		       s.access_worst20_england, s.access_worst20_la, s.flag_england, s.flag_la, s.need_domain
		FROM area_lsoas m
		JOIN service_access s ON s.lsoa11_code = m.lsoa_code AND s.service = ?
		LEFT JOIN areas a ON a.level = 'lsoa11' AND a.code = s.lsoa11_code
		LEFT JOIN (SELECT code, any_value(name) AS name FROM areas WHERE level = 'ward' GROUP BY code) w ON w.code = a.ward_code
		LEFT JOIN (SELECT code, any_value(name) AS name FROM areas WHERE level = 'lad' GROUP BY code) l ON l.code = s.lad_code
		-- Ward names from the lookup when the ward boundaries of that vintage are not loaded.
		LEFT JOIN (SELECT ward_code, any_value(ward_name) AS ward_name FROM lookup_lsoa_ward_lad GROUP BY ward_code) lk ON lk.ward_code = a.ward_code
		WHERE m.area_code = ? AND m.area_level = ? AND m.lsoa_vintage = 2011`, t.Key, rep.Within.Code, level)
	if err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	defer rows.Close()
	var sumKm, sumW float64
	for rows.Next() {
		var r GapRow
		if err := rows.Scan(&r.LSOA, &r.Name, &r.WardCode, &r.WardName, &r.LADCode, &r.LADName, &r.Lon, &r.Lat,
			&r.NearestKm, &r.Within, &r.InLSOA, &r.Population, &r.Residents, &r.Beyond,
			&r.NeedRank, &r.NeedDecile, &r.IMDDecile, &r.NeedRankLA, &r.LSOAsLA,
			&r.AccessRank, &r.LSOAsCovered, &r.AccessRankLA, &r.NeedWorstEngland, &r.NeedWorstLA,
			&r.AccessWorstEng, &r.AccessWorstLA, &r.FlagEngland, &r.FlagLA, &rep.NeedDomain); err != nil {
			return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
		}
		rep.Covered.add(r)
		rep.Services += r.InLSOA
		sumKm += r.NearestKm * float64(r.Population)
		sumW += float64(r.Population)
		if r.Beyond {
			rep.Beyond.add(r)
			if r.NeedWorstEngland {
				rep.BeyondNeed.add(r)
			}
		}
		if r.FlagEngland {
			rep.FlaggedEngland.add(r)
		}
		if r.FlagLA {
			rep.FlaggedLA.add(r)
		}
		if r.Flagged() {
			rep.FlaggedEither.add(r)
		}
		rep.Rows = append(rep.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	if sumW > 0 {
		km := sumKm / sumW
		per := float64(rep.Services) / sumW * 10000
		rep.MeanKm, rep.Per10k = &km, &per
	}
	sortGapRows(rep.Rows)
	return rep, nil
}
