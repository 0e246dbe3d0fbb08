package catalog

import (
	"fmt"
	"regexp"

	"commonground/ingest"
	"commonground/ingest/custom"
	"commonground/ingest/format"
)

var (
	lsoa11Code = regexp.MustCompile(`^[EW]01[0-9]{6}$`)
	msoaCode   = regexp.MustCompile(`^[EW]02[0-9]{6}$`)
	wardCode   = regexp.MustCompile(`^[EWSN](05|13|14)[0-9]{6}$|^[EWSN][0-9]{8}$`)
	ladCode    = regexp.MustCompile(`^[EWSN](06|07|08|09|12)[0-9]{6}$|^[EWSN][0-9]{8}$`)
)

// geoLayout is a boundary file layout: code and name properties, optional
// parent local authority, with geometry.
func geoLayout(kind string, code *regexp.Regexp, codeAliases, nameAliases, ladAliases []string) format.FileSpec {
	cols := []format.Column{
		key(text("code", codeAliases...), code),
		required(text("name", nameAliases...)),
	}
	if len(ladAliases) > 0 {
		cols = append(cols, checked(text("lad_code", ladAliases...), ladCode))
	}
	return format.FileSpec{Kind: kind, Columns: cols, Geometry: true, FileColumn: "source_file"}
}

// areaSelect selects one staged boundary layout as areas rows.
func areaSelect(kind, level string, vintage int, ladExpr, dataset string) string {
	return fmt.Sprintf(`SELECT code, name, '%s' AS level, %d AS vintage, %s AS lad_code, geometry, minx, miny, maxx, maxy,
  centroid_lon, centroid_lat, '%s' AS dataset FROM stg_%s`, level, vintage, ladExpr, dataset, kind)
}

// ladFromFile takes the local authority from a per-authority file name
// such as E06000009.json.
const ladFromFile = `CASE WHEN regexp_matches(source_file, '^[EW]0[6-9][0-9]{6}') THEN left(source_file, 9) END`

// newestWardsPerLAD keeps, for each local authority, only the newest ward
// vintage given (old and new wards of one authority overlap), then one row
// per code.
const newestWardsPerLAD = "\nQUALIFY vintage = max(vintage) OVER (PARTITION BY coalesce(lad_code, code))" +
	" AND row_number() OVER (PARTITION BY code ORDER BY vintage DESC) = 1"

// newestFirst keeps one row per code, from the newest boundary vintage.
const newestFirst = "\nQUALIFY row_number() OVER (PARTITION BY code ORDER BY vintage DESC) = 1"

func boundaries() []ingest.Dataset {
	lsoa11 := geoLayout("lsoa11", lsoa11Code, []string{"LSOA11CD", "lsoa11cd", "area_code", "code"}, []string{"LSOA11NM", "lsoa11nm", "area_name", "name"}, nil)
	lsoa21 := geoLayout("lsoa21", lsoa11Code, []string{"LSOA21CD", "lsoa21cd", "area_code", "code"}, []string{"LSOA21NM", "lsoa21nm", "area_name", "name"}, nil)
	msoa21 := geoLayout("msoa21", msoaCode, []string{"MSOA21CD", "msoa21cd", "area_code", "code"}, []string{"MSOA21NM", "msoa21nm", "area_name", "name"}, nil)
	wd13 := geoLayout("wd13", wardCode, []string{"WD13CD"}, []string{"WD13NM"}, nil)
	wd22 := geoLayout("wd22", wardCode, []string{"WD22CD"}, []string{"WD22NM"}, []string{"LAD22CD"})
	wd23 := geoLayout("wd23", wardCode, []string{"WD23CD", "area_code"}, []string{"WD23NM", "area_name"}, []string{"LAD23CD", "local_authority_area_code"})
	wd24 := geoLayout("wd24", wardCode, []string{"WD24CD"}, []string{"WD24NM"}, []string{"LAD24CD"})
	lad13 := geoLayout("lad13", ladCode, []string{"LAD13CD"}, []string{"LAD13NM"}, nil)
	lad22 := geoLayout("lad22", ladCode, []string{"LAD22CD"}, []string{"LAD22NM"}, nil)
	lad23 := geoLayout("lad23", ladCode, []string{"LAD23CD", "area_code"}, []string{"LAD23NM", "area_name"}, nil)
	lad24 := geoLayout("lad24", ladCode, []string{"LAD24CD"}, []string{"LAD24NM"}, nil)

	base := ingest.Dataset{
		Publisher:   "Office for National Statistics (Open Geography Portal)",
		Licence:     ogl,
		Attribution: geoAttrib,
		Table:       "areas",
		Derive:      deriveAreas,
	}
	with := func(d ingest.Dataset) ingest.Dataset {
		d.Publisher, d.Licence, d.Attribution, d.Table, d.Derive = base.Publisher, base.Licence, base.Attribution, base.Table, base.Derive
		d.After = custom.WardBestFit
		return d
	}
	return []ingest.Dataset{
		with(ingest.Dataset{
			ID:          "boundaries-lsoa11",
			Title:       "Lower layer Super Output Area boundaries, 2011 (generalised, clipped)",
			Description: "All 32,844 LSOAs in England as GeoJSON, one file per local authority (ONS BGC boundaries as converted by Martin Chorley, CC BY 4.0), or the ONS national file. Also reads a zipped shapefile in British National Grid.",
			Landing:     "https://geoportal.statistics.gov.uk/search?q=LSOA_2011_BGC",
			URLs:        perLAD("https://raw.githubusercontent.com/martinjc/UK-GeoJSON/88339000fc8711feb9c146d5cd7d145bf286350d/json/statistical/eng/lsoa_by_lad/%s.json"),
			Format:      "GeoJSON (national file, or one file per local authority, optionally gzipped); zipped shapefile",
			Geography:   "LSOA 2011, England",
			Vintage:     "2011",
			Files:       []format.FileSpec{lsoa11},
			Repeat:      true,
			Replace:     "level = 'lsoa11'",
			Insert:      areaSelect("lsoa11", "lsoa11", 2011, ladFromFile, "boundaries-lsoa11"),
			Checks:      ingest.Checks{MinRows: 32844, MaxRows: 34753, Unique: []string{"code"}},
		}),
		with(ingest.Dataset{
			ID:          "boundaries-lsoa21",
			Title:       "Lower layer Super Output Area boundaries, 2021 (generalised)",
			Description: "LSOA 2021 boundaries, the geography of Census 2021 and IoD2025. The default source covers Greater Manchester; pass the ONS national file for all of England.",
			Landing:     "https://geoportal.statistics.gov.uk/search?q=LSOA_2021_BGC",
			URLs:        []string{"https://raw.githubusercontent.com/traffordDataLab/spatial_data/7fa4f03c29745aa4ca0f17f30e0dd1b31563202c/lsoa/2021/gm_lsoa_generalised.geojson"},
			Format:      "GeoJSON",
			Geography:   "LSOA 2021, England and Wales",
			Vintage:     "2021",
			Files:       []format.FileSpec{lsoa21},
			Repeat:      true,
			Replace:     "level = 'lsoa21'",
			Insert:      areaSelect("lsoa21", "lsoa21", 2021, "NULL", "boundaries-lsoa21"),
			Checks:      ingest.Checks{MinRows: 1700, MaxRows: 35672, Unique: []string{"code"}},
		}),
		with(ingest.Dataset{
			ID:          "boundaries-msoa21",
			Title:       "Middle layer Super Output Area boundaries, 2021 (generalised)",
			Description: "MSOA 2021 boundaries.",
			Landing:     "https://geoportal.statistics.gov.uk/search?q=MSOA_2021_BGC",
			URLs:        []string{"https://raw.githubusercontent.com/traffordDataLab/spatial_data/7fa4f03c29745aa4ca0f17f30e0dd1b31563202c/msoa/2021/gm_msoa_generalised.geojson"},
			Format:      "GeoJSON",
			Geography:   "MSOA 2021, England and Wales",
			Vintage:     "2021",
			Files:       []format.FileSpec{msoa21},
			Repeat:      true,
			Replace:     "level = 'msoa21'",
			Insert:      areaSelect("msoa21", "msoa21", 2021, "NULL", "boundaries-msoa21"),
			Checks:      ingest.Checks{MinRows: 350, MaxRows: 7264, Unique: []string{"code"}},
		}),
		with(ingest.Dataset{
			ID:          "boundaries-ward",
			Title:       "Electoral ward boundaries (generalised)",
			Description: "Electoral wards with their local authority. Accepts the ONS layouts of 2013 (per-authority files), 2022, 2023 and 2024, together: for each local authority only the newest vintage given is kept, since old and new wards overlap.",
			Landing:     "https://geoportal.statistics.gov.uk/search?q=WD_BGC",
			URLs:        perLAD("https://raw.githubusercontent.com/martinjc/UK-GeoJSON/88339000fc8711feb9c146d5cd7d145bf286350d/json/electoral/eng/wards_by_lad/%s.json"),
			Format:      "GeoJSON",
			Geography:   "Electoral ward, England",
			Vintage:     "2013–2024",
			Files:       []format.FileSpec{wd24, wd23, wd22, wd13},
			Repeat:      true,
			Replace:     "level = 'ward'",
			Insert: "SELECT * FROM (" + unionAll(
				areaSelect("wd24", "ward", 2024, "lad_code", "boundaries-ward"),
				areaSelect("wd23", "ward", 2023, "lad_code", "boundaries-ward"),
				areaSelect("wd22", "ward", 2022, "lad_code", "boundaries-ward"),
				areaSelect("wd13", "ward", 2013, ladFromFile, "boundaries-ward"),
			) + ")" + newestWardsPerLAD,
			Checks: ingest.Checks{MinRows: 6800, MaxRows: 9500, Unique: []string{"code"}},
		}),
		with(ingest.Dataset{
			ID:          "boundaries-lad",
			Title:       "Local authority district boundaries (generalised)",
			Description: "Local authority districts. Accepts the ONS layouts of 2013 (including TopoJSON), 2022, 2023 and 2024; where a code appears in several vintages the newest boundary is kept.",
			Landing:     "https://geoportal.statistics.gov.uk/search?q=LAD_BGC",
			URLs:        []string{"https://raw.githubusercontent.com/martinjc/UK-GeoJSON/88339000fc8711feb9c146d5cd7d145bf286350d/json/administrative/eng/topo_lad.json"},
			Format:      "GeoJSON or TopoJSON",
			Geography:   "Local authority district, England",
			Vintage:     "2013–2024",
			Files:       []format.FileSpec{lad24, lad23, lad22, lad13},
			Repeat:      true,
			Replace:     "level = 'lad'",
			Insert: "SELECT * FROM (" + unionAll(
				areaSelect("lad24", "lad", 2024, "code", "boundaries-lad"),
				areaSelect("lad23", "lad", 2023, "code", "boundaries-lad"),
				areaSelect("lad22", "lad", 2022, "code", "boundaries-lad"),
				areaSelect("lad13", "lad", 2013, "code", "boundaries-lad"),
			) + ")" + newestFirst,
			Checks: ingest.Checks{MinRows: 296, MaxRows: 400, Unique: []string{"code"}},
		}),
	}
}
