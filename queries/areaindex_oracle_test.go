package queries

// The old per-call SQL of resolve, members, majorityLAD and names, kept as
// the oracle the geography index is tested against (areaindex_test.go).

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// resolveSQL is resolve as it was.
func (ch *cache) resolveSQL(ctx context.Context, code string, geo *geography) (*resolved, error) {
	r := &resolved{Area: Area{Code: code}, members: map[int][]int32{}}
	var ladCode string
	err := scanEach(ctx, ch.db, `SELECT level, coalesce(name, ''), coalesce(lad_code, '') FROM areas WHERE code = $code
		ORDER BY CASE level WHEN 'lsoa21' THEN 0 WHEN 'lsoa11' THEN 1 ELSE 2 END, vintage DESC`,
		func(rows *sql.Rows) error {
			var level, name, lad string
			if err := rows.Scan(&level, &name, &lad); err != nil {
				return err
			}
			if r.Level == "" {
				r.Level, r.Name, ladCode = level, name, lad
			}
			return nil
		}, sql.Named("code", code))
	if err != nil {
		return nil, fmt.Errorf("area %s: %w", code, err)
	}
	var lsoas []string
	var vintages []int
	var memberLevel string
	err = scanEach(ctx, ch.db, `SELECT area_level, lsoa_vintage, lsoa_code FROM area_lsoas WHERE area_code = $code`,
		func(rows *sql.Rows) error {
			var level, lsoa string
			var v int
			if err := rows.Scan(&level, &v, &lsoa); err != nil {
				return err
			}
			memberLevel = level
			lsoas, vintages = append(lsoas, lsoa), append(vintages, v)
			return nil
		}, sql.Named("code", code))
	if err != nil {
		return nil, fmt.Errorf("area %s: %w", code, err)
	}
	if r.Level == "" && memberLevel == "" {
		return nil, fmt.Errorf("%w: no area %q in the warehouse (give an LSOA, ward, MSOA or local authority code, %s for England, or a custom area's code; is its boundary loaded?)",
			ErrNotFound, code, EnglandCode)
	}
	if r.Level == "" {
		r.Level = memberLevel
	}
	for i, n := range ch.intern(lsoas) {
		r.members[vintages[i]] = append(r.members[vintages[i]], n)
	}
	if strings.HasPrefix(code, "E01") || strings.HasPrefix(code, "W01") {
		// An LSOA is itself in every vintage its code exists in (ONS keeps
		// the code of an unchanged LSOA), whether or not that vintage's
		// boundaries are loaded; a table with no row for it has no data.
		self := ch.intern([]string{code})[0]
		for _, v := range []int{2011, 2021} {
			if len(r.members[v]) == 0 {
				r.members[v] = []int32{self}
			}
		}
	}
	switch r.Level {
	case LevelCountry:
		if r.Name == "" {
			r.Name = "England"
		}
		return r, nil
	case LevelLAD:
		if r.Name == "" {
			r.Name = geo.ladNames[code]
		}
		return r, nil
	}
	if r.Name == "" {
		if err := scanEach(ctx, ch.db, `SELECT ward_name FROM lookup_lsoa_ward_lad WHERE ward_code = $code AND ward_name IS NOT NULL
			UNION ALL SELECT lsoa_name FROM lookup_lsoa_ward_lad WHERE lsoa_code = $code AND lsoa_name IS NOT NULL`,
			func(rows *sql.Rows) error {
				var name string
				err := rows.Scan(&name)
				if r.Name == "" {
					r.Name = name
				}
				return err
			}, sql.Named("code", code)); err != nil {
			return nil, fmt.Errorf("area %s: %w", code, err)
		}
	}
	if r.Name == "" {
		r.Name = code
	}
	// The parent local authority: the area's own for LSOAs, wards and
	// MSOAs; for custom areas (and areas without one), the authority
	// holding most of the area's residents.
	r.parent = ladCode
	if r.Level == LevelCustom || r.parent == "" {
		p, err := ch.majorityLADSQL(ctx, code)
		if err != nil {
			return nil, fmt.Errorf("area %s: parent local authority: %w", code, err)
		}
		r.parent = p
	}
	return r, nil
}

// majorityLADSQL: the local authority holding most of an area's residents
// on its newest LSOA vintage (area_members' populations, else the LSOAs'
// own), ties going to the authority with more LSOAs, then the lower code.
// (Chosen in Go: a window function over area_lsoas here once tripped a
// DuckDB internal error.)
func (ch *cache) majorityLADSQL(ctx context.Context, code string) (string, error) {
	type cand struct {
		vintage int
		lad     string
		pop     float64
		n       int
	}
	var best *cand
	err := scanEach(ctx, ch.db, `
		SELECT al.lsoa_vintage, a.lad_code, sum(coalesce(am.population, a.population, 0))::DOUBLE, count(*)
		FROM area_lsoas al
		JOIN areas a ON a.code = al.lsoa_code AND a.level = CASE al.lsoa_vintage WHEN 2011 THEN 'lsoa11' ELSE 'lsoa21' END
		LEFT JOIN area_members am ON am.area_code = al.area_code AND am.lsoa_code = al.lsoa_code AND am.lsoa_vintage = al.lsoa_vintage
		WHERE al.area_code = $code AND a.lad_code IS NOT NULL
		GROUP BY al.lsoa_vintage, a.lad_code`,
		func(rows *sql.Rows) error {
			var c cand
			if err := rows.Scan(&c.vintage, &c.lad, &c.pop, &c.n); err != nil {
				return err
			}
			if best == nil || c.vintage > best.vintage ||
				(c.vintage == best.vintage && (c.pop > best.pop || (c.pop == best.pop && (c.n > best.n || (c.n == best.n && c.lad < best.lad))))) {
				best = &c
			}
			return nil
		}, sql.Named("code", code))
	if err != nil || best == nil {
		return "", err
	}
	return best.lad, nil
}

// membersSQL reads the LSOAs of the areas of a level, within a parent area
// when within is not "" (areas straddling it are included whole).
func (ch *cache) membersSQL(ctx context.Context, level string, vintage int, within string) (map[string][]int32, error) {
	var codes, lsoas []string
	err := scanEach(ctx, ch.db, `
		SELECT al.area_code, al.lsoa_code FROM area_lsoas al
		WHERE al.area_level = $level AND al.lsoa_vintage = $vintage
		  AND ($within = '' OR al.area_code IN (
			SELECT x.area_code FROM area_lsoas p JOIN area_lsoas x ON x.lsoa_code = p.lsoa_code AND x.lsoa_vintage = p.lsoa_vintage
			WHERE p.area_code = $within AND p.lsoa_vintage = $vintage AND x.area_level = $level))
		  -- An authority with ward boundaries loaded lists those wards only, not
		  -- also the older lookup wards they replaced (both cover its LSOAs).
		  AND ($level <> 'ward' OR $within = '' OR al.area_code IN (SELECT code FROM areas w WHERE level = 'ward'
		         AND (w.vintage = (SELECT max(vintage) FROM areas x WHERE x.level = 'ward' AND x.lad_code IS NOT DISTINCT FROM w.lad_code)
		              OR EXISTS (SELECT 1 FROM areas l WHERE l.level IN ('lsoa11', 'lsoa21') AND l.ward_code = w.code)))
		       OR NOT EXISTS (SELECT 1 FROM areas w WHERE w.level = 'ward' AND w.lad_code = $within))`,
		func(rows *sql.Rows) error {
			var a, l string
			err := rows.Scan(&a, &l)
			codes, lsoas = append(codes, a), append(lsoas, l)
			return err
		}, sql.Named("level", level), sql.Named("vintage", vintage), sql.Named("within", within))
	if err != nil {
		return nil, err
	}
	out := map[string][]int32{}
	for i, n := range ch.intern(lsoas) {
		out[codes[i]] = append(out[codes[i]], n)
	}
	return out, nil
}

// namesSQL returns the names of a level's areas (cached per version; the
// map is shared and must not be changed).
func (ch *cache) namesSQL(ctx context.Context, level string, geo *geography) (map[string]string, error) {
	switch level {
	case LevelLAD:
		return geo.ladNames, nil
	case LevelCountry:
		return map[string]string{EnglandCode: "England"}, nil
	}
	m, err := func() (map[string]string, error) {
		m := map[string]string{}
		q := `SELECT code, name FROM areas WHERE level = $level AND name IS NOT NULL`
		switch level {
		case LevelWard:
			q = `SELECT code, arg_min(name, pri) FROM (
				SELECT code, name, 0 AS pri FROM areas WHERE level = $level AND name IS NOT NULL
				UNION ALL SELECT ward_code, ward_name, 1 FROM lookup_lsoa_ward_lad WHERE ward_name IS NOT NULL AND $level = 'ward') GROUP BY code`
		case LevelLSOA11, LevelLSOA21:
			q = `SELECT code, arg_min(name, pri) FROM (
				SELECT code, name, 0 AS pri FROM areas WHERE level = $level AND name IS NOT NULL
				UNION ALL SELECT lsoa_code, lsoa_name, 1 FROM lookup_lsoa_ward_lad
				WHERE lsoa_name IS NOT NULL AND lsoa_vintage = CASE $level WHEN 'lsoa11' THEN 2011 ELSE 2021 END) GROUP BY code`
		}
		err := scanEach(ctx, ch.db, q, func(rows *sql.Rows) error {
			var code, name string
			err := rows.Scan(&code, &name)
			m[code] = name
			return err
		}, sql.Named("level", level))
		return m, err
	}()
	if err != nil {
		return nil, fmt.Errorf("names of %s areas: %w", level, err)
	}
	return m, nil
}
