package catalog

import (
	"fmt"
	"strings"

	"commonground/ingest"
	"commonground/ingest/custom"
	"commonground/ingest/format"
)

// levelOf maps a GSS code to the area level it names. LSOA and MSOA codes
// need the era of the estimate (an SQL expression giving 'lsoa11' or
// 'lsoa21'), since both eras share the E01 and E02 prefixes.
func levelOf(codeExpr, lsoaLevel string) string {
	return fmt.Sprintf(`CASE
    WHEN %[1]s SIMILAR TO '[EW]01[0-9]{6}' THEN %[2]s
    WHEN %[1]s SIMILAR TO '[EW]02[0-9]{6}' THEN replace(%[2]s, 'lsoa', 'msoa')
    WHEN %[1]s SIMILAR TO '[EW]05[0-9]{6}' THEN 'ward'
    WHEN %[1]s SIMILAR TO 'E0[6-9][0-9]{6}|W06[0-9]{6}' THEN 'lad'
    WHEN %[1]s SIMILAR TO '[EW]00[0-9]{6}' THEN 'oa'
    ELSE 'other' END`, codeExpr, lsoaLevel)
}

// census2021Bands are the five-year bands of Census 2021 table TS007A.
var census2021Bands = []struct {
	header   string
	band     string
	min, max int
}{
	{"Age: Aged 4 years and under", "0-4", 0, 4}, {"Age: Aged 5 to 9 years", "5-9", 5, 9},
	{"Age: Aged 10 to 14 years", "10-14", 10, 14}, {"Age: Aged 15 to 19 years", "15-19", 15, 19},
	{"Age: Aged 20 to 24 years", "20-24", 20, 24}, {"Age: Aged 25 to 29 years", "25-29", 25, 29},
	{"Age: Aged 30 to 34 years", "30-34", 30, 34}, {"Age: Aged 35 to 39 years", "35-39", 35, 39},
	{"Age: Aged 40 to 44 years", "40-44", 40, 44}, {"Age: Aged 45 to 49 years", "45-49", 45, 49},
	{"Age: Aged 50 to 54 years", "50-54", 50, 54}, {"Age: Aged 55 to 59 years", "55-59", 55, 59},
	{"Age: Aged 60 to 64 years", "60-64", 60, 64}, {"Age: Aged 65 to 69 years", "65-69", 65, 69},
	{"Age: Aged 70 to 74 years", "70-74", 70, 74}, {"Age: Aged 75 to 79 years", "75-79", 75, 79},
	{"Age: Aged 80 to 84 years", "80-84", 80, 84}, {"Age: Aged 85 years and over", "85+", 85, -1},
}

// census6Bands are the six broad bands of the derived long-format file.
var census6Bands = map[string][3]string{
	"Aged 15 years and under": {"0-15", "0", "15"},
	"Aged 16 to 24 years":     {"16-24", "16", "24"},
	"Aged 25 to 34 years":     {"25-34", "25", "34"},
	"Aged 35 to 49 years":     {"35-49", "35", "49"},
	"Aged 50 to 64 years":     {"50-64", "50", "64"},
	"Aged 65 years and over":  {"65+", "65", "NULL"},
}

func population() []ingest.Dataset {
	// SAPE: "Area Codes","All Ages", LSOAs mixed with local authorities; the
	// year is not in the file, so it comes from the file name (mid2017).
	sapeAll := format.FileSpec{Kind: "sape_all_ages", FileColumn: "source_file", Columns: []format.Column{
		key(text("area_code", "Area Codes", "Area Code", "LSOA Code", "LSOA 2011 Code", "LSOA 2021 Code", "LAD 2021 Code"), gssCode),
		required(num("population", "All Ages", "Total")),
	}}
	// Wide single-year layout with broad bands (ONS via Trafford Data Lab):
	// period, area_code, geography, sex, all_ages, aged_0_to_15…
	sapeWide := format.FileSpec{Kind: "sape_wide", Columns: []format.Column{
		key(format.Column{Name: "period", Type: format.Date, Aliases: []string{"period"}}, nil),
		key(text("area_code", "area_code"), gssCode),
		required(text("geography", "geography")),
		required(text("sex", "sex")),
		required(num("all_ages", "all_ages")),
		num("aged_0_to_15", "aged_0_to_15"),
		num("aged_16_to_64", "aged_16_to_64"),
		num("aged_65_and_over", "aged_65_and_over"),
	}}
	sapeYear := `coalesce(try_cast(regexp_extract(source_file, '(?:mid|Mid)[-_ ]?((?:19|20)[0-9]{2})', 1) AS INTEGER), 2017)`
	sapeLevel := func(code string) string { // 2021-based estimates (mid-2022 on) use LSOA 2021
		return levelOf(code, fmt.Sprintf("(CASE WHEN %s >= 2022 THEN 'lsoa21' ELSE 'lsoa11' END)", sapeYear))
	}
	wideLevel := `CASE lower(geography) WHEN 'lsoa' THEN CASE WHEN year(period) >= 2022 THEN 'lsoa21' ELSE 'lsoa11' END
    WHEN 'msoa' THEN CASE WHEN year(period) >= 2022 THEN 'msoa21' ELSE 'msoa11' END WHEN 'ward' THEN 'ward' WHEN 'oa' THEN 'oa' WHEN 'local authority' THEN 'lad' WHEN 'la' THEN 'lad' ELSE lower(geography) END`
	var wide []string
	for _, b := range [][4]string{{"all_ages", "all", "NULL", "NULL"}, {"aged_0_to_15", "0-15", "0", "15"}, {"aged_16_to_64", "16-64", "16", "64"}, {"aged_65_and_over", "65+", "65", "NULL"}} {
		wide = append(wide, fmt.Sprintf(`SELECT 'population-sape' AS dataset, area_code, %s AS area_level, year(period) AS year,
  CASE lower(sex) WHEN 'persons' THEN 'persons' WHEN 'females' THEN 'female' WHEN 'female' THEN 'female' WHEN 'males' THEN 'male' WHEN 'male' THEN 'male' ELSE lower(sex) END AS sex,
  '%s' AS age_band, %s AS age_min, %s AS age_max, %s AS population FROM stg_sape_wide WHERE %s IS NOT NULL`, wideLevel, b[1], b[2], b[3], b[0], b[0]))
	}

	// Census 2021: the official TS007A wide file (five-year bands) or the
	// derived long file with six broad bands.
	ts007aCols := []format.Column{
		key(text("area_code", "geography code"), gssCode),
		required(num("total", "Age: Total")),
	}
	var ts007a []string
	for i, b := range census2021Bands {
		name := fmt.Sprintf("band_%d", i)
		ts007aCols = append(ts007aCols, num(name, b.header))
		max := "NULL"
		if b.max >= 0 {
			max = fmt.Sprint(b.max)
		}
		ts007a = append(ts007a, fmt.Sprintf("SELECT 'population-census2021' AS dataset, area_code, %s AS area_level, 2021 AS year, 'persons' AS sex, '%s' AS age_band, %d AS age_min, %s AS age_max, %s AS population FROM stg_ts007a WHERE %s IS NOT NULL",
			levelOf("area_code", "'lsoa21'"), b.band, b.min, max, name, name))
	}
	ts007a = append(ts007a, fmt.Sprintf("SELECT 'population-census2021' AS dataset, area_code, %s AS area_level, 2021 AS year, 'persons' AS sex, 'all' AS age_band, NULL AS age_min, NULL AS age_max, total AS population FROM stg_ts007a",
		levelOf("area_code", "'lsoa21'")))
	ts007aSpec := format.FileSpec{Kind: "ts007a", Columns: ts007aCols}
	long6 := format.FileSpec{Kind: "census_age6", Columns: []format.Column{
		key(text("area_code", "lsoa21_code"), lsoaCode),
		required(text("age_group", "age_group")),
		key(num("usual_residents", "usual_residents"), nil),
	}}
	var bandCase, minCase, maxCase []string
	for label, b := range census6Bands {
		bandCase = append(bandCase, fmt.Sprintf("WHEN '%s' THEN '%s'", label, b[0]))
		minCase = append(minCase, fmt.Sprintf("WHEN '%s' THEN %s", label, b[1]))
		maxCase = append(maxCase, fmt.Sprintf("WHEN '%s' THEN %s", label, b[2]))
	}
	long6Select := fmt.Sprintf(`SELECT 'population-census2021' AS dataset, area_code, 'lsoa21' AS area_level, 2021 AS year, 'persons' AS sex,
  CASE age_group %s ELSE age_group END AS age_band, CASE age_group %s END AS age_min, CASE age_group %s END AS age_max,
  usual_residents AS population FROM stg_census_age6`, strings.Join(bandCase, " "), strings.Join(minCase, " "), strings.Join(maxCase, " "))
	long6Total := `SELECT 'population-census2021' AS dataset, area_code, 'lsoa21' AS area_level, 2021 AS year, 'persons' AS sex, 'all' AS age_band,
  NULL AS age_min, NULL AS age_max, sum(usual_residents) AS population FROM stg_census_age6 GROUP BY area_code`

	return []ingest.Dataset{
		{
			ID:          "population-sape",
			Title:       "Small area population estimates (ONS mid-year estimates, LSOA)",
			Publisher:   "Office for National Statistics",
			Licence:     ogl,
			Attribution: onsAttrib,
			Description: "Mid-year resident population by LSOA, with the local authority totals the same files carry. Reads the SAPE \"Area Codes, All Ages\" extract (the year is taken from the file name, e.g. mid2017) and the tidy wide layout with broad age bands and sex.",
			Landing:     "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates",
			URLs:        []string{"https://raw.githubusercontent.com/hsma-programme/hsma6_geographic_optimisation_and_visualisation_book/ccc25d98c9e65da6568680b39835256f953a33e8/pop_table_SAPE20DT1_mid2017_population_estimates.csv"},
			Format:      "CSV",
			Geography:   "LSOA 2011 (and local authority), England and Wales",
			Vintage:     "mid-2017",
			Table:       "population",
			Files:       []format.FileSpec{sapeAll, sapeWide},
			Replace:     "dataset = 'population-sape'",
			Insert: unionAll(append([]string{fmt.Sprintf(`SELECT 'population-sape' AS dataset, area_code, %s AS area_level, %s AS year, 'persons' AS sex,
  'all' AS age_band, NULL AS age_min, NULL AS age_max, population FROM stg_sape_all_ages`, sapeLevel("area_code"), sapeYear)}, wide...)...),
			Derive: deriveAreas,
			After:  custom.WardBestFit,
			Checks: ingest.Checks{MinRows: 34000, MaxRows: 40000, Unique: []string{"area_code", "area_level", "year", "sex", "age_band"}},
		},
		{
			ID:          "population-census2021",
			Title:       "Census 2021 usual residents by age (LSOA 2021)",
			Publisher:   "Office for National Statistics (Census 2021)",
			Licence:     ogl,
			Attribution: onsAttrib,
			Description: "Usual residents on Census day 2021 by age band for every LSOA 2021. Reads the official TS007A bulk file (five-year bands) or the six-band long file published with the hack25usefuldata package.",
			Landing:     "https://www.ons.gov.uk/datasets/TS007A/editions/2021/versions/3",
			URLs:        []string{"https://www.nomisweb.co.uk/output/census/2021/census2021-ts007a.zip"},
			Format:      "CSV (in a zip)",
			Geography:   "LSOA 2021, England and Wales",
			Vintage:     "2021",
			Table:       "population",
			Files:       []format.FileSpec{ts007aSpec, long6},
			Repeat:      true, // the TS007A zip holds one file per geography level
			Replace:     "dataset = 'population-census2021'",
			Insert:      unionAll(append(ts007a, long6Select, long6Total)...),
			Derive:      deriveAreas,
			After:       custom.WardBestFit,
			Checks:      ingest.Checks{MinRows: 35672, MaxRows: 1000000, Unique: []string{"area_code", "area_level", "year", "sex", "age_band"}},
		},
	}
}
