package dashboard

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Area is one row of the areas table with its parents' names.
type Area struct {
	Code, Name, Level      string
	Vintage                int
	LADCode, LADName       string
	WardCode, WardName     string
	Population             int64
	PopulationYear         int
	MinX, MinY, MaxX, MaxY float64
	Lon, Lat               float64
	Dataset                string
	Synthetic              bool
}

var errNoArea = errors.New("no such area")

// findArea looks an area up in the directory, or in the warehouse when
// the directory does not have it (yet: an area added a moment ago).
func (s *Server) findArea(ctx context.Context, code string) (Area, error) {
	if d, err := s.directory(ctx); err == nil {
		if a, ok := d.area(code); ok {
			return a, nil
		}
	} else {
		s.log.Warn("area directory", "err", err)
	}
	return s.findAreaSQL(ctx, code)
}

func (s *Server) findAreaSQL(ctx context.Context, code string) (Area, error) {
	var a Area
	var lad, ladName, ward, wardName, dataset sql.NullString
	var pop sql.NullInt64
	var year, vintage sql.NullInt32
	var minx, miny, maxx, maxy, lon, lat sql.NullFloat64
	var syn sql.NullBool
	err := s.db.SQL().QueryRowContext(ctx, `
		SELECT a.code, a.name, a.level, a.vintage, a.lad_code, l.name,
		       CASE WHEN w.name IS NULL AND bf.name IS NOT NULL THEN bf.code ELSE a.ward_code END, coalesce(w.name, bf.name),
		       a.population, a.population_year,
		       a.minx, a.miny, a.maxx, a.maxy, a.centroid_lon, a.centroid_lat, a.dataset,
		       (SELECT synthetic FROM ingest_runs r WHERE r.dataset = a.dataset AND r.status = 'ok' ORDER BY run_id DESC LIMIT 1)
		FROM areas a
		LEFT JOIN areas l ON l.level = 'lad' AND l.code = a.lad_code
		LEFT JOIN areas w ON w.level = 'ward' AND w.code = a.ward_code
		-- A ward given its LSOAs by best fit, where the lookup's ward has
		-- no area (replaced): the LSOA is in that ward now (areadir.go).
		LEFT JOIN (SELECT m.lsoa_code, m.lsoa_vintage, min(m.area_code) AS code, min(bw.name) AS name FROM area_members m
		           JOIN areas bw ON bw.code = m.area_code AND bw.level = 'ward' WHERE m.area_level = 'ward' GROUP BY ALL) bf
		       ON a.level IN ('lsoa11', 'lsoa21') AND bf.lsoa_code = a.code AND bf.lsoa_vintage = a.vintage
		WHERE a.code = ?
		ORDER BY CASE a.level WHEN 'lad' THEN 0 WHEN 'ward' THEN 1 ELSE 2 END, a.lad_code IS NULL, a.level = 'lsoa11'
		LIMIT 1`, code).Scan(&a.Code, &a.Name, &a.Level, &vintage, &lad, &ladName, &ward, &wardName, &pop, &year,
		&minx, &miny, &maxx, &maxy, &lon, &lat, &dataset, &syn)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errNoArea
	}
	if err != nil {
		return a, fmt.Errorf("find area %s: %w", code, err)
	}
	a.Vintage, a.LADCode, a.LADName, a.WardCode, a.WardName = int(vintage.Int32), lad.String, ladName.String, ward.String, wardName.String
	a.Population, a.PopulationYear, a.Dataset, a.Synthetic = pop.Int64, int(year.Int32), dataset.String, syn.Bool
	a.MinX, a.MinY, a.MaxX, a.MaxY, a.Lon, a.Lat = minx.Float64, miny.Float64, maxx.Float64, maxy.Float64, lon.Float64, lat.Float64
	return a, nil
}

// AreaRef is a short reference to an area.
type AreaRef struct {
	Code, Name, Level string
	Population        int64
	// Share is the share of a custom area's population this LSOA carries
	// (0 when not a custom area's member).
	Share float64
	// BestFit: an LSOA of a ward no lookup covers, placed by best fit.
	BestFit bool
}

// children lists the areas directly below a: wards of a local authority,
// LSOAs of a ward, MSOA or custom area.
func (s *Server) children(ctx context.Context, a Area) ([]AreaRef, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := d.area(a.Code); !ok {
		return s.childrenSQL(ctx, a)
	}
	var out []AreaRef
	switch a.Level {
	case "lad":
		for _, w := range d.wards[a.Code] {
			out = append(out, AreaRef{Code: w.Code, Name: w.Name, Level: w.Level, Population: w.Population})
		}
		return out, nil
	case "custom", "ward", "msoa21":
	default:
		return nil, nil
	}
	ms := d.membersOf(a.Code, a.Level, 0)
	best := map[lsoaKey]bool{}
	for _, m := range ms {
		if m.fromTable {
			best[lsoaKey{m.lsoa.Code, m.lsoa.Vintage}] = true
		}
	}
	seen := map[lsoaKey]bool{}
	for _, m := range ms {
		k := lsoaKey{m.lsoa.Code, m.lsoa.Vintage}
		if a.Level == "custom" {
			if !m.fromTable {
				continue
			}
			out = append(out, AreaRef{Code: m.lsoa.Code, Name: m.lsoa.Name, Level: m.lsoa.Level, Population: m.population.Int64, Share: m.share})
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, AreaRef{Code: m.lsoa.Code, Name: m.lsoa.Name, Level: m.lsoa.Level, Population: m.lsoa.Population, BestFit: best[k]})
	}
	slices.SortStableFunc(out, func(x, y AreaRef) int {
		if c := cmp.Compare(y.Level, x.Level); c != 0 {
			return c
		}
		if a.Level == "custom" {
			if c := cmp.Compare(y.Share, x.Share); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.Code, y.Code))
	})
	return out, nil
}

func (s *Server) childrenSQL(ctx context.Context, a Area) ([]AreaRef, error) {
	var q string
	switch a.Level {
	case "lad":
		// Its newest wards, and older ones its LSOAs still name (areadir.go).
		q = `SELECT code, name, level, population FROM areas w WHERE lad_code = ? AND level = 'ward'
		       AND (vintage = (SELECT max(vintage) FROM areas x WHERE x.level = 'ward' AND x.lad_code = w.lad_code)
		            OR EXISTS (SELECT 1 FROM areas l WHERE l.level IN ('lsoa11', 'lsoa21') AND l.ward_code = w.code))
		     ORDER BY name`
	case "custom":
		q = `SELECT a.code, a.name, a.level, m.population, coalesce(m.population_share, 0) FROM area_members m
		     JOIN areas a ON a.code = m.lsoa_code AND a.vintage = m.lsoa_vintage AND a.level IN ('lsoa11', 'lsoa21')
		     WHERE m.area_code = ? AND m.area_level = 'custom' ORDER BY a.level DESC, m.population_share DESC, a.name`
	case "ward", "msoa21":
		q = `SELECT a.code, a.name, a.level, a.population, EXISTS (SELECT 1 FROM area_members b WHERE b.area_code = m.area_code
		       AND b.area_level = m.area_level AND b.lsoa_code = a.code AND b.lsoa_vintage = a.vintage)
		     FROM area_lsoas m JOIN areas a ON a.code = m.lsoa_code AND a.vintage = m.lsoa_vintage
		     AND a.level IN ('lsoa11', 'lsoa21') WHERE m.area_code = ? AND m.area_level = '` + a.Level + `' ORDER BY a.level DESC, a.name`
	default:
		return nil, nil
	}
	rows, err := s.db.SQL().QueryContext(ctx, q, a.Code)
	if err != nil {
		return nil, fmt.Errorf("children of %s: %w", a.Code, err)
	}
	defer rows.Close()
	var out []AreaRef
	for rows.Next() {
		var r AreaRef
		var name sql.NullString
		var pop sql.NullInt64
		dest := []any{&r.Code, &name, &r.Level, &pop}
		switch a.Level {
		case "custom":
			dest = append(dest, &r.Share)
		case "ward", "msoa21":
			dest = append(dest, &r.BestFit)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		r.Name, r.Population = name.String, pop.Int64
		out = append(out, r)
	}
	return out, rows.Err()
}

// SearchResult is one suggestion.
type SearchResult struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
	Kind  string `json:"kind"`
	// LAD is the local authority the area is in (not for authorities).
	LAD  string `json:"lad_name,omitempty"`
	Note string `json:"note,omitempty"`
	URL  string `json:"url"`
}

var postcodeLike = regexp.MustCompile(`^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}$`)

// searchAreas finds areas by code, name or postcode.
func (s *Server) searchAreas(ctx context.Context, q string, limit int) ([]SearchResult, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	var out []SearchResult
	if postcodeLike.MatchString(q) {
		key := strings.ToUpper(strings.ReplaceAll(q, " ", ""))
		rows, err := s.db.SQL().QueryContext(ctx, `
			SELECT p.postcode, a.code, a.name, a.level FROM postcodes p
			JOIN areas a ON a.code IN (p.lsoa21_code, p.lsoa11_code) AND a.level IN ('lsoa21', 'lsoa11')
			WHERE p.postcode_key = ? ORDER BY a.level DESC LIMIT 2`, key)
		if err != nil {
			return nil, fmt.Errorf("search postcode: %w", err)
		}
		for rows.Next() {
			var pc, code, name, level string
			if err := rows.Scan(&pc, &code, &name, &level); err != nil {
				rows.Close()
				return nil, err
			}
			if len(out) > 0 && out[len(out)-1].Code == code {
				continue // the LSOA is unchanged between 2011 and 2021
			}
			out = append(out, SearchResult{Code: code, Name: name, Level: level, Kind: levelName(level), Note: "contains " + pc, URL: "/areas/" + code})
		}
		rows.Close()
	}
	// Each result says its authority ("Electoral ward in Trafford"): many
	// places share a name. A whole word at the start ranks first ("Sale
	// Central" before "Salehurst").
	rows, err := s.db.SQL().QueryContext(ctx, `
		SELECT a.code, a.name, a.level, coalesce(l.name, '') FROM areas a
		LEFT JOIN areas l ON l.level = 'lad' AND l.code = a.lad_code AND a.level <> 'lad'
		WHERE a.code = upper(?) OR a.name ILIKE '%' || ? || '%'
		ORDER BY a.code = upper(?) DESC,
		         CASE a.level WHEN 'lad' THEN 0 WHEN 'custom' THEN 1 WHEN 'ward' THEN 2 WHEN 'msoa21' THEN 3 WHEN 'lsoa21' THEN 4 ELSE 5 END,
		         lower(a.name) = lower(?) OR a.name ILIKE ? || ' %' DESC, a.name ILIKE ? || '%' DESC, length(a.name), a.name, a.vintage DESC NULLS LAST
		LIMIT ?`, q, q, q, q, q, q, limit+10)
	if err != nil {
		return nil, fmt.Errorf("search areas: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r SearchResult
		var name sql.NullString
		if err := rows.Scan(&r.Code, &name, &r.Level, &r.LAD); err != nil {
			return nil, err
		}
		r.Name, r.Kind, r.URL = name.String, levelName(r.Level), "/areas/"+r.Code
		if r.LAD != "" {
			r.Kind += " in " + r.LAD
		}
		// A ward redrawn under the same name (2013 boundaries, 2021
		// lookup) is listed once, as its newest version.
		if slices.ContainsFunc(out, func(o SearchResult) bool { return o.Name == r.Name && o.Kind == r.Kind }) || len(out) >= limit {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Source is a catalogue entry with its load status.
type Source struct {
	ID, Title, Publisher, Licence, Attribution, URL, Geography, Vintage, Description, Table string
	LoadedAt                                                                                time.Time
	Rows, Rejected                                                                          int64
	Unlocated                                                                               int64 // of Rejected: services loaded without a place
	Status                                                                                  string
	Synthetic                                                                               bool
}

func (s *Server) listSources(ctx context.Context) ([]Source, error) {
	st, err := s.db.LoadStatuses(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT id, title, coalesce(publisher, ''), coalesce(licence, ''), coalesce(attribution, ''),
		coalesce(source_url, ''), coalesce(geography, ''), coalesce(vintage, ''), coalesce(description, ''), coalesce(table_name, '') FROM datasets`)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var src Source
		if err := rows.Scan(&src.ID, &src.Title, &src.Publisher, &src.Licence, &src.Attribution, &src.URL, &src.Geography, &src.Vintage, &src.Description, &src.Table); err != nil {
			return nil, err
		}
		src.Status = "not loaded"
		if l, ok := st[src.ID]; ok {
			src.LoadedAt, src.Rows, src.Rejected, src.Status, src.Synthetic = l.LoadedAt, l.Rows, l.Rejected, l.Status, l.Synthetic
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Services whose place could not be found are loaded but counted as
	// rejects (kept in ingest_rejects): say so, or 8,610 of 8,647 GP
	// practices "rejected" reads as a broken file.
	unlocated := map[string]int64{}
	if err := scanRows(ctx, s.db.SQL(), `SELECT dataset, count(*) FROM ingest_rejects WHERE reason LIKE 'unlocated%' GROUP BY dataset`,
		func(r *sql.Rows) error {
			var ds string
			var n int64
			err := r.Scan(&ds, &n)
			unlocated[ds] = n
			return err
		}); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	for i := range out {
		out[i].Unlocated = min(unlocated[out[i].ID], out[i].Rejected)
	}
	return out, nil
}
