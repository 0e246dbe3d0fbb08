package catalog

import (
	"fmt"

	"commonground/ingest"
	"commonground/ingest/custom"
	"commonground/ingest/format"
)

const tdlSpatial = "https://raw.githubusercontent.com/traffordDataLab/spatial_data/7fa4f03c29745aa4ca0f17f30e0dd1b31563202c/"

// wardLookup is one LSOA → ward → local authority layout; the year of the
// ward codes is part of the header (WD20CD, WD21CD, wd22cd…).
func wardLookup(lsoaYear, wardYear string) format.FileSpec {
	ly, wy := lsoaYear[2:], wardYear[2:]
	return format.FileSpec{Kind: fmt.Sprintf("lsoa%s_wd%s", ly, wy), Columns: []format.Column{
		key(text("lsoa_code", "LSOA"+ly+"CD"), lsoaCode),
		text("lsoa_name", "LSOA"+ly+"NM"),
		key(text("ward_code", "WD"+wy+"CD"), gssCode),
		text("ward_name", "WD"+wy+"NM"),
		required(checked(text("lad_code", "LAD"+wy+"CD"), gssCode)),
		text("lad_name", "LAD"+wy+"NM"),
	}}
}

func lookups() []ingest.Dataset {
	var wardSpecs []format.FileSpec
	var wardSelects []string
	for _, v := range [][2]string{{"2011", "2020"}, {"2011", "2021"}, {"2011", "2022"}, {"2021", "2022"}, {"2021", "2023"}, {"2021", "2024"}, {"2021", "2025"}} {
		s := wardLookup(v[0], v[1])
		wardSpecs = append(wardSpecs, s)
		wardSelects = append(wardSelects, fmt.Sprintf("SELECT *, %s AS lsoa_vintage, %s AS ward_vintage FROM stg_%s", v[0], v[1], s.Kind))
	}

	oa11 := format.FileSpec{Kind: "oa11", Columns: []format.Column{
		key(text("oa_code", "OA11CD"), oaCode),
		key(text("lsoa_code", "LSOA11CD"), gssCode),
		text("lsoa_name", "LSOA11NM"),
		required(text("msoa_code", "MSOA11CD")),
		text("msoa_name", "MSOA11NM"),
		text("lad_code", "LAD17CD", "LAD19CD", "LAD11CD"),
		text("lad_name", "LAD17NM", "LAD19NM", "LAD11NM"),
		text("region_code", "RGN11CD"),
		text("region_name", "RGN11NM"),
		text("country_code", "CTRY11CD"),
		text("oac_code", "OAC11CD"),
		text("oac_name", "OAC11NM"),
	}}
	oa21 := format.FileSpec{Kind: "oa21", Columns: []format.Column{
		key(text("oa_code", "OA21CD"), oaCode),
		key(text("lsoa_code", "LSOA21CD"), gssCode),
		text("lsoa_name", "LSOA21NM"),
		required(text("msoa_code", "MSOA21CD")),
		text("msoa_name", "MSOA21NM"),
		text("lad_code", "LAD22CD", "LAD23CD", "LAD24CD", "LAD21CD"),
		text("lad_name", "LAD22NM", "LAD23NM", "LAD24NM", "LAD21NM"),
		text("region_code", "RGN22CD", "RGN21CD"),
		text("region_name", "RGN22NM", "RGN21NM"),
		text("country_code", "CTRY22CD", "CTRY21CD"),
	}}

	// ONS Postcode Directory column names first, then the tidied layouts.
	pcd := format.FileSpec{Kind: "postcodes", NullTokens: []string{"NA"}, Columns: []format.Column{
		key(text("postcode", "pcds", "postcode", "pcd", "pcd2"), postcodeRe),
		text("lsoa11_code", "lsoa11", "lsoa11cd"),
		required(text("lsoa21_code", "lsoa21", "lsoa21cd", "lsoa_code")),
		text("msoa21_code", "msoa21", "msoa21cd", "msoa_code"),
		text("ward_code", "osward", "ward_code", "wd23cd", "wd24cd"),
		text("lad_code", "oslaua", "la_code", "lad_code", "lad23cd", "lad24cd"),
		real("lat", "lat", "latitude"),
		real("lon", "long", "lon", "longitude"),
		format.Column{Name: "terminated", Type: format.Date, Aliases: []string{"doterm"}, DateLayouts: []string{"200601", "2006-01", "20060102"}},
		text("locality", "locality"),
	}}

	base := func(d ingest.Dataset) ingest.Dataset {
		d.Licence = ogl
		d.Derive = deriveAreas
		d.After = custom.WardBestFit // a ward lookup may now cover wards given LSOAs by best fit
		return d
	}
	return []ingest.Dataset{
		base(ingest.Dataset{
			ID:          "lookup-lsoa-ward-lad",
			Title:       "LSOA to electoral ward to local authority lookup",
			Publisher:   "Office for National Statistics (Open Geography Portal)",
			Attribution: onsAttrib,
			Description: "Best-fit lookups from LSOA to ward to local authority. Give several years at once (2020 and 2021 for LSOA 2011; 2022–2025 for LSOA 2021); each file is recognised by its WDyyCD header. Areas take their parents from the newest.",
			Landing:     "https://geoportal.statistics.gov.uk/search?q=LUP_LSOA_WD_LAD",
			URLs: []string{
				"https://raw.githubusercontent.com/ZijianLiang2000/COM3001_FinalYearProject/a87833220bfb506048c5585f43d3070fc987c3fd/lib/LSOA11_WD20_LAD20_EW_LU.csv",
				"https://raw.githubusercontent.com/ZijianLiang2000/COM3001_FinalYearProject/a87833220bfb506048c5585f43d3070fc987c3fd/lib/LSOA11_WD21_LAD21_EW_LU.csv",
				tdlSpatial + "lookups/2021/lsoa_to_ward_best-fit_lookup.csv",
			},
			Format:    "CSV",
			Geography: "LSOA 2011/2021 → ward → local authority, England and Wales",
			Vintage:   "2020–2025",
			Table:     "lookup_lsoa_ward_lad",
			Files:     wardSpecs,
			Insert:    unionAll(wardSelects...),
			Checks:    ingest.Checks{MinRows: 30000, MaxRows: 250000, Unique: []string{"lsoa_code", "lsoa_vintage", "ward_vintage"}},
		}),
		base(ingest.Dataset{
			ID:          "lookup-oa",
			Title:       "Output Area to LSOA to MSOA to local authority lookup",
			Publisher:   "Office for National Statistics (Open Geography Portal)",
			Attribution: onsAttrib,
			Description: "Output Areas with their LSOA, MSOA, local authority and region (2011, with the 2011 Output Area Classification; and 2021).",
			Landing:     "https://geoportal.statistics.gov.uk/search?q=LUP_OA_LSOA_MSOA_LAD",
			URLs: []string{
				"https://raw.githubusercontent.com/anetobradley/energy_flex/709f2f8b79a86e273a86f6c7324f4fc2b1aeeefd/02-EnergyModel/Energy_Intensity_Analysis/data/gis/fe6c55f0924b4734adf1cf7104a0173e_0.csv.gz",
				tdlSpatial + "lookups/2021/statistical_lookup.csv",
			},
			Format:    "CSV (optionally gzipped)",
			Geography: "Output Area 2011/2021, Great Britain",
			Vintage:   "2011, 2021",
			Table:     "lookup_oa",
			Files:     []format.FileSpec{oa11, oa21},
			Insert:    unionAll("SELECT *, 2011 AS oa_vintage FROM stg_oa11", "SELECT *, 2021 AS oa_vintage FROM stg_oa21"),
			Checks:    ingest.Checks{MinRows: 8000, MaxRows: 500000, Unique: []string{"oa_code", "oa_vintage"}},
		}),
		base(ingest.Dataset{
			ID:          "postcodes",
			Title:       "Postcode to LSOA, ward and local authority (ONS Postcode Directory layout)",
			Publisher:   "Office for National Statistics (ONS Postcode Directory)",
			Attribution: pcdAttrib,
			Description: "Every postcode with its LSOA, MSOA, ward, local authority and centroid. Reads the ONSPD/NSPL CSV (pcds, lsoa21, osward, oslaua, lat, long) or the tidied Trafford Data Lab layout. Terminated postcodes are kept with their end date.",
			Landing:     "https://geoportal.statistics.gov.uk/search?q=ONSPD",
			URLs:        []string{tdlSpatial + "postcodes/trafford_postcodes.csv"},
			Format:      "CSV",
			Geography:   "Postcode, UK (the default source covers Trafford)",
			Vintage:     "2025",
			Table:       "postcodes",
			Files:       []format.FileSpec{pcd},
			Insert:      "SELECT *, upper(replace(postcode, ' ', '')) AS postcode_key FROM stg_postcodes",
			Checks:      ingest.Checks{MinRows: 10000, MaxRows: 3000000, Unique: []string{"postcode_key"}},
		}),
	}
}
