// Package catalog declares every dataset Commonground can load, once, as
// data: where it comes from, its licence, the layouts its files come in, and
// how staged rows become warehouse rows.
package catalog

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"commonground/ingest"
	"commonground/ingest/format"
)

// All returns the catalogue in load order: lookups and boundaries first, so
// that areas get their parents, then population and deprivation.
func All() []ingest.Dataset {
	var all []ingest.Dataset
	all = append(all, lookups()...)
	all = append(all, boundaries()...)
	all = append(all, population()...)
	all = append(all, deprivation()...)
	all = append(all, services()...)
	all = append(all, spending()...)
	all = append(all, grants()...)
	all = append(all, suppliers()...)
	return all
}

// ByID returns the dataset with id, or an error listing the ids.
func ByID(id string) (ingest.Dataset, error) {
	var ids []string
	for _, d := range All() {
		if d.ID == id {
			return d, nil
		}
		ids = append(ids, d.ID)
	}
	sort.Strings(ids)
	return ingest.Dataset{}, fmt.Errorf("unknown dataset %q; the catalogue has: %s", id, strings.Join(ids, ", "))
}

// Validate checks every declaration and that ids and kinds are unique.
func Validate() error {
	seen := map[string]bool{}
	for _, d := range All() {
		if err := d.Validate(); err != nil {
			return err
		}
		if seen[d.ID] {
			return fmt.Errorf("dataset %s declared twice", d.ID)
		}
		seen[d.ID] = true
	}
	return nil
}

const (
	ogl         = "Open Government Licence v3.0"
	oglURL      = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
	onsAttrib   = "Source: Office for National Statistics licensed under the Open Government Licence v3.0. Contains public sector information."
	geoAttrib   = "Contains National Statistics and OS data © Crown copyright and database right 2025. Source: Office for National Statistics licensed under the Open Government Licence v3.0."
	mhclgAttrib = "Ministry of Housing, Communities and Local Government, English Indices of Deprivation. Contains public sector information licensed under the Open Government Licence v3.0."
	pcdAttrib   = "Contains OS data © Crown copyright and database right 2025. Contains Royal Mail data © Royal Mail copyright and database right 2025. Source: Office for National Statistics licensed under the Open Government Licence v3.0."
)

var (
	lsoaCode    = regexp.MustCompile(`^[EW]01[0-9]{6}$`)
	englandLSOA = regexp.MustCompile(`^E01[0-9]{6}$`)
	gssCode     = regexp.MustCompile(`^[EWSNKL][0-9]{8}$`)
	oaCode      = regexp.MustCompile(`^[EWSN]00[0-9]{6}$`)
	postcodeRe  = regexp.MustCompile(`^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$`)
)

func col(name string, t format.Type, aliases ...string) format.Column {
	return format.Column{Name: name, Type: t, Aliases: aliases}
}
func text(name string, aliases ...string) format.Column { return col(name, format.Text, aliases...) }
func num(name string, aliases ...string) format.Column  { return col(name, format.Int, aliases...) }
func real(name string, aliases ...string) format.Column { return col(name, format.Float, aliases...) }

// key marks a column as what recognises the layout and must be present in
// every row, optionally with a pattern.
func key(c format.Column, re *regexp.Regexp) format.Column {
	c.Required, c.NotNull, c.Pattern = true, true, re
	return c
}

// required marks a column the layout is recognised by.
func required(c format.Column) format.Column { c.Required = true; return c }

// checked adds a pattern to an optional column.
func checked(c format.Column, re *regexp.Regexp) format.Column { c.Pattern = re; return c }

// mergeByKey builds a SELECT that full-joins the staging tables of specs on
// keyCol and takes each output column from the first spec (in the order
// given) that has it. consts are extra "expr AS name" items.
func mergeByKey(keyCol string, consts []string, specs ...format.FileSpec) string {
	var keys []string
	for _, s := range specs {
		keys = append(keys, fmt.Sprintf("SELECT %s FROM stg_%s", keyCol, s.Kind))
	}
	var order []string
	has := map[string][]string{}
	for _, s := range specs {
		for _, c := range s.Columns {
			if c.Name == keyCol {
				continue
			}
			if _, ok := has[c.Name]; !ok {
				order = append(order, c.Name)
			}
			has[c.Name] = append(has[c.Name], s.Kind+"."+c.Name)
		}
	}
	items := append([]string{"k." + keyCol}, consts...)
	for _, name := range order {
		src := has[name]
		if len(src) == 1 {
			items = append(items, src[0]+" AS "+name)
		} else {
			items = append(items, "coalesce("+strings.Join(src, ", ")+") AS "+name)
		}
	}
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(items, ", ") + "\nFROM (" + strings.Join(keys, " UNION ") + ") k")
	for _, s := range specs {
		fmt.Fprintf(&b, "\nLEFT JOIN stg_%s %s USING (%s)", s.Kind, s.Kind, keyCol)
	}
	return b.String()
}

// unionAll builds a UNION ALL BY NAME of one SELECT per layout.
func unionAll(selects ...string) string {
	return strings.Join(selects, "\nUNION ALL BY NAME\n")
}

// deriveAreas refreshes the columns of areas that come from other datasets:
// parents from the lookups and population from the latest estimate. Every
// geography, lookup and population dataset runs it in its own transaction.
var deriveAreas = []string{
	// LSOAs get their ward and local authority from the newest ward vintage.
	`UPDATE store.main.areas AS a SET ward_code = l.ward_code, lad_code = coalesce(l.lad_code, a.lad_code)
	 FROM (SELECT lsoa_code, lsoa_vintage, ward_code, lad_code FROM store.main.lookup_lsoa_ward_lad
	       QUALIFY row_number() OVER (PARTITION BY lsoa_code, lsoa_vintage ORDER BY ward_vintage DESC) = 1) l
	 WHERE a.level IN ('lsoa11', 'lsoa21') AND a.code = l.lsoa_code AND a.vintage = l.lsoa_vintage`,
	// and their MSOA (and a local authority where still missing) from the OA lookup.
	`UPDATE store.main.areas AS a SET msoa_code = o.msoa_code, lad_code = coalesce(a.lad_code, o.lad_code)
	 FROM (SELECT lsoa_code, oa_vintage, any_value(msoa_code) AS msoa_code, any_value(lad_code) AS lad_code
	       FROM store.main.lookup_oa GROUP BY ALL) o
	 WHERE a.level IN ('lsoa11', 'lsoa21') AND a.code = o.lsoa_code AND a.vintage = o.oa_vintage`,
	`UPDATE store.main.areas AS a SET lad_code = o.lad_code
	 FROM (SELECT msoa_code, any_value(lad_code) AS lad_code FROM store.main.lookup_oa WHERE oa_vintage = 2021 GROUP BY ALL) o
	 WHERE a.level = 'msoa21' AND a.code = o.msoa_code AND a.lad_code IS NULL`,
	// Wards and local authorities the LSOAs name but no boundary file has
	// (a lookup newer than the boundaries: Buckinghamshire, formed 2020, or
	// wards redrawn since 2013) get a row of their own, without geometry,
	// so every parent an LSOA names has a profile, a name and a place in
	// search. Their extent and centre come from their LSOAs. A lookup ward
	// is left out where its authority has ward boundaries newer than the
	// lookup (Trafford's 2023 wards replaced the 2022 lookup's).
	`DELETE FROM store.main.areas WHERE dataset = 'lookup-lsoa-ward-lad' AND geometry IS NULL AND level IN ('ward', 'lad')`,
	`INSERT INTO store.main.areas (code, name, level, vintage, lad_code, minx, miny, maxx, maxy, centroid_lon, centroid_lat, dataset)
	 SELECT p.code, n.name, p.level, n.vintage, p.lad_code, p.minx, p.miny, p.maxx, p.maxy, p.lon, p.lat, 'lookup-lsoa-ward-lad'
	 FROM (SELECT ward_code AS code, 'ward' AS level, mode(lad_code) AS lad_code, min(minx) AS minx, min(miny) AS miny,
	              max(maxx) AS maxx, max(maxy) AS maxy, avg(centroid_lon) AS lon, avg(centroid_lat) AS lat
	       FROM store.main.areas WHERE level IN ('lsoa11', 'lsoa21') AND ward_code IS NOT NULL GROUP BY ward_code
	       UNION ALL
	       SELECT lad_code, 'lad', NULL, min(minx), min(miny), max(maxx), max(maxy), avg(centroid_lon), avg(centroid_lat)
	       FROM store.main.areas WHERE level IN ('lsoa11', 'lsoa21') AND lad_code IS NOT NULL GROUP BY lad_code) p
	 JOIN (SELECT ward_code AS code, 'ward' AS level, arg_max(ward_name, ward_vintage) AS name, max(ward_vintage) AS vintage
	       FROM store.main.lookup_lsoa_ward_lad WHERE ward_code IS NOT NULL AND ward_name IS NOT NULL GROUP BY ward_code
	       UNION ALL
	       SELECT lad_code, 'lad', arg_max(lad_name, ward_vintage), max(ward_vintage)
	       FROM store.main.lookup_lsoa_ward_lad WHERE lad_code IS NOT NULL AND lad_name IS NOT NULL GROUP BY lad_code) n
	   USING (code, level)
	 WHERE NOT EXISTS (SELECT 1 FROM store.main.areas a WHERE a.code = p.code AND a.level = p.level)
	   AND NOT (p.level = 'ward' AND EXISTS (SELECT 1 FROM store.main.areas b WHERE b.level = 'ward' AND b.geometry IS NOT NULL
	                                        AND b.lad_code = p.lad_code AND b.vintage > n.vintage))`,
	// Population: the latest all-ages estimate loaded for that code and level.
	`UPDATE store.main.areas AS a SET population = p.population, population_year = p.year
	 FROM (SELECT area_code, area_level, year, population FROM store.main.population
	       WHERE sex = 'persons' AND age_band = 'all'
	       QUALIFY row_number() OVER (PARTITION BY area_code, area_level ORDER BY year DESC, dataset) = 1) p
	 WHERE a.code = p.area_code AND a.level = p.area_level`,
	// Wards, MSOAs and local authorities without a direct estimate: the sum of
	// their LSOAs, from the newest era that has estimates.
	`UPDATE store.main.areas AS a SET population = s.population, population_year = s.year
	 FROM (SELECT code, level, population, year FROM (
	         SELECT ward_code AS code, 'ward' AS level, vintage, sum(population) AS population, max(population_year) AS year
	         FROM store.main.areas WHERE level IN ('lsoa11', 'lsoa21') AND ward_code IS NOT NULL AND population IS NOT NULL GROUP BY ALL
	         UNION ALL
	         SELECT lad_code, 'lad', vintage, sum(population), max(population_year)
	         FROM store.main.areas WHERE level IN ('lsoa11', 'lsoa21') AND lad_code IS NOT NULL AND population IS NOT NULL GROUP BY ALL
	         UNION ALL
	         SELECT msoa_code, 'msoa21', vintage, sum(population), max(population_year)
	         FROM store.main.areas WHERE level = 'lsoa21' AND msoa_code IS NOT NULL AND population IS NOT NULL GROUP BY ALL)
	       QUALIFY row_number() OVER (PARTITION BY code, level ORDER BY year DESC) = 1) s
	 WHERE a.code = s.code AND a.level = s.level
	   AND NOT EXISTS (SELECT 1 FROM store.main.population p WHERE p.area_code = a.code AND p.area_level = a.level
	                   AND p.sex = 'persons' AND p.age_band = 'all')`,
}
