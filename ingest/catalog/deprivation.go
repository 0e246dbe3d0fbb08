package catalog

import (
	"commonground/ingest"
	"commonground/ingest/format"
)

// IoD column headers. File 1 and File 2 name the IMD rank differently;
// matching is on normalised text, so each layout lists its own spelling.
const (
	rankSuffix   = " Rank (where 1 is most deprived)"
	decileSuffix = " Decile (where 1 is most deprived 10% of LSOAs)"
)

func iodArea(year string) []format.Column {
	return []format.Column{
		key(text("lsoa_code", "LSOA code ("+year+")", "lsoa"+year[2:]+"_code", "lsoa"+year[2:]+"cd"), englandLSOA),
		text("lsoa_name", "LSOA name ("+year+")"),
		checked(text("lad_code", "Local Authority District code (2019)", "Local Authority District code (2024)", "Local Authority District code (2025)"), gssCode),
		text("lad_name", "Local Authority District name (2019)", "Local Authority District name (2024)", "Local Authority District name (2025)"),
	}
}

// domain returns rank and decile (and score, if scoreHeader is set) columns
// for one IoD domain in the File 2/3/7 spelling.
func domain(name, header, scoreHeader string, derived string) []format.Column {
	cols := []format.Column{
		num(name+"_rank", header+rankSuffix, derived+"_rank"),
		num(name+"_decile", header+decileSuffix, derived+"_decile"),
	}
	if scoreHeader != "" {
		cols = append(cols, real(name+"_score", scoreHeader, derived+"_score"))
	}
	return cols
}

var iodDomains = []struct{ name, header, score, derived string }{
	{"imd", "Index of Multiple Deprivation (IMD)", "Index of Multiple Deprivation (IMD) Score", "IMD"},
	{"income", "Income", "Income Score (rate)", "Income"},
	{"employment", "Employment", "Employment Score (rate)", "Employment"},
	{"education", "Education, Skills and Training", "Education, Skills and Training Score", "Education"},
	{"health", "Health Deprivation and Disability", "Health Deprivation and Disability Score", "Health"},
	{"crime", "Crime", "Crime Score", "Crime"},
	{"housing", "Barriers to Housing and Services", "Barriers to Housing and Services Score", "Housing_and_Services"},
	{"environment", "Living Environment", "Living Environment Score", "Environment"},
	{"idaci", "Income Deprivation Affecting Children Index (IDACI)", "Income Deprivation Affecting Children Index (IDACI) Score (rate)", "IDACI"},
	{"idaopi", "Income Deprivation Affecting Older People (IDAOPI)", "Income Deprivation Affecting Older People (IDAOPI) Score (rate)", "IDAOPI"},
}

func iodDenominators(year string) []format.Column {
	return []format.Column{
		num("pop_total", "Total population: mid "+year+" (excluding prisoners)"),
		num("pop_0_15", "Dependent Children aged 0-15: mid "+year+" (excluding prisoners)"),
		num("pop_16_59", "Population aged 16-59: mid "+year+" (excluding prisoners)"),
		num("pop_60_plus", "Older population aged 60 and over: mid "+year+" (excluding prisoners)"),
		num("pop_working_age", "Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)"),
	}
}

// iodFile7 is the "all scores, ranks, deciles and denominators" layout.
func iodFile7(kind, lsoaYear, popYear string) format.FileSpec {
	cols := iodArea(lsoaYear)
	for _, d := range iodDomains {
		cols = append(cols, domain(d.name, d.header, d.score, d.derived)...)
	}
	cols = append(cols, iodDenominators(popYear)...)
	for i := range cols {
		if cols[i].Name == "imd_score" {
			cols[i] = required(cols[i])
		}
	}
	return format.FileSpec{Kind: kind, Columns: cols}
}

func deprivation() []ingest.Dataset {
	imdRank := func(alias string) format.Column { return required(num("imd_rank", alias)) }

	file1 := format.FileSpec{Kind: "file1", Columns: append(iodArea("2011"),
		imdRank("Index of Multiple Deprivation (IMD) Rank"),
		num("imd_decile", "Index of Multiple Deprivation (IMD) Decile"))}
	file2Cols := iodArea("2011")
	for _, d := range iodDomains[:8] {
		file2Cols = append(file2Cols, domain(d.name, d.header, "", d.derived)...)
	}
	file2Cols[4] = required(file2Cols[4]) // IMD rank, in the File 2 spelling
	file2Cols[6] = required(file2Cols[6]) // income rank
	file2 := format.FileSpec{Kind: "file2", Columns: file2Cols}
	file3Cols := iodArea("2011")
	for _, d := range iodDomains[8:] {
		file3Cols = append(file3Cols, domain(d.name, d.header, "", d.derived)...)
	}
	file3Cols[4] = required(file3Cols[4])
	file3 := format.FileSpec{Kind: "file3", Columns: file3Cols}
	file6 := format.FileSpec{Kind: "file6", Columns: append(iodArea("2011"), iodDenominators("2015")...)}
	file6.Columns[4] = required(file6.Columns[4])
	file7 := iodFile7("file7", "2011", "2015")

	// IoD2025 File 7, and the renamed derived copy (lsoa21_code, IMD_rank…).
	file7of2025 := iodFile7("file7", "2021", "2022")
	for i, c := range file7of2025.Columns {
		switch c.Name {
		case "lsoa_code":
			file7of2025.Columns[i].Aliases = append(c.Aliases, "lsoa21_code", "LSOA code (2021)")
		case "imd_score":
			file7of2025.Columns[i].Required = false
		case "imd_rank":
			file7of2025.Columns[i].Required = true
		}
	}

	return []ingest.Dataset{
		{
			ID:          "imd2019",
			Title:       "English Indices of Deprivation 2019 (LSOA 2011)",
			Publisher:   "Ministry of Housing, Communities and Local Government",
			Licence:     ogl,
			Attribution: mhclgAttrib,
			Description: "Relative deprivation of every LSOA in England: the Index of Multiple Deprivation, its seven domains, IDACI and IDAOPI, with ranks, deciles, scores (File 7) and population denominators (File 6). Files 1, 2, 3, 6 and 7 may be given together; each is recognised by its header.",
			URLs: []string{
				"https://assets.publishing.service.gov.uk/government/uploads/system/uploads/attachment_data/file/845345/File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
			},
			Format:    "CSV (File 7; Files 1, 2, 3 and 6 as CSV exports of the published spreadsheets)",
			Geography: "LSOA 2011, England",
			Vintage:   "2019",
			Table:     "imd",
			Files:     []format.FileSpec{file7, file2, file1, file3, file6},
			Replace:   "edition = 2019",
			Insert:    mergeByKey("lsoa_code", []string{"2019 AS edition", "2011 AS lsoa_vintage"}, file7, file2, file1, file3, file6),
			Checks:    ingest.Checks{MinRows: 32844, MaxRows: 32844, Unique: []string{"lsoa_code"}},
		},
		{
			ID:          "imd2025",
			Title:       "English Indices of Deprivation 2025 (LSOA 2021)",
			Publisher:   "Ministry of Housing, Communities and Local Government",
			Licence:     ogl,
			Attribution: mhclgAttrib,
			Description: "IoD2025 File 7: scores, ranks and deciles of the IMD and its domains for every LSOA 2021 in England. Also accepts the renamed copy published in the humaniverse/IMD R package (lsoa21_code, IMD_rank, …).",
			URLs: []string{
				"https://assets.publishing.service.gov.uk/media/691ded56d140bbbaa59a2a7d/File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
			},
			Format:    "CSV",
			Geography: "LSOA 2021, England",
			Vintage:   "2025",
			Table:     "imd",
			Files:     []format.FileSpec{file7of2025},
			Replace:   "edition = 2025",
			Insert:    "SELECT 2025 AS edition, 2021 AS lsoa_vintage, * FROM stg_file7",
			Checks:    ingest.Checks{MinRows: 33755, MaxRows: 33755, Unique: []string{"lsoa_code"}},
		},
	}
}
